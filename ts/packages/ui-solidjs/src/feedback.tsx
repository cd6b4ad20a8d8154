import { type JSX, Show } from "solid-js";

/** An error for the user (`role="alert"`), shown while `message` is set. */
export function Alert(props: { message: string | undefined }): JSX.Element {
  return (
    <Show when={props.message}>
      {(message) => (
        <p role="alert" class="yauth-alert">
          {message()}
        </p>
      )}
    </Show>
  );
}

/** A confirmation (`role="status"`), shown while `message` is set. */
export function Status(props: { message: string | undefined }): JSX.Element {
  return (
    <Show when={props.message}>
      {(message) => (
        <p role="status" class="yauth-status">
          {message()}
        </p>
      )}
    </Show>
  );
}
