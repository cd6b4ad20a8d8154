import { defineComponent, h, ref, useId } from "vue";
import { field, messages, onSubmit, submitButton, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** Change the signed-in user's password. */
export const ChangePasswordForm = defineComponent({
  name: "ChangePasswordForm",
  emits: {
    /** The password was changed; the server's message. */
    success: (message: string) => typeof message === "string",
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
        action.status.value = answer.message;
        emit("success", answer.message);
      });

    return () =>
      h("form", { class: "yauth-form yauth-change-password", onSubmit: onSubmit(submit) }, [
        field({
          id: `${id}-current-password`,
          label: "Current password",
          name: "current-password",
          type: "password",
          autocomplete: "current-password",
          model: current,
          required: true,
        }),
        field({
          id: `${id}-new-password`,
          label: "New password",
          name: "new-password",
          type: "password",
          autocomplete: "new-password",
          model: next,
          required: true,
        }),
        ...messages(action),
        submitButton(action, "Change password"),
      ]);
  },
});
