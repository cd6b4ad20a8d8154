// Framework-free browser guards for the OAuth 2 decision pages (consent, device), wrapped as
// `useDecisionGuard` (Vue) and `createDecisionGuard` (Solid) by the UI packages.

/** How long the page must have been visible and focused before a decision button is enabled. */
export const DECISION_DELAY_MS = 700;

/** Whether the user can see this page and it receives their clicks. */
function inFront(): boolean {
  return document.visibilityState === "visible" && document.hasFocus();
}

/** What {@link watchDecisionReadiness} gives. */
export interface DecisionTimer {
  /** Sets "not ready" and starts the delay again (when the page is visible and focused). */
  restart(): void;
  /** Removes the listeners and the timer. */
  dispose(): void;
}

/**
 * Guards "Allow" and "Deny" against double-click-jacking (a page that gets the user to
 * double-click, and puts this page in front of the pointer between the two clicks): calls
 * `onReady(true)` once the page has been visible and focused for `delayMs` without
 * interruption, and `onReady(false)` when the window loses focus or the page is hidden; the
 * delay starts over once the page is in front again. A page already visible and focused
 * starts the delay at once.
 */
export function watchDecisionReadiness(
  onReady: (ready: boolean) => void,
  delayMs: number = DECISION_DELAY_MS,
): DecisionTimer {
  let ready = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const set = (value: boolean) => {
    ready = value;
    onReady(value);
  };
  const stop = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    set(false);
  };
  const start = () => {
    stop();
    if (!inFront()) return;
    timer = setTimeout(() => {
      timer = undefined;
      // In front all along, as far as the events told; checked once more.
      set(inFront());
    }, delayMs);
  };
  // Focus back: the delay starts over, unless it already runs or has passed.
  const onFocus = () => {
    if (timer === undefined && !ready) start();
  };
  const onVisibility = () => {
    if (document.visibilityState === "visible") onFocus();
    else stop();
  };
  window.addEventListener("focus", onFocus);
  window.addEventListener("blur", stop);
  document.addEventListener("visibilitychange", onVisibility);
  start();
  return {
    restart: start,
    dispose() {
      window.removeEventListener("focus", onFocus);
      window.removeEventListener("blur", stop);
      document.removeEventListener("visibilitychange", onVisibility);
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** Whether this page is shown inside a frame, where another site could lay its page over the buttons. */
export function isFramed(): boolean {
  try {
    return window.top !== window.self;
  } catch {
    return true;
  }
}

/**
 * The `return_to` an app may follow after a sign-in, or null: only a URL of this origin whose
 * path is exactly the authorization endpoint under `baseUrl` (where the OAuth 2 server sent
 * the user from), so a crafted link cannot send a freshly signed-in user elsewhere.
 */
export function authorizeReturnTo(value: unknown, baseUrl: string): URL | null {
  if (typeof value !== "string" || value === "") return null;
  let url: URL;
  try {
    url = new URL(value, window.location.origin);
  } catch {
    return null;
  }
  const authorize = `${baseUrl.replace(/\/+$/, "")}/oauth/authorize`;
  return url.origin === window.location.origin && url.pathname === authorize ? url : null;
}
