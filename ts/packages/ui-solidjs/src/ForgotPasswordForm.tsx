import type { JSX } from "solid-js";
import { EmailForm, type EmailFormProps } from "./EmailForm.jsx";

export interface ForgotPasswordFormProps {
  /** The request was taken; `message` is the server's (the same whether the account exists). */
  onSuccess?: (message: string) => void;
}

const sendResetLink: EmailFormProps["send"] = (client, body) => client.emailPassword.forgotPassword(body);

/** Asks for a password-reset link by email. */
export function ForgotPasswordForm(props: ForgotPasswordFormProps): JSX.Element {
  return <EmailForm button="Send reset link" send={sendResetLink} {...props} />;
}
