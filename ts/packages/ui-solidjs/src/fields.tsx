// The labelled inputs of the forms. Each field ties its label to its input with an id of its own.
import { createUniqueId, type JSX, Show } from "solid-js";

/** A labelled input bound to a value its form keeps. */
export interface TextFieldProps {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  autocomplete: string;
  type?: "text" | "email" | "password";
  required?: boolean;
  inputmode?: "numeric";
  autocapitalize?: "off";
  spellcheck?: boolean;
  maxlength?: number;
  placeholder?: string;
  /** A sentence under the input that describes it (`aria-describedby`). */
  hint?: string;
}

export function TextField(props: TextFieldProps): JSX.Element {
  const id = createUniqueId();
  const hintId = `${id}-hint`;
  return (
    <div class="yauth-field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        inputmode={props.inputmode}
        autocomplete={props.autocomplete}
        autocapitalize={props.autocapitalize}
        spellcheck={props.spellcheck}
        required={props.required}
        maxlength={props.maxlength}
        placeholder={props.placeholder}
        aria-describedby={props.hint ? hintId : undefined}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <Show when={props.hint}>
        {(hint) => (
          <p id={hintId} class="yauth-hint">
            {hint()}
          </p>
        )}
      </Show>
    </div>
  );
}

/** What the fields below leave to their form: the value and its setter. */
type BoundFieldProps = Pick<TextFieldProps, "value" | "onInput">;

/** "Email", required; `autocomplete` is `email` unless the form says otherwise (`username` to sign in). */
export function EmailField(props: BoundFieldProps & { autocomplete?: "email" | "username" }): JSX.Element {
  return (
    <TextField
      label="Email"
      name="email"
      type="email"
      required
      {...props}
      autocomplete={props.autocomplete ?? "email"}
    />
  );
}

/** A required password input: the user's current one, or the new one they choose. */
export function PasswordField(
  props: BoundFieldProps & { label: string; name: string; autocomplete: "current-password" | "new-password" },
): JSX.Element {
  return <TextField type="password" required {...props} />;
}

/** "Display name", optional. */
export function DisplayNameField(props: BoundFieldProps): JSX.Element {
  return <TextField label="Display name" name="display_name" autocomplete="nickname" {...props} />;
}

/** "Authentication code", required: a code from the authenticator app (or a backup code, as `hint` says). */
export function CodeField(
  props: BoundFieldProps & Pick<TextFieldProps, "inputmode" | "autocapitalize" | "spellcheck" | "hint">,
): JSX.Element {
  return <TextField label="Authentication code" name="code" autocomplete="one-time-code" required {...props} />;
}
