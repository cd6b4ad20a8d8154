import { createSignal, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { PasswordField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
import { createSubmission, succeed } from "./submission.js";

export interface ChangePasswordFormProps {
  /** The password was changed; `message` is the server's. */
  onSuccess?: (message: string) => void;
}

/** Changes the signed-in user's password. */
export function ChangePasswordForm(props: ChangePasswordFormProps): JSX.Element {
  const { client } = useYAuth();
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const submission = createSubmission();

  const submit = () =>
    void submission.run(
      () => client.emailPassword.changePassword({ current_password: current(), new_password: next() }),
      (answer) => {
        setCurrent("");
        setNext("");
        succeed(submission, answer.message, props.onSuccess);
      },
    );

  return (
    <SubmitForm submission={submission} onSubmit={submit} button="Change password">
      <PasswordField
        label="Current password"
        name="current_password"
        autocomplete="current-password"
        value={current()}
        onInput={setCurrent}
      />
      <PasswordField
        label="New password"
        name="new_password"
        autocomplete="new-password"
        value={next()}
        onInput={setNext}
      />
    </SubmitForm>
  );
}
