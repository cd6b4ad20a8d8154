import type { Body } from "@yauth/client";
import { createSignal, createUniqueId, For, type JSX, Show } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert } from "./feedback.jsx";
import { createSubmission } from "./submission.js";

export interface ConsentScreenProps {
  /** The authorization request the server sent the browser here with (default: the page's query). */
  request?: URLSearchParams;
  /**
   * Where to send the browser after the decision (default: `location.assign(redirectTo)`).
   * Called only with an `http:` or `https:` address; any other answer shows an alert instead.
   */
  onDecision?: (redirectTo: string) => void;
}

/** The fields of the authorization request that `POST /oauth/authorize` takes back. */
const REQUEST_FIELDS = [
  "client_id",
  "redirect_uri",
  "response_type",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
] as const;

/** What the standard scopes let a client do, in words. */
const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: "confirm who you are",
  profile: "see your display name",
  email: "see your email address",
  offline_access: "keep access while you are away",
};

const NO_CLIENT = "This authorization request is incomplete: it names no client.";
const FRAMED = "This page cannot be used inside a frame.";
const BAD_REDIRECT_URI = "This authorization request's redirect URI is not a web address: it cannot be answered here.";
const BAD_REDIRECT_TO = "The server's answer is not a web address, so this page will not go there.";

/** `raw` as a URL when it is an absolute `http:` or `https:` one, else `undefined`. */
function webAddress(raw: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
}

/** Whether this page is shown inside a frame, where another site could overlay the buttons. */
function isFramed(): boolean {
  try {
    return window.top !== window.self;
  } catch {
    return true;
  }
}

/**
 * The OAuth 2 consent page: which client asks for which scopes, where the answer will send the
 * browser (the host of `redirect_uri`, which the decision carries and the server checks is
 * registered for the client), who is signed in, and "Allow" / "Deny". The decision is posted
 * with the request's own fields, and the browser goes where the server answers (the client's
 * redirect URI, with a code or `error=access_denied`) when that is an `http(s)` address.
 *
 * Inside a frame, or for a request without `client_id` or with a `redirect_uri` that is not an
 * `http(s)` URL, it shows an alert and no buttons. The buttons wait for the session to be known.
 */
export function ConsentScreen(props: ConsentScreenProps): JSX.Element {
  const { client, user, loading } = useYAuth();
  const id = createUniqueId();
  const request = props.request ?? new URLSearchParams(window.location.search);
  const clientId = request.get("client_id") ?? "";
  const scopes = (request.get("scope") ?? "").split(" ").filter((scope) => scope !== "");
  const redirectUri = request.get("redirect_uri");
  // Without `redirect_uri` the server answers to the client's only registered one.
  const destination = redirectUri === null ? undefined : webAddress(redirectUri)?.host;
  const problem = !clientId
    ? NO_CLIENT
    : isFramed()
      ? FRAMED
      : redirectUri !== null && destination === undefined
        ? BAD_REDIRECT_URI
        : undefined;
  const [decided, setDecided] = createSignal(false);
  const submission = createSubmission();

  const decide = (approved: boolean) => {
    const body: Record<string, string | boolean> = {};
    for (const field of REQUEST_FIELDS) {
      const value = request.get(field);
      if (value !== null) body[field] = value;
    }
    body.approved = approved;
    void submission.run(
      // Only the fields the request had: the server checks them as they came.
      () => client.oauth2Server.consent(body as unknown as Body<"oauth2Consent">),
      (answer) => {
        // Decided either way: the server has recorded it.
        setDecided(true);
        if (webAddress(answer.redirect_to) === undefined) {
          submission.setError(BAD_REDIRECT_TO);
          return;
        }
        if (props.onDecision) props.onDecision(answer.redirect_to);
        else window.location.assign(answer.redirect_to);
      },
    );
  };

  return (
    <Show
      when={!problem}
      fallback={
        <p role="alert" class="yauth-alert">
          {problem}
        </p>
      }
    >
      <div class="yauth-consent">
        <p>
          The application <strong>{clientId}</strong> asks to access your account.
        </p>
        <Show when={scopes.length > 0} fallback={<p>It asks for no particular permissions.</p>}>
          <p id={`${id}-scopes`}>It asks to:</p>
          <ul aria-labelledby={`${id}-scopes`}>
            <For each={scopes}>
              {(scope) => (
                <li>
                  <code>{scope}</code>
                  <Show when={SCOPE_DESCRIPTIONS[scope]}>{(description) => <span>: {description()}</span>}</Show>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={destination}>{(host) => <p class="yauth-destination">You will be sent to {host()}</p>}</Show>
        <Show when={user()}>{(account) => <p class="yauth-account">Signed in as {account().email}</p>}</Show>
        <Alert message={submission.error()} />
        <div class="yauth-actions">
          <button type="button" disabled={loading() || submission.pending() || decided()} onClick={() => decide(true)}>
            Allow
          </button>
          <button type="button" disabled={loading() || submission.pending() || decided()} onClick={() => decide(false)}>
            Deny
          </button>
        </div>
      </div>
    </Show>
  );
}
