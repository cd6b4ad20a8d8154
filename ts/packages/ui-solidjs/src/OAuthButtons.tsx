import { markOAuthPending } from "@yauth/client";
import { For, type JSX } from "solid-js";
import { useYAuth } from "./context.jsx";

export interface OAuthButtonsProps {
  /** The providers' names, as in `/oauth/{name}/authorize` (see `client.oauth.providers()`). */
  providers: readonly string[];
  /** Where the browser goes once signed in: a path of the app or an allowed URL (default `/`). */
  redirectTo?: string;
}

/**
 * One "Sign in with NAME" button per provider; each sends the browser to the provider, leaving
 * a marker in `sessionStorage` first so that `takeOAuthMfaRedirect()` accepts the answer.
 */
export function OAuthButtons(props: OAuthButtonsProps): JSX.Element {
  const { client } = useYAuth();

  const go = (provider: string) => {
    const url = client.oauth.authorize({ provider, redirect_to: props.redirectTo ?? "/" });
    markOAuthPending();
    window.location.assign(url);
  };

  return (
    <div class="yauth-oauth">
      <For each={props.providers}>
        {(provider) => (
          <button type="button" onClick={() => go(provider)}>
            Sign in with {provider}
          </button>
        )}
      </For>
    </div>
  );
}
