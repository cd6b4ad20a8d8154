import { A, useNavigate, useSearchParams } from "@solidjs/router";
import { LoginForm, MagicLinkForm, OAuthButtons, useYAuth } from "@yauth/ui-solidjs";
import { createResource, Show } from "solid-js";
import { askSecondFactor, finishSignIn, firstParam, returnTo, safeReturnTo, setReturnTo } from "../signIn.js";

export function LoginPage() {
  const { client } = useYAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  // Sent here by the OAuth 2 server with the authorization request to come back to.
  setReturnTo(safeReturnTo(firstParam(params.return_to)));

  // The providers the server offers (none when its OAuth plugin is off).
  const [providers] = createResource(async () => {
    try {
      return (await client.oauth.providers()).map((provider) => provider.name);
    } catch {
      return [];
    }
  });

  return (
    <section>
      <h1>Sign in</h1>
      <section aria-labelledby="password-heading">
        <h2 id="password-heading">With your password or a passkey</h2>
        <LoginForm
          onSuccess={() => finishSignIn(navigate)}
          onMfaRequired={(pendingSessionId) => askSecondFactor(navigate, pendingSessionId)}
        />
        <p>
          <A href="/forgot-password">Forgot your password?</A> · <A href="/register">Create an account</A>
        </p>
      </section>
      <section aria-labelledby="magic-link-heading">
        <h2 id="magic-link-heading">With a link by email</h2>
        <MagicLinkForm />
      </section>
      <Show when={(providers.latest ?? []).length > 0}>
        <section aria-labelledby="oauth-heading">
          <h2 id="oauth-heading">With another account</h2>
          <OAuthButtons providers={providers.latest ?? []} redirectTo={returnTo() ?? "/"} />
        </section>
      </Show>
    </section>
  );
}
