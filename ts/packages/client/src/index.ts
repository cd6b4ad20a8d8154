/**
 * The yauth HTTP client. `createYAuthClient({ baseUrl: "/api/auth" })` gives every endpoint
 * of the API as a method named after its OpenAPI tag and operation id
 * (`auth.emailPassword.login({ email, password })`), generated from `openapi.json`.
 *
 * @module
 */
export type { AuthMethod, AuthUser, ErrorBody } from "@yauth/shared";
export { createYAuthClient, type YAuthClient, type YAuthClientOptions } from "./client.js";
export {
  authorizeReturnTo,
  DECISION_DELAY_MS,
  type DecisionTimer,
  isFramed,
  watchDecisionReadiness,
} from "./decision.js";
export { isYAuthError, YAuthError } from "./error.js";
export { type CoreMethods, type Namespaces, operations } from "./generated/operations.js";
export {
  markOAuthPending,
  OAUTH_PENDING_KEY,
  OAUTH_PENDING_MAX_AGE_MS,
  takeOAuthMfaRedirect,
} from "./oauthRedirect.js";
export type { PasskeyCeremonies } from "./passkey.js";
export type { Body, CallOptions, Json, OperationId, PathParams, QueryParams } from "./types.js";
