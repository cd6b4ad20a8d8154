// What the components share: turning a failure into a sentence for the user, the state of a
// form's request, and the markup of a labelled field and of the alert and status lines.
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
