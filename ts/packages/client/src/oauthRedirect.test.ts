// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  markOAuthPending,
  OAUTH_PENDING_KEY,
  OAUTH_PENDING_MAX_AGE_MS,
  takeOAuthMfaRedirect,
} from "./oauthRedirect.js";

afterEach(() => {
  vi.useRealTimers();
  window.sessionStorage.clear();
  window.history.replaceState(null, "", "/");
});

const fragment = "#mfa_required=true&pending_session_id=pending-9";

/** A `pageshow` event, from the back/forward cache when `persisted`. */
function pageshow(persisted: boolean): Event {
  const event = new Event("pageshow");
  Object.defineProperty(event, "persisted", { value: persisted });
  return event;
}

describe("takeOAuthMfaRedirect", () => {
  it("returns the pending id when this tab left for the provider, and removes the marker", () => {
    vi.useFakeTimers({ now: 1_750_000_000_000 });
    markOAuthPending();
    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).toBe("1750000000000");
    window.history.replaceState(null, "", `/login?return_to=%2Fx${fragment}`);

    expect(takeOAuthMfaRedirect()).toBe("pending-9");

    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).toBeNull();
    expect(window.location.hash).toBe("");
    expect(window.location.pathname + window.location.search).toBe("/login?return_to=%2Fx");
  });

  it("takes a marker up to ten minutes old, not older", () => {
    vi.useFakeTimers({ now: 1_750_000_000_000 });
    markOAuthPending();
    vi.advanceTimersByTime(OAUTH_PENDING_MAX_AGE_MS);
    window.history.replaceState(null, "", `/${fragment}`);
    expect(takeOAuthMfaRedirect()).toBe("pending-9");

    markOAuthPending();
    vi.advanceTimersByTime(OAUTH_PENDING_MAX_AGE_MS + 1);
    window.history.replaceState(null, "", `/${fragment}`);
    expect(takeOAuthMfaRedirect()).toBeNull();
    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).toBeNull();
    expect(window.location.hash).toBe("");
  });

  it.each(["1", "", "soon", "-5", String(Date.now() + 60_000)])("refuses a marker holding %j", (value) => {
    window.sessionStorage.setItem(OAUTH_PENDING_KEY, value);
    window.history.replaceState(null, "", `/${fragment}`);

    expect(takeOAuthMfaRedirect()).toBeNull();
    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).toBeNull();
  });

  it("forgets the marker when the page comes back from the back/forward cache", () => {
    markOAuthPending();
    window.dispatchEvent(pageshow(false));
    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).not.toBeNull();

    window.dispatchEvent(pageshow(true));
    expect(window.sessionStorage.getItem(OAUTH_PENDING_KEY)).toBeNull();
    window.history.replaceState(null, "", `/${fragment}`);
    expect(takeOAuthMfaRedirect()).toBeNull();
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
