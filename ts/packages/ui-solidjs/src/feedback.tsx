import { type JSX, Show } from "solid-js";

/** A line with `role` and `class`, shown while `message` is set. */
function Message(props: { role: "alert" | "status"; class: string; message: string | undefined }): JSX.Element {
  return (
    <Show when={props.message}>
      {(message) => (
        <p role={props.role} class={props.class}>
          {message()}
        </p>
      )}
    </Show>
  );
}

/** An error for the user (`role="alert"`), shown while `message` is set. */
export function Alert(props: { message: string | undefined }): JSX.Element {
  return <Message role="alert" class="yauth-alert" message={props.message} />;
}

/** A confirmation (`role="status"`), shown while `message` is set. */
export function Status(props: { message: string | undefined }): JSX.Element {
  return <Message role="status" class="yauth-status" message={props.message} />;
}
