import { Navigate, useSearchParams } from "@solidjs/router";
import { errorMessage, useYAuth } from "@yauth/ui-solidjs";
import { createSignal, Show } from "solid-js";
import { firstParam } from "../signIn.js";

/**
 * The OAuth 2 device flow's page (`verification_uri`, or `verification_uri_complete` with
 * `?user_code=`): the signed-in user allows or denies the device showing that code. Nothing
 * is decided on load: a link may carry anyone's code.
 */
export function DevicePage() {
  const { client, user, loading } = useYAuth();
  const [params] = useSearchParams();
  const [code, setCode] = createSignal(firstParam(params.user_code) ?? "");
  // The code last decided: its buttons stay disabled (a code is decided once).
  const [decided, setDecided] = createSignal<string>();
  const [pending, setPending] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [status, setStatus] = createSignal<string>();

  const decide = async (approved: boolean) => {
    const userCode = code().trim();
    if (pending()) return;
    setError(undefined);
    setStatus(undefined);
    if (!userCode) {
      setError("Enter the code your device shows.");
      return;
    }
    setPending(true);
    try {
      const answer = await client.oauth2Server.deviceDecide({ user_code: userCode, approved });
      setDecided(userCode);
      setStatus(
        answer.status === "approved"
          ? "The device is allowed: go back to it to continue."
          : "The device is denied: it gets no access to your account.",
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPending(false);
    }
  };

  const disabled = () => pending() || decided() === code().trim();

  return (
    <Show
      when={user()}
      fallback={
        <Show when={!loading()} fallback={<p>Loading…</p>}>
          <Navigate href="/login" />
        </Show>
      }
    >
      {(signedIn) => (
        <section>
          <h1>Connect a device</h1>
          <p>Your account: {signedIn().email}</p>
          <p>Check that the code below is the one your device shows, then allow or deny it.</p>
          <div class="yauth-field">
            <label for="device-code">Device code</label>
            <input
              id="device-code"
              name="user_code"
              type="text"
              autocomplete="off"
              autocapitalize="characters"
              spellcheck={false}
              required
              value={code()}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </div>
          <Show when={error()}>{(message) => <p role="alert">{message()}</p>}</Show>
          <Show when={status()}>{(message) => <p role="status">{message()}</p>}</Show>
          <div class="yauth-actions">
            <button type="button" disabled={disabled()} onClick={() => void decide(true)}>
              Allow
            </button>
            <button type="button" disabled={disabled()} onClick={() => void decide(false)}>
              Deny
            </button>
          </div>
        </section>
      )}
    </Show>
  );
}
