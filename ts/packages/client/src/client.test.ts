import { describe, expect, it } from "vitest";
import { createYAuthClient, isYAuthError, operations, YAuthError } from "./index.js";

type Seen = { method: string; url: string; headers: Headers; body: string; credentials: RequestCredentials };

/** A stand-in server: records each request and answers with `answer(request)`. */
function server(answer: (seen: Seen) => Response) {
  const seen: Seen[] = [];
  const fetch = async (request: Request) => {
    const entry = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
      credentials: request.credentials,
    };
    seen.push(entry);
    return answer(entry);
  };
  return { seen, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

const user = {
  id: "0b5e",
  email: "ada@example.com",
  display_name: null,
  email_verified: true,
  role: "user",
  banned: false,
  auth_method: "Session",
};

describe("createYAuthClient", () => {
  it("posts a namespaced method's body as JSON to its route under the base URL, with cookies", async () => {
    const { seen, fetch } = server(() => json(200, user));
    const auth = createYAuthClient({ baseUrl: "https://app.example.com/api/auth/", fetch });
    const answer = await auth.emailPassword.login({ email: "ada@example.com", password: "pw", remember_me: true });
    expect(answer).toEqual(user);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe("POST");
    expect(seen[0]?.url).toBe("https://app.example.com/api/auth/login");
    expect(seen[0]?.headers.get("content-type")).toMatch(/application\/json/);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ email: "ada@example.com", password: "pw", remember_me: true });
    expect(seen[0]?.credentials).toBe("include");
  });

  it("puts the core operations on the client itself", async () => {
    const { seen, fetch } = server((s) =>
      s.method === "POST" ? new Response(null, { status: 204 }) : json(200, user),
    );
    const auth = createYAuthClient({ baseUrl: "http://localhost/api/auth", fetch });
    expect((await auth.getSession()).email).toBe("ada@example.com");
    expect(await auth.logout()).toBeUndefined();
    expect(seen.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      "GET /api/auth/session",
      "POST /api/auth/logout",
    ]);
  });

  it("fills path parameters, sends the rest as the query, and the body after them", async () => {
    const { seen, fetch } = server(() => json(200, { ...user, role: "admin" }));
    const auth = createYAuthClient({ baseUrl: "http://localhost/api/auth", fetch });
    await auth.admin.updateUser({ id: "a/b c" }, { role: "admin" });
    await auth.admin.listUsers({ page: 2, per_page: 5, search: "ada" });
    expect(seen[0]?.method).toBe("PUT");
    expect(new URL(seen[0]?.url ?? "").pathname).toBe("/api/auth/admin/users/a%2Fb%20c");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ role: "admin" });
    const query = new URL(seen[1]?.url ?? "").searchParams;
    expect([query.get("page"), query.get("per_page"), query.get("search")]).toEqual(["2", "5", "ada"]);
  });

  it("refuses a call whose path parameter is missing before sending anything", async () => {
    const { seen, fetch } = server(() => json(200, {}));
    const auth = createYAuthClient({ baseUrl: "/api/auth", fetch });
    await expect(auth.admin.getUser({ id: "" })).rejects.toThrow(/path parameter `id`/);
    expect(seen).toHaveLength(0);
  });

  it("refuses `.` and `..` as a path parameter, which would reach another route", async () => {
    const { seen, fetch } = server(() => json(200, {}));
    const auth = createYAuthClient({ baseUrl: "/api/auth", fetch });
    await expect(auth.passkey.delete({ id: ".." })).rejects.toThrow(/cannot be `..`/);
    await expect(auth.accountLockout.adminUnlock({ id: "." })).rejects.toThrow(/cannot be `.`/);
    expect(() => auth.oauth.authorize({ provider: "." })).toThrow(/cannot be `.`/);
    expect(seen).toHaveLength(0);
  });

  it("sends the OAuth 2 token endpoint's fields as a form", async () => {
    const { seen, fetch } = server(() =>
      json(200, { access_token: "a", token_type: "Bearer", expires_in: 60, refresh_token: "r" }),
    );
    const auth = createYAuthClient({ baseUrl: "http://localhost/api/auth", fetch });
    await auth.oauth2Server.token({ grant_type: "refresh_token", refresh_token: "r&=x", client_id: "c" });
    expect(seen[0]?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).toEqual({
      grant_type: "refresh_token",
      refresh_token: "r&=x",
      client_id: "c",
    });
  });

  it("gives the URL of an operation that only redirects, without a request", () => {
    const { seen, fetch } = server(() => json(200, {}));
    const auth = createYAuthClient({ baseUrl: "/api/auth", fetch });
    expect(auth.oauth.authorize({ provider: "git hub", redirect_to: "/settings?tab=1" })).toBe(
      "/api/auth/oauth/git%20hub/authorize?redirect_to=%2Fsettings%3Ftab%3D1",
    );
    expect(seen).toHaveLength(0);
  });

  it("sends per-call and per-client headers, and an abort signal", async () => {
    const { seen, fetch } = server(() => json(200, user));
    const auth = createYAuthClient({ baseUrl: "http://localhost/api/auth", fetch, headers: { "X-Client": "test" } });
    await auth.getSession({ headers: { Authorization: "Bearer t0k" } });
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer t0k");
    expect(seen[0]?.headers.get("x-client")).toBe("test");
    const aborted = new AbortController();
    aborted.abort();
    const real = createYAuthClient({ baseUrl: "http://127.0.0.1:9/api/auth" });
    await expect(real.getSession({ signal: aborted.signal })).rejects.toThrow(/abort/i);
  });

  it("has a namespace for every tag of the spec, and the passkey ceremonies", () => {
    const auth = createYAuthClient({ baseUrl: "/api/auth" });
    for (const namespace of [
      "emailPassword",
      "passkey",
      "mfa",
      "oauth",
      "bearer",
      "apiKeys",
      "magicLink",
      "admin",
      "webhooks",
      "accountLockout",
      "oidc",
      "oauth2Server",
    ] as const) {
      expect(Object.keys(operations)).toContain(namespace);
      expect(typeof auth[namespace]).toBe("object");
    }
    expect(typeof auth.updateProfile).toBe("function");
    expect(typeof auth.passkey.register).toBe("function");
    expect(typeof auth.passkey.login).toBe("function");
    expect(typeof auth.passkey.registerBegin).toBe("function");
  });
});

describe("YAuthError", () => {
  it("carries the status, the server's code and its message", async () => {
    const { fetch } = server(() => json(401, { error: "invalid_credentials", message: "Invalid email or password." }));
    const auth = createYAuthClient({ baseUrl: "http://localhost/api/auth", fetch });
    const error = await auth.emailPassword.login({ email: "a@b.co", password: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(YAuthError);
    expect(isYAuthError(error, "invalid_credentials")).toBe(true);
    expect(isYAuthError(error, "account_locked")).toBe(false);
    expect(error).toMatchObject({ status: 401, code: "invalid_credentials", message: "Invalid email or password." });
  });

  it("reads the OAuth 2 error body and Retry-After", async () => {
    const { fetch } = server(() =>
      json(429, { error: "slow_down", error_description: "Wait a little." }, { "Retry-After": "7" }),
    );
    const auth = createYAuthClient({ baseUrl: "http://localhost/api/auth", fetch });
    const error = await auth.oauth2Server.token({ grant_type: "x" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: "slow_down", message: "Wait a little.", retryAfter: 7 });
  });

  it("does not show a proxy's HTML page as the message", () => {
    const error = YAuthError.from(502, "<html><body>Bad Gateway</body></html>");
    expect(error.code).toBe("http_error");
    expect(error.message).toBe("The server could not answer: try again later.");
    expect(YAuthError.from(400, "plain words").message).toBe("plain words");
    expect(YAuthError.from(404, null).message).toBe("The request failed (HTTP 404).");
  });
});
