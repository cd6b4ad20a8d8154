import { defineComponent, h, ref, useId } from "vue";
import { field, messages, onSubmit, submitButton, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** Ask for a password-reset link by mail. */
export const ForgotPasswordForm = defineComponent({
  name: "ForgotPasswordForm",
  emits: {
    /** The request was taken; the server's message (the same whether the account exists or not). */
    success: (message: string) => typeof message === "string",
  },
  setup(_props, { emit }) {
    const { client } = useYAuthState();
    const id = useId();
    const email = ref("");
    const action = useAction();

    const submit = () =>
      action.attempt(async () => {
        const answer = await client.emailPassword.forgotPassword({ email: email.value });
        action.status.value = answer.message;
        emit("success", answer.message);
      });

    return () =>
      h("form", { class: "yauth-form yauth-forgot-password", onSubmit: onSubmit(submit) }, [
        field({
          id: `${id}-email`,
          label: "Email",
          name: "email",
          type: "email",
          autocomplete: "email",
          model: email,
          required: true,
        }),
        ...messages(action),
        submitButton(action, "Send reset link"),
      ]);
  },
});
