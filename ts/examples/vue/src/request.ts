// The state of a page's own call, for the pages that call the client themselves.
import { errorMessage } from "@yauth/ui-vue";
import { ref } from "vue";

/**
 * Whether the call runs, and its error or confirmation. `run(task)` does nothing while a call
 * runs; else it clears both messages, and a failure of `task` shows as the error (the server's
 * message).
 */
export function useRequest() {
  const error = ref<string | null>(null);
  const status = ref<string | null>(null);
  const pending = ref(false);

  async function run(task: () => Promise<void>): Promise<void> {
    if (pending.value) return;
    error.value = null;
    status.value = null;
    pending.value = true;
    try {
      await task();
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      pending.value = false;
    }
  }

  return { error, status, pending, run };
}
