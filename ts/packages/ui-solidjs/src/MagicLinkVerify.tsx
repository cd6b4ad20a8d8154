import { createSignal, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert } from "./feedback.jsx";
import { createSubmission, isMfaRequired } from "./submission.js";

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
  const { client, refetch } = useYAuth();
  const [done, setDone] = createSignal(false);
  const submission = createSubmission();

  const signIn = () => {
    if (!props.token) {
      submission.setError("This link has no sign-in token: open the link from your email again.");
      return;
    }
    void submission.run(
      async () => {
        const answer = await client.magicLink.verify({ token: props.token });
        if (isMfaRequired(answer)) return answer.pending_session_id;
        await refetch();
        return undefined;
      },
      (pendingSessionId) => {
        setDone(true);
        if (pendingSessionId === undefined) props.onSuccess?.();
        else props.onMfaRequired?.(pendingSessionId);
      },
    );
  };

  return (
    <div class="yauth-magic-link">
      <p>Press the button to finish signing in.</p>
      <Alert message={submission.error()} />
      <button type="button" disabled={submission.pending() || done()} onClick={signIn}>
        Sign in
      </button>
    </div>
  );
}
