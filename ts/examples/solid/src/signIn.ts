import { authorizeReturnTo } from "@yauth/client";
import { takeOAuthMfaRedirect } from "@yauth/ui-solidjs";
import { createSignal } from "solid-js";

/** Where the API is mounted (the Vite dev server forwards it to the demo). */
export const API_BASE = "/api/auth";

// App state, kept in memory rather than in the URL: the pending MFA sign-in (its id is a
// half-finished session) and where to go once signed in.
export const [pendingSessionId, setPendingSessionId] = createSignal<string>();
export const [returnTo, setReturnTo] = createSignal<string>();

/**
 * `raw` when it is the authorization endpoint of this origin's API (where the OAuth 2 server
 * sends a visitor to sign in first, with `return_to`); `undefined` for anything else, so that
 * a crafted link cannot send a freshly signed-in user elsewhere.
 */
export function safeReturnTo(raw: string | null | undefined): string | undefined {
  return authorizeReturnTo(raw, API_BASE)?.href;
}

/** The first value of a search parameter as @solidjs/router gives them. */
export function firstParam(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A first factor asks for a second: the pending sign-in is kept in app state, and on to `/mfa`. */
export function askSecondFactor(navigate: (to: string) => void, pendingSessionId: string): void {
  setPendingSessionId(pendingSessionId);
  navigate("/mfa");
}

/** After any sign-in: back to the authorization request that asked for it, else home. */
export function finishSignIn(navigate: (to: string, options?: { replace?: boolean }) => void): void {
  const target = returnTo();
  setReturnTo(undefined);
  setPendingSessionId(undefined);
  if (target) window.location.assign(target);
  else navigate("/", { replace: true });
}

/**
 * Run once before the router starts. A provider's sign-in that needs a second factor comes back
 * to its `redirect_to` with `#mfa_required=true&pending_session_id=…`; `takeOAuthMfaRedirect`
 * accepts it only when this tab's `OAuthButtons` left for the provider, and always takes the
 * fragment out of the URL. An accepted id goes to app state, and the router starts on `/mfa`.
 */
export function acceptOAuthMfaRedirect(): void {
  const pending = takeOAuthMfaRedirect();
  if (pending === null) return;
  // Sent to sign in by the OAuth 2 server: `redirect_to` was its request, which came back here.
  setReturnTo(safeReturnTo(new URLSearchParams(window.location.search).get("return_to")));
  setPendingSessionId(pending);
  window.history.replaceState(null, "", "/mfa");
}

/**
 * The query parameter `name` of the page's URL, taken out of the address bar
 * (`history.replaceState`, the path and the other parameters kept): a mailed token must not
 * stay in the history, nor leave in a Referer. The caller keeps the value in memory; `""` when
 * absent.
 */
export function takeQueryParam(name: string): string {
  const search = new URLSearchParams(window.location.search);
  const value = search.get(name);
  if (value === null) return "";
  search.delete(name);
  const rest = search.toString();
  const { pathname, hash } = window.location;
  window.history.replaceState(window.history.state, "", `${pathname}${rest ? `?${rest}` : ""}${hash}`);
  return value;
}
