import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { afterEach, describe, expect, it, vi } from "vitest";
import { YAuthProvider } from "./context.jsx";
import { OAuthButtons } from "./OAuthButtons.jsx";
import { PasskeyButton } from "./PasskeyButton.jsx";
import { ProfileSettings } from "./ProfileSettings.jsx";
import { fakeServer, json, signedOut, user } from "./testing/fakeServer.js";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe("ProfileSettings", () => {
  it("fills in the display name, saves the new one and fetches the session again", async () => {
    const { client, received } = fakeServer({
      "GET /session": [json(200, user("ada@example.com", "Ada")), json(200, user("ada@example.com", "Ada L."))],
      "PATCH /me": json(200, user("ada@example.com", "Ada L.")),
    });
    const onSaved = vi.fn();
    render(() => (
      <YAuthProvider client={client}>
        <ProfileSettings onSaved={onSaved} />
      </YAuthProvider>
    ));
    const field = screen.getByLabelText("Display name") as HTMLInputElement;
    await waitFor(() => expect(field.value).toBe("Ada"));

    fireEvent.input(field, { target: { value: "  Ada L. " } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));

    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1));
    expect(received.find((r) => r.path === "/me")?.body).toEqual({ display_name: "Ada L." });
    expect(received.filter((r) => r.path === "/session")).toHaveLength(2);
    expect(screen.getByRole("status").textContent).toBe("Your profile was saved.");
    expect(field.value).toBe("Ada L.");
  });
});

describe("PasskeyButton", () => {
  it("says so in words when the user cancels the browser's passkey prompt", async () => {
    const { client } = fakeServer({ "GET /session": signedOut() });
    client.passkey.login = () =>
      Promise.reject(new DOMException("The operation either timed out or was not allowed.", "NotAllowedError"));
    const onSuccess = vi.fn();
    render(() => (
      <YAuthProvider client={client}>
        <PasskeyButton mode="login" onSuccess={onSuccess} />
      </YAuthProvider>
    ));

    fireEvent.click(screen.getByRole("button", { name: "Sign in with a passkey" }));

    expect((await screen.findByRole("alert")).textContent).toMatch(/cancelled or timed out/);
    expect(onSuccess).not.toHaveBeenCalled();
  });

  it("registers a passkey under the name typed", async () => {
    const { client } = fakeServer({ "GET /session": json(200, user("ada@example.com")) });
    const register = vi.fn((name: string) =>
      Promise.resolve({
        id: "pk-1",
        name,
        created_at: "2025-01-01T00:00:00Z",
        backup_eligible: true,
        backup_state: true,
      }),
    );
    client.passkey.register = register;
    const onSuccess = vi.fn();
    render(() => (
      <YAuthProvider client={client}>
        <PasskeyButton mode="register" onSuccess={onSuccess} />
      </YAuthProvider>
    ));

    fireEvent.input(screen.getByLabelText("Passkey name"), { target: { value: " Laptop " } });
    fireEvent.click(screen.getByRole("button", { name: "Register a passkey" }));

    await waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1));
    expect(register).toHaveBeenCalledWith("Laptop");
    expect(screen.getByRole("status").textContent).toMatch(/Laptop/);
  });
});

describe("OAuthButtons", () => {
  it("sends the browser to the provider's authorize URL with redirect_to", () => {
    const { client } = fakeServer({ "GET /session": signedOut() });
    const assign = vi.spyOn(window.location, "assign").mockImplementation(() => {});
    render(() => (
      <YAuthProvider client={client}>
        <OAuthButtons providers={["github", "google"]} redirectTo="/settings" />
      </YAuthProvider>
    ));

    fireEvent.click(screen.getByRole("button", { name: "Sign in with google" }));

    expect(assign).toHaveBeenCalledWith("/api/auth/oauth/google/authorize?redirect_to=%2Fsettings");
    expect(screen.getByRole("button", { name: "Sign in with github" }).getAttribute("type")).toBe("button");
  });

  it("marks this tab in sessionStorage with the time before leaving, for takeOAuthMfaRedirect", () => {
    window.sessionStorage.removeItem("yauth.oauth.pending");
    const { client } = fakeServer({ "GET /session": signedOut() });
    let marked: string | null = null;
    vi.spyOn(window.location, "assign").mockImplementation(() => {
      marked = window.sessionStorage.getItem("yauth.oauth.pending");
    });
    render(() => (
      <YAuthProvider client={client}>
        <OAuthButtons providers={["github"]} />
      </YAuthProvider>
    ));

    fireEvent.click(screen.getByRole("button", { name: "Sign in with github" }));

    // The time it left: takeOAuthMfaRedirect takes a marker up to ten minutes old.
    expect(Math.abs(Date.now() - Number(marked))).toBeLessThan(60_000);
    window.sessionStorage.removeItem("yauth.oauth.pending");
  });
});
