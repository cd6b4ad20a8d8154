import { A, Route, Router, type RouteSectionProps, useNavigate } from "@solidjs/router";
import { YAuthProvider } from "@yauth/ui-solidjs";
import { onMount } from "solid-js";
import { ConsentPage } from "./pages/Consent.jsx";
import { ForgotPasswordPage } from "./pages/ForgotPassword.jsx";
import { HomePage } from "./pages/Home.jsx";
import { LoginPage } from "./pages/Login.jsx";
import { MagicLinkPage } from "./pages/MagicLink.jsx";
import { MfaPage } from "./pages/Mfa.jsx";
import { NotFoundPage } from "./pages/NotFound.jsx";
import { RegisterPage } from "./pages/Register.jsx";
import { ResetPasswordPage } from "./pages/ResetPassword.jsx";
import { SettingsPage } from "./pages/Settings.jsx";
import { VerifyEmailPage } from "./pages/VerifyEmail.jsx";
import { API_BASE, safeReturnTo, setPendingSessionId, setReturnTo } from "./signIn.js";

/**
 * An OAuth sign-in that needs a second factor comes back to its `redirect_to` with
 * `#mfa_required=true&pending_session_id=…`: take the id into app state and ask for the code.
 */
function useOAuthMfaFragment() {
  const navigate = useNavigate();
  onMount(() => {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const pending = fragment.get("pending_session_id");
    if (fragment.get("mfa_required") !== "true" || !pending) return;
    const back = safeReturnTo(new URLSearchParams(window.location.search).get("return_to"));
    if (back) setReturnTo(back);
    setPendingSessionId(pending);
    window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    navigate("/mfa", { replace: true });
  });
}

function Layout(props: RouteSectionProps) {
  useOAuthMfaFragment();
  return (
    <>
      <header>
        <nav aria-label="Main">
          <A href="/" end>
            Home
          </A>
          <A href="/login">Login</A>
          <A href="/register">Register</A>
          <A href="/settings">Settings</A>
        </nav>
      </header>
      <main>{props.children}</main>
    </>
  );
}

export function App() {
  return (
    <YAuthProvider baseUrl={API_BASE}>
      <Router root={Layout}>
        <Route path="/" component={HomePage} />
        <Route path="/login" component={LoginPage} />
        <Route path="/register" component={RegisterPage} />
        <Route path="/forgot-password" component={ForgotPasswordPage} />
        <Route path="/reset-password" component={ResetPasswordPage} />
        <Route path="/verify-email" component={VerifyEmailPage} />
        <Route path="/magic-link" component={MagicLinkPage} />
        <Route path="/mfa" component={MfaPage} />
        <Route path="/settings" component={SettingsPage} />
        <Route path="/consent" component={ConsentPage} />
        <Route path="*" component={NotFoundPage} />
      </Router>
    </YAuthProvider>
  );
}
