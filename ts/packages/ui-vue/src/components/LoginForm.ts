import { defineComponent, h, ref, useId } from "vue";
import { emailField, finishSignIn, form, passwordField, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";
import { PasskeyButton } from "./PasskeyButton.js";

/** Sign in with email and password (and, unless `showPasskey` is false, with a passkey). */
export const LoginForm = defineComponent({
  name: "LoginForm",
  props: {
    /** Also offer "Sign in with a passkey" (for the typed email, if any). */
    showPasskey: { type: Boolean, default: true },
  },
  emits: {
    /** Signed in: the session has been refetched. */
    success: () => true,
    /** The account asks for a second factor: pass the id to `MfaChallenge`. */
    "mfa-required": (pendingSessionId: string) => typeof pendingSessionId === "string",
  },
  setup(props, { emit }) {
    const state = useYAuthState();
    const id = useId();
    const email = ref("");
    const password = ref("");
    const action = useAction();

    const submit = () =>
      action.attempt(async () => {
        const answer = await state.client.emailPassword.login({ email: email.value, password: password.value });
        password.value = "";
        await finishSignIn(answer, state, emit);
      });

    return () =>
      h("div", { class: "yauth-login" }, [
        form(action, { submit, button: "Sign in" }, [
          emailField(id, email, "username"),
          passwordField({
            id: `${id}-password`,
            label: "Password",
            name: "password",
            autocomplete: "current-password",
            model: password,
          }),
        ]),
        props.showPasskey
          ? h(PasskeyButton, {
              mode: "login",
              email: email.value.trim() || undefined,
              onSuccess: () => emit("success"),
              onMfaRequired: (pendingSessionId: string) => emit("mfa-required", pendingSessionId),
            })
          : null,
      ]);
  },
});
