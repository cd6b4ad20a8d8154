//! The conformance suite on diesel-libsql, over a local libSQL file migrated with the
//! built-in schema's SQLite DDL. Its own test binary, with none of yauth's SQLite backends.

use diesel_async::SimpleAsyncConnection as _;
use diesel_async::pooled_connection::deadpool::Pool;
use yauth_backend_diesel_libsql::DieselLibsqlBackend;
use yauth_entity::{DatabaseBackend as _, Repositories};
use yauth_migration::Dialect;
use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};
use yauth_migration::diff::MigrationSql;

/// A fresh libSQL file under the system temp dir, one per test process.
fn scratch_file() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("yauth_conf_libsql_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("yauth.db")
}

async fn open() -> Repositories {
    let path = scratch_file().display().to_string();
    let pool = Pool::builder(DieselLibsqlBackend::manager(&path))
        .max_size(16)
        .build()
        .expect("a deadpool pool");
    let mut conn = pool.get().await.expect("a libSQL connection");
    let sql = MigrationSql::between(None, &full_schema(DEFAULT_PREFIX), Dialect::Sqlite)
        .expect("the schema migrates");
    for statement in sql.up {
        conn.batch_execute(&statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    drop(conn);
    DieselLibsqlBackend::from_pool(pool).repositories()
}

yauth_conformance_suite::conformance_tests!(open());
