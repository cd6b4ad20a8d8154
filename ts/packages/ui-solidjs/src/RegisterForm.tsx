import { createSignal, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { DisplayNameField, EmailField, PasswordField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
import { createSubmission, succeed } from "./submission.js";

export interface RegisterFormProps {
  /** The account was created; `message` is the server's (it may ask to verify the email). */
  onSuccess?: (message: string) => void;
}

/** Creates an account with an email, a password and an optional display name. */
export function RegisterForm(props: RegisterFormProps): JSX.Element {
  const { client } = useYAuth();
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [displayName, setDisplayName] = createSignal("");
  const submission = createSubmission();

  const submit = () => {
    const name = displayName().trim();
    void submission.run(
      () =>
        client.emailPassword.register({
          email: email().trim(),
          password: password(),
          ...(name ? { display_name: name } : {}),
        }),
      (answer) => {
        setPassword("");
        succeed(submission, answer.message, props.onSuccess);
      },
    );
  };

  return (
    <SubmitForm submission={submission} onSubmit={submit} button="Create account">
      <EmailField value={email()} onInput={setEmail} />
      <PasswordField
        label="Password"
        name="password"
        autocomplete="new-password"
        value={password()}
        onInput={setPassword}
      />
      <DisplayNameField value={displayName()} onInput={setDisplayName} />
    </SubmitForm>
  );
}
