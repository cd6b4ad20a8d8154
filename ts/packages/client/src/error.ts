/**
 * An answer other than 2xx, built from yauth's error body `{ error, message }` (or, from the
 * OAuth 2 endpoints for clients, `{ error, error_description }`).
 *
 * `code` is the machine-readable `error` (`invalid_credentials`, `account_locked`, …) and
 * `message` the server's human-readable text, meant to be shown to the user as it is.
 */
export class YAuthError extends Error {
  /** The HTTP status (401, 423, …). */
  readonly status: number;
  /** The server's `error` code; `http_error` when the body had none. */
  readonly code: string;
  /** The `Retry-After` header in seconds (rate limits and account lockout), when sent. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.name = "YAuthError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /** The error for an answer with this status, parsed body (JSON or text) and headers. */
  static from(status: number, body: unknown, headers?: Headers): YAuthError {
    const retry = Number.parseInt(headers?.get("retry-after") ?? "", 10);
    const retryAfter = Number.isFinite(retry) ? retry : undefined;
    if (body !== null && typeof body === "object") {
      const fields = body as Record<string, unknown>;
      const code = typeof fields.error === "string" && fields.error ? fields.error : "http_error";
      const message =
        typeof fields.message === "string" && fields.message
          ? fields.message
          : typeof fields.error_description === "string" && fields.error_description
            ? fields.error_description
            : defaultMessage(status);
      return new YAuthError(status, code, message, retryAfter);
    }
    const text = typeof body === "string" ? body.trim() : "";
    // A proxy's HTML error page is not a message for the user.
    const message = text && text.length <= 300 && !text.startsWith("<") ? text : defaultMessage(status);
    return new YAuthError(status, "http_error", message, retryAfter);
  }
}

function defaultMessage(status: number): string {
  if (status === 401) return "You are not signed in.";
  if (status === 403) return "You are not allowed to do this.";
  if (status === 429) return "Too many attempts: try again later.";
  if (status >= 500) return "The server could not answer: try again later.";
  return `The request failed (HTTP ${status}).`;
}

/** Whether `e` is a {@link YAuthError}, optionally with this `code`. */
export function isYAuthError(e: unknown, code?: string): e is YAuthError {
  return e instanceof YAuthError && (code === undefined || e.code === code);
}
