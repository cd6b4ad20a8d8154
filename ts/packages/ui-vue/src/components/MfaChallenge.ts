import { defineComponent, ref, useId } from "vue";
import { codeField, form, useAction } from "../internal.js";
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
      form(action, { class: "yauth-mfa-challenge", submit, button: "Verify" }, [
        codeField(id, code, "The 6-digit code from your authenticator app, or one of your backup codes."),
      ]);
  },
});
