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
        "SELECT datname FROM pg_database WHERE datname LIKE 'yauth_conf_toasty_%'",
    )
    .await;
    common::with_tables(db, Dialect::Postgres, ToastyPgBackend::from_db).await
}

yauth_conformance_suite::conformance_tests!(open());
