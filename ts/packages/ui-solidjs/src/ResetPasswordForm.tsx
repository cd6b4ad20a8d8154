import { createSignal, createUniqueId, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert, Status } from "./feedback.jsx";
import { createSubmission } from "./submission.js";

export interface ResetPasswordFormProps {
  /** The token of the mailed link. */
  token: string;
  /** The password was changed; `message` is the server's. */
  onSuccess?: (message: string) => void;
}

/** Chooses a new password with the token of a reset link. */
export function ResetPasswordForm(props: ResetPasswordFormProps): JSX.Element {
  const { client } = useYAuth();
  const id = createUniqueId();
  const [password, setPassword] = createSignal("");
  const [done, setDone] = createSignal(false);
  const submission = createSubmission();

  const submit: JSX.EventHandler<HTMLFormElement, SubmitEvent> = (event) => {
    event.preventDefault();
    if (!props.token) {
      submission.setError("This link has no reset token: open the link from your email again.");
      return;
    }
    void submission.run(
      () => client.emailPassword.resetPassword({ token: props.token, password: password() }),
      (answer) => {
        setPassword("");
        setDone(true);
        submission.setStatus(answer.message);
        props.onSuccess?.(answer.message);
      },
    );
  };

  return (
    <form class="yauth-form" onSubmit={submit}>
      <div class="yauth-field">
        <label for={`${id}-password`}>New password</label>
        <input
          id={`${id}-password`}
          name="new_password"
          type="password"
          autocomplete="new-password"
          required
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </div>
      <Alert message={submission.error()} />
      <Status message={submission.status()} />
      <button type="submit" disabled={submission.pending() || done()}>
        Reset password
      </button>
    </form>
  );
}
