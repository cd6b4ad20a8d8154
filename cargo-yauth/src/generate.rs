//! `generate` and `generate --check`: bring the snapshot up to date with `yauth.toml`, then
//! write (or only compare) every file generation owns.
//!
//! Migration versions are the UTC time of first generation, `YYYYMMDDHHMMSS`. A new version is
//! moved forward one second at a time while it is not after the last step's, or while an entry
//! of the migrations folder already starts with it (in any of the forms diesel, sqlx and
//! sea-orm use), so that it never collides with a migration of the user's own. Once recorded in
//! the snapshot a version never changes, so regeneration is deterministic.

use std::io::{ErrorKind, Read};
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use chrono::{NaiveDateTime, TimeDelta};
use yauth_codegen::compare::{FileState, compare, restorable};
use yauth_codegen::project_files;
use yauth_codegen::render::GENERATED_MARKER;
use yauth_migration::Orm;
use yauth_migration::layout::{
    FileKind, GeneratedFile, Snapshot, Step, plan, snapshot_path, version_spellings,
};

use crate::Output;
use crate::project::Project;

const VERSION_FORMAT: &str = "%Y%m%d%H%M%S";

/// Toasty keeps no migration history: its single, never-written step gets this version.
const TOASTY_VERSION: &str = "00000000000000";

/// The version for a new step generated at `now`: after `last`, and not the prefix of any name
/// in `taken` (the entries of the migrations folder).
pub fn next_version(
    now: NaiveDateTime,
    last: Option<&str>,
    taken: &[String],
) -> anyhow::Result<String> {
    let format = |t: NaiveDateTime| t.format(VERSION_FORMAT).to_string();
    let mut at = now;
    if let Some(last) = last
        && format(at).as_str() <= last
    {
        let last_time = NaiveDateTime::parse_from_str(last, VERSION_FORMAT)
            .with_context(|| format!("the last migration version `{last}` is not a valid time"))?;
        at = last_time + TimeDelta::seconds(1);
    }
    loop {
        let version = format(at);
        if version.len() != 14 {
            bail!("cannot make a migration version after {version}");
        }
        if !taken.iter().any(|name| version_taken(name, &version)) {
            return Ok(version);
        }
        at = at
            .checked_add_signed(TimeDelta::seconds(1))
            .ok_or_else(|| anyhow!("cannot make a migration version after {version}"))?;
    }
}

/// Whether the migration file or folder `name` uses `version` in any ORM's spelling.
fn version_taken(name: &str, version: &str) -> bool {
    version_spellings(version)
        .iter()
        .any(|v| name.starts_with(v.as_str()))
}

/// Whether the file's first line carries yauth-codegen's marker (Rust `//` or TOML `#`).
fn written_by_yauth(path: &Path) -> bool {
    let marker = GENERATED_MARKER.trim_start_matches("// ");
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .next()
            .is_some_and(|line| line.contains(marker))
    })
}

/// Generated modules left over from an earlier configuration (the entities or models of a
/// removed plugin): files in the entities or models folder that carry yauth-codegen's header
/// but are no longer generated. Relative to the configuration's directory.
pub fn obsolete_files(project: &Project, files: &[GeneratedFile]) -> anyhow::Result<Vec<String>> {
    let config = &project.config;
    let dir = match config.orm {
        Orm::Seaorm => &config.entities_dir,
        Orm::Toasty => &config.models_dir,
        Orm::Diesel | Orm::Sqlx => return Ok(Vec::new()),
    };
    let full = project.path(dir);
    let entries = match std::fs::read_dir(&full) {
        Ok(entries) => entries,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(Vec::new());
        }
        Err(e) => bail!("cannot list {}: {e}", full.display()),
    };
    let mut obsolete = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", full.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("{}/{name}", dir.trim_end_matches('/'));
        if !name.ends_with(".rs")
            || !entry.file_type().is_ok_and(|t| t.is_file())
            || files.iter().any(|f| f.path == rel)
        {
            continue;
        }
        let mut head = [0u8; GENERATED_MARKER.len()];
        let marked = std::fs::File::open(entry.path())
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head == GENERATED_MARKER.as_bytes());
        if marked {
            obsolete.push(rel);
        }
    }
    obsolete.sort();
    Ok(obsolete)
}

/// Migrations on disk that look like yauth's but that the snapshot does not list (left over
/// from another snapshot, or renamed by hand). Relative to the configuration's directory.
pub fn unknown_migrations(
    project: &Project,
    files: &[GeneratedFile],
) -> anyhow::Result<Vec<String>> {
    Ok(project
        .yauth_migrations_on_disk()?
        .into_iter()
        .filter(|rel| {
            !files.iter().any(|f| {
                f.path == *rel
                    || f.path
                        .strip_prefix(rel.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
        })
        .collect())
}

/// The snapshot once brought up to date with the configuration.
#[derive(Debug, Clone)]
pub struct Planned {
    pub snapshot: Snapshot,
    /// The step just planned, when the configuration changed since the last one.
    pub new_step: Option<Step>,
}

/// Plans without writing anything. For toasty there is no history: the plan is rebuilt from
/// scratch each time and never reports a new step.
pub fn plan_project(project: &Project, now: NaiveDateTime) -> anyhow::Result<Planned> {
    let config = &project.config;
    if !config.orm.has_sql_migrations() {
        let (snapshot, _) = plan(config, None, |_| TOASTY_VERSION.to_string())?;
        return Ok(Planned {
            snapshot,
            new_step: None,
        });
    }
    let snapshot = project.load_snapshot()?;
    let last = snapshot
        .as_ref()
        .and_then(|s| s.steps.last())
        .map(|s| s.version.clone());
    let version = next_version(now, last.as_deref(), &project.migration_entries()?);
    let mut failure = None;
    let planned = plan(config, snapshot, |_| match version {
        Ok(version) => version,
        Err(e) => {
            failure = Some(e);
            String::new()
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let (snapshot, new_step) =
        planned.map_err(|e| anyhow!("{}: {e}", project.config_path.display()))?;
    Ok(Planned { snapshot, new_step })
}

/// How the generated files stand, without writing anything.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// The step `generate` would add: `yauth.toml` changed since the last generation.
    pub pending: Option<Step>,
    /// The steps generated so far.
    pub steps: Vec<Step>,
    /// Every file of the last generation, compared with the disk.
    pub states: Vec<(GeneratedFile, FileState)>,
    /// Generated modules that are no longer generated (see [`obsolete_files`]).
    pub obsolete: Vec<String>,
    /// yauth migrations the snapshot does not list (see [`unknown_migrations`]).
    pub unknown: Vec<String>,
}

impl Assessment {
    pub fn problems(&self) -> impl Iterator<Item = &(GeneratedFile, FileState)> {
        self.states.iter().filter(|(_, s)| *s != FileState::Fresh)
    }

    pub fn is_fresh(&self) -> bool {
        self.pending.is_none()
            && self.problems().next().is_none()
            && self.obsolete.is_empty()
            && self.unknown.is_empty()
    }
}

/// Compares the files of the last generation with the disk, and tells whether `yauth.toml`
/// asks for a step that is not generated yet.
pub fn assess(project: &Project, now: NaiveDateTime) -> anyhow::Result<Assessment> {
    let Planned {
        mut snapshot,
        new_step,
    } = plan_project(project, now)?;
    if new_step.is_some() {
        snapshot.steps.pop();
    }
    let (states, obsolete, unknown) = if new_step.is_some() && snapshot.steps.is_empty() {
        // Nothing generated yet: every file would only be reported missing.
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        let files = project_files(&project.config, &snapshot)?;
        let states = compare(&project.root, &files).context("cannot read the generated files")?;
        (
            states,
            obsolete_files(project, &files)?,
            unknown_migrations(project, &files)?,
        )
    };
    let steps = if project.config.orm.has_sql_migrations() {
        snapshot.steps
    } else {
        Vec::new()
    };
    Ok(Assessment {
        pending: new_step,
        steps,
        states,
        obsolete,
        unknown,
    })
}

/// Writes the files of `planned`: missing ones, and derived ones that differ. A migration that
/// differs from what yauth would write is left alone with a warning: it may have been applied.
pub fn write_files(
    project: &Project,
    planned: &Planned,
    output: &mut Output<'_>,
) -> anyhow::Result<()> {
    if let Some(step) = &planned.new_step {
        writeln!(output.out, "new migration: {}_{}", step.version, step.name)?;
    }
    let mut files = project_files(&project.config, &planned.snapshot)?;
    // The snapshot first: every migration can be re-derived from it, so an interrupted run
    // never leaves migrations that the snapshot does not know about.
    let snapshot = snapshot_path(&project.config);
    files.sort_by_key(|f| f.path != snapshot);
    let states = compare(&project.root, &files).context("cannot read the generated files")?;
    let (mut written, mut kept) = (0, 0);
    for (file, state) in states {
        let shown = project.shown(&file.path);
        let verb = match (&state, file.kind) {
            (FileState::Fresh, _) => continue,
            (FileState::Missing, _) if !restorable(&file) => {
                writeln!(
                    output.err,
                    "warning: cannot restore {shown} byte for byte: this yauth renders it \
                     differently from the one that first wrote it; restore it from version control"
                )?;
                kept += 1;
                continue;
            }
            (FileState::Missing, _) => "created",
            (FileState::Differs { .. }, FileKind::Derived)
                if file.path != snapshot && !written_by_yauth(&project.path(&file.path)) =>
            {
                bail!(
                    "{shown} exists and was not written by yauth: refusing to overwrite it \
                     (point the path in yauth.toml elsewhere, or move the file)"
                );
            }
            (FileState::Differs { .. }, FileKind::Derived) => "updated",
            (FileState::Differs { .. }, FileKind::Migration) => {
                writeln!(
                    output.err,
                    "warning: {shown} differs from what yauth generates; migrations are never \
                     rewritten (delete the file to have it written again)"
                )?;
                kept += 1;
                continue;
            }
        };
        let path = project.path(&file.path);
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents).with_context(|| format!("cannot write {shown}"))?;
        writeln!(output.out, "{verb} {shown}")?;
        written += 1;
    }
    let mut removed = 0;
    for rel in obsolete_files(project, &files)? {
        let shown = project.shown(&rel);
        std::fs::remove_file(project.path(&rel))
            .with_context(|| format!("cannot remove {shown}"))?;
        writeln!(output.out, "removed {shown} (no longer generated)")?;
        removed += 1;
    }
    for rel in unknown_migrations(project, &files)? {
        writeln!(
            output.err,
            "warning: {} looks like a yauth migration but {} does not list it",
            project.shown(&rel),
            project.shown(&snapshot)
        )?;
    }
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut summary = Vec::new();
    if written > 0 {
        summary.push(format!("wrote {}", count(written, "file")));
    }
    if removed > 0 {
        summary.push(format!("removed {}", count(removed, "obsolete file")));
    }
    if kept > 0 {
        summary.push(format!("left {} as is", count(kept, "edited migration")));
    }
    if summary.is_empty() {
        writeln!(output.out, "up to date: nothing to write")?;
    } else {
        writeln!(output.out, "{}", summary.join("; "))?;
    }
    Ok(())
}

/// `cargo yauth generate`.
pub fn generate(
    project: &Project,
    now: NaiveDateTime,
    output: &mut Output<'_>,
) -> anyhow::Result<()> {
    let planned = plan_project(project, now)?;
    write_files(project, &planned, output)
}

/// `cargo yauth generate --check`: writes nothing; fails when anything is stale.
pub fn check(project: &Project, now: NaiveDateTime, output: &mut Output<'_>) -> anyhow::Result<()> {
    let assessment = assess(project, now)?;
    let mut problems = 0;
    let mut edited_migrations = false;
    for (file, state) in assessment.problems() {
        let shown = project.shown(&file.path);
        match state {
            FileState::Fresh => continue,
            FileState::Missing => writeln!(output.err, "missing: {shown}")?,
            FileState::Differs { diff } => {
                writeln!(output.err, "differs: {shown}")?;
                write!(output.err, "{diff}")?;
                if !diff.ends_with('\n') {
                    writeln!(output.err)?;
                }
                edited_migrations |= file.kind == FileKind::Migration;
            }
        }
        problems += 1;
    }
    for rel in &assessment.obsolete {
        writeln!(
            output.err,
            "obsolete: {} (no longer generated; `cargo yauth generate` removes it)",
            project.shown(rel)
        )?;
        problems += 1;
    }
    for rel in &assessment.unknown {
        writeln!(
            output.err,
            "unknown: {} (looks like a yauth migration, but the snapshot does not list it)",
            project.shown(rel)
        )?;
        problems += 1;
    }
    let snapshot = project.shown(&snapshot_path(&project.config));
    if assessment.pending.is_some() {
        bail!(
            "yauth.toml has changes that are not generated yet (last generated schema: \
             {snapshot}): run `cargo yauth generate`"
        );
    }
    if problems > 0 {
        let hint = if edited_migrations {
            " (migrations are never rewritten: delete an edited one to restore it)"
        } else if !assessment.unknown.is_empty() {
            " (and remove the unknown migrations)"
        } else {
            ""
        };
        let against = if project.config.orm.has_sql_migrations() {
            format!(" (compared with {snapshot})")
        } else {
            String::new()
        };
        bail!(
            "{problems} generated file{} missing, out of date or unknown{against}: run `cargo \
             yauth generate`{hint}",
            if problems == 1 { " is" } else { "s are" }
        );
    }
    writeln!(output.out, "up to date")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, VERSION_FORMAT).unwrap()
    }

    #[test]
    fn version_is_the_current_time() {
        assert_eq!(
            next_version(at("20260304050607"), None, &[]).unwrap(),
            "20260304050607"
        );
    }

    #[test]
    fn version_moves_past_the_last_one() {
        let now = at("20260304050607");
        assert_eq!(
            next_version(now, Some("20260304050607"), &[]).unwrap(),
            "20260304050608"
        );
        assert_eq!(
            next_version(now, Some("20270101000000"), &[]).unwrap(),
            "20270101000001"
        );
        assert_eq!(
            next_version(now, Some("20250101000000"), &[]).unwrap(),
            "20260304050607"
        );
    }

    #[test]
    fn version_avoids_every_existing_migration_name() {
        let taken = [
            "20260304050607_create_posts.up.sql".to_string(),
            "2026-03-04-050608_add_tags".to_string(),
            "m20260304_050609_seed".to_string(),
        ];
        assert_eq!(
            next_version(at("20260304050607"), None, &taken).unwrap(),
            "20260304050610"
        );
    }

    #[test]
    fn an_invalid_last_version_is_an_error_not_a_panic() {
        assert!(next_version(at("20260304050607"), Some("99991399999999"), &[]).is_err());
    }
}
