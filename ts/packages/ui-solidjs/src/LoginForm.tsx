import { createSignal, createUniqueId, type JSX, mergeProps, Show } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert } from "./feedback.jsx";
import { PasskeyButton } from "./PasskeyButton.jsx";
import { createSubmission, isMfaRequired } from "./submission.js";

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
  const { client, refetch } = useYAuth();
  const id = createUniqueId();
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const submission = createSubmission();

  const submit: JSX.EventHandler<HTMLFormElement, SubmitEvent> = (event) => {
    event.preventDefault();
    void submission.run(
      async () => {
        const answer = await client.emailPassword.login({ email: email().trim(), password: password() });
        if (isMfaRequired(answer)) return answer.pending_session_id;
        await refetch();
        return undefined;
      },
      (pendingSessionId) => {
        setPassword("");
        if (pendingSessionId === undefined) props.onSuccess?.();
        else props.onMfaRequired?.(pendingSessionId);
      },
    );
  };

  return (
    <div class="yauth-login">
      <form class="yauth-form" onSubmit={submit}>
        <div class="yauth-field">
          <label for={`${id}-email`}>Email</label>
          <input
            id={`${id}-email`}
            name="email"
            type="email"
            autocomplete="username"
            required
            value={email()}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="yauth-field">
          <label for={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password()}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <Alert message={submission.error()} />
        <button type="submit" disabled={submission.pending()}>
          Sign in
        </button>
      </form>
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
