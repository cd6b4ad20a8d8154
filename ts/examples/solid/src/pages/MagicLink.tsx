import { useNavigate, useSearchParams } from "@solidjs/router";
import { MagicLinkVerify } from "@yauth/ui-solidjs";
import { finishSignIn, firstParam, setPendingSessionId } from "../signIn.js";

export function MagicLinkPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  return (
    <section>
      <h1>Sign in with your link</h1>
      <MagicLinkVerify
        token={firstParam(params.token) ?? ""}
        onSuccess={() => finishSignIn(navigate)}
        onMfaRequired={(pendingSessionId) => {
          setPendingSessionId(pendingSessionId);
          navigate("/mfa");
        }}
      />
    </section>
  );
}
