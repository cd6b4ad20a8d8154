//! `cargo run -p generated-check` regenerates every generated file of this repository's
//! runtime crates (from the built-in schema and query catalogue), and the ORM files and
//! repositories of the fixture application (`tests/app-fixture/yauth-*.toml`), in memory and
//! compares each with the committed file, printing a unified diff for each one that differs.
//! (The fixture's migrations are written once and never regenerated: `cargo yauth generate
//! --check` covers them.)
//!
//! - `--write` rewrites the files instead (after a change to the schema, catalogue or a
//!   template); so does `YAUTH_BLESS=1`, the switch every freshness check of the repository
//!   shares.
//! - `sql <postgres|mysql|sqlite>` prints the up migration of the full schema, which the sqlx
//!   offline-data script applies to scratch databases.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use yauth_codegen::compare::{BLESS_ENV, Ensured, Mode, NotFresh, ensure_file_contents};
use yauth_codegen::project::project_files;
use yauth_codegen::repo::{RuntimeFile, runtime_files};
use yauth_migration::layout::{FileKind, Snapshot, snapshot_path};
use yauth_migration::{Config, Dialect, builtin, diff::MigrationSql};

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
        [] => check(Mode::from_env()),
        ["--write"] => check(Mode::Bless),
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

/// The command that rewrites stale runtime files.
const FIX: &str = "cargo run -p generated-check -- --write";

/// The files `cargo yauth generate` derives for each `yauth-*.toml` of the fixture
/// application (ORM files and the repositories module), relative to the repository root.
fn fixture_files(root: &Path) -> Result<Vec<RuntimeFile>, String> {
    let dir = root.join(FIXTURE_DIR);
    let mut configs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("yauth-") && n.ends_with(".toml"))
        })
        .collect();
    configs.sort();
    let mut files = Vec::new();
    for path in configs {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        let config =
            Config::parse(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
        let snapshot = Snapshot::parse(&read(&dir.join(snapshot_path(&config)))?)
            .map_err(|e| e.to_string())?;
        for file in project_files(&config, &snapshot).map_err(|e| e.to_string())? {
            if file.kind == FileKind::Derived {
                files.push(RuntimeFile {
                    path: format!("{FIXTURE_DIR}/{}", file.path),
                    contents: file.contents,
                });
            }
        }
    }
    Ok(files)
}

const FIXTURE_DIR: &str = "tests/app-fixture";

fn check(mode: Mode) -> ExitCode {
    let root = root();
    let files = match runtime_files()
        .map_err(|e| e.to_string())
        .and_then(|mut files| {
            files.extend(fixture_files(&root)?);
            Ok(files)
        }) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = 0;
    for file in &files {
        match ensure_file_contents(mode, &root.join(&file.path), &file.contents, FIX) {
            Ok(Ensured::Fresh) => {}
            Ok(Ensured::Rewritten) => println!("wrote {}", file.path),
            Err(NotFresh::Stale { diff, .. }) => {
                stale += 1;
                println!("{diff}");
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if stale > 0 {
        eprintln!(
            "{stale} generated file(s) differ from the schema and templates; run `{FIX}` (or set {BLESS_ENV}=1)"
        );
        return ExitCode::FAILURE;
    }
    if mode == Mode::Check {
        println!("{} generated files are fresh", files.len());
    }
    ExitCode::SUCCESS
}
