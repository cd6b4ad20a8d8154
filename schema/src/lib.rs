//! yauth's declarative schema: tables as data, the dialect type table, the diff engine and
//! the migration files of each ORM. This crate depends on no ORM.
//!
//! ```
//! use yauth_migration::{builtin, dialect::Dialect, diff::MigrationSql, plugins};
//!
//! let active = plugins::resolve(&["oidc".to_string()]).unwrap().active;
//! assert_eq!(active, ["bearer", "oauth2-server", "oidc"]);
//! let schema = builtin::schema_for(&active, builtin::DEFAULT_PREFIX).unwrap();
//! let sql = MigrationSql::between(None, &schema, Dialect::Postgres).unwrap();
//! assert!(sql.up[0].starts_with("CREATE TABLE \"yauth_users\""));
//! assert_eq!(sql.down.last().unwrap(), "DROP TABLE \"yauth_users\"");
//! ```

pub mod builtin;
pub mod config;
pub mod dialect;
pub mod diff;
pub mod layout;
pub mod plugins;
pub mod queries;
pub mod types;

pub use config::{Config, Orm, UserColumn};
pub use dialect::Dialect;
pub use types::{Column, ColumnDefault, ForeignKey, Index, LogicalType, OnDelete, Schema, Table};

/// Everything that can go wrong while reading a configuration or generating from it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchemaError {
    #[error("unknown plugin `{0}` (run `cargo yauth status` to list the plugins)")]
    UnknownPlugin(String),
    #[error("invalid yauth.toml: {0}")]
    Config(String),
    #[error("invalid schema: {0}")]
    Invalid(String),
    #[error("unsupported schema change: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Snapshot(String),
}
