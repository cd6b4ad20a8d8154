/**
 * The `sessionStorage` key of the marker `OAuthButtons` leaves just before it sends the browser
 * to a provider (its value: the time, `Date.now()`): the proof that this tab started, lately,
 * the sign-in whose answer comes back in the URL's fragment.
 */
export const OAUTH_PENDING_KEY = "yauth.oauth.pending";

/** How long a marker is good for: a provider's sign-in that takes longer is refused. */
export const OAUTH_PENDING_MAX_AGE_MS = 10 * 60 * 1000;

/**
 * Removes the marker when the page comes back from the back/forward cache: the user came back
 * without finishing the provider's sign-in, and a later answer is not theirs.
 */
function forgetOnRestore(event: Event): void {
  if (!(event as PageTransitionEvent).persisted) return;
  try {
    window.sessionStorage.removeItem(OAUTH_PENDING_KEY);
  } catch {
    // Storage is off: there is no marker.
  }
}

/**
 * Notes in this tab's `sessionStorage` that it is leaving for a provider's sign-in, with the
 * time, and listens for this page's return from the back/forward cache (`pageshow` with
 * `persisted`), which removes the marker (the listener is added once however often this runs).
 */
export function markOAuthPending(): void {
  window.addEventListener("pageshow", forgetOnRestore);
  try {
    window.sessionStorage.setItem(OAUTH_PENDING_KEY, String(Date.now()));
  } catch {
    // Storage is off: the answer will be refused, which is the safe side.
  }
}

/** Reads and removes the marker: whether this tab left for a provider in the last ten minutes. */
function takeMarker(): boolean {
  let raw: string | null;
  try {
    raw = window.sessionStorage.getItem(OAUTH_PENDING_KEY);
    window.sessionStorage.removeItem(OAUTH_PENDING_KEY);
  } catch {
    return false;
  }
  if (raw === null || !/^\d+$/.test(raw)) return false;
  const age = Date.now() - Number(raw);
  return age >= 0 && age <= OAUTH_PENDING_MAX_AGE_MS;
}

/**
 * Call once when the app starts, before its router reads the URL. After a provider's sign-in
 * that needs a second factor, the server sends the browser back to `redirect_to` with
 * `#mfa_required=true&pending_session_id=…`. This returns that id only when this tab's
 * `OAuthButtons` (or `markOAuthPending()`) had left for the provider at most ten minutes ago, and
 * the page has not come back from the back/forward cache since (a link from anyone else cannot
 * plant a half-finished sign-in), and `null` otherwise. Either way it removes the marker and
 * takes the fragment out of the URL (`history.replaceState`, the path and query kept).
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
