import { defineComponent, ref, useId } from "vue";
import { form, isMessage, passwordField, succeed, useAction } from "../internal.js";
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
    success: isMessage,
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
        succeed(action, emit, answer.message);
      });

    return () =>
      form(action, { class: "yauth-reset-password", submit, button: "Reset password" }, [
        passwordField({
          id: `${id}-new-password`,
          label: "New password",
          autocomplete: "new-password",
          model: password,
        }),
      ]);
  },
});
