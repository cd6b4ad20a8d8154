import { defineComponent, ref, useId } from "vue";
import { form, isMessage, passwordField, succeed, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** Change the signed-in user's password. */
export const ChangePasswordForm = defineComponent({
  name: "ChangePasswordForm",
  emits: {
    /** The password was changed; the server's message. */
    success: isMessage,
  },
  setup(_props, { emit }) {
    const { client } = useYAuthState();
    const id = useId();
    const current = ref("");
    const next = ref("");
    const action = useAction();

    const submit = () =>
      action.attempt(async () => {
        const answer = await client.emailPassword.changePassword({
          current_password: current.value,
          new_password: next.value,
        });
        current.value = "";
        next.value = "";
        succeed(action, emit, answer.message);
      });

    return () =>
      form(action, { class: "yauth-change-password", submit, button: "Change password" }, [
        passwordField({
          id: `${id}-current-password`,
          label: "Current password",
          autocomplete: "current-password",
          model: current,
        }),
        passwordField({ id: `${id}-new-password`, label: "New password", autocomplete: "new-password", model: next }),
      ]);
  },
});
