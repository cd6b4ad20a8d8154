//! Scratch databases for the suite: one per backend and test binary, migrated with the full
//! schema. Names carry the process id; databases left behind by a process that is gone are
//! dropped by the next run.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::{ConnectOptions, MySqlPool, PgPool};
use yauth_entity::{DatabaseBackend, Repositories};
use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};
use yauth_migration::{Dialect, diff::MigrationSql};

/// PostgreSQL server URL without a database; `YAUTH_TEST_PG_URL` overrides it.
pub fn pg_server() -> String {
    std::env::var("YAUTH_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// MySQL/MariaDB server URL without a database; `YAUTH_TEST_MYSQL_URL` overrides it.
pub fn mysql_server() -> String {
    std::env::var("YAUTH_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// `yauth_conf_<tag>_<pid>`.
fn scratch_name(tag: &str) -> String {
    format!("yauth_conf_{tag}_{}", std::process::id())
}

/// Whether a scratch name belongs to a process that no longer runs.
fn abandoned(name: &str, tag: &str) -> bool {
    let Some(pid) = name.strip_prefix(&format!("yauth_conf_{tag}_")) else {
        return false;
    };
    pid.parse::<u32>().is_ok_and(|pid| {
        pid != std::process::id() && !PathBuf::from(format!("/proc/{pid}")).exists()
    })
}

/// Creates every table of the built-in schema through `pool`.
pub async fn migrate<DB: sqlx::Database>(pool: &sqlx::Pool<DB>, dialect: Dialect)
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    migrate_schema(pool, &full_schema(DEFAULT_PREFIX), dialect).await;
}

/// Creates every table of `schema` through `pool` (the fixture test passes its own).
pub async fn migrate_schema<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    schema: &yauth_migration::Schema,
    dialect: Dialect,
) where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    let sql = MigrationSql::between(None, schema, dialect).expect("the schema migrates");
    for s in sql.up {
        sqlx::raw_sql(sqlx::AssertSqlSafe(s.clone()))
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

/// A migrated PostgreSQL database in the given PostgreSQL schema (`public` by default).
pub async fn postgres_database(tag: &str) -> String {
    let admin = PgPool::connect(&format!("{}/postgres", pg_server()))
        .await
        .expect("PostgreSQL is running on 127.0.0.1:5432 (scripts/services.sh starts it)");
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'yauth_conf_%'",
    )
    .fetch_all(&admin)
    .await
    .expect("list databases");
    for name in existing.iter().filter(|n| abandoned(n, tag)) {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&admin)
        .await;
    }
    let name = scratch_name(tag);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .expect("drop old database");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    format!("{}/{name}", pg_server())
}

pub async fn mysql_database(tag: &str) -> String {
    let admin = MySqlPool::connect(&mysql_server())
        .await
        .expect("MariaDB is running on 127.0.0.1:3306 (scripts/services.sh starts it)");
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata WHERE schema_name LIKE 'yauth_conf_%'",
    )
    .fetch_all(&admin)
    .await
    .expect("list databases");
    let name = scratch_name(tag);
    for old in existing.iter().filter(|n| abandoned(n, tag) || **n == name) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS `{old}`"
        )))
        .execute(&admin)
        .await
        .expect("drop old database");
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    format!("{}/{name}", mysql_server())
}

/// A fresh SQLite file (its folder is under the system temp dir).
pub fn sqlite_file(tag: &str) -> PathBuf {
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if abandoned(&name, tag) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = tmp.join(scratch_name(tag));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("yauth.db")
}

/// SQLite options for every pool the tests open: WAL so readers never wait for the writer,
/// foreign keys on, and a generous busy timeout so that a racing writer waits for the lock
/// instead of failing. Should it still time out, the operation fails with an error, which a
/// race counts as a loss: SQLite serialises writers, so it can never produce a second winner.
pub fn sqlite_options(path: &std::path::Path) -> sqlx::sqlite::SqliteConnectOptions {
    sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .expect("sqlite url")
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(60))
        .disable_statement_logging()
}

pub async fn memory() -> Repositories {
    yauth_backend_memory::InMemoryBackend::new().repositories()
}

pub async fn sqlx_pg() -> Repositories {
    let url = postgres_database("sqlx_pg").await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await
        .expect("connect");
    migrate(&pool, Dialect::Postgres).await;
    yauth_backend_sqlx_pg::SqlxPgBackend::from_pool(pool).repositories()
}

pub async fn sqlx_mysql() -> Repositories {
    let url = mysql_database("sqlx_mysql").await;
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await
        .expect("connect");
    migrate(&pool, Dialect::Mysql).await;
    yauth_backend_sqlx_mysql::SqlxMysqlBackend::from_pool(pool).repositories()
}

pub async fn sqlx_sqlite() -> Repositories {
    let path = sqlite_file("sqlx_sqlite");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(sqlite_options(&path))
        .await
        .expect("open sqlite");
    migrate(&pool, Dialect::Sqlite).await;
    yauth_backend_sqlx_sqlite::SqlxSqliteBackend::from_pool(pool).repositories()
}

/// A deadpool pool of 16 connections from a diesel-async manager.
macro_rules! diesel_pool {
    ($manager:expr) => {
        diesel_async::pooled_connection::deadpool::Pool::builder($manager)
            .max_size(16)
            .build()
            .expect("a deadpool pool")
    };
}

pub async fn diesel_pg() -> Repositories {
    let url = postgres_database("diesel_pg").await;
    let admin = PgPool::connect(&url).await.expect("connect");
    migrate(&admin, Dialect::Postgres).await;
    admin.close().await;
    let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
        diesel_async::AsyncPgConnection,
    >::new(url);
    yauth_backend_diesel_pg::DieselPgBackend::from_pool(diesel_pool!(manager)).repositories()
}

pub async fn diesel_mysql() -> Repositories {
    let url = mysql_database("diesel_mysql").await;
    let admin = MySqlPool::connect(&url).await.expect("connect");
    migrate(&admin, Dialect::Mysql).await;
    admin.close().await;
    let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
        diesel_async::AsyncMysqlConnection,
    >::new(url);
    yauth_backend_diesel_mysql::DieselMysqlBackend::from_pool(diesel_pool!(manager)).repositories()
}

pub async fn diesel_sqlite() -> Repositories {
    let path = sqlite_file("diesel_sqlite");
    let admin = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(sqlite_options(&path))
        .await
        .expect("open sqlite");
    migrate(&admin, Dialect::Sqlite).await;
    admin.close().await;
    let manager =
        yauth_backend_diesel_sqlite::DieselSqliteBackend::manager(&path.display().to_string());
    yauth_backend_diesel_sqlite::DieselSqliteBackend::from_pool(diesel_pool!(manager))
        .repositories()
}

pub async fn seaorm_pg() -> Repositories {
    let url = postgres_database("seaorm_pg").await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await
        .expect("connect");
    migrate(&pool, Dialect::Postgres).await;
    let db = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    yauth_backend_seaorm_pg::SeaOrmPgBackend::from_connection(db).repositories()
}

pub async fn seaorm_mysql() -> Repositories {
    let url = mysql_database("seaorm_mysql").await;
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await
        .expect("connect");
    migrate(&pool, Dialect::Mysql).await;
    let db = sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(pool);
    yauth_backend_seaorm_mysql::SeaOrmMysqlBackend::from_connection(db).repositories()
}

pub async fn seaorm_sqlite() -> Repositories {
    let path = sqlite_file("seaorm_sqlite");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(sqlite_options(&path))
        .await
        .expect("open sqlite");
    migrate(&pool, Dialect::Sqlite).await;
    let db = sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    yauth_backend_seaorm_sqlite::SeaOrmSqliteBackend::from_connection(db).repositories()
}

/// sqlx, diesel and sea-orm backends on one migrated database (a PostgreSQL or MySQL URL, or
/// a SQLite file path), for the cross-ORM tests.
pub async fn open_every_orm(dialect: Dialect, target: &str) -> Vec<(&'static str, Repositories)> {
    match dialect {
        Dialect::Postgres => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(4)
                .connect(target)
                .await
                .expect("connect");
            migrate(&pool, Dialect::Postgres).await;
            let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
                diesel_async::AsyncPgConnection,
            >::new(target);
            vec![
                (
                    "sqlx",
                    yauth_backend_sqlx_pg::SqlxPgBackend::from_pool(pool.clone()).repositories(),
                ),
                (
                    "diesel",
                    yauth_backend_diesel_pg::DieselPgBackend::from_pool(diesel_pool!(manager))
                        .repositories(),
                ),
                (
                    "sea-orm",
                    yauth_backend_seaorm_pg::SeaOrmPgBackend::from_connection(
                        sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
                    )
                    .repositories(),
                ),
            ]
        }
        Dialect::Mysql => {
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(4)
                .connect(target)
                .await
                .expect("connect");
            migrate(&pool, Dialect::Mysql).await;
            let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
                diesel_async::AsyncMysqlConnection,
            >::new(target);
            vec![
                (
                    "sqlx",
                    yauth_backend_sqlx_mysql::SqlxMysqlBackend::from_pool(pool.clone())
                        .repositories(),
                ),
                (
                    "diesel",
                    yauth_backend_diesel_mysql::DieselMysqlBackend::from_pool(diesel_pool!(
                        manager
                    ))
                    .repositories(),
                ),
                (
                    "sea-orm",
                    yauth_backend_seaorm_mysql::SeaOrmMysqlBackend::from_connection(
                        sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(pool),
                    )
                    .repositories(),
                ),
            ]
        }
        Dialect::Sqlite => {
            let path = std::path::Path::new(target);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(sqlite_options(path))
                .await
                .expect("open sqlite");
            migrate(&pool, Dialect::Sqlite).await;
            let manager = yauth_backend_diesel_sqlite::DieselSqliteBackend::manager(target);
            vec![
                (
                    "sqlx",
                    yauth_backend_sqlx_sqlite::SqlxSqliteBackend::from_pool(pool.clone())
                        .repositories(),
                ),
                (
                    "diesel",
                    yauth_backend_diesel_sqlite::DieselSqliteBackend::from_pool(diesel_pool!(
                        manager
                    ))
                    .repositories(),
                ),
                (
                    "sea-orm",
                    yauth_backend_seaorm_sqlite::SeaOrmSqliteBackend::from_connection(
                        sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
                    )
                    .repositories(),
                ),
            ]
        }
    }
}

/// A migrated database whose yauth tables live in the PostgreSQL schema `auth`; the
/// returned URL's connections keep the default `search_path` (`public`).
pub async fn postgres_database_with_schema(tag: &str, schema: &str) -> String {
    let url = postgres_database(tag).await;
    let admin = PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    // Only the migrating pool looks in the schema first.
    let set_path = format!("SET search_path TO \"{schema}\"");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .after_connect(move |conn, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                sqlx::raw_sql(sqlx::AssertSqlSafe(set_path))
                    .execute(conn)
                    .await
                    .map(drop)
            })
        })
        .connect(&url)
        .await
        .expect("connect");
    migrate(&pool, Dialect::Postgres).await;
    pool.close().await;
    url
}

/// diesel-pg with `from_pool_with_schema(pool, "auth")`, on a pool whose connections are
/// left at the default `search_path`.
pub async fn diesel_pg_schema() -> Repositories {
    let url = postgres_database_with_schema("diesel_pg_schema", "auth").await;
    let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
        diesel_async::AsyncPgConnection,
    >::new(url);
    yauth_backend_diesel_pg::DieselPgBackend::from_pool_with_schema(diesel_pool!(manager), "auth")
        .repositories()
}

/// One PostgreSQL backend (`sqlx`, `diesel` or `sea-orm`) on a single connection, with the
/// pool's checkout health check off, for counting statements.
pub async fn counted_pg(orm: &str, url: &str) -> Repositories {
    let sqlx_pool = || async {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect(url)
            .await
            .expect("connect")
    };
    match orm {
        "sqlx" => yauth_backend_sqlx_pg::SqlxPgBackend::from_pool(sqlx_pool().await).repositories(),
        "diesel" => {
            let mut config = diesel_async::pooled_connection::ManagerConfig::default();
            config.recycling_method = diesel_async::pooled_connection::RecyclingMethod::Fast;
            let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
                diesel_async::AsyncPgConnection,
            >::new_with_config(url, config);
            let pool = diesel_async::pooled_connection::deadpool::Pool::builder(manager)
                .max_size(1)
                .build()
                .expect("pool");
            yauth_backend_diesel_pg::DieselPgBackend::from_pool(pool).repositories()
        }
        _ => yauth_backend_seaorm_pg::SeaOrmPgBackend::from_connection(
            sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(sqlx_pool().await),
        )
        .repositories(),
    }
}

/// [`counted_pg`] for MySQL.
pub async fn counted_mysql(orm: &str, url: &str) -> Repositories {
    let sqlx_pool = || async {
        sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect(url)
            .await
            .expect("connect")
    };
    match orm {
        "sqlx" => {
            yauth_backend_sqlx_mysql::SqlxMysqlBackend::from_pool(sqlx_pool().await).repositories()
        }
        "diesel" => {
            let mut config = diesel_async::pooled_connection::ManagerConfig::default();
            config.recycling_method = diesel_async::pooled_connection::RecyclingMethod::Fast;
            let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
                diesel_async::AsyncMysqlConnection,
            >::new_with_config(url, config);
            let pool = diesel_async::pooled_connection::deadpool::Pool::builder(manager)
                .max_size(1)
                .build()
                .expect("pool");
            yauth_backend_diesel_mysql::DieselMysqlBackend::from_pool(pool).repositories()
        }
        _ => yauth_backend_seaorm_mysql::SeaOrmMysqlBackend::from_connection(
            sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(sqlx_pool().await),
        )
        .repositories(),
    }
}
