import { defineComponent, h, shallowRef } from "vue";
import { isMfaRequired, messages, useAction } from "../internal.js";
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
        if (isMfaRequired(answer)) {
          emit("mfa-required", answer.pending_session_id);
          return;
        }
        await state.refetch();
        emit("success");
      });

    return () =>
      h("div", { class: "yauth-magic-link-verify" }, [
        used.value ? null : h("p", "Press Sign in to finish signing in with the link you were mailed."),
        ...messages(action),
        used.value
          ? null
          : h("button", { type: "button", disabled: action.submitting.value, onClick: signIn }, "Sign in"),
      ]);
  },
});
