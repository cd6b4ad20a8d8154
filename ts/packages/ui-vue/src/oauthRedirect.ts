/**
 * The `sessionStorage` key of the marker `OAuthButtons` leaves (value `"1"`) just before
 * it sends the browser to a provider: the proof that this tab started the sign-in whose answer
 * comes back in the URL's fragment.
 */
export const OAUTH_PENDING_KEY = "yauth.oauth.pending";

/** Notes in this tab's `sessionStorage` that it is leaving for a provider's sign-in. */
export function markOAuthPending(): void {
  try {
    window.sessionStorage.setItem(OAUTH_PENDING_KEY, "1");
  } catch {
    // Storage is off: the answer will be refused, which is the safe side.
  }
}

/** Reads and removes the marker: whether this tab had left for a provider. */
function takeMarker(): boolean {
  try {
    const marked = window.sessionStorage.getItem(OAUTH_PENDING_KEY) === "1";
    window.sessionStorage.removeItem(OAUTH_PENDING_KEY);
    return marked;
  } catch {
    return false;
  }
}

/**
 * Call once when the app starts, before its router reads the URL. After a provider's sign-in
 * that needs a second factor, the server sends the browser back to `redirect_to` with
 * `#mfa_required=true&pending_session_id=…`. This returns that id only when this tab's
 * `OAuthButtons` had left for the provider (a link from anyone else cannot plant a
 * half-finished sign-in), and `null` otherwise. Either way it removes the marker and takes the
 * fragment out of the URL (`history.replaceState`, the path and query kept).
 */
export function takeOAuthMfaRedirect(): string | null {
  const marked = takeMarker();
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  if (!fragment.has("mfa_required") && !fragment.has("pending_session_id")) return null;
  const { pathname, search } = window.location;
  window.history.replaceState(window.history.state, "", pathname + search);
  const pending = fragment.get("pending_session_id");
  if (!marked || fragment.get("mfa_required") !== "true" || !pending) return null;
  return pending;
}
