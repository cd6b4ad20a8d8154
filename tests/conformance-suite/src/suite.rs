//! The conformance suite: one async function per test, run against every backend by
//! [`crate::conformance_tests!`]. Tests share one database per backend and test binary and
//! keep out of each other's way with unique data; none of them relies on a table being empty.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;
use yauth_entity::*;

use crate::rows::{self, earlier, later, now, unique};

/// A stored user, with a value for every extra column the backend has (so that it reads
/// back equal).
async fn new_user(r: &Repositories) -> User {
    let u = user(r);
    r.users.insert_user(&u).await.unwrap();
    u
}

/// A user row with a value for every extra column the backend has, so that it reads back
/// equal to what was inserted.
fn user(r: &Repositories) -> User {
    let mut u = rows::user();
    u.extra = rows::extra(r.users.extra_columns(), 1);
    u
}

fn is_conflict<T: std::fmt::Debug>(result: Result<T, RepoError>) -> bool {
    matches!(result, Err(RepoError::Conflict(_)))
}

pub async fn users_round_trip_every_column(r: Repositories) {
    let mut u = user(&r);
    u.extra = rows::extra(r.users.extra_columns(), 2);
    // Nanoseconds are dropped, microseconds kept, on every backend.
    u.created_at = Utc.timestamp_opt(1_767_225_600, 123_456_789).unwrap();
    u.updated_at = Utc.timestamp_opt(1_767_225_601, 999_999_000).unwrap();
    u.display_name = Some("Zoë «quoted» 'name'".into());
    u.banned_until = Some(Utc.timestamp_opt(1_900_000_000, 1_000).unwrap());
    r.users.insert_user(&u).await.unwrap();
    let got = r.users.get_user(u.id).await.unwrap().expect("inserted");
    assert_eq!(got.created_at.timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(got.created_at.timezone(), Utc);
    assert_eq!(got.updated_at, u.updated_at);
    assert_eq!(got.banned_until, u.banned_until);
    let expected = User {
        created_at: Utc.timestamp_opt(1_767_225_600, 123_456_000).unwrap(),
        ..u.clone()
    };
    assert_eq!(got, expected);
    assert_eq!(
        r.users.find_user_by_email(&u.email).await.unwrap(),
        Some(expected)
    );
    assert_eq!(r.users.get_user(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(
        r.users
            .find_user_by_email("nobody@example.com")
            .await
            .unwrap(),
        None
    );
}

pub async fn unique_violations_are_conflicts(r: Repositories) {
    let u = new_user(&r).await;
    let twin = User {
        id: Uuid::now_v7(),
        ..u.clone()
    };
    let err = r.users.insert_user(&twin).await.unwrap_err();
    assert!(matches!(err, RepoError::Conflict(_)), "{err:?}");
    // The error names the key, never the duplicate value (it ends up in logs).
    assert!(!err.to_string().contains(&u.email), "{err}");
    // Same id, different email: the primary key conflicts too.
    let same_id = User {
        email: format!("{}@example.com", unique("other")),
        ..u.clone()
    };
    assert!(is_conflict(r.users.insert_user(&same_id).await));
    let s = rows::session(u.id, later());
    r.sessions.insert_session(&s).await.unwrap();
    let s2 = Session {
        id: Uuid::now_v7(),
        ..s.clone()
    };
    assert!(is_conflict(r.sessions.insert_session(&s2).await));
    // A failed insert leaves nothing behind.
    assert_eq!(r.sessions.list_user_sessions(u.id).await.unwrap(), vec![s]);
}

pub async fn user_updates(r: Repositories) {
    let u = new_user(&r).await;
    let t = now() + Duration::seconds(5);
    r.users
        .update_user_profile(&u.extra, Some("Ada"), t, u.id)
        .await
        .unwrap();
    let got = r.users.get_user(u.id).await.unwrap().unwrap();
    assert_eq!(got.display_name.as_deref(), Some("Ada"));
    assert_eq!(got.updated_at, t);
    r.users
        .update_user_profile(&u.extra, None, t, u.id)
        .await
        .unwrap();
    assert_eq!(
        r.users.get_user(u.id).await.unwrap().unwrap().display_name,
        None
    );
    r.users
        .update_user_admin(Some("Admin Ada"), "admin", true, t, u.id)
        .await
        .unwrap();
    let got = r.users.get_user(u.id).await.unwrap().unwrap();
    assert_eq!(
        (
            got.role.as_str(),
            got.email_verified,
            got.display_name.as_deref()
        ),
        ("admin", true, Some("Admin Ada"))
    );
    r.users
        .update_user_admin(None, "user", false, t, u.id)
        .await
        .unwrap();
    r.users.set_email_verified(t, u.id).await.unwrap();
    assert!(
        r.users
            .get_user(u.id)
            .await
            .unwrap()
            .unwrap()
            .email_verified
    );
    let until = later();
    r.users
        .ban_user(Some("spam"), Some(until), t, u.id)
        .await
        .unwrap();
    let got = r.users.get_user(u.id).await.unwrap().unwrap();
    assert!(got.banned);
    assert_eq!(got.banned_reason.as_deref(), Some("spam"));
    assert_eq!(got.banned_until, Some(until));
    r.users.unban_user(t, u.id).await.unwrap();
    let got = r.users.get_user(u.id).await.unwrap().unwrap();
    assert!(!got.banned);
    assert_eq!((got.banned_reason, got.banned_until), (None, None));
    // Updating a missing row is not an error.
    r.users
        .update_user_profile(&u.extra, Some("x"), t, Uuid::now_v7())
        .await
        .unwrap();
}

/// The application's extra user columns (none on yauth's own backends, which ignore the
/// map): a complete map reads back equal, missing columns read back as their default or
/// null, keys that name no column are dropped, and the profile update sets every column.
pub async fn extra_user_columns(r: Repositories) {
    let columns = r.users.extra_columns();
    let mut given = rows::extra(columns, 3);
    given.insert("not_a_column".into(), json!("dropped"));
    let mut u = rows::user();
    u.extra = given.clone();
    r.users.insert_user(&u).await.unwrap();
    let got = r.users.get_user(u.id).await.unwrap().unwrap();
    assert_eq!(got.extra, rows::stored_extra(columns, &given));
    assert!(!got.extra.contains_key("not_a_column"));
    assert_eq!(columns.is_empty(), got.extra.is_empty());
    // The joined read of the session check carries them too.
    let s = rows::session(u.id, later());
    r.sessions.insert_session(&s).await.unwrap();
    let (_, owner) = r
        .sessions
        .check_session(&s.token_hash, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.extra, got.extra);

    let mut bare = rows::user();
    bare.extra = Default::default();
    r.users.insert_user(&bare).await.unwrap();
    let got = r.users.get_user(bare.id).await.unwrap().unwrap();
    assert_eq!(got.extra, rows::stored_extra(columns, &Default::default()));

    let changed = rows::extra(columns, 4);
    r.users
        .update_user_profile(&changed, Some("Extra"), now(), u.id)
        .await
        .unwrap();
    let got = r.users.get_user(u.id).await.unwrap().unwrap();
    assert_eq!(got.extra, rows::stored_extra(columns, &changed));
    assert_eq!(got.display_name.as_deref(), Some("Extra"));
    // A profile update changes only the columns it names.
    r.users
        .update_user_profile(&Default::default(), None, now(), u.id)
        .await
        .unwrap();
    let got = r.users.get_user(u.id).await.unwrap().unwrap();
    assert_eq!(got.extra, rows::stored_extra(columns, &changed));
    if let Some(first) = columns.iter().find(|c| c.nullable) {
        let mut one = serde_json::Map::new();
        one.insert(first.name.to_string(), serde_json::Value::Null);
        r.users
            .update_user_profile(&one, None, now(), u.id)
            .await
            .unwrap();
        let got = r.users.get_user(u.id).await.unwrap().unwrap();
        let mut expected = rows::stored_extra(columns, &changed);
        expected.insert(first.name.to_string(), serde_json::Value::Null);
        assert_eq!(got.extra, expected, "only the named column changed");
    }
}

pub async fn user_pagination_and_search_are_stable(r: Repositories) {
    let marker = unique("Needle");
    let mut created = Vec::new();
    let base = now();
    for i in 0..7 {
        let mut u = user(&r);
        u.display_name = Some(format!("{marker} number {i}"));
        // Two users share each creation time: the id breaks the tie.
        u.created_at = base + Duration::seconds(i / 2);
        r.users.insert_user(&u).await.unwrap();
        created.push(u);
    }
    let mut expected = created.clone();
    expected.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let search = marker.to_uppercase();
    assert_eq!(r.users.count_search_users(&search).await.unwrap(), 7);
    let mut paged = Vec::new();
    for page in 0..4 {
        paged.extend(r.users.search_users(&search, 2, page * 2).await.unwrap());
    }
    assert_eq!(paged, expected);
    // Searching by email works too, and wildcards are literal.
    let by_email = &created[3].email;
    assert_eq!(
        r.users.search_users(&by_email[..20], 10, 0).await.unwrap(),
        vec![created[3].clone()]
    );
    assert_eq!(
        r.users
            .count_search_users(&format!("{marker}%"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        r.users
            .count_search_users(&format!("{marker}_"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(r.users.search_users("%", 10, 0).await.unwrap(), vec![]);
    // The unfiltered list pages in the same order and never repeats a row.
    assert!(r.users.count_users().await.unwrap() >= 7);
    let first = r.users.list_users(3, 0).await.unwrap();
    let second = r.users.list_users(3, 3).await.unwrap();
    assert_eq!(first.len(), 3);
    let ids: HashSet<Uuid> = first.iter().chain(&second).map(|u| u.id).collect();
    assert_eq!(ids.len(), first.len() + second.len());
    for pair in first.windows(2) {
        assert!((pair[0].created_at, pair[0].id) > (pair[1].created_at, pair[1].id));
    }
}

pub async fn delete_user_cascades(r: Repositories) {
    let u = new_user(&r).await;
    let admin = new_user(&r).await;
    let mut s = rows::session(u.id, later());
    r.sessions.insert_session(&s).await.unwrap();
    // A session the user opened by impersonating someone else goes with them too.
    s = Session {
        id: Uuid::now_v7(),
        token_hash: unique("imp"),
        impersonator_id: Some(u.id),
        user_id: admin.id,
        ..s
    };
    r.sessions.insert_session(&s).await.unwrap();
    r.passwords
        .insert_password(&rows::password(u.id, "$argon2id$x"))
        .await
        .unwrap();
    let rt = rows::refresh_token(u.id, Uuid::now_v7());
    r.refresh_tokens.insert_refresh_token(&rt).await.unwrap();
    let c = rows::client();
    r.oauth2_clients.insert_oauth2_client(&c).await.unwrap();
    let code = rows::authorization_code(&c.client_id, u.id, later());
    r.authorization_codes
        .insert_authorization_code(&code)
        .await
        .unwrap();
    let nonce = OidcNonce {
        id: Uuid::now_v7(),
        nonce_hash: unique("nonce"),
        authorization_code_id: code.id,
        created_at: now(),
    };
    r.oidc_nonces.insert_oidc_nonce(&nonce).await.unwrap();
    let event = rows::audit(Some(u.id), &unique("cascade"));
    r.audit_log.insert_audit(&event).await.unwrap();

    assert_eq!(r.users.delete_user(u.id).await.unwrap(), 1);
    assert_eq!(r.users.get_user(u.id).await.unwrap(), None);
    assert_eq!(r.sessions.list_user_sessions(u.id).await.unwrap(), vec![]);
    assert_eq!(
        r.sessions.list_user_sessions(admin.id).await.unwrap(),
        vec![]
    );
    assert_eq!(r.passwords.get_password(u.id).await.unwrap(), None);
    assert_eq!(
        r.refresh_tokens
            .find_refresh_token(&rt.token_hash)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.authorization_codes
            .find_authorization_code(&code.code_hash)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.oidc_nonces.list_oidc_nonces(code.id).await.unwrap(),
        vec![]
    );
    // The audit trail stays, without the user.
    let kept = r
        .audit_log
        .list_audit_by_event(&event.event_type, 10, 0)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].user_id, None);
    assert_eq!(kept[0].metadata, event.metadata);
    assert_eq!(r.users.delete_user(u.id).await.unwrap(), 0);
    // The admin is untouched.
    assert!(r.users.get_user(admin.id).await.unwrap().is_some());
}

pub async fn foreign_keys_are_enforced(r: Repositories) {
    let orphan = rows::session(Uuid::now_v7(), later());
    let err = r.sessions.insert_session(&orphan).await.unwrap_err();
    assert!(matches!(err, RepoError::Internal { .. }), "{err:?}");
    assert_eq!(r.sessions.get_session(orphan.id).await.unwrap(), None);
}

pub async fn sessions(r: Repositories) {
    let u = new_user(&r).await;
    let live = rows::session(u.id, later());
    let mut older = rows::session(u.id, later());
    older.created_at = now() - Duration::minutes(5);
    // A remember-me session that has seen a request: both columns round-trip.
    older.persistent = true;
    older.last_seen_at = Some(now() - Duration::minutes(1));
    let expired = rows::session(u.id, earlier());
    for s in [&live, &older, &expired] {
        r.sessions.insert_session(s).await.unwrap();
    }
    let (s, owner) = r
        .sessions
        .check_session(&live.token_hash, now())
        .await
        .unwrap()
        .expect("live session");
    assert_eq!((s, owner), (live.clone(), u.clone()));
    assert_eq!(
        r.sessions
            .check_session(&expired.token_hash, now())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.sessions.check_session("unknown", now()).await.unwrap(),
        None
    );
    // Another test's sweep may remove the expired session at any time: take it out now.
    r.sessions.delete_session(expired.id).await.unwrap();
    assert_eq!(
        r.sessions.get_session(older.id).await.unwrap(),
        Some(older.clone())
    );
    let listed = r.sessions.list_user_sessions(u.id).await.unwrap();
    assert_eq!(listed, vec![live.clone(), older.clone()]);
    assert!(r.sessions.count_sessions().await.unwrap() >= 2);
    let page = r.sessions.list_sessions(2, 0).await.unwrap();
    assert_eq!(page.len(), 2);

    assert_eq!(
        r.sessions
            .delete_other_user_sessions(u.id, live.id)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        r.sessions.list_user_sessions(u.id).await.unwrap(),
        vec![live.clone()]
    );
    assert_eq!(
        r.sessions
            .delete_session_by_token(&live.token_hash)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        r.sessions
            .delete_session_by_token(&live.token_hash)
            .await
            .unwrap(),
        0
    );
    let a = rows::session(u.id, later());
    r.sessions.insert_session(&a).await.unwrap();
    assert_eq!(r.sessions.delete_session(a.id).await.unwrap(), 1);
    let b = rows::session(u.id, later());
    r.sessions.insert_session(&b).await.unwrap();
    assert_eq!(r.sessions.delete_user_sessions(u.id).await.unwrap(), 1);
}

pub async fn touch_session_slides_expiry_but_never_rewinds_or_revives(r: Repositories) {
    let u = new_user(&r).await;
    let s = rows::session(u.id, now() + Duration::minutes(30));
    r.sessions.insert_session(&s).await.unwrap();
    let seen = now();
    let slid = seen + Duration::minutes(45);
    r.sessions.touch_session(seen, slid, s.id).await.unwrap();
    let touched = Session {
        last_seen_at: Some(seen),
        expires_at: slid,
        ..s.clone()
    };
    assert_eq!(
        r.sessions
            .check_session(&s.token_hash, now())
            .await
            .unwrap(),
        Some((touched.clone(), u.clone()))
    );
    // A slower request that finishes late carries an older time: it changes nothing.
    r.sessions
        .touch_session(
            seen - Duration::seconds(30),
            seen + Duration::minutes(5),
            s.id,
        )
        .await
        .unwrap();
    assert_eq!(
        r.sessions.get_session(s.id).await.unwrap(),
        Some(touched.clone())
    );
    // A session that had expired by the time of the request stays expired.
    let expired = rows::session(u.id, earlier());
    r.sessions.insert_session(&expired).await.unwrap();
    r.sessions
        .touch_session(now(), later(), expired.id)
        .await
        .unwrap();
    assert_eq!(
        r.sessions
            .check_session(&expired.token_hash, now())
            .await
            .unwrap(),
        None
    );
    // (Another test's sweep may already have removed it.)
    assert!(
        r.sessions
            .get_session(expired.id)
            .await
            .unwrap()
            .is_none_or(|got| got == expired)
    );
    // Touching an unknown session is not an error.
    r.sessions
        .touch_session(now(), later(), Uuid::now_v7())
        .await
        .unwrap();
}

pub async fn delete_user_session_cannot_end_another_users_session(r: Repositories) {
    let u = new_user(&r).await;
    let other = new_user(&r).await;
    let mine = rows::session(u.id, later());
    let theirs = rows::session(other.id, later());
    for s in [&mine, &theirs] {
        r.sessions.insert_session(s).await.unwrap();
    }
    assert_eq!(
        r.sessions
            .delete_user_session(theirs.id, u.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        r.sessions.get_session(theirs.id).await.unwrap(),
        Some(theirs.clone())
    );
    assert_eq!(
        r.sessions.delete_user_session(mine.id, u.id).await.unwrap(),
        1
    );
    assert_eq!(
        r.sessions.delete_user_session(mine.id, u.id).await.unwrap(),
        0
    );
    assert_eq!(r.sessions.list_user_sessions(u.id).await.unwrap(), vec![]);
    assert_eq!(
        r.sessions.list_user_sessions(other.id).await.unwrap(),
        vec![theirs]
    );
}

/// Every `delete_expired_*` sweep removes an expired row and keeps a live one.
pub async fn sweeps_remove_only_expired_rows(r: Repositories) {
    let u = new_user(&r).await;
    let c = rows::client();
    r.oauth2_clients.insert_oauth2_client(&c).await.unwrap();
    let t = now();

    let (old, new) = (rows::session(u.id, earlier()), rows::session(u.id, later()));
    r.sessions.insert_session(&old).await.unwrap();
    r.sessions.insert_session(&new).await.unwrap();
    assert!(r.sessions.delete_expired_sessions(t).await.unwrap() >= 1);
    assert_eq!(
        r.sessions.list_user_sessions(u.id).await.unwrap(),
        vec![new]
    );

    let (old, new) = (
        rows::email_verification(u.id, earlier()),
        rows::email_verification(u.id, later()),
    );
    r.email_verifications
        .insert_email_verification(&old)
        .await
        .unwrap();
    r.email_verifications
        .insert_email_verification(&new)
        .await
        .unwrap();
    r.email_verifications
        .delete_expired_email_verifications(t)
        .await
        .unwrap();
    assert_eq!(
        r.email_verifications
            .delete_email_verification(old.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        r.email_verifications
            .delete_email_verification(new.id)
            .await
            .unwrap(),
        1
    );

    let (old, new) = (
        rows::password_reset(u.id, earlier()),
        rows::password_reset(u.id, later()),
    );
    r.password_resets.insert_password_reset(&old).await.unwrap();
    r.password_resets.insert_password_reset(&new).await.unwrap();
    r.password_resets
        .delete_expired_password_resets(t)
        .await
        .unwrap();
    assert!(
        !r.password_resets
            .claim_password_reset(Some(t), old.id)
            .await
            .unwrap()
    );
    assert!(
        r.password_resets
            .claim_password_reset(Some(t), new.id)
            .await
            .unwrap()
    );

    let challenge = |expires_at| WebauthnChallenge {
        id: Uuid::now_v7(),
        user_id: None,
        kind: "authentication".into(),
        state: json!({"challenge": unique("c")}),
        expires_at,
        created_at: now(),
    };
    let (old, new) = (challenge(earlier()), challenge(later()));
    r.webauthn_challenges
        .insert_webauthn_challenge(&old)
        .await
        .unwrap();
    r.webauthn_challenges
        .insert_webauthn_challenge(&new)
        .await
        .unwrap();
    r.webauthn_challenges
        .delete_expired_webauthn_challenges(t)
        .await
        .unwrap();
    assert_eq!(
        r.webauthn_challenges
            .delete_webauthn_challenge(old.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        r.webauthn_challenges
            .delete_webauthn_challenge(new.id)
            .await
            .unwrap(),
        1
    );

    let pending = |expires_at| MfaPendingLogin {
        id: Uuid::now_v7(),
        user_id: u.id,
        token_hash: unique("pending"),
        method: "magic-link".into(),
        remember_me: true,
        scopes: None,
        ip_address: None,
        user_agent: Some("agent".into()),
        attempts: 0,
        expires_at,
        created_at: now(),
    };
    let (old, new) = (pending(earlier()), pending(later()));
    r.mfa_pending_logins
        .insert_mfa_pending_login(&old)
        .await
        .unwrap();
    r.mfa_pending_logins
        .insert_mfa_pending_login(&new)
        .await
        .unwrap();
    r.mfa_pending_logins
        .delete_expired_mfa_pending_logins(t)
        .await
        .unwrap();
    assert_eq!(
        r.mfa_pending_logins
            .delete_mfa_pending_login(old.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        r.mfa_pending_logins
            .delete_mfa_pending_login(new.id)
            .await
            .unwrap(),
        1
    );

    let state = |expires_at| OauthState {
        state: unique("state"),
        provider: "github".into(),
        redirect_url: None,
        pkce_verifier: Some(unique("v")),
        nonce: None,
        link_user_id: None,
        expires_at,
        created_at: now(),
    };
    let (old, new) = (state(earlier()), state(later()));
    r.oauth_states.insert_oauth_state(&old).await.unwrap();
    r.oauth_states.insert_oauth_state(&new).await.unwrap();
    r.oauth_states.delete_expired_oauth_states(t).await.unwrap();
    assert_eq!(
        r.oauth_states.delete_oauth_state(&old.state).await.unwrap(),
        0
    );
    assert_eq!(
        r.oauth_states.delete_oauth_state(&new.state).await.unwrap(),
        1
    );

    let mut old = rows::refresh_token(u.id, Uuid::now_v7());
    old.expires_at = earlier();
    let new = rows::refresh_token(u.id, Uuid::now_v7());
    r.refresh_tokens.insert_refresh_token(&old).await.unwrap();
    r.refresh_tokens.insert_refresh_token(&new).await.unwrap();
    r.refresh_tokens
        .delete_expired_refresh_tokens(t)
        .await
        .unwrap();
    assert_eq!(
        r.refresh_tokens
            .find_refresh_token(&old.token_hash)
            .await
            .unwrap(),
        None
    );
    assert!(
        r.refresh_tokens
            .find_refresh_token(&new.token_hash)
            .await
            .unwrap()
            .is_some()
    );

    let link = |expires_at| MagicLink {
        id: Uuid::now_v7(),
        email: u.email.clone(),
        token_hash: unique("magic"),
        expires_at,
        used: false,
        created_at: now(),
    };
    let (old, new) = (link(earlier()), link(later()));
    r.magic_links.insert_magic_link(&old).await.unwrap();
    r.magic_links.insert_magic_link(&new).await.unwrap();
    r.magic_links.delete_expired_magic_links(t).await.unwrap();
    assert!(!r.magic_links.claim_magic_link(old.id).await.unwrap());
    assert!(r.magic_links.claim_magic_link(new.id).await.unwrap());

    let (old, new) = (
        rows::authorization_code(&c.client_id, u.id, earlier()),
        rows::authorization_code(&c.client_id, u.id, later()),
    );
    r.authorization_codes
        .insert_authorization_code(&old)
        .await
        .unwrap();
    r.authorization_codes
        .insert_authorization_code(&new)
        .await
        .unwrap();
    r.authorization_codes
        .delete_expired_authorization_codes(t)
        .await
        .unwrap();
    assert_eq!(
        r.authorization_codes
            .find_authorization_code(&old.code_hash)
            .await
            .unwrap(),
        None
    );
    assert!(
        r.authorization_codes
            .find_authorization_code(&new.code_hash)
            .await
            .unwrap()
            .is_some()
    );

    let device = |expires_at| DeviceCode {
        id: Uuid::now_v7(),
        device_code_hash: unique("device"),
        user_code: unique("UC"),
        client_id: c.client_id.clone(),
        scopes: None,
        user_id: None,
        status: "pending".into(),
        interval: 5,
        expires_at,
        last_polled_at: None,
        created_at: now(),
    };
    let (old, new) = (device(earlier()), device(later()));
    r.device_codes.insert_device_code(&old).await.unwrap();
    r.device_codes.insert_device_code(&new).await.unwrap();
    r.device_codes.delete_expired_device_codes(t).await.unwrap();
    assert_eq!(
        r.device_codes
            .find_device_code(&old.device_code_hash)
            .await
            .unwrap(),
        None
    );
    assert!(
        r.device_codes
            .find_device_code(&new.device_code_hash)
            .await
            .unwrap()
            .is_some()
    );

    let mut old = rows::access_token(&c.client_id, None);
    old.expires_at = earlier();
    let new = rows::access_token(&c.client_id, None);
    r.oauth2_access_tokens
        .insert_oauth2_access_token(&old)
        .await
        .unwrap();
    r.oauth2_access_tokens
        .insert_oauth2_access_token(&new)
        .await
        .unwrap();
    r.oauth2_access_tokens
        .delete_expired_oauth2_access_tokens(t)
        .await
        .unwrap();
    assert_eq!(
        r.oauth2_access_tokens
            .find_oauth2_access_token(&old.jti)
            .await
            .unwrap(),
        None
    );
    assert!(
        r.oauth2_access_tokens
            .find_oauth2_access_token(&new.jti)
            .await
            .unwrap()
            .is_some()
    );

    let mut old = rows::oauth2_refresh_token(&c.client_id, u.id, Uuid::now_v7());
    old.expires_at = earlier();
    let new = rows::oauth2_refresh_token(&c.client_id, u.id, Uuid::now_v7());
    r.oauth2_refresh_tokens
        .insert_oauth2_refresh_token(&old)
        .await
        .unwrap();
    r.oauth2_refresh_tokens
        .insert_oauth2_refresh_token(&new)
        .await
        .unwrap();
    r.oauth2_refresh_tokens
        .delete_expired_oauth2_refresh_tokens(t)
        .await
        .unwrap();
    assert_eq!(
        r.oauth2_refresh_tokens
            .find_oauth2_refresh_token(&old.token_hash)
            .await
            .unwrap(),
        None
    );
    assert!(
        r.oauth2_refresh_tokens
            .find_oauth2_refresh_token(&new.token_hash)
            .await
            .unwrap()
            .is_some()
    );

    let unlock = |expires_at| UnlockToken {
        id: Uuid::now_v7(),
        user_id: u.id,
        token_hash: unique("unlock"),
        expires_at,
        created_at: now(),
    };
    let (old, new) = (unlock(earlier()), unlock(later()));
    r.unlock_tokens.insert_unlock_token(&old).await.unwrap();
    r.unlock_tokens.insert_unlock_token(&new).await.unwrap();
    r.unlock_tokens
        .delete_expired_unlock_tokens(t)
        .await
        .unwrap();
    assert_eq!(
        r.unlock_tokens.delete_unlock_token(old.id).await.unwrap(),
        0
    );
    assert_eq!(
        r.unlock_tokens.delete_unlock_token(new.id).await.unwrap(),
        1
    );

    let key_old = unique("rl");
    let key_new = unique("rl");
    r.rate_limits
        .hit_rate_limit(&key_old, earlier() - Duration::minutes(1), earlier())
        .await
        .unwrap();
    r.rate_limits
        .hit_rate_limit(&key_new, t, later())
        .await
        .unwrap();
    r.rate_limits.delete_expired_rate_limits(t).await.unwrap();
    // A swept key starts over; a kept one keeps counting.
    assert_eq!(
        r.rate_limits
            .hit_rate_limit(&key_old, t, later())
            .await
            .unwrap()
            .count,
        1
    );
    assert_eq!(
        r.rate_limits
            .hit_rate_limit(&key_new, t, later())
            .await
            .unwrap()
            .count,
        2
    );
}

pub async fn audit_log(r: Repositories) {
    let u = new_user(&r).await;
    let kind = unique("evt");
    let mut events = Vec::new();
    for i in 0..3 {
        let mut e = rows::audit(Some(u.id), &kind);
        e.created_at = now() + Duration::seconds(i);
        if i == 1 {
            e.metadata = None;
            e.ip_address = Some("2001:db8::1".into());
        }
        r.audit_log.insert_audit(&e).await.unwrap();
        events.push(e);
    }
    let anonymous = rows::audit(None, &kind);
    r.audit_log.insert_audit(&anonymous).await.unwrap();
    let mine = r.audit_log.list_user_audit(u.id, 10, 0).await.unwrap();
    assert_eq!(mine, events.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(
        r.audit_log.list_user_audit(u.id, 1, 1).await.unwrap(),
        vec![events[1].clone()]
    );
    assert_eq!(
        r.audit_log
            .list_audit_by_event(&kind, 10, 0)
            .await
            .unwrap()
            .len(),
        4
    );
    let mut ancient = rows::audit(Some(u.id), &kind);
    ancient.created_at = Utc.timestamp_opt(946_684_800, 0).unwrap();
    r.audit_log.insert_audit(&ancient).await.unwrap();
    assert!(
        r.audit_log
            .delete_audit_before(Utc.timestamp_opt(946_684_801, 0).unwrap())
            .await
            .unwrap()
            >= 1
    );
    assert_eq!(
        r.audit_log
            .list_audit_by_event(&kind, 10, 0)
            .await
            .unwrap()
            .len(),
        4
    );
}

pub async fn rate_limit_windows(r: Repositories) {
    let key = unique("login:203.0.113.7");
    let t0 = now();
    let end = t0 + Duration::minutes(1);
    let first = r.rate_limits.hit_rate_limit(&key, t0, end).await.unwrap();
    assert_eq!(
        (first.count, first.window_start, first.expires_at),
        (1, t0, end)
    );
    let second = r
        .rate_limits
        .hit_rate_limit(
            &key,
            t0 + Duration::seconds(10),
            end + Duration::seconds(10),
        )
        .await
        .unwrap();
    // Same window: counted, window unchanged.
    assert_eq!(
        (second.count, second.window_start, second.expires_at),
        (2, t0, end)
    );
    // Reading the counter counts nothing; an ended window and an unknown key read as none.
    for _ in 0..2 {
        let live = r
            .rate_limits
            .get_rate_limit(&key, t0 + Duration::seconds(20))
            .await
            .unwrap()
            .expect("a live counter");
        assert_eq!((live.count, live.expires_at), (2, end));
    }
    assert!(
        r.rate_limits
            .get_rate_limit(&key, end + Duration::seconds(1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        r.rate_limits
            .get_rate_limit(&unique("never-hit"), t0)
            .await
            .unwrap()
            .is_none()
    );
    // Forgetting a key resets its count; an unknown key deletes nothing.
    let other = unique("login:forget");
    r.rate_limits.hit_rate_limit(&other, t0, end).await.unwrap();
    assert_eq!(r.rate_limits.delete_rate_limit(&other).await.unwrap(), 1);
    assert_eq!(r.rate_limits.delete_rate_limit(&other).await.unwrap(), 0);
    let again = r.rate_limits.hit_rate_limit(&other, t0, end).await.unwrap();
    assert_eq!(again.count, 1);
    let t1 = end + Duration::seconds(1);
    let next = r
        .rate_limits
        .hit_rate_limit(&key, t1, t1 + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((next.count, next.window_start), (1, t1));
}

pub async fn passwords_and_history(r: Repositories) {
    let u = new_user(&r).await;
    r.passwords
        .insert_password(&rows::password(u.id, "h1"))
        .await
        .unwrap();
    // A rehash replaces only the hash that was verified: the second of two swaps from "h1"
    // loses, and the hash it would have overwritten stays.
    assert!(
        r.passwords
            .rehash_password("h1-stronger", u.id, "h1")
            .await
            .unwrap()
    );
    assert!(
        !r.passwords
            .rehash_password("h1-again", u.id, "h1")
            .await
            .unwrap()
    );
    assert_eq!(
        r.passwords
            .get_password(u.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "h1-stronger"
    );
    assert!(
        r.passwords
            .rehash_password("h1", u.id, "h1-stronger")
            .await
            .unwrap()
    );
    assert!(is_conflict(
        r.passwords
            .insert_password(&rows::password(u.id, "h2"))
            .await
    ));
    assert_eq!(
        r.passwords
            .get_password(u.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "h1"
    );
    r.passwords
        .upsert_password(&rows::password(u.id, "h2"))
        .await
        .unwrap();
    assert_eq!(
        r.passwords
            .get_password(u.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "h2"
    );
    assert_eq!(r.passwords.delete_password(u.id).await.unwrap(), 1);
    // Upsert creates the row when there is none (an OAuth-only user setting a password).
    r.passwords
        .upsert_password(&rows::password(u.id, "h3"))
        .await
        .unwrap();
    assert_eq!(
        r.passwords
            .get_password(u.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "h3"
    );

    let mut history = Vec::new();
    for i in 0..4 {
        let h = PasswordHistory {
            id: Uuid::now_v7(),
            user_id: u.id,
            password_hash: format!("old{i}"),
            created_at: now() - Duration::days(10 - i),
        };
        r.password_history
            .insert_password_history(&h)
            .await
            .unwrap();
        history.push(h);
    }
    let recent = r
        .password_history
        .list_password_history(u.id, 2, 0)
        .await
        .unwrap();
    assert_eq!(recent, vec![history[3].clone(), history[2].clone()]);
    assert_eq!(
        r.password_history
            .delete_password_history_before(u.id, history[2].created_at)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        r.password_history
            .list_password_history(u.id, 10, 0)
            .await
            .unwrap()
            .len(),
        2
    );
}

pub async fn email_verification_tokens(r: Repositories) {
    let u = new_user(&r).await;
    let v = rows::email_verification(u.id, later());
    r.email_verifications
        .insert_email_verification(&v)
        .await
        .unwrap();
    assert_eq!(
        r.email_verifications
            .find_email_verification(&v.token_hash, now())
            .await
            .unwrap(),
        Some(v.clone())
    );
    let expired = rows::email_verification(u.id, earlier());
    r.email_verifications
        .insert_email_verification(&expired)
        .await
        .unwrap();
    assert_eq!(
        r.email_verifications
            .find_email_verification(&expired.token_hash, now())
            .await
            .unwrap(),
        None
    );
    // A sweep elsewhere may already have taken the expired token.
    assert!(
        r.email_verifications
            .delete_email_verification(expired.id)
            .await
            .unwrap()
            <= 1
    );
    assert_eq!(
        r.email_verifications
            .delete_email_verification(v.id)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        r.email_verifications
            .delete_email_verification(v.id)
            .await
            .unwrap(),
        0
    );
    for _ in 0..2 {
        r.email_verifications
            .insert_email_verification(&rows::email_verification(u.id, later()))
            .await
            .unwrap();
    }
    assert_eq!(
        r.email_verifications
            .delete_user_email_verifications(u.id)
            .await
            .unwrap(),
        2
    );
}

pub async fn password_reset_tokens(r: Repositories) {
    let u = new_user(&r).await;
    let p = rows::password_reset(u.id, later());
    r.password_resets.insert_password_reset(&p).await.unwrap();
    assert_eq!(
        r.password_resets
            .find_password_reset(&p.token_hash, now())
            .await
            .unwrap(),
        Some(p.clone())
    );
    let used_at = now();
    assert!(
        r.password_resets
            .claim_password_reset(Some(used_at), p.id)
            .await
            .unwrap()
    );
    assert!(
        !r.password_resets
            .claim_password_reset(Some(used_at), p.id)
            .await
            .unwrap()
    );
    // A used token is no longer found.
    assert_eq!(
        r.password_resets
            .find_password_reset(&p.token_hash, now())
            .await
            .unwrap(),
        None
    );
    r.password_resets
        .insert_password_reset(&rows::password_reset(u.id, later()))
        .await
        .unwrap();
    assert_eq!(
        r.password_resets
            .delete_user_password_resets(u.id)
            .await
            .unwrap(),
        2
    );
}

pub async fn passkeys(r: Repositories) {
    let u = new_user(&r).await;
    let mut creds = Vec::new();
    for i in 0..2u8 {
        let c = WebauthnCredential {
            id: Uuid::now_v7(),
            user_id: u.id,
            credential_id: {
                let mut id = Uuid::new_v4().as_bytes().to_vec();
                id.extend([0, 255, i]);
                id
            },
            name: format!("key {i}"),
            aaguid: Some("08987058-cadc-4b81-b6e1-30de50dcbe96".into()),
            device_name: None,
            credential: json!({"cred": {"counter": 0, "i": i}}),
            created_at: now() + Duration::seconds(i.into()),
            last_used_at: None,
        };
        r.webauthn_credentials
            .insert_webauthn_credential(&c)
            .await
            .unwrap();
        creds.push(c);
    }
    assert_eq!(
        r.webauthn_credentials
            .list_user_webauthn_credentials(u.id)
            .await
            .unwrap(),
        creds
    );
    assert_eq!(
        r.webauthn_credentials
            .count_user_webauthn_credentials(u.id)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        r.webauthn_credentials
            .find_webauthn_credential(&creds[1].credential_id)
            .await
            .unwrap(),
        Some(creds[1].clone())
    );
    let twin = WebauthnCredential {
        id: Uuid::now_v7(),
        ..creds[0].clone()
    };
    assert!(is_conflict(
        r.webauthn_credentials
            .insert_webauthn_credential(&twin)
            .await
    ));
    let used = now();
    let state = json!({"cred": {"counter": 7}});
    r.webauthn_credentials
        .update_webauthn_credential_use(&state, Some(used), creds[0].id)
        .await
        .unwrap();
    let got = r
        .webauthn_credentials
        .find_webauthn_credential(&creds[0].credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.credential, got.last_used_at), (state, Some(used)));
    let stranger = new_user(&r).await;
    assert_eq!(
        r.webauthn_credentials
            .delete_user_webauthn_credential(creds[0].id, stranger.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        r.webauthn_credentials
            .delete_user_webauthn_credential(creds[0].id, u.id)
            .await
            .unwrap(),
        1
    );
    // Account recovery removes the rest, and nobody else's.
    let left = r
        .webauthn_credentials
        .count_user_webauthn_credentials(u.id)
        .await
        .unwrap();
    assert_eq!(
        r.webauthn_credentials
            .delete_user_webauthn_credentials(u.id)
            .await
            .unwrap(),
        left
    );
    assert_eq!(
        r.webauthn_credentials
            .delete_user_webauthn_credentials(stranger.id)
            .await
            .unwrap(),
        0
    );

    let ch = WebauthnChallenge {
        id: Uuid::now_v7(),
        user_id: Some(u.id),
        kind: "registration".into(),
        state: json!({"rs": [1, 2, 3]}),
        expires_at: later(),
        created_at: now(),
    };
    r.webauthn_challenges
        .insert_webauthn_challenge(&ch)
        .await
        .unwrap();
    assert_eq!(
        r.webauthn_challenges
            .find_webauthn_challenge(ch.id, now())
            .await
            .unwrap(),
        Some(ch.clone())
    );
    assert_eq!(
        r.webauthn_challenges
            .find_webauthn_challenge(ch.id, later() + Duration::seconds(1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.webauthn_challenges
            .delete_webauthn_challenge(ch.id)
            .await
            .unwrap(),
        1
    );
}

pub async fn totp_and_backup_codes(r: Repositories) {
    let u = new_user(&r).await;
    let secret = TotpSecret {
        id: Uuid::now_v7(),
        user_id: u.id,
        encrypted_secret: vec![9; 48],
        verified: false,
        last_used_step: None,
        created_at: now(),
    };
    r.totp_secrets.upsert_totp_secret(&secret).await.unwrap();
    // A second setup replaces the unconfirmed secret but keeps the row's id.
    let replacement = TotpSecret {
        id: Uuid::now_v7(),
        encrypted_secret: vec![7; 48],
        ..secret.clone()
    };
    r.totp_secrets
        .upsert_totp_secret(&replacement)
        .await
        .unwrap();
    let got = r.totp_secrets.get_totp_secret(u.id).await.unwrap().unwrap();
    assert_eq!(
        (got.id, got.encrypted_secret.clone()),
        (secret.id, vec![7; 48])
    );
    assert!(r.totp_secrets.confirm_totp_secret(u.id).await.unwrap());
    assert!(!r.totp_secrets.confirm_totp_secret(u.id).await.unwrap());
    assert!(r.totp_secrets.use_totp_step(100, got.id).await.unwrap());
    // Replaying the same or an older step fails; a newer one passes.
    assert!(!r.totp_secrets.use_totp_step(100, got.id).await.unwrap());
    assert!(!r.totp_secrets.use_totp_step(99, got.id).await.unwrap());
    assert!(r.totp_secrets.use_totp_step(101, got.id).await.unwrap());
    let got = r.totp_secrets.get_totp_secret(u.id).await.unwrap().unwrap();
    assert_eq!((got.verified, got.last_used_step), (true, Some(101)));
    // Resealing pages through every secret and rewrites one in place.
    let mut offset = 0;
    let listed = loop {
        let page = r.totp_secrets.list_totp_secrets(50, offset).await.unwrap();
        if let Some(row) = page.iter().find(|row| row.id == got.id) {
            break row.clone();
        }
        assert_eq!(page.len(), 50, "the secret is on some page");
        offset += 50;
    };
    assert_eq!(listed, got);
    r.totp_secrets
        .reseal_totp_secret(&[5; 48], got.id)
        .await
        .unwrap();
    let got = r.totp_secrets.get_totp_secret(u.id).await.unwrap().unwrap();
    assert_eq!(
        (got.encrypted_secret, got.last_used_step),
        (vec![5; 48], Some(101))
    );
    assert_eq!(r.totp_secrets.delete_totp_secret(u.id).await.unwrap(), 1);

    let mut codes = Vec::new();
    for i in 0..3 {
        let c = BackupCode {
            id: Uuid::now_v7(),
            user_id: u.id,
            code_hash: format!("code{i}"),
            used: false,
            created_at: now(),
        };
        r.backup_codes.insert_backup_code(&c).await.unwrap();
        codes.push(c);
    }
    // Codes are unique per user only.
    let other = new_user(&r).await;
    let same_code = BackupCode {
        id: Uuid::now_v7(),
        user_id: other.id,
        ..codes[0].clone()
    };
    r.backup_codes.insert_backup_code(&same_code).await.unwrap();
    let dup = BackupCode {
        id: Uuid::now_v7(),
        ..codes[0].clone()
    };
    assert!(is_conflict(r.backup_codes.insert_backup_code(&dup).await));
    assert_eq!(
        r.backup_codes
            .find_backup_code(u.id, "code1")
            .await
            .unwrap(),
        Some(codes[1].clone())
    );
    assert!(r.backup_codes.claim_backup_code(codes[1].id).await.unwrap());
    assert!(!r.backup_codes.claim_backup_code(codes[1].id).await.unwrap());
    assert_eq!(
        r.backup_codes
            .count_unused_backup_codes(u.id)
            .await
            .unwrap(),
        2
    );
    r.backup_codes
        .invalidate_user_backup_codes(u.id)
        .await
        .unwrap();
    assert_eq!(
        r.backup_codes
            .count_unused_backup_codes(u.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        r.backup_codes
            .count_unused_backup_codes(other.id)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        r.backup_codes.delete_user_backup_codes(u.id).await.unwrap(),
        3
    );

    let pending = MfaPendingLogin {
        id: Uuid::now_v7(),
        user_id: u.id,
        token_hash: unique("pending"),
        method: "email-password".into(),
        remember_me: false,
        scopes: Some(serde_json::json!(["account", "read"])),
        ip_address: Some("198.51.100.1".into()),
        user_agent: None,
        attempts: 0,
        expires_at: later(),
        created_at: now(),
    };
    r.mfa_pending_logins
        .insert_mfa_pending_login(&pending)
        .await
        .unwrap();
    assert_eq!(
        r.mfa_pending_logins
            .find_mfa_pending_login(&pending.token_hash, now())
            .await
            .unwrap(),
        Some(pending.clone())
    );
    assert_eq!(
        r.mfa_pending_logins
            .count_mfa_attempt(pending.id)
            .await
            .unwrap(),
        Some(1)
    );
    assert_eq!(
        r.mfa_pending_logins
            .count_mfa_attempt(pending.id)
            .await
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        r.mfa_pending_logins
            .count_mfa_attempt(Uuid::now_v7())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.mfa_pending_logins
            .delete_mfa_pending_login(pending.id)
            .await
            .unwrap(),
        1
    );
    // A password change ends every pending login of the user, and only theirs.
    let parked = |user_id, tag: &str| MfaPendingLogin {
        id: Uuid::now_v7(),
        user_id,
        token_hash: unique(tag),
        scopes: None,
        ..pending.clone()
    };
    for row in [
        parked(u.id, "p1"),
        parked(u.id, "p2"),
        parked(other.id, "p3"),
    ] {
        r.mfa_pending_logins
            .insert_mfa_pending_login(&row)
            .await
            .unwrap();
    }
    assert_eq!(
        r.mfa_pending_logins
            .delete_user_mfa_pending_logins(u.id)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        r.mfa_pending_logins
            .delete_user_mfa_pending_logins(other.id)
            .await
            .unwrap(),
        1
    );
}

pub async fn oauth_client_accounts(r: Repositories) {
    let u = new_user(&r).await;
    let account = |provider: &str| OauthAccount {
        id: Uuid::now_v7(),
        user_id: u.id,
        provider: provider.into(),
        provider_user_id: unique("pid"),
        access_token_enc: Some(vec![1, 2, 3]),
        refresh_token_enc: None,
        expires_at: None,
        updated_at: now(),
        created_at: now(),
    };
    let gh = account("github");
    let mut google = account("google");
    google.created_at = now() + Duration::seconds(1);
    r.oauth_accounts.insert_oauth_account(&gh).await.unwrap();
    r.oauth_accounts
        .insert_oauth_account(&google)
        .await
        .unwrap();
    let twin = OauthAccount {
        id: Uuid::now_v7(),
        ..gh.clone()
    };
    assert!(is_conflict(
        r.oauth_accounts.insert_oauth_account(&twin).await
    ));
    assert_eq!(
        r.oauth_accounts
            .find_oauth_account("github", &gh.provider_user_id)
            .await
            .unwrap(),
        Some(gh.clone())
    );
    assert_eq!(
        r.oauth_accounts
            .find_oauth_account("google", &gh.provider_user_id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.oauth_accounts
            .list_user_oauth_accounts(u.id)
            .await
            .unwrap(),
        vec![gh.clone(), google.clone()]
    );
    assert_eq!(
        r.oauth_accounts
            .count_user_oauth_accounts(u.id)
            .await
            .unwrap(),
        2
    );
    let t = later();
    r.oauth_accounts
        .update_oauth_tokens(None, Some(&[4, 5][..]), Some(t), t, gh.id)
        .await
        .unwrap();
    let got = r
        .oauth_accounts
        .find_oauth_account("github", &gh.provider_user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            got.access_token_enc,
            got.refresh_token_enc,
            got.expires_at,
            got.updated_at
        ),
        (None, Some(vec![4, 5]), Some(t), t)
    );
    assert_eq!(
        r.oauth_accounts
            .delete_user_oauth_account(u.id, "github")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        r.oauth_accounts
            .count_user_oauth_accounts(u.id)
            .await
            .unwrap(),
        1
    );

    let st = OauthState {
        state: unique("state"),
        provider: "github".into(),
        redirect_url: Some("/after?x=1".into()),
        pkce_verifier: Some(unique("pkce")),
        nonce: Some(unique("nonce")),
        link_user_id: Some(u.id),
        expires_at: later(),
        created_at: now(),
    };
    r.oauth_states.insert_oauth_state(&st).await.unwrap();
    assert_eq!(
        r.oauth_states
            .find_oauth_state(&st.state, now())
            .await
            .unwrap(),
        Some(st.clone())
    );
    assert_eq!(
        r.oauth_states.delete_oauth_state(&st.state).await.unwrap(),
        1
    );
    assert_eq!(
        r.oauth_states
            .find_oauth_state(&st.state, now())
            .await
            .unwrap(),
        None
    );
}

pub async fn bearer_refresh_tokens(r: Repositories) {
    let u = new_user(&r).await;
    let family = Uuid::now_v7();
    let first = rows::refresh_token(u.id, family);
    r.refresh_tokens.insert_refresh_token(&first).await.unwrap();
    assert_eq!(
        r.refresh_tokens
            .find_refresh_token(&first.token_hash)
            .await
            .unwrap(),
        Some(first.clone())
    );
    let second = rows::refresh_token(u.id, family);
    assert!(
        r.composite
            .rotate_refresh_token(first.id, &second)
            .await
            .unwrap()
    );
    // Presenting the first token again loses, and stores nothing.
    let third = rows::refresh_token(u.id, family);
    assert!(
        !r.composite
            .rotate_refresh_token(first.id, &third)
            .await
            .unwrap()
    );
    assert_eq!(
        r.refresh_tokens
            .find_refresh_token(&third.token_hash)
            .await
            .unwrap(),
        None
    );
    assert!(
        r.refresh_tokens
            .find_refresh_token(&first.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    // The family, newest first: the successor leads.
    let listed = r
        .refresh_tokens
        .list_family_refresh_tokens(family)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![second.id, first.id]
    );
    // Reuse detected: the whole family goes.
    r.refresh_tokens
        .revoke_refresh_family(family)
        .await
        .unwrap();
    assert!(
        r.refresh_tokens
            .find_refresh_token(&second.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(
        !r.refresh_tokens
            .claim_refresh_token(second.id)
            .await
            .unwrap()
    );
    let other = rows::refresh_token(u.id, Uuid::now_v7());
    r.refresh_tokens.insert_refresh_token(&other).await.unwrap();
    r.refresh_tokens
        .revoke_user_refresh_tokens(u.id)
        .await
        .unwrap();
    assert!(
        !r.refresh_tokens
            .claim_refresh_token(other.id)
            .await
            .unwrap()
    );
}

pub async fn api_keys(r: Repositories) {
    let u = new_user(&r).await;
    let key = |name: &str, created_at: DateTime<Utc>| ApiKey {
        id: Uuid::now_v7(),
        user_id: u.id,
        key_prefix: "yak_1234".into(),
        key_hash: unique("keyhash"),
        name: name.into(),
        scopes: Some(json!(["read", "write"])),
        last_used_at: None,
        expires_at: Some(later()),
        created_at,
    };
    let a = key("ci", now());
    let b = key("deploy", now() + Duration::seconds(1));
    r.api_keys.insert_api_key(&a).await.unwrap();
    r.api_keys.insert_api_key(&b).await.unwrap();
    assert_eq!(
        r.api_keys.list_user_api_keys(u.id).await.unwrap(),
        vec![b.clone(), a.clone()]
    );
    assert_eq!(r.api_keys.count_user_api_keys(u.id).await.unwrap(), 2);
    assert_eq!(
        r.api_keys.find_api_key(&a.key_hash).await.unwrap(),
        Some((a.clone(), u.clone()))
    );
    assert_eq!(r.api_keys.find_api_key("nope").await.unwrap(), None);
    let last_used = |r: Repositories, hash: String| async move {
        r.api_keys
            .find_api_key(&hash)
            .await
            .unwrap()
            .unwrap()
            .0
            .last_used_at
    };
    let t = now();
    r.api_keys.touch_api_key(Some(t), a.id, t).await.unwrap();
    assert_eq!(last_used(r.clone(), a.key_hash.clone()).await, Some(t));
    // A use recorded at or after the cutoff is fresh: nothing is written.
    let t2 = t + Duration::seconds(30);
    r.api_keys.touch_api_key(Some(t2), a.id, t).await.unwrap();
    assert_eq!(last_used(r.clone(), a.key_hash.clone()).await, Some(t));
    let cutoff = t + Duration::seconds(1);
    r.api_keys
        .touch_api_key(Some(t2), a.id, cutoff)
        .await
        .unwrap();
    assert_eq!(last_used(r.clone(), a.key_hash.clone()).await, Some(t2));
    let stranger = new_user(&r).await;
    assert_eq!(
        r.api_keys
            .delete_user_api_key(a.id, stranger.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(r.api_keys.delete_user_api_key(a.id, u.id).await.unwrap(), 1);
    // Every key of one user goes, nobody else's.
    let theirs = ApiKey {
        id: Uuid::now_v7(),
        user_id: stranger.id,
        key_hash: unique("keyhash"),
        ..a.clone()
    };
    r.api_keys.insert_api_key(&theirs).await.unwrap();
    assert_eq!(r.api_keys.delete_user_api_keys(u.id).await.unwrap(), 1);
    assert_eq!(r.api_keys.list_user_api_keys(u.id).await.unwrap(), vec![]);
    assert_eq!(
        r.api_keys.count_user_api_keys(stranger.id).await.unwrap(),
        1
    );
}

pub async fn magic_links(r: Repositories) {
    let email = format!("{}@example.com", unique("magic"));
    let link = MagicLink {
        id: Uuid::now_v7(),
        email: email.clone(),
        token_hash: unique("magic"),
        expires_at: later(),
        used: false,
        created_at: now(),
    };
    r.magic_links.insert_magic_link(&link).await.unwrap();
    assert_eq!(
        r.magic_links
            .find_magic_link(&link.token_hash, now())
            .await
            .unwrap(),
        Some(link.clone())
    );
    assert!(r.magic_links.claim_magic_link(link.id).await.unwrap());
    assert!(!r.magic_links.claim_magic_link(link.id).await.unwrap());
    assert_eq!(
        r.magic_links
            .find_magic_link(&link.token_hash, now())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.magic_links
            .delete_email_magic_links(&email)
            .await
            .unwrap(),
        1
    );
}

pub async fn oauth2_server(r: Repositories) {
    let u = new_user(&r).await;
    let c = rows::client();
    r.oauth2_clients.insert_oauth2_client(&c).await.unwrap();
    assert!(is_conflict(
        r.oauth2_clients
            .insert_oauth2_client(&Oauth2Client {
                id: Uuid::now_v7(),
                ..c.clone()
            })
            .await
    ));
    assert_eq!(
        r.oauth2_clients
            .find_oauth2_client(&c.client_id)
            .await
            .unwrap(),
        Some(c.clone())
    );
    assert_eq!(
        r.oauth2_clients
            .list_oauth2_clients(1, 0)
            .await
            .unwrap()
            .len(),
        1
    );

    let mut consent = Consent {
        id: Uuid::now_v7(),
        user_id: u.id,
        client_id: c.client_id.clone(),
        scopes: Some(json!(["openid"])),
        created_at: now(),
    };
    r.consents.upsert_consent(&consent).await.unwrap();
    consent.scopes = Some(json!(["openid", "email"]));
    r.consents
        .upsert_consent(&Consent {
            id: Uuid::now_v7(),
            ..consent.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        r.consents.find_consent(u.id, &c.client_id).await.unwrap(),
        Some(consent.clone())
    );
    assert_eq!(
        r.consents.list_user_consents(u.id).await.unwrap(),
        vec![consent.clone()]
    );
    assert_eq!(
        r.consents.delete_consent(u.id, &c.client_id).await.unwrap(),
        1
    );

    let code = rows::authorization_code(&c.client_id, u.id, later());
    r.authorization_codes
        .insert_authorization_code(&code)
        .await
        .unwrap();
    assert_eq!(
        r.authorization_codes
            .find_authorization_code(&code.code_hash)
            .await
            .unwrap(),
        Some(code.clone())
    );
    let access = rows::access_token(&c.client_id, Some(u.id));
    let refresh = rows::oauth2_refresh_token(&c.client_id, u.id, Uuid::now_v7());
    assert!(
        r.composite
            .exchange_authorization_code(code.id, now(), &access, Some(&refresh))
            .await
            .unwrap()
    );
    let access2 = rows::access_token(&c.client_id, Some(u.id));
    assert!(
        !r.composite
            .exchange_authorization_code(code.id, now(), &access2, None)
            .await
            .unwrap()
    );
    assert_eq!(
        r.oauth2_access_tokens
            .find_oauth2_access_token(&access2.jti)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.oauth2_access_tokens
            .find_oauth2_access_token(&access.jti)
            .await
            .unwrap(),
        Some(access.clone())
    );
    // An expired code cannot be claimed.
    let stale = rows::authorization_code(&c.client_id, u.id, earlier());
    r.authorization_codes
        .insert_authorization_code(&stale)
        .await
        .unwrap();
    assert!(
        !r.authorization_codes
            .claim_authorization_code(stale.id, now())
            .await
            .unwrap()
    );

    let next = rows::oauth2_refresh_token(&c.client_id, u.id, refresh.family_id);
    let access3 = rows::access_token(&c.client_id, Some(u.id));
    assert!(
        r.composite
            .rotate_oauth2_refresh_token(refresh.id, &next, &access3)
            .await
            .unwrap()
    );
    assert!(
        !r.composite
            .rotate_oauth2_refresh_token(
                refresh.id,
                &rows::oauth2_refresh_token(&c.client_id, u.id, refresh.family_id),
                &rows::access_token(&c.client_id, Some(u.id))
            )
            .await
            .unwrap()
    );
    assert_eq!(
        r.oauth2_refresh_tokens
            .find_oauth2_refresh_token(&next.token_hash)
            .await
            .unwrap(),
        Some(next.clone())
    );
    r.oauth2_refresh_tokens
        .revoke_oauth2_refresh_family(refresh.family_id)
        .await
        .unwrap();
    assert!(
        !r.oauth2_refresh_tokens
            .claim_oauth2_refresh_token(next.id)
            .await
            .unwrap()
    );
    assert!(
        r.oauth2_access_tokens
            .revoke_oauth2_access_token(&access.jti)
            .await
            .unwrap()
    );
    assert!(
        !r.oauth2_access_tokens
            .revoke_oauth2_access_token(&access.jti)
            .await
            .unwrap()
    );
    // Every token clients hold for one user, and only those, end together.
    let stranger = user(&r);
    r.users.insert_user(&stranger).await.unwrap();
    let mine = rows::access_token(&c.client_id, Some(u.id));
    let theirs = rows::access_token(&c.client_id, Some(stranger.id));
    let my_refresh = rows::oauth2_refresh_token(&c.client_id, u.id, Uuid::now_v7());
    let their_refresh = rows::oauth2_refresh_token(&c.client_id, stranger.id, Uuid::now_v7());
    for token in [&mine, &theirs] {
        r.oauth2_access_tokens
            .insert_oauth2_access_token(token)
            .await
            .unwrap();
    }
    for token in [&my_refresh, &their_refresh] {
        r.oauth2_refresh_tokens
            .insert_oauth2_refresh_token(token)
            .await
            .unwrap();
    }
    r.oauth2_access_tokens
        .revoke_user_oauth2_access_tokens(u.id)
        .await
        .unwrap();
    r.oauth2_refresh_tokens
        .revoke_user_oauth2_refresh_tokens(u.id)
        .await
        .unwrap();
    for (jti, revoked) in [(&mine.jti, true), (&theirs.jti, false)] {
        let got = r
            .oauth2_access_tokens
            .find_oauth2_access_token(jti)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.revoked, revoked);
    }
    for (hash, revoked) in [
        (&my_refresh.token_hash, true),
        (&their_refresh.token_hash, false),
    ] {
        let got = r
            .oauth2_refresh_tokens
            .find_oauth2_refresh_token(hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.revoked, revoked);
    }
    // Every access token of one grant, and only those, end together.
    let grant = Uuid::now_v7();
    let of_grant = |grant_id| Oauth2AccessToken {
        grant_id,
        ..rows::access_token(&c.client_id, Some(u.id))
    };
    let (first, second, other) = (of_grant(Some(grant)), of_grant(Some(grant)), of_grant(None));
    for token in [&first, &second, &other] {
        r.oauth2_access_tokens
            .insert_oauth2_access_token(token)
            .await
            .unwrap();
    }
    r.oauth2_access_tokens
        .revoke_oauth2_grant_access_tokens(grant)
        .await
        .unwrap();
    for (token, revoked) in [(&first, true), (&second, true), (&other, false)] {
        let got = r
            .oauth2_access_tokens
            .find_oauth2_access_token(&token.jti)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((got.revoked, got.grant_id), (revoked, token.grant_id));
    }

    let device = DeviceCode {
        id: Uuid::now_v7(),
        device_code_hash: unique("device"),
        user_code: unique("WDJB-MJHT"),
        client_id: c.client_id.clone(),
        scopes: Some(json!(["openid"])),
        user_id: None,
        status: "pending".into(),
        interval: 5,
        expires_at: later(),
        last_polled_at: None,
        created_at: now(),
    };
    r.device_codes.insert_device_code(&device).await.unwrap();
    assert_eq!(
        r.device_codes
            .find_device_code_by_user_code(&device.user_code, now())
            .await
            .unwrap(),
        Some(device.clone())
    );
    // Not approved yet: cannot be consumed.
    assert!(!r.device_codes.consume_device_code(device.id).await.unwrap());
    let polled = now();
    r.device_codes
        .touch_device_code_poll(Some(polled), 10, device.id)
        .await
        .unwrap();
    assert!(
        r.device_codes
            .approve_device_code(Some(u.id), device.id)
            .await
            .unwrap()
    );
    assert!(!r.device_codes.deny_device_code(device.id).await.unwrap());
    let got = r
        .device_codes
        .find_device_code(&device.device_code_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            got.status.as_str(),
            got.user_id,
            got.last_polled_at,
            got.interval
        ),
        ("approved", Some(u.id), Some(polled), 10)
    );
    assert!(r.device_codes.consume_device_code(device.id).await.unwrap());
    assert!(!r.device_codes.consume_device_code(device.id).await.unwrap());
    let denied = DeviceCode {
        id: Uuid::now_v7(),
        device_code_hash: unique("device"),
        user_code: unique("UC"),
        ..device.clone()
    };
    r.device_codes.insert_device_code(&denied).await.unwrap();
    assert!(r.device_codes.deny_device_code(denied.id).await.unwrap());
    assert!(
        !r.device_codes
            .approve_device_code(Some(u.id), denied.id)
            .await
            .unwrap()
    );

    let key = |kid: &str| SigningKey {
        id: Uuid::now_v7(),
        kid: kid.into(),
        algorithm: "ES256".into(),
        public_jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid}),
        private_key_enc: vec![42; 64],
        active: true,
        created_at: now(),
        rotated_at: None,
        retired_at: None,
    };
    let k = key(&unique("kid"));
    r.signing_keys.insert_signing_key(&k).await.unwrap();
    assert_eq!(
        r.signing_keys.find_signing_key(&k.kid).await.unwrap(),
        Some(k.clone())
    );
    assert!(
        r.signing_keys
            .list_signing_keys()
            .await
            .unwrap()
            .contains(&k)
    );
    r.signing_keys
        .reseal_signing_key(&[7; 80], k.id)
        .await
        .unwrap();
    let resealed = r.signing_keys.find_signing_key(&k.kid).await.unwrap();
    assert_eq!(resealed.map(|x| x.private_key_enc), Some(vec![7; 80]));
    // Rotation: one winner; the key stops signing but still verifies.
    let rotated_at = now();
    assert!(
        r.signing_keys
            .rotate_signing_key(Some(rotated_at), k.id)
            .await
            .unwrap()
    );
    assert!(
        !r.signing_keys
            .rotate_signing_key(Some(rotated_at), k.id)
            .await
            .unwrap()
    );
    let rotated = r
        .signing_keys
        .find_signing_key(&k.kid)
        .await
        .unwrap()
        .unwrap();
    assert!(!rotated.active);
    assert_eq!(rotated.rotated_at, Some(rotated_at));
    // Retirement takes only keys rotated before the cutoff.
    let retired_at = now();
    r.signing_keys
        .retire_signing_keys(Some(retired_at), rotated_at)
        .await
        .unwrap();
    let published = |keys: Vec<SigningKey>| keys.iter().any(|x| x.id == k.id);
    assert!(published(r.signing_keys.list_signing_keys().await.unwrap()));
    let after = rotated_at + chrono::Duration::seconds(1);
    r.signing_keys
        .retire_signing_keys(Some(retired_at), after)
        .await
        .unwrap();
    assert!(!published(
        r.signing_keys.list_signing_keys().await.unwrap()
    ));
    assert_eq!(
        r.signing_keys
            .find_signing_key(&k.kid)
            .await
            .unwrap()
            .unwrap()
            .retired_at,
        Some(retired_at)
    );

    let nonce = OidcNonce {
        id: Uuid::now_v7(),
        nonce_hash: unique("nonce"),
        authorization_code_id: code.id,
        created_at: now(),
    };
    r.oidc_nonces.insert_oidc_nonce(&nonce).await.unwrap();
    assert_eq!(
        r.oidc_nonces.list_oidc_nonces(code.id).await.unwrap(),
        vec![nonce]
    );

    // Deleting a client deletes what was issued to it.
    assert_eq!(
        r.oauth2_clients
            .delete_oauth2_client(&c.client_id)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        r.authorization_codes
            .find_authorization_code(&code.code_hash)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.oauth2_access_tokens
            .find_oauth2_access_token(&access3.jti)
            .await
            .unwrap(),
        None
    );
}

pub async fn account_lockout(r: Repositories) {
    let u = new_user(&r).await;
    let key = unique("email-hash");
    assert_eq!(r.account_locks.get_account_lock(&key).await.unwrap(), None);
    let row = AccountLock {
        id: Uuid::now_v7(),
        email_hash: key.clone(),
        locked_until: None,
        lock_count: 0,
        locked_reason: None,
        expires_at: later(),
        created_at: now(),
        updated_at: now(),
    };
    // Ensuring twice keeps one row, the first (the second only touches it).
    r.account_locks.ensure_account_lock(&row).await.unwrap();
    r.account_locks
        .ensure_account_lock(&AccountLock {
            id: Uuid::now_v7(),
            ..row.clone()
        })
        .await
        .unwrap();
    let got = r
        .account_locks
        .get_account_lock(&key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.id, got.lock_count, got.locked_until),
        (row.id, 0, None)
    );
    // Of two lockers that read lock count 0, only the first wins.
    let until = later();
    let lock = |seen: i32| {
        r.account_locks.lock_account(
            Some(until),
            Some("too_many_failures"),
            1,
            later(),
            now(),
            &key,
            seen,
        )
    };
    assert!(lock(0).await.unwrap());
    assert!(!lock(0).await.unwrap());
    let got = r
        .account_locks
        .get_account_lock(&key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            got.lock_count,
            got.locked_until,
            got.locked_reason.as_deref()
        ),
        (1, Some(until), Some("too_many_failures"))
    );
    assert_eq!(r.account_locks.delete_account_lock(&key).await.unwrap(), 1);
    assert_eq!(r.account_locks.delete_account_lock(&key).await.unwrap(), 0);
    // The sweep forgets rows whose memory has run out, and only those.
    let stale = AccountLock {
        id: Uuid::now_v7(),
        email_hash: unique("email-hash"),
        expires_at: now() - chrono::Duration::seconds(1),
        ..row.clone()
    };
    r.account_locks.ensure_account_lock(&stale).await.unwrap();
    r.account_locks.ensure_account_lock(&row).await.unwrap();
    assert!(
        r.account_locks
            .delete_expired_account_locks(now())
            .await
            .unwrap()
            >= 1
    );
    assert_eq!(
        r.account_locks
            .get_account_lock(&stale.email_hash)
            .await
            .unwrap(),
        None
    );
    assert!(
        r.account_locks
            .get_account_lock(&key)
            .await
            .unwrap()
            .is_some()
    );

    let token = UnlockToken {
        id: Uuid::now_v7(),
        user_id: u.id,
        token_hash: unique("unlock"),
        expires_at: later(),
        created_at: now(),
    };
    r.unlock_tokens.insert_unlock_token(&token).await.unwrap();
    assert_eq!(
        r.unlock_tokens
            .find_unlock_token(&token.token_hash, now())
            .await
            .unwrap(),
        Some(token.clone())
    );
    assert_eq!(
        r.unlock_tokens.delete_unlock_token(token.id).await.unwrap(),
        1
    );
    r.unlock_tokens
        .insert_unlock_token(&UnlockToken {
            id: Uuid::now_v7(),
            token_hash: unique("unlock"),
            ..token
        })
        .await
        .unwrap();
    assert_eq!(
        r.unlock_tokens
            .delete_user_unlock_tokens(u.id)
            .await
            .unwrap(),
        1
    );
}

pub async fn webhooks(r: Repositories) {
    let u = new_user(&r).await;
    let h = rows::webhook(u.id);
    r.webhooks.insert_webhook(&h).await.unwrap();
    assert_eq!(r.webhooks.get_webhook(h.id).await.unwrap(), Some(h.clone()));
    assert_eq!(r.webhooks.list_webhooks().await.unwrap().first(), Some(&h));
    assert_eq!(r.webhooks.count_user_webhooks(u.id).await.unwrap(), 1);
    assert!(
        r.webhooks
            .list_active_webhooks()
            .await
            .unwrap()
            .contains(&h)
    );
    let events = json!(["*"]);
    r.webhooks
        .update_webhook(
            "https://new.example.com/",
            &events,
            &[8, 8],
            false,
            later(),
            h.id,
        )
        .await
        .unwrap();
    let got = r.webhooks.get_webhook(h.id).await.unwrap().unwrap();
    assert_eq!(
        (
            got.url.as_str(),
            &got.events,
            got.secret_enc.as_slice(),
            got.active
        ),
        ("https://new.example.com/", &events, &[8u8, 8][..], false)
    );
    assert!(
        !r.webhooks
            .list_active_webhooks()
            .await
            .unwrap()
            .iter()
            .any(|x| x.id == h.id)
    );

    let delivery = |at: DateTime<Utc>| WebhookDelivery {
        id: Uuid::now_v7(),
        webhook_id: h.id,
        event_type: "user_registered".into(),
        payload: json!({"event": "user_registered", "data": {"id": u.id}}),
        status_code: None,
        response_body: None,
        error: None,
        success: false,
        attempt: 0,
        next_attempt_at: Some(at),
        attempted_at: None,
        created_at: at,
    };
    let due = delivery(earlier());
    let not_due = delivery(later());
    r.webhook_deliveries
        .insert_webhook_delivery(&due)
        .await
        .unwrap();
    r.webhook_deliveries
        .insert_webhook_delivery(&not_due)
        .await
        .unwrap();
    let listed = r
        .webhook_deliveries
        .list_due_webhook_deliveries(now(), 1000, 0)
        .await
        .unwrap();
    assert!(listed.contains(&due));
    assert!(!listed.iter().any(|d| d.id == not_due.id));
    // One worker claims the due row (leasing it until `later()`); a second one that saw
    // the same attempt loses, and a leased row is no longer due.
    let claim = |seen: i32| {
        r.webhook_deliveries
            .claim_webhook_delivery(seen + 1, Some(later()), due.id, seen, now())
    };
    assert!(claim(0).await.unwrap());
    assert!(!claim(0).await.unwrap());
    // Leased: not due, so not even the right attempt number claims it.
    assert!(!claim(1).await.unwrap());
    assert!(
        !r.webhook_deliveries
            .list_due_webhook_deliveries(now(), 1000, 0)
            .await
            .unwrap()
            .iter()
            .any(|d| d.id == due.id)
    );
    // Only the holder of the latest attempt records its outcome.
    let at = now();
    let record = |attempt: i32| {
        r.webhook_deliveries.record_webhook_attempt(
            Some(200),
            Some("ok"),
            None,
            true,
            None,
            Some(at),
            attempt,
            due.id,
            attempt,
        )
    };
    assert!(!record(2).await.unwrap());
    assert!(record(1).await.unwrap());
    // Recorded (no next attempt): a worker that listed it earlier cannot claim it again.
    assert!(!claim(1).await.unwrap());
    let page = r
        .webhook_deliveries
        .list_webhook_deliveries(h.id, 10, 0)
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0], not_due);
    assert_eq!(
        (
            page[1].status_code,
            page[1].response_body.as_deref(),
            page[1].success,
            page[1].attempt,
            page[1].next_attempt_at,
            page[1].error.as_deref(),
            page[1].attempted_at.is_some()
        ),
        (Some(200), Some("ok"), true, 1, None, None, true)
    );
    assert_eq!(
        r.webhook_deliveries
            .delete_webhook_deliveries_before(h.id, now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(r.webhooks.delete_webhook(h.id).await.unwrap(), 1);
    // Deleting the admin who created a webhook keeps the webhook, without its creator.
    let creator = new_user(&r).await;
    let kept = rows::webhook(creator.id);
    r.webhooks.insert_webhook(&kept).await.unwrap();
    assert_eq!(r.users.delete_user(creator.id).await.unwrap(), 1);
    let got = r.webhooks.get_webhook(kept.id).await.unwrap().unwrap();
    assert_eq!(got.user_id, None);
    assert_eq!(r.webhooks.delete_webhook(kept.id).await.unwrap(), 1);
    assert_eq!(
        r.webhook_deliveries
            .list_webhook_deliveries(h.id, 10, 0)
            .await
            .unwrap(),
        vec![]
    );
}

pub async fn register_is_all_or_nothing(r: Repositories) {
    let u = user(&r);
    let pw = rows::password(u.id, "$argon2id$v=19$m=19456,t=2,p=1$abc$def");
    let v = rows::email_verification(u.id, later());
    let event = rows::audit(Some(u.id), &unique("registered"));
    r.composite
        .register_user(&u, &pw, Some(&v), &event)
        .await
        .unwrap();
    assert_eq!(r.users.get_user(u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(
        r.passwords.get_password(u.id).await.unwrap(),
        Some(pw.clone())
    );
    assert!(
        r.email_verifications
            .find_email_verification(&v.token_hash, now())
            .await
            .unwrap()
            .is_some()
    );

    // The same email again: a conflict, and none of the other rows is written.
    let twin = User {
        id: Uuid::now_v7(),
        ..u.clone()
    };
    let event2 = rows::audit(Some(twin.id), &unique("registered"));
    let result = r
        .composite
        .register_user(&twin, &rows::password(twin.id, "h"), None, &event2)
        .await;
    assert!(is_conflict(result));
    assert_eq!(r.passwords.get_password(twin.id).await.unwrap(), None);
    assert_eq!(
        r.audit_log
            .list_audit_by_event(&event2.event_type, 10, 0)
            .await
            .unwrap(),
        vec![]
    );

    // A failure in the last step rolls back the first ones.
    let fresh = user(&r);
    let clash = AuditLog {
        user_id: Some(fresh.id),
        ..event.clone()
    };
    let result = r
        .composite
        .register_user(&fresh, &rows::password(fresh.id, "h"), None, &clash)
        .await;
    assert!(is_conflict(result));
    assert_eq!(r.users.get_user(fresh.id).await.unwrap(), None);
    assert_eq!(r.passwords.get_password(fresh.id).await.unwrap(), None);
}

pub async fn reset_password_is_all_or_nothing(r: Repositories) {
    let u = new_user(&r).await;
    r.passwords
        .insert_password(&rows::password(u.id, "old"))
        .await
        .unwrap();
    let s = rows::session(u.id, later());
    r.sessions.insert_session(&s).await.unwrap();
    let reset = rows::password_reset(u.id, later());
    r.password_resets
        .insert_password_reset(&reset)
        .await
        .unwrap();
    let history = PasswordHistory {
        id: Uuid::now_v7(),
        user_id: u.id,
        password_hash: "old".into(),
        created_at: now(),
    };
    let event = rows::audit(Some(u.id), &unique("reset"));
    let won = r
        .composite
        .reset_password(
            reset.id,
            Some(now()),
            &rows::password(u.id, "new"),
            Some(&history),
            u.id,
            &event,
        )
        .await
        .unwrap();
    assert!(won);
    assert_eq!(
        r.passwords
            .get_password(u.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new"
    );
    assert_eq!(r.sessions.list_user_sessions(u.id).await.unwrap(), vec![]);
    assert_eq!(
        r.password_history
            .list_password_history(u.id, 5, 0)
            .await
            .unwrap(),
        vec![history]
    );
    // The token is spent: a second reset changes nothing.
    let s2 = rows::session(u.id, later());
    r.sessions.insert_session(&s2).await.unwrap();
    let event2 = rows::audit(Some(u.id), &unique("reset"));
    let won = r
        .composite
        .reset_password(
            reset.id,
            Some(now()),
            &rows::password(u.id, "newer"),
            None,
            u.id,
            &event2,
        )
        .await
        .unwrap();
    assert!(!won);
    assert_eq!(
        r.passwords
            .get_password(u.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new"
    );
    assert_eq!(r.sessions.list_user_sessions(u.id).await.unwrap(), vec![s2]);
    assert_eq!(
        r.audit_log
            .list_audit_by_event(&event2.event_type, 10, 0)
            .await
            .unwrap(),
        vec![]
    );
}

async fn reset_is_pending(r: &Repositories, reset: &PasswordReset) -> bool {
    r.password_resets
        .find_password_reset(&reset.token_hash, now())
        .await
        .unwrap()
        .is_some()
}

async fn password_hash(r: &Repositories, user_id: Uuid) -> String {
    r.passwords
        .get_password(user_id)
        .await
        .unwrap()
        .expect("a password")
        .password_hash
}

pub async fn change_password_ends_other_sessions_and_pending_resets_all_or_nothing(
    r: Repositories,
) {
    let u = new_user(&r).await;
    let bystander = new_user(&r).await;
    r.passwords
        .insert_password(&rows::password(u.id, "old"))
        .await
        .unwrap();
    let current = rows::session(u.id, later());
    let other = rows::session(u.id, later());
    let bystander_session = rows::session(bystander.id, later());
    for s in [&current, &other, &bystander_session] {
        r.sessions.insert_session(s).await.unwrap();
    }
    let reset = rows::password_reset(u.id, later());
    let bystander_reset = rows::password_reset(bystander.id, later());
    for p in [&reset, &bystander_reset] {
        r.password_resets.insert_password_reset(p).await.unwrap();
    }

    // A failure in the last step (the audit row's id is taken) changes nothing.
    let taken = rows::audit(Some(u.id), &unique("changed"));
    r.audit_log.insert_audit(&taken).await.unwrap();
    let lost = PasswordHistory {
        id: Uuid::now_v7(),
        user_id: u.id,
        password_hash: "old".into(),
        created_at: now(),
    };
    let result = r
        .composite
        .change_password(
            &rows::password(u.id, "lost"),
            Some(&lost),
            u.id,
            current.id,
            &taken,
        )
        .await;
    assert!(is_conflict(result));
    assert_eq!(password_hash(&r, u.id).await, "old");
    assert_eq!(
        r.password_history
            .list_password_history(u.id, 5, 0)
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        r.sessions.list_user_sessions(u.id).await.unwrap(),
        vec![other.clone(), current.clone()]
    );
    assert!(reset_is_pending(&r, &reset).await);

    // The change itself: new hash, history, only the caller's session left, no pending reset.
    let history = PasswordHistory {
        id: Uuid::now_v7(),
        user_id: u.id,
        password_hash: "old".into(),
        created_at: now(),
    };
    let event = rows::audit(Some(u.id), &unique("changed"));
    r.composite
        .change_password(
            &rows::password(u.id, "new"),
            Some(&history),
            u.id,
            current.id,
            &event,
        )
        .await
        .unwrap();
    assert_eq!(password_hash(&r, u.id).await, "new");
    assert_eq!(
        r.password_history
            .list_password_history(u.id, 5, 0)
            .await
            .unwrap(),
        vec![history]
    );
    assert_eq!(
        r.sessions.list_user_sessions(u.id).await.unwrap(),
        vec![current.clone()]
    );
    assert!(!reset_is_pending(&r, &reset).await);
    assert_eq!(
        r.audit_log
            .list_audit_by_event(&event.event_type, 10, 0)
            .await
            .unwrap(),
        vec![event]
    );
    // Another user's session and reset token are untouched.
    assert_eq!(
        r.sessions.list_user_sessions(bystander.id).await.unwrap(),
        vec![bystander_session]
    );
    assert!(reset_is_pending(&r, &bystander_reset).await);

    // A caller without a session (API key, bearer token) keeps none: `Uuid::nil()` matches no
    // session, so every session ends. Without history, that step is skipped.
    let event = rows::audit(Some(u.id), &unique("changed"));
    r.composite
        .change_password(
            &rows::password(u.id, "newer"),
            None,
            u.id,
            Uuid::nil(),
            &event,
        )
        .await
        .unwrap();
    assert_eq!(password_hash(&r, u.id).await, "newer");
    assert_eq!(r.sessions.list_user_sessions(u.id).await.unwrap(), vec![]);
    assert_eq!(
        r.password_history
            .list_password_history(u.id, 5, 0)
            .await
            .unwrap()
            .len(),
        1
    );
}

const RACERS: usize = 64;

/// Runs `RACERS` copies of `attempt` at once and returns how many won. An error counts as a
/// loss (on SQLite a racer can time out waiting for the write lock); it never counts as a win.
async fn race<F, Fut>(attempt: F) -> usize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<bool, RepoError>> + Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let barrier = barrier.clone();
        let fut = attempt();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            fut.await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if let Ok(true) = t.await.expect("no racer panics") {
            wins += 1;
        }
    }
    wins
}

pub async fn race_one_time_token(r: Repositories) {
    let u = new_user(&r).await;
    let reset = rows::password_reset(u.id, later());
    r.password_resets
        .insert_password_reset(&reset)
        .await
        .unwrap();
    let wins = race(|| {
        let r = r.clone();
        async move {
            r.password_resets
                .claim_password_reset(Some(now()), reset.id)
                .await
        }
    })
    .await;
    assert_eq!(wins, 1);
    let link = MagicLink {
        id: Uuid::now_v7(),
        email: u.email.clone(),
        token_hash: unique("magic"),
        expires_at: later(),
        used: false,
        created_at: now(),
    };
    r.magic_links.insert_magic_link(&link).await.unwrap();
    let wins = race(|| {
        let r = r.clone();
        async move { r.magic_links.claim_magic_link(link.id).await }
    })
    .await;
    assert_eq!(wins, 1);
}

pub async fn race_refresh_rotation(r: Repositories) {
    let u = new_user(&r).await;
    let family = Uuid::now_v7();
    let first = rows::refresh_token(u.id, family);
    r.refresh_tokens.insert_refresh_token(&first).await.unwrap();
    let hashes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let wins = race(|| {
        let r = r.clone();
        let next = rows::refresh_token(u.id, family);
        hashes.lock().unwrap().push(next.token_hash.clone());
        async move { r.composite.rotate_refresh_token(first.id, &next).await }
    })
    .await;
    assert_eq!(wins, 1);
    let hashes = hashes.lock().unwrap().clone();
    let mut stored = 0;
    for hash in hashes {
        if r.refresh_tokens
            .find_refresh_token(&hash)
            .await
            .unwrap()
            .is_some()
        {
            stored += 1;
        }
    }
    assert_eq!(stored, 1, "only the winner's successor is stored");
}

pub async fn race_authorization_code(r: Repositories) {
    let u = new_user(&r).await;
    let c = rows::client();
    r.oauth2_clients.insert_oauth2_client(&c).await.unwrap();
    let code = rows::authorization_code(&c.client_id, u.id, later());
    r.authorization_codes
        .insert_authorization_code(&code)
        .await
        .unwrap();
    let tokens = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let wins = race(|| {
        let r = r.clone();
        let access = rows::access_token(&c.client_id, Some(u.id));
        tokens.lock().unwrap().push(access.jti.clone());
        async move {
            r.composite
                .exchange_authorization_code(code.id, now(), &access, None)
                .await
        }
    })
    .await;
    assert_eq!(wins, 1);
    let jtis = tokens.lock().unwrap().clone();
    let mut stored = 0;
    for jti in jtis {
        if r.oauth2_access_tokens
            .find_oauth2_access_token(&jti)
            .await
            .unwrap()
            .is_some()
        {
            stored += 1;
        }
    }
    assert_eq!(stored, 1, "only the winner's access token is stored");
}

pub async fn race_rate_limit_counter(r: Repositories) {
    let key = unique("race");
    let t = now();
    let counts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    race(|| {
        let r = r.clone();
        let key = key.clone();
        let counts = counts.clone();
        async move {
            let row = r
                .rate_limits
                .hit_rate_limit(&key, t, t + Duration::minutes(1))
                .await?;
            counts.lock().unwrap().push(row.count);
            Ok(false)
        }
    })
    .await;
    let mut counts = counts.lock().unwrap().clone();
    counts.sort();
    // Every hit saw a distinct count: no update was lost.
    assert_eq!(counts, (1..=RACERS as i32).collect::<Vec<_>>());
}
