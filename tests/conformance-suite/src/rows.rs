//! Row builders with unique data, so that tests sharing one database never collide.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::json;
use uuid::Uuid;
use yauth_entity::*;

/// Now, at microsecond precision (what every backend stores).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn later() -> DateTime<Utc> {
    now() + Duration::hours(1)
}

pub fn earlier() -> DateTime<Utc> {
    now() - Duration::hours(1)
}

/// A unique lower-case token.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4().simple())
}

pub fn user() -> User {
    let at = now();
    User {
        id: Uuid::now_v7(),
        email: format!("{}@example.com", unique("user")),
        display_name: None,
        email_verified: false,
        role: "user".into(),
        banned: false,
        banned_reason: None,
        banned_until: None,
        created_at: at,
        updated_at: at,
        extra: Default::default(),
    }
}

/// A value for every extra user column of `columns` (distinct per `seed`), as a repository
/// stores and reads back a complete map.
pub fn extra(columns: &[ExtraColumn], seed: i64) -> serde_json::Map<String, serde_json::Value> {
    columns
        .iter()
        .map(|c| {
            let value = match c.ty {
                ExtraType::String => json!(format!("{} «{seed}» 'x'", c.name)),
                ExtraType::Text => json!(format!("{}\nline {seed}", c.name).repeat(50)),
                ExtraType::Bool => json!(seed % 2 == 0),
                ExtraType::Int => json!(seed as i32),
                ExtraType::BigInt => json!(seed << 33),
            };
            (c.name.to_string(), value)
        })
        .collect()
}

/// What a repository with `columns` reads back for a user inserted with `given`: each
/// declared column's value, or its default, or null; nothing else.
pub fn stored_extra(
    columns: &[ExtraColumn],
    given: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    columns
        .iter()
        .map(|c| {
            let value = given
                .get(c.name)
                .filter(|v| !v.is_null())
                .cloned()
                .or_else(|| c.default.map(ExtraDefault::to_json))
                .unwrap_or(serde_json::Value::Null);
            (c.name.to_string(), value)
        })
        .collect()
}

pub fn session(user_id: Uuid, expires_at: DateTime<Utc>) -> Session {
    Session {
        id: Uuid::now_v7(),
        user_id,
        token_hash: unique("session"),
        ip_address: Some("203.0.113.7".into()),
        user_agent: None,
        expires_at,
        created_at: now(),
        impersonator_id: None,
        last_seen_at: None,
        persistent: false,
    }
}

pub fn audit(user_id: Option<Uuid>, event_type: &str) -> AuditLog {
    AuditLog {
        id: Uuid::now_v7(),
        user_id,
        event_type: event_type.into(),
        metadata: Some(json!({"ip": "203.0.113.7", "n": 1, "nested": {"ok": true}})),
        ip_address: None,
        // Round-trips a non-ASCII User-Agent through every backend.
        user_agent: Some("Mozilla/5.0 (X11; Linux) \u{e9}t\u{e9}".into()),
        created_at: now(),
    }
}

pub fn password(user_id: Uuid, hash: &str) -> Password {
    Password {
        user_id,
        password_hash: hash.into(),
    }
}

pub fn email_verification(user_id: Uuid, expires_at: DateTime<Utc>) -> EmailVerification {
    EmailVerification {
        id: Uuid::now_v7(),
        user_id,
        token_hash: unique("verify"),
        expires_at,
        created_at: now(),
    }
}

pub fn password_reset(user_id: Uuid, expires_at: DateTime<Utc>) -> PasswordReset {
    PasswordReset {
        id: Uuid::now_v7(),
        user_id,
        token_hash: unique("reset"),
        expires_at,
        used_at: None,
        created_at: now(),
    }
}

pub fn refresh_token(user_id: Uuid, family_id: Uuid) -> RefreshToken {
    RefreshToken {
        id: Uuid::now_v7(),
        user_id,
        token_hash: unique("refresh"),
        family_id,
        scopes: Some(json!(["read"])),
        expires_at: later(),
        revoked: false,
        created_at: now(),
    }
}

pub fn client() -> Oauth2Client {
    Oauth2Client {
        id: Uuid::now_v7(),
        client_id: unique("client"),
        client_secret_hash: None,
        redirect_uris: json!(["https://app.example.com/cb"]),
        client_name: Some("App".into()),
        grant_types: json!(["authorization_code", "refresh_token"]),
        scopes: None,
        is_public: true,
        metadata: Some(json!({"token_endpoint_auth_method": "none"})),
        created_at: now(),
    }
}

pub fn authorization_code(
    client_id: &str,
    user_id: Uuid,
    expires_at: DateTime<Utc>,
) -> AuthorizationCode {
    AuthorizationCode {
        id: Uuid::now_v7(),
        code_hash: unique("code"),
        client_id: client_id.into(),
        user_id,
        scopes: Some(json!(["openid", "email"])),
        redirect_uri: "https://app.example.com/cb".into(),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        code_challenge_method: "S256".into(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        auth_time: Some(now()),
        expires_at,
        used: false,
        created_at: now(),
    }
}

pub fn access_token(client_id: &str, user_id: Option<Uuid>) -> Oauth2AccessToken {
    Oauth2AccessToken {
        id: Uuid::now_v7(),
        jti: unique("jti"),
        client_id: client_id.into(),
        user_id,
        scopes: Some(json!(["openid"])),
        grant_id: None,
        expires_at: later(),
        revoked: false,
        created_at: now(),
    }
}

pub fn oauth2_refresh_token(client_id: &str, user_id: Uuid, family_id: Uuid) -> Oauth2RefreshToken {
    Oauth2RefreshToken {
        id: Uuid::now_v7(),
        token_hash: unique("o2refresh"),
        family_id,
        client_id: client_id.into(),
        user_id,
        scopes: None,
        expires_at: later(),
        revoked: false,
        created_at: now(),
    }
}

pub fn webhook(user_id: Uuid) -> Webhook {
    Webhook {
        id: Uuid::now_v7(),
        user_id: Some(user_id),
        url: format!("https://hooks.example.com/{}", unique("h")),
        secret_enc: vec![1, 2, 3, 0, 255],
        events: json!(["user_registered", "login_succeeded"]),
        active: true,
        created_at: now(),
        updated_at: now(),
    }
}
