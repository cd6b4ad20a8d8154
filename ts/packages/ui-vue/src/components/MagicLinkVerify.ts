import { defineComponent, shallowRef } from "vue";
import { finishSignIn, tokenButton, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/**
 * Signs in with the token of a mailed sign-in link, when the user presses Sign in: mail
 * scanners open links ahead of people, so the single-use token is never spent on mount.
 */
export const MagicLinkVerify = defineComponent({
  name: "MagicLinkVerify",
  props: {
    /** The `token` of the mailed link. */
    token: { type: String, required: true },
  },
  emits: {
    /** Signed in: the session has been refetched. */
    success: () => true,
    /** The account asks for a second factor: pass the id to `MfaChallenge`. */
    "mfa-required": (pendingSessionId: string) => typeof pendingSessionId === "string",
  },
  setup(props, { emit }) {
    const state = useYAuthState();
    const action = useAction();
    const used = shallowRef(false);

    const signIn = () =>
      action.attempt(async () => {
        const answer = await state.client.magicLink.verify({ token: props.token });
        used.value = true;
        await finishSignIn(answer, state, emit);
      });

    return () =>
      tokenButton(action, {
        class: "yauth-magic-link-verify",
        done: used.value,
        prompt: "Press Sign in to finish signing in with the link you were mailed.",
        button: "Sign in",
        press: signIn,
      });
  },
});
