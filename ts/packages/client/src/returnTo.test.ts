// @vitest-environment happy-dom
// The only place `?return_to=` may send a freshly signed-in user: this origin's OAuth 2
// authorization endpoint. Anything else is an open redirect.
import { describe, expect, it } from "vitest";
import { authorizeReturnTo } from "./decision.js";

const safeReturnTo = (value: unknown) => authorizeReturnTo(value, "/api/auth")?.href ?? null;

describe("authorizeReturnTo", () => {
  it("keeps this origin's authorization request, relative or absolute", () => {
    expect(safeReturnTo("/api/auth/oauth/authorize?client_id=c&state=s")).toMatch(
      /\/api\/auth\/oauth\/authorize\?client_id=c&state=s$/,
    );
    expect(safeReturnTo(`${window.location.origin}/api/auth/oauth/authorize?x=1`)).toMatch(
      /\/api\/auth\/oauth\/authorize\?x=1$/,
    );
  });

  it.each([
    "//evil.example/api/auth/oauth/authorize",
    "/\\evil.example/api/auth/oauth/authorize",
    "https://evil.example/api/auth/oauth/authorize",
    "http:evil.example/api/auth/oauth/authorize",
    "javascript:alert(1)//api/auth/oauth/authorize",
    "/api/auth/oauth/authorize/../../../settings",
    "/API/AUTH/OAUTH/AUTHORIZE",
    "/api/auth/oauth%2Fauthorize",
    "/api/auth/oauth/token",
    "/settings",
    "",
  ])("refuses %s", (target) => {
    expect(safeReturnTo(target) ?? null).toBeNull();
  });

  it("refuses nothing given", () => {
    expect(safeReturnTo(null) ?? null).toBeNull();
  });
});
