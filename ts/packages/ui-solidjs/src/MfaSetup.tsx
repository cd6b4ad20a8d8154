import { createMemo, createSignal, createUniqueId, For, type JSX, Match, Switch } from "solid-js";
import { renderSVG } from "uqr";
import { useYAuth } from "./context.jsx";
import { Alert, Status } from "./feedback.jsx";
import { CodeField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
import { createSubmission } from "./submission.js";

export interface MfaSetupProps {
  /** Two-factor authentication is on (the backup codes are on screen). */
  onComplete?: () => void;
}

interface Setup {
  secret: string;
  otpauth_url: string;
  backup_codes: string[];
}

/**
 * Turns on two-factor authentication: a new secret (as a QR code, as text and as its
 * `otpauth://` URL), a code from the authenticator app to confirm it, then the backup codes.
 */
export function MfaSetup(props: MfaSetupProps): JSX.Element {
  const { client } = useYAuth();
  const id = createUniqueId();
  const [setup, setSetup] = createSignal<Setup>();
  const [enabled, setEnabled] = createSignal(false);
  const [code, setCode] = createSignal("");
  const submission = createSubmission();
  // uqr draws the SVG from the code's modules alone: no text of ours goes into the markup.
  const qrCode = createMemo(() => {
    const url = setup()?.otpauth_url;
    return url ? renderSVG(url, { pixelSize: 4 }) : "";
  });

  const start = () =>
    void submission.run(
      () => client.mfa.totpSetup(),
      (answer) => setSetup(answer),
    );

  const confirm = () =>
    void submission.run(
      () => client.mfa.totpConfirm({ code: code().replace(/\s+/g, "") }),
      (answer) => {
        setCode("");
        setEnabled(true);
        submission.setStatus(answer.message);
        props.onComplete?.();
      },
    );

  return (
    <div class="yauth-mfa-setup">
      <Switch>
        <Match when={!setup()}>
          <p>Sign in with a code from an authenticator app as well as your password.</p>
          <Alert message={submission.error()} />
          <button type="button" disabled={submission.pending()} onClick={start}>
            Set up two-factor authentication
          </button>
        </Match>
        <Match when={!enabled() && setup()}>
          {(current) => (
            <SubmitForm submission={submission} onSubmit={confirm} button="Enable">
              <p>Scan this QR code with your authenticator app, or enter the secret by hand.</p>
              <div role="img" aria-label="QR code for your authenticator app" class="yauth-qr" innerHTML={qrCode()} />
              <dl class="yauth-secret">
                <dt>Secret</dt>
                <dd>
                  <code>{current().secret}</code>
                </dd>
                <dt>Setup URL</dt>
                <dd>
                  <code>{current().otpauth_url}</code>
                </dd>
              </dl>
              <CodeField inputmode="numeric" value={code()} onInput={setCode} />
            </SubmitForm>
          )}
        </Match>
        <Match when={enabled() && setup()}>
          {(current) => (
            <section class="yauth-backup-codes" aria-labelledby={`${id}-backup`}>
              <Status message={submission.status()} />
              <h3 id={`${id}-backup`}>Backup codes</h3>
              <p>
                Keep these somewhere safe. Each one signs you in once if you lose your authenticator; they are not shown
                again.
              </p>
              <ul>
                <For each={current().backup_codes}>
                  {(backupCode) => (
                    <li>
                      <code>{backupCode}</code>
                    </li>
                  )}
                </For>
              </ul>
            </section>
          )}
        </Match>
      </Switch>
    </div>
  );
}
