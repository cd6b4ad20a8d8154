import { defineComponent, h, ref, useId } from "vue";
import { field, isMfaRequired, messages, onSubmit, submitButton, useAction } from "../internal.js";
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
        if (isMfaRequired(answer)) {
          emit("mfa-required", answer.pending_session_id);
          return;
        }
        await state.refetch();
        emit("success");
      });

    return () =>
      h("div", { class: "yauth-login" }, [
        h("form", { class: "yauth-form", onSubmit: onSubmit(submit) }, [
          field({
            id: `${id}-email`,
            label: "Email",
            name: "email",
            type: "email",
            autocomplete: "username",
            model: email,
            required: true,
          }),
          field({
            id: `${id}-password`,
            label: "Password",
            name: "password",
            type: "password",
            autocomplete: "current-password",
            model: password,
            required: true,
          }),
          ...messages(action),
          submitButton(action, "Sign in"),
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
