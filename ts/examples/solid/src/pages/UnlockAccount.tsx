import { A } from "@solidjs/router";
import { useYAuth } from "@yauth/ui-solidjs";
import { Show } from "solid-js";
import { Feedback, MailedLinkPage } from "../parts.jsx";
import { createRequest } from "../request.js";

/**
 * The mailed unlock link's page. It unlocks when the user presses the button, never on its own:
 * mail scanners open links before people do, and the token works once.
 */
export function UnlockAccountPage() {
  const { client } = useYAuth();
  const request = createRequest();

  return (
    <MailedLinkPage title="Unlock your account" next={{ href: "/login", text: "Continue to sign-in" }}>
      {(token, finish, done) => (
        <Show
          when={token}
          fallback={
            <p>
              This link has no token: open the link from the mail again. <A href="/login">Sign in</A>
            </p>
          }
        >
          <p>Press the button to unlock your account.</p>
          <Feedback error={request.error()} status={request.status()} />
          <button
            type="button"
            disabled={request.pending() || done()}
            onClick={() =>
              void request.run(async () => {
                const answer = await client.accountLockout.unlock({ token });
                request.setStatus(answer.message);
                finish();
              })
            }
          >
            Unlock account
          </button>
        </Show>
      )}
    </MailedLinkPage>
  );
}
