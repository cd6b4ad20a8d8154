import { useNavigate } from "@solidjs/router";
import { MagicLinkVerify } from "@yauth/ui-solidjs";
import { MailedLinkPage } from "../parts.jsx";
import { askSecondFactor, finishSignIn } from "../signIn.js";

export function MagicLinkPage() {
  const navigate = useNavigate();
  return (
    <MailedLinkPage title="Sign in with your link">
      {(token) => (
        <MagicLinkVerify
          token={token}
          onSuccess={() => finishSignIn(navigate)}
          onMfaRequired={(pendingSessionId) => askSecondFactor(navigate, pendingSessionId)}
        />
      )}
    </MailedLinkPage>
  );
}
