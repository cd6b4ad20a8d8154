//! yauth's sqlx backend for mysql. Every query is checked at compile time by `sqlx::query!`;
//! the checks run against the committed `.sqlx` data unless `YAUTH_SQLX_MYSQL_URL` is set, so building
//! needs no database (see `sqlx.toml`). The operations are generated (`generated.rs`).

mod generated;

/// yauth's repositories over a sqlx `MySqlPool` that the application created.
#[derive(Debug, Clone)]
pub struct SqlxMysqlBackend {
    pool: sqlx::MySqlPool,
}

impl SqlxMysqlBackend {
    /// Uses `pool`, whose database already holds yauth's tables (apply the migrations that
    /// `cargo yauth generate` wrote, for example with `sqlx migrate run`).
    pub fn from_pool(pool: sqlx::MySqlPool) -> Self {
        Self { pool }
    }

    /// The pool the backend runs on.
    pub fn pool(&self) -> &sqlx::MySqlPool {
        &self.pool
    }
}
