import { type Accessor, createSignal, getOwner, onCleanup } from "solid-js";

/** How long the page must have been visible and focused before a decision button is enabled. */
export const DECISION_DELAY_MS = 700;

/** What {@link createDecisionGuard} gives. */
export interface DecisionGuard {
  /** Whether the page has been visible and focused for the delay without interruption. */
  ready: Accessor<boolean>;
  /**
   * Disables the buttons and starts the delay again (when the page is visible and focused):
   * call it when the buttons appear or change under the pointer, e.g. after new content loads.
   */
  restart: () => void;
}

/** Whether the user can see this page and it receives their clicks. */
function inFront(): boolean {
  return document.visibilityState === "visible" && document.hasFocus();
}

/**
 * Call in a component: guards "Allow" and "Deny" against double-click-jacking (a page that
 * gets the user to double-click, and puts this page in front of the pointer between the two
 * clicks). `ready()` becomes true only once the page has been visible and focused for
 * {@link DECISION_DELAY_MS} (or `delayMs`); a `blur` of the window, or the page becoming hidden,
 * sets it back to false, and the delay starts over once the page is in front again (`focus`,
 * `visibilitychange`). A page already visible and focused when this is called starts the delay
 * at once. Enable the buttons only while `ready()`. The listeners end with the owner.
 */
export function createDecisionGuard(delayMs: number = DECISION_DELAY_MS): DecisionGuard {
  const [ready, setReady] = createSignal(false);
  let timer: ReturnType<typeof setTimeout> | undefined;

  const stop = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    setReady(false);
  };

  const start = () => {
    stop();
    if (!inFront()) return;
    timer = setTimeout(() => {
      timer = undefined;
      // In front all along, as far as the events told; checked once more.
      setReady(inFront());
    }, delayMs);
  };

  // Focus back: the delay starts over, unless it already runs or has passed.
  const onFocus = () => {
    if (timer === undefined && !ready()) start();
  };
  const onVisibility = () => {
    if (document.visibilityState === "visible") onFocus();
    else stop();
  };

  window.addEventListener("focus", onFocus);
  window.addEventListener("blur", stop);
  document.addEventListener("visibilitychange", onVisibility);
  start();

  if (getOwner()) {
    onCleanup(() => {
      window.removeEventListener("focus", onFocus);
      window.removeEventListener("blur", stop);
      document.removeEventListener("visibilitychange", onVisibility);
      if (timer !== undefined) clearTimeout(timer);
    });
  }

  return { ready, restart: start };
}

/** Whether this page is shown inside a frame, where another site could lay its page over the buttons. */
export function isFramed(): boolean {
  try {
    return window.top !== window.self;
  } catch {
    return true;
  }
}
