import { defineComponent, h, ref, useId } from "vue";
import { field, messages, onSubmit, submitButton, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** The second step of a sign-in: a code from the authenticator app, or a backup code. */
export const MfaChallenge = defineComponent({
  name: "MfaChallenge",
  props: {
    /** From the first step's `{ mfa_required, pending_session_id }` answer. */
    pendingSessionId: { type: String, required: true },
  },
  emits: {
    /** Signed in: the session has been refetched. */
    success: () => true,
  },
  setup(props, { emit }) {
    const state = useYAuthState();
    const id = useId();
    const code = ref("");
    const action = useAction();

    const submit = () =>
      action.attempt(async () => {
        await state.client.mfa.verify({ pending_session_id: props.pendingSessionId, code: code.value.trim() });
        code.value = "";
        await state.refetch();
        emit("success");
      });

    return () =>
      h("form", { class: "yauth-form yauth-mfa-challenge", onSubmit: onSubmit(submit) }, [
        field({
          id: `${id}-code`,
          label: "Authentication code",
          name: "code",
          autocomplete: "one-time-code",
          model: code,
          required: true,
          hint: "The 6-digit code from your authenticator app, or one of your backup codes.",
        }),
        ...messages(action),
        submitButton(action, "Verify"),
      ]);
  },
});
