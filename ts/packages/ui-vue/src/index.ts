/**
 * yauth for Vue 3: the plugin (`app.use(YAuthPlugin, { baseUrl: "/api/auth" })`), the
 * composables `useYAuth`, `useAuth` and `useSession`, the components of every flow,
 * `useDecisionGuard()` (keeps an "Allow" button off until the page has been in front for a
 * moment: for a consent or device page), and `takeOAuthMfaRedirect()` (a provider's answer
 * asking for a second factor, taken at startup). The components are render functions with typed
 * props and emits; they carry no styles, only `yauth-*` classes.
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
export { ChangePasswordForm } from "./components/ChangePasswordForm.js";
export { ForgotPasswordForm } from "./components/ForgotPasswordForm.js";
export { LoginForm } from "./components/LoginForm.js";
export { MagicLinkForm } from "./components/MagicLinkForm.js";
export { MagicLinkVerify } from "./components/MagicLinkVerify.js";
export { MfaChallenge } from "./components/MfaChallenge.js";
export { MfaSetup } from "./components/MfaSetup.js";
export { OAuthButtons } from "./components/OAuthButtons.js";
export { PasskeyButton } from "./components/PasskeyButton.js";
export { ProfileSettings } from "./components/ProfileSettings.js";
export { RegisterForm } from "./components/RegisterForm.js";
export { ResetPasswordForm } from "./components/ResetPasswordForm.js";
export { VerifyEmail } from "./components/VerifyEmail.js";
export { ANOTHER_REQUEST, type UseAuth, type UseSession, useAuth, useSession } from "./composables.js";
export { type DecisionGuard, useDecisionGuard } from "./decisionGuard.js";
export { errorMessage, isMfaRequired, type MfaRequiredAnswer, NETWORK_ERROR, type SignInAnswer } from "./internal.js";
export {
  createYAuthState,
  useYAuth,
  type YAuthContext,
  YAuthKey,
  YAuthPlugin,
  type YAuthPluginOptions,
  type YAuthState,
} from "./plugin.js";
