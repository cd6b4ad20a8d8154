/**
 * SolidJS components for yauth: `<YAuthProvider>` and `useYAuth()`, and the forms of every
 * flow (sign-in, registration, passwords, MFA, passkeys, OAuth, magic links, profile) and the
 * OAuth 2 consent screen; `createDecisionGuard()`, which keeps an "Allow" button off until the
 * page has been in front for a moment (the consent screen's, and a device page's); and
 * `takeOAuthMfaRedirect()`, which takes a provider's answer that asks for a second factor out of
 * the URL at startup. Their labels and button names are part of the API: see the workspace
 * README.
 *
 * @module
 */

// Framework-free, from the client: the OAuth MFA redirect marker and the decision pages' guards.
export {
  DECISION_DELAY_MS,
  isFramed,
  markOAuthPending,
  OAUTH_PENDING_KEY,
  OAUTH_PENDING_MAX_AGE_MS,
  takeOAuthMfaRedirect,
} from "@yauth/client";
export { ChangePasswordForm, type ChangePasswordFormProps } from "./ChangePasswordForm.jsx";
export { ConsentScreen, type ConsentScreenProps } from "./ConsentScreen.jsx";
export { useYAuth, type YAuthContextValue, YAuthProvider, type YAuthProviderProps } from "./context.jsx";
export { createDecisionGuard, type DecisionGuard } from "./decisionGuard.js";
export { errorMessage, NETWORK_MESSAGE, passkeyErrorMessage } from "./errors.js";
export { ForgotPasswordForm, type ForgotPasswordFormProps } from "./ForgotPasswordForm.jsx";
export { LoginForm, type LoginFormProps } from "./LoginForm.jsx";
export { MagicLinkForm, type MagicLinkFormProps } from "./MagicLinkForm.jsx";
export { MagicLinkVerify, type MagicLinkVerifyProps } from "./MagicLinkVerify.jsx";
export { MfaChallenge, type MfaChallengeProps } from "./MfaChallenge.jsx";
export { MfaSetup, type MfaSetupProps } from "./MfaSetup.jsx";
export { OAuthButtons, type OAuthButtonsProps } from "./OAuthButtons.jsx";
export { PasskeyButton, type PasskeyButtonProps } from "./PasskeyButton.jsx";
export { ProfileSettings, type ProfileSettingsProps } from "./ProfileSettings.jsx";
export { RegisterForm, type RegisterFormProps } from "./RegisterForm.jsx";
export { ResetPasswordForm, type ResetPasswordFormProps } from "./ResetPasswordForm.jsx";
export { VerifyEmail, type VerifyEmailProps } from "./VerifyEmail.jsx";
