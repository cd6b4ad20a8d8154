//! yauth's diesel backend for MySQL and MariaDB: diesel-async over a deadpool pool that the
//! application created. The operations are generated (`generated.rs`); they run the same SQL
//! as the other backends through `diesel::sql_query`.

use std::sync::Arc;

use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use yauth_entity::RepoError;

mod generated;

/// yauth's repositories over a diesel-async deadpool of MySQL connections.
#[derive(Clone)]
pub struct DieselMysqlBackend {
    pool: Pool<AsyncMysqlConnection>,
    statements: Arc<generated::Statements>,
}

impl DieselMysqlBackend {
    /// Uses `pool`, whose database holds yauth's tables.
    pub fn from_pool(pool: Pool<AsyncMysqlConnection>) -> Self {
        Self {
            pool,
            statements: Arc::new(generated::Statements::new("")),
        }
    }

    /// The pool the backend runs on.
    pub fn pool(&self) -> &Pool<AsyncMysqlConnection> {
        &self.pool
    }

    async fn conn(&self) -> Result<Object<AsyncMysqlConnection>, RepoError> {
        self.pool
            .get()
            .await
            .map_err(|e| RepoError::internal("diesel connection pool", e))
    }
}
