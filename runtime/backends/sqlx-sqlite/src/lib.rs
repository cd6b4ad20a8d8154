//! yauth's sqlx backend for sqlite. Every query is checked at compile time by `sqlx::query!`;
//! the checks run against the committed `.sqlx` data unless `YAUTH_SQLX_SQLITE_URL` is set, so building
//! needs no database (see `sqlx.toml`). The operations are generated (`generated.rs`).

mod generated;

pub use generated::SqlxSqliteBackend;
