//! The OAuth 2 authorization server and OpenID Connect provider through its router: the
//! code flow with PKCE and nonce, the token endpoint's grants, introspection, revocation,
//! userinfo, yauth as a resource server, and every error branch of RFC 6749 §4.1.2.1 and
//! §5.2, each threat by name. (An outside relying-party library drives the same flows over a
//! socket in the demo's tests.)

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, jwk::Jwk};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;
use yauth::prelude::*;

mod support;

use support::app::*;

const ISSUER: &str = "https://idp.example/api/auth";
const DCR_TOKEN: &str = "initial-access-token-for-tests";
const REDIRECT: &str = "https://rp.example/callback";

async fn server() -> App {
    server_with(|_| {}).await
}

async fn server_with(change: impl FnOnce(&mut OAuth2ServerConfig)) -> App {
    let mut config = OAuth2ServerConfig {
        registration: ClientRegistration::InitialAccessToken(DCR_TOKEN.into()),
        oidc: Some(OidcConfig::new(ISSUER)),
        ..OAuth2ServerConfig::default()
    };
    change(&mut config);
    app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes([7; 32])),
        |builder, _| {
            builder
                .with_bearer(BearerConfig::default())
                .with_oauth2_server(config)
        },
    )
    .await
}

/// A form POST to `path`, with `Authorization: Basic` for `basic`.
async fn form(app: &App, path: &str, pairs: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("/api/auth{path}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", IP);
    if let Some((id, secret)) = basic {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        request = request.header(header::AUTHORIZATION, format!("Basic {encoded}"));
    }
    reply(app, request.body(Body::from(body)).unwrap()).await
}

async fn reply(app: &App, request: Request<Body>) -> Reply {
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

/// `GET` with a bearer token.
async fn get_bearer(app: &App, path: &str, token: &str) -> Reply {
    let request = Request::builder()
        .uri(format!("/api/auth{path}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    reply(app, request).await
}

/// Registers a client with `metadata` (the initial access token sent).
async fn register(app: &App, metadata: Value) -> Reply {
    send(
        app,
        "POST",
        "/oauth/register",
        metadata,
        None,
        &[("authorization", &format!("Bearer {DCR_TOKEN}"))],
        IP,
    )
    .await
}

struct Client {
    id: String,
    secret: Option<String>,
}

impl Client {
    fn basic(&self) -> Option<(&str, &str)> {
        self.secret.as_deref().map(|s| (self.id.as_str(), s))
    }
}

async fn confidential(app: &App) -> Client {
    client_with(
        app,
        json!({
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "client_name": "Relying party",
            "scope": "openid profile email offline_access",
        }),
    )
    .await
}

async fn client_with(app: &App, metadata: Value) -> Client {
    let r = register(app, metadata).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    Client {
        id: r.body["client_id"].as_str().unwrap().to_string(),
        secret: r.body["client_secret"].as_str().map(str::to_string),
    }
}

fn pkce(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

const VERIFIER: &str = "a-pkce-verifier-of-at-least-forty-three-characters-long";

/// The authorization request of `client` for `scope`, with PKCE, `state` and `nonce`.
fn auth_query(client: &Client, scope: &str) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", &pkce(VERIFIER)),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn query_string(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `GET /oauth/authorize?<pairs>` with the session `cookie`: the status and `Location`.
async fn authorize(
    app: &App,
    pairs: &[(String, String)],
    cookie: Option<&str>,
) -> (StatusCode, String, Value) {
    let r = send(
        app,
        "GET",
        &format!("/oauth/authorize?{}", query_string(pairs)),
        Value::Null,
        cookie,
        &[],
        IP,
    )
    .await;
    let location = r
        .headers
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status, location, r.body)
}

fn params_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The consent decision for the request the consent page at `consent_url` was given.
async fn decide(app: &App, cookie: &str, consent_url: &str, approved: bool) -> Reply {
    let p = params_of(consent_url);
    let field = |name: &str| p.get(name).cloned().map_or(Value::Null, Value::String);
    call(
        app,
        "POST",
        "/oauth/authorize",
        json!({
            "client_id": field("client_id"),
            "redirect_uri": field("redirect_uri"),
            "response_type": field("response_type"),
            "scope": field("scope"),
            "state": field("state"),
            "nonce": field("nonce"),
            "code_challenge": field("code_challenge"),
            "code_challenge_method": field("code_challenge_method"),
            "approved": approved,
        }),
        Some(cookie),
        IP,
    )
    .await
}

/// A signed-in user (`email`) authorizes `client` for `scope`, consenting when asked:
/// the code.
async fn code_for(app: &App, cookie: &str, client: &Client, scope: &str) -> String {
    let (status, location, _) = authorize(app, &auth_query(client, scope), Some(cookie)).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = if location.starts_with("http://localhost:3000/consent") {
        let r = decide(app, cookie, &location, true).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["redirect_to"].as_str().unwrap().to_string()
    } else {
        location
    };
    assert!(location.starts_with(REDIRECT), "{location}");
    let p = params_of(&location);
    assert_eq!(p["state"], "st-123");
    assert_eq!(p["iss"], ISSUER);
    p["code"].clone()
}

async fn exchange(app: &App, client: &Client, code: &str, verifier: &str) -> Reply {
    form(
        app,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
        client.basic(),
    )
    .await
}

async fn signed_in_user(app: &App, email: &str) -> String {
    registered(app, email).await;
    logged_in(app, email).await
}

async fn jwks(app: &App) -> Vec<Jwk> {
    let r = send(
        app,
        "GET",
        "/.well-known/jwks.json",
        Value::Null,
        None,
        &[],
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    serde_json::from_value(r.body["keys"].clone()).unwrap()
}

/// Verifies a JWT against the JWKS as a relying party does: by `kid`, with the key's own
/// algorithm, the issuer and the audience.
async fn verify(app: &App, token: &str, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let keys = jwks(app).await;
    let jwk = keys
        .iter()
        .find(|k| k.common.key_id.as_deref() == header.kid.as_deref())
        .expect("the token's kid is published");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn discovery_advertises_exactly_what_is_implemented() {
    let app = server().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let r = send(&app, "GET", path, Value::Null, None, &[], IP).await;
        assert_eq!(r.status, StatusCode::OK);
        let m = &r.body;
        assert_eq!(m["issuer"], ISSUER);
        assert_eq!(
            m["authorization_endpoint"],
            format!("{ISSUER}/oauth/authorize")
        );
        assert_eq!(m["token_endpoint"], format!("{ISSUER}/oauth/token"));
        assert_eq!(m["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
        assert_eq!(
            m["registration_endpoint"],
            format!("{ISSUER}/oauth/register")
        );
        assert_eq!(m["userinfo_endpoint"], format!("{ISSUER}/userinfo"));
        assert_eq!(
            m["grant_types_supported"],
            json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code"
            ])
        );
        assert_eq!(
            m["device_authorization_endpoint"],
            format!("{ISSUER}/oauth/device/code")
        );
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(m["response_types_supported"], json!(["code"]));
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert_eq!(m["request_uri_parameter_supported"], false);
        assert_eq!(
            m["id_token_signing_alg_values_supported"],
            json!(["RS256", "ES256"])
        );
    }
    // The signing key exists before the first token.
    let keys = jwks(&app).await;
    assert!(keys.iter().any(|k| k.common.key_algorithm.is_some()));
    // RFC 8414 §3.1: at the host's root for an issuer with a path.
    let root = app.yauth.root_router();
    let response = root
        .oneshot(
            Request::builder()
                .uri("/.well-known/oauth-authorization-server/api/auth")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["issuer"], ISSUER);
}

#[tokio::test]
async fn registration_needs_the_initial_access_token_and_checks_redirect_uris() {
    let app = server().await;
    let no_token = post(
        &app,
        "/oauth/register",
        json!({"redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_token.body["error"], "invalid_token");
    for (uris, error) in [
        (json!(["http://rp.example/cb"]), "invalid_redirect_uri"),
        (
            json!(["https://rp.example/cb#frag"]),
            "invalid_redirect_uri",
        ),
        (
            json!(["https://user:pw@rp.example/cb"]),
            "invalid_redirect_uri",
        ),
        (json!([]), "invalid_redirect_uri"),
        (json!("https://rp.example/cb"), "invalid_client_metadata"),
    ] {
        let r = register(&app, json!({ "redirect_uris": uris })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uris}");
        assert_eq!(r.body["error"], error, "{uris}");
        assert!(r.body["error_description"].is_string());
    }
    let r = register(
        &app,
        json!({"redirect_uris": ["http://127.0.0.1:9000/cb"], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        r.body.get("client_secret").is_none(),
        "a public client has no secret"
    );
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let r = register(&app, json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(r.body["token_endpoint_auth_method"], "client_secret_basic");
    let secret = r.body["client_secret"].as_str().unwrap();
    let stored = app
        .yauth
        .state()
        .repos()
        .oauth2_clients
        .find_oauth2_client(r.body["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        stored.client_secret_hash.as_deref(),
        Some(secret),
        "stored hashed"
    );
    assert_eq!(audited(&app, "oauth_client_registered").await.len(), 2);
}

#[tokio::test]
async fn registration_off_refuses_every_request() {
    let app = server_with(|c| c.registration = ClientRegistration::Off).await;
    let r = register(&app, json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let m = send(
        &app,
        "GET",
        "/.well-known/openid-configuration",
        Value::Null,
        None,
        &[],
        IP,
    )
    .await;
    assert!(m.body.get("registration_endpoint").is_none());
}

#[tokio::test]
async fn code_flow_with_pkce_and_nonce_issues_tokens_a_relying_party_accepts() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "alice@example.com").await;
    let code = code_for(
        &app,
        &cookie,
        &client,
        "openid email profile offline_access",
    )
    .await;
    let r = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(r.body["token_type"], "Bearer");
    assert!(r.body["expires_in"].is_u64());
    assert_eq!(r.body["scope"], "openid email profile offline_access");
    assert!(
        r.body["refresh_token"].is_string(),
        "offline_access gives a refresh token"
    );
    let access = r.body["access_token"].as_str().unwrap();
    let id_token = r.body["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let claims = verify(&app, id_token, &client.id).await;
    let user = user_of(&app, "alice@example.com").await;
    assert_eq!(claims["sub"], user.id.to_string());
    assert_eq!(claims["nonce"], "n-456", "the nonce sent comes back");
    assert_eq!(claims["azp"], client.id);
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());
    let digest = Sha256::digest(access.as_bytes());
    assert_eq!(
        claims["at_hash"],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    );
    // The access token is an RFC 9068 JWT for this issuer.
    assert_eq!(
        jsonwebtoken::decode_header(access).unwrap().typ.as_deref(),
        Some("at+jwt")
    );
    let at = verify(&app, access, ISSUER).await;
    assert_eq!(at["client_id"], client.id);
    // userinfo answers the claims of the granted scopes.
    let info = get_bearer(&app, "/userinfo", access).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    assert_eq!(info.body["sub"], user.id.to_string());
    assert_eq!(info.body["email"], "alice@example.com");
    for event in [
        "oauth_consent_granted",
        "oauth_code_issued",
        "oauth_token_issued",
    ] {
        assert_eq!(audited(&app, event).await.len(), 1, "{event}");
    }
}

#[tokio::test]
async fn an_es256_client_gets_es256_id_tokens() {
    let app = server().await;
    let client = client_with(
        &app,
        json!({"redirect_uris": [REDIRECT], "id_token_signed_response_alg": "ES256"}),
    )
    .await;
    let cookie = signed_in_user(&app, "es@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid").await;
    let r = exchange(&app, &client, &code, VERIFIER).await;
    let id_token = r.body["id_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(id_token).unwrap().alg,
        Algorithm::ES256
    );
    verify(&app, id_token, &client.id).await;
}

#[tokio::test]
async fn an_unregistered_redirect_uri_or_unknown_client_is_shown_never_redirected() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "bob@example.com").await;
    let mut query = auth_query(&client, "openid");
    query[2].1 = "https://attacker.example/steal".into();
    let (status, location, body) = authorize(&app, &query, Some(&cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(location.is_empty(), "no redirect to an unregistered URI");
    assert_eq!(body["error"], "invalid_request");
    let mut query = auth_query(&client, "openid");
    query[1].1 = "yc_unknown".into();
    let (status, location, body) = authorize(&app, &query, Some(&cookie)).await;
    assert_eq!((status, location.as_str()), (StatusCode::BAD_REQUEST, ""));
    assert_eq!(body["error"], "invalid_client");
    // The consent decision refuses it the same way.
    let r = call(
        &app,
        "POST",
        "/oauth/authorize",
        json!({"client_id": client.id, "redirect_uri": "https://attacker.example/steal",
               "response_type": "code", "code_challenge": pkce(VERIFIER),
               "code_challenge_method": "S256", "approved": true}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// RFC 6749 §4.1.2.1: every error after the redirect URI is checked goes back to it, with
/// `state` and `iss`.
#[tokio::test]
async fn authorization_errors_go_back_to_the_client_with_state_and_iss() {
    let app = server().await;
    let client = confidential(&app).await;
    let no_code_grant = client_with(
        &app,
        json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"], "response_types": []}),
    )
    .await;
    let cookie = signed_in_user(&app, "carol@example.com").await;
    let base = auth_query(&client, "openid");
    let with = |name: &str, value: Option<&str>| {
        let mut q: Vec<(String, String)> =
            base.iter().filter(|(k, _)| k != name).cloned().collect();
        if let Some(value) = value {
            q.push((name.to_string(), value.to_string()));
        }
        q
    };
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (with("response_type", None), "invalid_request"),
        (
            with("response_type", Some("token")),
            "unsupported_response_type",
        ),
        (with("scope", Some("openid admin")), "invalid_scope"),
        (
            with("code_challenge_method", Some("plain")),
            "invalid_request",
        ),
        (with("code_challenge", None), "invalid_request"),
        (with("code_challenge_method", None), "invalid_request"),
        (with("response_mode", Some("fragment")), "invalid_request"),
        (with("prompt", Some("none login")), "invalid_request"),
        (with("max_age", Some("-1")), "invalid_request"),
        (
            {
                let mut q = auth_query(&no_code_grant, "");
                q.retain(|(k, _)| k != "scope");
                q
            },
            "unauthorized_client",
        ),
    ];
    for (query, error) in cases {
        let (status, location, _) = authorize(&app, &query, Some(&cookie)).await;
        assert_eq!(status, StatusCode::FOUND, "{error}");
        assert!(location.starts_with(REDIRECT), "{location}");
        let p = params_of(&location);
        assert_eq!(p["error"], error, "{query:?}");
        assert_eq!(p["state"], "st-123");
        assert_eq!(p["iss"], ISSUER);
        assert!(!p.contains_key("code"));
    }
    // A parameter sent twice is refused before anything else (and not redirected).
    let mut twice = auth_query(&client, "openid");
    twice.push(("state".into(), "other".into()));
    let (status, _, body) = authorize(&app, &twice, Some(&cookie)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

#[tokio::test]
async fn a_visitor_without_a_session_goes_to_the_login_page_and_comes_back() {
    let app = server().await;
    let client = confidential(&app).await;
    let mut query = auth_query(&client, "openid");
    query.push(("login_hint".into(), "dave@example.com".into()));
    let (status, location, _) = authorize(&app, &query, None).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(
        location.starts_with("http://localhost:3000/login?"),
        "{location}"
    );
    let p = params_of(&location);
    assert_eq!(p["login_hint"], "dave@example.com");
    let return_to = &p["return_to"];
    assert!(return_to.starts_with(&format!("{ISSUER}/oauth/authorize?")));
    // prompt=none without a session: login_required at the client.
    let mut none = auth_query(&client, "openid");
    none.push(("prompt".into(), "none".into()));
    let (_, location, _) = authorize(&app, &none, None).await;
    assert_eq!(params_of(&location)["error"], "login_required");
    // After signing in, the way back continues to the consent page.
    let cookie = signed_in_user(&app, "dave@example.com").await;
    let back: Vec<(String, String)> = params_of(return_to).into_iter().collect();
    let (_, location, _) = authorize(&app, &back, Some(&cookie)).await;
    assert!(
        location.starts_with("http://localhost:3000/consent?"),
        "{location}"
    );
}

#[tokio::test]
async fn prompt_login_needs_a_sign_in_after_the_request_even_with_a_session() {
    let app = server().await;
    let client = confidential(&app).await;
    let old_session = signed_in_user(&app, "erin@example.com").await;
    code_for(&app, &old_session, &client, "openid").await;
    let mut query = auth_query(&client, "openid");
    query.push(("prompt".into(), "login".into()));
    let (_, location, _) = authorize(&app, &query, Some(&old_session)).await;
    assert!(
        location.starts_with("http://localhost:3000/login?"),
        "{location}"
    );
    let back: Vec<(String, String)> = params_of(&params_of(&location)["return_to"])
        .into_iter()
        .collect();
    assert!(back.iter().all(|(k, v)| k != "prompt" || v != "login"));
    // The way back with the old session: still to the login page.
    let (_, location, _) = authorize(&app, &back, Some(&old_session)).await;
    assert!(
        location.starts_with("http://localhost:3000/login?"),
        "{location}"
    );
    // A new sign-in passes.
    let fresh = logged_in(&app, "erin@example.com").await;
    let (_, location, _) = authorize(&app, &back, Some(&fresh)).await;
    assert!(params_of(&location).contains_key("code"), "{location}");
}

#[tokio::test]
async fn consent_is_remembered_and_never_skipped_for_a_new_scope() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "frank@example.com").await;
    code_for(&app, &cookie, &client, "openid").await;
    // The same scopes: straight back with a code.
    let (_, location, _) = authorize(&app, &auth_query(&client, "openid"), Some(&cookie)).await;
    assert!(params_of(&location).contains_key("code"), "{location}");
    // A new scope: the consent page again.
    let (_, location, _) =
        authorize(&app, &auth_query(&client, "openid email"), Some(&cookie)).await;
    assert!(
        location.starts_with("http://localhost:3000/consent?"),
        "{location}"
    );
    // prompt=none cannot ask: consent_required.
    let mut none = auth_query(&client, "openid email");
    none.push(("prompt".into(), "none".into()));
    let (_, location, _) = authorize(&app, &none, Some(&cookie)).await;
    assert_eq!(params_of(&location)["error"], "consent_required");
    // Denied: access_denied, and nothing is remembered.
    let r = decide(
        &app,
        &cookie,
        &location_for_consent(&app, &client, &cookie).await,
        false,
    )
    .await;
    let denied = params_of(r.body["redirect_to"].as_str().unwrap());
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["state"], "st-123");
    let (_, location, _) =
        authorize(&app, &auth_query(&client, "openid email"), Some(&cookie)).await;
    assert!(location.contains("/consent?"));
}

async fn location_for_consent(app: &App, client: &Client, cookie: &str) -> String {
    let (_, location, _) = authorize(app, &auth_query(client, "openid email"), Some(cookie)).await;
    location
}

#[tokio::test]
async fn code_reuse_is_refused_and_revokes_the_tokens_it_issued() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "gina@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid offline_access").await;
    let first = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(first.status, StatusCode::OK);
    let again = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.body["error"], "invalid_grant");
    let access = first.body["access_token"].as_str().unwrap();
    let r = form(
        &app,
        "/oauth/introspect",
        &[("token", access)],
        client.basic(),
    )
    .await;
    assert_eq!(r.body, json!({"active": false}));
    let refresh = first.body["refresh_token"].as_str().unwrap();
    let r = form(
        &app,
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        client.basic(),
    )
    .await;
    assert_eq!(r.body["error"], "invalid_grant");
    assert_eq!(
        get_bearer(&app, "/session", access).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Audited: the code's reuse, then the revoked family's refresh token's.
    let reuses = audited(&app, "oauth_grant_reused").await;
    let kinds: Vec<&str> = reuses
        .iter()
        .rev()
        .map(|r| r.metadata.as_ref().unwrap()["grant_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["authorization_code", "refresh_token"]);
}

#[tokio::test]
async fn a_pkce_mismatch_or_a_wrong_redirect_uri_is_invalid_grant() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "hank@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid").await;
    let wrong = exchange(
        &app,
        &client,
        &code,
        "another-verifier-that-is-also-forty-three-chars-long",
    )
    .await;
    assert_eq!(wrong.body["error"], "invalid_grant");
    let missing = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
        client.basic(),
    )
    .await;
    assert_eq!(missing.body["error"], "invalid_grant");
    let other_uri = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example/other"),
            ("code_verifier", VERIFIER),
        ],
        client.basic(),
    )
    .await;
    assert_eq!(other_uri.body["error"], "invalid_grant");
    // None of these used the code up.
    assert_eq!(
        exchange(&app, &client, &code, VERIFIER).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_code_of_client_a_redeemed_by_client_b_is_refused() {
    let app = server().await;
    let a = confidential(&app).await;
    let b = confidential(&app).await;
    let cookie = signed_in_user(&app, "ivy@example.com").await;
    let code = code_for(&app, &cookie, &a, "openid").await;
    let stolen = exchange(&app, &b, &code, VERIFIER).await;
    assert_eq!(stolen.body["error"], "invalid_grant");
    assert_eq!(
        exchange(&app, &a, &code, VERIFIER).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = server().await;
    let client = confidential(&app).await;
    registered(&app, "jack@example.com").await;
    let user = user_of(&app, "jack@example.com").await;
    let now = chrono::Utc::now();
    app.yauth
        .state()
        .repos()
        .authorization_codes
        .insert_authorization_code(&yauth::entity::AuthorizationCode {
            id: uuid::Uuid::now_v7(),
            code_hash: yauth::kit::token::hash_token("an-expired-code"),
            client_id: client.id.clone(),
            user_id: user.id,
            scopes: Some(json!(["openid"])),
            redirect_uri: REDIRECT.into(),
            code_challenge: pkce(VERIFIER),
            code_challenge_method: "S256".into(),
            nonce: None,
            auth_time: Some(now),
            expires_at: now - chrono::Duration::seconds(1),
            used: false,
            created_at: now - chrono::Duration::seconds(61),
        })
        .await
        .unwrap();
    let r = exchange(&app, &client, "an-expired-code", VERIFIER).await;
    assert_eq!(r.body["error"], "invalid_grant");
}

/// RFC 6749 §5.2, branch by branch.
#[tokio::test]
async fn token_endpoint_errors_follow_rfc_6749_section_5_2() {
    let app = server().await;
    let client = confidential(&app).await;
    let public = client_with(
        &app,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
    )
    .await;
    let wrong_secret = form(
        &app,
        "/oauth/token",
        &[("grant_type", "client_credentials")],
        Some((&client.id, "not-the-secret")),
    )
    .await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_secret.body["error"], "invalid_client");
    assert!(wrong_secret.headers.contains_key(header::WWW_AUTHENTICATE));
    let unknown = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "yc_nobody"),
            ("client_secret", "x"),
        ],
        None,
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let two_methods = form(
        &app,
        "/oauth/token",
        &[("grant_type", "client_credentials"), ("client_secret", "x")],
        client.basic(),
    )
    .await;
    assert_eq!(two_methods.body["error"], "invalid_request");
    type Case<'a> = (Vec<(&'a str, &'a str)>, Option<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![], client.basic(), "invalid_request"),
        (
            vec![("grant_type", "password")],
            client.basic(),
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("redirect_uri", REDIRECT),
            ],
            client.basic(),
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("redirect_uri", REDIRECT),
            ],
            client.basic(),
            "invalid_grant",
        ),
        (
            vec![("grant_type", "refresh_token"), ("refresh_token", "nope")],
            client.basic(),
            "invalid_grant",
        ),
        (
            vec![("grant_type", "client_credentials"), ("scope", "openid")],
            client.basic(),
            "invalid_scope",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", public.id.as_str()),
            ],
            None,
            "unauthorized_client",
        ),
    ];
    for (pairs, basic, error) in cases {
        let r = form(&app, "/oauth/token", &pairs, basic).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{pairs:?}: {}", r.body);
        assert_eq!(r.body["error"], error, "{pairs:?}");
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    }
    let not_form = send(
        &app,
        "POST",
        "/oauth/token",
        json!({"grant_type": "client_credentials"}),
        None,
        &[],
        IP,
    )
    .await;
    assert_eq!(not_form.body["error"], "invalid_request");
}

#[tokio::test]
async fn a_refresh_token_reused_after_rotation_revokes_its_family() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "kim@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid offline_access").await;
    let first = exchange(&app, &client, &code, VERIFIER).await;
    let refresh = first.body["refresh_token"].as_str().unwrap().to_string();
    let rotate = |token: String| {
        let app = &app;
        let client = &client;
        async move {
            form(
                app,
                "/oauth/token",
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
                client.basic(),
            )
            .await
        }
    };
    let second = rotate(refresh.clone()).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let newest = second.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(newest, refresh);
    // The old one again: reuse. The whole family ends, the newest token and its access
    // token included.
    assert_eq!(rotate(refresh).await.body["error"], "invalid_grant");
    assert_eq!(rotate(newest).await.body["error"], "invalid_grant");
    let access = second.body["access_token"].as_str().unwrap();
    let r = form(
        &app,
        "/oauth/introspect",
        &[("token", access)],
        client.basic(),
    )
    .await;
    assert_eq!(r.body["active"], false);
    // Another client cannot use the family either (it was revoked anyway): checked by the
    // client test below.
}

#[tokio::test]
async fn a_refresh_token_works_only_for_its_client_and_narrows_but_never_widens() {
    let app = server().await;
    let client = confidential(&app).await;
    let other = confidential(&app).await;
    let cookie = signed_in_user(&app, "lee@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid email offline_access").await;
    let first = exchange(&app, &client, &code, VERIFIER).await;
    let refresh = first.body["refresh_token"].as_str().unwrap();
    let foreign = form(
        &app,
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        other.basic(),
    )
    .await;
    assert_eq!(foreign.body["error"], "invalid_grant");
    let wider = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", "openid profile"),
        ],
        client.basic(),
    )
    .await;
    assert_eq!(wider.body["error"], "invalid_scope");
    let narrower = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", "openid"),
        ],
        client.basic(),
    )
    .await;
    assert_eq!(narrower.status, StatusCode::OK, "{}", narrower.body);
    assert_eq!(narrower.body["scope"], "openid");
}

#[tokio::test]
async fn client_credentials_tokens_are_introspected_and_revoked() {
    let app = server_with(|c| c.scopes_supported.push("reports:read".into())).await;
    let client = client_with(
        &app,
        json!({"grant_types": ["client_credentials"], "response_types": [], "scope": "reports:read"}),
    )
    .await;
    let r = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("scope", "reports:read"),
        ],
        client.basic(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.get("refresh_token").is_none());
    assert!(r.body.get("id_token").is_none());
    let access = r.body["access_token"].as_str().unwrap();
    let i = form(
        &app,
        "/oauth/introspect",
        &[("token", access)],
        client.basic(),
    )
    .await;
    assert_eq!(i.body["active"], true);
    assert_eq!(i.body["client_id"], client.id);
    assert_eq!(i.body["sub"], client.id);
    assert_eq!(i.body["scope"], "reports:read");
    // Secret in the form (client_secret_post) works as well as Basic.
    let post = form(
        &app,
        "/oauth/revoke",
        &[
            ("token", access),
            ("client_id", &client.id),
            ("client_secret", client.secret.as_deref().unwrap()),
        ],
        None,
    )
    .await;
    assert_eq!(post.status, StatusCode::OK);
    let i = form(
        &app,
        "/oauth/introspect",
        &[("token", access)],
        client.basic(),
    )
    .await;
    assert_eq!(i.body, json!({"active": false}));
    assert_eq!(audited(&app, "oauth_token_revoked").await.len(), 1);
    // Unknown tokens: the same 200, nothing revoked.
    let r = form(
        &app,
        "/oauth/revoke",
        &[("token", "whatever")],
        client.basic(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(audited(&app, "oauth_token_revoked").await.len(), 1);
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_token() {
    let app = server().await;
    let a = confidential(&app).await;
    let b = confidential(&app).await;
    let cookie = signed_in_user(&app, "mia@example.com").await;
    let code = code_for(&app, &cookie, &a, "openid offline_access").await;
    let tokens = exchange(&app, &a, &code, VERIFIER).await;
    for token in ["access_token", "refresh_token"] {
        let t = tokens.body[token].as_str().unwrap();
        let r = form(&app, "/oauth/revoke", &[("token", t)], b.basic()).await;
        assert_eq!(r.status, StatusCode::OK);
        let i = form(&app, "/oauth/introspect", &[("token", t)], a.basic()).await;
        assert_eq!(
            i.body["active"], true,
            "{token} survives another client's revocation"
        );
    }
}

#[tokio::test]
async fn access_tokens_work_on_yauths_own_routes_with_their_scopes_until_revoked() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "nia@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid email").await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    let access = tokens.body["access_token"].as_str().unwrap();
    let session = get_bearer(&app, "/session", access).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    assert_eq!(session.body["auth_method"], "Bearer");
    assert_eq!(session.body["scopes"], json!(["openid", "email"]));
    // Without the `account` scope it cannot change the account.
    let r = send(
        &app,
        "PATCH",
        "/me",
        json!({"display_name": "Mallory"}),
        None,
        &[("authorization", &format!("Bearer {access}"))],
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    form(&app, "/oauth/revoke", &[("token", access)], client.basic()).await;
    assert_eq!(
        get_bearer(&app, "/session", access).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get_bearer(&app, "/userinfo", access).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_banned_users_tokens_stop_working() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "oz@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid offline_access").await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    ban(&app, "oz@example.com").await;
    let access = tokens.body["access_token"].as_str().unwrap();
    assert_eq!(
        get_bearer(&app, "/userinfo", access).await.status,
        StatusCode::UNAUTHORIZED
    );
    let i = form(
        &app,
        "/oauth/introspect",
        &[("token", access)],
        client.basic(),
    )
    .await;
    assert_eq!(i.body["active"], false);
    let r = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens.body["refresh_token"].as_str().unwrap(),
            ),
        ],
        client.basic(),
    )
    .await;
    assert_eq!(r.body["error"], "invalid_grant");
}

#[tokio::test]
async fn alg_none_and_hs256_with_the_public_key_are_refused_by_the_resource_server() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "pat@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid").await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    let access = tokens.body["access_token"].as_str().unwrap();
    let real = jsonwebtoken::decode_header(access).unwrap();
    let payload = access.split('.').nth(1).unwrap();
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    // alg: none, the real payload, no signature.
    let none = format!(
        "{}.{payload}.",
        b64(&json!({"alg": "none", "typ": "at+jwt", "kid": real.kid}))
    );
    // HS256 keyed with the public key's modulus, under the real kid.
    let keys = jwks(&app).await;
    let jwk = keys.iter().find(|k| k.common.key_id == real.kid).unwrap();
    let public = serde_json::to_vec(jwk).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = real.kid.clone();
    header.typ = Some("at+jwt".into());
    let hs256 = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&public)).unwrap();
    for forged in [none, hs256] {
        assert_eq!(
            get_bearer(&app, "/session", &forged).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            get_bearer(&app, "/userinfo", &forged).await.status,
            StatusCode::UNAUTHORIZED
        );
        let i = form(
            &app,
            "/oauth/introspect",
            &[("token", &forged)],
            client.basic(),
        )
        .await;
        assert_eq!(i.body["active"], false);
    }
    // The id_token is no access token either.
    let id_token = tokens.body["id_token"].as_str().unwrap();
    assert_eq!(
        get_bearer(&app, "/session", id_token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn userinfo_needs_the_openid_scope_and_answers_only_granted_claims() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "quinn@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid").await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    let info = get_bearer(
        &app,
        "/userinfo",
        tokens.body["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(info.status, StatusCode::OK);
    assert!(info.body.get("email").is_none(), "no email scope, no email");
    let code = code_for(&app, &cookie, &client, "email").await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    assert!(
        tokens.body.get("id_token").is_none(),
        "no openid, no id_token"
    );
    let info = get_bearer(
        &app,
        "/userinfo",
        tokens.body["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(info.status, StatusCode::FORBIDDEN);
    assert!(
        info.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
}

#[tokio::test]
async fn a_public_client_uses_pkce_without_a_secret_and_cannot_pose_as_confidential() {
    let app = server().await;
    let public = client_with(
        &app,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code", "refresh_token"]}),
    )
    .await;
    let cookie = signed_in_user(&app, "ray@example.com").await;
    let code = code_for(&app, &cookie, &public, "openid offline_access").await;
    let r = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &public.id),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A secret for a public client is refused.
    let r = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", r.body["refresh_token"].as_str().unwrap()),
            ("client_id", &public.id),
            ("client_secret", "guess"),
        ],
        None,
    )
    .await;
    assert_eq!(r.body["error"], "invalid_client");
}

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn device_client(app: &App) -> Client {
    client_with(
        app,
        json!({"grant_types": [DEVICE_GRANT, "refresh_token"], "response_types": [],
               "token_endpoint_auth_method": "none", "scope": "openid email offline_access"}),
    )
    .await
}

async fn device_start(app: &App, client: &Client, scope: &str) -> Value {
    let r = form(
        app,
        "/oauth/device/code",
        &[("client_id", &client.id), ("scope", scope)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn device_poll(app: &App, client: &Client, device_code: &str) -> Reply {
    form(
        app,
        "/oauth/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", &client.id),
        ],
        None,
    )
    .await
}

/// The device row's last poll moved back, as if the device had waited `seconds`.
async fn waited(app: &App, device_code: &str, seconds: i64) {
    let repos = app.yauth.state().repos();
    let row = repos
        .device_codes
        .find_device_code(&yauth::kit::token::hash_token(device_code))
        .await
        .unwrap()
        .unwrap();
    let at = row.last_polled_at.unwrap() - chrono::Duration::seconds(seconds);
    repos
        .device_codes
        .touch_device_code_poll(Some(at), row.interval, row.id)
        .await
        .unwrap();
}

/// RFC 8628 §3.5: pending, slow_down (the interval grows by 5 s), then tokens once approved,
/// and only once.
#[tokio::test]
async fn device_flow_polls_pending_then_slow_down_then_tokens_once() {
    let app = server().await;
    let client = device_client(&app).await;
    let started = device_start(&app, &client, "openid email offline_access").await;
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "XXXX-XXXX");
    assert!(
        user_code
            .chars()
            .all(|c| c == '-' || "BCDFGHJKLMNPQRSTVWXZ".contains(c))
    );
    assert_eq!(started["verification_uri"], "http://localhost:3000/device");
    assert!(
        started["verification_uri_complete"]
            .as_str()
            .unwrap()
            .contains("user_code=")
    );
    assert_eq!(started["interval"], 5);
    let device_code = started["device_code"].as_str().unwrap();
    let first = device_poll(&app, &client, device_code).await;
    assert_eq!(first.body["error"], "authorization_pending");
    let fast = device_poll(&app, &client, device_code).await;
    assert_eq!(fast.body["error"], "slow_down");
    let row = app
        .yauth
        .state()
        .repos()
        .device_codes
        .find_device_code(&yauth::kit::token::hash_token(device_code))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.interval, 10, "slow_down adds 5 seconds");
    waited(&app, device_code, 6).await;
    assert_eq!(
        device_poll(&app, &client, device_code).await.body["error"],
        "slow_down",
        "6 s is within the new 10 s interval"
    );
    // The user looks it up and approves it, typed in lower case without the dash.
    let cookie = signed_in_user(&app, "tv@example.com").await;
    let typed = user_code.replace('-', "").to_lowercase();
    let seen = call(
        &app,
        "GET",
        &format!("/oauth/device?user_code={typed}"),
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert_eq!(seen.body["client_id"], client.id);
    assert_eq!(
        seen.body["scopes"],
        json!(["openid", "email", "offline_access"])
    );
    let decided = call(
        &app,
        "POST",
        "/oauth/device",
        json!({"user_code": typed, "approved": true}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(decided.body["status"], "approved");
    waited(&app, device_code, 11).await;
    let tokens = device_poll(&app, &client, device_code).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    assert!(tokens.body["refresh_token"].is_string());
    let claims = verify(&app, tokens.body["id_token"].as_str().unwrap(), &client.id).await;
    assert_eq!(claims["email"], "tv@example.com");
    assert_eq!(
        device_poll(&app, &client, device_code).await.body["error"],
        "invalid_grant"
    );
    // The decided code cannot be decided again.
    let again = call(
        &app,
        "POST",
        "/oauth/device",
        json!({"user_code": typed, "approved": false}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(again.body["error"], "invalid_user_code");
}

#[tokio::test]
async fn device_flow_denied_is_access_denied_and_expired_is_expired_token() {
    let app = server().await;
    let client = device_client(&app).await;
    let cookie = signed_in_user(&app, "radio@example.com").await;
    let started = device_start(&app, &client, "openid").await;
    let r = call(
        &app,
        "POST",
        "/oauth/device",
        json!({"user_code": started["user_code"], "approved": false}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.body["status"], "denied");
    let denied = device_poll(&app, &client, started["device_code"].as_str().unwrap()).await;
    assert_eq!(denied.body["error"], "access_denied");
    // Expired: the row's expiry passed.
    let started = device_start(&app, &client, "openid").await;
    let device_code = started["device_code"].as_str().unwrap();
    let repos = app.yauth.state().repos();
    let row = repos
        .device_codes
        .find_device_code(&yauth::kit::token::hash_token(device_code))
        .await
        .unwrap()
        .unwrap();
    repos.device_codes.deny_device_code(row.id).await.unwrap();
    let expired = yauth::entity::DeviceCode {
        id: uuid::Uuid::now_v7(),
        device_code_hash: yauth::kit::token::hash_token("an-expired-device-code"),
        user_code: "BCDFGHJK".into(),
        expires_at: chrono::Utc::now() - chrono::Duration::seconds(1),
        status: "pending".into(),
        ..row
    };
    repos
        .device_codes
        .insert_device_code(&expired)
        .await
        .unwrap();
    let r = device_poll(&app, &client, "an-expired-device-code").await;
    assert_eq!(r.body["error"], "expired_token");
    let r = call(
        &app,
        "GET",
        "/oauth/device?user_code=BCDF-GHJK",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(
        r.body["error"], "invalid_user_code",
        "an expired code is not shown"
    );
    // Another client's device code is not this client's grant.
    let other = device_client(&app).await;
    let started = device_start(&app, &client, "openid").await;
    let r = device_poll(&app, &other, started["device_code"].as_str().unwrap()).await;
    assert_eq!(r.body["error"], "invalid_grant");
    // A client without the device grant cannot start one.
    let web = confidential(&app).await;
    let r = form(&app, "/oauth/device/code", &[], web.basic()).await;
    assert_eq!(r.body["error"], "unauthorized_client");
}

#[tokio::test]
async fn device_codes_are_approved_only_from_the_users_own_session_and_guesses_are_capped() {
    let app = server().await;
    let client = device_client(&app).await;
    let started = device_start(&app, &client, "openid").await;
    let cookie = signed_in_user(&app, "guess@example.com").await;
    // A token is not a session.
    let web = confidential(&app).await;
    let code = code_for(&app, &cookie, &web, "openid").await;
    let tokens = exchange(&app, &web, &code, VERIFIER).await;
    let r = send(
        &app,
        "POST",
        "/oauth/device",
        json!({"user_code": started["user_code"], "approved": true}),
        None,
        &[(
            "authorization",
            &format!("Bearer {}", tokens.body["access_token"].as_str().unwrap()),
        )],
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut limited = false;
    for _ in 0..12 {
        let r = call(
            &app,
            "GET",
            "/oauth/device?user_code=ZZZZ-ZZZZ",
            Value::Null,
            Some(&cookie),
            IP,
        )
        .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(r.body["error"], "invalid_user_code");
    }
    assert!(limited, "user-code guesses are capped per user");
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_hints_session_and_returns_only_to_a_registered_uri() {
    let app = server().await;
    let client = client_with(
        &app,
        json!({"redirect_uris": [REDIRECT], "post_logout_redirect_uris": ["https://rp.example/bye"]}),
    )
    .await;
    let cookie = signed_in_user(&app, "uma@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid").await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    let hint = tokens.body["id_token"].as_str().unwrap().to_string();
    let logout = |pairs: Vec<(&str, String)>| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let app = &app;
        let cookie = cookie.clone();
        async move {
            send(
                app,
                "GET",
                &format!("/oauth/logout?{query}"),
                Value::Null,
                Some(&cookie),
                &[],
                IP,
            )
            .await
        }
    };
    // An open redirect through post_logout_redirect_uri: refused, nothing ends.
    let r = logout(vec![
        ("id_token_hint", hint.clone()),
        (
            "post_logout_redirect_uri",
            "https://attacker.example/".into(),
        ),
    ])
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!r.headers.contains_key(header::LOCATION));
    // An access token, or no hint, is no hint.
    let r = logout(vec![(
        "id_token_hint",
        tokens.body["access_token"].as_str().unwrap().into(),
    )])
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(logout(vec![]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        call(&app, "GET", "/session", Value::Null, Some(&cookie), IP)
            .await
            .status,
        StatusCode::OK
    );
    // Another user's session is not ended by this user's hint.
    let other = signed_in_user(&app, "vic@example.com").await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", &hint)
        .finish();
    let r = send(
        &app,
        "GET",
        &format!("/oauth/logout?{query}"),
        Value::Null,
        Some(&other),
        &[],
        IP,
    )
    .await;
    assert_eq!(r.body, json!({"signed_out": false}));
    assert_eq!(
        call(&app, "GET", "/session", Value::Null, Some(&other), IP)
            .await
            .status,
        StatusCode::OK
    );
    // The hint's user, a registered URI: the session ends, back with state.
    let r = logout(vec![
        ("id_token_hint", hint.clone()),
        ("post_logout_redirect_uri", "https://rp.example/bye".into()),
        ("state", "s-1".into()),
    ])
    .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.headers[header::LOCATION],
        "https://rp.example/bye?state=s-1"
    );
    assert!(
        r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        call(&app, "GET", "/session", Value::Null, Some(&cookie), IP)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let m = send(
        &app,
        "GET",
        "/.well-known/openid-configuration",
        Value::Null,
        None,
        &[],
        IP,
    )
    .await;
    assert_eq!(
        m.body["end_session_endpoint"],
        format!("{ISSUER}/oauth/logout")
    );
}

#[tokio::test]
async fn tokens_signed_before_a_key_rotation_keep_verifying_and_the_jwks_shows_both_keys() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "walt@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid").await;
    let before = exchange(&app, &client, &code, VERIFIER).await;
    let old_access = before.body["access_token"].as_str().unwrap().to_string();
    let old_kid = jsonwebtoken::decode_header(&old_access)
        .unwrap()
        .kid
        .unwrap();
    // Only an admin may rotate.
    let r = call(
        &app,
        "POST",
        "/admin/signing-keys/rotate",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin = admin_logged_in(&app, "root@example.com").await;
    let r = call(
        &app,
        "POST",
        "/admin/signing-keys/rotate",
        Value::Null,
        Some(&admin),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rotated: Vec<String> = serde_json::from_value(r.body["rotated"].clone()).unwrap();
    assert!(!rotated.is_empty() && !rotated.contains(&old_kid));
    let kids: Vec<String> = jwks(&app)
        .await
        .into_iter()
        .filter_map(|k| k.common.key_id)
        .collect();
    assert!(kids.contains(&old_kid), "the old key is still published");
    assert!(
        rotated.iter().all(|k| kids.contains(k)),
        "the new keys are published"
    );
    // The old tokens still work; new ones carry a new key.
    assert_eq!(
        get_bearer(&app, "/userinfo", &old_access).await.status,
        StatusCode::OK
    );
    verify(&app, before.body["id_token"].as_str().unwrap(), &client.id).await;
    let code = code_for(&app, &cookie, &client, "openid").await;
    let after = exchange(&app, &client, &code, VERIFIER).await;
    let new_kid = jsonwebtoken::decode_header(after.body["access_token"].as_str().unwrap())
        .unwrap()
        .kid
        .unwrap();
    assert_ne!(new_kid, old_kid);
    assert!(rotated.contains(&new_kid));
}

#[tokio::test]
async fn a_password_reset_ends_every_grant_clients_hold_for_the_user() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "xena@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid offline_access").await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    let r = call(
        &app,
        "POST",
        "/change-password",
        json!({"current_password": PASSWORD, "new_password": "Another-secret-77"}),
        Some(&cookie),
        IP,
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let access = tokens.body["access_token"].as_str().unwrap();
    assert_eq!(
        get_bearer(&app, "/userinfo", access).await.status,
        StatusCode::UNAUTHORIZED
    );
    let refresh = form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens.body["refresh_token"].as_str().unwrap(),
            ),
        ],
        client.basic(),
    )
    .await;
    assert_eq!(refresh.body["error"], "invalid_grant");
}

#[tokio::test]
async fn introspection_shows_a_client_only_its_own_tokens_unless_it_is_a_resource_server() {
    let app = server().await;
    let owner = confidential(&app).await;
    let nosy = confidential(&app).await;
    let resource_server = yauth::plugins::oauth2_server::register_client(
        app.yauth.state(),
        ClientMetadata {
            grant_types: Some(vec!["client_credentials".into()]),
            response_types: Some(vec![]),
            introspect_any: true,
            ..ClientMetadata::default()
        },
    )
    .await
    .unwrap();
    let cookie = signed_in_user(&app, "yara@example.com").await;
    let code = code_for(&app, &cookie, &owner, "openid").await;
    let access = exchange(&app, &owner, &code, VERIFIER).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let seen_by = |basic: Option<(&str, &str)>| {
        let app = &app;
        let access = access.clone();
        let basic = basic.map(|(a, b)| (a.to_string(), b.to_string()));
        async move {
            let basic = basic.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
            form(app, "/oauth/introspect", &[("token", &access)], basic)
                .await
                .body["active"]
                .clone()
        }
    };
    assert_eq!(seen_by(owner.basic()).await, true);
    assert_eq!(seen_by(nosy.basic()).await, false);
    let rs_secret = resource_server.client_secret.clone().unwrap();
    assert_eq!(
        seen_by(Some((&resource_server.client_id, &rs_secret))).await,
        true
    );
    // Registration over HTTP cannot ask for it.
    let r = register(&app, json!({"grant_types": ["client_credentials"], "response_types": [], "introspect_any": true})).await;
    let sneaky = Client {
        id: r.body["client_id"].as_str().unwrap().to_string(),
        secret: r.body["client_secret"].as_str().map(str::to_string),
    };
    assert_eq!(seen_by(sneaky.basic()).await, false);
}

#[tokio::test]
async fn reserved_scopes_cannot_be_offered_and_request_objects_are_refused() {
    let mail = yauth::mail::RecordingMailer::new();
    let refused = YAuthBuilder::new(
        yauth::backends::memory::InMemoryBackend::new(),
        YAuthConfig {
            secret_key: Some(SecretKey::from_bytes([7; 32])),
            ..YAuthConfig::default()
        },
    )
    .with_email_password(config(&mail))
    .with_bearer(BearerConfig::default())
    .with_oauth2_server(OAuth2ServerConfig {
        scopes_supported: vec!["openid".into(), "admin".into()],
        oidc: Some(OidcConfig::new(ISSUER)),
        ..OAuth2ServerConfig::default()
    })
    .build()
    .await;
    assert!(refused.is_err(), "admin is yauth's own scope");
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "zed@example.com").await;
    for (name, error) in [
        ("request", "request_not_supported"),
        ("request_uri", "request_uri_not_supported"),
    ] {
        let mut query = auth_query(&client, "openid");
        query.push((name.into(), "eyJhbGciOiJub25lIn0.e30.".into()));
        let (_, location, _) = authorize(&app, &query, Some(&cookie)).await;
        assert_eq!(params_of(&location)["error"], error);
    }
}

#[tokio::test]
async fn someone_who_saw_a_used_code_cannot_revoke_the_grant_without_its_verifier() {
    let app = server().await;
    let client = confidential(&app).await;
    let cookie = signed_in_user(&app, "amy@example.com").await;
    let code = code_for(&app, &cookie, &client, "openid").await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    let replay = exchange(
        &app,
        &client,
        &code,
        "a-guessed-verifier-that-is-long-enough-to-be-valid",
    )
    .await;
    assert_eq!(replay.body["error"], "invalid_grant");
    let access = tokens.body["access_token"].as_str().unwrap();
    assert_eq!(
        get_bearer(&app, "/userinfo", access).await.status,
        StatusCode::OK
    );
    assert!(audited(&app, "oauth_grant_reused").await.is_empty());
}
