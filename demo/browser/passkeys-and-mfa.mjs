// The demo page in a real browser: Debian's Chromium driven by playwright-core, with
// Chromium's virtual authenticator (CTAP2, internal, resident keys, user verification)
// standing in for a phone or a laptop's fingerprint reader. It registers a passkey, signs
// out, signs in with it without typing an email, deletes it; then sets up TOTP with codes
// computed here (RFC 6238 over node:crypto, an authenticator app's algorithm, not the
// server's library) and signs in through the MFA step.
//
//   YAUTH_DEMO_BIN=target/debug/yauth-demo node passkeys-and-mfa.mjs
import { createHmac } from "node:crypto";
import assert from "node:assert/strict";
import { demoReady, freePort, launchChromium, spawnDemo } from "./support.mjs";

const port = await freePort();
// No --public-url: the demo names itself http://localhost:PORT, the passkeys' RP ID.
const demo = spawnDemo(port, []);
const origin = `http://localhost:${port}`;
let browser;
try {
  await demoReady(port);
  browser = await launchChromium();
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await page.goto(origin + "/");

  const result = () => page.locator("#result").textContent();
  // Clicks after clearing the last answer, so the next wait sees this click's answer.
  async function click(selector) {
    await page.evaluate(() => { document.getElementById("result").textContent = ""; });
    await page.click(selector);
  }
  // Waits until the page's last answer starts with `status`, and returns its body.
  async function answered(status) {
    try {
      await page.waitForFunction(
        (s) => document.getElementById("result").textContent.startsWith(s + " "), String(status),
        { timeout: 10_000 });
    } catch {
      throw new Error(`expected a ${status} answer; the page's last answer: ${await result()}`);
    }
    const text = await result();
    return text.slice(text.indexOf(" ") + 1);
  }
  const state = async (s) => {
    try {
      await page.waitForFunction((s) => document.getElementById("state").textContent === s, s, { timeout: 10_000 });
    } catch (e) {
      throw new Error(`the page is not ${s}; its last answer: ${await result()}`);
    }
  };
  async function logOut() {
    await click("#logout");
    await state("signed out");
  }

  const email = `browser-${Date.now()}@example.com`;
  const password = "Xk9#mP2$vL5nQ8wR";
  await page.fill("#register [name=email]", email);
  await page.fill("#register [name=password]", password);
  await click("#register button");
  await answered(201);
  await page.fill("#login [name=email]", email);
  await page.fill("#login [name=password]", password);
  await click("#login button");
  await state("signed in");

  // Register a passkey: a discoverable credential lands in the authenticator.
  await click("#passkey-register button");
  const created = JSON.parse(await answered(201));
  assert.equal(created.name, "my passkey");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true, "a discoverable credential");
  assert.equal(credentials[0].rpId, "localhost");

  // Sign out, and back in with the passkey alone: no email, no password.
  await logOut();
  await click("#passkey-login button");
  await state("signed in");
  const session = JSON.parse(await page.locator("#session").textContent());
  assert.equal(session.email, email);
  const { credentials: used } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.ok(used[0].signCount >= 1, "the authenticator signed");

  // The list shows it as used; delete it, and it no longer signs in.
  await click("#list-passkeys");
  const listed = JSON.parse(await answered(200));
  assert.equal(listed.length, 1);
  assert.ok(listed[0].last_used_at, "last_used_at is set");
  await page.fill("#passkey-delete [name=id]", listed[0].id);
  await click("#passkey-delete button");
  await answered(204);
  await logOut();
  await click("#passkey-login button");
  await answered(401);
  await state("signed out");

  // TOTP: set up, read the secret off the page, confirm with a code of our own making.
  await page.fill("#login [name=email]", email);
  await page.fill("#login [name=password]", password);
  await click("#login button");
  await state("signed in");
  await click("#totp-setup button");
  await answered(200);
  const secret = await page.locator("#totp-secret-text").textContent();
  const url = await page.locator("#totp-url").textContent();
  assert.match(url, /^otpauth:\/\/totp\/.*algorithm=SHA1&digits=6&period=30$/);
  const confirmation = totp(secret, 0);
  await page.fill("#totp-confirm [name=code]", confirmation);
  await click("#totp-confirm button");
  await answered(200);

  // A password sign-in now stops at the code: no session until it is given.
  await logOut();
  await page.fill("#login [name=email]", email);
  await page.fill("#login [name=password]", password);
  await click("#login button");
  assert.equal(JSON.parse(await answered(200)).mfa_required, true);
  await page.locator("#mfa-step").waitFor({ state: "visible" });
  assert.equal(await page.locator("#state").textContent(), "signed out");
  // The confirmation's code does not work twice.
  await page.fill("#mfa-step [name=code]", confirmation);
  await click("#mfa-step button");
  assert.equal(JSON.parse(await answered(401)).error, "invalid_code");
  await page.fill("#mfa-step [name=code]", totp(secret, 1));
  await click("#mfa-step button");
  await state("signed in");
  console.log("browser: PASS: passkey registered, used without an email, deleted; TOTP set up and asked at sign-in");
} finally {
  if (browser) await browser.close();
  demo.kill();
}

// RFC 6238 (HMAC-SHA1, 6 digits, 30-second steps) of a base32 secret, `steps` from now.
function totp(base32, steps) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + steps));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}
