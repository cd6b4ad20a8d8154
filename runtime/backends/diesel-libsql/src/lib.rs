//! yauth's diesel backend for libSQL, Turso's SQLite-compatible database, on a local file:
//! diesel-libsql's native async connection (`AsyncLibSqlConnection`) over a deadpool pool.
//! The operations are generated (`generated.rs`) from the same template and SQL as
//! `yauth-backend-diesel-sqlite`.
//!
//! It is its own crate with its own lockfile: libSQL brings its own SQLite, and a process
//! must not load it beside the SQLite of yauth's SQLite backends (sqlx's, or diesel's own
//! driver through diesel-async 0.9). Use it instead of them, never together with them. It is
//! on diesel-async 0.8 (what diesel-libsql 0.1 implements): build the pool with the
//! re-exported [`diesel_async`] and [`DieselLibsqlBackend::manager`], whose connections turn
//! on foreign keys, WAL and a 30 s busy timeout.
//!
//! `manager` takes a local file path. libSQL runs local statements on the calling task, so a
//! query that waits for SQLite's write lock holds a runtime worker while it waits (up to the
//! busy timeout): give the runtime enough workers, or keep other processes off the file.

mod generated;

/// The diesel-async this crate is built on (0.8), for the pool's types.
pub use diesel_async;
/// The diesel-libsql this crate is built on.
pub use diesel_libsql;
pub use generated::{CONNECTION_PRAGMAS, DieselLibsqlBackend, SqliteAsyncConnection};
