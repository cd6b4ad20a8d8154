import { useNavigate } from "@solidjs/router";
import { MagicLinkVerify } from "@yauth/ui-solidjs";
import { finishSignIn, setPendingSessionId, takeQueryParam } from "../signIn.js";

export function MagicLinkPage() {
  // Kept here, and taken out of the address bar.
  const token = takeQueryParam("token");
  const navigate = useNavigate();
  return (
    <section>
      <h1>Sign in with your link</h1>
      <MagicLinkVerify
        token={token}
        onSuccess={() => finishSignIn(navigate)}
        onMfaRequired={(pendingSessionId) => {
          setPendingSessionId(pendingSessionId);
          navigate("/mfa");
        }}
      />
    </section>
  );
}
