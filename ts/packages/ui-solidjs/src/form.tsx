// The frames the components share around their fields: a form with its messages and submit
// button, and the single button that spends a mailed link's token.
import type { JSX } from "solid-js";
import { Alert, Status } from "./feedback.jsx";
import type { Submission } from "./submission.js";

export interface SubmitFormProps {
  /** The form's call, whose error and confirmation show under the fields. */
  submission: Submission;
  /** Runs on submit (the browser does not navigate). */
  onSubmit: () => void;
  /** The submit button's text. */
  button: string;
  /** Keeps the button disabled once the call has done what it can do only once. */
  done?: boolean;
  /** The form's classes (default `yauth-form`). */
  class?: string;
  children: JSX.Element;
}

/** A form: its fields, the alert and the status of its call, and a submit button disabled while it runs. */
export function SubmitForm(props: SubmitFormProps): JSX.Element {
  const submit: JSX.EventHandler<HTMLFormElement, SubmitEvent> = (event) => {
    event.preventDefault();
    props.onSubmit();
  };
  return (
    <form class={props.class ?? "yauth-form"} onSubmit={submit}>
      {props.children}
      <Alert message={props.submission.error()} />
      <Status message={props.submission.status()} />
      <button type="submit" disabled={props.submission.pending() || props.done === true}>
        {props.button}
      </button>
    </form>
  );
}

export interface TokenButtonProps {
  /** The token of the mailed link; without one, pressing the button shows `missing` instead. */
  token: string;
  missing: string;
  /** Spends the token (called only with one). */
  onPress: () => void;
  submission: Submission;
  /** The token has been spent: the button stays disabled. */
  done: boolean;
  class: string;
  /** The sentence above the button, and the button's text. */
  prompt: string;
  button: string;
}

/**
 * A mailed link's action, taken when the user presses the button, never on its own: mail
 * scanners open links before people do, and a token works once.
 */
export function TokenButton(props: TokenButtonProps): JSX.Element {
  const press = () => {
    if (props.token) props.onPress();
    else props.submission.setError(props.missing);
  };
  return (
    <div class={props.class}>
      <p>{props.prompt}</p>
      <Alert message={props.submission.error()} />
      <Status message={props.submission.status()} />
      <button type="button" disabled={props.submission.pending() || props.done} onClick={press}>
        {props.button}
      </button>
    </div>
  );
}
