import { markOAuthPending } from "@yauth/client";
import { defineComponent, h, type PropType } from "vue";
import { useYAuthState } from "../plugin.js";

/**
 * One "Sign in with NAME" button per provider; each sends the browser to the provider, leaving
 * a marker in `sessionStorage` first so that `takeOAuthMfaRedirect()` accepts the answer.
 */
export const OAuthButtons = defineComponent({
  name: "OAuthButtons",
  props: {
    /** The providers' names, as in the routes (`github`): `client.oauth.providers()` lists them. */
    providers: { type: Array as PropType<string[]>, required: true },
    /** Where to land once signed in: a path of the app, or a URL of an allowed origin. */
    redirectTo: { type: String, default: "/" },
  },
  setup(props) {
    const { client } = useYAuthState();
    const go = (provider: string) => {
      const url = client.oauth.authorize({ provider, redirect_to: props.redirectTo });
      markOAuthPending();
      window.location.assign(url);
    };
    return () =>
      props.providers.length === 0
        ? null
        : h(
            "div",
            { class: "yauth-oauth" },
            props.providers.map((provider) =>
              h("button", { type: "button", key: provider, onClick: () => go(provider) }, `Sign in with ${provider}`),
            ),
          );
  },
});
