import { useSearchParams } from "@solidjs/router";
import { useYAuth } from "@yauth/ui-solidjs";
import { createSignal } from "solid-js";
import { Feedback, SignedIn } from "../parts.jsx";
import { createRequest } from "../request.js";
import { firstParam } from "../signIn.js";

/**
 * The OAuth 2 device flow's page (`verification_uri`, or `verification_uri_complete` with
 * `?user_code=`): the signed-in user allows or denies the device showing that code. Nothing
 * is decided on load: a link may carry anyone's code.
 */
export function DevicePage() {
  const { client } = useYAuth();
  const [params] = useSearchParams();
  const [code, setCode] = createSignal(firstParam(params.user_code) ?? "");
  // The code last decided: its buttons stay disabled (a code is decided once).
  const [decided, setDecided] = createSignal<string>();
  const request = createRequest();

  const decide = (approved: boolean) => {
    const userCode = code().trim();
    if (request.pending()) return;
    if (!userCode) {
      request.setStatus(undefined);
      request.setError("Enter the code your device shows.");
      return;
    }
    void request.run(async () => {
      const answer = await client.oauth2Server.deviceDecide({ user_code: userCode, approved });
      setDecided(userCode);
      request.setStatus(
        answer.status === "approved"
          ? "The device is allowed: go back to it to continue."
          : "The device is denied: it gets no access to your account.",
      );
    });
  };

  const disabled = () => request.pending() || decided() === code().trim();

  return (
    <SignedIn>
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
          <Feedback error={request.error()} status={request.status()} />
          <div class="yauth-actions">
            <button type="button" disabled={disabled()} onClick={() => decide(true)}>
              Allow
            </button>
            <button type="button" disabled={disabled()} onClick={() => decide(false)}>
              Deny
            </button>
          </div>
        </section>
      )}
    </SignedIn>
  );
}
