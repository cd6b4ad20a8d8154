import { VerifyEmail } from "@yauth/ui-solidjs";
import { MailedLinkPage } from "../parts.jsx";

export function VerifyEmailPage() {
  return (
    <MailedLinkPage title="Verify your email address" next={{ href: "/login", text: "Continue to sign-in" }}>
      {(token, done) => <VerifyEmail token={token} onSuccess={done} />}
    </MailedLinkPage>
  );
}
