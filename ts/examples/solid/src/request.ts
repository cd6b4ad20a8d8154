import { errorMessage } from "@yauth/ui-solidjs";
import { createSignal } from "solid-js";

/**
 * The state of a page's own call: whether it runs, and its error or confirmation. `run(task)`
 * does nothing while a call runs; else it clears both messages, and a failure of `task` shows
 * as the error (the server's message).
 */
export function createRequest() {
  const [pending, setPending] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [status, setStatus] = createSignal<string>();

  const run = async (task: () => Promise<void>): Promise<void> => {
    if (pending()) return;
    setError(undefined);
    setStatus(undefined);
    setPending(true);
    try {
      await task();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPending(false);
    }
  };

  return { pending, error, setError, status, setStatus, run };
}
