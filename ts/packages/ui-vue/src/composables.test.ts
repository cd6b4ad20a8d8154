import { flushPromises, mount } from "@vue/test-utils";
import { describe, expect, it } from "vitest";
import { defineComponent } from "vue";
import { ANOTHER_REQUEST, type UseAuth, useAuth, useSession } from "./composables.js";
import { isMfaRequired } from "./internal.js";
import {
  aUser,
  deferred,
  type FakeServer,
  fakeServer,
  type Reply,
  refusal,
  SIGNED_OUT,
  withClient,
} from "./testing/server.js";

/** Runs `use` in a component's setup (with the plugin on `server`) and hands back its result. */
async function inSetup<T>(server: FakeServer, use: () => T): Promise<T> {
  let result: T | undefined;
  mount(
    defineComponent({
      setup() {
        result = use();
        return () => null;
      },
    }),
    { global: withClient(server.client()) },
  );
  await flushPromises();
  if (result === undefined) throw new Error("setup did not run");
  return result;
}

const MFA = { mfa_required: true, pending_session_id: "pending-1" };

describe("useAuth", () => {
  it("login sends the credentials, refetches the session and resolves with the user", async () => {
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /login": { body: aUser() } });
    const auth: UseAuth = await inSetup(server, useAuth);
    expect(auth.user.value).toBeNull();
    server.on("GET /session", { body: aUser() });

    const answer = await auth.login({ email: "ada@example.com", password: "correct horse" });

    expect(answer).toEqual(aUser());
    expect(server.calls("POST /login")[0]?.body).toEqual({ email: "ada@example.com", password: "correct horse" });
    expect(server.calls("GET /session")).toHaveLength(2);
    expect(auth.user.value?.email).toBe("ada@example.com");
    expect(auth.error.value).toBeNull();
  });

  it("login resolves with mfa_required and leaves the session alone", async () => {
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /login": { body: MFA } });
    const auth = await inSetup(server, useAuth);

    const answer = await auth.login({ email: "ada@example.com", password: "correct horse" });

    expect(isMfaRequired(answer)).toBe(true);
    expect(answer).toEqual(MFA);
    expect(server.calls("GET /session")).toHaveLength(1);
    expect(auth.user.value).toBeNull();
  });

  it("a refused login sets error to the server's message and rejects", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /login": refusal(401, "invalid_credentials", "Wrong email or password."),
    });
    const auth = await inSetup(server, useAuth);

    await expect(auth.login({ email: "ada@example.com", password: "nope" })).rejects.toMatchObject({
      status: 401,
      code: "invalid_credentials",
    });
    expect(auth.error.value).toBe("Wrong email or password.");
    expect(auth.submitting.value).toBe(false);
  });

  it("a call clears the previous error", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /forgot-password": refusal(429, "rate_limited", "Too many requests."),
    });
    const auth = await inSetup(server, useAuth);
    await auth.forgotPassword({ email: "ada@example.com" }).catch(() => undefined);
    expect(auth.error.value).toBe("Too many requests.");

    server.on("POST /forgot-password", { body: { message: "If the account exists, a link is on its way." } });
    await expect(auth.forgotPassword({ email: "ada@example.com" })).resolves.toEqual({
      message: "If the account exists, a link is on its way.",
    });
    expect(auth.error.value).toBeNull();
  });

  it("submitting is true while a call is under way", async () => {
    const held = deferred<Reply>();
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /register": () => held.promise });
    const auth = await inSetup(server, useAuth);

    const registering = auth.register({ email: "ada@example.com", password: "correct horse", display_name: "Ada" });
    expect(auth.submitting.value).toBe(true);
    held.resolve({ status: 201, body: { message: "Check your mail." } });
    await expect(registering).resolves.toEqual({ message: "Check your mail." });
    expect(auth.submitting.value).toBe(false);
    expect(server.calls("POST /register")[0]?.body).toEqual({
      email: "ada@example.com",
      password: "correct horse",
      display_name: "Ada",
    });
  });

  it("the same call again while the first is under way returns the same promise and sends nothing", async () => {
    const held = deferred<Reply>();
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /login": () => held.promise });
    const auth = await inSetup(server, useAuth);

    const first = auth.login({ email: "ada@example.com", password: "correct horse" });
    const second = auth.login({ email: "ada@example.com", password: "correct horse" });

    expect(second).toBe(first);
    server.on("GET /session", { body: aUser() });
    held.resolve({ body: aUser() });
    await expect(second).resolves.toEqual(aUser());
    expect(server.calls("POST /login")).toHaveLength(1);
    expect(auth.submitting.value).toBe(false);

    // Once settled, the next call is sent.
    server.on("POST /login", { body: aUser() });
    const third = auth.login({ email: "ada@example.com", password: "correct horse" });
    expect(third).not.toBe(first);
    await third;
    expect(server.calls("POST /login")).toHaveLength(2);
  });

  it("a call with other arguments while one is under way is refused: 'Another request is under way.'", async () => {
    const held = deferred<Reply>();
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /login": () => held.promise });
    const auth = await inSetup(server, useAuth);

    const first = auth.login({ email: "ada@example.com", password: "correct horse" });
    const second = auth.login({ email: "grace@example.com", password: "typed again" });

    expect(second).not.toBe(first);
    await expect(second).rejects.toThrow(new Error("Another request is under way."));
    expect(ANOTHER_REQUEST).toBe("Another request is under way.");
    expect(auth.error.value).toBe("Another request is under way.");
    expect(auth.submitting.value).toBe(true);

    // The first call goes on, alone.
    server.on("GET /session", { body: aUser() });
    held.resolve({ body: aUser() });
    await expect(first).resolves.toEqual(aUser());
    expect(server.calls("POST /login")).toHaveLength(1);
    expect(server.calls("POST /login")[0]?.body).toEqual({ email: "ada@example.com", password: "correct horse" });
    expect(auth.submitting.value).toBe(false);

    // The next call clears the error.
    server.on("POST /login", { body: aUser() });
    await auth.login({ email: "grace@example.com", password: "typed again" });
    expect(auth.error.value).toBeNull();
  });

  it("compares the arguments whole: a field more makes another call", async () => {
    const held = deferred<Reply>();
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /login": () => held.promise });
    const auth = await inSetup(server, useAuth);

    const first = auth.login({ email: "ada@example.com", password: "correct horse" });
    const second = auth.login({ email: "ada@example.com", password: "correct horse", remember_me: true });

    await expect(second).rejects.toThrow(ANOTHER_REQUEST);
    held.resolve({ body: MFA });
    await first;
    expect(server.calls("POST /login")).toHaveLength(1);
  });

  it("arguments that cannot be written as JSON never match the call under way", async () => {
    const held = deferred<Reply>();
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /forgot-password": () => held.promise });
    const auth = await inSetup(server, useAuth);
    const odd = { email: "ada@example.com", size: 1n } as unknown as { email: string };

    const first = auth.forgotPassword({ email: "ada@example.com" });
    await expect(auth.forgotPassword(odd)).rejects.toThrow(ANOTHER_REQUEST);
    held.resolve({ body: { message: "On its way." } });
    await first;
    expect(server.calls("POST /forgot-password")).toHaveLength(1);
  });

  it("a double submit of a failing call rejects both callers once, and the next call is sent", async () => {
    const held = deferred<Reply>();
    const server = fakeServer({ "GET /session": SIGNED_OUT, "POST /forgot-password": () => held.promise });
    const auth = await inSetup(server, useAuth);

    const first = auth.forgotPassword({ email: "ada@example.com" });
    const second = auth.forgotPassword({ email: "ada@example.com" });
    held.resolve(refusal(429, "rate_limited", "Too many requests."));

    await expect(first).rejects.toMatchObject({ status: 429 });
    await expect(second).rejects.toMatchObject({ status: 429 });
    expect(server.calls("POST /forgot-password")).toHaveLength(1);
    expect(auth.error.value).toBe("Too many requests.");
    expect(auth.submitting.value).toBe(false);

    server.on("POST /forgot-password", { body: { message: "On its way." } });
    await expect(auth.forgotPassword({ email: "ada@example.com" })).resolves.toEqual({ message: "On its way." });
    expect(server.calls("POST /forgot-password")).toHaveLength(2);
    expect(auth.error.value).toBeNull();
  });

  it("different calls do not wait for each other; submitting stays true until both end", async () => {
    const heldRegister = deferred<Reply>();
    const heldForgot = deferred<Reply>();
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /register": () => heldRegister.promise,
      "POST /forgot-password": () => heldForgot.promise,
    });
    const auth = await inSetup(server, useAuth);

    const registering = auth.register({ email: "ada@example.com", password: "correct horse", display_name: "Ada" });
    const forgetting = auth.forgotPassword({ email: "grace@example.com" });
    await flushPromises();
    expect(server.calls("POST /register")).toHaveLength(1);
    expect(server.calls("POST /forgot-password")).toHaveLength(1);

    heldRegister.resolve({ status: 201, body: { message: "Check your mail." } });
    await registering;
    expect(auth.submitting.value).toBe(true);
    heldForgot.resolve({ body: { message: "On its way." } });
    await forgetting;
    expect(auth.submitting.value).toBe(false);
  });

  it("a failure to reach the server reads 'Could not reach the server.'", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /change-password": () => Promise.reject(new TypeError("Failed to fetch")),
    });
    const auth = await inSetup(server, useAuth);
    await expect(auth.changePassword({ current_password: "a", new_password: "b" })).rejects.toThrow(TypeError);
    expect(auth.error.value).toBe("Could not reach the server.");
  });

  it("resetPassword sends the token and the new password", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /reset-password": { body: { message: "Your password was changed." } },
    });
    const auth = await inSetup(server, useAuth);
    await expect(auth.resetPassword({ token: "t0k3n", password: "n3w password" })).resolves.toEqual({
      message: "Your password was changed.",
    });
    expect(server.calls("POST /reset-password")[0]?.body).toEqual({ token: "t0k3n", password: "n3w password" });
  });

  it("logout waits for a login under way, then signs out", async () => {
    const held = deferred<Reply>();
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /login": () => held.promise,
      "POST /logout": { status: 204 },
    });
    const auth = await inSetup(server, useAuth);

    const login = auth.login({ email: "ada@example.com", password: "correct horse" });
    const logout = auth.logout();
    await flushPromises();
    expect(server.calls("POST /logout")).toHaveLength(0);

    server.on("GET /session", { body: aUser() });
    held.resolve({ body: aUser() });
    await expect(login).resolves.toEqual(aUser());
    await logout;

    expect(server.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /session",
      "POST /login",
      "GET /session",
      "POST /logout",
    ]);
    expect(auth.user.value).toBeNull();
    expect(auth.submitting.value).toBe(false);
  });

  it("logout waits for a register under way, also one that fails", async () => {
    const held = deferred<Reply>();
    const server = fakeServer({
      "GET /session": { body: aUser() },
      "POST /register": () => held.promise,
      "POST /logout": { status: 204 },
    });
    const auth = await inSetup(server, useAuth);

    const register = auth.register({ email: "ada@example.com", password: "correct horse" });
    const logout = auth.logout();
    await flushPromises();
    expect(server.calls("POST /logout")).toHaveLength(0);

    held.resolve(refusal(409, "conflict", "That email is taken."));
    await expect(register).rejects.toMatchObject({ status: 409 });
    await expect(logout).resolves.toBeUndefined();
    expect(server.calls("POST /logout")).toHaveLength(1);
    expect(auth.user.value).toBeNull();
  });

  it("logout posts /logout and forgets the user", async () => {
    const server = fakeServer({ "GET /session": { body: aUser() }, "POST /logout": { status: 204 } });
    const auth = await inSetup(server, useAuth);
    expect(auth.user.value).not.toBeNull();
    await auth.logout();
    expect(server.calls("POST /logout")).toHaveLength(1);
    expect(auth.user.value).toBeNull();
  });
});

describe("useSession", () => {
  const both = () => ({ session: useSession(), auth: useAuth() });

  it("isAuthenticated and isEmailVerified follow the session", async () => {
    const server = fakeServer({
      "GET /session": SIGNED_OUT,
      "POST /login": { body: aUser({ email_verified: false }) },
    });
    const { session, auth } = await inSetup(server, both);
    expect(session.user.value).toBeNull();
    expect(session.isAuthenticated.value).toBe(false);
    expect(session.isEmailVerified.value).toBe(false);
    expect(session.loading.value).toBe(false);

    server.on("GET /session", { body: aUser({ email_verified: false }) });
    await auth.login({ email: "ada@example.com", password: "correct horse" });
    expect(session.isAuthenticated.value).toBe(true);
    expect(session.isEmailVerified.value).toBe(false);
    expect(session.user.value?.email).toBe("ada@example.com");
  });

  it("isEmailVerified is true for a verified user", async () => {
    const server = fakeServer({ "GET /session": { body: aUser({ email_verified: true }) } });
    const { session } = await inSetup(server, both);
    expect(session.isAuthenticated.value).toBe(true);
    expect(session.isEmailVerified.value).toBe(true);
  });

  it("logout forgets the user, also when the session had already ended", async () => {
    const server = fakeServer({ "GET /session": { body: aUser() }, "POST /logout": SIGNED_OUT });
    const { session } = await inSetup(server, both);
    expect(session.isAuthenticated.value).toBe(true);
    await session.logout();
    expect(server.calls("POST /logout")).toHaveLength(1);
    expect(session.isAuthenticated.value).toBe(false);
  });

  it("logout rejects and keeps the user when the server cannot be reached", async () => {
    const server = fakeServer({
      "GET /session": { body: aUser() },
      "POST /logout": () => Promise.reject(new TypeError("Failed to fetch")),
    });
    const { session } = await inSetup(server, both);
    await expect(session.logout()).rejects.toThrow(TypeError);
    expect(session.isAuthenticated.value).toBe(true);
  });
});
