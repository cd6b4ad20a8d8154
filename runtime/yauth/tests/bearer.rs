//! The bearer plugin through the router on the in-memory backend: token pairs, rotation,
//! reuse detection, the bearer extractor and the key store. Tests are named after the
//! threat; the demo's HTTP tests run the same routes on real databases.

use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::{Value, json};
use yauth::keys::Sealer;
use yauth::prelude::*;

mod support;

use support::app::*;

const SECRET: [u8; 32] = [7; 32];

fn bearer_config() -> BearerConfig {
    BearerConfig {
        allowed_scopes: vec!["read".into(), "write".into(), "account".into()],
        default_scopes: vec!["read".into()],
        ..BearerConfig::default()
    }
}

async fn bearer_app_with(change: impl FnOnce(&mut BearerConfig)) -> App {
    let mut bearer = bearer_config();
    change(&mut bearer);
    app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes(SECRET)),
        move |builder, _| builder.with_bearer(bearer),
    )
    .await
}

async fn bearer_app() -> App {
    bearer_app_with(|_| {}).await
}

async fn token(app: &App, email: &str, scope: Option<&str>) -> Reply {
    let mut body = json!({"email": email, "password": PASSWORD});
    if let Some(scope) = scope {
        body["scope"] = scope.into();
    }
    post(app, "/token", body).await
}

/// A verified user and a token pair: (access, refresh).
async fn signed_in(app: &App, email: &str) -> (String, String) {
    registered(app, email).await;
    let r = token(app, email, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (
        r.body["access_token"].as_str().unwrap().to_owned(),
        r.body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn with_bearer(app: &App, method: &str, path: &str, access: &str, body: Value) -> Reply {
    let auth = format!("Bearer {access}");
    send(
        app,
        method,
        path,
        body,
        None,
        &[("authorization", &auth)],
        IP,
    )
    .await
}

async fn refresh(app: &App, refresh_token: &str) -> Reply {
    post(
        app,
        "/token/refresh",
        json!({"refresh_token": refresh_token}),
    )
    .await
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn header_of(jwt: &str) -> Value {
    let first = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(first)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn claims_of(jwt: &str) -> Value {
    let second = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(second)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn events(app: &App, name: &str) -> usize {
    audited(app, name).await.len()
}

#[tokio::test]
async fn password_token_pair_authenticates_as_bearer_and_rotates() {
    let app = bearer_app().await;
    registered(&app, "ada@example.com").await;
    let r = token(&app, "ada@example.com", Some("read write")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 900);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert!(r.cookie().is_none(), "a token sign-in sets no cookie");
    let access = r.body["access_token"].as_str().unwrap().to_owned();
    let refresh_token = r.body["refresh_token"].as_str().unwrap().to_owned();
    let header = header_of(&access);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "at+jwt");
    assert!(header["kid"].is_string());
    let claims = claims_of(&access);
    for claim in ["iss", "sub", "aud", "exp", "iat", "jti", "scope"] {
        assert!(!claims[claim].is_null(), "{claim} in {claims}");
    }
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["aud"], claims["iss"]);

    let me = with_bearer(&app, "GET", "/session", &access, Value::Null).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["auth_method"], "Bearer");
    assert_eq!(me.body["email"], "ada@example.com");
    assert_eq!(me.body["scopes"], json!(["read", "write"]));

    let rotated = refresh(&app, &refresh_token).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    assert_eq!(rotated.headers["cache-control"], "no-store");
    assert_ne!(rotated.body["refresh_token"], refresh_token.as_str());
    let again = with_bearer(
        &app,
        "GET",
        "/session",
        rotated.body["access_token"].as_str().unwrap(),
        Value::Null,
    )
    .await;
    assert_eq!(
        again.body["scopes"],
        json!(["read", "write"]),
        "scopes carry over"
    );
    assert_eq!(events(&app, "token_issued").await, 1);
    assert_eq!(events(&app, "token_refreshed").await, 1);
    assert_eq!(events(&app, "login_succeeded").await, 1);
}

#[tokio::test]
async fn refresh_reuse_revokes_the_whole_family_including_the_newest_token() {
    let app = bearer_app().await;
    let (_, first) = signed_in(&app, "ada@example.com").await;
    let second = refresh(&app, &first).await;
    assert_eq!(second.status, StatusCode::OK);
    let second = second.body["refresh_token"].as_str().unwrap().to_owned();
    // A thief replays the first token: refused, and the family is gone.
    let replay = refresh(&app, &first).await;
    assert_eq!(
        (replay.status, replay.error()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    let owner = refresh(&app, &second).await;
    assert_eq!(
        (owner.status, owner.error()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    assert_eq!(events(&app, "refresh_token_reused").await, 2);
    // Another sign-in starts a new family that works.
    let r = token(&app, "ada@example.com", None).await;
    let fresh = r.body["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&app, fresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_have_exactly_one_winner() {
    let app = bearer_app().await;
    let (_, first) = signed_in(&app, "ada@example.com").await;
    let tries = (0..24).map(|_| refresh(&app, &first));
    let answers = futures_join_all(tries).await;
    let ok = answers
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(ok, 1, "exactly one refresh wins");
    assert!(answers.iter().all(|r| r.status == StatusCode::OK
        || (r.status == StatusCode::UNAUTHORIZED && r.error() == Some("invalid_token"))));
}

/// `join_all` without the futures crate: polls every future on this task.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await);
    }
    out
}

#[tokio::test]
async fn a_repeat_within_the_reuse_grace_gets_one_pair_of_the_same_family_and_no_more() {
    let app = bearer_app_with(|bearer| {
        bearer.refresh_reuse_grace = Duration::from_secs(60);
    })
    .await;
    let (_, first) = signed_in(&app, "ada@example.com").await;
    let a = refresh(&app, &first).await;
    let b = refresh(&app, &first).await;
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(events(&app, "refresh_token_reused").await, 0);
    // Only once: a third use of the same token is reuse, and the family goes.
    let c = refresh(&app, &first).await;
    assert_eq!(c.status, StatusCode::UNAUTHORIZED);
    assert_eq!(events(&app, "refresh_token_reused").await, 1);
    for r in [a, b] {
        let token = r.body["refresh_token"].as_str().unwrap();
        assert_eq!(refresh(&app, token).await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_revoked_family_cannot_refresh_and_revoking_another_users_token_does_nothing() {
    let app = bearer_app().await;
    let (ada_access, ada_refresh) = signed_in(&app, "ada@example.com").await;
    let (bob_access, bob_refresh) = signed_in(&app, "bob@example.com").await;
    // Bob cannot revoke Ada's family; the answer is the same.
    let r = with_bearer(
        &app,
        "POST",
        "/token/revoke",
        &bob_access,
        json!({"refresh_token": ada_refresh}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = with_bearer(
        &app,
        "POST",
        "/token/revoke",
        &ada_access,
        json!({"refresh_token": ada_refresh}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        refresh(&app, &ada_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(refresh(&app, &bob_refresh).await.status, StatusCode::OK);
    assert_eq!(events(&app, "token_revoked").await, 1);
    // Without credentials the route is closed.
    let r = post(&app, "/token/revoke", json!({"refresh_token": bob_refresh})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_answers_do_not_tell_unknown_emails_wrong_passwords_and_unverified_accounts_apart() {
    let app = bearer_app().await;
    registered(&app, "ada@example.com").await;
    let r = post(
        &app,
        "/register",
        json!({"email": "new@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let answers = [
        post(
            &app,
            "/token",
            json!({"email": "nobody@example.com", "password": PASSWORD}),
        )
        .await,
        post(
            &app,
            "/token",
            json!({"email": "ada@example.com", "password": "wrong-password-1"}),
        )
        .await,
        post(
            &app,
            "/token",
            json!({"email": "new@example.com", "password": PASSWORD}),
        )
        .await,
    ];
    for r in &answers {
        assert_eq!(
            (r.status, r.body.clone()),
            (answers[0].status, answers[0].body.clone())
        );
    }
    assert_eq!(answers[0].error(), Some("invalid_credentials"));
    assert_eq!(events(&app, "token_issued").await, 0);
}

#[tokio::test]
async fn scopes_outside_the_allowed_list_are_refused() {
    let app = bearer_app().await;
    registered(&app, "ada@example.com").await;
    let r = token(&app, "ada@example.com", Some("read admin")).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let r = token(&app, "ada@example.com", None).await;
    let access = r.body["access_token"].as_str().unwrap();
    assert_eq!(claims_of(access)["scope"], "read", "the default scopes");
}

/// A token with `header` and `claims`, signed by `sign` over `header.claims`.
fn forge(header: Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&signature))
}

#[tokio::test]
async fn alg_none_algorithm_confusion_and_foreign_keys_are_refused() {
    let app = bearer_app().await;
    let (access, _) = signed_in(&app, "ada@example.com").await;
    let kid = header_of(&access)["kid"].as_str().unwrap().to_owned();
    let claims = claims_of(&access);
    let state = app.yauth.state();
    let jwks = state
        .signing_keys()
        .jwks(state.repos(), state.sealer().unwrap())
        .await
        .unwrap();
    let public = jwks["keys"][0].clone();
    assert_eq!(public["kid"], kid.as_str());
    assert!(public.get("d").is_none(), "no private member is published");

    // alg: none, no signature.
    let none = forge(
        json!({"alg": "none", "typ": "JWT", "kid": kid}),
        &claims,
        |_| Vec::new(),
    );
    // HS256 keyed with the public key, in each form an attacker might try.
    let mut forged = vec![none];
    for secret in [
        public.to_string().into_bytes(),
        public["x"].as_str().unwrap().as_bytes().to_vec(),
    ] {
        let key = jsonwebtoken::EncodingKey::from_secret(&secret);
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(kid.clone());
        header.typ = Some("at+jwt".into());
        forged.push(jsonwebtoken::encode(&header, &claims, &key).unwrap());
    }
    // A valid ES256 signature by a key that is not ours, under our kid.
    let stranger = {
        use p256::pkcs8::EncodePrivateKey as _;
        let secret = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
        let der = secret.to_pkcs8_der().unwrap();
        let key = jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes());
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(kid.clone());
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    };
    forged.push(stranger);
    // The real token with its claims altered (a different user), signature kept.
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let mut other = claims.clone();
    other["sub"] = json!(uuid::Uuid::now_v7());
    parts[1] = b64(other.to_string().as_bytes());
    forged.push(parts.join("."));
    for token in forged {
        let r = with_bearer(&app, "GET", "/session", &token, Value::Null).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token}");
    }
    // The genuine one still works.
    let r = with_bearer(&app, "GET", "/session", &access, Value::Null).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn expired_tokens_and_tokens_for_another_audience_are_refused() {
    let app = bearer_app().await;
    let (access, _) = signed_in(&app, "ada@example.com").await;
    let state = app.yauth.state();
    let claims = claims_of(&access);
    let sign = |claims: Value, typ: &'static str| async move {
        state
            .signing_keys()
            .sign(
                state.repos(),
                state.sealer().unwrap(),
                SigningAlgorithm::Es256,
                typ,
                &claims,
            )
            .await
            .unwrap()
    };
    let now = chrono::Utc::now().timestamp();
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 120);
    let mut foreign = claims.clone();
    foreign["aud"] = json!("https://other.example");
    let mut stranger_issuer = claims.clone();
    stranger_issuer["iss"] = json!("https://evil.example");
    for bad in [expired, foreign, stranger_issuer] {
        let token = sign(bad.clone(), "at+jwt").await;
        let r = with_bearer(&app, "GET", "/session", &token, Value::Null).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad}");
    }
    // Our key's signature over the same claims, but as another type of token (an ID
    // token, say), is no access token.
    let other_type = sign(claims.clone(), "JWT").await;
    let r = with_bearer(&app, "GET", "/session", &other_type, Value::Null).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Our own signature over the original claims is accepted (the test signs correctly).
    let token = sign(claims.clone(), "at+jwt").await;
    assert_eq!(
        with_bearer(&app, "GET", "/session", &token, Value::Null)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_ban_or_a_deletion_stops_bearer_tokens_at_the_next_request() {
    let app = bearer_app().await;
    let (access, refresh_token) = signed_in(&app, "ada@example.com").await;
    ban(&app, "ada@example.com").await;
    let r = with_bearer(&app, "GET", "/session", &access, Value::Null).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("user_banned"))
    );
    let r = refresh(&app, &refresh_token).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("user_banned"))
    );
    let user = user_of(&app, "ada@example.com").await;
    let repos = app.yauth.state().repos();
    repos.users.delete_user(user.id).await.unwrap();
    let r = with_bearer(&app, "GET", "/session", &access, Value::Null).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_change_ends_every_refresh_family() {
    let app = bearer_app().await;
    let (narrow, refresh_token) = signed_in(&app, "ada@example.com").await;
    let change = json!({"current_password": PASSWORD, "new_password": "Zq7!nW4@rT1#yU6$"});
    // A token without the `account` scope cannot manage the account.
    let r = with_bearer(&app, "POST", "/change-password", &narrow, change.clone()).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("insufficient_scope"))
    );
    let r = token(&app, "ada@example.com", Some("account")).await;
    let access = r.body["access_token"].as_str().unwrap().to_owned();
    let r = with_bearer(
        &app,
        "POST",
        "/change-password",
        &access,
        json!({"current_password": PASSWORD, "new_password": "Zq7!nW4@rT1#yU6$"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        refresh(&app, &refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_sealed_private_key_is_not_in_the_database() {
    let app = bearer_app().await;
    signed_in(&app, "ada@example.com").await;
    let repos = app.yauth.state().repos();
    let rows = repos.signing_keys.list_signing_keys().await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let sealer = Sealer::new(&SecretKey::from_bytes(SECRET), &[]);
    let der = sealer
        .open("signing_key", row.kid.as_bytes(), &row.private_key_enc)
        .unwrap();
    // The private key is PKCS#8 DER; no 16-byte run of it is stored, anywhere in the row.
    assert_eq!(der[0], 0x30);
    let dump = format!("{row:?}").into_bytes();
    for window in der.windows(16) {
        assert!(!row.private_key_enc.windows(16).any(|w| w == window));
        assert!(!dump.windows(16).any(|w| w == window));
    }
    // Another secret key cannot open it.
    let other = Sealer::new(&SecretKey::from_bytes([8; 32]), &[]);
    assert!(
        other
            .open("signing_key", row.kid.as_bytes(), &row.private_key_enc)
            .is_err()
    );
}

#[tokio::test]
async fn rotated_keys_verify_until_retired_and_reseal_moves_keys_to_a_new_secret() {
    let app = bearer_app().await;
    let (old_access, _) = signed_in(&app, "ada@example.com").await;
    let state = app.yauth.state();
    let (repos, sealer) = (state.repos(), state.sealer().unwrap());
    let old_kid = header_of(&old_access)["kid"].as_str().unwrap().to_owned();
    let new_kid = state
        .signing_keys()
        .rotate(repos, sealer, SigningAlgorithm::Es256)
        .await
        .unwrap();
    assert_ne!(new_kid, old_kid);
    let r = token(&app, "ada@example.com", None).await;
    let new_access = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        header_of(&new_access)["kid"],
        new_kid.as_str(),
        "the new key signs"
    );
    for access in [&old_access, &new_access] {
        let r = with_bearer(&app, "GET", "/session", access, Value::Null).await;
        assert_eq!(r.status, StatusCode::OK, "the rotated key still verifies");
    }
    let jwks = state.signing_keys().jwks(repos, sealer).await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    // Retired (every token it signed has expired): no longer verifies, no longer published.
    state
        .signing_keys()
        .maintain(repos, sealer, Duration::ZERO, None)
        .await
        .unwrap();
    let r = with_bearer(&app, "GET", "/session", &old_access, Value::Null).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let jwks = state.signing_keys().jwks(repos, sealer).await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);

    // The secret key is rotated: the new configuration opens old values and reseals them.
    let backend_rows = repos.signing_keys.list_signing_keys().await.unwrap();
    let new_secret = SecretKey::from_bytes([11; 32]);
    let rotated = Sealer::new(&new_secret, &[SecretKey::from_bytes(SECRET)]);
    assert!(rotated.needs_reseal(&backend_rows[0].private_key_enc));
    let moved = state.signing_keys().reseal(repos, &rotated).await.unwrap();
    assert_eq!(moved, 1);
    let only_new = Sealer::new(&new_secret, &[]);
    for row in repos.signing_keys.list_signing_keys().await.unwrap() {
        assert!(
            only_new
                .open("signing_key", row.kid.as_bytes(), &row.private_key_enc)
                .is_ok()
        );
    }
}

#[tokio::test]
async fn rs256_keys_sign_and_verify() {
    let app = bearer_app_with(|bearer| bearer.algorithm = SigningAlgorithm::Rs256).await;
    let (access, _) = signed_in(&app, "ada@example.com").await;
    assert_eq!(header_of(&access)["alg"], "RS256");
    let r = with_bearer(&app, "GET", "/session", &access, Value::Null).await;
    assert_eq!(r.status, StatusCode::OK);
    let state = app.yauth.state();
    let jwks = state
        .signing_keys()
        .jwks(state.repos(), state.sealer().unwrap())
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert!(jwks["keys"][0].get("d").is_none());
}

#[tokio::test]
async fn bearer_refuses_to_start_without_a_secret_key() {
    let error = YAuthBuilder::new(
        yauth::backends::memory::InMemoryBackend::new(),
        YAuthConfig::default(),
    )
    .with_bearer(BearerConfig::default())
    .build()
    .await
    .unwrap_err();
    assert!(error.to_string().contains("secret_key"), "{error}");
}
