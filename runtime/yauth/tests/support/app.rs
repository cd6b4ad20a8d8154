//! An app on the in-memory backend driven through its router (`oneshot`), shared by the
//! plugin tests: build it, call routes with a cookie or other headers, register and sign in.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use yauth::backends::memory::InMemoryBackend;
use yauth::email_password::EmailPasswordConfig;
use yauth::mail::RecordingMailer;
use yauth::password::HashingConfig;
use yauth::prelude::*;

pub const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";

/// The client address of every call unless a test names another.
pub const IP: &str = "198.51.100.1";

pub struct App {
    pub yauth: YAuth,
    pub router: axum::Router,
    pub mail: RecordingMailer,
}

pub fn config(mail: &RecordingMailer) -> EmailPasswordConfig {
    EmailPasswordConfig {
        hashing: HashingConfig::insecure_fast_for_tests(),
        mailer: Some(Arc::new(mail.clone())),
        // No network here; the HIBP tests point it at a local stand-in.
        hibp: None,
        ..EmailPasswordConfig::default()
    }
}

/// The app with email-password, after `change` adjusted the configurations and `extend`
/// added plugins (it gets the recording mailer, to give plugins that send mail). One trusted proxy hop, so `x-forwarded-for` names the client.
pub async fn app_built(
    change: impl FnOnce(&mut EmailPasswordConfig, &mut YAuthConfig),
    extend: impl FnOnce(YAuthBuilder, &RecordingMailer) -> YAuthBuilder,
) -> App {
    let mail = RecordingMailer::new();
    let mut ep = config(&mail);
    let mut core = YAuthConfig {
        trusted_proxies: yauth::config::TrustedProxies::Hops(1),
        ..YAuthConfig::default()
    };
    change(&mut ep, &mut core);
    let builder = YAuthBuilder::new(InMemoryBackend::new(), core).with_email_password(ep);
    let yauth = extend(builder, &mail).build().await.unwrap();
    let router = axum::Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone());
    App {
        yauth,
        router,
        mail,
    }
}

pub async fn app_with(change: impl FnOnce(&mut EmailPasswordConfig, &mut YAuthConfig)) -> App {
    app_built(change, |builder, _| builder).await
}

pub async fn app() -> App {
    app_with(|_, _| {}).await
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn cookie(&self) -> Option<String> {
        let set = self.headers.get(header::SET_COOKIE)?.to_str().ok()?;
        let value = set
            .strip_prefix("__Host-yauth_session=")?
            .split(';')
            .next()?;
        (!value.is_empty()).then(|| value.to_string())
    }

    /// The `error` code of a JSON error body.
    pub fn error(&self) -> Option<&str> {
        self.body["error"].as_str()
    }
}

/// Sends `method path` with a JSON `body`, the session `cookie` if any, further `headers`,
/// from client `ip`.
pub async fn send(
    app: &App,
    method: &str,
    path: &str,
    body: Value,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    ip: &str,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/api/auth{path}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", ip);
    if let Some(token) = cookie {
        request = request.header(header::COOKIE, format!("__Host-yauth_session={token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    // Mail (and the lookups of forgot-password and resend-verification) run in tasks of
    // their own: let them finish (a current-thread runtime runs spawned tasks while this one
    // yields).
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn call(
    app: &App,
    method: &str,
    path: &str,
    body: Value,
    cookie: Option<&str>,
    ip: &str,
) -> Reply {
    send(app, method, path, body, cookie, &[], ip).await
}

pub async fn post(app: &App, path: &str, body: Value) -> Reply {
    call(app, "POST", path, body, None, IP).await
}

/// Registers and verifies `email`; returns nothing (log in next).
pub async fn registered(app: &App, email: &str) {
    let r = post(
        app,
        "/register",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = app.mail.last_token(email).expect("a verification mail");
    assert_eq!(
        post(app, "/verify-email", json!({"token": token}))
            .await
            .status,
        StatusCode::OK
    );
}

pub async fn logged_in(app: &App, email: &str) -> String {
    let r = post(app, "/login", json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.cookie().expect("a session cookie")
}

/// The stored account of `email` (normalised; it must exist).
pub async fn user_of(app: &App, email: &str) -> yauth::entity::User {
    app.yauth
        .state()
        .repos()
        .users
        .find_user_by_email(email)
        .await
        .unwrap()
        .expect("the account exists")
}

/// Bans the account of `email` in the repository, with no end (no admin plugin needed).
pub async fn ban(app: &App, email: &str) {
    let user = user_of(app, email).await;
    app.yauth
        .state()
        .repos()
        .users
        .ban_user(None, None, chrono::Utc::now(), user.id)
        .await
        .unwrap();
}

/// Registers `email`, gives it the role `admin` in the repository, and signs it in: the
/// session cookie.
pub async fn admin_logged_in(app: &App, email: &str) -> String {
    registered(app, email).await;
    let id = user_of(app, email).await.id;
    app.yauth
        .state()
        .repos()
        .users
        .update_user_admin(None, "admin", true, chrono::Utc::now(), id)
        .await
        .unwrap();
    logged_in(app, email).await
}

/// The audit rows of the event `name` (newest first, at most 100).
pub async fn audited(app: &App, name: &str) -> Vec<yauth::entity::AuditLog> {
    app.yauth
        .state()
        .repos()
        .audit_log
        .list_audit_by_event(name, 100, 0)
        .await
        .unwrap()
}

/// What a stranger who registered someone else's address could set up on the account before
/// its owner proves the mailbox (with email verification off they can sign in): a consent to
/// their own OAuth 2 client, a passkey, and a display name. Planted through the repositories.
#[allow(dead_code)] // not every test binary plants it
pub async fn plant_strangers_setup(app: &App, user_id: uuid::Uuid) {
    let repos = app.yauth.state().repos();
    let now = chrono::Utc::now();
    let client_id = format!("strangers-client-{user_id}");
    repos
        .oauth2_clients
        .insert_oauth2_client(&yauth::entity::Oauth2Client {
            id: uuid::Uuid::now_v7(),
            client_id: client_id.clone(),
            client_secret_hash: None,
            redirect_uris: json!(["https://stranger.example/cb"]),
            client_name: Some("Stranger".into()),
            grant_types: json!(["authorization_code"]),
            scopes: None,
            is_public: true,
            metadata: None,
            created_at: now,
        })
        .await
        .unwrap();
    repos
        .consents
        .upsert_consent(&yauth::entity::Consent {
            id: uuid::Uuid::now_v7(),
            user_id,
            client_id,
            scopes: Some(json!(["openid", "email"])),
            created_at: now,
        })
        .await
        .unwrap();
    repos
        .webauthn_credentials
        .insert_webauthn_credential(&yauth::entity::WebauthnCredential {
            id: uuid::Uuid::now_v7(),
            user_id,
            credential_id: user_id.as_bytes().to_vec(),
            name: "stranger's key".into(),
            aaguid: None,
            device_name: None,
            credential: json!({}),
            created_at: now,
            last_used_at: None,
        })
        .await
        .unwrap();
    repos
        .users
        .update_user_profile(&Default::default(), Some("Support Team"), now, user_id)
        .await
        .unwrap();
}

/// Whether anything [`plant_strangers_setup`] planted is still on the account: consents,
/// passkeys, the display name.
#[allow(dead_code)]
pub async fn strangers_setup_left(app: &App, user_id: uuid::Uuid) -> Vec<&'static str> {
    let repos = app.yauth.state().repos();
    let mut left = Vec::new();
    if !repos
        .consents
        .list_user_consents(user_id)
        .await
        .unwrap()
        .is_empty()
    {
        left.push("consent");
    }
    if !repos
        .webauthn_credentials
        .list_user_webauthn_credentials(user_id)
        .await
        .unwrap()
        .is_empty()
    {
        left.push("passkey");
    }
    let user = repos.users.get_user(user_id).await.unwrap().unwrap();
    if user.display_name.is_some() {
        left.push("display name");
    }
    left
}
