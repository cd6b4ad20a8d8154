import { defineComponent, shallowRef } from "vue";
import { isMessage, tokenButton, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/**
 * Confirms an email address with the token of a mailed link, when the user presses Verify:
 * mail scanners open links ahead of people, so nothing is sent on mount.
 */
export const VerifyEmail = defineComponent({
  name: "VerifyEmail",
  props: {
    /** The `token` of the mailed link. */
    token: { type: String, required: true },
  },
  emits: {
    /** The address is verified; the server's message. */
    success: isMessage,
  },
  setup(props, { emit }) {
    const state = useYAuthState();
    const action = useAction();
    const done = shallowRef(false);

    const verify = () =>
      action.attempt(async () => {
        const answer = await state.client.emailPassword.verifyEmail({ token: props.token });
        done.value = true;
        action.status.value = answer.message;
        // A signed-in user's `email_verified` has changed.
        if (state.user.value) await state.refetch();
        emit("success", answer.message);
      });

    return () =>
      tokenButton(action, {
        class: "yauth-verify-email",
        done: done.value,
        prompt: "Press Verify to confirm your email address.",
        button: "Verify",
        press: verify,
      });
  },
});
