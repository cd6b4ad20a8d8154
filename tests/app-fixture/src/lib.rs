//! A fixture application: what a team that uses yauth has in its own crate. Its tables are
//! named `auth_*`, not `yauth_*`, so yauth's built-in backends cannot serve it; instead
//! `cargo yauth generate` (with `repositories = true`) wrote one repositories module per
//! `yauth-*.toml` into `src/`, and the application hands one of them to `YAuthBuilder::new`
//! like a built-in backend. [`open`] migrates a scratch database with the migrations that
//! were generated beside each module and returns that backend.

/// `yauth-diesel-sqlite.toml`: diesel-async on SQLite.
pub mod diesel_sqlite;
/// `yauth-seaorm-sqlite.toml`: sea-orm on SQLite.
pub mod seaorm_sqlite;
/// `yauth-sqlx-mysql.toml`: sqlx on MySQL / MariaDB.
pub mod sqlx_mysql;
/// `yauth-sqlx-pg.toml`: sqlx on PostgreSQL.
pub mod sqlx_pg;
/// `yauth-sqlx-sqlite.toml`: sqlx on SQLite.
pub mod sqlx_sqlite;

pub mod open;

/// The fixture's table prefix, as every `yauth-*.toml` sets it.
pub const PREFIX: &str = "auth_";
