import { A } from "@solidjs/router";
import { VerifyEmail } from "@yauth/ui-solidjs";
import { createSignal, Show } from "solid-js";
import { takeQueryParam } from "../signIn.js";

export function VerifyEmailPage() {
  // Kept here, and taken out of the address bar.
  const token = takeQueryParam("token");
  const [done, setDone] = createSignal(false);
  return (
    <section>
      <h1>Verify your email address</h1>
      <VerifyEmail token={token} onSuccess={() => setDone(true)} />
      <Show when={done()}>
        <p>
          <A href="/login">Continue to sign-in</A>
        </p>
      </Show>
    </section>
  );
}
