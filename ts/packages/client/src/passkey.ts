// The WebAuthn ceremonies in the browser: the server's JSON options (base64url fields, as
// webauthn-rs writes them) to `navigator.credentials` through @simplewebauthn/browser, and
// the credential back as the JSON the server reads.
import {
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from "@simplewebauthn/browser";
import type { Body, CallOptions, Json } from "./types.js";

/** The generated passkey operations the ceremonies are made of. */
export interface PasskeyOperations {
  registerBegin(options?: CallOptions): Promise<Json<"passkeyRegisterBegin", 200>>;
  registerFinish(
    body: Body<"passkeyRegisterFinish">,
    options?: CallOptions,
  ): Promise<Json<"passkeyRegisterFinish", 201>>;
  loginBegin(body: Body<"passkeyLoginBegin">, options?: CallOptions): Promise<Json<"passkeyLoginBegin", 200>>;
  loginFinish(body: Body<"passkeyLoginFinish">, options?: CallOptions): Promise<Json<"passkeyLoginFinish", 200>>;
}

/** The whole ceremonies, on `auth.passkey` beside the generated operations. */
export interface PasskeyCeremonies {
  /**
   * Registers a passkey for the signed-in user: asks the server for options, lets the
   * browser create the credential (the user touches their authenticator), and stores it
   * under `name`. Rejects with the browser's `NotAllowedError` when the user cancels.
   */
  register(name: string, options?: CallOptions): Promise<Json<"passkeyRegisterFinish", 201>>;
  /**
   * Signs in with a passkey. Without `email`, the browser offers every passkey it holds for
   * this site (a discoverable credential). Answers like a password login: a session, or
   * `{ mfa_required, pending_session_id }`.
   */
  login(email?: string, options?: CallOptions): Promise<Json<"passkeyLoginFinish", 200>>;
}

/** webauthn-rs wraps the options in `{ publicKey }`. */
function publicKey<T>(options: Record<string, unknown>): T {
  const inner = options.publicKey;
  return (inner && typeof inner === "object" ? inner : options) as T;
}

export function passkeyCeremonies(ops: PasskeyOperations): PasskeyCeremonies {
  return {
    async register(name, options) {
      const begun = await ops.registerBegin(options);
      const credential = await startRegistration({
        optionsJSON: publicKey<PublicKeyCredentialCreationOptionsJSON>(begun.options),
      });
      const { clientExtensionResults, ...rest } = credential;
      return ops.registerFinish(
        { challenge_id: begun.challenge_id, name, credential: { ...rest, extensions: clientExtensionResults } },
        options,
      );
    },
    async login(email, options) {
      const begun = await ops.loginBegin(email ? { email } : {}, options);
      const credential = await startAuthentication({
        optionsJSON: publicKey<PublicKeyCredentialRequestOptionsJSON>(begun.options),
      });
      const { clientExtensionResults, ...rest } = credential;
      return ops.loginFinish(
        { challenge_id: begun.challenge_id, credential: { ...rest, extensions: clientExtensionResults } },
        options,
      );
    },
  };
}
