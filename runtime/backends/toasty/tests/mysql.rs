//! The conformance suite on toasty's MySQL driver, over a scratch database on the MariaDB
//! or MySQL server of `YAUTH_TEST_MYSQL_URL` with yauth's tables.

mod common;

use yauth_backend_toasty::ToastyMysqlBackend;
use yauth_entity::Repositories;
use yauth_migration::Dialect;

async fn open() -> Repositories {
    let server = std::env::var("YAUTH_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let db = common::server_scratch(
        &server,
        "mysql",
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'yauth_conf_toasty_%'",
    )
    .await;
    common::with_tables(db, Dialect::Mysql, ToastyMysqlBackend::from_db).await
}

yauth_conformance_suite::conformance_tests!(open());
