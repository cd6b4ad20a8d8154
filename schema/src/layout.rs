//! Migration history and files: the snapshot kept in the migrations folder, how a new step is
//! planned, and the SQL files each ORM expects, with their names.
//!
//! The snapshot (`<migrations_dir>/yauth-snapshot.json`) records every step generated so far:
//! its version, name, the plugins it was made for and the **full schema after it** (tables,
//! columns, indexes, foreign keys, prefix). A step's SQL is always re-derived from the schemas
//! of that step and the one before, so the files of old steps can be checked byte for byte and
//! restored, and a later yauth version can diff its own schema against the last one.

use serde::{Deserialize, Serialize};

use crate::SchemaError;
use crate::builtin::schema_for;
use crate::config::{Config, Orm};
use crate::dialect::Dialect;
use crate::diff::{MigrationSql, sql_file};
use crate::plugins::resolve;
use crate::types::Schema;

/// The snapshot's file name, inside the migrations folder. It has no `_` and does not end in
/// `.sql`, so `sqlx migrate` ignores it; diesel only reads folders.
pub const SNAPSHOT_FILE: &str = "yauth-snapshot.json";
const SNAPSHOT_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub orm: Orm,
    pub dialect: Dialect,
    pub steps: Vec<Step>,
}

/// One generated migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// UTC `YYYYMMDDHHMMSS` of first generation, never changed afterwards.
    pub version: String,
    /// `yauth_init`, `yauth_add_mfa`, `yauth_remove_passkey`, ...
    pub name: String,
    /// The active plugins (dependencies resolved) after this step.
    pub plugins: Vec<String>,
    /// The full schema after this step.
    pub schema: Schema,
    /// SHA-256 (hex) of the step's `up.sql` and `down.sql` as first written. Old migrations
    /// are checked against these, so a later yauth that renders SQL differently never calls an
    /// applied migration stale, and never restores one with different bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_sha256: Option<SqlHashes>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlHashes {
    pub up: String,
    pub down: String,
}

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Snapshot {
    pub fn new(orm: Orm, dialect: Dialect) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            orm,
            dialect,
            steps: Vec::new(),
        }
    }

    pub fn parse(text: &str) -> Result<Snapshot, SchemaError> {
        let snapshot: Snapshot = serde_json::from_str(text)
            .map_err(|e| SchemaError::Snapshot(format!("cannot read {SNAPSHOT_FILE}: {e}")))?;
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(SchemaError::Snapshot(format!(
                "{SNAPSHOT_FILE} has format {}, this yauth reads format {SNAPSHOT_FORMAT}",
                snapshot.format
            )));
        }
        let invalid = |msg: String| Err(SchemaError::Snapshot(format!("{SNAPSHOT_FILE}: {msg}")));
        let mut last: Option<&str> = None;
        for step in &snapshot.steps {
            // Versions and names become file names: only digits, and lower-case identifiers.
            if step.version.len() != 14 || !step.version.bytes().all(|b| b.is_ascii_digit()) {
                return invalid(format!(
                    "step `{}` has version `{}`, expected YYYYMMDDHHMMSS",
                    step.name, step.version
                ));
            }
            if last.is_some_and(|last| step.version.as_str() <= last) {
                return invalid(format!(
                    "step versions are not increasing at `{}`",
                    step.version
                ));
            }
            if step.name.is_empty()
                || !step
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return invalid(format!(
                    "step name `{}` is not a valid migration name",
                    step.name
                ));
            }
            if let Some(unknown) = step
                .plugins
                .iter()
                .find(|p| crate::plugins::plugin(p).is_none())
            {
                return invalid(format!(
                    "step `{}` lists an unknown plugin `{unknown}`",
                    step.name
                ));
            }
            if let Some(h) = &step.sql_sha256
                && ![&h.up, &h.down]
                    .iter()
                    .all(|x| x.len() == 64 && x.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return invalid(format!("step `{}` has a malformed SQL hash", step.name));
            }
            step.schema.validate()?;
            last = Some(&step.version);
        }
        Ok(snapshot)
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a snapshot always serializes");
        text.push('\n');
        text
    }

    pub fn last_schema(&self) -> Option<&Schema> {
        self.steps.last().map(|s| &s.schema)
    }

    /// The SQL of step `index`: from the schema before it to the schema after it.
    pub fn step_sql(&self, index: usize) -> Result<MigrationSql, SchemaError> {
        let before = index.checked_sub(1).map(|i| &self.steps[i].schema);
        MigrationSql::between(before, &self.steps[index].schema, self.dialect)
    }
}

/// What the configuration asks for now: the active plugins and their schema.
pub fn desired_schema(config: &Config) -> Result<(Vec<String>, Schema), SchemaError> {
    let resolved = resolve(&config.enabled)?;
    let mut schema = schema_for(&resolved.active, &config.table_prefix)?;
    add_user_columns(&mut schema, config);
    Ok((
        resolved.active.iter().map(|s| s.to_string()).collect(),
        schema,
    ))
}

/// Appends the application's extra columns (`[users.extra.*]`) to the users table.
pub fn add_user_columns(schema: &mut Schema, config: &Config) {
    if let Some(users) = schema.tables.iter_mut().find(|t| t.name == "users") {
        users
            .columns
            .extend(config.user_columns.iter().map(|c| c.column()));
    }
}

/// Names a step after what changed in the plugin list.
pub fn step_name(previous: Option<&Step>, plugins: &[String]) -> String {
    let Some(previous) = previous else {
        return "yauth_init".into();
    };
    let mut parts = Vec::new();
    for added in plugins.iter().filter(|p| !previous.plugins.contains(p)) {
        parts.push(format!("add_{}", added.replace('-', "_")));
    }
    for removed in previous.plugins.iter().filter(|p| !plugins.contains(p)) {
        parts.push(format!("remove_{}", removed.replace('-', "_")));
    }
    if parts.is_empty() {
        return "yauth_schema_update".into();
    }
    let mut name = format!("yauth_{}", parts.join("_"));
    if name.len() > 60 {
        name.truncate(60);
        name = name.trim_end_matches('_').to_string();
    }
    name
}

/// Brings the snapshot up to date with `config`. Returns the new step when the schema changed;
/// `version` is asked for only then, with the last version so far, and must return a later one.
pub fn plan(
    config: &Config,
    snapshot: Option<Snapshot>,
    version: impl FnOnce(Option<&str>) -> String,
) -> Result<(Snapshot, Option<Step>), SchemaError> {
    let mut snapshot = snapshot.unwrap_or_else(|| Snapshot::new(config.orm, config.dialect));
    if snapshot.dialect != config.dialect && !snapshot.steps.is_empty() {
        return Err(SchemaError::Unsupported(format!(
            "the migrations were generated for {} but yauth.toml now says {}; start a new migrations_dir",
            snapshot.dialect.name(),
            config.dialect.name()
        )));
    }
    if snapshot.orm != config.orm && !snapshot.steps.is_empty() {
        return Err(SchemaError::Unsupported(format!(
            "the migrations were generated for {} but yauth.toml now says {}; their files are laid out \
             for {}: keep the orm, or start a new migrations_dir",
            snapshot.orm.name(),
            config.orm.name(),
            snapshot.orm.name()
        )));
    }
    snapshot.orm = config.orm;
    let (plugins, schema) = desired_schema(config)?;
    let changed = match snapshot.last_schema() {
        None => true,
        Some(last) => !crate::diff::diff(Some(last), &schema)?.is_empty(),
    };
    if !changed {
        return Ok((snapshot, None));
    }
    // Render the SQL before recording anything: it must be possible, and its hashes are kept.
    let sql = MigrationSql::between(snapshot.last_schema(), &schema, config.dialect)?;
    let sql_sha256 = Some(SqlHashes {
        up: sha256_hex(&sql_file(&sql.up)),
        down: sha256_hex(&sql_file(&sql.down)),
    });
    let last_version = snapshot.steps.last().map(|s| s.version.clone());
    let version = version(last_version.as_deref());
    if let Some(last) = &last_version
        && version.as_str() <= last.as_str()
    {
        return Err(SchemaError::Snapshot(format!(
            "version {version} is not after {last}"
        )));
    }
    let step = Step {
        name: step_name(snapshot.steps.last(), &plugins),
        version,
        plugins,
        schema,
        sql_sha256,
    };
    snapshot.steps.push(step.clone());
    Ok((snapshot, Some(step)))
}

/// A file to write, relative to the directory of `yauth.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
    /// Migration files are written once and never rewritten; other files are kept in sync.
    pub kind: FileKind,
    /// For migrations: the SHA-256 of the contents first written (see [`Step::sql_sha256`]).
    pub recorded_sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An applied migration may exist in a database: never overwritten.
    Migration,
    /// Derived from the snapshot or schema; regenerated freely.
    Derived,
}

/// The folder, inside the migrations folder, where the sea-orm migration crate keeps its SQL.
pub const SEAORM_SQL_DIR: &str = "sql";

/// How `version` (`YYYYMMDDHHMMSS`) starts a migration's file or folder name in each layout:
/// sqlx `YYYYMMDDHHMMSS`, diesel `YYYY-MM-DD-HHMMSS`, sea-orm module `mYYYYMMDD_HHMMSS`.
pub fn version_spellings(version: &str) -> [String; 3] {
    [
        version.to_string(),
        diesel_version(version),
        format!("m{}_{}", &version[0..8], &version[8..14]),
    ]
}

/// `YYYYMMDDHHMMSS` → `YYYY-MM-DD-HHMMSS`, diesel's folder version style.
fn diesel_version(version: &str) -> String {
    format!(
        "{}-{}-{}-{}",
        &version[0..4],
        &version[4..6],
        &version[6..8],
        &version[8..14]
    )
}

/// `m<YYYYMMDD>_<HHMMSS>_<name>`, the module (and migration) name sea-orm uses.
pub fn seaorm_module(step: &Step) -> String {
    format!(
        "m{}_{}_{}",
        &step.version[0..8],
        &step.version[8..14],
        step.name
    )
}

/// Where each step's SQL goes, for each ORM with SQL migrations:
/// - diesel: `<dir>/<YYYY-MM-DD-HHMMSS>_<name>/up.sql` and `down.sql`;
/// - sqlx: `<dir>/<YYYYMMDDHHMMSS>_<name>.up.sql` and `.down.sql` (reversible migrations);
/// - seaorm: `<dir>/sql/<YYYYMMDDHHMMSS>_<name>/up.sql` and `down.sql`, run by the generated
///   migration crate in `<dir>` (see `yauth-codegen`).
pub fn sql_paths(orm: Orm, migrations_dir: &str, step: &Step) -> Option<(String, String)> {
    let dir = migrations_dir.trim_end_matches('/');
    let base = match orm {
        Orm::Diesel => format!("{dir}/{}_{}/", diesel_version(&step.version), step.name),
        Orm::Sqlx => format!("{dir}/{}_{}.", step.version, step.name),
        Orm::Seaorm => format!("{dir}/{SEAORM_SQL_DIR}/{}_{}/", step.version, step.name),
        Orm::Toasty => return None,
    };
    Some((format!("{base}up.sql"), format!("{base}down.sql")))
}

/// The SQL migration files of every step, plus the snapshot itself.
pub fn migration_files(
    config: &Config,
    snapshot: &Snapshot,
) -> Result<Vec<GeneratedFile>, SchemaError> {
    let mut files = Vec::new();
    if !config.orm.has_sql_migrations() {
        return Ok(files);
    }
    for (index, step) in snapshot.steps.iter().enumerate() {
        let sql = snapshot.step_sql(index)?;
        let (up, down) =
            sql_paths(config.orm, &config.migrations_dir, step).expect("SQL ORMs have paths");
        let hashes = step.sql_sha256.as_ref();
        files.push(GeneratedFile {
            path: up,
            contents: sql_file(&sql.up),
            kind: FileKind::Migration,
            recorded_sha256: hashes.map(|h| h.up.clone()),
        });
        files.push(GeneratedFile {
            path: down,
            contents: sql_file(&sql.down),
            kind: FileKind::Migration,
            recorded_sha256: hashes.map(|h| h.down.clone()),
        });
    }
    files.push(GeneratedFile {
        path: snapshot_path(config),
        contents: snapshot.to_json(),
        kind: FileKind::Derived,
        recorded_sha256: None,
    });
    Ok(files)
}

pub fn snapshot_path(config: &Config) -> String {
    format!(
        "{}/{SNAPSHOT_FILE}",
        config.migrations_dir.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(enabled: &[&str]) -> Config {
        let mut text = String::from(
            "[migration]\norm = \"sqlx\"\ndialect = \"postgres\"\n[plugins]\nenabled = [",
        );
        text.push_str(
            &enabled
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", "),
        );
        text.push_str("]\n");
        Config::parse(&text).unwrap()
    }

    #[test]
    fn steps_are_named_after_the_plugin_change() {
        let (snapshot, step) = plan(&config(&["email-password"]), None, |_| {
            "20260101000000".into()
        })
        .unwrap();
        assert_eq!(step.unwrap().name, "yauth_init");
        let (snapshot, step) = plan(&config(&["mfa"]), Some(snapshot), |_| {
            "20260101000001".into()
        })
        .unwrap();
        assert_eq!(step.unwrap().name, "yauth_add_mfa_remove_email_password");
        let (_, step) = plan(&config(&["mfa"]), Some(snapshot), |_| unreachable!()).unwrap();
        assert!(step.is_none(), "no change, no step, no version asked");
    }

    #[test]
    fn snapshot_round_trips_through_json() {
        let (snapshot, _) = plan(&config(&["oidc"]), None, |_| "20260101000000".into()).unwrap();
        assert_eq!(Snapshot::parse(&snapshot.to_json()).unwrap(), snapshot);
    }

    #[test]
    fn unsafe_snapshot_names_are_refused() {
        let (snapshot, _) = plan(&config(&[]), None, |_| "20260101000000".into()).unwrap();
        for (version, name) in [
            ("2026", "yauth_init"),
            ("20260101000000", "../escape"),
            ("2026010100000x", "yauth_init"),
        ] {
            let mut bad = snapshot.clone();
            bad.steps[0].version = version.into();
            bad.steps[0].name = name.into();
            assert!(Snapshot::parse(&bad.to_json()).is_err(), "{version} {name}");
        }
    }

    #[test]
    fn versions_must_increase() {
        let (snapshot, _) = plan(&config(&[]), None, |_| "20260101000000".into()).unwrap();
        assert!(
            plan(&config(&["mfa"]), Some(snapshot), |_| "20250101000000"
                .into())
            .is_err()
        );
    }

    #[test]
    fn file_names_follow_each_orm() {
        let (snapshot, _) = plan(&config(&[]), None, |_| "20260102030405".into()).unwrap();
        let step = &snapshot.steps[0];
        assert_eq!(
            sql_paths(Orm::Diesel, "migrations", step).unwrap().0,
            "migrations/2026-01-02-030405_yauth_init/up.sql"
        );
        assert_eq!(
            sql_paths(Orm::Sqlx, "migrations/", step).unwrap().1,
            "migrations/20260102030405_yauth_init.down.sql"
        );
        assert_eq!(
            sql_paths(Orm::Seaorm, "migration", step).unwrap().0,
            "migration/sql/20260102030405_yauth_init/up.sql"
        );
        assert_eq!(seaorm_module(step), "m20260102_030405_yauth_init");
    }
}
