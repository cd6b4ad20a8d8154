import type { AuthUser, Body, Json } from "@yauth/client";
import { type ComputedRef, computed, type Ref, shallowRef } from "vue";
import { errorMessage, isMfaRequired, type SignInAnswer } from "./internal.js";
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
  /**
   * Signs out (a session already ended counts as success), once a `login` or `register` under
   * way has settled: a sign-in answered after the sign-out would otherwise sign the user back in.
   */
  logout(): Promise<void>;
  /** Mails a password-reset link. */
  forgotPassword(body: Body<"emailPasswordForgotPassword">): Promise<Json<"emailPasswordForgotPassword", 200>>;
  /** Sets a new password with the mailed token. */
  resetPassword(body: Body<"emailPasswordResetPassword">): Promise<Json<"emailPasswordResetPassword", 200>>;
  /** Changes the signed-in user's password. */
  changePassword(body: Body<"emailPasswordChangePassword">): Promise<Json<"emailPasswordChangePassword", 200>>;
}

type Call = "login" | "register" | "logout" | "forgotPassword" | "resetPassword" | "changePassword";

/** The message (and `error`) of a call refused because another call of its method is under way. */
export const ANOTHER_REQUEST = "Another request is under way.";

/** A call under way: its arguments as JSON (`null` when they could not be written), and its promise. */
interface UnderWay {
  readonly key: string | null;
  readonly promise: Promise<unknown>;
}

/** `args` as JSON, to compare calls; `null` when they cannot be written (then no call equals them). */
function keyOf(args: readonly unknown[]): string | null {
  try {
    return JSON.stringify(args);
  } catch {
    return null;
  }
}

/**
 * The email-and-password flows with their state. Each call clears `error`, sets `submitting`
 * while it runs, and on failure sets `error` and rejects with the same error.
 *
 * Double submits are absorbed: calling a method again, with equal arguments (the same
 * `JSON.stringify`), while its previous call is under way sends nothing and returns **the same
 * promise** as that call. A call of that method with other arguments sends nothing either: it
 * sets `error` to "Another request is under way." ({@link ANOTHER_REQUEST}) and rejects with an
 * `Error` of that message, the call under way going on. Once that call has settled, the next one
 * is sent. Different methods do not wait for each other, except `logout`, which waits for a
 * `login` or `register` under way to settle before it signs out.
 */
export function useAuth(): UseAuth {
  const state = useYAuthState();
  const { client } = state;
  const error = shallowRef<string | null>(null);
  const submitting = shallowRef(false);
  const underWay = new Map<Call, UnderWay>();

  function once<T>(call: Call, args: readonly unknown[], task: () => Promise<T>): Promise<T> {
    const key = keyOf(args);
    const current = underWay.get(call);
    if (current) {
      if (key !== null && key === current.key) return current.promise as Promise<T>;
      error.value = ANOTHER_REQUEST;
      return Promise.reject(new Error(ANOTHER_REQUEST));
    }
    error.value = null;
    const promise = (async () => {
      try {
        return await task();
      } catch (e) {
        error.value = errorMessage(e);
        throw e;
      }
    })();
    underWay.set(call, { key, promise });
    submitting.value = true;
    // Registered before any caller's handlers, so it runs first: `submitting` is already
    // false when an awaiting caller resumes. (Always asynchronous, so after the `set` above.)
    const settle = () => {
      underWay.delete(call);
      submitting.value = underWay.size > 0;
    };
    promise.then(settle, settle);
    return promise;
  }

  return {
    user: state.user,
    loading: state.loading,
    error,
    submitting,
    login: (body) =>
      once("login", [body], async () => {
        const answer = await client.emailPassword.login(body);
        if (!isMfaRequired(answer)) await state.refetch();
        return answer;
      }),
    register: (body) => once("register", [body], () => client.emailPassword.register(body)),
    logout: () =>
      once("logout", [], async () => {
        // Whatever they end with (their callers see it), the sign-out comes after.
        const signIns = [underWay.get("login")?.promise, underWay.get("register")?.promise];
        await Promise.allSettled(signIns);
        await state.signOut();
      }),
    forgotPassword: (body) => once("forgotPassword", [body], () => client.emailPassword.forgotPassword(body)),
    resetPassword: (body) => once("resetPassword", [body], () => client.emailPassword.resetPassword(body)),
    changePassword: (body) => once("changePassword", [body], () => client.emailPassword.changePassword(body)),
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
