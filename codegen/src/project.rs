//! Every file `cargo yauth generate` owns in a user's project, computed from `yauth.toml` and
//! the snapshot, never from the clock: the same inputs give the same bytes.

use yauth_migration::layout::{FileKind, GeneratedFile, Snapshot, desired_schema, migration_files};
use yauth_migration::{Config, Orm};

use crate::CodegenError;

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
    Ok(files)
}
