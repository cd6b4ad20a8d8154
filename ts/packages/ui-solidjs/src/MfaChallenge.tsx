import { createSignal, createUniqueId, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert } from "./feedback.jsx";
import { createSubmission } from "./submission.js";

export interface MfaChallengeProps {
  /** From the sign-in's `{ mfa_required, pending_session_id }` answer. */
  pendingSessionId: string;
  /** Signed in (the session is fetched again first). */
  onSuccess?: () => void;
}

/** Finishes a sign-in with a code from the authenticator app, or a backup code. */
export function MfaChallenge(props: MfaChallengeProps): JSX.Element {
  const { client, refetch } = useYAuth();
  const id = createUniqueId();
  const [code, setCode] = createSignal("");
  const submission = createSubmission();

  const submit: JSX.EventHandler<HTMLFormElement, SubmitEvent> = (event) => {
    event.preventDefault();
    void submission.run(
      async () => {
        await client.mfa.verify({ pending_session_id: props.pendingSessionId, code: code().replace(/\s+/g, "") });
        await refetch();
      },
      () => {
        setCode("");
        props.onSuccess?.();
      },
    );
  };

  return (
    <form class="yauth-form" onSubmit={submit}>
      <div class="yauth-field">
        <label for={`${id}-code`}>Authentication code</label>
        <input
          id={`${id}-code`}
          name="code"
          type="text"
          autocomplete="one-time-code"
          autocapitalize="off"
          spellcheck={false}
          required
          aria-describedby={`${id}-hint`}
          value={code()}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
        <p id={`${id}-hint`} class="yauth-hint">
          The 6-digit code from your authenticator app, or one of your backup codes.
        </p>
      </div>
      <Alert message={submission.error()} />
      <button type="submit" disabled={submission.pending()}>
        Verify
      </button>
    </form>
  );
}
