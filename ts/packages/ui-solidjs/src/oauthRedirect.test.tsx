import { afterEach, describe, expect, it } from "vitest";
import { markOAuthPending, OAUTH_PENDING_KEY, takeOAuthMfaRedirect } from "./oauthRedirect.js";

afterEach(() => {
  window.sessionStorage.clear();
  window.history.replaceState(null, "", "/");
});

const fragment = "#mfa_required=true&pending_session_id=pending-9";

describe("takeOAuthMfaRedirect", () => {
  it("returns the pending id when this tab left for the provider, and removes the marker", () => {
    markOAuthPending();
    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).toBe("1");
    window.history.replaceState(null, "", `/login?return_to=%2Fx${fragment}`);

    expect(takeOAuthMfaRedirect()).toBe("pending-9");

    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).toBeNull();
    expect(window.location.hash).toBe("");
    expect(window.location.pathname + window.location.search).toBe("/login?return_to=%2Fx");
  });

  it("refuses a fragment this tab did not ask for, and still takes it out of the URL", () => {
    window.history.replaceState(null, "", `/settings${fragment}`);

    expect(takeOAuthMfaRedirect()).toBeNull();

    expect(window.location.hash).toBe("");
    expect(window.location.pathname).toBe("/settings");
  });

  it("works once: a second call finds no marker", () => {
    markOAuthPending();
    window.history.replaceState(null, "", `/${fragment}`);
    expect(takeOAuthMfaRedirect()).toBe("pending-9");

    window.history.replaceState(null, "", `/${fragment}`);
    expect(takeOAuthMfaRedirect()).toBeNull();
  });

  it("removes the marker when the provider's answer needs no second factor", () => {
    markOAuthPending();
    window.history.replaceState(null, "", "/");

    expect(takeOAuthMfaRedirect()).toBeNull();
    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).toBeNull();
  });

  it("refuses a fragment without mfa_required=true or without an id", () => {
    for (const hash of [
      "#pending_session_id=p-1",
      "#mfa_required=false&pending_session_id=p-1",
      "#mfa_required=true",
    ]) {
      markOAuthPending();
      window.history.replaceState(null, "", `/${hash}`);
      expect(takeOAuthMfaRedirect()).toBeNull();
      expect(window.location.hash).toBe("");
    }
  });

  it("leaves another fragment alone", () => {
    window.history.replaceState(null, "", "/help#passwords");

    expect(takeOAuthMfaRedirect()).toBeNull();
    expect(window.location.hash).toBe("#passwords");
  });
});
