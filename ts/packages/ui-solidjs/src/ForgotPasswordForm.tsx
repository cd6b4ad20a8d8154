import { createSignal, createUniqueId, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert, Status } from "./feedback.jsx";
import { createSubmission } from "./submission.js";

export interface ForgotPasswordFormProps {
  /** The request was taken; `message` is the server's (the same whether the account exists). */
  onSuccess?: (message: string) => void;
}

/** Asks for a password-reset link by email. */
export function ForgotPasswordForm(props: ForgotPasswordFormProps): JSX.Element {
  const { client } = useYAuth();
  const id = createUniqueId();
  const [email, setEmail] = createSignal("");
  const submission = createSubmission();

  const submit: JSX.EventHandler<HTMLFormElement, SubmitEvent> = (event) => {
    event.preventDefault();
    void submission.run(
      () => client.emailPassword.forgotPassword({ email: email().trim() }),
      (answer) => {
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
      <Alert message={submission.error()} />
      <Status message={submission.status()} />
      <button type="submit" disabled={submission.pending()}>
        Send reset link
      </button>
    </form>
  );
}
