//! A user's project as `cargo yauth` sees it: the configuration file, the directory every
//! path in it is relative to, and the snapshot kept in the migrations folder.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use yauth_migration::layout::{SEAORM_SQL_DIR, Snapshot, snapshot_path};
use yauth_migration::{Config, Dialect, Orm, plugins};

/// A loaded (or about to be written) `yauth.toml`.
#[derive(Debug, Clone)]
pub struct Project {
    /// The configuration file, as given on the command line.
    pub config_path: PathBuf,
    /// Its directory; empty when the file is in the current directory.
    pub root: PathBuf,
    /// The file's text.
    pub text: String,
    pub config: Config,
}

impl Project {
    /// Reads and checks the configuration file at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Project> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => bail!(
                "{} not found (run `cargo yauth init` to create it, or pass -f <path>)",
                path.display()
            ),
            Err(e) => bail!("cannot read {}: {e}", path.display()),
        };
        Project::from_text(path, text)
    }

    /// A project for `text`, as if it were the contents of `path`.
    pub fn from_text(path: &Path, text: String) -> anyhow::Result<Project> {
        // toml_edit knows where a syntax error is; the configuration parser only what it is.
        if let Err(e) = text.parse::<toml_edit::DocumentMut>() {
            let at = e
                .span()
                .map(|span| {
                    let before = text.get(..span.start).unwrap_or(&text);
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!(":{line}:{column}")
                })
                .unwrap_or_default();
            bail!(
                "{}{at}: invalid TOML: {}",
                path.display(),
                e.message().trim()
            );
        }
        let config = Config::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(Project {
            config_path: path.to_path_buf(),
            root: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            text,
            config,
        })
    }

    /// `rel` (a path from the configuration or the generator) as seen from the current directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `rel` for messages.
    pub fn shown(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    /// The snapshot of the migrations generated so far; `None` when there is none yet, and
    /// always for toasty, which has no SQL migrations.
    pub fn load_snapshot(&self) -> anyhow::Result<Option<Snapshot>> {
        if !self.config.orm.has_sql_migrations() {
            return Ok(None);
        }
        let rel = snapshot_path(&self.config);
        let shown = self.shown(&rel);
        let text = match std::fs::read_to_string(self.path(&rel)) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if let Some(orphan) = self.yauth_migrations_on_disk()?.first() {
                    let orphan = self.shown(orphan);
                    bail!(
                        "{orphan} is a yauth migration but {shown} is missing: restore the snapshot \
                         (from version control) so that generation continues from it"
                    );
                }
                return Ok(None);
            }
            Err(e) => bail!("cannot read {shown}: {e}"),
        };
        let snapshot = Snapshot::parse(&text).map_err(|e| anyhow!("{shown}: {e}"))?;
        Ok(Some(snapshot))
    }

    /// The names of the entries of the folder `rel` (relative to the configuration's
    /// directory); none when it does not exist.
    pub fn list_dir(&self, rel: &str) -> anyhow::Result<Vec<String>> {
        let dir = self.path(rel);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                return Ok(Vec::new());
            }
            Err(e) => bail!("cannot list {}: {e}", dir.display()),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    /// The folders where migrations live: the migrations folder, and its `sql/` folder where
    /// the seaorm migration crate keeps its SQL. Relative to the configuration's directory.
    pub fn migration_dirs(&self) -> [String; 2] {
        let dir = self.config.migrations_dir.trim_end_matches('/');
        [dir.to_string(), format!("{dir}/{SEAORM_SQL_DIR}")]
    }

    /// The names of the entries of the migration folders.
    pub fn migration_entries(&self) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        for dir in self.migration_dirs() {
            names.extend(self.list_dir(&dir)?);
        }
        Ok(names)
    }

    /// Files and folders of the migration folders that look like migrations written by yauth,
    /// relative to the configuration's directory.
    pub fn yauth_migrations_on_disk(&self) -> anyhow::Result<Vec<String>> {
        let mut found = Vec::new();
        for dir in self.migration_dirs() {
            for name in self.list_dir(&dir)? {
                if looks_like_yauth_migration(&name) {
                    found.push(format!("{dir}/{name}"));
                }
            }
        }
        Ok(found)
    }
}

/// `20260101120000_yauth_init.up.sql`, `2026-01-01-120000_yauth_add_mfa`, ...
fn looks_like_yauth_migration(name: &str) -> bool {
    let Some((version, rest)) = name.split_once('_') else {
        return false;
    };
    let digits = version.chars().filter(char::is_ascii_digit).count();
    digits == 14
        && version.chars().all(|c| c.is_ascii_digit() || c == '-')
        && rest.starts_with("yauth_")
}

pub fn parse_orm(name: &str) -> anyhow::Result<Orm> {
    Ok(name.parse()?)
}

pub fn parse_dialect(name: &str) -> anyhow::Result<Dialect> {
    Ok(name.parse()?)
}

/// Checks a plugin name, listing the known ones when it is not one of them.
pub fn known_plugin(name: &str) -> anyhow::Result<&'static plugins::PluginInfo> {
    plugins::plugin(name).ok_or_else(|| {
        let known: Vec<&str> = plugins::PLUGINS.iter().map(|p| p.name).collect();
        anyhow!(
            "unknown plugin `{name}` (known plugins: {})",
            known.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_yauth_migration_names() {
        assert!(looks_like_yauth_migration("2026-01-02-030405_yauth_init"));
        assert!(looks_like_yauth_migration(
            "20260102030405_yauth_add_mfa.up.sql"
        ));
        assert!(!looks_like_yauth_migration(
            "20260102030405_create_posts.up.sql"
        ));
        assert!(!looks_like_yauth_migration("yauth-snapshot.json"));
        assert!(!looks_like_yauth_migration("Cargo.toml"));
    }
}
