//! yauth's sea-orm backend for postgres, over a `DatabaseConnection` the application opened.
//! The operations are generated (`generated.rs`) and run the same SQL as the other backends
//! as raw statements. yauth's tables are also exported as sea-orm entities ([`entities`]),
//! for the application's own queries.

pub mod entities;
mod generated;

/// yauth's repositories over a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmPgBackend {
    db: sea_orm::DatabaseConnection,
}

impl SeaOrmPgBackend {
    /// Uses `db`, whose database holds yauth's tables (apply the migrations that
    /// `cargo yauth generate` wrote, for example with its generated migration crate).
    pub fn from_connection(db: sea_orm::DatabaseConnection) -> Self {
        Self { db }
    }

    /// The connection the backend runs on.
    pub fn connection(&self) -> &sea_orm::DatabaseConnection {
        &self.db
    }
}
