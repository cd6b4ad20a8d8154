import { A, useSearchParams } from "@solidjs/router";
import { VerifyEmail } from "@yauth/ui-solidjs";
import { createSignal, Show } from "solid-js";
import { firstParam } from "../signIn.js";

export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const [done, setDone] = createSignal(false);
  return (
    <section>
      <h1>Verify your email address</h1>
      <VerifyEmail token={firstParam(params.token) ?? ""} onSuccess={() => setDone(true)} />
      <Show when={done()}>
        <p>
          <A href="/login">Continue to sign-in</A>
        </p>
      </Show>
    </section>
  );
}
