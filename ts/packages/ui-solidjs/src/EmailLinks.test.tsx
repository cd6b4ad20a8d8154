import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { afterEach, describe, expect, it, vi } from "vitest";
import { YAuthProvider } from "./context.jsx";
import { MagicLinkVerify } from "./MagicLinkVerify.jsx";
import { fakeServer, json, signedOut, user } from "./testing/fakeServer.js";
import { VerifyEmail } from "./VerifyEmail.jsx";

afterEach(cleanup);

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("VerifyEmail", () => {
  it("spends the token only when Verify is pressed, then shows the server's message", async () => {
    const { client, received } = fakeServer({
      "GET /session": signedOut(),
      "POST /verify-email": json(200, { message: "Your email address is verified." }),
    });
    const onSuccess = vi.fn();
    render(() => (
      <YAuthProvider client={client}>
        <VerifyEmail token="tok-1" onSuccess={onSuccess} />
      </YAuthProvider>
    ));
    await settle();
    expect(received.some((r) => r.path === "/verify-email")).toBe(false);

    fireEvent.click(screen.getByRole("button", { name: "Verify" }));

    expect((await screen.findByRole("status")).textContent).toBe("Your email address is verified.");
    expect(received.find((r) => r.path === "/verify-email")?.body).toEqual({ token: "tok-1" });
    expect(onSuccess).toHaveBeenCalledWith("Your email address is verified.");
  });

  it("shows the server's message for a used token", async () => {
    const { client } = fakeServer({
      "GET /session": signedOut(),
      "POST /verify-email": json(400, { error: "invalid_token", message: "This link has expired or was used." }),
    });
    render(() => (
      <YAuthProvider client={client}>
        <VerifyEmail token="old" />
      </YAuthProvider>
    ));

    fireEvent.click(screen.getByRole("button", { name: "Verify" }));

    expect((await screen.findByRole("alert")).textContent).toBe("This link has expired or was used.");
  });
});

describe("MagicLinkVerify", () => {
  it("signs in only when the button is pressed, then fetches the session", async () => {
    const ada = user("ada@example.com");
    const { client, received } = fakeServer({
      "GET /session": [signedOut(), json(200, ada)],
      "POST /magic-link/verify": json(200, ada),
    });
    const onSuccess = vi.fn();
    render(() => (
      <YAuthProvider client={client}>
        <MagicLinkVerify token="ml-1" onSuccess={onSuccess} />
      </YAuthProvider>
    ));
    await settle();
    expect(received.some((r) => r.path === "/magic-link/verify")).toBe(false);

    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1));
    expect(received.find((r) => r.path === "/magic-link/verify")?.body).toEqual({ token: "ml-1" });
    expect(received.filter((r) => r.path === "/session")).toHaveLength(2);
  });

  it("hands the pending session id on when a second factor is needed", async () => {
    const { client } = fakeServer({
      "GET /session": signedOut(),
      "POST /magic-link/verify": json(200, { mfa_required: true, pending_session_id: "pending-7" }),
    });
    const onSuccess = vi.fn();
    const onMfaRequired = vi.fn();
    render(() => (
      <YAuthProvider client={client}>
        <MagicLinkVerify token="ml-2" onSuccess={onSuccess} onMfaRequired={onMfaRequired} />
      </YAuthProvider>
    ));

    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(onMfaRequired).toHaveBeenCalledWith("pending-7"));
    expect(onSuccess).not.toHaveBeenCalled();
  });
});
