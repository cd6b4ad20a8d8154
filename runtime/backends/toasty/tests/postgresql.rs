//! The conformance suite on toasty's PostgreSQL driver, over a scratch database on the
//! server of `YAUTH_TEST_PG_URL` with yauth's tables.

mod common;

use yauth_backend_toasty::ToastyPgBackend;
use yauth_entity::Repositories;
use yauth_migration::Dialect;

async fn open() -> Repositories {
    let server = std::env::var("YAUTH_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let db = common::server_scratch(
        &server,
        "postgres",
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'yauth_conf_toasty_%'",
    )
    .await;
    common::with_tables(db, Dialect::Postgres, ToastyPgBackend::from_db).await
}

yauth_conformance_suite::conformance_tests!(open());

/// PostgreSQL's `DETAIL` quotes the values of the row that failed (token hashes, emails,
/// ids); a repository error carries the code and message only.
#[test]
fn a_database_error_does_not_quote_the_rows_values() {
    env().run(|r| async move {
        let missing = uuid::Uuid::now_v7();
        let session =
            yauth_conformance_suite::rows::session(missing, yauth_conformance_suite::rows::later());
        let err = r.sessions.insert_session(&session).await.unwrap_err();
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            text.push_str(&format!(" / {e}"));
            source = e.source();
        }
        assert!(text.contains("23503"), "a foreign-key violation: {text}");
        assert!(!text.contains(&missing.to_string()), "{text}");
        assert!(!text.contains(&session.token_hash), "{text}");
    });
}
