import { A } from "@solidjs/router";
import { useYAuth } from "@yauth/ui-solidjs";
import { Show } from "solid-js";
import { Feedback } from "../parts.jsx";
import { createRequest } from "../request.js";

export function HomePage() {
  const { client, user, loading, error, refetch } = useYAuth();
  const signOut = createRequest();

  // The session is fetched again whether the server ended it or not.
  const signOutNow = () =>
    void signOut.run(async () => {
      try {
        await client.logout();
      } finally {
        await refetch();
      }
    });

  return (
    <section>
      <h1>yauth · Solid example</h1>
      <Feedback error={error()} />
      <Show
        when={user()}
        fallback={
          <Show when={!loading()} fallback={<p>Loading…</p>}>
            <p>You are not signed in.</p>
            <ul>
              <li>
                <A href="/login">Sign in</A>
              </li>
              <li>
                <A href="/register">Create an account</A>
              </li>
            </ul>
          </Show>
        }
      >
        {(signedIn) => (
          <>
            <p>Signed in as {signedIn().email}</p>
            <Feedback error={signOut.error()} />
            <button type="button" disabled={signOut.pending()} onClick={signOutNow}>
              Sign out
            </button>
            <p>
              <A href="/settings">Account settings</A>
            </p>
          </>
        )}
      </Show>
    </section>
  );
}
