import type { YAuthClient } from "@yauth/client";
import { createSignal, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { EmailField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
import { createSubmission, succeed } from "./submission.js";

export interface EmailFormProps {
  /** The submit button's text. */
  button: string;
  /** The call that takes the address. */
  send: (client: YAuthClient, body: { email: string }) => Promise<{ message: string }>;
  /** The call was taken; `message` is the server's. */
  onSuccess?: (message: string) => void;
}

/**
 * A form with one Email field (the address trimmed) that sends it with `send`, and shows the
 * server's message as its confirmation: what `ForgotPasswordForm` and `MagicLinkForm` are.
 */
export function EmailForm(props: EmailFormProps): JSX.Element {
  const { client } = useYAuth();
  const [email, setEmail] = createSignal("");
  const submission = createSubmission();

  const submit = () =>
    void submission.run(
      () => props.send(client, { email: email().trim() }),
      (answer) => succeed(submission, answer.message, props.onSuccess),
    );

  return (
    <SubmitForm submission={submission} onSubmit={submit} button={props.button}>
      <EmailField value={email()} onInput={setEmail} />
    </SubmitForm>
  );
}
