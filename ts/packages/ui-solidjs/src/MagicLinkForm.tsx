import type { JSX } from "solid-js";
import { EmailForm, type EmailFormProps } from "./EmailForm.jsx";

export interface MagicLinkFormProps {
  /** The link was sent; `message` is the server's (the same for every address). */
  onSuccess?: (message: string) => void;
}

const sendMagicLink: EmailFormProps["send"] = (client, body) => client.magicLink.send(body);

/** Asks for a sign-in link by email. */
export function MagicLinkForm(props: MagicLinkFormProps): JSX.Element {
  return <EmailForm button="Send magic link" send={sendMagicLink} {...props} />;
}
