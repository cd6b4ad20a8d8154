import { defineComponent, ref, useId, watch } from "vue";
import { displayNameField, form, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

/** The signed-in user's display name. */
export const ProfileSettings = defineComponent({
  name: "ProfileSettings",
  emits: {
    /** The profile was saved and the session refetched. */
    saved: () => true,
  },
  setup(_props, { emit }) {
    const state = useYAuthState();
    const id = useId();
    const displayName = ref("");
    const action = useAction();
    // Follow the session until the user types.
    let edited = false;
    watch(
      () => state.user.value?.display_name,
      (name) => {
        if (!edited) displayName.value = name ?? "";
      },
      { immediate: true },
    );
    watch(displayName, (value) => {
      if (value !== (state.user.value?.display_name ?? "")) edited = true;
    });

    const submit = () =>
      action.attempt(async () => {
        await state.client.updateProfile({ display_name: displayName.value.trim() || null });
        edited = false;
        await state.refetch();
        displayName.value = state.user.value?.display_name ?? "";
        action.status.value = "Profile saved.";
        emit("saved");
      });

    return () => form(action, { class: "yauth-profile", submit, button: "Save" }, [displayNameField(id, displayName)]);
  },
});
