import { createSignal, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { TokenButton } from "./form.jsx";
import { createSubmission, succeed } from "./submission.js";

export interface VerifyEmailProps {
  /** The token of the mailed link. */
  token: string;
  /** The address is verified; `message` is the server's. */
  onSuccess?: (message: string) => void;
}

/**
 * Verifies an email address when the user presses "Verify", never on its own: mail scanners
 * open links before people do, and the token works once.
 */
export function VerifyEmail(props: VerifyEmailProps): JSX.Element {
  const { client, user, refetch } = useYAuth();
  const [done, setDone] = createSignal(false);
  const submission = createSubmission();

  const verify = () =>
    void submission.run(
      async () => {
        const answer = await client.emailPassword.verifyEmail({ token: props.token });
        // A signed-in user's `email_verified` has just changed.
        if (user()) await refetch();
        return answer;
      },
      (answer) => {
        setDone(true);
        succeed(submission, answer.message, props.onSuccess);
      },
    );

  return (
    <TokenButton
      token={props.token}
      missing="This link has no verification token: open the link from your email again."
      onPress={verify}
      submission={submission}
      done={done()}
      class="yauth-verify"
      prompt="Press the button to confirm your email address."
      button="Verify"
    />
  );
}
