//! yauth's diesel backend for SQLite: diesel's native `SqliteConnection` (bundled SQLite)
//! behind diesel-async's `SyncConnectionWrapper`, over a deadpool pool. The operations are
//! generated (`generated.rs`).
//!
//! SQLite enforces foreign keys only when a connection asks for it: build the pool with
//! [`DieselSqliteBackend::manager`], which also turns on WAL and a busy timeout, or run the
//! same pragmas in your own manager's setup.

mod generated;

pub use generated::{CONNECTION_PRAGMAS, DieselSqliteBackend, SqliteAsyncConnection};
