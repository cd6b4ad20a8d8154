import { createSignal, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { TokenButton } from "./form.jsx";
import { createSignIn, createSubmission } from "./submission.js";

export interface MagicLinkVerifyProps {
  /** The token of the mailed link. */
  token: string;
  /** Signed in (the session is fetched again first). */
  onSuccess?: () => void;
  /** A second factor is needed: pass the id to `MfaChallenge`. */
  onMfaRequired?: (pendingSessionId: string) => void;
}

/**
 * Signs in with a magic link's token when the user presses "Sign in", never on its own: mail
 * scanners open links before people do, and the token works once.
 */
export function MagicLinkVerify(props: MagicLinkVerifyProps): JSX.Element {
  const { client } = useYAuth();
  const [done, setDone] = createSignal(false);
  const submission = createSubmission();
  const signIn = createSignIn(submission, props);

  return (
    <TokenButton
      token={props.token}
      missing="This link has no sign-in token: open the link from your email again."
      onPress={() =>
        void signIn(
          () => client.magicLink.verify({ token: props.token }),
          () => setDone(true),
        )
      }
      submission={submission}
      done={done()}
      class="yauth-magic-link"
      prompt="Press the button to finish signing in."
      button="Sign in"
    />
  );
}
