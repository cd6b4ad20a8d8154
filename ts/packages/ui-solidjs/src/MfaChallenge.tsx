import { createSignal, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { CodeField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
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
  const [code, setCode] = createSignal("");
  const submission = createSubmission();

  const submit = () =>
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

  return (
    <SubmitForm submission={submission} onSubmit={submit} button="Verify">
      <CodeField
        autocapitalize="off"
        spellcheck={false}
        hint="The 6-digit code from your authenticator app, or one of your backup codes."
        value={code()}
        onInput={setCode}
      />
    </SubmitForm>
  );
}
