import { flushPromises, mount } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChangePasswordForm } from "./components/ChangePasswordForm.js";
import { ForgotPasswordForm } from "./components/ForgotPasswordForm.js";
import { MagicLinkForm } from "./components/MagicLinkForm.js";
import { MagicLinkVerify } from "./components/MagicLinkVerify.js";
import { MfaChallenge } from "./components/MfaChallenge.js";
import { OAuthButtons } from "./components/OAuthButtons.js";
import { PasskeyButton } from "./components/PasskeyButton.js";
import { ProfileSettings } from "./components/ProfileSettings.js";
import { RegisterForm } from "./components/RegisterForm.js";
import { ResetPasswordForm } from "./components/ResetPasswordForm.js";
import { VerifyEmail } from "./components/VerifyEmail.js";
import { button, byLabel, hasButton, roleText } from "./testing/dom.js";
import { aUser, type FakeServer, fakeServer, refusal, SIGNED_OUT, withClient } from "./testing/server.js";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function global(server: FakeServer, client = server.client()) {
  return withClient(client);
}

describe("RegisterForm", () => {
  it("creates the account and shows the server's message as a status", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /register": { status: 201, body: { message: "Check your mail to verify your address." } },
    });
    const wrapper = mount(RegisterForm, { global: global(server) });
    await byLabel(wrapper, "Email").setValue("ada@example.com");
    const password = byLabel(wrapper, "Password");
    expect(password.attributes("autocomplete")).toBe("new-password");
    await password.setValue("correct horse battery");
    await byLabel(wrapper, "Display name").setValue("  Ada  ");
    await wrapper.find("form").trigger("submit");
    await flushPromises();

    expect(server.calls("POST /register")[0]?.body).toEqual({
      email: "ada@example.com",
      password: "correct horse battery",
      display_name: "Ada",
    });
    expect(roleText(wrapper, "status")).toBe("Check your mail to verify your address.");
    expect(wrapper.emitted("success")).toEqual([["Check your mail to verify your address."]]);
    expect(button(wrapper, "Create account").attributes("type")).toBe("submit");
  });

  it("shows a refusal in an alert", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /register": refusal(422, "password_too_short", "The password needs at least 12 characters."),
    });
    const wrapper = mount(RegisterForm, { global: global(server) });
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(roleText(wrapper, "alert")).toBe("The password needs at least 12 characters.");
    expect(wrapper.emitted("success")).toBeUndefined();
  });
});

describe("the password forms", () => {
  it("ForgotPasswordForm sends the email and confirms", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /forgot-password": { body: { message: "If the account exists, a link is on its way." } },
    });
    const wrapper = mount(ForgotPasswordForm, { global: global(server) });
    await byLabel(wrapper, "Email").setValue("ada@example.com");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(server.calls("POST /forgot-password")[0]?.body).toEqual({ email: "ada@example.com" });
    expect(roleText(wrapper, "status")).toBe("If the account exists, a link is on its way.");
    expect(hasButton(wrapper, "Send reset link")).toBe(true);
  });

  it("ResetPasswordForm sends the token with the new password", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /reset-password": { body: { message: "Your password was changed." } },
    });
    const wrapper = mount(ResetPasswordForm, { props: { token: "t0k3n" }, global: global(server) });
    await byLabel(wrapper, "New password").setValue("a new long password");
    expect(button(wrapper, "Reset password").attributes("type")).toBe("submit");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(server.calls("POST /reset-password")[0]?.body).toEqual({ token: "t0k3n", password: "a new long password" });
    expect(wrapper.emitted("success")).toEqual([["Your password was changed."]]);
  });

  it("ChangePasswordForm sends both passwords and empties the fields", async () => {
    const server = fakeServer({
      "GET /session": { body: aUser() },
      "POST /change-password": { body: { message: "Password changed." } },
    });
    const wrapper = mount(ChangePasswordForm, { global: global(server) });
    const current = byLabel(wrapper, "Current password");
    const next = byLabel(wrapper, "New password");
    expect(current.attributes("autocomplete")).toBe("current-password");
    expect(next.attributes("autocomplete")).toBe("new-password");
    await current.setValue("old password");
    await next.setValue("new password!");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(server.calls("POST /change-password")[0]?.body).toEqual({
      current_password: "old password",
      new_password: "new password!",
    });
    expect(roleText(wrapper, "status")).toBe("Password changed.");
    expect(current.element.value).toBe("");
    expect(next.element.value).toBe("");
    expect(hasButton(wrapper, "Change password")).toBe(true);
  });
});

describe("VerifyEmail", () => {
  it("spends the token only when Verify is pressed", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /verify-email": { body: { message: "Your email is verified." } },
    });
    const wrapper = mount(VerifyEmail, { props: { token: "mailed" }, global: global(server) });
    await flushPromises();
    expect(server.calls("POST /verify-email")).toHaveLength(0);

    await button(wrapper, "Verify").trigger("click");
    await flushPromises();
    expect(server.calls("POST /verify-email")[0]?.body).toEqual({ token: "mailed" });
    expect(roleText(wrapper, "status")).toBe("Your email is verified.");
    expect(wrapper.emitted("success")).toEqual([["Your email is verified."]]);
  });

  it("shows an expired link's message", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /verify-email": refusal(400, "invalid_token", "This link has expired."),
    });
    const wrapper = mount(VerifyEmail, { props: { token: "old" }, global: global(server) });
    await button(wrapper, "Verify").trigger("click");
    await flushPromises();
    expect(roleText(wrapper, "alert")).toBe("This link has expired.");
  });
});

describe("MagicLinkForm and MagicLinkVerify", () => {
  it("MagicLinkForm sends the email and confirms", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /magic-link/send": { body: { message: "A sign-in link is on its way." } },
    });
    const wrapper = mount(MagicLinkForm, { global: global(server) });
    await byLabel(wrapper, "Email").setValue("ada@example.com");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(server.calls("POST /magic-link/send")[0]?.body).toEqual({ email: "ada@example.com" });
    expect(wrapper.emitted("success")).toEqual([["A sign-in link is on its way."]]);
    expect(hasButton(wrapper, "Send magic link")).toBe(true);
  });

  it("MagicLinkVerify signs in only when pressed, then refetches the session", async () => {
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /magic-link/verify": { body: aUser() } });
    const wrapper = mount(MagicLinkVerify, { props: { token: "mailed" }, global: global(server) });
    await flushPromises();
    expect(server.calls("POST /magic-link/verify")).toHaveLength(0);

    server.on("GET /session", { body: aUser() });
    await button(wrapper, "Sign in").trigger("click");
    await flushPromises();
    expect(server.calls("POST /magic-link/verify")[0]?.body).toEqual({ token: "mailed" });
    expect(server.calls("GET /session")).toHaveLength(2);
    expect(wrapper.emitted("success")).toHaveLength(1);
  });

  it("MagicLinkVerify emits mfa-required when the account asks for a second factor", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /magic-link/verify": { body: { mfa_required: true, pending_session_id: "pending-7" } },
    });
    const wrapper = mount(MagicLinkVerify, { props: { token: "mailed" }, global: global(server) });
    await button(wrapper, "Sign in").trigger("click");
    await flushPromises();
    expect(wrapper.emitted("mfa-required")).toEqual([["pending-7"]]);
    expect(wrapper.emitted("success")).toBeUndefined();
  });
});

describe("MfaChallenge", () => {
  it("verifies the code for the pending sign-in and refetches the session", async () => {
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /mfa/verify": { body: aUser() } });
    const wrapper = mount(MfaChallenge, { props: { pendingSessionId: "pending-9" }, global: global(server) });
    server.on("GET /session", { body: aUser() });
    await byLabel(wrapper, "Authentication code").setValue("123456");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(server.calls("POST /mfa/verify")[0]?.body).toEqual({ pending_session_id: "pending-9", code: "123456" });
    expect(server.calls("GET /session")).toHaveLength(2);
    expect(wrapper.emitted("success")).toHaveLength(1);
    expect(hasButton(wrapper, "Verify")).toBe(true);
  });

  it("shows a refused code's message", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /mfa/verify": refusal(401, "invalid_code", "That code is not right."),
    });
    const wrapper = mount(MfaChallenge, { props: { pendingSessionId: "p" }, global: global(server) });
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(roleText(wrapper, "alert")).toBe("That code is not right.");
    expect(wrapper.emitted("success")).toBeUndefined();
  });
});

describe("OAuthButtons", () => {
  it("sends the browser to the provider's authorize URL", async () => {
    const assign = vi.fn();
    vi.spyOn(window, "location", "get").mockReturnValue({ ...window.location, assign });
    const server = fakeServer({ "GET /session": SIGNED_OUT });
    const wrapper = mount(OAuthButtons, {
      props: { providers: ["github", "google"], redirectTo: "/settings" },
      global: global(server),
    });
    expect(wrapper.findAll("button").map((b) => [b.text(), b.attributes("type")])).toEqual([
      ["Sign in with github", "button"],
      ["Sign in with google", "button"],
    ]);
    await button(wrapper, "Sign in with google").trigger("click");
    expect(assign).toHaveBeenCalledWith("/api/auth/oauth/google/authorize?redirect_to=%2Fsettings");
  });

  it("lands on / by default", async () => {
    const assign = vi.fn();
    vi.spyOn(window, "location", "get").mockReturnValue({ ...window.location, assign });
    const server = fakeServer({ "GET /session": SIGNED_OUT });
    const wrapper = mount(OAuthButtons, { props: { providers: ["github"] }, global: global(server) });
    await button(wrapper, "Sign in with github").trigger("click");
    expect(assign).toHaveBeenCalledWith("/api/auth/oauth/github/authorize?redirect_to=%2F");
  });

  it("marks this tab in sessionStorage with the time before leaving, for takeOAuthMfaRedirect", async () => {
    window.sessionStorage.removeItem("yauth.oauth.pending");
    let marked: string | null = null;
    const assign = vi.fn(() => {
      marked = window.sessionStorage.getItem("yauth.oauth.pending");
    });
    vi.spyOn(window, "location", "get").mockReturnValue({ ...window.location, assign });
    const server = fakeServer({ "GET /session": SIGNED_OUT });
    const wrapper = mount(OAuthButtons, { props: { providers: ["github"] }, global: global(server) });
    await button(wrapper, "Sign in with github").trigger("click");
    expect(assign).toHaveBeenCalledTimes(1);
    // The time it left: takeOAuthMfaRedirect takes a marker up to ten minutes old.
    expect(Math.abs(Date.now() - Number(marked))).toBeLessThan(60_000);
    window.sessionStorage.removeItem("yauth.oauth.pending");
  });
});

describe("PasskeyButton", () => {
  it("explains a cancelled passkey prompt instead of showing the browser's error", async () => {
    vi.stubGlobal("PublicKeyCredential", class {});
    const server = fakeServer({ "GET /session": SIGNED_OUT });
    const client = server.client();
    client.passkey.login = () =>
      Promise.reject(new DOMException("The operation either timed out or was not allowed.", "NotAllowedError"));
    const wrapper = mount(PasskeyButton, { props: { mode: "login" }, global: global(server, client) });
    await button(wrapper, "Sign in with a passkey").trigger("click");
    await flushPromises();
    expect(roleText(wrapper, "alert")).toBe(
      "The passkey request was cancelled or timed out. Try again when you are ready.",
    );
    expect(wrapper.emitted("success")).toBeUndefined();
  });

  it("says so when the browser has no passkeys, without asking the server", async () => {
    const server = fakeServer({ "GET /session": SIGNED_OUT });
    const wrapper = mount(PasskeyButton, { props: { mode: "login" }, global: global(server) });
    await button(wrapper, "Sign in with a passkey").trigger("click");
    await flushPromises();
    expect(roleText(wrapper, "alert")).toBe("This browser does not support passkeys.");
    expect(server.calls("POST /passkey/login/begin")).toHaveLength(0);
  });

  it("registers a passkey under the typed name", async () => {
    vi.stubGlobal("PublicKeyCredential", class {});
    const server = fakeServer({ "GET /session": { body: aUser() } });
    const client = server.client();
    const names: string[] = [];
    client.passkey.register = (name: string) => {
      names.push(name);
      return Promise.resolve({
        id: "2f0c1bde-0f5b-4b59-9d0e-0a4c1c1c1c1c",
        name,
        created_at: "2025-01-01T00:00:00Z",
        backup_eligible: true,
        backup_state: true,
      });
    };
    const wrapper = mount(PasskeyButton, { props: { mode: "register" }, global: global(server, client) });
    await byLabel(wrapper, "Passkey name").setValue("Laptop");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(names).toEqual(["Laptop"]);
    expect(roleText(wrapper, "status")).toContain("Laptop");
    expect(wrapper.emitted("success")).toHaveLength(1);
    expect(hasButton(wrapper, "Register a passkey")).toBe(true);
  });
});

describe("ProfileSettings", () => {
  it("starts from the session's display name, saves the new one and refetches", async () => {
    const server = fakeServer({
      "GET /session": { body: aUser({ display_name: "Ada" }) },
      "PATCH /me": { body: aUser({ display_name: "Ada Lovelace" }) },
    });
    const wrapper = mount(ProfileSettings, { global: global(server) });
    await flushPromises();
    const name = byLabel(wrapper, "Display name");
    expect(name.element.value).toBe("Ada");

    server.on("GET /session", { body: aUser({ display_name: "Ada Lovelace" }) });
    await name.setValue("Ada Lovelace");
    await wrapper.find("form").trigger("submit");
    await flushPromises();

    expect(server.calls("PATCH /me")[0]?.body).toEqual({ display_name: "Ada Lovelace" });
    expect(server.calls("GET /session")).toHaveLength(2);
    expect(roleText(wrapper, "status")).toBe("Profile saved.");
    expect(wrapper.emitted("saved")).toHaveLength(1);
    expect(hasButton(wrapper, "Save")).toBe(true);
  });
});
