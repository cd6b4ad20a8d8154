import { A } from "@solidjs/router";
import { ForgotPasswordForm } from "@yauth/ui-solidjs";

export function ForgotPasswordPage() {
  return (
    <section>
      <h1>Forgot your password?</h1>
      <p>We will email you a link to choose a new one.</p>
      <ForgotPasswordForm />
      <p>
        <A href="/login">Back to sign-in</A>
      </p>
    </section>
  );
}
