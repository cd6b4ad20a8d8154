//! The same database through every ORM: on one PostgreSQL, one MariaDB and one SQLite
//! database, rows written through the sqlx, diesel and sea-orm backends read back identically
//! through all three.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;
use yauth_conformance::rows::{self, later, now, unique};
use yauth_conformance::setup;
use yauth_entity::*;
use yauth_migration::Dialect;

/// One row of each column type, written through `r`.
struct Written {
    user: User,
    session: Session,
    audit: AuditLog,
    credential: WebauthnCredential,
    totp: TotpSecret,
    device: DeviceCode,
    rate: RateLimit,
}

async fn write(r: &Repositories) -> Written {
    let mut user = rows::user();
    user.display_name = Some("Çà et là «ok»".into());
    user.banned_until = Some(Utc.timestamp_opt(1_800_000_000, 123_456_000).unwrap());
    user.created_at = Utc.timestamp_opt(1_767_225_600, 500_000_000).unwrap();
    r.users.insert_user(&user).await.unwrap();
    let session = rows::session(user.id, later());
    r.sessions.insert_session(&session).await.unwrap();
    let mut audit = rows::audit(Some(user.id), &unique("cross"));
    audit.metadata = Some(json!({"list": [1, 2.5, null, "x"], "deep": {"t": true}}));
    r.audit_log.insert_audit(&audit).await.unwrap();
    let credential = WebauthnCredential {
        id: Uuid::now_v7(),
        user_id: user.id,
        // Every byte value, after a unique prefix.
        credential_id: Uuid::new_v4()
            .as_bytes()
            .iter()
            .copied()
            .chain(0..=255u8)
            .collect(),
        name: "key".into(),
        aaguid: None,
        device_name: Some("phone".into()),
        credential: json!({"counter": 3}),
        created_at: now(),
        last_used_at: Some(now() - Duration::minutes(1)),
    };
    r.webauthn_credentials
        .insert_webauthn_credential(&credential)
        .await
        .unwrap();
    let totp = TotpSecret {
        id: Uuid::now_v7(),
        user_id: user.id,
        encrypted_secret: vec![0, 1, 2, 254, 255],
        verified: true,
        last_used_step: Some(58_000_000_123),
        created_at: now(),
    };
    r.totp_secrets.upsert_totp_secret(&totp).await.unwrap();
    let client = rows::client();
    r.oauth2_clients
        .insert_oauth2_client(&client)
        .await
        .unwrap();
    let device = DeviceCode {
        id: Uuid::now_v7(),
        device_code_hash: unique("dc"),
        user_code: unique("uc"),
        client_id: client.client_id.clone(),
        scopes: None,
        user_id: Some(user.id),
        status: "pending".into(),
        interval: 7,
        expires_at: later(),
        last_polled_at: None,
        created_at: now(),
    };
    r.device_codes.insert_device_code(&device).await.unwrap();
    let rate = r
        .rate_limits
        .hit_rate_limit(&unique("rl"), now(), later())
        .await
        .unwrap();
    Written {
        user,
        session,
        audit,
        credential,
        totp,
        device,
        rate,
    }
}

async fn read_back(r: &Repositories, w: &Written, writer: &str, reader: &str) {
    let ctx = format!("written by {writer}, read by {reader}");
    assert_eq!(
        r.users.get_user(w.user.id).await.unwrap().as_ref(),
        Some(&w.user),
        "{ctx}"
    );
    assert_eq!(
        r.sessions
            .check_session(&w.session.token_hash, now())
            .await
            .unwrap(),
        Some((w.session.clone(), w.user.clone())),
        "{ctx}"
    );
    assert_eq!(
        r.audit_log
            .list_audit_by_event(&w.audit.event_type, 5, 0)
            .await
            .unwrap(),
        vec![w.audit.clone()],
        "{ctx}"
    );
    assert_eq!(
        r.webauthn_credentials
            .find_webauthn_credential(&w.credential.credential_id)
            .await
            .unwrap(),
        Some(w.credential.clone()),
        "{ctx}"
    );
    assert_eq!(
        r.totp_secrets.get_totp_secret(w.user.id).await.unwrap(),
        Some(w.totp.clone()),
        "{ctx}"
    );
    assert_eq!(
        r.device_codes
            .find_device_code(&w.device.device_code_hash)
            .await
            .unwrap(),
        Some(w.device.clone()),
        "{ctx}"
    );
    // The reader keeps counting the writer's rate-limit window.
    let next = r
        .rate_limits
        .hit_rate_limit(&w.rate.key, now(), later())
        .await
        .unwrap();
    assert_eq!(
        (next.window_start, next.expires_at),
        (w.rate.window_start, w.rate.expires_at),
        "{ctx}"
    );
    assert!(next.count > w.rate.count, "{ctx}");
}

async fn across(dialect: Dialect, backends: Vec<(&str, Repositories)>) {
    let mut written = Vec::new();
    for (name, repos) in &backends {
        written.push((*name, write(repos).await));
    }
    for (writer, w) in &written {
        for (reader, repos) in &backends {
            read_back(repos, w, writer, reader).await;
        }
    }
    let _ = dialect;
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn postgres_rows_are_shared_by_every_orm() {
    runtime().block_on(async {
        let url = setup::postgres_database("cross_pg").await;
        let backends = setup::open_every_orm(Dialect::Postgres, &url).await;
        across(Dialect::Postgres, backends).await;
    });
}

#[test]
fn mysql_rows_are_shared_by_every_orm() {
    runtime().block_on(async {
        let url = setup::mysql_database("cross_mysql").await;
        let backends = setup::open_every_orm(Dialect::Mysql, &url).await;
        across(Dialect::Mysql, backends).await;
    });
}

#[test]
fn sqlite_rows_are_shared_by_every_orm() {
    runtime().block_on(async {
        let path = setup::sqlite_file("cross_sqlite");
        let backends = setup::open_every_orm(Dialect::Sqlite, &path.display().to_string()).await;
        across(Dialect::Sqlite, backends).await;
        // Every ORM stores timestamps in the one documented text form.
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .connect_with(setup::sqlite_options(&path))
            .await
            .unwrap();
        let stored: Vec<String> = sqlx::query_scalar("SELECT created_at FROM yauth_users")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(stored.len(), 3);
        for text in stored {
            assert_eq!(text, "2026-01-01 00:00:00.500", "{text}");
        }
    });
}
