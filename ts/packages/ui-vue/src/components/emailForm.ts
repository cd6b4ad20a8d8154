import type { YAuthClient } from "@yauth/client";
import { defineComponent, ref, useId } from "vue";
import { emailField, form, succeed, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** What {@link emailForm} makes a component of. */
export interface EmailFormOptions {
  /** The component's name. */
  name: string;
  /** The form's class beside `yauth-form`. */
  class: string;
  /** The submit button's text. */
  button: string;
  /** The call that takes the address. */
  send: (client: YAuthClient, body: { email: string }) => Promise<{ message: string }>;
}

/**
 * A component with one form: an Email field, sent with `send`; the server's message shows as
 * the confirmation and comes with the `success` event, declared (and documented) by `emits`.
 * `ForgotPasswordForm` and `MagicLinkForm` are made with it.
 */
export function emailForm<E extends { success: (message: string) => boolean }>(options: EmailFormOptions, emits: E) {
  return defineComponent({
    name: options.name,
    emits,
    setup(_props, { emit }) {
      const { client } = useYAuthState();
      const id = useId();
      const email = ref("");
      const action = useAction();

      const submit = () =>
        action.attempt(async () => {
          const answer = await options.send(client, { email: email.value });
          succeed(action, emit, answer.message);
        });

      return () => form(action, { class: options.class, submit, button: options.button }, [emailField(id, email)]);
    },
  });
}
