//! yauth's sqlx backend for postgres. Every query is checked at compile time by `sqlx::query!`;
//! the checks run against the committed `.sqlx` data unless `YAUTH_SQLX_PG_URL` is set, so building
//! needs no database (see `sqlx.toml`). The operations are generated (`generated.rs`).

mod generated;

/// yauth's repositories over a sqlx `PgPool` that the application created.
#[derive(Debug, Clone)]
pub struct SqlxPgBackend {
    pool: sqlx::PgPool,
}

impl SqlxPgBackend {
    /// Uses `pool`, whose database already holds yauth's tables (apply the migrations that
    /// `cargo yauth generate` wrote, for example with `sqlx migrate run`).
    pub fn from_pool(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }

    /// The pool the backend runs on.
    pub fn pool(&self) -> &sqlx::PgPool {
        &self.pool
    }
}
