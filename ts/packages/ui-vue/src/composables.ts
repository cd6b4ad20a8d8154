import type { AuthUser, Body, Json } from "@yauth/client";
import { type ComputedRef, computed, type Ref } from "vue";
import { isMfaRequired, type SignInAnswer, useAction } from "./internal.js";
import { useYAuthState } from "./plugin.js";

/** What {@link useAuth} gives. */
export interface UseAuth {
  /** The signed-in user, or `null`. */
  readonly user: Readonly<Ref<AuthUser | null>>;
  /** Whether the session is being fetched. */
  readonly loading: Readonly<Ref<boolean>>;
  /** The last failure's message (the server's, for a `YAuthError`), or `null`. */
  readonly error: Readonly<Ref<string | null>>;
  /** Whether one of the calls below is under way. */
  readonly submitting: Readonly<Ref<boolean>>;
  /**
   * Signs in with email and password. Resolves with the server's answer: the user (the session
   * is then refetched), or `{ mfa_required, pending_session_id }` for the second factor.
   */
  login(body: Body<"emailPasswordLogin">): Promise<SignInAnswer>;
  /** Creates an account; resolves with the server's `{ message }`. */
  register(body: Body<"emailPasswordRegister">): Promise<Json<"emailPasswordRegister", 201>>;
  /** Signs out (a session already ended counts as success). */
  logout(): Promise<void>;
  /** Mails a password-reset link. */
  forgotPassword(body: Body<"emailPasswordForgotPassword">): Promise<Json<"emailPasswordForgotPassword", 200>>;
  /** Sets a new password with the mailed token. */
  resetPassword(body: Body<"emailPasswordResetPassword">): Promise<Json<"emailPasswordResetPassword", 200>>;
  /** Changes the signed-in user's password. */
  changePassword(body: Body<"emailPasswordChangePassword">): Promise<Json<"emailPasswordChangePassword", 200>>;
}

/**
 * The email-and-password flows with their state. Each call clears `error`, sets `submitting`
 * while it runs, and on failure sets `error` and rejects with the same error.
 */
export function useAuth(): UseAuth {
  const state = useYAuthState();
  const { client } = state;
  const action = useAction();
  return {
    user: state.user,
    loading: state.loading,
    error: action.error,
    submitting: action.submitting,
    login: (body) =>
      action.run(async () => {
        const answer = await client.emailPassword.login(body);
        if (!isMfaRequired(answer)) await state.refetch();
        return answer;
      }),
    register: (body) => action.run(() => client.emailPassword.register(body)),
    logout: () => action.run(() => state.signOut()),
    forgotPassword: (body) => action.run(() => client.emailPassword.forgotPassword(body)),
    resetPassword: (body) => action.run(() => client.emailPassword.resetPassword(body)),
    changePassword: (body) => action.run(() => client.emailPassword.changePassword(body)),
  };
}

/** What {@link useSession} gives. */
export interface UseSession {
  readonly user: ComputedRef<AuthUser | null>;
  readonly loading: ComputedRef<boolean>;
  readonly isAuthenticated: ComputedRef<boolean>;
  readonly isEmailVerified: ComputedRef<boolean>;
  /** Signs out (a session already ended counts as success); rejects when the server cannot be reached. */
  logout(): Promise<void>;
}

/** The session, read-only: who is signed in, and whether their email is verified. */
export function useSession(): UseSession {
  const state = useYAuthState();
  return {
    user: computed(() => state.user.value),
    loading: computed(() => state.loading.value),
    isAuthenticated: computed(() => state.user.value !== null),
    isEmailVerified: computed(() => state.user.value?.email_verified === true),
    logout: () => state.signOut(),
  };
}
