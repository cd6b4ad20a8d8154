//! `cargo run -p generated-check` regenerates every generated file of this repository's
//! runtime crates (from the built-in schema and query catalogue) in memory and compares it
//! with the committed file, printing a unified diff for each one that differs.
//!
//! - `--write` rewrites the files instead (after a change to the schema, catalogue or a
//!   template).
//! - `sql <postgres|mysql|sqlite>` prints the up migration of the full schema, which the sqlx
//!   offline-data script applies to scratch databases.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use yauth_codegen::compare::unified_diff;
use yauth_codegen::repo::runtime_files;
use yauth_migration::{Dialect, builtin, diff::MigrationSql};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("generated-check sits in the repository root")
        .to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => check(false),
        ["--write"] => check(true),
        ["sql", dialect] => match dialect.parse::<Dialect>() {
            Ok(dialect) => {
                let schema = builtin::full_schema(builtin::DEFAULT_PREFIX);
                let sql = MigrationSql::between(None, &schema, dialect)
                    .expect("the built-in schema migrates");
                for statement in sql.up {
                    println!("{statement};");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!("usage: generated-check [--write] | generated-check sql <dialect>");
            ExitCode::from(2)
        }
    }
}

fn check(write: bool) -> ExitCode {
    let files = match runtime_files() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let root = root();
    let mut stale = 0;
    for file in &files {
        let path = root.join(&file.path);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        if on_disk == file.contents {
            continue;
        }
        if write {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).expect("create the crate folder");
            }
            std::fs::write(&path, &file.contents).expect("write the generated file");
            println!("wrote {}", file.path);
        } else {
            stale += 1;
            println!("{}", unified_diff(&file.path, &on_disk, &file.contents));
        }
    }
    if stale > 0 {
        eprintln!(
            "{stale} generated file(s) differ from the schema and templates; run `cargo run -p generated-check -- --write`"
        );
        return ExitCode::FAILURE;
    }
    if !write {
        println!("{} generated files are fresh", files.len());
    }
    ExitCode::SUCCESS
}
