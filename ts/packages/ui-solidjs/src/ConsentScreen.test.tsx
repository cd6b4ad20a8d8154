import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import type { YAuthClient } from "@yauth/client";
import { DECISION_DELAY_MS } from "@yauth/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConsentScreen, type ConsentScreenProps } from "./ConsentScreen.jsx";
import { YAuthProvider } from "./context.jsx";
import { fakeServer, json, user } from "./testing/fakeServer.js";

// The buttons wait for the page to have been in front for 700 ms: the clock is the test's
// (it also runs on by itself, for the waits of the testing library).
beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// As the server sends it: `nonce` absent, `prompt` present (not a field of the decision).
const query =
  "response_type=code&client_id=photo-app&redirect_uri=https%3A%2F%2Fphotos.example%2Fcallback" +
  "&scope=openid+email&state=s-123&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" +
  "&code_challenge_method=S256&prompt=consent";

const requestFields = {
  response_type: "code",
  client_id: "photo-app",
  redirect_uri: "https://photos.example/callback",
  scope: "openid email",
  state: "s-123",
  code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  code_challenge_method: "S256",
};

function renderConsent(client: YAuthClient, props: ConsentScreenProps) {
  render(() => (
    <YAuthProvider client={client}>
      <ConsentScreen {...props} />
    </YAuthProvider>
  ));
}

/** Waits for the session, and for the page to have been in front long enough: the buttons are then enabled. */
async function signedIn() {
  await screen.findByText("Signed in as ada@example.com");
  vi.advanceTimersByTime(DECISION_DELAY_MS);
}

const allowButton = () => screen.getByRole("button", { name: "Allow" }) as HTMLButtonElement;

/** The alert, and neither button. */
function refused(message: RegExp | string) {
  const text = screen.getByRole("alert").textContent ?? "";
  if (typeof message === "string") expect(text).toBe(message);
  else expect(text).toMatch(message);
  expect(screen.queryByRole("button", { name: "Allow" })).toBeNull();
  expect(screen.queryByRole("button", { name: "Deny" })).toBeNull();
}

function server(decision: Response) {
  return fakeServer({
    "GET /session": json(200, user("ada@example.com")),
    "POST /oauth/authorize": decision,
  });
}

describe("ConsentScreen", () => {
  it("shows the client, each requested scope, where the answer goes and who is signed in", async () => {
    const { client } = server(json(200, { redirect_to: "https://photos.example/callback" }));
    renderConsent(client, { request: new URLSearchParams(query) });

    expect(screen.getByText("photo-app")).toBeTruthy();
    const scopes = screen.getAllByRole("listitem").map((item) => item.textContent);
    expect(scopes).toHaveLength(2);
    expect(scopes[0]).toMatch(/^openid/);
    expect(scopes[1]).toMatch(/^email/);
    expect(screen.getByText("You will be sent to photos.example")).toBeTruthy();
    expect(screen.getByText("https://photos.example/callback").tagName).toBe("CODE");
    await signedIn();
  });

  it("names the redirect URI's host with its port, then its origin and path", () => {
    const { client } = server(json(200, { redirect_to: "/" }));
    const request = new URLSearchParams(query);
    request.set("redirect_uri", "http://127.0.0.1:9/cb?x=1#top");
    renderConsent(client, { request });

    const sentence = screen.getByText("You will be sent to 127.0.0.1:9");
    const next = sentence.nextElementSibling;
    expect(next?.textContent).toBe("http://127.0.0.1:9/cb");
    expect(next?.querySelector("code")?.textContent).toBe("http://127.0.0.1:9/cb");
  });

  it("refuses a request without redirect_uri: an alert and no buttons", () => {
    const { client, received } = server(json(200, { redirect_to: "/" }));
    const request = new URLSearchParams(query);
    request.delete("redirect_uri");
    renderConsent(client, { request });

    refused(/names no redirect URI/);
    expect(screen.queryByText(/You will be sent to/)).toBeNull();
    expect(received.some((r) => r.path === "/oauth/authorize")).toBe(false);
  });

  it.each([
    ["client_id", "other-app"],
    ["redirect_uri", "https://evil.example/callback"],
    ["scope", "openid"],
    ["state", "s-456"],
    ["code_challenge", "x"],
  ])("refuses a request that gives %s twice: an alert and no buttons", (field, second) => {
    const { client } = server(json(200, { redirect_to: "/" }));
    const request = new URLSearchParams(query);
    request.append(field, second);
    renderConsent(client, { request });

    refused(/more than once/);
  });

  it("refuses a repeated field of the page's own query", () => {
    window.history.replaceState(null, "", `/consent?${query}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb`);
    const { client } = server(json(200, { redirect_to: "/" }));
    renderConsent(client, {});

    refused(/more than once/);
    window.history.replaceState(null, "", "/");
  });

  it("takes a repeated parameter that is not a field of the decision", () => {
    const { client } = server(json(200, { redirect_to: "/" }));
    renderConsent(client, { request: new URLSearchParams(`${query}&prompt=login`) });

    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByRole("button", { name: "Allow" })).toBeTruthy();
  });

  it("keeps the buttons disabled until the session is known", async () => {
    const { client, received } = server(json(200, { redirect_to: "https://photos.example/callback" }));
    renderConsent(client, { request: new URLSearchParams(query), onDecision: vi.fn() });

    const allow = allowButton();
    expect(allow.disabled).toBe(true);
    fireEvent.click(allow);
    await signedIn();
    expect(allow.disabled).toBe(false);
    expect(received.some((r) => r.path === "/oauth/authorize")).toBe(false);
  });

  it("keeps the buttons disabled until the page has been in front for 700 ms", async () => {
    const { client } = server(json(200, { redirect_to: "https://photos.example/callback" }));
    renderConsent(client, { request: new URLSearchParams(query), onDecision: vi.fn() });
    await screen.findByText("Signed in as ada@example.com");

    const deny = screen.getByRole("button", { name: "Deny" }) as HTMLButtonElement;
    expect(allowButton().disabled).toBe(true);
    expect(deny.disabled).toBe(true);
    vi.advanceTimersByTime(DECISION_DELAY_MS);
    expect(allowButton().disabled).toBe(false);
    expect(deny.disabled).toBe(false);
  });

  it("disables the buttons when the window loses the focus, until it has had it back for 700 ms", async () => {
    const { client, received } = server(json(200, { redirect_to: "https://photos.example/callback" }));
    renderConsent(client, { request: new URLSearchParams(query), onDecision: vi.fn() });
    await signedIn();
    expect(allowButton().disabled).toBe(false);

    const hasFocus = vi.spyOn(document, "hasFocus").mockReturnValue(false);
    window.dispatchEvent(new Event("blur"));
    expect(allowButton().disabled).toBe(true);
    fireEvent.click(allowButton());
    hasFocus.mockReturnValue(true);
    window.dispatchEvent(new Event("focus"));
    expect(allowButton().disabled).toBe(true);
    vi.advanceTimersByTime(DECISION_DELAY_MS);
    expect(allowButton().disabled).toBe(false);
    expect(received.some((r) => r.path === "/oauth/authorize")).toBe(false);
  });

  it("posts approved: true with the request's fields and goes where the server says", async () => {
    const target = "https://photos.example/callback?code=c-1&state=s-123&iss=http%3A%2F%2Flocalhost%2Fapi%2Fauth";
    const { client, received } = server(json(200, { redirect_to: target }));
    const onDecision = vi.fn();
    renderConsent(client, { request: new URLSearchParams(query), onDecision });
    await signedIn();

    fireEvent.click(screen.getByRole("button", { name: "Allow" }));

    await waitFor(() => expect(onDecision).toHaveBeenCalledWith(target));
    const posted = received.filter((r) => r.method === "POST" && r.path === "/oauth/authorize");
    expect(posted).toHaveLength(1);
    expect(posted[0]?.body).toEqual({ ...requestFields, approved: true });
  });

  it("posts approved: false on Deny and goes where the server says", async () => {
    const target = "https://photos.example/callback?error=access_denied&state=s-123";
    const { client, received } = server(json(200, { redirect_to: target }));
    const onDecision = vi.fn();
    renderConsent(client, { request: new URLSearchParams(query), onDecision });
    await signedIn();

    fireEvent.click(screen.getByRole("button", { name: "Deny" }));

    await waitFor(() => expect(onDecision).toHaveBeenCalledWith(target));
    expect(received.find((r) => r.path === "/oauth/authorize")?.body).toEqual({ ...requestFields, approved: false });
  });

  it("reads the page's query when no request is given", async () => {
    window.history.replaceState(null, "", `/consent?${query}`);
    const { client, received } = server(json(200, { redirect_to: "https://photos.example/callback?code=c-2" }));
    const onDecision = vi.fn();
    renderConsent(client, { onDecision });
    await signedIn();

    fireEvent.click(screen.getByRole("button", { name: "Allow" }));

    await waitFor(() => expect(onDecision).toHaveBeenCalledTimes(1));
    expect(received.find((r) => r.path === "/oauth/authorize")?.body).toEqual({ ...requestFields, approved: true });
    window.history.replaceState(null, "", "/");
  });

  it("shows the server's error in an alert and lets the user decide again", async () => {
    const { client } = server(json(400, { error: "invalid_request", message: "The authorization request expired." }));
    const onDecision = vi.fn();
    renderConsent(client, { request: new URLSearchParams(query), onDecision });
    await signedIn();

    fireEvent.click(screen.getByRole("button", { name: "Allow" }));

    expect((await screen.findByRole("alert")).textContent).toBe("The authorization request expired.");
    expect(onDecision).not.toHaveBeenCalled();
    expect(allowButton().disabled).toBe(false);
  });

  it("refuses a request without client_id: an alert and no buttons", () => {
    const { client, received } = server(json(200, { redirect_to: "/" }));
    renderConsent(client, { request: new URLSearchParams("response_type=code&scope=openid") });

    refused(/names no client/);
    expect(received.some((r) => r.path === "/oauth/authorize")).toBe(false);
  });

  it.each([
    ["an unparsable redirect_uri", "not a url"],
    ["a redirect_uri that is not a web address", "javascript:alert(1)"],
  ])("refuses %s: an alert and no buttons", (_, redirectUri) => {
    const { client } = server(json(200, { redirect_to: "/" }));
    const request = new URLSearchParams(query);
    request.set("redirect_uri", redirectUri);
    renderConsent(client, { request });

    refused(/redirect URI is not a web address/);
    expect(screen.queryByText(/You will be sent to/)).toBeNull();
  });

  it("refuses to show inside a frame: an alert and no buttons", () => {
    vi.spyOn(window, "top", "get").mockReturnValue({} as Window);
    const { client } = server(json(200, { redirect_to: "/" }));
    renderConsent(client, { request: new URLSearchParams(query) });

    refused("This page cannot be used inside a frame.");
  });

  it("goes to an https answer with location.assign when no onDecision is given", async () => {
    const assign = vi.spyOn(window.location, "assign").mockImplementation(() => {});
    const target = "https://photos.example/callback?code=c-3&state=s-123";
    const { client } = server(json(200, { redirect_to: target }));
    renderConsent(client, { request: new URLSearchParams(query) });
    await signedIn();

    fireEvent.click(screen.getByRole("button", { name: "Allow" }));

    await waitFor(() => expect(assign).toHaveBeenCalledWith(target));
  });

  it.each(["javascript:alert(document.cookie)", "data:text/html,hi", "/relative/path"])(
    "does not go to the answer %s: an alert, and the decision stays made",
    async (target) => {
      const assign = vi.spyOn(window.location, "assign").mockImplementation(() => {});
      const { client } = server(json(200, { redirect_to: target }));
      const onDecision = vi.fn();
      renderConsent(client, { request: new URLSearchParams(query), onDecision });
      await signedIn();

      fireEvent.click(screen.getByRole("button", { name: "Allow" }));

      expect((await screen.findByRole("alert")).textContent).toMatch(/not a web address/);
      expect(onDecision).not.toHaveBeenCalled();
      expect(assign).not.toHaveBeenCalled();
      expect(allowButton().disabled).toBe(true);
    },
  );

  it.each([
    "https://evil.example/callback?code=c-4&state=s-123",
    "http://photos.example/callback?code=c-4&state=s-123",
    "https://photos.example:8443/callback?code=c-4&state=s-123",
    "https://photos.example.evil.example/callback?code=c-4",
  ])("does not go to the answer %s of another origin than redirect_uri: an alert", async (target) => {
    const assign = vi.spyOn(window.location, "assign").mockImplementation(() => {});
    const { client } = server(json(200, { redirect_to: target }));
    const onDecision = vi.fn();
    renderConsent(client, { request: new URLSearchParams(query), onDecision });
    await signedIn();

    fireEvent.click(screen.getByRole("button", { name: "Allow" }));

    expect((await screen.findByRole("alert")).textContent).toMatch(/another site than the redirect URI/);
    expect(onDecision).not.toHaveBeenCalled();
    expect(assign).not.toHaveBeenCalled();
    expect(allowButton().disabled).toBe(true);
  });

  it("does not go elsewhere with location.assign either", async () => {
    const assign = vi.spyOn(window.location, "assign").mockImplementation(() => {});
    const { client } = server(json(200, { redirect_to: "https://evil.example/callback?code=c-5" }));
    renderConsent(client, { request: new URLSearchParams(query) });
    await signedIn();

    fireEvent.click(screen.getByRole("button", { name: "Allow" }));

    expect((await screen.findByRole("alert")).textContent).toMatch(/another site/);
    expect(assign).not.toHaveBeenCalled();
  });
});
