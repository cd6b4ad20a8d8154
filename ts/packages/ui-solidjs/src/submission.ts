import { type Accessor, batch, createSignal } from "solid-js";
import { errorMessage } from "./errors.js";

/** The state of a form's call: whether it is pending, and its error or confirmation. */
export interface Submission {
  pending: Accessor<boolean>;
  error: Accessor<string | undefined>;
  status: Accessor<string | undefined>;
  setError: (message: string | undefined) => void;
  setStatus: (message: string | undefined) => void;
  /**
   * Clears the previous messages and runs `call` (unless one is running). When it fails, the
   * error is shown, described by `describe`; when it succeeds, `done` runs with its result
   * once the form is enabled again (its own exceptions are not shown as the call's).
   */
  run<T>(call: () => Promise<T>, done?: (value: T) => void, describe?: (e: unknown) => string): Promise<void>;
}

export function createSubmission(): Submission {
  const [pending, setPending] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [status, setStatus] = createSignal<string>();

  async function run<T>(call: () => Promise<T>, done?: (value: T) => void, describe = errorMessage) {
    if (pending()) return;
    batch(() => {
      setError(undefined);
      setStatus(undefined);
      setPending(true);
    });
    let value: T;
    try {
      value = await call();
    } catch (e) {
      batch(() => {
        setError(describe(e));
        setPending(false);
      });
      return;
    }
    setPending(false);
    done?.(value);
  }

  return {
    pending,
    error,
    status,
    setError: (message) => setError(message),
    setStatus: (message) => setStatus(message),
    run,
  };
}

/** Whether a sign-in answer asks for a second factor. */
export function isMfaRequired(answer: unknown): answer is { mfa_required: true; pending_session_id: string } {
  return (
    typeof answer === "object" &&
    answer !== null &&
    "mfa_required" in answer &&
    answer.mfa_required === true &&
    "pending_session_id" in answer &&
    typeof answer.pending_session_id === "string"
  );
}
