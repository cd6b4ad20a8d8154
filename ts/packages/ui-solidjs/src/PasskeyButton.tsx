import { createSignal, createUniqueId, type JSX, Show } from "solid-js";
import { useYAuth } from "./context.jsx";
import { passkeyErrorMessage } from "./errors.js";
import { Alert, Status } from "./feedback.jsx";
import { createSubmission, isMfaRequired } from "./submission.js";

export interface PasskeyButtonProps {
  /** `login`: sign in with a passkey; `register`: add one to the signed-in account. */
  mode: "login" | "register";
  /** For `login`: offer only this account's passkeys (default: any passkey for this site). */
  email?: string;
  /** Signed in (the session is fetched again first), or the passkey was registered. */
  onSuccess?: () => void;
  /** For `login`: a second factor is needed; pass the id to `MfaChallenge`. */
  onMfaRequired?: (pendingSessionId: string) => void;
}

/** A passkey sign-in button, or a form naming and registering a new passkey. */
export function PasskeyButton(props: PasskeyButtonProps): JSX.Element {
  const { client, refetch } = useYAuth();
  const id = createUniqueId();
  const [name, setName] = createSignal("");
  const submission = createSubmission();

  const signIn = () =>
    submission.run(
      async () => {
        const email = props.email?.trim();
        const answer = await client.passkey.login(email || undefined);
        if (isMfaRequired(answer)) return answer.pending_session_id;
        await refetch();
        return undefined;
      },
      (pendingSessionId) => {
        if (pendingSessionId === undefined) props.onSuccess?.();
        else props.onMfaRequired?.(pendingSessionId);
      },
      passkeyErrorMessage,
    );

  const register: JSX.EventHandler<HTMLFormElement, SubmitEvent> = (event) => {
    event.preventDefault();
    const label = name().trim();
    void submission.run(
      () => client.passkey.register(label),
      (passkey) => {
        setName("");
        submission.setStatus(`Passkey “${passkey.name}” registered.`);
        props.onSuccess?.();
      },
      passkeyErrorMessage,
    );
  };

  return (
    <Show
      when={props.mode === "register"}
      fallback={
        <div class="yauth-passkey">
          <button type="button" disabled={submission.pending()} onClick={() => void signIn()}>
            Sign in with a passkey
          </button>
          <Alert message={submission.error()} />
        </div>
      }
    >
      <form class="yauth-form yauth-passkey" onSubmit={register}>
        <div class="yauth-field">
          <label for={`${id}-name`}>Passkey name</label>
          <input
            id={`${id}-name`}
            name="passkey-name"
            type="text"
            autocomplete="off"
            required
            maxlength={64}
            placeholder="Laptop, phone, security key…"
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <Alert message={submission.error()} />
        <Status message={submission.status()} />
        <button type="submit" disabled={submission.pending()}>
          Register a passkey
        </button>
      </form>
    </Show>
  );
}
