//! yauth's backend over [toasty](https://docs.rs/toasty): the repositories over a
//! `toasty::Db` on PostgreSQL, MySQL/MariaDB or SQLite, one feature and one backend per
//! database ([`ToastyPgBackend`], [`ToastyMysqlBackend`], [`ToastySqliteBackend`]).
//!
//! The operations are generated (`generated_<dialect>.rs`) from yauth's query catalogue:
//! the same SQL text as yauth's other backends for the dialect, run through toasty's raw
//! statements (`toasty::sql`), each value bound with its toasty database type. toasty's
//! typed query API cannot express several operations atomically (a claim that reports
//! whether it changed a row, a counted delete, an increment that returns the new value,
//! the rate-limit upsert, MySQL's upserts), so every operation takes this one path and
//! behaves as on the other backends; `docs/backends.md` lists the differences.
//!
//! The backend expects yauth's tables as yauth's SQL creates them, with their foreign keys
//! and cascades: [`create_tables`] creates them (every plugin, prefix `yauth_`) in an empty
//! database. toasty's `push_schema` from the models `cargo yauth generate` writes creates no
//! foreign keys, so do not create yauth's tables that way for this backend.
//!
//! It is its own crate with its own lockfile: toasty's SQLite driver links a libsqlite3-sys
//! that yauth's workspace (sqlx) does not accept.
//!
//! On SQLite, toasty's driver runs rusqlite's blocking calls on the runtime's threads (a
//! writer waiting for the lock blocks its thread up to rusqlite's 5 s busy timeout), so the
//! backend runs one operation at a time, and turns foreign keys on for each operation's
//! connection.
//!
//! toasty logs each statement on the `toasty::query` target, a failed one with the driver's
//! error, which can quote values (PostgreSQL's `DETAIL`, MySQL's duplicate entry): keep that
//! target below `DEBUG` and build the `Db` with `slow_statement_threshold(None)` in
//! production, and set `pool_wait_timeout` / `pool_create_timeout` (none by default).

mod support;

#[cfg(feature = "mysql")]
mod generated_mysql;
#[cfg(feature = "postgresql")]
mod generated_pg;
#[cfg(feature = "sqlite")]
mod generated_sqlite;

#[cfg(feature = "mysql")]
pub use generated_mysql::ToastyMysqlBackend;
#[cfg(feature = "postgresql")]
pub use generated_pg::ToastyPgBackend;
#[cfg(feature = "sqlite")]
pub use generated_sqlite::ToastySqliteBackend;
/// The toasty this crate is built on, for opening the `Db`.
pub use toasty;
/// The SQL dialects, for [`create_tables`].
pub use yauth_migration::Dialect;

use yauth_entity::RepoError;

/// Creates yauth's tables (every plugin's, prefix `yauth_`, with their indexes and foreign
/// keys) in `db`, which must not hold them yet: the statements `cargo yauth generate` writes
/// for a fresh database of the dialect. For a database with a migration history, apply the
/// generated migrations instead.
pub async fn create_tables(db: &toasty::Db, dialect: Dialect) -> Result<(), RepoError> {
    let schema = yauth_migration::builtin::full_schema(yauth_migration::builtin::DEFAULT_PREFIX);
    let sql = yauth_migration::diff::MigrationSql::between(None, &schema, dialect)
        .map_err(|e| RepoError::internal("yauth's schema", e))?;
    let mut conn = db.connection().await.map_err(support::db_err)?;
    // PostgreSQL and SQLite roll DDL back: all tables or none. MySQL commits each statement.
    let mut tx = toasty::Executor::transaction(&mut conn)
        .await
        .map_err(support::db_err)?;
    for statement in sql.up {
        toasty::sql::statement(statement)
            .exec(&mut tx)
            .await
            .map_err(support::db_err)?;
    }
    tx.commit().await.map_err(support::db_err)
}
