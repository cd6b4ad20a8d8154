//! Commands that write `yauth.toml`: `init`, `add-plugin` and `remove-plugin`. The file is
//! edited with `toml_edit`, so the user's comments, formatting and key order survive.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use chrono::NaiveDateTime;
use toml_edit::{Array, DocumentMut, Item, Table, Value};
use yauth_migration::config::{DEFAULT_ENTITIES_DIR, DEFAULT_MODELS_DIR, DEFAULT_SCHEMA_FILE};
use yauth_migration::{Dialect, Orm, plugins};

use crate::generate::{plan_project, write_files};
use crate::project::{Project, known_plugin, parse_dialect, parse_orm};
use crate::{InitArgs, Output};

/// Column at which the comments after values start.
const COMMENT_COLUMN: usize = 32;

fn commented(table: &mut Table, key: &str, value: impl Into<Value>, comment: &str) {
    let mut value: Value = value.into();
    let width = key.len() + 3 + value.to_string().trim().len();
    let pad = " ".repeat(COMMENT_COLUMN.saturating_sub(width).max(2));
    value.decor_mut().set_prefix(" ");
    value.decor_mut().set_suffix(format!("{pad}# {comment}"));
    table.insert(key, Item::Value(value));
}

/// The `yauth.toml` that `init` writes, with a short comment on every key.
pub fn init_text(
    orm: Orm,
    dialect: Dialect,
    prefix: &str,
    migrations_dir: &str,
    enabled: &[String],
    repositories: bool,
) -> String {
    let mut migration = Table::new();
    migration.decor_mut().set_prefix(
        "# yauth: what `cargo yauth generate` writes migrations and schema files for.\n\
         # Paths are relative to this file. Database URLs never go here: use the environment.\n\n",
    );
    commented(
        &mut migration,
        "orm",
        orm.name(),
        "diesel | sqlx | seaorm | toasty",
    );
    commented(
        &mut migration,
        "dialect",
        dialect.name(),
        "postgres | mysql | sqlite",
    );
    commented(
        &mut migration,
        "migrations_dir",
        migrations_dir,
        "migrations and yauth-snapshot.json",
    );
    commented(
        &mut migration,
        "table_prefix",
        prefix,
        "built-in backends need \"yauth_\"; repositories = true takes any",
    );
    if repositories {
        commented(
            &mut migration,
            "repositories",
            true,
            "generate yauth's repositories into repositories_file",
        );
    }

    let path_hint = match orm {
        Orm::Diesel => format!("# schema_file = \"{DEFAULT_SCHEMA_FILE}\"  (diesel table! file)\n"),
        Orm::Seaorm => format!("# entities_dir = \"{DEFAULT_ENTITIES_DIR}\"  (sea-orm entities)\n"),
        Orm::Toasty => format!("# models_dir = \"{DEFAULT_MODELS_DIR}\"  (toasty models)\n"),
        Orm::Sqlx => String::new(),
    };
    let mut plugin_table = Table::new();
    plugin_table.decor_mut().set_prefix(format!(
        "{path_hint}\n# Plugins you enable; the ones they depend on are added at generation\n\
         # (oidc brings oauth2-server and bearer). `cargo yauth status` lists them all.\n"
    ));
    let mut list = Array::new();
    for name in enabled {
        list.push(name.as_str());
    }
    plugin_table.insert("enabled", Item::Value(Value::Array(list)));

    let mut doc = DocumentMut::new();
    doc.insert("migration", Item::Table(migration));
    doc.insert("plugins", Item::Table(plugin_table));
    doc.to_string()
}

/// `cargo yauth init`.
pub fn init(
    path: &Path,
    args: &InitArgs,
    now: NaiveDateTime,
    output: &mut Output<'_>,
) -> anyhow::Result<()> {
    let orm = parse_orm(&args.orm)?;
    let dialect = parse_dialect(&args.dialect)?;
    let mut enabled: Vec<String> = Vec::new();
    for name in args
        .plugins
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        known_plugin(name)?;
        if !enabled.iter().any(|e| e == name) {
            enabled.push(name.to_string());
        }
    }
    let text = init_text(
        orm,
        dialect,
        &args.prefix,
        &args.migrations_dir,
        &enabled,
        args.repositories,
    );
    let project = Project::from_text(path, text)?;
    let exists = path
        .try_exists()
        .with_context(|| format!("cannot check {}", path.display()))?;
    if exists && !args.force {
        bail!(
            "{} already exists (pass --force to overwrite it)",
            path.display()
        );
    }
    // Plan before writing anything, so that a refused change (a new dialect over existing
    // migrations) leaves the directory as it was.
    let planned = plan_project(&project, now)?;
    if !project.root.as_os_str().is_empty() {
        std::fs::create_dir_all(&project.root)
            .with_context(|| format!("cannot create {}", project.root.display()))?;
    }
    std::fs::write(path, &project.text)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(output.out, "wrote {}", path.display())?;
    write_files(&project, &planned, output)
}

fn parse_document(project: &Project) -> anyhow::Result<DocumentMut> {
    project
        .text
        .parse::<DocumentMut>()
        .map_err(|e| anyhow!("{}: {}", project.config_path.display(), e.message()))
}

/// `[plugins] enabled`, created when absent.
fn enabled_array(doc: &mut DocumentMut) -> anyhow::Result<&mut Array> {
    let plugins = doc
        .as_table_mut()
        .entry("plugins")
        .or_insert(toml_edit::table())
        .as_table_like_mut()
        .ok_or_else(|| anyhow!("`plugins` in yauth.toml must be a table"))?;
    if !plugins.contains_key("enabled") {
        plugins.insert("enabled", toml_edit::value(Array::new()));
    }
    plugins
        .get_mut("enabled")
        .and_then(Item::as_array_mut)
        .ok_or_else(|| anyhow!("`[plugins] enabled` in yauth.toml must be an array"))
}

/// Appends `name`, laid out like the entries already there (one per line or all on one).
pub fn push_plugin(list: &mut Array, name: &str) {
    let mut value = Value::from(name);
    if let Some(last) = list.iter().last() {
        let prefix = last.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
        let prefix = match prefix.rfind('\n') {
            Some(at) => format!("\n{}", &prefix[at + 1..]),
            None => " ".to_string(),
        };
        value.decor_mut().set_prefix(prefix);
        value.decor_mut().set_suffix("");
    }
    list.push_formatted(value);
}

/// Removes every `name`, keeping the layout of what remains.
pub fn remove_plugin_entry(list: &mut Array, name: &str) {
    let first_prefix = list
        .get(0)
        .and_then(|v| v.decor().prefix())
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    let first_removed = list.get(0).is_some_and(|v| v.as_str() == Some(name));
    list.retain(|v| v.as_str() != Some(name));
    if first_removed && let Some(first) = list.get_mut(0) {
        first.decor_mut().set_prefix(first_prefix);
    }
    if list.is_empty() {
        list.set_trailing_comma(false);
    }
}

/// Writes the edited configuration and generates the migration for it. Nothing is written
/// when the change cannot be generated.
fn apply(
    project: &Project,
    doc: &DocumentMut,
    now: NaiveDateTime,
    output: &mut Output<'_>,
) -> anyhow::Result<()> {
    let updated = Project::from_text(&project.config_path, doc.to_string())?;
    let planned = plan_project(&updated, now)?;
    std::fs::write(&updated.config_path, &updated.text)
        .with_context(|| format!("cannot write {}", updated.config_path.display()))?;
    writeln!(output.out, "updated {}", updated.config_path.display())?;
    write_files(&updated, &planned, output)
}

/// `cargo yauth add-plugin NAME`.
pub fn add_plugin(
    path: &Path,
    name: &str,
    now: NaiveDateTime,
    output: &mut Output<'_>,
) -> anyhow::Result<()> {
    let project = Project::load(path)?;
    let info = known_plugin(name)?;
    let enabled = &project.config.enabled;
    if enabled.iter().any(|e| e == info.name) {
        writeln!(
            output.out,
            "notice: plugin `{}` is already enabled; nothing to do",
            info.name
        )?;
        return Ok(());
    }
    let required_by = plugins::dependents(enabled, info.name);
    if !required_by.is_empty() {
        writeln!(
            output.out,
            "notice: `{}` was already active (required by {}); now it is also listed in enabled",
            info.name,
            required_by.join(", ")
        )?;
    }
    let mut doc = parse_document(&project)?;
    push_plugin(enabled_array(&mut doc)?, info.name);
    apply(&project, &doc, now, output)
}

/// `cargo yauth remove-plugin NAME`.
pub fn remove_plugin(
    path: &Path,
    name: &str,
    now: NaiveDateTime,
    output: &mut Output<'_>,
) -> anyhow::Result<()> {
    let project = Project::load(path)?;
    let info = known_plugin(name)?;
    let enabled = &project.config.enabled;
    let required_by = plugins::dependents(enabled, info.name);
    if !enabled.iter().any(|e| e == info.name) {
        if required_by.is_empty() {
            writeln!(
                output.out,
                "notice: plugin `{}` is not enabled; nothing to do",
                info.name
            )?;
        } else {
            writeln!(
                output.out,
                "notice: plugin `{}` is not enabled; it is active only because {} require{} it",
                info.name,
                required_by.join(", "),
                if required_by.len() == 1 { "s" } else { "" }
            )?;
        }
        return Ok(());
    }
    if !required_by.is_empty() {
        bail!(
            "cannot remove `{}`: {} require{} it (remove {} first)",
            info.name,
            required_by.join(", "),
            if required_by.len() == 1 { "s" } else { "" },
            required_by.join(" and ")
        );
    }
    let mut doc = parse_document(&project)?;
    remove_plugin_entry(enabled_array(&mut doc)?, info.name);
    apply(&project, &doc, now, output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yauth_migration::Config;

    fn edit(text: &str, change: impl FnOnce(&mut Array)) -> String {
        let mut doc: DocumentMut = text.parse().unwrap();
        let list = enabled_array(&mut doc).unwrap();
        change(list);
        doc.to_string()
    }

    #[test]
    fn init_text_parses_back() {
        let text = init_text(
            Orm::Diesel,
            Dialect::Postgres,
            "yauth_",
            "migrations",
            &["email-password".into(), "mfa".into()],
            true,
        );
        let config = Config::parse(&text).unwrap();
        assert_eq!(
            config.repositories_file.as_deref(),
            Some("src/yauth_repos.rs")
        );
        assert_eq!(config.orm, Orm::Diesel);
        assert_eq!(config.enabled, ["email-password", "mfa"]);
        assert!(text.contains("# diesel | sqlx | seaorm | toasty"), "{text}");
        assert!(
            text.contains("[plugins]\nenabled = [\"email-password\", \"mfa\"]\n"),
            "{text}"
        );
    }

    #[test]
    fn push_follows_the_layout() {
        let inline = edit("[plugins]\nenabled = [\"a\", \"b\"] # mine\n", |l| {
            push_plugin(l, "c")
        });
        assert_eq!(
            inline,
            "[plugins]\nenabled = [\"a\", \"b\", \"c\"] # mine\n"
        );
        let lines = edit(
            "[plugins]\nenabled = [\n    # first\n    \"a\",\n    \"b\",\n]\n",
            |l| push_plugin(l, "c"),
        );
        assert_eq!(
            lines,
            "[plugins]\nenabled = [\n    # first\n    \"a\",\n    \"b\",\n    \"c\",\n]\n"
        );
        let empty = edit("[plugins]\nenabled = []\n", |l| push_plugin(l, "c"));
        assert_eq!(empty, "[plugins]\nenabled = [\"c\"]\n");
        let absent = edit("[migration]\norm = \"sqlx\"\n", |l| push_plugin(l, "c"));
        assert!(
            absent.ends_with("[plugins]\nenabled = [\"c\"]\n"),
            "{absent}"
        );
    }

    #[test]
    fn remove_keeps_the_layout() {
        let first = edit("[plugins]\nenabled = [\"a\", \"b\"]\n", |l| {
            remove_plugin_entry(l, "a")
        });
        assert_eq!(first, "[plugins]\nenabled = [\"b\"]\n");
        let only = edit("[plugins]\nenabled = [\n  \"a\",\n]\n", |l| {
            remove_plugin_entry(l, "a")
        });
        assert_eq!(only, "[plugins]\nenabled = [\n]\n");
    }
}
