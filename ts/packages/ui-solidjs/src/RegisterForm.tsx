import { createSignal, createUniqueId, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert, Status } from "./feedback.jsx";
import { createSubmission } from "./submission.js";

export interface RegisterFormProps {
  /** The account was created; `message` is the server's (it may ask to verify the email). */
  onSuccess?: (message: string) => void;
}

/** Creates an account with an email, a password and an optional display name. */
export function RegisterForm(props: RegisterFormProps): JSX.Element {
  const { client } = useYAuth();
  const id = createUniqueId();
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [displayName, setDisplayName] = createSignal("");
  const submission = createSubmission();

  const submit: JSX.EventHandler<HTMLFormElement, SubmitEvent> = (event) => {
    event.preventDefault();
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
        submission.setStatus(answer.message);
        props.onSuccess?.(answer.message);
      },
    );
  };

  return (
    <form class="yauth-form" onSubmit={submit}>
      <div class="yauth-field">
        <label for={`${id}-email`}>Email</label>
        <input
          id={`${id}-email`}
          name="email"
          type="email"
          autocomplete="email"
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
          autocomplete="new-password"
          required
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </div>
      <div class="yauth-field">
        <label for={`${id}-name`}>Display name</label>
        <input
          id={`${id}-name`}
          name="display_name"
          type="text"
          autocomplete="nickname"
          value={displayName()}
          onInput={(e) => setDisplayName(e.currentTarget.value)}
        />
      </div>
      <Alert message={submission.error()} />
      <Status message={submission.status()} />
      <button type="submit" disabled={submission.pending()}>
        Create account
      </button>
    </form>
  );
}
