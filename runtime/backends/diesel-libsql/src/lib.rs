//! yauth's diesel backend for libSQL, Turso's SQLite-compatible database, on a local file:
//! diesel-libsql's native async connection (`AsyncLibSqlConnection`) over a deadpool pool.
//! The operations are generated (`generated.rs`) from the same template and SQL as
//! `yauth-backend-diesel-sqlite`.
//!
//! It is its own crate with its own lockfile: libSQL brings its own SQLite, and a process
//! must not load it beside the SQLite of sqlx or of diesel's own driver. Use it instead of
//! (never together with) yauth's SQLite backends. Build the pool with
//! [`DieselLibsqlBackend::manager`], whose connections turn on foreign keys, WAL and a busy
//! timeout.

mod generated;

pub use generated::{CONNECTION_PRAGMAS, DieselLibsqlBackend, SqliteAsyncConnection};
