// What the components share: turning a failure into a sentence for the user, the state of a
// form's request, the markup of a labelled field, of a form and of the alert and status lines,
// and the end of a sign-in.
import { isYAuthError, type Json } from "@yauth/client";
import { h, type Ref, shallowRef, type VNode } from "vue";

/** The alert for a failure that is not an answer of the server (the network, mostly). */
export const NETWORK_ERROR = "Could not reach the server.";
/** The alert when the browser's passkey prompt was closed or timed out. */
export const PASSKEY_CANCELLED = "The passkey request was cancelled or timed out. Try again when you are ready.";
/** The alert when the browser has no WebAuthn. */
export const PASSKEY_UNSUPPORTED = "This browser does not support passkeys.";
/** The alert when the authenticator already holds a passkey for this account. */
export const PASSKEY_EXISTS = "This authenticator already holds a passkey for this account.";

/** Thrown before a ceremony when the browser cannot do one. */
export class PasskeyUnsupportedError extends Error {
  constructor() {
    super(PASSKEY_UNSUPPORTED);
    this.name = "PasskeyUnsupportedError";
  }
}

function errorName(e: unknown): string | undefined {
  return e instanceof Error || (typeof DOMException !== "undefined" && e instanceof DOMException) ? e.name : undefined;
}

/**
 * The sentence to show for a failure: the server's message for a {@link YAuthError}, a
 * friendly one when the browser's passkey prompt failed, else {@link NETWORK_ERROR}.
 */
export function errorMessage(e: unknown): string {
  if (isYAuthError(e)) return e.message;
  if (e instanceof PasskeyUnsupportedError) return e.message;
  // The WebAuthn errors (DOMExceptions, or @simplewebauthn's WebAuthnError named after them).
  switch (errorName(e)) {
    case "NotAllowedError":
    case "AbortError":
      return PASSKEY_CANCELLED;
    case "InvalidStateError":
      return PASSKEY_EXISTS;
    case "NotSupportedError":
      return PASSKEY_UNSUPPORTED;
    default:
      return NETWORK_ERROR;
  }
}

/** The answer of a first factor (password, passkey, magic link). */
export type SignInAnswer = Json<"emailPasswordLogin", 200>;
/** The answer asking for a second factor. */
export type MfaRequiredAnswer = Extract<SignInAnswer, { mfa_required: boolean }>;

/** Whether a sign-in answer asks for a second factor (`{ mfa_required, pending_session_id }`). */
export function isMfaRequired(answer: unknown): answer is MfaRequiredAnswer {
  if (answer === null || typeof answer !== "object") return false;
  const fields = answer as Record<string, unknown>;
  return fields.mfa_required === true && typeof fields.pending_session_id === "string";
}

/** The state of a form's requests. */
export interface Action {
  /** The last failure's sentence, or `null`. */
  readonly error: Ref<string | null>;
  /** A confirmation to show, or `null`. */
  readonly status: Ref<string | null>;
  /** Whether a request is under way. */
  readonly submitting: Ref<boolean>;
  /** Runs `task`, clearing the messages first; a failure sets `error` and is rethrown. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Like `run`, but a failure only sets `error`; ignored while a request is under way. */
  attempt(task: () => Promise<void>): Promise<void>;
}

export function useAction(): Action {
  const error = shallowRef<string | null>(null);
  const status = shallowRef<string | null>(null);
  const submitting = shallowRef(false);

  async function run<T>(task: () => Promise<T>): Promise<T> {
    error.value = null;
    status.value = null;
    submitting.value = true;
    try {
      return await task();
    } catch (e) {
      error.value = errorMessage(e);
      throw e;
    } finally {
      submitting.value = false;
    }
  }

  async function attempt(task: () => Promise<void>): Promise<void> {
    if (submitting.value) return;
    try {
      await run(task);
    } catch {
      // Shown in the alert.
    }
  }

  return { error, status, submitting, run, attempt };
}

/** A labelled text input bound to `model`. */
export interface FieldOptions {
  id: string;
  label: string;
  model: Ref<string>;
  name?: string;
  type?: "text" | "email" | "password";
  autocomplete?: string;
  inputmode?: "text" | "numeric" | "email";
  required?: boolean;
  maxlength?: number;
  /** A sentence under the input, linked to it with `aria-describedby`. */
  hint?: string;
}

export function field(options: FieldOptions): VNode {
  const hintId = options.hint ? `${options.id}-hint` : undefined;
  return h("div", { class: "yauth-field" }, [
    h("label", { for: options.id }, options.label),
    h("input", {
      id: options.id,
      name: options.name,
      type: options.type ?? "text",
      value: options.model.value,
      autocomplete: options.autocomplete,
      inputmode: options.inputmode,
      required: options.required ?? false,
      maxlength: options.maxlength,
      "aria-describedby": hintId,
      onInput: (event: Event) => {
        options.model.value = (event.target as HTMLInputElement).value;
      },
    }),
    hintId ? h("p", { id: hintId, class: "yauth-hint" }, options.hint) : null,
  ]);
}

/** "Email", required; `autocomplete` is `email` unless the form says otherwise (`username` to sign in). */
export function emailField(id: string, model: Ref<string>, autocomplete: "email" | "username" = "email"): VNode {
  return field({
    id: `${id}-email`,
    label: "Email",
    name: "email",
    type: "email",
    autocomplete,
    model,
    required: true,
  });
}

/** A required password input, the user's current one or a new one; its `name` is its `autocomplete` unless given. */
export function passwordField(
  options: Pick<FieldOptions, "id" | "label" | "model" | "name"> & {
    autocomplete: "current-password" | "new-password";
  },
): VNode {
  return field({ ...options, name: options.name ?? options.autocomplete, type: "password", required: true });
}

/** "Display name", optional. */
export function displayNameField(id: string, model: Ref<string>): VNode {
  return field({ id: `${id}-display-name`, label: "Display name", name: "name", autocomplete: "name", model });
}

/** "Authentication code", required: a code from the authenticator app, described by `hint`. */
export function codeField(id: string, model: Ref<string>, hint: string, inputmode?: "numeric"): VNode {
  return field({
    id: `${id}-code`,
    label: "Authentication code",
    name: "code",
    autocomplete: "one-time-code",
    inputmode,
    model,
    required: true,
    hint,
  });
}

/** The alert (`role="alert"`) and the confirmation (`role="status"`) of an action, when set. */
export function messages(action: Action): (VNode | null)[] {
  return [
    action.error.value ? h("p", { role: "alert", class: "yauth-error" }, action.error.value) : null,
    action.status.value ? h("p", { role: "status", class: "yauth-status" }, action.status.value) : null,
  ];
}

/** A submit button, disabled while the action runs. */
export function submitButton(action: Action, label: string): VNode {
  return h("button", { type: "submit", disabled: action.submitting.value }, label);
}

/** A `submit` listener that keeps the browser from navigating. */
export function onSubmit(handler: () => unknown): (event: Event) => void {
  return (event: Event) => {
    event.preventDefault();
    void handler();
  };
}

/** What {@link form} makes. */
export interface FormOptions {
  /** Its class beside `yauth-form`. */
  class?: string;
  /** Runs on submit (the browser does not navigate). */
  submit: () => unknown;
  /** The submit button's text. */
  button: string;
}

/** A form: `children` (its fields), then the action's messages and its submit button. */
export function form(action: Action, options: FormOptions, children: (VNode | null)[]): VNode {
  const className = options.class ? `yauth-form ${options.class}` : "yauth-form";
  return h("form", { class: className, onSubmit: onSubmit(options.submit) }, [
    ...children,
    ...messages(action),
    submitButton(action, options.button),
  ]);
}

/**
 * A mailed link's action, taken when the user presses the button, never on mount (mail
 * scanners open links ahead of people): `prompt` and the button, gone once `done`, and the
 * action's messages.
 */
export function tokenButton(
  action: Action,
  options: { class: string; done: boolean; prompt: string; button: string; press: () => unknown },
): VNode {
  return h("div", { class: options.class }, [
    options.done ? null : h("p", options.prompt),
    ...messages(action),
    options.done
      ? null
      : h("button", { type: "button", disabled: action.submitting.value, onClick: options.press }, options.button),
  ]);
}

/** The validator of a `success` event that carries the server's message. */
export const isMessage = (message: string): boolean => typeof message === "string";

/** Shows the server's `message` as the action's confirmation, and emits it with `success`. */
export function succeed(action: Action, emit: (event: "success", message: string) => void, message: string): void {
  action.status.value = message;
  emit("success", message);
}

/** What a first factor of sign-in emits (a password, a passkey, a magic link). */
export interface SignInEmit {
  (event: "success"): void;
  (event: "mfa-required", pendingSessionId: string): void;
}

/**
 * After a first factor's answer: `mfa-required` with the pending id when it asks for a second
 * factor, else the session is fetched again and `success` emitted.
 */
export async function finishSignIn(
  answer: unknown,
  session: { refetch(): Promise<unknown> },
  emit: SignInEmit,
): Promise<void> {
  if (isMfaRequired(answer)) {
    emit("mfa-required", answer.pending_session_id);
    return;
  }
  await session.refetch();
  emit("success");
}
