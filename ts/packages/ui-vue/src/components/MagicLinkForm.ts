import { isMessage } from "../internal.js";
import { type EmailFormOptions, emailForm } from "./emailForm.js";

const sendMagicLink: EmailFormOptions["send"] = (client, body) => client.magicLink.send(body);

/** Ask for a sign-in link by mail. */
export const MagicLinkForm = emailForm(
  { name: "MagicLinkForm", class: "yauth-magic-link", button: "Send magic link", send: sendMagicLink },
  {
    /** The request was taken; the server's message (the same for every address). */
    success: isMessage,
  },
);
