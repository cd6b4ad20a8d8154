import { createSignal, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { PasswordField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
import { createSubmission, succeed } from "./submission.js";

export interface ResetPasswordFormProps {
  /** The token of the mailed link. */
  token: string;
  /** The password was changed; `message` is the server's. */
  onSuccess?: (message: string) => void;
}

/** Chooses a new password with the token of a reset link. */
export function ResetPasswordForm(props: ResetPasswordFormProps): JSX.Element {
  const { client } = useYAuth();
  const [password, setPassword] = createSignal("");
  const [done, setDone] = createSignal(false);
  const submission = createSubmission();

  const submit = () => {
    if (!props.token) {
      submission.setError("This link has no reset token: open the link from your email again.");
      return;
    }
    void submission.run(
      () => client.emailPassword.resetPassword({ token: props.token, password: password() }),
      (answer) => {
        setPassword("");
        setDone(true);
        succeed(submission, answer.message, props.onSuccess);
      },
    );
  };

  return (
    <SubmitForm submission={submission} onSubmit={submit} button="Reset password" done={done()}>
      <PasswordField
        label="New password"
        name="new_password"
        autocomplete="new-password"
        value={password()}
        onInput={setPassword}
      />
    </SubmitForm>
  );
}
