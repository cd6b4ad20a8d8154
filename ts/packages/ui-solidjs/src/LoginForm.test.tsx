import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { createYAuthClient, type YAuthClient } from "@yauth/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useYAuth, YAuthProvider } from "./context.jsx";
import { LoginForm, type LoginFormProps } from "./LoginForm.jsx";
import { fakeServer, json, signedOut, user } from "./testing/fakeServer.js";

afterEach(cleanup);

function SignedInAs() {
  const { user } = useYAuth();
  return <p data-testid="who">{user()?.email ?? "nobody"}</p>;
}

function renderLogin(client: YAuthClient, props: LoginFormProps = {}) {
  render(() => (
    <YAuthProvider client={client}>
      <SignedInAs />
      <LoginForm {...props} />
    </YAuthProvider>
  ));
}

function fillAndSubmit(email: string, password: string) {
  fireEvent.input(screen.getByLabelText("Email"), { target: { value: email } });
  fireEvent.input(screen.getByLabelText("Password"), { target: { value: password } });
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

const invalidCredentials = () =>
  json(401, { error: "invalid_credentials", message: "The email or the password is wrong." });

describe("LoginForm", () => {
  it("signs in, fetches the session again, then calls onSuccess", async () => {
    const ada = user("ada@example.com");
    const { client, received } = fakeServer({
      "GET /session": [signedOut(), json(200, ada)],
      "POST /login": json(200, ada),
    });
    const onSuccess = vi.fn();
    const onMfaRequired = vi.fn();
    renderLogin(client, { onSuccess, onMfaRequired });

    fillAndSubmit(" ada@example.com ", "correct horse");

    await waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1));
    expect(received.find((r) => r.path === "/login")?.body).toEqual({
      email: "ada@example.com",
      password: "correct horse",
    });
    expect(received.filter((r) => r.path === "/session")).toHaveLength(2);
    expect(screen.getByTestId("who").textContent).toBe("ada@example.com");
    expect(onMfaRequired).not.toHaveBeenCalled();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows the server's message in an alert when the password is wrong", async () => {
    const { client } = fakeServer({ "GET /session": signedOut(), "POST /login": invalidCredentials() });
    const onSuccess = vi.fn();
    renderLogin(client, { onSuccess });

    fillAndSubmit("ada@example.com", "wrong");

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("The email or the password is wrong.");
    expect(onSuccess).not.toHaveBeenCalled();
    expect((screen.getByRole("button", { name: "Sign in" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("hands the pending session id to onMfaRequired without signing in", async () => {
    const { client, received } = fakeServer({
      "GET /session": signedOut(),
      "POST /login": json(200, { mfa_required: true, pending_session_id: "pending-42" }),
    });
    const onSuccess = vi.fn();
    const onMfaRequired = vi.fn();
    renderLogin(client, { onSuccess, onMfaRequired });

    fillAndSubmit("ada@example.com", "correct horse");

    await waitFor(() => expect(onMfaRequired).toHaveBeenCalledWith("pending-42"));
    expect(onSuccess).not.toHaveBeenCalled();
    expect(received.filter((r) => r.path === "/session")).toHaveLength(1);
  });

  it("clears the previous alert when submitted again", async () => {
    const ada = user("ada@example.com");
    const { client } = fakeServer({
      "GET /session": [signedOut(), json(200, ada)],
      "POST /login": [invalidCredentials(), json(200, ada)],
    });
    const onSuccess = vi.fn();
    renderLogin(client, { onSuccess });

    fillAndSubmit("ada@example.com", "wrong");
    await screen.findByRole("alert");
    fillAndSubmit("ada@example.com", "correct horse");

    await waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("disables the button while the sign-in is under way", async () => {
    let answer: (response: Response) => void = () => {};
    const { client, received } = fakeServer({
      "GET /session": signedOut(),
      "POST /login": () =>
        new Promise<Response>((resolve) => {
          answer = resolve;
        }),
    });
    renderLogin(client);
    const button = screen.getByRole("button", { name: "Sign in" }) as HTMLButtonElement;

    fillAndSubmit("ada@example.com", "wrong");

    expect(button.disabled).toBe(true);
    await waitFor(() => expect(received.some((r) => r.path === "/login")).toBe(true));
    expect(button.disabled).toBe(true);
    answer(invalidCredentials());
    await screen.findByRole("alert");
    expect(button.disabled).toBe(false);
  });

  it("says the server could not be reached when the request fails", async () => {
    const client = createYAuthClient({
      baseUrl: "/api/auth",
      fetch: () => Promise.reject(new TypeError("Failed to fetch")),
    });
    renderLogin(client);

    fillAndSubmit("ada@example.com", "correct horse");

    expect((await screen.findByRole("alert")).textContent).toBe("Could not reach the server.");
  });

  it("offers a passkey sign-in unless showPasskey is false", () => {
    const { client } = fakeServer({ "GET /session": signedOut() });
    renderLogin(client);
    expect(screen.getByRole("button", { name: "Sign in with a passkey" })).toBeTruthy();
    cleanup();

    renderLogin(client, { showPasskey: false });
    expect(screen.queryByRole("button", { name: "Sign in with a passkey" })).toBeNull();
    expect(screen.getByRole("button", { name: "Sign in" })).toBeTruthy();
  });
});
