// The example apps in a real browser against the demo: Debian's Chromium driven by
// playwright-core, with the demo serving the built app (`--static-dir`), requiring email
// verification, and mailing through an SMTP sink on 127.0.0.1. Elements are found by role and
// accessible name, the contract of ts/README.md. OTP codes come from the `otpauth` package
// (an authenticator app's algorithm, reading the otpauth:// URL the page shows), passkeys from
// Chromium's virtual authenticator, and the OAuth 2 relying party is panva's openid-client.
//
//   YAUTH_DEMO_BIN=…/yauth-demo node e2e/run.mjs vue|solid   (after `npm run build`)
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as oc from "openid-client";
import * as OTPAuth from "otpauth";
import * as playwright from "playwright-core";
import { demoReady, freePort, launchChromium, spawnDemo } from "../../demo/browser/support.mjs";
import { startSmtpSink } from "./smtp-sink.mjs";

const app = process.argv[2];
assert.ok(app === "vue" || app === "solid", "usage: node e2e/run.mjs vue|solid");
const here = fileURLToPath(new URL(".", import.meta.url));
const dist = join(here, "..", "examples", app, "dist");
assert.ok(existsSync(join(dist, "index.html")), `build the example first: ${dist} has no index.html`);
const screenshots = join(here, "screenshots");

const password = "Xk9#mP2$vL5nQ8wR";
let sink;
let demo;
let browser;
let origin;
let api;
/** The message the server answers a wrong password, an unknown email and an unverified account alike. */
let refusal;

before(async () => {
  sink = await startSmtpSink();
  const port = await freePort();
  // The demo names itself http://localhost:PORT (passkeys need a host name, not an address).
  origin = `http://localhost:${port}`;
  api = `http://127.0.0.1:${port}/api/auth`;
  demo = spawnDemo(port, [
    "--static-dir",
    dist,
    "--require-email-verification",
    "--smtp-url",
    `smtp://127.0.0.1:${sink.port}`,
    "--dcr-open",
  ]);
  await demoReady(port);
  browser = await launchChromium(playwright);
  const unknown = await fetch(`${api}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: `nobody-${Date.now()}@example.com`, password }),
  });
  assert.equal(unknown.status, 401);
  refusal = (await unknown.json()).message;
  assert.ok(refusal, "the server answers a message");
});

/** Waits for an alert carrying exactly the server's refusal of a sign-in. */
async function refused(page) {
  const alert = page.getByRole("alert").filter({ hasText: refusal });
  await alert.first().waitFor();
  assert.equal((await alert.first().textContent()).trim(), refusal);
}

after(async () => {
  await browser?.close();
  demo?.kill();
  sink?.close();
});

let counter = 0;
const newEmail = (what) => `${app}-${what}-${Date.now()}-${counter++}@example.com`;

/** A fresh browser profile (no cookies) on the app; `step(name, fn)` saves a screenshot on failure. */
async function openApp(t) {
  const context = await browser.newContext({ baseURL: origin });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (e) => console.error(`[${app}] page error:`, e.message));
  t.after(async () => {
    if (!t.passed) {
      await mkdir(screenshots, { recursive: true });
      const file = join(screenshots, `${app}-${t.name.replace(/\W+/g, "-").slice(0, 60)}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error(`[${app}] screenshot of the failed page: ${file} (at ${page.url()})`);
    }
    await context.close();
  });
  return { context, page };
}

/** The form that holds the button named `name`. */
const formOf = (page, name) => page.locator("form").filter({ has: page.getByRole("button", { name, exact: true }) });

/** An account registered and verified through the API (the mailed token), for the flows that start signed out. */
async function verifiedAccount(what) {
  const email = newEmail(what);
  const post = (path, body) =>
    fetch(`${api}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  assert.equal((await post("/register", { email, password })).status, 201);
  const link = new URL(await sink.link(email, "/verify-email"));
  assert.equal((await post("/verify-email", { token: link.searchParams.get("token") })).status, 200);
  return email;
}

async function signIn(page, email, secret = password) {
  await page.goto("/login");
  const form = formOf(page, "Sign in");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password", { exact: true }).fill(secret);
  await form.getByRole("button", { name: "Sign in", exact: true }).click();
}

const signedInAs = (page, email) => page.getByText(`Signed in as ${email}`).waitFor();

async function signOut(page) {
  await page.goto("/");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("Signed in as").waitFor({ state: "detached" });
}

test("a new account registers, verifies its email from the mail, signs in, sees its session and signs out", async (t) => {
  const { page } = await openApp(t);
  const email = newEmail("register");
  await page.goto("/register");
  const form = formOf(page, "Create account");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByLabel("Display name").fill("Ada Example");
  await form.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("status").filter({ hasText: /\S/ }).first().waitFor();

  const first = await sink.link(email, "/verify-email", { containing: "Someone created an account" });
  // Unverified, the account cannot sign in yet (--require-email-verification), and is
  // refused like a wrong password.
  await signIn(page, email);
  await refused(page);
  assert.equal(await page.getByText(`Signed in as ${email}`).count(), 0);

  // That attempt mailed a new link, and only the newest link works.
  const newest = await sink.link(email, "/verify-email", { containing: "Confirm the email address" });
  await page.goto(first);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("alert").filter({ hasText: /\S/ }).first().waitFor();
  await page.goto(newest);
  await page.getByRole("button", { name: "Verify" }).click();
  await page
    .getByRole("status")
    .filter({ hasText: /verified/i })
    .first()
    .waitFor();

  await signIn(page, email);
  await page.waitForURL(`${origin}/`);
  await signedInAs(page, email);
  const session = await page.evaluate(async () => (await fetch("/api/auth/session")).json());
  assert.equal(session.email, email);
  assert.equal(session.display_name, "Ada Example");
  assert.equal(session.email_verified, true);

  await signOut(page);
  const after = await page.evaluate(async () => (await fetch("/api/auth/session")).status);
  assert.equal(after, 401, "the session ended on the server too");
});

test("a wrong password shows the server's own message in the alert", async (t) => {
  const email = await verifiedAccount("wrong");
  const { page } = await openApp(t);
  await signIn(page, email, "not-the-password-2");
  await refused(page);
  assert.equal(await page.getByText(`Signed in as ${email}`).count(), 0);
});

test("forgot password mails a link whose page sets a new password that signs in", async (t) => {
  const email = await verifiedAccount("reset");
  const { page } = await openApp(t);
  await page.goto("/forgot-password");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await page.getByRole("status").filter({ hasText: /\S/ }).first().waitFor();

  await page.goto(await sink.link(email, "/reset-password"));
  const fresh = "Fresh-Password-5-zebra";
  await page.getByLabel("New password").fill(fresh);
  await page.getByRole("button", { name: "Reset password" }).click();
  await page.getByRole("status").filter({ hasText: /\S/ }).first().waitFor();

  await signIn(page, email, password);
  await refused(page);
  await signIn(page, email, fresh);
  await signedInAs(page, email);
});

test("a magic link requested on /login signs the user in", async (t) => {
  const email = await verifiedAccount("magic");
  const { page } = await openApp(t);
  await page.goto("/login");
  const form = formOf(page, "Send magic link");
  await form.getByLabel("Email").fill(email);
  await form.getByRole("button", { name: "Send magic link" }).click();
  await page.getByRole("status").filter({ hasText: /\S/ }).first().waitFor();

  await page.goto(await sink.link(email, "/magic-link"));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(`${origin}/`);
  await signedInAs(page, email);
});

test("MFA set up in settings with an authenticator's code is asked for at the next sign-in", async (t) => {
  const email = await verifiedAccount("mfa");
  const { page } = await openApp(t);
  await signIn(page, email);
  await signedInAs(page, email);
  await page.goto("/settings");
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  await page.getByRole("img", { name: /QR code/ }).waitFor();
  const url = (
    await page
      .getByText(/^otpauth:\/\//)
      .first()
      .textContent()
  ).trim();
  const totp = OTPAuth.URI.parse(url);
  assert.ok(totp instanceof OTPAuth.TOTP);
  // The secret is shown as text too, for typing into an app.
  await page.getByText(new URL(url).searchParams.get("secret"), { exact: true }).first().waitFor();

  const form = formOf(page, "Enable");
  const setupCode = totp.generate();
  await form.getByLabel("Authentication code").fill(setupCode);
  await form.getByRole("button", { name: "Enable" }).click();
  await page.getByRole("heading", { name: /backup codes/i }).waitFor();

  await signOut(page);
  await signIn(page, email);
  await page.waitForURL(`${origin}/mfa`);
  assert.equal(await page.getByText(`Signed in as ${email}`).count(), 0, "no session before the code");
  // The code the setup used is refused as a replay; the next time step's is taken.
  await page.getByLabel("Authentication code").fill(setupCode);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("alert").filter({ hasText: /\S/ }).first().waitFor();
  await page.getByLabel("Authentication code").fill(totp.generate({ timestamp: Date.now() + 30_000 }));
  await page.getByRole("button", { name: "Verify" }).click();
  await signedInAs(page, email);
});

test("a passkey registered in settings signs in with Chromium's virtual authenticator, no password", async (t) => {
  const email = await verifiedAccount("passkey");
  const { context, page } = await openApp(t);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await signIn(page, email);
  await signedInAs(page, email);
  await page.goto("/settings");
  await page.getByLabel("Passkey name").fill("Virtual key");
  await page.getByRole("button", { name: "Register a passkey" }).click();
  await page.getByRole("status").filter({ hasText: /\S/ }).first().waitFor();
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1, "the authenticator holds the new passkey");
  const listed = await page.evaluate(async () => (await fetch("/api/auth/passkeys")).json());
  assert.deepEqual(
    listed.map((p) => p.name),
    ["Virtual key"],
  );

  await signOut(page);
  await page.goto("/login");
  // No email typed: the browser offers the discoverable credential.
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await signedInAs(page, email);
});

test("the consent screen's Deny and Allow answer a relying party (openid-client): access_denied, then a code it redeems", async (t) => {
  const email = await verifiedAccount("consent");
  const issuer = new URL(`${origin}/api/auth`);
  const execute = [oc.allowInsecureRequests];
  const redirectUri = "http://127.0.0.1:9/callback";
  const config = await oc.dynamicClientRegistration(
    issuer,
    {
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      scope: "openid email",
      client_name: `${app} example e2e`,
    },
    oc.None(),
    { execute },
  );
  const { page } = await openApp(t);
  // The relying party's callback, answered in the browser: nothing listens on port 9.
  await page.route(`${redirectUri}**`, (route) => route.fulfill({ body: "callback" }));

  async function authorize() {
    const verifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const nonce = oc.randomNonce();
    const url = oc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: "openid email",
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    await page.goto(url.href);
    return { verifier, state, nonce };
  }

  // Signed out: the authorization request goes through /login and comes back to /consent.
  const denied = await authorize();
  await page.waitForURL(/\/login\?/);
  const form = formOf(page, "Sign in");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password", { exact: true }).fill(password);
  await form.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/consent\?/);
  await page.getByText(config.clientMetadata().client_id).first().waitFor();
  // What the user decides on: the scopes, where the answer goes, and who they are.
  for (const scope of ["openid", "email"]) {
    await page
      .locator("code")
      .filter({ hasText: new RegExp(`\\b${scope}\\b`) })
      .first()
      .waitFor();
  }
  await page.getByText("You will be sent to 127.0.0.1:9").waitFor();
  await page.getByText(`Signed in as ${email}`).waitFor();
  await page.getByRole("button", { name: "Deny" }).click();
  await page.waitForURL(`${redirectUri}**`);
  const refusal = new URL(page.url());
  assert.equal(refusal.searchParams.get("error"), "access_denied");
  assert.equal(refusal.searchParams.get("state"), denied.state);

  const allowed = await authorize();
  await page.waitForURL(/\/consent\?/);
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL(`${redirectUri}**`);
  const tokens = await oc.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: allowed.verifier,
    expectedState: allowed.state,
    expectedNonce: allowed.nonce,
    idTokenExpected: true,
  });
  assert.equal(tokens.claims().email, email);
});

test("a device's code approved on /device gives the polling device (openid-client) its tokens", async (t) => {
  const email = await verifiedAccount("device");
  const issuer = new URL(`${origin}/api/auth`);
  const execute = [oc.allowInsecureRequests];
  const device = await oc.dynamicClientRegistration(
    issuer,
    {
      grant_types: ["urn:ietf:params:oauth:grant-type:device_code"],
      response_types: [],
      token_endpoint_auth_method: "none",
      scope: "openid email",
    },
    oc.None(),
    { execute },
  );
  const started = await oc.initiateDeviceAuthorization(device, { scope: "openid email" });
  const polled = oc.pollDeviceAuthorizationGrant(device, started);

  const { page } = await openApp(t);
  await signIn(page, email);
  await signedInAs(page, email);
  // The link the device shows (verification_uri_complete) lands on the app's page, prefilled.
  await page.goto(started.verification_uri_complete);
  assert.equal(await page.getByLabel("Device code").inputValue(), started.user_code);
  await page.getByRole("button", { name: "Allow" }).click();
  await page.getByRole("status").filter({ hasText: /\S/ }).first().waitFor();
  const tokens = await polled;
  assert.equal(tokens.claims().email, email);
});

test("an account locked by wrong passwords is unlocked from the mailed link's page", async (t) => {
  const email = await verifiedAccount("unlock");
  const login = (secret) =>
    fetch(`${api}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password: secret }),
    });
  // The default threshold: five wrong passwords lock the account; the right one is then refused.
  for (let i = 0; i < 5; i++) assert.equal((await login(`wrong-guess-${i}`)).status, 401);
  assert.equal((await login(password)).status, 423);
  const asked = await fetch(`${api}/account/request-unlock`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email }),
  });
  assert.equal(asked.status, 200);

  const { page } = await openApp(t);
  await page.goto(await sink.link(email, "/unlock-account"));
  // The token leaves the address bar before anything is sent.
  await page.waitForURL((url) => !url.searchParams.has("token"));
  await page.getByRole("button", { name: "Unlock account" }).click();
  await page.getByRole("status").filter({ hasText: /\S/ }).first().waitFor();
  await signIn(page, email);
  await signedInAs(page, email);
});
