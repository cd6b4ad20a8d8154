import { defineComponent, ref, useId } from "vue";
import { displayNameField, emailField, form, isMessage, passwordField, succeed, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** Create an account with email, password and an optional display name. */
export const RegisterForm = defineComponent({
  name: "RegisterForm",
  emits: {
    /** The account was created; the server's message (check your mail, say). */
    success: isMessage,
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
        succeed(action, emit, answer.message);
      });

    return () =>
      form(action, { class: "yauth-register", submit, button: "Create account" }, [
        emailField(id, email),
        passwordField({ id: `${id}-password`, label: "Password", autocomplete: "new-password", model: password }),
        displayNameField(id, displayName),
      ]);
  },
});
