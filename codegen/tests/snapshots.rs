//! Snapshots of everything generated, for core alone, each plugin alone (with what it
//! requires) and all plugins together, on every dialect: the SQL of a first migration (up and
//! down) and the files of each ORM. A template or schema change shows up here as a diff.

use yauth_migration::builtin::{DEFAULT_PREFIX, schema_for};
use yauth_migration::diff::{MigrationSql, sql_file};
use yauth_migration::layout::{Snapshot, Step};
use yauth_migration::plugins::{PLUGINS, resolve};
use yauth_migration::{Dialect, Orm, Schema};

fn plugin_sets() -> Vec<(String, Vec<String>)> {
    let mut sets = vec![("core".to_string(), Vec::new())];
    for plugin in PLUGINS {
        let active = resolve(&[plugin.name.to_string()]).unwrap().active;
        sets.push((
            plugin.name.to_string(),
            active.iter().map(|s| s.to_string()).collect(),
        ));
    }
    sets.push((
        "all".to_string(),
        PLUGINS.iter().map(|p| p.name.to_string()).collect(),
    ));
    sets
}

fn files_text(files: Vec<(String, String)>) -> String {
    files
        .into_iter()
        .map(|(name, contents)| format!("==> {name} <==\n{contents}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn schema(plugins: &[String]) -> Schema {
    let names: Vec<&str> = plugins.iter().map(String::as_str).collect();
    schema_for(&names, DEFAULT_PREFIX).unwrap()
}

#[test]
fn generated_sql_and_orm_files() {
    for (label, plugins) in plugin_sets() {
        let schema = schema(&plugins);
        for dialect in Dialect::ALL {
            let d = dialect.name();
            let sql = MigrationSql::between(None, &schema, dialect).unwrap();
            insta::assert_snapshot!(
                format!("{label}__{d}__sql"),
                format!(
                    "==> up.sql <==\n{}\n==> down.sql <==\n{}",
                    sql_file(&sql.up),
                    sql_file(&sql.down)
                )
            );
            insta::assert_snapshot!(
                format!("{label}__{d}__diesel"),
                yauth_codegen::diesel::schema_rs(&schema, dialect).unwrap()
            );
            insta::assert_snapshot!(
                format!("{label}__{d}__seaorm"),
                files_text(yauth_codegen::seaorm::entities(&schema, dialect).unwrap())
            );
            insta::assert_snapshot!(
                format!("{label}__{d}__toasty"),
                files_text(yauth_codegen::toasty::models(&schema, dialect).unwrap())
            );
        }
    }
}

#[test]
fn seaorm_migration_crate() {
    let mut snapshot = Snapshot::new(Orm::Seaorm, Dialect::Postgres);
    let first = schema(&["email-password".to_string()]);
    let second = schema(&["email-password".to_string(), "mfa".to_string()]);
    snapshot.steps.push(Step {
        version: "20260101000000".into(),
        name: "yauth_init".into(),
        plugins: vec!["email-password".into()],
        schema: first,
        sql_sha256: None,
    });
    snapshot.steps.push(Step {
        version: "20260102000000".into(),
        name: "yauth_add_mfa".into(),
        plugins: vec!["email-password".into(), "mfa".into()],
        schema: second,
        sql_sha256: None,
    });
    let files = yauth_codegen::seaorm::migration_crate(Dialect::Postgres, &snapshot)
        .unwrap()
        .into_iter()
        .map(|(name, contents, kind)| (format!("{name} ({kind:?})"), contents))
        .collect();
    insta::assert_snapshot!("seaorm_migration_crate", files_text(files));
}

/// Generated files live in users' `src/`, where `cargo fmt` runs: each one opts out of
/// rustfmt, so formatting a project never makes `cargo yauth generate --check` fail.
#[test]
fn cargo_fmt_leaves_generated_rust_alone() {
    let all: Vec<String> = PLUGINS.iter().map(|p| p.name.to_string()).collect();
    let schema = schema(&all);
    let dir = std::env::temp_dir().join(format!("yauth-rustfmt-{}", std::process::id()));
    let mut files: Vec<(String, String)> = Vec::new();
    for dialect in Dialect::ALL {
        let d = dialect.name();
        files.push((
            format!("{d}/schema.rs"),
            yauth_codegen::diesel::schema_rs(&schema, dialect).unwrap(),
        ));
        for (name, text) in yauth_codegen::seaorm::entities(&schema, dialect).unwrap() {
            files.push((format!("{d}/entities/{name}"), text));
        }
        for (name, text) in yauth_codegen::toasty::models(&schema, dialect).unwrap() {
            files.push((format!("{d}/models/{name}"), text));
        }
    }
    let mut snapshot = Snapshot::new(Orm::Seaorm, Dialect::Mysql);
    snapshot.steps.push(Step {
        version: "20260101000000".into(),
        name: "yauth_init".into(),
        plugins: all.clone(),
        schema,
        sql_sha256: None,
    });
    for (name, text, _) in
        yauth_codegen::seaorm::migration_crate(Dialect::Mysql, &snapshot).unwrap()
    {
        if name.ends_with(".rs") {
            files.push((format!("migration/{name}"), text));
        }
    }
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    for (name, text) in &files {
        let status = std::process::Command::new("rustfmt")
            .args(["--edition", "2024"])
            .arg(dir.join(name))
            .status()
            .expect("rustfmt is installed with the toolchain");
        assert!(status.success(), "rustfmt failed on {name}");
        let after = std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(&after, text, "rustfmt changed {name}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
