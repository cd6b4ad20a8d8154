import { A, useNavigate } from "@solidjs/router";
import { MfaChallenge } from "@yauth/ui-solidjs";
import { Show } from "solid-js";
import { finishSignIn, pendingSessionId } from "../signIn.js";

export function MfaPage() {
  const navigate = useNavigate();
  return (
    <section>
      <h1>Two-factor authentication</h1>
      <Show
        when={pendingSessionId()}
        fallback={
          <p>
            No sign-in is waiting for a code. <A href="/login">Sign in</A>
          </p>
        }
      >
        {(pending) => <MfaChallenge pendingSessionId={pending()} onSuccess={() => finishSignIn(navigate)} />}
      </Show>
    </section>
  );
}
