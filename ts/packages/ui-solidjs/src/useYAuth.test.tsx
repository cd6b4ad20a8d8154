import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { createYAuthClient } from "@yauth/client";
import { afterEach, describe, expect, it } from "vitest";
import { useYAuth, YAuthProvider } from "./context.jsx";
import { fakeServer, json, signedOut, user } from "./testing/fakeServer.js";

afterEach(cleanup);

/** Shows what useYAuth() gives, with a button to refetch. */
function Probe() {
  const { user, loading, error, refetch } = useYAuth();
  return (
    <div>
      <p data-testid="session">{loading() ? "loading" : (user()?.email ?? "signed out")}</p>
      <p data-testid="error">{error() ?? "no error"}</p>
      <button type="button" onClick={() => void refetch()}>
        Refetch
      </button>
    </div>
  );
}

const sessionText = () => screen.getByTestId("session").textContent;

describe("useYAuth", () => {
  it("loads the signed-in user once when the provider mounts", async () => {
    const { client, received } = fakeServer({ "GET /session": json(200, user("ada@example.com")) });
    render(() => (
      <YAuthProvider client={client}>
        <Probe />
      </YAuthProvider>
    ));

    expect(sessionText()).toBe("loading");
    await waitFor(() => expect(sessionText()).toBe("ada@example.com"));
    expect(screen.getByTestId("error").textContent).toBe("no error");
    expect(received.filter((r) => r.method === "GET" && r.path === "/session")).toHaveLength(1);
  });

  it("treats a 401 as signed out, not as an error", async () => {
    const { client } = fakeServer({ "GET /session": signedOut() });
    render(() => (
      <YAuthProvider client={client}>
        <Probe />
      </YAuthProvider>
    ));

    await waitFor(() => expect(sessionText()).toBe("signed out"));
    expect(screen.getByTestId("error").textContent).toBe("no error");
  });

  it("reports a server it cannot reach as an error, with no user", async () => {
    const client = createYAuthClient({
      baseUrl: "/api/auth",
      fetch: () => Promise.reject(new TypeError("Failed to fetch")),
    });
    render(() => (
      <YAuthProvider client={client}>
        <Probe />
      </YAuthProvider>
    ));

    await waitFor(() => expect(screen.getByTestId("error").textContent).toBe("Could not reach the server."));
    expect(sessionText()).toBe("signed out");
  });

  it("picks up a sign-in made since on refetch", async () => {
    const { client, received } = fakeServer({
      "GET /session": [signedOut(), json(200, user("grace@example.com"))],
    });
    render(() => (
      <YAuthProvider client={client}>
        <Probe />
      </YAuthProvider>
    ));
    await waitFor(() => expect(sessionText()).toBe("signed out"));

    fireEvent.click(screen.getByRole("button", { name: "Refetch" }));

    await waitFor(() => expect(sessionText()).toBe("grace@example.com"));
    expect(received.filter((r) => r.path === "/session")).toHaveLength(2);
  });

  it("forgets the user when a refetch finds the session gone", async () => {
    const { client } = fakeServer({ "GET /session": [json(200, user("ada@example.com")), signedOut()] });
    render(() => (
      <YAuthProvider client={client}>
        <Probe />
      </YAuthProvider>
    ));
    await waitFor(() => expect(sessionText()).toBe("ada@example.com"));

    fireEvent.click(screen.getByRole("button", { name: "Refetch" }));

    await waitFor(() => expect(sessionText()).toBe("signed out"));
  });

  it("throws when used outside a YAuthProvider", () => {
    expect(() => render(() => <Probe />)).toThrow(/inside <YAuthProvider>/);
  });
});
