import { A } from "@solidjs/router";

export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <A href="/">Go home</A>
      </p>
    </section>
  );
}
