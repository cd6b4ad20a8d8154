import { Navigate } from "@solidjs/router";
import { ChangePasswordForm, MfaSetup, PasskeyButton, ProfileSettings, useYAuth } from "@yauth/ui-solidjs";
import { Show } from "solid-js";

export function SettingsPage() {
  const { user, loading } = useYAuth();
  return (
    <Show
      when={user()}
      fallback={
        <Show when={!loading()} fallback={<p>Loading…</p>}>
          <Navigate href="/login" />
        </Show>
      }
    >
      {(signedIn) => (
        <section>
          <h1>Settings</h1>
          <p>Your account: {signedIn().email}</p>
          <section aria-labelledby="profile-heading">
            <h2 id="profile-heading">Profile</h2>
            <ProfileSettings />
          </section>
          <section aria-labelledby="password-heading">
            <h2 id="password-heading">Password</h2>
            <ChangePasswordForm />
          </section>
          <section aria-labelledby="passkeys-heading">
            <h2 id="passkeys-heading">Passkeys</h2>
            <PasskeyButton mode="register" />
          </section>
          <section aria-labelledby="mfa-heading">
            <h2 id="mfa-heading">Two-factor authentication</h2>
            <MfaSetup />
          </section>
        </section>
      )}
    </Show>
  );
}
