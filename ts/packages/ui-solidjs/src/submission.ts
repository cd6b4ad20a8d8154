import { type Accessor, batch, createSignal } from "solid-js";
import { useYAuth } from "./context.jsx";
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

/** Shows the server's `message` as the form's confirmation, and passes it to `onSuccess`. */
export function succeed(submission: Submission, message: string, onSuccess?: (message: string) => void): void {
  submission.setStatus(message);
  onSuccess?.(message);
}

/** The callbacks of a first factor of sign-in (a password, a passkey, a magic link). */
export interface SignInCallbacks {
  /** Signed in (the session is fetched again first). */
  onSuccess?: () => void;
  /** A second factor is needed: the id to pass to `MfaChallenge`. */
  onMfaRequired?: (pendingSessionId: string) => void;
}

/**
 * Call in a component: what runs a first factor on `submission`. `signIn(call, settled?, describe?)`
 * runs `call`; when its answer asks for a second factor, `onMfaRequired` gets the pending id,
 * else the session is fetched again and `onSuccess` is called. `settled` runs first after
 * either answer; `describe` words a failure (as for {@link Submission.run}).
 */
export function createSignIn(
  submission: Submission,
  callbacks: SignInCallbacks,
): (call: () => Promise<unknown>, settled?: () => void, describe?: (e: unknown) => string) => Promise<void> {
  const { refetch } = useYAuth();
  return (call, settled, describe) =>
    submission.run(
      async () => {
        const answer = await call();
        if (isMfaRequired(answer)) return answer.pending_session_id;
        await refetch();
        return undefined;
      },
      (pendingSessionId) => {
        settled?.();
        if (pendingSessionId === undefined) callbacks.onSuccess?.();
        else callbacks.onMfaRequired?.(pendingSessionId);
      },
      describe,
    );
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
