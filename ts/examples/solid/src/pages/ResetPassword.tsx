import { A, useSearchParams } from "@solidjs/router";
import { ResetPasswordForm } from "@yauth/ui-solidjs";
import { createSignal, Show } from "solid-js";
import { firstParam } from "../signIn.js";

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const [done, setDone] = createSignal(false);
  return (
    <section>
      <h1>Choose a new password</h1>
      <ResetPasswordForm token={firstParam(params.token) ?? ""} onSuccess={() => setDone(true)} />
      <Show when={done()}>
        <p>
          <A href="/login">Sign in with your new password</A>
        </p>
      </Show>
    </section>
  );
}
