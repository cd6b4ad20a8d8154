import { defineComponent, h, ref, useId } from "vue";
import { field, messages, onSubmit, submitButton, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** Create an account with email, password and an optional display name. */
export const RegisterForm = defineComponent({
  name: "RegisterForm",
  emits: {
    /** The account was created; the server's message (check your mail, say). */
    success: (message: string) => typeof message === "string",
  },
  setup(_props, { emit }) {
    const { client } = useYAuthState();
    const id = useId();
    const email = ref("");
    const password = ref("");
    const displayName = ref("");
    const action = useAction();

    const submit = () =>
      action.attempt(async () => {
        const name = displayName.value.trim();
        const answer = await client.emailPassword.register({
          email: email.value,
          password: password.value,
          ...(name ? { display_name: name } : {}),
        });
        password.value = "";
        action.status.value = answer.message;
        emit("success", answer.message);
      });

    return () =>
      h("form", { class: "yauth-form yauth-register", onSubmit: onSubmit(submit) }, [
        field({
          id: `${id}-email`,
          label: "Email",
          name: "email",
          type: "email",
          autocomplete: "email",
          model: email,
          required: true,
        }),
        field({
          id: `${id}-password`,
          label: "Password",
          name: "new-password",
          type: "password",
          autocomplete: "new-password",
          model: password,
          required: true,
        }),
        field({
          id: `${id}-display-name`,
          label: "Display name",
          name: "name",
          autocomplete: "name",
          model: displayName,
        }),
        ...messages(action),
        submitButton(action, "Create account"),
      ]);
  },
});
