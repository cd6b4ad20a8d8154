import { ChangePasswordForm, MfaSetup, PasskeyButton, ProfileSettings } from "@yauth/ui-solidjs";
import { SignedIn } from "../parts.jsx";

export function SettingsPage() {
  return (
    <SignedIn>
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
    </SignedIn>
  );
}
