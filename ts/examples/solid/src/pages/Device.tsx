import { useSearchParams } from "@solidjs/router";
import type { Json } from "@yauth/client";
import { createDecisionGuard, errorMessage, isFramed, useYAuth } from "@yauth/ui-solidjs";
import { createSignal, For, type JSX, Match, Show, Switch } from "solid-js";
import { Feedback, SignedIn } from "../parts.jsx";
import { createRequest } from "../request.js";
import { firstParam } from "../signIn.js";

/** What the server says of a code before the user decides: the client and its scopes. */
type PendingDevice = Json<"oauth2DeviceLookup", 200>;

/** The last look-up of a code: under way, answered, or refused (the server's message). */
type Lookup =
  | { code: string; state: "pending" }
  | { code: string; state: "found"; device: PendingDevice }
  | { code: string; state: "failed"; message: string };

/**
 * The OAuth 2 device flow's page (`verification_uri`, or `verification_uri_complete` with
 * `?user_code=`): the signed-in user allows or denies the device showing that code. Nothing is
 * decided on load: a link may carry anyone's code. A code from the link is looked up at once,
 * a typed one with "Check code"; only then do Allow and Deny show, under the client's name and
 * the scopes it asks for, and they are enabled once the page has been in front for a moment.
 */
export function DevicePage(): JSX.Element {
  return (
    <section>
      <h1>Connect a device</h1>
      <Show when={!isFramed()} fallback={<p role="alert">This page cannot be used inside a frame.</p>}>
        <SignedIn>{(signedIn) => <DeviceDecision email={signedIn().email} />}</SignedIn>
      </Show>
    </section>
  );
}

function DeviceDecision(props: { email: string }): JSX.Element {
  const { client } = useYAuth();
  const [params] = useSearchParams();
  // The code the link came with, if any: looked up at once, and warned about.
  const fromLink = (firstParam(params.user_code) ?? "").trim();
  const [code, setCode] = createSignal(fromLink);
  const [lookup, setLookup] = createSignal<Lookup>();
  // The code last decided: its buttons stay disabled (a code is decided once).
  const [decided, setDecided] = createSignal<string>();
  const request = createRequest();
  // Allow and Deny wait for the page to have been in front for a moment (double-click-jacking).
  const guard = createDecisionGuard();
  // Only the newest look-up may write: an older answer arriving late must not win.
  let latest = 0;

  /** The look-up of the code in the field, once it is no longer being typed over. */
  const current = () => {
    const last = lookup();
    return last?.code === code().trim() ? last : undefined;
  };
  const found = () => {
    const last = current();
    return last?.state === "found" ? last : undefined;
  };
  const failed = () => {
    const last = current();
    return last?.state === "failed" ? last : undefined;
  };

  const lookUp = async () => {
    const userCode = code().trim();
    const mine = ++latest;
    request.setError(undefined);
    request.setStatus(undefined);
    if (!userCode) {
      setLookup({ code: userCode, state: "failed", message: "Enter the code your device shows." });
      return;
    }
    setLookup({ code: userCode, state: "pending" });
    try {
      const device = await client.oauth2Server.deviceLookup({ user_code: userCode });
      if (mine !== latest) return;
      setLookup({ code: userCode, state: "found", device });
      // The buttons just appeared: a click meant for what was there before must not land on them.
      guard.restart();
    } catch (e) {
      if (mine === latest) setLookup({ code: userCode, state: "failed", message: errorMessage(e) });
    }
  };

  const decide = (approved: boolean) => {
    const asking = found();
    if (!asking || request.pending() || !guard.ready() || decided() === asking.code) return;
    void request.run(async () => {
      const answer = await client.oauth2Server.deviceDecide({ user_code: asking.code, approved });
      setDecided(asking.code);
      request.setStatus(
        answer.status === "approved"
          ? "The device is allowed: go back to it to continue."
          : "The device is denied: it gets no access to your account.",
      );
    });
  };

  const disabled = () => request.pending() || !guard.ready() || decided() === found()?.code;

  if (fromLink) void lookUp();

  return (
    <>
      <p>Your account: {props.email}</p>
      <p>Check that the code below is the one your device shows, then allow or deny it.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void lookUp();
        }}
      >
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
        <button type="submit" disabled={current()?.state === "pending"}>
          Check code
        </button>
      </form>
      <Switch>
        <Match when={current()?.state === "pending"}>
          <p>Looking the code up…</p>
        </Match>
        <Match when={failed()}>{(refused) => <p role="alert">{refused().message}</p>}</Match>
        <Match when={found()}>
          {(asking) => (
            <div class="yauth-device">
              <Show
                when={asking().device.scopes.length > 0}
                fallback={
                  <p>
                    {asking().device.client_name ?? "An unnamed application"} ({asking().device.client_id}) asks to
                    access your account.
                  </p>
                }
              >
                <p id="device-scopes">
                  {asking().device.client_name ?? "An unnamed application"} ({asking().device.client_id}) asks to:
                </p>
                <ul aria-labelledby="device-scopes">
                  <For each={asking().device.scopes}>
                    {(scope) => (
                      <li>
                        <code>{scope}</code>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
              <Show when={fromLink && asking().code === fromLink}>
                <p class="yauth-warning">
                  Only allow this if you started signing in on a device in front of you just now.
                </p>
              </Show>
              <Feedback error={request.error()} status={request.status()} />
              <div class="yauth-actions">
                <button type="button" disabled={disabled()} onClick={() => decide(true)}>
                  Allow
                </button>
                <button type="button" disabled={disabled()} onClick={() => decide(false)}>
                  Deny
                </button>
              </div>
            </div>
          )}
        </Match>
      </Switch>
    </>
  );
}
