import { A } from "@solidjs/router";
import { RegisterForm } from "@yauth/ui-solidjs";

export function RegisterPage() {
  return (
    <section>
      <h1>Create an account</h1>
      <RegisterForm />
      <p>
        Already registered? <A href="/login">Sign in</A>
      </p>
    </section>
  );
}
