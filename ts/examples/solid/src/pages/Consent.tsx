import { ConsentScreen } from "@yauth/ui-solidjs";

export function ConsentPage() {
  return (
    <section>
      <h1>Allow access?</h1>
      <ConsentScreen />
    </section>
  );
}
