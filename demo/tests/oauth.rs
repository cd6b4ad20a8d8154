//! Signing in with OAuth and OpenID Connect providers, over real sockets.
//!
//! - Two demos: A is the OpenID provider (its client registered by DCR), B signs in through
//!   it: a new user, a returning one, a verified email linked, an unverified one refused, MFA
//!   on B, linking and unlinking.
//! - A stand-in OpenID provider that can misbehave (another nonce, another key, another
//!   audience or issuer, an expired token, an error), for the threats.
//! - A GitHub-style stand-in (token endpoint, `/user`, `/user/emails`) for the OAuth 2 path,
//!   on SQLite, whose file must not hold the provider's tokens.
//!
//! The "browser" is reqwest with a cookie jar that follows no redirect, so each hop is seen.

#[path = "../../runtime/yauth/tests/support/smtp_sink.rs"]
mod smtp_sink;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Json, Router, routing};
use base64::Engine as _;
use reqwest::header::{ACCEPT, LOCATION};
use serde_json::{Value, json};
use smtp_sink::SmtpSink;
use yauth::email_password::EmailPasswordConfig;
use yauth::password::HashingConfig;
use yauth::prelude::*;
use yauth_demo::{Args, OidcProviderArg, Server, start_with};

const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";

fn fast_passwords() -> EmailPasswordConfig {
    EmailPasswordConfig {
        hashing: HashingConfig::insecure_fast_for_tests(),
        hibp: None,
        ..EmailPasswordConfig::default()
    }
}

fn email() -> String {
    format!("{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A browser: a cookie jar, no redirect followed.
fn browser() -> reqwest::Client {
    // reqwest here brings no TLS provider of its own (the demo installs ring's).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post(browser: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    json_of(browser.post(url).json(&body).send().await.unwrap()).await
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("a redirect, got {}", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A port free right now (the demo that needs it starts a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn demo_args(addr: std::net::SocketAddr) -> Args {
    Args {
        addr,
        insecure_cookies: true,
        ..Args::new("memory")
    }
}

/// Starts the flow at B and answers the provider URL it redirects to.
async fn start_flow(
    browser: &reqwest::Client,
    api: &str,
    provider: &str,
    redirect_to: &str,
) -> String {
    let response = browser
        .get(format!(
            "{api}/oauth/{provider}/authorize?redirect_to={}",
            encode(redirect_to)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "{:?}", response.text().await);
    location(&response)
}

/// Opens the callback as a browser would (it accepts HTML).
async fn open_callback(browser: &reqwest::Client, url: &str) -> reqwest::Response {
    browser
        .get(url)
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap()
}

/// A GET asking for JSON (a program, not a browser).
async fn get_json(browser: &reqwest::Client, url: &str) -> (u16, Value) {
    json_of(
        browser
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A callback's JSON error code.
async fn callback_error(browser: &reqwest::Client, url: &str) -> (u16, Option<String>) {
    let (status, body) = get_json(browser, url).await;
    (status, body["error"].as_str().map(str::to_owned))
}

async fn session(browser: &reqwest::Client, api: &str) -> (u16, Value) {
    json_of(browser.get(format!("{api}/session")).send().await.unwrap()).await
}

// ------------------------------------------------------------------------------------------
// Two demos: A the OpenID provider, B the relying party.

struct Pair {
    a: Server,
    b: Server,
    a_api: String,
    b_api: String,
    sink_a: SmtpSink,
    sink_b: SmtpSink,
    _keys: tempfile::TempDir,
}

async fn two_demos() -> Pair {
    let (sink_a, sink_b) = (SmtpSink::start().await, SmtpSink::start().await);
    let keys = tempfile::tempdir().unwrap();
    let a = start_with(
        Args {
            dcr_open: true,
            smtp_url: Some(format!("smtp://127.0.0.1:{}", sink_a.addr.port())),
            secret_key_file: Some(keys.path().join("a.key")),
            ..demo_args("127.0.0.1:0".parse().unwrap())
        },
        fast_passwords(),
    )
    .await
    .unwrap();
    let a_api = format!("http://localhost:{}/api/auth", a.addr.port());
    let b_port = free_port();
    let b_api = format!("http://localhost:{b_port}/api/auth");
    let (status, client) = post(
        &browser(),
        &format!("{a_api}/oauth/register"),
        json!({
            "redirect_uris": [format!("{b_api}/oauth/yauth-a/callback")],
            "client_name": "demo B",
            "grant_types": ["authorization_code"],
            "scope": "openid email profile",
        }),
    )
    .await;
    assert_eq!(status, 201, "{client}");
    let b = start_with(
        Args {
            smtp_url: Some(format!("smtp://127.0.0.1:{}", sink_b.addr.port())),
            secret_key_file: Some(keys.path().join("b.key")),
            // Both demos are on `localhost`: B's cookies need their own name.
            cookie_name: Some("demo_b_session".into()),
            oidc_providers: vec![OidcProviderArg {
                name: "yauth-a".into(),
                issuer: a_api.clone(),
                client_id: client["client_id"].as_str().unwrap().into(),
                client_secret: client["client_secret"].as_str().map(str::to_owned),
            }],
            ..demo_args(format!("127.0.0.1:{b_port}").parse().unwrap())
        },
        fast_passwords(),
    )
    .await
    .unwrap();
    Pair {
        a,
        b,
        a_api,
        b_api,
        sink_a,
        sink_b,
        _keys: keys,
    }
}

impl Pair {
    /// Registers `email` at the demo of `api`, verified by its mailed link unless `verified`
    /// is false.
    async fn register(&self, api: &str, email: &str, verified: bool) {
        let client = browser();
        let (status, body) = post(
            &client,
            &format!("{api}/register"),
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        if verified {
            let sink = if api == self.a_api {
                &self.sink_a
            } else {
                &self.sink_b
            };
            let mail = sink.wait_for_mail_to(email).await;
            let (status, body) = post(
                &client,
                &format!("{api}/verify-email"),
                json!({ "token": mail }),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
    }

    /// Signs `browser` in at A with a password.
    async fn sign_in_at_a(&self, browser: &reqwest::Client, email: &str) {
        let (status, body) = post(
            browser,
            &format!("{}/login", self.a_api),
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }

    /// From B's "Sign in with yauth-a" to B's callback URL: A's authorization endpoint,
    /// and A's consent decision when A asks for one.
    async fn through_a(&self, browser: &reqwest::Client, start: String) -> String {
        assert!(
            start.starts_with(&format!("{}/oauth/authorize?", self.a_api)),
            "{start}"
        );
        let response = browser.get(&start).send().await.unwrap();
        assert_eq!(response.status(), 302);
        let next = location(&response);
        if next.starts_with(&format!(
            "http://localhost:{}/api/auth/oauth/yauth-a/callback",
            self.b.addr.port()
        )) {
            return next;
        }
        // A's consent page: its parameters go back in the decision.
        let page = url::Url::parse(&next).unwrap();
        assert_eq!(page.path(), "/consent", "{next}");
        let mut decision: serde_json::Map<String, Value> = page
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        decision.insert("approved".into(), Value::Bool(true));
        let (status, body) = post(
            browser,
            &format!("{}/oauth/authorize", self.a_api),
            Value::Object(decision),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["redirect_to"].as_str().unwrap().to_owned()
    }

    /// Signs in at B through A; answers B's final response.
    async fn sign_in_at_b(&self, browser: &reqwest::Client) -> reqwest::Response {
        let start = start_flow(browser, &self.b_api, "yauth-a", "/welcome").await;
        let callback = self.through_a(browser, start).await;
        open_callback(browser, &callback).await
    }
}

impl SmtpSink {
    /// The token of the newest mail to `to`, waiting for it.
    async fn wait_for_mail_to(&self, to: &str) -> String {
        for _ in 0..200 {
            if let Some(token) = self.last_token(to) {
                return token;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no mail to {to}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_demo_signs_in_through_another() {
    let pair = two_demos().await;
    let b_home = format!("http://localhost:{}", pair.b.addr.port());

    // A new user: A vouches for a verified email, B creates the account.
    let alice = email();
    pair.register(&pair.a_api, &alice, true).await;
    let browser = browser();
    pair.sign_in_at_a(&browser, &alice).await;
    let done = pair.sign_in_at_b(&browser).await;
    assert_eq!(done.status(), 302);
    assert_eq!(location(&done), format!("{b_home}/welcome"));
    let (status, me) = session(&browser, &pair.b_api).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], alice.as_str());
    assert_eq!(me["email_verified"], true);
    let alice_at_b = me["id"].clone();
    let (_, linked) = json_of(
        browser
            .get(format!("{}/oauth/accounts", pair.b_api))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(linked[0]["provider"], "yauth-a");

    // A returning user: consent is remembered at A, the same account at B.
    assert_eq!(
        browser
            .post(format!("{}/logout", pair.b_api))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(session(&browser, &pair.b_api).await.0, 401);
    let done = pair.sign_in_at_b(&browser).await;
    assert_eq!(done.status(), 302);
    let (_, me) = session(&browser, &pair.b_api).await;
    assert_eq!(me["id"], alice_at_b);

    // Alice's only way into B is A: unlinking it is refused.
    let response = browser
        .delete(format!("{}/oauth/yauth-a", pair.b_api))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("last_login_method"))
    );

    // MFA on B applies to this sign-in too.
    let (status, setup) = post(
        &browser,
        &format!("{}/mfa/totp/setup", pair.b_api),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{setup}");
    let totp = totp_rs::Totp::from_url(setup["otpauth_url"].as_str().unwrap()).unwrap();
    let code = |steps: i64| {
        let at = chrono::Utc::now().timestamp() + steps * 30;
        totp.generate(u64::try_from(at).unwrap()).to_string()
    };
    let (status, body) = post(
        &browser,
        &format!("{}/mfa/totp/confirm", pair.b_api),
        json!({ "code": code(0) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    browser
        .post(format!("{}/logout", pair.b_api))
        .send()
        .await
        .unwrap();
    let done = pair.sign_in_at_b(&browser).await;
    assert_eq!(done.status(), 302);
    let to = location(&done);
    assert!(
        done.headers()
            .get(reqwest::header::SET_COOKIE)
            .is_none_or(|c| { !c.to_str().unwrap().starts_with("demo_b_session=") })
    );
    let pending = to
        .split_once("#mfa_required=true&pending_session_id=")
        .unwrap_or_else(|| panic!("the MFA step, got {to}"))
        .1
        .to_owned();
    assert_eq!(session(&browser, &pair.b_api).await.0, 401);
    let (status, body) = post(
        &browser,
        &format!("{}/mfa/verify", pair.b_api),
        json!({ "pending_session_id": pending, "code": code(1) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(session(&browser, &pair.b_api).await.1["id"], alice_at_b);

    // A verified email of an existing B account links to it.
    let bob = email();
    pair.register(&pair.b_api, &bob, true).await;
    pair.register(&pair.a_api, &bob, true).await;
    let bob_browser = browser_for();
    let (_, bob_at_b) = {
        let client = browser_for();
        let (status, me) = post(
            &client,
            &format!("{}/login", pair.b_api),
            json!({"email": bob, "password": PASSWORD}),
        )
        .await;
        (status, me["id"].clone())
    };
    pair.sign_in_at_a(&bob_browser, &bob).await;
    let done = pair.sign_in_at_b(&bob_browser).await;
    assert_eq!(done.status(), 302);
    assert_eq!(session(&bob_browser, &pair.b_api).await.1["id"], bob_at_b);
    // Bob hears of the new way into his account.
    for _ in 0..200 {
        if pair
            .sink_b
            .to(&bob)
            .iter()
            .any(|m| m.header("subject") == Some("yauth-a can now sign in to your account"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        pair.sink_b
            .to(&bob)
            .iter()
            .any(|m| m.header("subject") == Some("yauth-a can now sign in to your account")),
        "the owner is told of a new link"
    );
    // Bob has a password too: unlinking leaves him a way in.
    let response = bob_browser
        .delete(format!("{}/oauth/yauth-a", pair.b_api))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (_, linked) = json_of(
        bob_browser
            .get(format!("{}/oauth/accounts", pair.b_api))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(linked, json!([]));
    // A link flow finishes only in the session that started it: one that ended since (a
    // stolen session the owner logged out, say) links nothing.
    let (status, started) = post(
        &bob_browser,
        &format!("{}/oauth/yauth-a/link", pair.b_api),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let callback = pair
        .through_a(
            &bob_browser,
            started["authorize_url"].as_str().unwrap().to_owned(),
        )
        .await;
    bob_browser
        .post(format!("{}/logout", pair.b_api))
        .send()
        .await
        .unwrap();
    assert_eq!(
        callback_error(&bob_browser, &callback).await,
        (403, Some("session_required".into()))
    );
    let (status, _) = post(
        &bob_browser,
        &format!("{}/login", pair.b_api),
        json!({"email": bob, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200);
    // And links it again from his settings.
    let (status, started) = post(
        &bob_browser,
        &format!("{}/oauth/yauth-a/link", pair.b_api),
        json!({ "redirect_to": "/settings" }),
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let callback = pair
        .through_a(
            &bob_browser,
            started["authorize_url"].as_str().unwrap().to_owned(),
        )
        .await;
    let done = open_callback(&bob_browser, &callback).await;
    assert_eq!(location(&done), format!("{b_home}/settings"));
    let (_, linked) = json_of(
        bob_browser
            .get(format!("{}/oauth/accounts", pair.b_api))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(linked[0]["provider"], "yauth-a");

    // An unverified email at A never takes over Carol's account at B.
    let carol = email();
    pair.register(&pair.b_api, &carol, true).await;
    pair.register(&pair.a_api, &carol, false).await;
    let mallory = browser_for();
    pair.sign_in_at_a(&mallory, &carol).await;
    let start = start_flow(&mallory, &pair.b_api, "yauth-a", "/").await;
    let callback = pair.through_a(&mallory, start).await;
    // The same answer as for an address without an account: nothing is told about Carol.
    assert_eq!(
        callback_error(&mallory, &callback).await,
        (400, Some("email_not_verified".into()))
    );
    assert_eq!(session(&mallory, &pair.b_api).await.0, 401);
    // Carol's account is unchanged: her password works, nothing is linked.
    let carol_browser = browser_for();
    let (status, _) = post(
        &carol_browser,
        &format!("{}/login", pair.b_api),
        json!({"email": carol, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, linked) = json_of(
        carol_browser
            .get(format!("{}/oauth/accounts", pair.b_api))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(linked, json!([]));
    // An unverified email creates no account either.
    let dave = email();
    pair.register(&pair.a_api, &dave, false).await;
    let dave_browser = browser_for();
    pair.sign_in_at_a(&dave_browser, &dave).await;
    let start = start_flow(&dave_browser, &pair.b_api, "yauth-a", "/").await;
    let callback = pair.through_a(&dave_browser, start).await;
    assert_eq!(
        callback_error(&dave_browser, &callback).await,
        (400, Some("email_not_verified".into()))
    );
    let (status, _) = post(
        &browser_for(),
        &format!("{}/login", pair.b_api),
        json!({"email": dave, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 401);
    pair.a.handle.abort();
    pair.b.handle.abort();
}

fn browser_for() -> reqwest::Client {
    browser()
}

// ------------------------------------------------------------------------------------------
// A stand-in OpenID provider that can misbehave.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tamper {
    Nothing,
    /// The id_token carries another nonce.
    Nonce,
    /// Signed by a key the provider does not publish (under the published key's kid).
    OtherKey,
    /// Issued to another client.
    Audience,
    /// Issued by another issuer.
    Issuer,
    /// Expired an hour ago.
    Expired,
}

struct Grant {
    nonce: Option<String>,
    challenge: String,
    redirect_uri: String,
}

struct OpState {
    issuer: String,
    subject: String,
    email: String,
    email_verified: bool,
    tamper: Tamper,
    deny: bool,
    codes: HashMap<String, Grant>,
}

struct Op {
    state: Mutex<OpState>,
    good: jsonwebtoken::EncodingKey,
    other: jsonwebtoken::EncodingKey,
    jwk: Value,
}

const OP_CLIENT: &str = "standin-client";
const OP_SECRET: &str = "standin-secret-0123456789";

/// A P-256 key: the signing key and its public JWK.
fn p256_key() -> (jsonwebtoken::EncodingKey, Value) {
    use p256::elliptic_curve::sec1::ToEncodedPoint as _;
    use p256::pkcs8::EncodePrivateKey as _;
    let mut bytes = [0u8; 32];
    let secret = loop {
        getrandom_fill(&mut bytes);
        if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
            break secret;
        }
    };
    let der = secret.to_pkcs8_der().unwrap();
    let point = secret.public_key().to_encoded_point(false);
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    (
        jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes()),
        json!({"kty": "EC", "crv": "P-256", "kid": "op-key", "alg": "ES256", "use": "sig",
               "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())}),
    )
}

/// 32 random bytes (a token's: yauth draws them from the operating system).
fn getrandom_fill(bytes: &mut [u8; 32]) {
    let token = yauth::kit::token::new_token();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .unwrap();
    bytes.copy_from_slice(&raw);
}

async fn start_op() -> (String, Arc<Op>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (good, jwk) = p256_key();
    let (other, _) = p256_key();
    let op = Arc::new(Op {
        state: Mutex::new(OpState {
            issuer: issuer.clone(),
            subject: "op-user-1".into(),
            email: email(),
            email_verified: true,
            tamper: Tamper::Nothing,
            deny: false,
            codes: HashMap::new(),
        }),
        good,
        other,
        jwk,
    });
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            routing::get(op_discovery),
        )
        .route("/jwks", routing::get(op_jwks))
        .route("/authorize", routing::get(op_authorize))
        .route("/token", routing::post(op_token))
        .with_state(op.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (issuer, op)
}

async fn op_discovery(State(op): State<Arc<Op>>) -> Json<Value> {
    let issuer = op.state.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
}

async fn op_jwks(State(op): State<Arc<Op>>) -> Json<Value> {
    Json(json!({ "keys": [op.jwk] }))
}

/// Signs the user in at once (as if they had a session and had consented).
async fn op_authorize(
    State(op): State<Arc<Op>>,
    Query(q): Query<HashMap<String, String>>,
) -> Redirect {
    let mut s = op.state.lock().unwrap();
    let redirect_uri = q["redirect_uri"].clone();
    let state = url::form_urlencoded::byte_serialize(q["state"].as_bytes()).collect::<String>();
    assert_eq!(q["client_id"], OP_CLIENT);
    assert_eq!(q["code_challenge_method"], "S256");
    if s.deny {
        return Redirect::to(&format!(
            "{redirect_uri}?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state={state}"
        ));
    }
    let code = yauth::kit::token::new_token();
    s.codes.insert(
        code.clone(),
        Grant {
            nonce: q.get("nonce").cloned(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: redirect_uri.clone(),
        },
    );
    Redirect::to(&format!("{redirect_uri}?code={code}&state={state}"))
}

async fn op_token(
    State(op): State<Arc<Op>>,
    headers: axum::http::HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{OP_CLIENT}:{OP_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let mut s = op.state.lock().unwrap();
    let Some(grant) = s.codes.remove(&form["code"]) else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let challenge = pkce_s256(&form["code_verifier"]);
    if challenge != grant.challenge || form["redirect_uri"] != grant.redirect_uri {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": s.issuer, "sub": s.subject, "aud": OP_CLIENT, "iat": now, "exp": now + 300,
        "nonce": grant.nonce, "email": s.email, "email_verified": s.email_verified,
        "name": "Stand In",
    });
    let mut key = &op.good;
    match s.tamper {
        Tamper::Nothing => {}
        Tamper::Nonce => claims["nonce"] = json!("a-nonce-of-another-sign-in"),
        Tamper::OtherKey => key = &op.other,
        Tamper::Audience => claims["aud"] = json!("another-client"),
        Tamper::Issuer => claims["iss"] = json!("http://127.0.0.1:1"),
        Tamper::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
    }
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("op-key".into());
    let id_token = jsonwebtoken::encode(&header, &claims, key).unwrap();
    Json(json!({
        "access_token": format!("op-access-{}", yauth::kit::token::new_token()),
        "token_type": "Bearer", "expires_in": 3600, "id_token": id_token,
    }))
    .into_response()
}

/// RFC 7636's S256: base64url(SHA-256(verifier)).
fn pkce_s256(verifier: &str) -> String {
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// A demo (memory) that signs in through the stand-in, as `standin`.
async fn demo_with_op(issuer: &str) -> (Server, String) {
    let server = start_with(
        Args {
            oidc_providers: vec![OidcProviderArg {
                name: "standin".into(),
                issuer: issuer.to_owned(),
                client_id: OP_CLIENT.into(),
                client_secret: Some(OP_SECRET.into()),
            }],
            ..demo_args("127.0.0.1:0".parse().unwrap())
        },
        fast_passwords(),
    )
    .await
    .unwrap();
    let api = format!("http://localhost:{}/api/auth", server.addr.port());
    (server, api)
}

/// Starts a flow in `browser` and lets the stand-in answer: B's callback URL.
async fn via_op(browser: &reqwest::Client, api: &str, redirect_to: &str) -> String {
    let at_op = start_flow(browser, api, "standin", redirect_to).await;
    let response = browser.get(&at_op).send().await.unwrap();
    assert_eq!(response.status(), 303, "the stand-in redirects");
    location(&response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_id_tokens_are_refused_and_create_nothing() {
    let (issuer, op) = start_op().await;
    let (server, api) = demo_with_op(&issuer).await;
    for (tamper, why) in [
        (Tamper::Nonce, "nonce"),
        (Tamper::OtherKey, "signature"),
        (Tamper::Audience, "client"),
        (Tamper::Issuer, "issuer"),
        (Tamper::Expired, "expired"),
    ] {
        op.state.lock().unwrap().tamper = tamper;
        let browser = browser();
        let callback = via_op(&browser, &api, "/").await;
        let (status, body) = get_json(&browser, &callback).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_id_token")),
            "{tamper:?}: {body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains(why),
            "{tamper:?}: {body}"
        );
        assert_eq!(session(&browser, &api).await.0, 401, "{tamper:?}");
    }
    // Nothing was created: the same provider user, untampered, is a new account now.
    op.state.lock().unwrap().tamper = Tamper::Nothing;
    let browser = browser();
    let callback = via_op(&browser, &api, "/").await;
    assert_eq!(open_callback(&browser, &callback).await.status(), 302);
    let (status, me) = session(&browser, &api).await;
    assert_eq!(status, 200);
    assert_eq!(me["display_name"], "Stand In");
    server.handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_is_single_use_and_bound_to_the_browser_that_started_it() {
    let (issuer, _op) = start_op().await;
    let (server, api) = demo_with_op(&issuer).await;
    let victim = browser();
    let attacker = browser();
    // The attacker starts a sign-in with their provider account and hands the callback URL
    // (code and state) to the victim: the victim's browser has no matching flow cookie.
    let callback = via_op(&attacker, &api, "/").await;
    assert_eq!(
        callback_error(&victim, &callback).await,
        (400, Some("invalid_state".into()))
    );
    assert_eq!(session(&victim, &api).await.0, 401);
    // The flow is still the attacker's own, once.
    assert_eq!(open_callback(&attacker, &callback).await.status(), 302);
    assert_eq!(session(&attacker, &api).await.0, 200);
    // A replay of a used callback finds nothing, in the same browser too.
    let again = via_op(&attacker, &api, "/").await;
    assert_eq!(open_callback(&attacker, &again).await.status(), 302);
    assert_eq!(
        callback_error(&attacker, &again).await,
        (400, Some("invalid_state".into()))
    );
    // No state at all, or one made up.
    let made_up = callback.replace("state=", "state=x");
    assert_eq!(
        callback_error(&attacker, &made_up).await.1.as_deref(),
        Some("invalid_state")
    );
    // Two flow cookies (one planted from a sibling subdomain) are refused.
    let fresh = browser();
    let start = fresh
        .get(format!("{api}/oauth/standin/authorize"))
        .send()
        .await
        .unwrap();
    let set = start.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
    let at_op = location(&start);
    let callback = location(&fresh.get(&at_op).send().await.unwrap());
    let tossed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (status, body) = json_of(
        tossed
            .get(&callback)
            .header(ACCEPT, "application/json")
            .header(
                reqwest::header::COOKIE,
                format!("{name}={}; {name}={value}", yauth::kit::token::new_token()),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_state"))
    );
    // A browser shows a page with the message, not JSON.
    let page = open_callback(&victim, &callback).await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("role=\"alert\""));
    server.handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_callback_signs_in_like_the_query_one() {
    let (issuer, _op) = start_op().await;
    let (server, api) = demo_with_op(&issuer).await;
    let browser = browser();
    let callback = via_op(&browser, &api, "/posted").await;
    let (target, query) = callback.split_once('?').unwrap();
    let response = browser
        .post(target)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(ACCEPT, "text/html")
        // The provider's page posts it: another origin.
        .header(reqwest::header::ORIGIN, issuer.as_str())
        .body(query.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert!(location(&response).ends_with("/posted"));
    assert_eq!(session(&browser, &api).await.0, 200);
    // A body that is not a form is a 400, not a crash.
    let (status, body) = json_of(
        browser
            .post(target)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    server.handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_to_cannot_leave_the_application() {
    let (issuer, _op) = start_op().await;
    let (server, api) = demo_with_op(&issuer).await;
    let home = format!("http://localhost:{}", server.addr.port());
    let browser = browser();
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        &format!("{home}@evil.example/"),
        "http://localhost:1/",
    ] {
        let (status, body) = get_json(
            &browser,
            &format!("{api}/oauth/standin/authorize?redirect_to={}", encode(evil)),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_redirect")),
            "{evil}"
        );
    }
    // A path of the application, and a URL of its own origin, are fine.
    let callback = via_op(&browser, &api, "/dashboard?tab=1").await;
    let done = open_callback(&browser, &callback).await;
    assert_eq!(location(&done), format!("{home}/dashboard?tab=1"));
    let callback = via_op(&browser, &api, &format!("{home}/settings")).await;
    assert_eq!(
        location(&open_callback(&browser, &callback).await),
        format!("{home}/settings")
    );
    server.handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_error_or_an_unknown_provider_changes_nothing() {
    let (issuer, op) = start_op().await;
    let (server, api) = demo_with_op(&issuer).await;
    op.state.lock().unwrap().deny = true;
    let browser = browser();
    let callback = via_op(&browser, &api, "/").await;
    let (status, body) = get_json(&browser, &callback).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("provider_error"))
    );
    // The provider's code is named; its free text (markup here) is not shown.
    assert!(body["message"].as_str().unwrap().contains("access_denied"));
    assert!(!body["message"].as_str().unwrap().contains('<'));
    assert_eq!(session(&browser, &api).await.0, 401);
    let response = browser
        .get(format!("{api}/oauth/nope/authorize"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let (status, providers) = json_of(
        browser
            .get(format!("{api}/oauth/providers"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(providers, json!([{"name": "standin", "kind": "oidc"}]));
    server.handle.abort();
}

// ------------------------------------------------------------------------------------------
// A GitHub-style OAuth 2 stand-in, with yauth on SQLite.

struct Hub {
    /// `/user/emails`.
    emails: Mutex<Value>,
    /// Every access and refresh token handed out.
    issued: Mutex<Vec<String>>,
}

async fn start_hub() -> (String, Arc<Hub>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let hub = Arc::new(Hub {
        emails: Mutex::new(json!([])),
        issued: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route(
            "/login/oauth/authorize",
            routing::get(|Query(q): Query<HashMap<String, String>>| async move {
                let state = url::form_urlencoded::byte_serialize(q["state"].as_bytes()).collect::<String>();
                Redirect::to(&format!("{}?code=hub-code&state={state}", q["redirect_uri"]))
            }),
        )
        .route(
            "/login/oauth/access_token",
            routing::post(
                |State(hub): State<Arc<Hub>>, headers: axum::http::HeaderMap, Form(f): Form<HashMap<String, String>>| async move {
                    // GitHub answers form-encoded unless asked for JSON, and errors with 200.
                    assert_eq!(headers["accept"], "application/json");
                    if f.get("client_secret").map(String::as_str) != Some("hub-secret") || f["code"] != "hub-code" {
                        return Json(json!({"error": "bad_verification_code"}));
                    }
                    let access = format!("gho_{}", yauth::kit::token::new_token());
                    let refresh = format!("ghr_{}", yauth::kit::token::new_token());
                    hub.issued.lock().unwrap().extend([access.clone(), refresh.clone()]);
                    Json(json!({"access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": 28800}))
                },
            ),
        )
        .route(
            "/user",
            routing::get(|State(hub): State<Arc<Hub>>, headers: axum::http::HeaderMap| async move {
                let token = headers["authorization"].to_str().unwrap().trim_start_matches("Bearer ").to_owned();
                assert!(hub.issued.lock().unwrap().contains(&token));
                Json(json!({"id": 583231, "login": "octocat", "name": "The Octocat", "email": "public@example.com"}))
            }),
        )
        .route(
            "/user/emails",
            routing::get(|State(hub): State<Arc<Hub>>| async move { Json(hub.emails.lock().unwrap().clone()) }),
        )
        .with_state(hub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, hub)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_counts_only_a_verified_primary_email_and_its_tokens_are_sealed_on_disk() {
    let (hub_base, hub) = start_hub().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("yauth.db");
    let backend = yauth_demo::backend(&format!("sqlite://{}", db.display()), yauth_demo::Orm::Sqlx)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = YAuthConfig {
        base_url: format!("http://127.0.0.1:{}", addr.port()),
        secret_key: Some(SecretKey::generate()),
        ..YAuthConfig::default()
    };
    config.cookie.secure = false;
    config.cookie.name = "gh_session".into();
    // Email-password is on so that the password set below counts as another way in.
    let yauth = YAuthBuilder::new(yauth_demo::BoxedBackend(backend), config)
        .with_email_password(EmailPasswordConfig {
            mailer: Some(Arc::new(LogMailer)),
            ..fast_passwords()
        })
        .with_oauth(OAuthConfig {
            providers: vec![
                OAuthProvider::github("hub-client", "hub-secret").with_base_url(&hub_base),
            ],
            ..OAuthConfig::default()
        })
        .build()
        .await
        .unwrap();
    let app = Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    let api = format!("http://127.0.0.1:{}/api/auth", addr.port());
    let through_hub = |browser: reqwest::Client| {
        let api = api.clone();
        async move {
            let at_hub = start_flow(&browser, &api, "github", "/").await;
            let response = browser.get(&at_hub).send().await.unwrap();
            let callback = location(&response);
            browser
                .get(&callback)
                .header(ACCEPT, "application/json")
                .send()
                .await
                .unwrap()
        }
    };

    // A verified address that is not the primary one, and an unverified primary: no email.
    *hub.emails.lock().unwrap() = json!([
        {"email": "octo@example.com", "primary": true, "verified": false, "visibility": "public"},
        {"email": "other@example.com", "primary": false, "verified": true, "visibility": null},
    ]);
    let browser = browser();
    let (status, body) = json_of(through_hub(browser.clone()).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("email_not_verified")),
        "{body}"
    );
    assert_eq!(session(&browser, &api).await.0, 401);

    // The verified primary address signs up.
    *hub.emails.lock().unwrap() = json!([
        {"email": "Octo@Example.com", "primary": true, "verified": true, "visibility": "public"},
    ]);
    let (status, me) = json_of(through_hub(browser.clone()).await).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], "octo@example.com");
    assert_eq!(me["display_name"], "The Octocat");
    let (_, linked) = json_of(
        browser
            .get(format!("{api}/oauth/accounts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(linked[0]["provider_user_id"], "583231");

    // The same provider account signs in again, to the same user.
    let again = browser_for();
    let (status, me_again) = json_of(through_hub(again.clone()).await).await;
    assert_eq!(status, 200, "{me_again}");
    assert_eq!(me_again["id"], me["id"]);
    let state = yauth.state().clone();
    let audited = |name: &'static str| {
        let state = state.clone();
        async move {
            state
                .repos()
                .audit_log
                .list_audit_by_event(name, 10, 0)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(audited("oauth_account_linked").await, 1);
    assert_eq!(audited("oauth_account_used").await, 2);
    // With a password set, the provider may be unlinked.
    let user_id: uuid::Uuid = me["id"].as_str().unwrap().parse().unwrap();
    let response = browser
        .delete(format!("{api}/oauth/github"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "the only way in");
    state
        .repos()
        .passwords
        .upsert_password(&yauth::entity::Password {
            user_id,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
                .into(),
        })
        .await
        .unwrap();
    let response = browser
        .delete(format!("{api}/oauth/github"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(audited("oauth_account_unlinked").await, 1);

    // The provider's tokens are nowhere in the database files.
    drop(yauth);
    let mut dump = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        dump.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(
        dump.windows(11).any(|w| w == b"octo@exampl"),
        "the dump holds the data"
    );
    let issued = hub.issued.lock().unwrap().clone();
    // Three exchanges (the refused sign-in exchanged its code too), two tokens each; the
    // second sign-in replaced the stored ones.
    assert_eq!(issued.len(), 6);
    for token in issued {
        assert!(
            !dump.windows(token.len()).any(|w| w == token.as_bytes()),
            "a provider token is in the database in the clear"
        );
    }
}
