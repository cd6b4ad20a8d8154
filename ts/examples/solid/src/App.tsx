import { A, Route, Router, type RouteSectionProps } from "@solidjs/router";
import { YAuthProvider } from "@yauth/ui-solidjs";
import { ConsentPage } from "./pages/Consent.jsx";
import { DevicePage } from "./pages/Device.jsx";
import { ForgotPasswordPage } from "./pages/ForgotPassword.jsx";
import { HomePage } from "./pages/Home.jsx";
import { LoginPage } from "./pages/Login.jsx";
import { MagicLinkPage } from "./pages/MagicLink.jsx";
import { MfaPage } from "./pages/Mfa.jsx";
import { NotFoundPage } from "./pages/NotFound.jsx";
import { RegisterPage } from "./pages/Register.jsx";
import { ResetPasswordPage } from "./pages/ResetPassword.jsx";
import { SettingsPage } from "./pages/Settings.jsx";
import { UnlockAccountPage } from "./pages/UnlockAccount.jsx";
import { VerifyEmailPage } from "./pages/VerifyEmail.jsx";
import { API_BASE } from "./signIn.js";

function Layout(props: RouteSectionProps) {
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
        <Route path="/unlock-account" component={UnlockAccountPage} />
        <Route path="/device" component={DevicePage} />
        <Route path="*" component={NotFoundPage} />
      </Router>
    </YAuthProvider>
  );
}
