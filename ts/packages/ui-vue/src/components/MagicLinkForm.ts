import { defineComponent, h, ref, useId } from "vue";
import { field, messages, onSubmit, submitButton, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** Ask for a sign-in link by mail. */
export const MagicLinkForm = defineComponent({
  name: "MagicLinkForm",
  emits: {
    /** The request was taken; the server's message (the same for every address). */
    success: (message: string) => typeof message === "string",
  },
  setup(_props, { emit }) {
    const { client } = useYAuthState();
    const id = useId();
    const email = ref("");
    const action = useAction();

    const submit = () =>
      action.attempt(async () => {
        const answer = await client.magicLink.send({ email: email.value });
        action.status.value = answer.message;
        emit("success", answer.message);
      });

    return () =>
      h("form", { class: "yauth-form yauth-magic-link", onSubmit: onSubmit(submit) }, [
        field({
          id: `${id}-email`,
          label: "Email",
          name: "email",
          type: "email",
          autocomplete: "email",
          model: email,
          required: true,
        }),
        ...messages(action),
        submitButton(action, "Send magic link"),
      ]);
  },
});
