import { flushPromises, mount } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LoginForm } from "./components/LoginForm.js";
import { button, byLabel, hasButton, roleText } from "./testing/dom.js";
import { aUser, deferred, fakeServer, type Reply, refusal, SIGNED_OUT, withClient } from "./testing/server.js";

async function mountLogin(routes: Parameters<typeof fakeServer>[0], props: { showPasskey?: boolean } = {}) {
  const server = fakeServer({ "GET /session": SIGNED_OUT, ...routes });
  const wrapper = mount(LoginForm, { props, global: withClient(server.client()) });
  await flushPromises();
  return { server, wrapper };
}

async function signIn(wrapper: Awaited<ReturnType<typeof mountLogin>>["wrapper"], password = "correct horse") {
  await byLabel(wrapper, "Email").setValue("ada@example.com");
  await byLabel(wrapper, "Password").setValue(password);
  await wrapper.find("form").trigger("submit");
  await flushPromises();
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("LoginForm", () => {
  it("labels its inputs for password managers", async () => {
    const { wrapper } = await mountLogin({});
    const email = byLabel(wrapper, "Email");
    const password = byLabel(wrapper, "Password");
    expect(email.attributes("type")).toBe("email");
    expect(email.attributes("autocomplete")).toBe("username");
    expect(password.attributes("type")).toBe("password");
    expect(password.attributes("autocomplete")).toBe("current-password");
    expect(button(wrapper, "Sign in").attributes("type")).toBe("submit");
  });

  it("signs in, refetches the session and emits success", async () => {
    const { server, wrapper } = await mountLogin({ "POST /login": { body: aUser() } });
    server.on("GET /session", { body: aUser() });

    await signIn(wrapper);

    expect(server.calls("POST /login")[0]?.body).toEqual({ email: "ada@example.com", password: "correct horse" });
    expect(server.calls("GET /session")).toHaveLength(2);
    expect(wrapper.emitted("success")).toHaveLength(1);
    expect(wrapper.emitted("mfa-required")).toBeUndefined();
    expect(roleText(wrapper, "alert")).toBeNull();
  });

  it("shows the server's message in an alert when the credentials are refused", async () => {
    const { wrapper } = await mountLogin({
      "POST /login": refusal(401, "invalid_credentials", "Invalid email or password."),
    });

    await signIn(wrapper, "wrong");

    expect(roleText(wrapper, "alert")).toBe("Invalid email or password.");
    expect(wrapper.emitted("success")).toBeUndefined();
  });

  it("emits mfa-required with the pending session id, without signing in", async () => {
    const { server, wrapper } = await mountLogin({
      "POST /login": { body: { mfa_required: true, pending_session_id: "pending-42" } },
    });

    await signIn(wrapper);

    expect(wrapper.emitted("mfa-required")).toEqual([["pending-42"]]);
    expect(wrapper.emitted("success")).toBeUndefined();
    expect(server.calls("GET /session")).toHaveLength(1);
  });

  it("clears the previous alert when submitted again", async () => {
    const held = deferred<Reply>();
    const { server, wrapper } = await mountLogin({
      "POST /login": refusal(423, "account_locked", "This account is locked for 15 minutes."),
    });
    await signIn(wrapper);
    expect(roleText(wrapper, "alert")).toBe("This account is locked for 15 minutes.");

    server.on("POST /login", () => held.promise);
    await wrapper.find("form").trigger("submit");
    expect(roleText(wrapper, "alert")).toBeNull();
    held.resolve({ body: aUser() });
    await flushPromises();
    expect(wrapper.emitted("success")).toHaveLength(1);
  });

  it("disables Sign in while the request is under way", async () => {
    const held = deferred<Reply>();
    const { server, wrapper } = await mountLogin({ "POST /login": () => held.promise });
    await byLabel(wrapper, "Email").setValue("ada@example.com");
    await byLabel(wrapper, "Password").setValue("correct horse");
    await wrapper.find("form").trigger("submit");
    expect(button(wrapper, "Sign in").element.disabled).toBe(true);

    // A second submit while the first runs sends nothing.
    await wrapper.find("form").trigger("submit");
    expect(server.calls("POST /login")).toHaveLength(1);

    held.resolve(refusal(401, "invalid_credentials", "Invalid email or password."));
    await flushPromises();
    expect(button(wrapper, "Sign in").element.disabled).toBe(false);
  });

  it("says the server could not be reached when the request fails", async () => {
    const { wrapper } = await mountLogin({ "POST /login": () => Promise.reject(new TypeError("Failed to fetch")) });
    await signIn(wrapper);
    expect(roleText(wrapper, "alert")).toBe("Could not reach the server.");
  });

  it("offers a passkey sign-in, for the typed email, unless showPasskey is false", async () => {
    const { server, wrapper } = await mountLogin({ "POST /passkey/login/begin": refusal(400, "x", "Nope.") });
    expect(hasButton(wrapper, "Sign in with a passkey")).toBe(true);

    vi.stubGlobal("PublicKeyCredential", class {});
    await byLabel(wrapper, "Email").setValue("ada@example.com");
    await button(wrapper, "Sign in with a passkey").trigger("click");
    await flushPromises();
    expect(server.calls("POST /passkey/login/begin")[0]?.body).toEqual({ email: "ada@example.com" });
    expect(roleText(wrapper, "alert")).toBe("Nope.");

    const { wrapper: without } = await mountLogin({}, { showPasskey: false });
    expect(hasButton(without, "Sign in with a passkey")).toBe(false);
  });
});
