import { defineComponent, h, type PropType, ref, useId } from "vue";
import { field, finishSignIn, form, messages, PasskeyUnsupportedError, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

function assertWebAuthn(): void {
  if (typeof window === "undefined" || typeof window.PublicKeyCredential !== "function") {
    throw new PasskeyUnsupportedError();
  }
}

/**
 * Signs in with a passkey (`mode="login"`: one button, offering the passkeys of `email`, or
 * every passkey the browser holds for this site), or registers one for the signed-in user
 * (`mode="register"`: a name and a button).
 */
export const PasskeyButton = defineComponent({
  name: "PasskeyButton",
  props: {
    mode: {
      type: String as PropType<"login" | "register">,
      required: true,
      validator: (mode: unknown) => mode === "login" || mode === "register",
    },
    /** Login mode: whose passkeys to offer (all the browser holds when absent). */
    email: String,
  },
  emits: {
    /** Signed in (login) or registered (register). */
    success: () => true,
    /** Login mode: the account asks for a second factor. */
    "mfa-required": (pendingSessionId: string) => typeof pendingSessionId === "string",
  },
  setup(props, { emit }) {
    const state = useYAuthState();
    const { client } = state;
    const id = useId();
    const name = ref("");
    const action = useAction();

    const login = () =>
      action.attempt(async () => {
        assertWebAuthn();
        const answer = await client.passkey.login(props.email || undefined);
        await finishSignIn(answer, state, emit);
      });

    const register = () =>
      action.attempt(async () => {
        assertWebAuthn();
        const passkey = await client.passkey.register(name.value.trim());
        action.status.value = `Passkey “${passkey.name}” registered.`;
        name.value = "";
        emit("success");
      });

    return () =>
      props.mode === "register"
        ? form(action, { class: "yauth-passkey", submit: register, button: "Register a passkey" }, [
            field({
              id: `${id}-passkey-name`,
              label: "Passkey name",
              name: "passkey-name",
              model: name,
              required: true,
              maxlength: 64,
              hint: "A name to tell it apart, such as “Laptop” or “Phone”.",
            }),
          ])
        : h("div", { class: "yauth-passkey" }, [
            ...messages(action),
            h(
              "button",
              { type: "button", disabled: action.submitting.value, onClick: login },
              "Sign in with a passkey",
            ),
          ]);
  },
});
