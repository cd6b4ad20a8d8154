import { A } from "@solidjs/router";
import { errorMessage, useYAuth } from "@yauth/ui-solidjs";
import { createSignal, Show } from "solid-js";

export function HomePage() {
  const { client, user, loading, error, refetch } = useYAuth();
  const [signOutError, setSignOutError] = createSignal<string>();
  const [signingOut, setSigningOut] = createSignal(false);

  const signOut = async () => {
    setSignOutError(undefined);
    setSigningOut(true);
    try {
      await client.logout();
    } catch (e) {
      setSignOutError(errorMessage(e));
    }
    await refetch();
    setSigningOut(false);
  };

  return (
    <section>
      <h1>yauth · Solid example</h1>
      <Show when={error()}>{(message) => <p role="alert">{message()}</p>}</Show>
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
            <Show when={signOutError()}>{(message) => <p role="alert">{message()}</p>}</Show>
            <button type="button" disabled={signingOut()} onClick={() => void signOut()}>
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
