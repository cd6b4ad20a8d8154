// The pieces the pages share.
import { A, Navigate } from "@solidjs/router";
import type { AuthUser } from "@yauth/client";
import { useYAuth } from "@yauth/ui-solidjs";
import { type Accessor, createSignal, type JSX, Show } from "solid-js";
import { takeQueryParam } from "./signIn.js";

/** `children` with the signed-in user; "Loading…" while the session is fetched; signed out, to `/login`. */
export function SignedIn(props: { children: (user: Accessor<AuthUser>) => JSX.Element }): JSX.Element {
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
      {(signedIn) => props.children(signedIn)}
    </Show>
  );
}

/** A page's error (`role="alert"`) and confirmation (`role="status"`), each while it is set. */
export function Feedback(props: { error?: string; status?: string }): JSX.Element {
  return (
    <>
      <Show when={props.error}>{(message) => <p role="alert">{message()}</p>}</Show>
      <Show when={props.status}>{(message) => <p role="status">{message()}</p>}</Show>
    </>
  );
}

/**
 * The page of a mailed link: `children` gets its token, `finish` to call once it has worked,
 * and whether it has; then the `next` link shows.
 */
export function MailedLinkPage(props: {
  title: string;
  /** Where to go once the link has worked, and the words of that link. */
  next?: { href: string; text: string };
  children: (token: string, finish: () => void, done: Accessor<boolean>) => JSX.Element;
}): JSX.Element {
  // Kept here, and taken out of the address bar.
  const token = takeQueryParam("token");
  const [done, setDone] = createSignal(false);
  const content = props.children(token, () => setDone(true), done);
  return (
    <section>
      <h1>{props.title}</h1>
      {content}
      <Show when={done() && props.next}>
        {(next) => (
          <p>
            <A href={next().href}>{next().text}</A>
          </p>
        )}
      </Show>
    </section>
  );
}
