import type { Body } from "@yauth/client";
import { isFramed } from "@yauth/client";
import { createSignal, createUniqueId, For, type JSX, Show } from "solid-js";
import { useYAuth } from "./context.jsx";
import { createDecisionGuard } from "./decisionGuard.js";
import { Alert } from "./feedback.jsx";
import { createSubmission } from "./submission.js";

export interface ConsentScreenProps {
  /** The authorization request the server sent the browser here with (default: the page's query). */
  request?: URLSearchParams;
  /**
   * Where to send the browser after the decision (default: `location.assign(redirectTo)`).
   * Called only with an `http:` or `https:` address of the same origin as the request's
   * `redirect_uri`; any other answer shows an alert instead.
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
const NO_REDIRECT_URI = "This authorization request is incomplete: it names no redirect URI.";
const REPEATED = "This authorization request names a parameter more than once: it cannot be answered here.";
const FRAMED = "This page cannot be used inside a frame.";
const BAD_REDIRECT_URI = "This authorization request's redirect URI is not a web address: it cannot be answered here.";
const BAD_REDIRECT_TO = "The server's answer is not a web address, so this page will not go there.";
const OTHER_ORIGIN = "The server's answer leads to another site than the redirect URI, so this page will not go there.";

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

/**
 * The OAuth 2 consent page: which client asks for which scopes, where the answer will send the
 * browser (the host of `redirect_uri`, then its origin and path; the decision carries it and
 * the server checks it is registered for the client), who is signed in, and "Allow" / "Deny".
 * The decision is posted with the request's own fields, and the browser goes where the server
 * answers (the client's redirect URI, with a code or `error=access_denied`) when that is an
 * `http(s)` address of the same origin as `redirect_uri`.
 *
 * It shows an alert and no buttons inside a frame, and for a request without `client_id` or
 * `redirect_uri`, with a `redirect_uri` that is not an `http(s)` URL, or with one of the
 * decision's fields given more than once. The buttons wait for the session to be known, and for
 * the page to have been visible and focused for a moment ({@link createDecisionGuard}).
 */
export function ConsentScreen(props: ConsentScreenProps): JSX.Element {
  const { client, user, loading } = useYAuth();
  const id = createUniqueId();
  const guard = createDecisionGuard();
  const request = props.request ?? new URLSearchParams(window.location.search);
  const clientId = request.get("client_id") ?? "";
  const scopes = (request.get("scope") ?? "").split(" ").filter((scope) => scope !== "");
  const redirectUri = request.get("redirect_uri");
  const destination = redirectUri === null ? undefined : webAddress(redirectUri);
  const repeated = REQUEST_FIELDS.some((field) => request.getAll(field).length > 1);
  const problem = isFramed()
    ? FRAMED
    : repeated
      ? REPEATED
      : !clientId
        ? NO_CLIENT
        : redirectUri === null
          ? NO_REDIRECT_URI
          : destination === undefined
            ? BAD_REDIRECT_URI
            : undefined;
  const [decided, setDecided] = createSignal(false);
  const submission = createSubmission();

  const decide = (approved: boolean) => {
    if (problem || !destination || !guard.ready()) return;
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
        const target = webAddress(answer.redirect_to);
        if (target === undefined) {
          submission.setError(BAD_REDIRECT_TO);
          return;
        }
        if (target.origin !== destination.origin) {
          submission.setError(OTHER_ORIGIN);
          return;
        }
        if (props.onDecision) props.onDecision(answer.redirect_to);
        else window.location.assign(answer.redirect_to);
      },
    );
  };

  const disabled = () => loading() || submission.pending() || decided() || !guard.ready();

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
        <Show when={destination}>
          {(url) => (
            <>
              <p class="yauth-destination">You will be sent to {url().host}</p>
              <p class="yauth-destination-url">
                <code>{`${url().origin}${url().pathname}`}</code>
              </p>
            </>
          )}
        </Show>
        <Show when={user()}>{(account) => <p class="yauth-account">Signed in as {account().email}</p>}</Show>
        <Alert message={submission.error()} />
        <div class="yauth-actions">
          <button type="button" disabled={disabled()} onClick={() => decide(true)}>
            Allow
          </button>
          <button type="button" disabled={disabled()} onClick={() => decide(false)}>
            Deny
          </button>
        </div>
      </div>
    </Show>
  );
}
