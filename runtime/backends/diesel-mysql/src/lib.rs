//! yauth's diesel backend for MySQL and MariaDB: diesel-async over a deadpool pool that the
//! application created. The operations are generated (`generated.rs`); they run the same SQL
//! as the other backends through `diesel::sql_query`.

mod generated;

pub use generated::DieselMysqlBackend;
