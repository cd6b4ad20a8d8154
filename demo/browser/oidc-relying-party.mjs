// The demo as an OpenID provider, driven by panva's openid-client (an OpenID-certified
// relying-party library) with every check it has on: discovery (issuer match), dynamic
// client registration with the initial access token, the code flow with PKCE S256, state and
// nonce (the `iss` of the response, the id_token's signature against the JWKS, iss, aud,
// azp, nonce, exp, at_hash), userinfo, refresh, introspection, revocation, client
// credentials, a reused code refused, the device flow, and RP-initiated logout. The user signs in and consents through the JSON
// endpoints the demo's pages use.
//
//   YAUTH_DEMO_BIN=target/debug/yauth-demo node oidc-relying-party.mjs
import assert from "node:assert/strict";
import * as oc from "openid-client";
import { demoReady, freePort, spawnDemo } from "./support.mjs";

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const issuer = new URL(`${base}/api/auth`);
const dcrToken = "rp-test-initial-access-token";
const demo = spawnDemo(port, ["--public-url", base, "--dcr-token", dcrToken]);
// Plain http on the loopback address; nothing else is relaxed.
const execute = [oc.allowInsecureRequests, oc.enableNonRepudiationChecks];
const redirectUri = "http://127.0.0.1:9/callback";
let failed = false;
try {
  await demoReady(port);

  // Registration without the initial access token is refused; with it, a client.
  await assert.rejects(
    oc.dynamicClientRegistration(issuer, { redirect_uris: [redirectUri] }, undefined, { execute }),
    "registration without the initial access token",
  );
  const config = await oc.dynamicClientRegistration(
    issuer,
    {
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      scope: "openid email profile offline_access",
      client_name: "openid-client test",
      post_logout_redirect_uris: ["http://127.0.0.1:9/signed-out"],
    },
    undefined,
    { execute, initialAccessToken: dcrToken },
  );
  const client = config.clientMetadata();
  assert.ok(client.client_id && client.client_secret, "a confidential client");
  assert.equal(config.serverMetadata().issuer, issuer.href);
  console.log("rp: discovered and registered", client.client_id);

  // A user, signed in through the JSON endpoints (the cookie is kept by hand).
  const email = "rp-user@example.com";
  const password = "Correct-horse-9-battery";
  const json = (path, body, cookie) =>
    fetch(`${issuer.href}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
  assert.equal((await json("/register", { email, password })).status, 201);
  const login = await json("/login", { email, password });
  assert.equal(login.status, 200, await login.clone().text());
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");

  // The authorization request, as the library builds it.
  async function authorize(scope) {
    const verifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const nonce = oc.randomNonce();
    const url = oc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    let location = (await fetch(url, { redirect: "manual", headers: { cookie } })).headers.get("location");
    assert.ok(location, "the authorization endpoint redirects");
    if (location.startsWith(`${base}/consent?`)) {
      // The consent page's decision, with the request it was handed.
      const request = Object.fromEntries(new URL(location).searchParams);
      const decision = await json("/oauth/authorize", { ...request, approved: true }, cookie);
      assert.equal(decision.status, 200, await decision.clone().text());
      location = (await decision.json()).redirect_to;
    }
    assert.ok(location.startsWith(redirectUri), location);
    return { callback: new URL(location), verifier, state, nonce };
  }

  const first = await authorize("openid email profile offline_access");
  const tokens = await oc.authorizationCodeGrant(config, first.callback, {
    pkceCodeVerifier: first.verifier,
    expectedState: first.state,
    expectedNonce: first.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  assert.equal(claims.email, email);
  assert.equal(claims.nonce, first.nonce);
  assert.equal(claims.azp, client.client_id);
  assert.equal(typeof claims.auth_time, "number");
  assert.ok(tokens.refresh_token, "offline_access gives a refresh token");
  console.log("rp: code flow with PKCE and nonce: id_token verified for", claims.sub);

  const info = await oc.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.email, email);
  console.log("rp: userinfo");

  // The same code again: refused.
  await assert.rejects(
    oc.authorizationCodeGrant(config, first.callback, {
      pkceCodeVerifier: first.verifier,
      expectedState: first.state,
      expectedNonce: first.nonce,
    }),
    (e) => e.error === "invalid_grant",
  );

  // A nonce mismatch: the library refuses the id_token (and the code is spent).
  const mismatch = await authorize("openid");
  await assert.rejects(
    oc.authorizationCodeGrant(config, mismatch.callback, {
      pkceCodeVerifier: mismatch.verifier,
      expectedState: mismatch.state,
      expectedNonce: "another-nonce",
      idTokenExpected: true,
    }),
    (e) => /nonce/.test(String(e.message) + String(e.cause?.message ?? "")),
  );
  console.log("rp: a nonce mismatch is refused");

  // The code's reuse revoked the family: a new grant for the rest.
  const second = await authorize("openid email offline_access");
  const fresh = await oc.authorizationCodeGrant(config, second.callback, {
    pkceCodeVerifier: second.verifier,
    expectedState: second.state,
    expectedNonce: second.nonce,
    idTokenExpected: true,
  });
  const refreshed = await oc.refreshTokenGrant(config, fresh.refresh_token);
  assert.ok(refreshed.access_token && refreshed.refresh_token !== fresh.refresh_token);
  console.log("rp: refresh rotated");

  const live = await oc.tokenIntrospection(config, refreshed.access_token);
  assert.equal(live.active, true);
  assert.equal(live.client_id, client.client_id);
  assert.equal(live.sub, claims.sub);
  await oc.tokenRevocation(config, refreshed.refresh_token);
  const dead = await oc.tokenIntrospection(config, refreshed.access_token);
  assert.equal(dead.active, false, "revoking the refresh token ends its access tokens");
  await assert.rejects(oc.refreshTokenGrant(config, refreshed.refresh_token), (e) => e.error === "invalid_grant");
  console.log("rp: introspection and revocation");

  // A service client: client credentials.
  const service = await oc.dynamicClientRegistration(
    issuer,
    { grant_types: ["client_credentials"], response_types: [], token_endpoint_auth_method: "client_secret_post" },
    undefined,
    { execute, initialAccessToken: dcrToken },
  );
  const own = await oc.clientCredentialsGrant(service);
  assert.ok(own.access_token);
  assert.equal((await oc.tokenIntrospection(service, own.access_token)).active, true);
  console.log("rp: client credentials");

  // A device: the device grant, approved by the user on the device page's endpoint while
  // the library polls at the interval it was given.
  const tv = await oc.dynamicClientRegistration(
    issuer,
    {
      grant_types: ["urn:ietf:params:oauth:grant-type:device_code"],
      response_types: [],
      token_endpoint_auth_method: "none",
      scope: "openid email",
    },
    oc.None(),
    { execute, initialAccessToken: dcrToken },
  );
  const started = await oc.initiateDeviceAuthorization(tv, { scope: "openid email" });
  assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(started.verification_uri, `${base}/device`);
  const polled = oc.pollDeviceAuthorizationGrant(tv, started);
  const seen = await fetch(`${issuer.href}/oauth/device?user_code=${started.user_code}`, { headers: { cookie } });
  assert.equal(seen.status, 200);
  const approval = await json("/oauth/device", { user_code: started.user_code, approved: true }, cookie);
  assert.equal((await approval.json()).status, "approved");
  const deviceTokens = await polled;
  assert.equal(deviceTokens.claims().email, email);
  console.log("rp: device flow");

  // RP-initiated logout with the id_token: the session ends, back to the registered URI.
  const endSession = oc.buildEndSessionUrl(config, {
    id_token_hint: fresh.id_token,
    post_logout_redirect_uri: "http://127.0.0.1:9/signed-out",
    state: "bye",
  });
  const ended = await fetch(endSession, { redirect: "manual", headers: { cookie } });
  assert.equal(ended.status, 302);
  assert.equal(ended.headers.get("location"), "http://127.0.0.1:9/signed-out?state=bye");
  const after = await fetch(`${issuer.href}/session`, { headers: { cookie } });
  assert.equal(after.status, 401, "the session ended");
  console.log("rp: RP-initiated logout");
  console.log("rp: PASS");
} catch (e) {
  failed = true;
  console.error("rp: FAIL", e);
} finally {
  demo.kill();
}
process.exit(failed ? 1 : 0);
