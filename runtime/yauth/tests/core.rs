//! The runtime core on the in-memory backend, driven through the router: sessions, the
//! protected core routes, plugins and their extractors, events and errors. `#[tokio::test]`
//! runs on a current-thread runtime, which the library must support.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;
use uuid::Uuid;
use yauth::backends::memory::InMemoryBackend;
use yauth::entity::User;
use yauth::kit::token::hash_token;
use yauth::prelude::*;

struct App {
    yauth: YAuth,
    router: axum::Router,
}

async fn app_with(config: YAuthConfig, plugins: Vec<Box<dyn YAuthPlugin>>) -> App {
    let mut builder = YAuthBuilder::new(InMemoryBackend::new(), config);
    for plugin in plugins {
        builder = builder.with_plugin(plugin);
    }
    let yauth = builder.build().await.unwrap();
    let router = axum::Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone());
    App { yauth, router }
}

async fn app() -> App {
    app_with(YAuthConfig::default(), Vec::new()).await
}

async fn user(app: &App) -> User {
    let now = chrono::Utc::now();
    let user = User {
        id: Uuid::now_v7(),
        email: format!("{}@example.com", Uuid::new_v4().simple()),
        display_name: None,
        email_verified: true,
        role: "user".into(),
        banned: false,
        banned_reason: None,
        banned_until: None,
        created_at: now,
        updated_at: now,
        extra: Default::default(),
    };
    app.yauth
        .state()
        .repos()
        .users
        .insert_user(&user)
        .await
        .unwrap();
    user
}

/// A session for `user`, as a sign-in would store it (the sign-in path itself belongs to
/// the login plugins; these tests are about what the core does with a session).
async fn login(app: &App, user: &User) -> String {
    let token = yauth::kit::token::new_token();
    let now = chrono::Utc::now();
    let session = yauth::entity::Session {
        id: Uuid::now_v7(),
        user_id: user.id,
        token_hash: hash_token(&token),
        ip_address: Some("203.0.113.9".into()),
        user_agent: Some("agent/1".into()),
        expires_at: now + chrono::Duration::hours(1),
        created_at: now,
        impersonator_id: None,
        last_seen_at: Some(now),
        persistent: false,
    };
    app.yauth
        .state()
        .repos()
        .sessions
        .insert_session(&session)
        .await
        .unwrap();
    token
}

async fn send(app: &App, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {bytes:?}"))
    };
    (status, headers, json)
}

fn get(path: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header(header::COOKIE, format!("__Host-yauth_session={token}"));
    }
    request.body(Body::empty()).unwrap()
}

fn json_request(method: &str, path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, "agent/1");
    if let Some(token) = token {
        request = request.header(header::COOKIE, format!("__Host-yauth_session={token}"));
    }
    request.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn session_without_credentials_is_401_json() {
    let app = app().await;
    let (status, _, body) = send(&app, get("/api/auth/session", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized");
    let (status, _, body) = send(&app, get("/api/auth/session", Some("not-a-token"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized");
}

#[tokio::test]
async fn a_session_cookie_authenticates_and_only_its_hash_is_stored() {
    let app = app().await;
    let u = user(&app).await;
    let token = login(&app, &u).await;
    let (status, _, body) = send(&app, get("/api/auth/session", Some(&token))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], u.id.to_string());
    assert_eq!(body["email"], u.email);
    assert_eq!(body["auth_method"], "Session");
    assert_eq!(body["role"], "user");
    let stored = app
        .yauth
        .state()
        .repos()
        .sessions
        .list_user_sessions(u.id)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].token_hash, hash_token(&token));
    assert_ne!(stored[0].token_hash, token);
    assert!(!stored[0].token_hash.contains(&token));
}

#[tokio::test]
async fn an_expired_session_is_rejected() {
    let app = app().await;
    let u = user(&app).await;
    let token = login(&app, &u).await;
    let repos = app.yauth.state().repos();
    let mut session = repos
        .sessions
        .list_user_sessions(u.id)
        .await
        .unwrap()
        .remove(0);
    repos.sessions.delete_session(session.id).await.unwrap();
    session.expires_at = chrono::Utc::now() - chrono::Duration::seconds(1);
    repos.sessions.insert_session(&session).await.unwrap();
    let (status, _, _) = send(&app, get("/api/auth/session", Some(&token))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_the_session_clears_the_cookie_and_is_audited() {
    let app = app().await;
    let u = user(&app).await;
    let token = login(&app, &u).await;
    let (status, headers, _) = send(
        &app,
        json_request("POST", "/api/auth/logout", Some(&token), ""),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.starts_with("__Host-yauth_session=;"), "{cookie}");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    let (status, _, _) = send(&app, get("/api/auth/session", Some(&token))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let audit = app
        .yauth
        .state()
        .repos()
        .audit_log
        .list_user_audit(u.id, 10, 0)
        .await
        .unwrap();
    assert_eq!(
        audit
            .iter()
            .map(|a| a.event_type.as_str())
            .collect::<Vec<_>>(),
        ["logout"]
    );
}

#[tokio::test]
async fn patch_me_updates_the_display_name_and_refuses_bad_input_with_json() {
    let app = app().await;
    let u = user(&app).await;
    let token = login(&app, &u).await;
    let (status, _, body) = send(
        &app,
        json_request(
            "PATCH",
            "/api/auth/me",
            Some(&token),
            r#"{"display_name":"  Ada  "}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["display_name"], "Ada");
    let stored = app
        .yauth
        .state()
        .repos()
        .users
        .get_user(u.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.display_name.as_deref(), Some("Ada"));

    let long = format!(r#"{{"display_name":"{}"}}"#, "x".repeat(10_000));
    for (body, code) in [
        (long.as_str(), "invalid_display_name"),
        (r#"{"display_name":"#, "invalid_request"),
        (r#"{"display_name":5}"#, "invalid_request"),
        (r#"{"nickname":"x"}"#, "invalid_request"),
        ("[]", "invalid_request"),
        // The in-memory backend has no extra columns: `extra` is refused, even empty.
        (r#"{"extra":{"company":"x"}}"#, "invalid_extra"),
        (r#"{"extra":{}}"#, "invalid_extra"),
    ] {
        let (status, _, json) = send(
            &app,
            json_request("PATCH", "/api/auth/me", Some(&token), body),
        )
        .await;
        assert!(status.is_client_error(), "{body}: {status}");
        assert_eq!(json["error"], code, "{body}");
        assert!(json["message"].is_string());
    }
    let stored = app
        .yauth
        .state()
        .repos()
        .users
        .get_user(u.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.display_name.as_deref(), Some("Ada"));
    // A PATCH without `display_name` keeps it; `null` clears it.
    let (status, _, json) = send(
        &app,
        json_request("PATCH", "/api/auth/me", Some(&token), "{}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["display_name"], "Ada");
    assert!(
        json.get("extra").is_none(),
        "no extra fields, no `extra`: {json}"
    );
    let audit = app
        .yauth
        .state()
        .repos()
        .audit_log
        .list_user_audit(u.id, 10, 0)
        .await
        .unwrap();
    // The two accepted changes; none of the refused ones.
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|a| a.event_type == "profile_updated"));
}

#[tokio::test]
async fn a_banned_user_is_refused() {
    let app = app().await;
    let u = user(&app).await;
    let token = login(&app, &u).await;
    let repos = app.yauth.state().repos();
    repos
        .users
        .ban_user(Some("spam"), None, chrono::Utc::now(), u.id)
        .await
        .unwrap();
    let (status, _, body) = send(&app, get("/api/auth/session", Some(&token))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "user_banned");
    // A ban that has run out no longer applies.
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    repos
        .users
        .ban_user(Some("spam"), Some(past), chrono::Utc::now(), u.id)
        .await
        .unwrap();
    let (status, _, _) = send(&app, get("/api/auth/session", Some(&token))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_binding_mismatch_warns_or_invalidates() {
    for (action, expected) in [
        (BindingAction::Warn, StatusCode::OK),
        (BindingAction::Invalidate, StatusCode::UNAUTHORIZED),
    ] {
        let config = YAuthConfig {
            bind_user_agent: true,
            binding_action: action,
            ..YAuthConfig::default()
        };
        let app = app_with(config, Vec::new()).await;
        let u = user(&app).await;
        let token = login(&app, &u).await;
        let same = Request::get("/api/auth/session")
            .header(header::COOKIE, format!("__Host-yauth_session={token}"))
            .header(header::USER_AGENT, "agent/1")
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&app, same).await.0, StatusCode::OK);
        let other = Request::get("/api/auth/session")
            .header(header::COOKIE, format!("__Host-yauth_session={token}"))
            .header(header::USER_AGENT, "curl/8")
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&app, other).await.0, expected, "{action:?}");
        let left = app
            .yauth
            .state()
            .repos()
            .sessions
            .list_user_sessions(u.id)
            .await
            .unwrap()
            .len();
        assert_eq!(
            left,
            usize::from(action == BindingAction::Warn),
            "{action:?}"
        );
    }
}

/// A plugin with its own credential extractor (header `x-test-user: <uuid>`), a public route,
/// a record of the events it was shown, and a veto of every sign-in.
#[derive(Default)]
struct TestPlugin {
    seen: std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>,
}

struct HeaderExtractor;

impl CredentialExtractor for HeaderExtractor {
    fn name(&self) -> &'static str {
        "test-header"
    }

    fn authenticate<'a>(
        &'a self,
        parts: &'a axum::http::request::Parts,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Result<Option<AuthUser>, ApiError>> {
        Box::pin(async move {
            let Some(id) = parts
                .headers
                .get("x-test-user")
                .and_then(|v| v.to_str().ok()?.parse::<Uuid>().ok())
            else {
                return Ok(None);
            };
            let Some(user) = state.repos().users.get_user(id).await? else {
                return Ok(None);
            };
            let mut auth = AuthUser::from_user(&user, AuthMethod::ApiKey);
            auth.scopes = Some(vec!["read".into()]);
            Ok(Some(auth))
        })
    }
}

/// A route of the test plugin, described where it is defined.
#[utoipa::path(
    get,
    path = "/test/ping",
    tag = "test",
    operation_id = "testPing",
    responses((status = 200, description = "pong", body = String))
)]
async fn ping() -> &'static str {
    "pong"
}

impl YAuthPlugin for TestPlugin {
    fn name(&self) -> &'static str {
        "test"
    }

    fn public_routes(
        &self,
        _state: &YAuthState,
    ) -> Option<utoipa_axum::router::OpenApiRouter<YAuthState>> {
        Some(utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(ping)))
    }

    fn extractors(&self) -> Vec<Box<dyn CredentialExtractor>> {
        vec![Box::new(HeaderExtractor)]
    }

    fn on_event<'a>(&'a self, event: &'a AuthEvent, _state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.seen.lock().unwrap().push(event.name());
        })
    }

    fn check<'a>(
        &'a self,
        attempt: &'a Attempt<'a>,
        _state: &'a YAuthState,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            match attempt {
                Attempt::SignIn { .. } => Verdict::Block {
                    status: StatusCode::LOCKED,
                    message: "locked".into(),
                },
                _ => Verdict::Allow,
            }
        })
    }
}

#[tokio::test]
async fn a_plugin_adds_routes_an_extractor_sees_events_and_vetoes_attempts() {
    let plugin = TestPlugin::default();
    let seen = plugin.seen.clone();
    let app = app_with(YAuthConfig::default(), vec![Box::new(plugin)]).await;
    assert_eq!(app.yauth.state().plugin_names(), ["test"]);
    let response = app
        .router
        .clone()
        .oneshot(get("/api/auth/test/ping", None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Its route is in the OpenAPI document, with its tag and operation id.
    #[cfg(feature = "openapi")]
    {
        let doc = serde_json::to_value(app.yauth.openapi()).unwrap();
        assert_eq!(doc["paths"]["/test/ping"]["get"]["operationId"], "testPing");
        assert_eq!(doc["paths"]["/test/ping"]["get"]["tags"][0], "test");
    }
    let u = user(&app).await;
    let request = Request::get("/api/auth/session")
        .header("x-test-user", u.id.to_string())
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["auth_method"], "ApiKey");
    assert_eq!(body["scopes"], serde_json::json!(["read"]));
    // The session cookie still comes first.
    let token = login(&app, &u).await;
    let (_, _, body) = send(&app, get("/api/auth/session", Some(&token))).await;
    assert_eq!(body["auth_method"], "Session");

    let state = app.yauth.state();
    // An event informs: it is audited and shown to the plugin, and there is no answer.
    state
        .emit(
            AuthEvent::LoginFailed {
                user_id: Some(u.id),
                reason: "bad password".into(),
            },
            &RequestMeta {
                ip: Some("198.51.100.4".parse().unwrap()),
                user_agent: Some("probe/1.0".into()),
            },
        )
        .await;
    state
        .emit(
            AuthEvent::EmailVerified { user_id: u.id },
            &RequestMeta::default(),
        )
        .await;
    assert_eq!(*seen.lock().unwrap(), ["login_failed", "email_verified"]);
    // An attempt is asked before it commits, and the plugin's veto is the answer.
    let blocked = state
        .ask(&Attempt::SignIn {
            user: &u,
            method: "test",
            grant: yauth::contract::event::Grant::Session { remember_me: false },
            client: &RequestMeta::default(),
            second_factor: false,
        })
        .await
        .unwrap_err();
    assert_eq!(blocked.status, StatusCode::LOCKED);
    assert_eq!(blocked.error, "blocked");
    state
        .ask(&Attempt::Register {
            email: "someone@example.com",
        })
        .await
        .unwrap();
    let audit = state
        .repos()
        .audit_log
        .list_user_audit(u.id, 10, 0)
        .await
        .unwrap();
    let names: Vec<&str> = audit.iter().map(|a| a.event_type.as_str()).collect();
    assert_eq!(names, ["email_verified", "login_failed"]);
    assert_eq!(audit[1].ip_address.as_deref(), Some("198.51.100.4"));
    assert_eq!(
        audit[1].metadata.as_ref().unwrap()["reason"],
        "bad password"
    );
}

#[tokio::test]
async fn the_builder_refuses_a_bad_configuration() {
    let mut config = YAuthConfig::default();
    config.cookie.name = "bad name;".into();
    let err = YAuthBuilder::new(InMemoryBackend::new(), config)
        .build()
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("cookie name"), "{err}");
    let twice = YAuthBuilder::new(InMemoryBackend::new(), YAuthConfig::default())
        .with_plugin(Box::new(TestPlugin::default()))
        .with_plugin(Box::new(TestPlugin::default()))
        .build()
        .await;
    assert!(twice.err().unwrap().to_string().contains("twice"));
}

#[test]
fn event_names_are_stable_unique_snake_case() {
    let id = Uuid::nil();
    let events = [
        AuthEvent::UserRegistered {
            user_id: id,
            email: String::new(),
        },
        AuthEvent::LoginSucceeded {
            user_id: id,
            method: String::new(),
        },
        AuthEvent::LoginFailed {
            user_id: None,
            reason: String::new(),
        },
        AuthEvent::SessionCreated {
            user_id: id,
            session_id: id,
        },
        AuthEvent::Logout {
            user_id: id,
            session_id: id,
        },
        AuthEvent::PasswordChanged { user_id: id },
        AuthEvent::EmailVerified { user_id: id },
        AuthEvent::MfaEnabled { user_id: id },
        AuthEvent::MfaDisabled { user_id: id },
        AuthEvent::UserBanned {
            user_id: id,
            admin_id: id,
        },
        AuthEvent::UserUnbanned {
            user_id: id,
            admin_id: id,
        },
        AuthEvent::MagicLinkSent {
            email: String::new(),
        },
        AuthEvent::MagicLinkVerified { user_id: id },
        AuthEvent::AccountLocked {
            user_id: id,
            until: None,
        },
        AuthEvent::AccountUnlocked {
            user_id: id,
            admin_id: None,
        },
        AuthEvent::WebhookDelivered {
            webhook_id: id,
            delivery_id: id,
        },
        AuthEvent::WebhookDeliveryFailed {
            webhook_id: id,
            delivery_id: id,
        },
        AuthEvent::PasswordResetRequested { user_id: None },
        AuthEvent::PasswordReset { user_id: id },
        AuthEvent::VerificationResent { user_id: None },
        AuthEvent::ProfileUpdated { user_id: id },
        AuthEvent::TokenIssued {
            user_id: id,
            family_id: id,
        },
        AuthEvent::TokenRefreshed {
            user_id: id,
            family_id: id,
        },
        AuthEvent::TokenRevoked {
            user_id: id,
            family_id: id,
        },
        AuthEvent::RefreshTokenReused {
            user_id: id,
            family_id: id,
        },
        AuthEvent::ApiKeyCreated {
            user_id: id,
            key_id: id,
        },
        AuthEvent::ApiKeyDeleted {
            user_id: id,
            key_id: id,
        },
        AuthEvent::UserUpdated {
            user_id: id,
            admin_id: id,
        },
        AuthEvent::UserDeleted {
            user_id: id,
            admin_id: id,
        },
        AuthEvent::ImpersonationStarted {
            admin_id: id,
            user_id: id,
            session_id: id,
        },
        AuthEvent::SessionRevoked {
            user_id: id,
            admin_id: id,
            session_id: id,
        },
    ];
    let names: Vec<&str> = events.iter().map(AuthEvent::name).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len());
    for name in &names {
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{name}"
        );
    }
    // Fixed forever: audit rows and webhook subscriptions match on them.
    assert_eq!(names[0], "user_registered");
    assert_eq!(names[2], "login_failed");
}

/// Answers every sign-in with a request for a second factor.
struct AsksForMfa;

impl YAuthPlugin for AsksForMfa {
    fn name(&self) -> &'static str {
        "asks-for-mfa"
    }

    fn check<'a>(
        &'a self,
        _attempt: &'a Attempt<'a>,
        _state: &'a YAuthState,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(async {
            Verdict::RequireMfa {
                pending_session_id: "pending".into(),
            }
        })
    }
}

#[tokio::test]
async fn a_block_wins_over_a_second_factor_request_from_an_earlier_plugin() {
    let app = app_with(
        YAuthConfig::default(),
        vec![Box::new(AsksForMfa), Box::new(TestPlugin::default())],
    )
    .await;
    let u = user(&app).await;
    let blocked = app
        .yauth
        .state()
        .ask(&Attempt::SignIn {
            user: &u,
            method: "test",
            grant: yauth::contract::event::Grant::Session { remember_me: false },
            client: &RequestMeta::default(),
            second_factor: false,
        })
        .await
        .unwrap_err();
    assert_eq!(blocked.status, StatusCode::LOCKED);
}
