import { A } from "@solidjs/router";
import { ResetPasswordForm } from "@yauth/ui-solidjs";
import { createSignal, Show } from "solid-js";
import { takeQueryParam } from "../signIn.js";

export function ResetPasswordPage() {
  // Kept here, and taken out of the address bar.
  const token = takeQueryParam("token");
  const [done, setDone] = createSignal(false);
  return (
    <section>
      <h1>Choose a new password</h1>
      <ResetPasswordForm token={token} onSuccess={() => setDone(true)} />
      <Show when={done()}>
        <p>
          <A href="/login">Sign in with your new password</A>
        </p>
      </Show>
    </section>
  );
}
