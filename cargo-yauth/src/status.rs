//! `cargo yauth status`: the configuration, the plugins (enabled, implied by dependencies,
//! available) and whether the generated files are fresh. Informational: it succeeds even when
//! files are stale.

use std::path::Path;

use chrono::NaiveDateTime;
use yauth_codegen::compare::FileState;
use yauth_migration::builtin::DEFAULT_PREFIX;
use yauth_migration::layout::snapshot_path;
use yauth_migration::{Orm, plugins};

use crate::Output;
use crate::generate::assess;
use crate::project::Project;

pub fn status(path: &Path, now: NaiveDateTime, output: &mut Output<'_>) -> anyhow::Result<()> {
    let project = Project::load(path)?;
    let config = &project.config;
    let out = &mut *output.out;

    writeln!(out, "config: {}", path.display())?;
    writeln!(out, "  orm:            {}", config.orm.name())?;
    writeln!(out, "  dialect:        {}", config.dialect.name())?;
    writeln!(out, "  table_prefix:   {}", config.table_prefix)?;
    if config.orm.has_sql_migrations() {
        writeln!(
            out,
            "  migrations_dir: {}",
            project.shown(&config.migrations_dir)
        )?;
    }
    match config.orm {
        Orm::Diesel => writeln!(
            out,
            "  schema_file:    {}",
            project.shown(&config.schema_file)
        )?,
        Orm::Seaorm => writeln!(
            out,
            "  entities_dir:   {}",
            project.shown(&config.entities_dir)
        )?,
        Orm::Toasty => writeln!(
            out,
            "  models_dir:     {}",
            project.shown(&config.models_dir)
        )?,
        Orm::Sqlx => {}
    }
    if let Some(file) = &config.repositories_file {
        writeln!(out, "  repositories:   {}", project.shown(file))?;
    } else if config.table_prefix != DEFAULT_PREFIX {
        writeln!(
            output.err,
            "warning: table_prefix is `{}`, but the built-in runtime backends expect \
             `{DEFAULT_PREFIX}`: they will not find these tables (set `repositories = true` \
             to generate repositories for this prefix into your crate)",
            config.table_prefix
        )?;
    }
    if !config.user_columns.is_empty() {
        let columns: Vec<String> = config
            .user_columns
            .iter()
            .map(|c| {
                let settable = if c.settable { ", settable" } else { "" };
                let nullable = if c.nullable { "" } else { ", not null" };
                format!("{} ({}{nullable}{settable})", c.name, c.type_name())
            })
            .collect();
        writeln!(out, "  users.extra:    {}", columns.join(", "))?;
        if config.repositories_file.is_none() {
            writeln!(
                output.err,
                "warning: extra user columns are stored only by generated repositories: the \
                 built-in backends ignore them (set `repositories = true`)"
            )?;
        }
    }

    let resolved = plugins::resolve(&config.enabled)?;
    let list = |names: Vec<String>| {
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    writeln!(out, "plugins:")?;
    writeln!(out, "  enabled:   {}", list(config.enabled.clone()))?;
    let implied: Vec<String> = resolved
        .active
        .iter()
        .filter(|name| !config.enabled.iter().any(|e| e == *name))
        .map(|name| {
            let by = plugins::dependents(&config.enabled, name);
            format!("{name} (required by {})", by.join(", "))
        })
        .collect();
    writeln!(out, "  implied:   {}", list(implied))?;
    let available: Vec<String> = plugins::PLUGINS
        .iter()
        .filter(|p| !resolved.active.contains(&p.name))
        .map(|p| {
            if p.has_tables {
                p.name.to_string()
            } else {
                format!("{} (no tables)", p.name)
            }
        })
        .collect();
    writeln!(out, "  available: {}", list(available))?;

    // The report so far stands on its own; a plan that cannot be made is one more line.
    let assessment = match assess(&project, now) {
        Ok(assessment) => assessment,
        Err(e) => {
            writeln!(out, "files: cannot assess: {e:#}")?;
            return Ok(());
        }
    };
    if config.orm.has_sql_migrations() {
        match assessment.steps.last() {
            None => writeln!(out, "migrations: none generated yet")?,
            Some(last) => writeln!(
                out,
                "migrations: {} step{} (last: {}_{})",
                assessment.steps.len(),
                if assessment.steps.len() == 1 { "" } else { "s" },
                last.version,
                last.name
            )?,
        }
    } else {
        writeln!(
            out,
            "migrations: none (toasty creates its tables with push_schema)"
        )?;
    }

    if assessment.is_fresh() {
        writeln!(out, "files: up to date")?;
        return Ok(());
    }
    writeln!(out, "files: stale (run `cargo yauth generate`)")?;
    for (file, state) in assessment.problems() {
        let what = match state {
            FileState::Fresh => continue,
            FileState::Missing => "missing",
            FileState::Differs { .. } => "differs",
        };
        writeln!(out, "  {what}: {}", project.shown(&file.path))?;
    }
    for rel in &assessment.obsolete {
        writeln!(out, "  obsolete: {}", project.shown(rel))?;
    }
    for rel in &assessment.unknown {
        writeln!(
            out,
            "  unknown: {} (not in the snapshot)",
            project.shown(rel)
        )?;
    }
    if let Some(step) = &assessment.pending {
        writeln!(
            out,
            "  yauth.toml has changes that are not generated yet (next migration: {}, compared \
             with {})",
            step.name,
            project.shown(&snapshot_path(config))
        )?;
    }
    Ok(())
}
