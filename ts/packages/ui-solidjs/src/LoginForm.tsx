import { createSignal, type JSX, mergeProps, Show } from "solid-js";
import { useYAuth } from "./context.jsx";
import { EmailField, PasswordField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
import { PasskeyButton } from "./PasskeyButton.jsx";
import { createSignIn, createSubmission } from "./submission.js";

export interface LoginFormProps {
  /** Also offer "Sign in with a passkey" (default true). */
  showPasskey?: boolean;
  /** Signed in (the session is fetched again first). */
  onSuccess?: () => void;
  /** The password was right and a second factor is needed: pass the id to `MfaChallenge`. */
  onMfaRequired?: (pendingSessionId: string) => void;
}

/** Email and password sign-in, with a passkey sign-in beside it. */
export function LoginForm(initial: LoginFormProps): JSX.Element {
  const props = mergeProps({ showPasskey: true }, initial);
  const { client } = useYAuth();
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const submission = createSubmission();
  const signIn = createSignIn(submission, props);

  const submit = () =>
    void signIn(
      () => client.emailPassword.login({ email: email().trim(), password: password() }),
      () => setPassword(""),
    );

  return (
    <div class="yauth-login">
      <SubmitForm submission={submission} onSubmit={submit} button="Sign in">
        <EmailField autocomplete="username" value={email()} onInput={setEmail} />
        <PasswordField
          label="Password"
          name="password"
          autocomplete="current-password"
          value={password()}
          onInput={setPassword}
        />
      </SubmitForm>
      <Show when={props.showPasskey}>
        <PasskeyButton
          mode="login"
          onSuccess={() => props.onSuccess?.()}
          onMfaRequired={(pendingSessionId) => props.onMfaRequired?.(pendingSessionId)}
        />
      </Show>
    </div>
  );
}
