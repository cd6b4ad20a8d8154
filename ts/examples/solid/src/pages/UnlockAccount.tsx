import { A } from "@solidjs/router";
import { errorMessage, useYAuth } from "@yauth/ui-solidjs";
import { createSignal, Show } from "solid-js";
import { takeQueryParam } from "../signIn.js";

/**
 * The mailed unlock link's page. It unlocks when the user presses the button, never on its own:
 * mail scanners open links before people do, and the token works once.
 */
export function UnlockAccountPage() {
  const { client } = useYAuth();
  // Kept here, and taken out of the address bar.
  const token = takeQueryParam("token");
  const [pending, setPending] = createSignal(false);
  const [done, setDone] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [status, setStatus] = createSignal<string>();

  const unlock = async () => {
    if (pending() || done()) return;
    setError(undefined);
    setPending(true);
    try {
      const answer = await client.accountLockout.unlock({ token });
      setStatus(answer.message);
      setDone(true);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPending(false);
    }
  };

  return (
    <section>
      <h1>Unlock your account</h1>
      <Show
        when={token}
        fallback={
          <p>
            This link has no token: open the link from the mail again. <A href="/login">Sign in</A>
          </p>
        }
      >
        <p>Press the button to unlock your account.</p>
        <Show when={error()}>{(message) => <p role="alert">{message()}</p>}</Show>
        <Show when={status()}>{(message) => <p role="status">{message()}</p>}</Show>
        <button type="button" disabled={pending() || done()} onClick={() => void unlock()}>
          Unlock account
        </button>
        <Show when={done()}>
          <p>
            <A href="/login">Continue to sign-in</A>
          </p>
        </Show>
      </Show>
    </section>
  );
}
