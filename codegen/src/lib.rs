//! yauth's generator: renders the schema of `yauth-migration` into ORM files (diesel
//! `table!`, sea-orm entities and migration crate, toasty models) from the templates of
//! `yauth-templates`, and compares generated files with the disk.

pub mod compare;
pub mod diesel;
pub mod docs;
pub mod project;
pub mod render;
pub mod repo;
pub mod seaorm;
pub mod toasty;

pub use project::project_files;

#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    #[error(transparent)]
    Schema(#[from] yauth_migration::SchemaError),
    #[error("template error: {0}")]
    Template(String),
    #[error("cannot generate: {0}")]
    Unsupported(String),
}
