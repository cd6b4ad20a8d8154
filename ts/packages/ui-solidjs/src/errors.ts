import { isYAuthError } from "@yauth/client";

/** Shown when a call fails without an answer from the server (offline, DNS, CORS, …). */
export const NETWORK_MESSAGE = "Could not reach the server.";

/** The text to show for a failed call: the server's message, or {@link NETWORK_MESSAGE}. */
export function errorMessage(e: unknown): string {
  return isYAuthError(e) ? e.message : NETWORK_MESSAGE;
}

/** The `name` of a `DOMException` (or of @simplewebauthn's `WebAuthnError`, which copies it). */
function errorName(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null || !("name" in e)) return undefined;
  return typeof e.name === "string" ? e.name : undefined;
}

/**
 * The text to show for a failed passkey ceremony: the browser's refusals in words, then
 * as {@link errorMessage}.
 */
export function passkeyErrorMessage(e: unknown): string {
  if (isYAuthError(e)) return e.message;
  const name = errorName(e);
  if (name === "NotAllowedError" || name === "AbortError") {
    return "The passkey request was cancelled or timed out. Try again when you are ready.";
  }
  if (name === "InvalidStateError") return "This authenticator already holds a passkey for this account.";
  if (name === "SecurityError") return "The browser refused to use a passkey on this site.";
  if (name === "NotSupportedError" || name === "ConstraintError") {
    return "This authenticator cannot create the kind of passkey this site asks for.";
  }
  if (e instanceof Error && /WebAuthn is not supported/i.test(e.message)) {
    return "This browser does not support passkeys.";
  }
  return NETWORK_MESSAGE;
}
