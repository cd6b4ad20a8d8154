// The app's own state around sign-in: kept in memory, never in the URL.
import { ref } from "vue";
import type { Router } from "vue-router";

/** Where the API is mounted (the demo serves it there, and Vite's dev server proxies it). */
export const AUTH_BASE = "/api/auth";

/** The only place a `?return_to=` may send the browser: the OAuth 2 authorization endpoint. */
const AUTHORIZE_PATH = `${AUTH_BASE}/oauth/authorize`;

/** The pending sign-in's id while it waits for its second factor. */
export const pendingMfa = ref<string | null>(null);
/** Where to go once that second factor is given (a checked `return_to`). */
export const pendingReturnTo = ref<string | null>(null);

/**
 * The `return_to` to honour after sign-in, or null: only a URL of this origin whose path is
 * exactly the authorization endpoint (where the OAuth 2 server sent the user from), so a
 * crafted link cannot send a freshly signed-in user elsewhere.
 */
export function safeReturnTo(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  let url: URL;
  try {
    url = new URL(value, window.location.origin);
  } catch {
    return null;
  }
  if (url.origin !== window.location.origin || url.pathname !== AUTHORIZE_PATH) return null;
  return `${url.pathname}${url.search}`;
}

/** After a sign-in: back to the authorization request when there is one, else home. */
export async function finishSignIn(router: Router, returnTo: string | null): Promise<void> {
  if (returnTo) window.location.assign(returnTo);
  else await router.push("/");
}
