import { DECISION_DELAY_MS, watchDecisionReadiness } from "@yauth/client";
import { getCurrentScope, onScopeDispose, type Ref, readonly, shallowRef } from "vue";

/** What {@link useDecisionGuard} gives. */
export interface DecisionGuard {
  /** Whether the page has been visible and focused for the delay without interruption. */
  readonly ready: Readonly<Ref<boolean>>;
  /**
   * Disables the buttons and starts the delay again (when the page is visible and focused):
   * call it when the buttons appear or change under the pointer, e.g. after new content loads.
   */
  restart(): void;
}

/**
 * Call in a component's `setup` (or an effect scope): guards "Allow" and "Deny" against
 * double-click-jacking (a page that gets the user to double-click, and puts this page in front
 * of the pointer between the two clicks). `ready` becomes true only once the page has been
 * visible and focused for {@link DECISION_DELAY_MS} (or `delayMs`); a `blur` of the window, or
 * the page becoming hidden, sets it back to false, and the delay starts over once the page is
 * in front again (`focus`, `visibilitychange`). A page already visible and focused when this is
 * called starts the delay at once. Enable the buttons only while `ready`. The listeners end
 * with the scope.
 */
export function useDecisionGuard(delayMs: number = DECISION_DELAY_MS): DecisionGuard {
  const ready = shallowRef(false);
  const timer = watchDecisionReadiness((value) => {
    ready.value = value;
  }, delayMs);
  if (getCurrentScope()) onScopeDispose(timer.dispose);
  return { ready: readonly(ready), restart: timer.restart };
}
