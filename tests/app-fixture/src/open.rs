//! Scratch databases for the tests, migrated with the migrations `cargo yauth generate` wrote
//! for each `yauth-*.toml` (sqlx's own migrator for the sqlx variants; the diesel and sea-orm
//! variants' `up.sql` files applied in order), and the generated backend over each.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use diesel_async::pooled_connection::deadpool::Pool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// The folder of a `yauth-*.toml`'s migrations (`migrations/<variant>`).
pub fn migrations(variant: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(variant)
}

/// The server the PostgreSQL variants use (`YAUTH_TEST_PG_URL`, without a database).
pub fn pg_server() -> String {
    std::env::var("YAUTH_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_string()
}

/// `auth_fixture_<tag>_<pid>`: one scratch database or file per test binary.
fn scratch_name(tag: &str) -> String {
    format!("auth_fixture_{tag}_{}", std::process::id())
}

/// Whether a scratch name belongs to a test binary that no longer runs.
fn abandoned(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("auth_fixture_") else {
        return false;
    };
    rest.rsplit('_')
        .next()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        })
}

/// A fresh SQLite file under the system temp dir.
pub fn sqlite_file(tag: &str) -> PathBuf {
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            if abandoned(&entry.file_name().to_string_lossy()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = tmp.join(scratch_name(tag));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("app.db")
}

/// WAL, foreign keys on, and a busy timeout long enough for the suite's races.
pub fn sqlite_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .expect("sqlite url")
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(60))
}

async fn sqlite_pool(path: &Path, connections: u32) -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(connections)
        .connect_with(sqlite_options(path))
        .await
        .expect("open sqlite")
}

/// Runs sqlx's migrator over a sqlx variant's folder, as `sqlx migrate run` would.
async fn sqlx_migrate<DB: sqlx::Database>(pool: &sqlx::Pool<DB>, variant: &str)
where
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
{
    sqlx::migrate::Migrator::new(migrations(variant))
        .await
        .expect("the generated migrations are readable")
        .run(pool)
        .await
        .expect("the generated migrations apply");
}

/// Applies every `up.sql` under a folder, in path order (the versions sort).
async fn apply_up_files(pool: &SqlitePool, dir: &Path) {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("a migrations folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == "up.sql") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no up.sql under {}", dir.display());
    for file in files {
        let sql = std::fs::read_to_string(&file).expect("readable migration");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
}

pub async fn sqlx_sqlite() -> crate::sqlx_sqlite::Backend {
    let pool = sqlite_pool(&sqlite_file("sqlx_sqlite"), 8).await;
    sqlx_migrate(&pool, "sqlx-sqlite").await;
    crate::sqlx_sqlite::Backend::from_pool(pool)
}

/// A fresh PostgreSQL database; abandoned ones of earlier runs are dropped.
pub async fn postgres_database(tag: &str) -> String {
    let admin = sqlx::PgPool::connect(&format!("{}/postgres", pg_server()))
        .await
        .expect("PostgreSQL is running on 127.0.0.1:5432 (scripts/services.sh starts it)");
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'auth_fixture_%'",
    )
    .fetch_all(&admin)
    .await
    .expect("list databases");
    let name = scratch_name(tag);
    for old in existing.iter().filter(|n| abandoned(n) || **n == name) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"
        )))
        .execute(&admin)
        .await
        .expect("drop an old database");
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    format!("{}/{name}", pg_server())
}

pub async fn sqlx_pg() -> crate::sqlx_pg::Backend {
    let url = postgres_database("sqlx_pg").await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await
        .expect("connect");
    sqlx_migrate(&pool, "sqlx-pg").await;
    crate::sqlx_pg::Backend::from_pool(pool)
}

/// The MariaDB server the MySQL variant uses (`YAUTH_TEST_MYSQL_URL`, without a database).
pub fn mysql_server() -> String {
    std::env::var("YAUTH_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
        .trim_end_matches('/')
        .to_string()
}

/// A fresh MariaDB database; abandoned ones of earlier runs are dropped.
pub async fn mysql_database(tag: &str) -> String {
    let admin = sqlx::MySqlPool::connect(&mysql_server())
        .await
        .expect("MariaDB is running on 127.0.0.1:3306 (scripts/services.sh starts it)");
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata WHERE schema_name LIKE 'auth_fixture_%'",
    )
    .fetch_all(&admin)
    .await
    .expect("list databases");
    let name = scratch_name(tag);
    for old in existing.iter().filter(|n| abandoned(n) || **n == name) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS `{old}`"
        )))
        .execute(&admin)
        .await
        .expect("drop an old database");
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    format!("{}/{name}", mysql_server())
}

pub async fn sqlx_mysql() -> crate::sqlx_mysql::Backend {
    let url = mysql_database("sqlx_mysql").await;
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await
        .expect("connect");
    sqlx_migrate(&pool, "sqlx-mysql").await;
    crate::sqlx_mysql::Backend::from_pool(pool)
}

pub async fn diesel_sqlite() -> crate::diesel_sqlite::Backend {
    let path = sqlite_file("diesel_sqlite");
    let admin = sqlite_pool(&path, 1).await;
    apply_up_files(&admin, &migrations("diesel-sqlite")).await;
    admin.close().await;
    let manager = crate::diesel_sqlite::Backend::manager(&path.display().to_string());
    let pool = Pool::builder(manager)
        .max_size(16)
        .build()
        .expect("a deadpool pool");
    crate::diesel_sqlite::Backend::from_pool(pool)
}

pub async fn seaorm_sqlite() -> crate::seaorm_sqlite::Backend {
    let pool = sqlite_pool(&sqlite_file("seaorm_sqlite"), 8).await;
    apply_up_files(&pool, &migrations("seaorm-sqlite").join("sql")).await;
    let db = sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    crate::seaorm_sqlite::Backend::from_pool(db)
}
