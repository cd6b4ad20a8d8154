import { createSignal, type JSX, Show } from "solid-js";
import { useYAuth } from "./context.jsx";
import { passkeyErrorMessage } from "./errors.js";
import { Alert } from "./feedback.jsx";
import { TextField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
import { createSignIn, createSubmission } from "./submission.js";

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
  const { client } = useYAuth();
  const [name, setName] = createSignal("");
  const submission = createSubmission();
  const runSignIn = createSignIn(submission, props);

  const signIn = () =>
    runSignIn(() => client.passkey.login(props.email?.trim() || undefined), undefined, passkeyErrorMessage);

  const register = () => {
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
      <SubmitForm
        submission={submission}
        onSubmit={register}
        button="Register a passkey"
        class="yauth-form yauth-passkey"
      >
        <TextField
          label="Passkey name"
          name="passkey-name"
          autocomplete="off"
          required
          maxlength={64}
          placeholder="Laptop, phone, security key…"
          value={name()}
          onInput={setName}
        />
      </SubmitForm>
    </Show>
  );
}
