import type { Body } from "@yauth/client";
import { createSignal, createUniqueId, For, type JSX, Show } from "solid-js";
import { useYAuth } from "./context.jsx";
import { Alert } from "./feedback.jsx";
import { createSubmission } from "./submission.js";

export interface ConsentScreenProps {
  /** The authorization request the server sent the browser here with (default: the page's query). */
  request?: URLSearchParams;
  /** Where to send the browser after the decision (default: `location.assign(redirectTo)`). */
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

/**
 * The OAuth 2 consent page: which client asks for which scopes, and "Allow" / "Deny". The
 * decision is posted with the request's own fields, and the browser goes where the server
 * answers (the client's redirect URI, with a code or `error=access_denied`).
 */
export function ConsentScreen(props: ConsentScreenProps): JSX.Element {
  const { client } = useYAuth();
  const id = createUniqueId();
  const request = props.request ?? new URLSearchParams(window.location.search);
  const clientId = request.get("client_id") ?? "";
  const scopes = (request.get("scope") ?? "").split(" ").filter((scope) => scope !== "");
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
        setDecided(true);
        if (props.onDecision) props.onDecision(answer.redirect_to);
        else window.location.assign(answer.redirect_to);
      },
    );
  };

  return (
    <Show
      when={clientId}
      fallback={
        <p role="alert" class="yauth-alert">
          This authorization request is incomplete: it names no client.
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
        <Alert message={submission.error()} />
        <div class="yauth-actions">
          <button type="button" disabled={submission.pending() || decided()} onClick={() => decide(true)}>
            Allow
          </button>
          <button type="button" disabled={submission.pending() || decided()} onClick={() => decide(false)}>
            Deny
          </button>
        </div>
      </div>
    </Show>
  );
}
