import { defineComponent, h, shallowRef } from "vue";
import { messages, useAction } from "../internal.js";
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
    success: (message: string) => typeof message === "string",
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
      h("div", { class: "yauth-verify-email" }, [
        done.value ? null : h("p", "Press Verify to confirm your email address."),
        ...messages(action),
        done.value
          ? null
          : h("button", { type: "button", disabled: action.submitting.value, onClick: verify }, "Verify"),
      ]);
  },
});
