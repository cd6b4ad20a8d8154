import { defineComponent, h, ref, useId } from "vue";
import { field, messages, onSubmit, submitButton, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** Choose a new password with the token of a mailed reset link. */
export const ResetPasswordForm = defineComponent({
  name: "ResetPasswordForm",
  props: {
    /** The `token` of the mailed link. */
    token: { type: String, required: true },
  },
  emits: {
    /** The password was changed; the server's message. */
    success: (message: string) => typeof message === "string",
  },
  setup(props, { emit }) {
    const { client } = useYAuthState();
    const id = useId();
    const password = ref("");
    const action = useAction();

    const submit = () =>
      action.attempt(async () => {
        const answer = await client.emailPassword.resetPassword({ token: props.token, password: password.value });
        password.value = "";
        action.status.value = answer.message;
        emit("success", answer.message);
      });

    return () =>
      h("form", { class: "yauth-form yauth-reset-password", onSubmit: onSubmit(submit) }, [
        field({
          id: `${id}-new-password`,
          label: "New password",
          name: "new-password",
          type: "password",
          autocomplete: "new-password",
          model: password,
          required: true,
        }),
        ...messages(action),
        submitButton(action, "Reset password"),
      ]);
  },
});
