//! The admin plugin through the router on the in-memory backend: the admin role, paging and
//! search, bans that reach every credential, impersonation, and the rules that keep admins
//! from locking each other out. Tests are named after the threat.

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;
use yauth::prelude::*;

mod support;

use support::app::*;

async fn admin_app() -> App {
    app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes([5; 32])),
        |builder, _| {
            builder
                .with_bearer(BearerConfig {
                    allowed_scopes: vec!["read".into(), "admin".into()],
                    ..BearerConfig::default()
                })
                .with_api_key(ApiKeyConfig {
                    allowed_scopes: vec!["read".into()],
                    ..ApiKeyConfig::default()
                })
                .with_admin()
        },
    )
    .await
}

async fn user_id(app: &App, email: &str) -> Uuid {
    user_of(app, email).await.id
}

async fn plain(app: &App, email: &str) -> String {
    registered(app, email).await;
    logged_in(app, email).await
}

async fn get(app: &App, cookie: &str, path: &str) -> Reply {
    call(app, "GET", path, Value::Null, Some(cookie), IP).await
}

async fn act(app: &App, cookie: &str, method: &str, path: &str, body: Value) -> Reply {
    call(app, method, path, body, Some(cookie), IP).await
}

#[tokio::test]
async fn admin_routes_refuse_a_plain_user_and_anonymous_callers() {
    let app = admin_app().await;
    let user = plain(&app, "user@example.com").await;
    let id = user_id(&app, "user@example.com").await;
    for (method, path) in [
        ("GET", "/admin/users".to_string()),
        ("GET", format!("/admin/users/{id}")),
        ("PUT", format!("/admin/users/{id}")),
        ("DELETE", format!("/admin/users/{id}")),
        ("POST", format!("/admin/users/{id}/ban")),
        ("POST", format!("/admin/users/{id}/unban")),
        ("POST", format!("/admin/users/{id}/impersonate")),
        ("GET", "/admin/sessions".to_string()),
        ("DELETE", format!("/admin/sessions/{}", Uuid::now_v7())),
    ] {
        let r = act(&app, &user, method, &path, json!({})).await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{method} {path}"
        );
        let r = call(&app, method, &path, json!({}), None, IP).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn users_are_paged_capped_and_searched_case_insensitively() {
    let app = admin_app().await;
    let cookie = admin_logged_in(&app, "root@example.com").await;
    for i in 0..3 {
        registered(&app, &format!("person{i}@example.com")).await;
    }
    let r = get(&app, &cookie, "/admin/users?page=1&per_page=2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["total"].as_u64(), r.body["per_page"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(r.body["users"].as_array().unwrap().len(), 2);
    let user = &r.body["users"][0];
    for field in [
        "id",
        "email",
        "display_name",
        "email_verified",
        "role",
        "banned",
        "banned_reason",
        "banned_until",
        "created_at",
        "updated_at",
    ] {
        assert!(user.get(field).is_some(), "{field} in {user}");
    }
    let r = get(&app, &cookie, "/admin/users?page=2&per_page=2").await;
    assert_eq!(r.body["users"].as_array().unwrap().len(), 2);
    let r = get(&app, &cookie, "/admin/users?per_page=1000").await;
    assert_eq!(r.body["per_page"], 100, "capped");
    let r = get(&app, &cookie, "/admin/users?search=PERSON1").await;
    assert_eq!(r.body["total"], 1, "{}", r.body);
    assert_eq!(r.body["users"][0]["email"], "person1@example.com");
    let r = get(&app, &cookie, "/admin/users?page=-1&per_page=0").await;
    assert_eq!(
        (r.body["page"].as_u64(), r.body["per_page"].as_u64()),
        (Some(1), Some(1))
    );
    let r = get(&app, &cookie, "/admin/users?page=x").await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

#[tokio::test]
async fn a_ban_takes_effect_on_cookie_bearer_and_api_key_at_the_next_request() {
    let app = admin_app().await;
    let root = admin_logged_in(&app, "root@example.com").await;
    let cookie = plain(&app, "user@example.com").await;
    let id = user_id(&app, "user@example.com").await;
    let pair = post(
        &app,
        "/token",
        json!({"email": "user@example.com", "password": PASSWORD}),
    )
    .await;
    let access = format!("Bearer {}", pair.body["access_token"].as_str().unwrap());
    let refresh = pair.body["refresh_token"].as_str().unwrap().to_owned();
    let key = act(&app, &cookie, "POST", "/api-keys", json!({"name": "k"})).await;
    let key = key.body["key"].as_str().unwrap().to_owned();

    let r = act(
        &app,
        &root,
        "POST",
        &format!("/admin/users/{id}/ban"),
        json!({"reason": "spam"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["banned"].as_bool(), r.body["banned_reason"].as_str()),
        (Some(true), Some("spam"))
    );
    // The session is gone; the token and the key are refused as banned.
    assert_eq!(
        get(&app, &cookie, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = send(
        &app,
        "GET",
        "/session",
        Value::Null,
        None,
        &[("authorization", &access)],
        IP,
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("user_banned"))
    );
    let r = send(
        &app,
        "GET",
        "/session",
        Value::Null,
        None,
        &[("x-api-key", &key)],
        IP,
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("user_banned"))
    );
    let r = post(&app, "/token/refresh", json!({"refresh_token": refresh})).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the refresh family was revoked"
    );
    let r = post(
        &app,
        "/login",
        json!({"email": "user@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("user_banned"))
    );
    // Unbanned: the key works again, and a login too.
    let r = act(
        &app,
        &root,
        "POST",
        &format!("/admin/users/{id}/unban"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send(
        &app,
        "GET",
        "/session",
        Value::Null,
        None,
        &[("x-api-key", &key)],
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn a_ban_with_an_end_lifts_itself() {
    let app = admin_app().await;
    let root = admin_logged_in(&app, "root@example.com").await;
    plain(&app, "user@example.com").await;
    let id = user_id(&app, "user@example.com").await;
    let until = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let r = act(
        &app,
        &root,
        "POST",
        &format!("/admin/users/{id}/ban"),
        json!({"until": until}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let login = json!({"email": "user@example.com", "password": PASSWORD});
    assert_eq!(
        post(&app, "/login", login.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(post(&app, "/login", login).await.status, StatusCode::OK);
    let past = act(
        &app,
        &root,
        "POST",
        &format!("/admin/users/{id}/ban"),
        json!({"until": "2000-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        (past.status, past.error()),
        (StatusCode::BAD_REQUEST, Some("invalid_until"))
    );
}

#[tokio::test]
async fn admins_cannot_ban_delete_or_impersonate_themselves_or_each_other() {
    let app = admin_app().await;
    let root = admin_logged_in(&app, "root@example.com").await;
    admin_logged_in(&app, "other@example.com").await;
    let me = user_id(&app, "root@example.com").await;
    let other = user_id(&app, "other@example.com").await;
    for action in ["ban", "impersonate"] {
        let r = act(
            &app,
            &root,
            "POST",
            &format!("/admin/users/{me}/{action}"),
            json!({}),
        )
        .await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::BAD_REQUEST, Some("cannot_target_self")),
            "{action}"
        );
        let r = act(
            &app,
            &root,
            "POST",
            &format!("/admin/users/{other}/{action}"),
            json!({}),
        )
        .await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{action}"
        );
    }
    let r = act(
        &app,
        &root,
        "DELETE",
        &format!("/admin/users/{me}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.error(), Some("cannot_target_self"));
    let r = act(
        &app,
        &root,
        "DELETE",
        &format!("/admin/users/{other}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = act(
        &app,
        &root,
        "PUT",
        &format!("/admin/users/{me}"),
        json!({"role": "user"}),
    )
    .await;
    assert_eq!(r.error(), Some("cannot_target_self"));
}

#[tokio::test]
async fn an_impersonation_is_marked_audited_and_ends_with_a_logout() {
    let app = admin_app().await;
    let root = admin_logged_in(&app, "root@example.com").await;
    plain(&app, "user@example.com").await;
    let (me, id) = (
        user_id(&app, "root@example.com").await,
        user_id(&app, "user@example.com").await,
    );
    let r = act(
        &app,
        &root,
        "POST",
        &format!("/admin/users/{id}/impersonate"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["impersonated_by"], me.to_string());
    let as_user = r.cookie().expect("the target's session cookie");
    let who = get(&app, &as_user, "/session").await;
    assert_eq!(
        (
            who.body["email"].as_str(),
            who.body["impersonated_by"].as_str()
        ),
        (Some("user@example.com"), Some(me.to_string().as_str()))
    );
    // An impersonation session cannot start another impersonation.
    let r = act(
        &app,
        &as_user,
        "POST",
        &format!("/admin/users/{id}/impersonate"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let audit = app
        .yauth
        .state()
        .repos()
        .audit_log
        .list_audit_by_event("impersonation_started", 10, 0)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].user_id, Some(id));
    assert_eq!(
        audit[0].metadata.as_ref().unwrap()["admin_id"],
        me.to_string()
    );
    assert_eq!(
        act(&app, &as_user, "POST", "/logout", Value::Null)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&app, &as_user, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, &root, "/session").await.status,
        StatusCode::OK,
        "the admin's own session stays"
    );
}

#[tokio::test]
async fn sessions_can_be_listed_and_ended_by_an_admin() {
    let app = admin_app().await;
    let root = admin_logged_in(&app, "root@example.com").await;
    let user = plain(&app, "user@example.com").await;
    let id = user_id(&app, "user@example.com").await;
    let r = get(&app, &root, &format!("/admin/sessions?user_id={id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 1);
    let session = r.body["sessions"][0]["id"].as_str().unwrap().to_owned();
    let all = get(&app, &root, "/admin/sessions").await;
    assert_eq!(all.body["total"], 2);
    let r = act(
        &app,
        &root,
        "DELETE",
        &format!("/admin/sessions/{session}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        get(&app, &user, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = act(
        &app,
        &root,
        "DELETE",
        &format!("/admin/sessions/{session}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_edits_and_deletes_users_and_everything_they_own_goes() {
    let app = admin_app().await;
    let root = admin_logged_in(&app, "root@example.com").await;
    let cookie = plain(&app, "user@example.com").await;
    let id = user_id(&app, "user@example.com").await;
    let key = act(&app, &cookie, "POST", "/api-keys", json!({"name": "k"})).await;
    let key = key.body["key"].as_str().unwrap().to_owned();
    let r = act(
        &app,
        &root,
        "PUT",
        &format!("/admin/users/{id}"),
        json!({"display_name": "Renamed", "email_verified": false}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (
            r.body["display_name"].as_str(),
            r.body["email_verified"].as_bool(),
            r.body["role"].as_str()
        ),
        (Some("Renamed"), Some(false), Some("user"))
    );
    let r = act(
        &app,
        &root,
        "PUT",
        &format!("/admin/users/{id}"),
        json!({"role": "Not A Role"}),
    )
    .await;
    assert_eq!(r.error(), Some("invalid_role"));
    let r = act(
        &app,
        &root,
        "PUT",
        &format!("/admin/users/{id}"),
        json!({"display_name": null}),
    )
    .await;
    assert_eq!(r.body["display_name"], Value::Null);
    let r = act(
        &app,
        &root,
        "DELETE",
        &format!("/admin/users/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        get(&app, &cookie, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = send(
        &app,
        "GET",
        "/session",
        Value::Null,
        None,
        &[("x-api-key", &key)],
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&app, &root, &format!("/admin/users/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let audit = app
        .yauth
        .state()
        .repos()
        .audit_log
        .list_audit_by_event("user_deleted", 10, 0)
        .await
        .unwrap();
    assert_eq!(
        audit[0].metadata.as_ref().unwrap()["deleted_user_id"],
        id.to_string()
    );
}

#[tokio::test]
async fn an_admins_token_needs_the_admin_scope() {
    let app = admin_app().await;
    admin_logged_in(&app, "root@example.com").await;
    for (scope, status) in [("read", StatusCode::FORBIDDEN), ("admin", StatusCode::OK)] {
        let pair = post(
            &app,
            "/token",
            json!({"email": "root@example.com", "password": PASSWORD, "scope": scope}),
        )
        .await;
        let access = format!("Bearer {}", pair.body["access_token"].as_str().unwrap());
        let r = send(
            &app,
            "GET",
            "/admin/users",
            Value::Null,
            None,
            &[("authorization", &access)],
            IP,
        )
        .await;
        assert_eq!(r.status, status, "{scope}");
    }
}

#[tokio::test]
async fn an_admin_cannot_demote_or_sign_out_another_admin() {
    let app = admin_app().await;
    let root = admin_logged_in(&app, "root@example.com").await;
    let other_cookie = admin_logged_in(&app, "other@example.com").await;
    let other = user_id(&app, "other@example.com").await;
    for body in [
        json!({"role": "user"}),
        json!({"email_verified": false}),
        json!({"display_name": "x"}),
    ] {
        let r = act(
            &app,
            &root,
            "PUT",
            &format!("/admin/users/{other}"),
            body.clone(),
        )
        .await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{body}"
        );
    }
    let sessions = get(&app, &root, &format!("/admin/sessions?user_id={other}")).await;
    let session = sessions.body["sessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = act(
        &app,
        &root,
        "DELETE",
        &format!("/admin/sessions/{session}"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert_eq!(
        get(&app, &other_cookie, "/session").await.body["role"],
        "admin"
    );
}

#[tokio::test]
async fn an_impersonation_session_has_no_admin_powers_and_mints_no_keys() {
    let app = admin_app().await;
    let root = admin_logged_in(&app, "root@example.com").await;
    plain(&app, "user@example.com").await;
    let id = user_id(&app, "user@example.com").await;
    let r = act(
        &app,
        &root,
        "POST",
        &format!("/admin/users/{id}/impersonate"),
        Value::Null,
    )
    .await;
    let as_user = r.cookie().unwrap();
    // Even if the target were promoted meanwhile, the impersonation stays powerless.
    app.yauth
        .state()
        .repos()
        .users
        .update_user_admin(None, "admin", true, chrono::Utc::now(), id)
        .await
        .unwrap();
    let r = get(&app, &as_user, "/admin/users").await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let r = act(
        &app,
        &as_user,
        "POST",
        "/api-keys",
        json!({"name": "backdoor"}),
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
}
