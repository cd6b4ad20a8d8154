// The app's own state around sign-in: kept in memory, never in the URL.
import { authorizeReturnTo } from "@yauth/client";
import { takeOAuthMfaRedirect } from "@yauth/ui-vue";
import { ref } from "vue";
import { type Router, useRoute, useRouter } from "vue-router";

/** Where the API is mounted (the demo serves it there, and Vite's dev server proxies it). */
export const AUTH_BASE = "/api/auth";

/** The pending sign-in's id while it waits for its second factor. */
export const pendingMfa = ref<string | null>(null);
/** Where to go once that second factor is given (a checked `return_to`). */
export const pendingReturnTo = ref<string | null>(null);

/** The `return_to` to honour after sign-in (this origin's authorization request), or null. */
export function safeReturnTo(value: unknown): string | null {
  const url = authorizeReturnTo(value, AUTH_BASE);
  return url ? `${url.pathname}${url.search}` : null;
}

/** A first factor asks for a second: the pending sign-in (and `returnTo`) is kept, and on to `/mfa`. */
export async function askSecondFactor(
  router: Router,
  pendingSessionId: string,
  returnTo: string | null,
): Promise<void> {
  pendingMfa.value = pendingSessionId;
  pendingReturnTo.value = returnTo;
  await router.push("/mfa");
}

/** After a sign-in: back to the authorization request when there is one, else home. */
export async function finishSignIn(router: Router, returnTo: string | null): Promise<void> {
  if (returnTo) window.location.assign(returnTo);
  else await router.push("/");
}

/**
 * Run once before the router is made (it reads the URL then). A provider's sign-in that needs a
 * second factor comes back to its `redirect_to` with `#mfa_required=true&pending_session_id=…`;
 * `takeOAuthMfaRedirect` accepts it only when this tab's `OAuthButtons` left for the provider,
 * and always takes the fragment out of the URL. An accepted id is kept here, and the router
 * starts on `/mfa`.
 */
export function acceptOAuthMfaRedirect(): void {
  const pending = takeOAuthMfaRedirect();
  if (pending === null) return;
  // Sent to sign in by the OAuth 2 server: `redirect_to` was its request, which came back here.
  pendingReturnTo.value = safeReturnTo(new URLSearchParams(window.location.search).get("return_to"));
  pendingMfa.value = pending;
  window.history.replaceState(null, "", "/mfa");
}

/**
 * Call in a page's `setup`: the `token` of a mailed link, kept in memory, and taken out of the
 * address bar (`router.replace`, which calls `history.replaceState` and also drops the token
 * from the router's own record of the entry; the path and the other parameters are kept), so
 * it neither stays in the history nor leaves in a Referer. `""` when the URL has none.
 */
export function useMailedToken(): string {
  const route = useRoute();
  const router = useRouter();
  const raw = route.query.token;
  if (raw === undefined) return "";
  const query = Object.fromEntries(Object.entries(route.query).filter(([key]) => key !== "token"));
  void router.replace({ path: route.path, query, hash: route.hash });
  return typeof raw === "string" ? raw : "";
}
