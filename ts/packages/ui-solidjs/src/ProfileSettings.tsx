import type { AuthUser } from "@yauth/client";
import { createEffect, createSignal, type JSX, on } from "solid-js";
import { useYAuth } from "./context.jsx";
import { DisplayNameField } from "./fields.jsx";
import { SubmitForm } from "./form.jsx";
import { createSubmission } from "./submission.js";

export interface ProfileSettingsProps {
  /** The profile was saved (the session is fetched again first). */
  onSaved?: (user: AuthUser) => void;
}

/** Edits the signed-in user's display name. */
export function ProfileSettings(props: ProfileSettingsProps): JSX.Element {
  const { client, user, refetch } = useYAuth();
  const [displayName, setDisplayName] = createSignal(user()?.display_name ?? "");
  // The session may arrive after the form: fill it in then, unless the user has typed.
  let edited = false;
  createEffect(
    on(
      () => user()?.display_name,
      (name) => {
        if (!edited) setDisplayName(name ?? "");
      },
    ),
  );
  const submission = createSubmission();

  const submit = () => {
    const name = displayName().trim();
    void submission.run(
      async () => {
        const saved = await client.updateProfile({ display_name: name || null });
        await refetch();
        return saved;
      },
      (saved) => {
        edited = false;
        setDisplayName(saved.display_name ?? "");
        submission.setStatus("Your profile was saved.");
        props.onSaved?.(saved);
      },
    );
  };

  return (
    <SubmitForm submission={submission} onSubmit={submit} button="Save">
      <DisplayNameField
        value={displayName()}
        onInput={(value) => {
          edited = true;
          setDisplayName(value);
        }}
      />
    </SubmitForm>
  );
}
