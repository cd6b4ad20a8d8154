//! yauth's diesel backend for SQLite: diesel's native `SqliteConnection` (bundled SQLite)
//! behind diesel-async's `SyncConnectionWrapper`, over a deadpool pool. The operations are
//! generated (`generated.rs`).
//!
//! SQLite enforces foreign keys only when a connection asks for it: build the pool with
//! [`DieselSqliteBackend::manager`], which also turns on WAL and a busy timeout, or run the
//! same pragmas in your own manager's setup.

use std::sync::Arc;

use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use yauth_entity::RepoError;

mod generated;

/// A SQLite connection usable from async code.
pub type SqliteAsyncConnection = SyncConnectionWrapper<SqliteConnection>;

/// The pragmas every connection gets from [`DieselSqliteBackend::manager`].
pub const CONNECTION_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// yauth's repositories over a deadpool of SQLite connections.
#[derive(Clone)]
pub struct DieselSqliteBackend {
    pool: Pool<SqliteAsyncConnection>,
    statements: Arc<generated::Statements>,
}

impl DieselSqliteBackend {
    /// Uses `pool`, whose database holds yauth's tables. Its connections must have foreign
    /// keys on (see [`DieselSqliteBackend::manager`]).
    pub fn from_pool(pool: Pool<SqliteAsyncConnection>) -> Self {
        Self {
            pool,
            statements: Arc::new(generated::Statements::new("")),
        }
    }

    /// A connection manager for `database_url` (a file path) whose connections run
    /// [`CONNECTION_PRAGMAS`]: foreign keys on, WAL, and a 30 s busy timeout so that
    /// concurrent writers wait for each other instead of failing. Checked-out connections are
    /// not pinged (`RecyclingMethod::Fast`): there is no network link to lose.
    pub fn manager(database_url: &str) -> AsyncDieselConnectionManager<SqliteAsyncConnection> {
        let mut config = ManagerConfig::default();
        // A local file has no network link to verify on checkout.
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(|url| {
            Box::pin(async move {
                let mut conn = SqliteAsyncConnection::establish(url).await?;
                conn.batch_execute(CONNECTION_PRAGMAS)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
        AsyncDieselConnectionManager::new_with_config(database_url, config)
    }

    /// The pool the backend runs on.
    pub fn pool(&self) -> &Pool<SqliteAsyncConnection> {
        &self.pool
    }

    async fn conn(&self) -> Result<Object<SqliteAsyncConnection>, RepoError> {
        self.pool
            .get()
            .await
            .map_err(|e| RepoError::internal("diesel connection pool", e))
    }
}
