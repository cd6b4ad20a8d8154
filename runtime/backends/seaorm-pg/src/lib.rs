//! yauth's sea-orm backend for postgres, over a `DatabaseConnection` the application opened.
//! The operations are generated (`generated.rs`) and run the same SQL as the other backends
//! as raw statements. yauth's tables are also exported as sea-orm entities ([`entities`]),
//! for the application's own queries.

pub mod entities;
mod generated;

pub use generated::SeaOrmPgBackend;
