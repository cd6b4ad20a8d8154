// The demo as a relying party of panva's oidc-provider (a certified OpenID Provider we did
// not write), in Debian's Chromium driven by playwright-core: the page's "Sign in with
// panva" goes to the provider, its own sign-in and consent pages are filled in, and the
// browser comes back signed in to the demo, with the provider linked. The provider keeps
// the email claims for userinfo (its default), so the demo reads them there. A second
// round finds the account again without asking; a callback opened twice is refused.
//
//   YAUTH_DEMO_BIN=target/debug/yauth-demo node oidc-provider-sign-in.mjs
import { randomBytes } from "node:crypto";
import assert from "node:assert/strict";
import Provider from "oidc-provider";
import { demoReady, freePort, launchChromium, spawnDemo } from "./support.mjs";

const [opPort, demoPort] = [await freePort(), await freePort()];
const issuer = `http://localhost:${opPort}`;
const demoOrigin = `http://localhost:${demoPort}`;
const secret = randomBytes(24).toString("hex");
const email = `op-user-${randomBytes(6).toString("hex")}@example.com`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: "yauth-demo",
    client_secret: secret,
    redirect_uris: [`${demoOrigin}/api/auth/oauth/panva/callback`],
    grant_types: ["authorization_code"],
    response_types: ["code"],
  }],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // Every login name is one account, with a verified email.
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email, email_verified: true, name: "Panva User" };
      },
    };
  },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
});
const op = provider.listen(opPort);

const demo = spawnDemo(demoPort, [
  "--oidc-provider", `name=panva,issuer=${issuer},client-id=yauth-demo,client-secret=${secret}`,
]);
let browser;
try {
  await demoReady(demoPort);
  browser = await launchChromium();
  const page = await (await browser.newContext()).newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(demoOrigin + "/");
  const state = page.locator("#state");
  await page.waitForFunction(() => document.getElementById("state").textContent !== "checking…");
  assert.equal(await state.textContent(), "signed out");

  // The provider's own pages: its sign-in form, then its consent.
  await page.getByRole("link", { name: "Sign in with panva" }).click();
  await page.waitForURL((url) => url.origin === issuer);
  await page.locator("input[name=login]").fill("alice");
  await page.locator("input[name=password]").fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(demoOrigin + "/");
  await page.waitForFunction(() => document.getElementById("state").textContent === "signed in");
  const session = JSON.parse(await page.locator("#session").textContent());
  assert.equal(session.email, email);
  assert.equal(session.email_verified, true);
  assert.equal(session.display_name, "Panva User");
  const linked = await page.evaluate(async () => (await fetch("/api/auth/oauth/accounts")).json());
  assert.deepEqual(linked.map((a) => [a.provider, a.provider_user_id]), [["panva", "alice"]]);

  // Signed out and back: the provider remembers the sign-in and the consent, the demo
  // the account.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForFunction(() => document.getElementById("state").textContent === "signed out");
  let callback;
  page.on("request", (request) => {
    if (request.url().startsWith(`${demoOrigin}/api/auth/oauth/panva/callback`)) callback = request.url();
  });
  await page.getByRole("link", { name: "Sign in with panva" }).click();
  await page.waitForURL(demoOrigin + "/");
  await page.waitForFunction(() => document.getElementById("state").textContent === "signed in");
  assert.equal(JSON.parse(await page.locator("#session").textContent()).id, session.id);

  // The same callback again (a replay from the history): refused, with the page's alert.
  assert.ok(callback, "the browser went through the callback");
  const replay = await page.goto(callback);
  assert.equal(replay.status(), 400);
  assert.match(await page.getByRole("alert").textContent(), /not started in this browser|already used/);
  console.log("oidc-provider sign-in: ok (new account, returning account, replay refused)");
} finally {
  if (browser) await browser.close();
  demo.kill();
  op.close();
}
