import { isMessage } from "../internal.js";
import { type EmailFormOptions, emailForm } from "./emailForm.js";

const sendResetLink: EmailFormOptions["send"] = (client, body) => client.emailPassword.forgotPassword(body);

/** Ask for a password-reset link by mail. */
export const ForgotPasswordForm = emailForm(
  { name: "ForgotPasswordForm", class: "yauth-forgot-password", button: "Send reset link", send: sendResetLink },
  {
    /** The request was taken; the server's message (the same whether the account exists or not). */
    success: isMessage,
  },
);
