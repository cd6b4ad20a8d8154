import { createSignal, createUniqueId, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert, Status } from "./feedback.jsx";
import { createSubmission } from "./submission.js";

export interface ChangePasswordFormProps {
  /** The password was changed; `message` is the server's. */
  onSuccess?: (message: string) => void;
}

/** Changes the signed-in user's password. */
export function ChangePasswordForm(props: ChangePasswordFormProps): JSX.Element {
  const { client } = useYAuth();
  const id = createUniqueId();
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const submission = createSubmission();

  const submit: JSX.EventHandler<HTMLFormElement, SubmitEvent> = (event) => {
    event.preventDefault();
    void submission.run(
      () => client.emailPassword.changePassword({ current_password: current(), new_password: next() }),
      (answer) => {
        setCurrent("");
        setNext("");
        submission.setStatus(answer.message);
        props.onSuccess?.(answer.message);
      },
    );
  };

  return (
    <form class="yauth-form" onSubmit={submit}>
      <div class="yauth-field">
        <label for={`${id}-current`}>Current password</label>
        <input
          id={`${id}-current`}
          name="current_password"
          type="password"
          autocomplete="current-password"
          required
          value={current()}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </div>
      <div class="yauth-field">
        <label for={`${id}-new`}>New password</label>
        <input
          id={`${id}-new`}
          name="new_password"
          type="password"
          autocomplete="new-password"
          required
          value={next()}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
      </div>
      <Alert message={submission.error()} />
      <Status message={submission.status()} />
      <button type="submit" disabled={submission.pending()}>
        Change password
      </button>
    </form>
  );
}
