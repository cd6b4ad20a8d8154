import { ResetPasswordForm } from "@yauth/ui-solidjs";
import { MailedLinkPage } from "../parts.jsx";

export function ResetPasswordPage() {
  return (
    <MailedLinkPage title="Choose a new password" next={{ href: "/login", text: "Sign in with your new password" }}>
      {(token, done) => <ResetPasswordForm token={token} onSuccess={done} />}
    </MailedLinkPage>
  );
}
