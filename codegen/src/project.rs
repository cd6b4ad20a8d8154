//! Every file `cargo yauth generate` owns in a user's project, computed from `yauth.toml` and
//! the snapshot, never from the clock: the same inputs give the same bytes.

use yauth_migration::layout::{FileKind, GeneratedFile, Snapshot, desired_schema, migration_files};
use yauth_migration::{Config, Orm};

use crate::CodegenError;

/// The repositories module of `repositories = true`: every repository trait of yauth-entity
/// for the configured ORM and dialect over tables named with the configured prefix, the
/// users table with the configured extra columns. It covers
/// every table of every plugin, because `YAuthBuilder` takes a backend that implements them
/// all; the tables of plugins that are off are simply never queried.
pub fn repositories_module(config: &Config) -> Result<String, CodegenError> {
    let backend = match config.orm {
        Orm::Sqlx => crate::repo::Backend::Sqlx(config.dialect),
        Orm::Diesel => crate::repo::Backend::Diesel(config.dialect),
        Orm::Seaorm => crate::repo::Backend::SeaOrm(config.dialect),
        Orm::Toasty => {
            return Err(CodegenError::Unsupported(
                "repositories are generated for diesel, sqlx and seaorm".into(),
            ));
        }
    };
    let mut schema = yauth_migration::builtin::full_schema(&config.table_prefix);
    yauth_migration::layout::add_user_columns(&mut schema, config);
    let catalogue = yauth_migration::queries::catalogue();
    crate::repo::application_module(&schema, &catalogue, backend, &config.user_columns)
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// The files for `config` once `snapshot` is up to date (see `yauth_migration::layout::plan`).
pub fn project_files(
    config: &Config,
    snapshot: &Snapshot,
) -> Result<Vec<GeneratedFile>, CodegenError> {
    let mut files = migration_files(config, snapshot)?;
    let derived = |path: String, contents: String| GeneratedFile {
        recorded_sha256: None,
        path,
        contents,
        kind: FileKind::Derived,
    };
    match config.orm {
        Orm::Diesel => {
            if let Some(schema) = snapshot.last_schema() {
                files.push(derived(
                    config.schema_file.clone(),
                    crate::diesel::schema_rs(schema, config.dialect)?,
                ));
            }
        }
        Orm::Sqlx => {}
        Orm::Seaorm => {
            if let Some(schema) = snapshot.last_schema() {
                for (name, contents) in crate::seaorm::entities(schema, config.dialect)? {
                    files.push(derived(join(&config.entities_dir, &name), contents));
                }
            }
            for (name, contents, kind) in crate::seaorm::migration_crate(config.dialect, snapshot)?
            {
                files.push(GeneratedFile {
                    path: join(&config.migrations_dir, &name),
                    contents,
                    kind,
                    recorded_sha256: None,
                });
            }
        }
        Orm::Toasty => {
            let (_, schema) = desired_schema(config)?;
            for (name, contents) in crate::toasty::models(&schema, config.dialect)? {
                files.push(derived(join(&config.models_dir, &name), contents));
            }
        }
    }
    if let Some(path) = &config.repositories_file {
        files.push(derived(path.clone(), repositories_module(config)?));
    }
    Ok(files)
}
