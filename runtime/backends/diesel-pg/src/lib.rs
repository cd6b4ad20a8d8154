//! yauth's diesel backend for PostgreSQL: diesel-async over a deadpool pool that the
//! application created. The operations are generated (`generated.rs`); they run the same SQL
//! as the other backends through `diesel::sql_query`.

use std::sync::Arc;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use yauth_entity::RepoError;

mod generated;

/// yauth's repositories over a diesel-async deadpool of PostgreSQL connections.
#[derive(Clone)]
pub struct DieselPgBackend {
    pool: Pool<AsyncPgConnection>,
    statements: Arc<generated::Statements>,
}

impl DieselPgBackend {
    /// Uses `pool`, whose database holds yauth's tables in the connection's default schema
    /// (apply the migrations that `cargo yauth generate` wrote, for example with
    /// `diesel migration run`).
    pub fn from_pool(pool: Pool<AsyncPgConnection>) -> Self {
        Self {
            pool,
            statements: Arc::new(generated::Statements::new("")),
        }
    }

    /// Uses yauth's tables in the PostgreSQL schema `schema` (for example `"auth"`).
    ///
    /// Every statement names its tables as `"schema"."yauth_..."`; the statements are
    /// qualified once, here, so nothing is added per query and the pool's `search_path` is
    /// left as the application set it. Create the schema and apply the migrations inside it
    /// (`SET search_path TO auth` before running them).
    pub fn from_pool_with_schema(pool: Pool<AsyncPgConnection>, schema: &str) -> Self {
        let qualifier = format!("\"{}\".", schema.replace('"', "\"\""));
        Self {
            pool,
            statements: Arc::new(generated::Statements::new(&qualifier)),
        }
    }

    /// The pool the backend runs on.
    pub fn pool(&self) -> &Pool<AsyncPgConnection> {
        &self.pool
    }

    async fn conn(&self) -> Result<Object<AsyncPgConnection>, RepoError> {
        self.pool
            .get()
            .await
            .map_err(|e| RepoError::internal("diesel connection pool", e))
    }
}
