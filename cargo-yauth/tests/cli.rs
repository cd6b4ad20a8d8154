//! End-to-end tests of the `cargo-yauth` binary, each in an empty temporary directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use assert_cmd::Command;
use tempfile::TempDir;
use yauth_migration::layout::{Snapshot, sql_paths};
use yauth_migration::{Config, Orm};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-yauth");
const SQL_ORMS: [&str; 3] = ["diesel", "sqlx", "seaorm"];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `cargo yauth <args>` (as cargo does: with `yauth` as the first argument) in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(BIN)
        .current_dir(dir)
        .arg("yauth")
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let run = run_in(dir, args);
    assert_eq!(
        run.code, 0,
        "cargo yauth {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn fails(dir: &Path, args: &[&str]) -> Run {
    let run = run_in(dir, args);
    assert_ne!(
        run.code,
        0,
        "cargo yauth {args:?} should fail\n{}",
        run.all()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// A bad-input failure: one line on stderr, starting with `error:`.
fn fails_with_one_line(dir: &Path, args: &[&str]) -> String {
    let run = fails(dir, args);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "cargo yauth {args:?}: expected one line, got:\n{}",
        run.stderr
    );
    assert!(lines[0].starts_with("error: "), "{}", run.stderr);
    lines[0].to_string()
}

fn check_passes(dir: &Path) {
    let run = ok(dir, &["generate", "--check"]);
    assert!(run.stdout.contains("up to date"), "{}", run.all());
}

fn init(dir: &Path, orm: &str, dialect: &str, plugins: &str) -> Run {
    let mut args = vec!["init", "--orm", orm, "--dialect", dialect];
    if !plugins.is_empty() {
        args.extend(["--plugins", plugins]);
    }
    ok(dir, &args)
}

/// Every file under `dir`, by path relative to it (with `/`), with its contents.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_with_mtime(dir)
        .into_iter()
        .map(|(path, (_, bytes))| (path, bytes))
        .collect()
}

fn files_with_mtime(dir: &Path) -> BTreeMap<String, (SystemTime, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (SystemTime, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let mtime = entry.metadata().unwrap().modified().unwrap();
                out.insert(rel, (mtime, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn generated_files(dir: &Path) -> Vec<String> {
    files(dir)
        .into_keys()
        .filter(|p| p != "yauth.toml")
        .collect()
}

fn config(dir: &Path) -> Config {
    Config::parse(&std::fs::read_to_string(dir.join("yauth.toml")).unwrap()).unwrap()
}

fn snapshot(dir: &Path) -> Snapshot {
    let text = std::fs::read_to_string(dir.join("migrations/yauth-snapshot.json")).unwrap();
    Snapshot::parse(&text).unwrap()
}

fn step_names(dir: &Path) -> Vec<String> {
    snapshot(dir).steps.into_iter().map(|s| s.name).collect()
}

fn digits(text: &str, n: usize) -> bool {
    text.len() == n && text.bytes().all(|b| b.is_ascii_digit())
}

/// The single entry of `dir` whose name ends with `suffix`.
fn one_entry(dir: &Path, suffix: &str) -> String {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    assert_eq!(names.len(), 1, "{names:?} in {}", dir.display());
    names[0].clone()
}

fn tmp() -> TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn init_writes_the_files_of_each_orm() {
    for dialect in ["postgres", "mysql", "sqlite"] {
        // diesel: migrations/<YYYY-MM-DD-HHMMSS>_yauth_init/{up,down}.sql and schema.rs
        let dir = tmp();
        let d = dir.path();
        init(d, "diesel", dialect, "email-password");
        let folder = one_entry(&d.join("migrations"), "_yauth_init");
        let version = folder.trim_end_matches("_yauth_init");
        let parts: Vec<&str> = version.split('-').collect();
        assert!(
            parts.len() == 4
                && digits(parts[0], 4)
                && digits(parts[1], 2)
                && digits(parts[2], 2)
                && digits(parts[3], 6),
            "{folder}"
        );
        for file in ["up.sql", "down.sql"] {
            assert!(d.join("migrations").join(&folder).join(file).is_file());
        }
        assert!(d.join("migrations/yauth-snapshot.json").is_file());
        let schema = std::fs::read_to_string(d.join("src/yauth_schema.rs")).unwrap();
        assert!(schema.contains("yauth_users"), "{schema}");
        check_passes(d);

        // sqlx: migrations/<YYYYMMDDHHMMSS>_yauth_init.up.sql / .down.sql
        let dir = tmp();
        let d = dir.path();
        init(d, "sqlx", dialect, "email-password");
        let up = one_entry(&d.join("migrations"), "_yauth_init.up.sql");
        assert!(
            digits(up.trim_end_matches("_yauth_init.up.sql"), 14),
            "{up}"
        );
        let down = up.replace(".up.sql", ".down.sql");
        assert!(d.join("migrations").join(down).is_file());
        assert!(d.join("migrations/yauth-snapshot.json").is_file());
        assert!(!d.join("src").exists(), "sqlx gets no Rust files");
        check_passes(d);

        // seaorm: SQL under migrations/sql, the migration crate, and entities
        let dir = tmp();
        let d = dir.path();
        init(d, "seaorm", dialect, "email-password");
        let folder = one_entry(&d.join("migrations/sql"), "_yauth_init");
        assert!(
            digits(folder.trim_end_matches("_yauth_init"), 14),
            "{folder}"
        );
        for file in ["up.sql", "down.sql"] {
            assert!(d.join("migrations/sql").join(&folder).join(file).is_file());
        }
        for file in [
            "migrations/Cargo.toml",
            "migrations/src/lib.rs",
            "migrations/yauth-snapshot.json",
            "src/yauth_entities/users.rs",
        ] {
            assert!(d.join(file).is_file(), "{file}");
        }
        check_passes(d);

        // toasty: models only, no migrations
        let dir = tmp();
        let d = dir.path();
        init(d, "toasty", dialect, "email-password");
        assert!(d.join("src/yauth_models/users.rs").is_file());
        assert!(!d.join("migrations").exists());
        check_passes(d);
        ok(d, &["status"]);
    }
}

#[test]
fn works_without_the_cargo_subcommand_argument() {
    let dir = tmp();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["init", "--orm", "sqlx", "--dialect", "sqlite"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("yauth.toml").is_file());
}

#[test]
fn written_config_documents_its_keys() {
    let dir = tmp();
    init(dir.path(), "diesel", "postgres", "email-password,passkey");
    let text = std::fs::read_to_string(dir.path().join("yauth.toml")).unwrap();
    for expected in [
        "[migration]",
        "orm = \"diesel\"",
        "dialect = \"postgres\"",
        "migrations_dir = \"migrations\"",
        "table_prefix = \"yauth_\"",
        "[plugins]",
        "enabled = [\"email-password\", \"passkey\"]",
        "# diesel | sqlx | seaorm | toasty",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    assert!(
        text.lines().filter(|l| l.contains('#')).count() >= 5,
        "{text}"
    );
}

#[test]
fn add_then_remove_writes_two_migrations_and_regeneration_writes_nothing() {
    for orm in SQL_ORMS {
        let dir = tmp();
        let d = dir.path();
        init(d, orm, "postgres", "email-password");
        check_passes(d);
        ok(d, &["add-plugin", "mfa"]);
        check_passes(d);
        ok(d, &["remove-plugin", "mfa"]);
        check_passes(d);
        assert_eq!(
            step_names(d),
            ["yauth_init", "yauth_add_mfa", "yauth_remove_mfa"],
            "{orm}"
        );
        assert_eq!(config(d).enabled, ["email-password"]);

        let before = files_with_mtime(d);
        for _ in 0..2 {
            let run = ok(d, &["generate"]);
            assert!(run.stdout.contains("nothing to write"), "{}", run.all());
        }
        assert_eq!(before, files_with_mtime(d), "{orm}: generate rewrote files");
        assert_eq!(step_names(d).len(), 3);
    }
}

#[test]
fn no_op_add_and_remove_print_a_notice() {
    let dir = tmp();
    let d = dir.path();
    init(d, "sqlx", "mysql", "email-password");
    let before = files_with_mtime(d);
    let run = ok(d, &["add-plugin", "email-password"]);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.all());
    assert!(run.stdout.contains("already enabled"), "{}", run.all());
    let run = ok(d, &["remove-plugin", "webhooks"]);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.all());
    assert!(run.stdout.contains("not enabled"), "{}", run.all());
    assert_eq!(before, files_with_mtime(d));
}

#[test]
fn comments_and_key_order_survive_add_plugin() {
    let original = "\
# keep me: the project's auth tables
[plugins]
# the ones we ship with
enabled = [
    \"email-password\", # keep me too
    \"passkey\",
]

[migration]
table_prefix = \"yauth_\"   # keep me three
dialect = \"sqlite\"
orm = \"diesel\"
migrations_dir = \"db/migrations\"
";
    let dir = tmp();
    let d = dir.path();
    std::fs::write(d.join("yauth.toml"), original).unwrap();
    ok(d, &["generate"]);
    ok(d, &["add-plugin", "mfa"]);
    let edited = std::fs::read_to_string(d.join("yauth.toml")).unwrap();
    let expected = original.replace("    \"passkey\",\n", "    \"passkey\",\n    \"mfa\",\n");
    assert_eq!(edited, expected);
    assert!(d.join("db/migrations/yauth-snapshot.json").is_file());
    check_passes(d);

    ok(d, &["remove-plugin", "mfa"]);
    assert_eq!(
        std::fs::read_to_string(d.join("yauth.toml")).unwrap(),
        original
    );
    check_passes(d);
}

/// `bytes` with one byte changed: appended, or the middle one flipped.
fn tampered(bytes: &[u8], flip: bool) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if flip && !out.is_empty() {
        let at = out.len() / 2;
        out[at] ^= 0x01;
    } else {
        out.push(b'x');
    }
    out
}

#[test]
fn tampering_with_any_generated_file_fails_the_check() {
    for orm in ["diesel", "sqlx", "seaorm", "toasty"] {
        let dir = tmp();
        let d = dir.path();
        init(d, orm, "postgres", "email-password,passkey");
        ok(d, &["add-plugin", "oidc"]);
        let generated = generated_files(d);
        assert!(generated.len() >= 3, "{orm}: {generated:?}");
        for rel in generated {
            let path = d.join(&rel);
            let original = std::fs::read(&path).unwrap();
            for flip in [false, true] {
                std::fs::write(&path, tampered(&original, flip)).unwrap();
                let run = fails(d, &["generate", "--check"]);
                assert_eq!(run.code, 1);
                assert!(
                    run.all().contains(&rel),
                    "{orm}: the output does not name {rel}:\n{}",
                    run.all()
                );
                std::fs::write(&path, &original).unwrap();
            }
            check_passes(d);
        }
    }
}

#[test]
fn a_deleted_migration_is_restored_byte_identical() {
    for orm in SQL_ORMS {
        let dir = tmp();
        let d = dir.path();
        init(d, orm, "sqlite", "email-password");
        ok(d, &["add-plugin", "magic-link"]);
        let before = files(d);
        let migrations: Vec<&String> = before
            .keys()
            .filter(|p| p.ends_with(".sql") || p.contains("/src/m"))
            .collect();
        assert!(migrations.len() >= 4, "{migrations:?}");
        for rel in migrations {
            std::fs::remove_file(d.join(rel)).unwrap();
            let run = fails(d, &["generate", "--check"]);
            assert!(run.stderr.contains(rel.as_str()), "{}", run.all());
            let run = ok(d, &["generate"]);
            assert!(run.stdout.contains(rel.as_str()), "{}", run.all());
            assert_eq!(before, files(d), "{orm}: {rel} not restored as it was");
        }
    }
}

#[test]
fn a_hand_edited_migration_is_never_overwritten() {
    let dir = tmp();
    let d = dir.path();
    init(d, "sqlx", "postgres", "mfa");
    let up = format!(
        "migrations/{}",
        one_entry(&d.join("migrations"), "_yauth_init.up.sql")
    );
    let mut text = std::fs::read_to_string(d.join(&up)).unwrap();
    text.push_str("-- applied with a tweak\n");
    std::fs::write(d.join(&up), &text).unwrap();
    let run = ok(d, &["generate"]);
    assert!(
        run.stderr.contains("warning") && run.stderr.contains(&up),
        "{}",
        run.all()
    );
    assert_eq!(std::fs::read_to_string(d.join(&up)).unwrap(), text);
    let run = fails(d, &["generate", "--check"]);
    assert!(
        run.stderr.contains("-- applied with a tweak"),
        "{}",
        run.all()
    );
}

/// Files of `dir` with every migration version replaced by its index, in all the forms the
/// ORMs write it.
fn normalized(dir: &Path) -> BTreeMap<String, String> {
    let versions: Vec<String> = snapshot(dir).steps.into_iter().map(|s| s.version).collect();
    let normalize = |text: &str| {
        let mut text = text.to_string();
        for (i, v) in versions.iter().enumerate() {
            let diesel = format!("{}-{}-{}-{}", &v[0..4], &v[4..6], &v[6..8], &v[8..14]);
            let seaorm = format!("{}_{}", &v[0..8], &v[8..14]);
            text = text
                .replace(v.as_str(), &format!("<V{i}>"))
                .replace(&diesel, &format!("<V{i}>"))
                .replace(&seaorm, &format!("<V{i}>"));
        }
        text
    };
    files(dir)
        .into_iter()
        .map(|(path, bytes)| {
            (
                normalize(&path),
                normalize(&String::from_utf8(bytes).unwrap()),
            )
        })
        .collect()
}

#[test]
fn a_hand_edit_of_enabled_generates_what_add_plugin_would() {
    for orm in SQL_ORMS {
        let by_command = tmp();
        init(by_command.path(), orm, "mysql", "email-password");
        ok(by_command.path(), &["add-plugin", "mfa"]);

        let by_hand = tmp();
        let d = by_hand.path();
        init(d, orm, "mysql", "email-password");
        let text = std::fs::read_to_string(d.join("yauth.toml")).unwrap();
        let edited = text.replace("[\"email-password\"]", "[\"email-password\", \"mfa\"]");
        assert_ne!(text, edited);
        std::fs::write(d.join("yauth.toml"), edited).unwrap();
        let run = fails(d, &["generate", "--check"]);
        assert!(run.stderr.contains("not generated yet"), "{}", run.all());
        let run = ok(d, &["generate"]);
        assert!(run.stdout.contains("yauth_add_mfa"), "{}", run.all());
        check_passes(d);

        assert_eq!(step_names(d), ["yauth_init", "yauth_add_mfa"]);
        assert_eq!(normalized(by_command.path()), normalized(d), "{orm}");
    }
}

#[test]
fn oidc_brings_its_dependencies_and_they_cannot_be_removed_under_it() {
    let dir = tmp();
    let d = dir.path();
    init(d, "diesel", "postgres", "email-password");
    ok(d, &["add-plugin", "oidc"]);
    check_passes(d);
    let status = ok(d, &["status"]).stdout;
    assert!(status.contains("bearer (required by oidc)"), "{status}");
    assert!(
        status.contains("oauth2-server (required by oidc)"),
        "{status}"
    );
    assert_eq!(config(d).enabled, ["email-password", "oidc"]);

    // bearer is only implied: nothing to remove, and the notice says who needs it.
    let before = files_with_mtime(d);
    let run = ok(d, &["remove-plugin", "bearer"]);
    assert!(
        run.stdout.contains("not enabled") && run.stdout.contains("oidc"),
        "{}",
        run.all()
    );
    assert_eq!(before, files_with_mtime(d));

    // listed explicitly, it still cannot go while oidc needs it.
    ok(d, &["add-plugin", "bearer"]);
    assert_eq!(config(d).enabled, ["email-password", "oidc", "bearer"]);
    let before = files_with_mtime(d);
    let line = fails_with_one_line(d, &["remove-plugin", "bearer"]);
    assert!(line.contains("oidc") && line.contains("bearer"), "{line}");
    assert_eq!(
        before,
        files_with_mtime(d),
        "a refused removal changed files"
    );

    ok(d, &["remove-plugin", "oidc"]);
    ok(d, &["remove-plugin", "bearer"]);
    check_passes(d);
    assert_eq!(config(d).enabled, ["email-password"]);
}

#[test]
fn bad_input_gets_one_error_line() {
    let dir = tmp();
    let d = dir.path();

    // Before any config exists.
    fails_with_one_line(d, &["init", "--orm", "hibernate", "--dialect", "postgres"]);
    fails_with_one_line(d, &["init", "--orm", "diesel", "--dialect", "oracle"]);
    let line = fails_with_one_line(
        d,
        &[
            "init",
            "--orm",
            "diesel",
            "--dialect",
            "postgres",
            "--plugins",
            "sso",
        ],
    );
    assert!(line.contains("sso"), "{line}");
    fails_with_one_line(
        d,
        &[
            "init",
            "--orm",
            "diesel",
            "--dialect",
            "postgres",
            "--prefix",
            "a-b",
        ],
    );
    fails_with_one_line(d, &["init", "--orm", "diesel"]);
    assert!(
        std::fs::read_dir(d).unwrap().next().is_none(),
        "a refused init wrote files"
    );
    for args in [
        &["status"][..],
        &["generate"],
        &["generate", "--check"],
        &["add-plugin", "mfa"],
        &["remove-plugin", "mfa"],
    ] {
        let line = fails_with_one_line(d, args);
        assert!(line.contains("yauth.toml"), "{line}");
    }
    fails_with_one_line(d, &["frobnicate"]);
    fails_with_one_line(d, &[]);

    // With a config.
    init(d, "sqlx", "postgres", "email-password");
    let line = fails_with_one_line(d, &["add-plugin", "sso"]);
    assert!(line.contains("sso"), "{line}");
    fails_with_one_line(d, &["remove-plugin", "sso"]);
    let line = fails_with_one_line(d, &["init", "--orm", "sqlx", "--dialect", "postgres"]);
    assert!(line.contains("--force"), "{line}");
    // A new dialect over existing migrations is refused, and the config is left alone.
    let text = std::fs::read_to_string(d.join("yauth.toml")).unwrap();
    fails_with_one_line(
        d,
        &["init", "--orm", "sqlx", "--dialect", "mysql", "--force"],
    );
    assert_eq!(std::fs::read_to_string(d.join("yauth.toml")).unwrap(), text);

    // Unparsable and invalid configs.
    for bad in [
        "not toml [",
        "[migration]\norm = \"diesel\"\n",
        "[migration]\norm = \"diesel\"\ndialect = \"oracle\"\n",
        "[migration]\norm = \"ef\"\ndialect = \"sqlite\"\n",
        "[migration]\norm = \"diesel\"\ndialect = \"sqlite\"\n[plugins]\nenabled = [\"sso\"]\n",
        "[migration]\norm = \"diesel\"\ndialect = \"sqlite\"\ntable_prefx = \"x_\"\n",
        "[migration]\norm = \"diesel\"\ndialect = \"sqlite\"\nmigrations_dir = \"\"\n",
    ] {
        std::fs::write(d.join("yauth.toml"), bad).unwrap();
        for args in [
            &["status"][..],
            &["generate"],
            &["generate", "--check"],
            &["add-plugin", "mfa"],
        ] {
            fails_with_one_line(d, args);
        }
    }

    // A snapshot that cannot be read.
    std::fs::write(d.join("yauth.toml"), text).unwrap();
    std::fs::write(d.join("migrations/yauth-snapshot.json"), "{\"format\": 1").unwrap();
    let line = fails_with_one_line(d, &["generate"]);
    assert!(line.contains("yauth-snapshot.json"), "{line}");
    // ... or that is gone while its migrations are still there.
    std::fs::remove_file(d.join("migrations/yauth-snapshot.json")).unwrap();
    let line = fails_with_one_line(d, &["generate"]);
    assert!(line.contains("yauth-snapshot.json"), "{line}");
}

#[test]
fn init_force_keeps_the_migrations_and_continues_from_the_snapshot() {
    let dir = tmp();
    let d = dir.path();
    init(d, "diesel", "sqlite", "email-password");
    ok(d, &["add-plugin", "mfa"]);
    let before = files(d);
    ok(
        d,
        &[
            "init",
            "--orm",
            "diesel",
            "--dialect",
            "sqlite",
            "--plugins",
            "passkey",
            "--force",
        ],
    );
    let after = files(d);
    for (path, bytes) in before.iter().filter(|(p, _)| p.ends_with(".sql")) {
        assert_eq!(after.get(path), Some(bytes), "{path} changed");
    }
    assert_eq!(
        step_names(d),
        [
            "yauth_init",
            "yauth_add_mfa",
            "yauth_add_passkey_remove_email_password_remove_mfa"
        ]
    );
    check_passes(d);
}

#[test]
fn file_flag_resolves_paths_against_the_config_directory() {
    let cwd = tmp();
    let c = cwd.path();
    let file = "sub/dir/yauth.toml";
    ok(
        c,
        &[
            "-f",
            file,
            "init",
            "--orm",
            "diesel",
            "--dialect",
            "postgres",
        ],
    );
    // The flag is global: it may follow the command too.
    ok(c, &["add-plugin", "mfa", "-f", file]);
    ok(c, &["--file", file, "generate", "--check"]);
    let status = ok(c, &["status", "-f", file]).stdout;
    assert!(status.contains("sub/dir/migrations"), "{status}");

    let top: Vec<String> = std::fs::read_dir(c)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(top, ["sub"], "files were written outside sub/dir");
    let root: PathBuf = c.join("sub/dir");
    assert!(root.join("migrations/yauth-snapshot.json").is_file());
    assert!(root.join("src/yauth_schema.rs").is_file());
    assert_eq!(step_names(&root), ["yauth_init", "yauth_add_mfa"]);
    // From the config's own directory, everything is the same files.
    check_passes(&root);
}

#[test]
fn any_sequence_of_changes_stays_exact() {
    for orm in SQL_ORMS {
        let dir = tmp();
        let d = dir.path();
        init(d, orm, "postgres", "email-password");
        for (command, plugin) in [
            ("add-plugin", "mfa"),
            ("add-plugin", "passkey"),
            ("remove-plugin", "mfa"),
            ("add-plugin", "oidc"),
        ] {
            ok(d, &[command, plugin]);
            check_passes(d);
        }
        let snapshot = snapshot(d);
        assert_eq!(snapshot.steps.len(), 5, "{orm}");
        let versions: Vec<&str> = snapshot.steps.iter().map(|s| s.version.as_str()).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        let orm = Orm::parse(orm).unwrap();
        for step in &snapshot.steps {
            let (up, down) = sql_paths(orm, "migrations", step).unwrap();
            for path in [&up, &down] {
                let text = std::fs::read_to_string(d.join(path)).unwrap();
                assert!(text.contains(';'), "{path} has no statement:\n{text}");
            }
        }
        let before = files_with_mtime(d);
        ok(d, &["generate"]);
        assert_eq!(before, files_with_mtime(d));
    }
}

#[test]
fn a_custom_prefix_is_used_and_warned_about() {
    let dir = tmp();
    let d = dir.path();
    ok(
        d,
        &[
            "init",
            "--orm",
            "diesel",
            "--dialect",
            "postgres",
            "--plugins",
            "mfa",
            "--prefix",
            "auth_",
        ],
    );
    let status = ok(d, &["status"]);
    assert!(
        status.stderr.contains("warning") && status.stderr.contains("yauth_"),
        "{}",
        status.all()
    );
    assert!(status.stdout.contains("auth_"), "{}", status.all());
    let folder = one_entry(&d.join("migrations"), "_yauth_init");
    let up = std::fs::read_to_string(d.join("migrations").join(folder).join("up.sql")).unwrap();
    assert!(
        up.contains("auth_users") && up.contains("auth_totp_secrets"),
        "{up}"
    );
    assert!(!up.contains("yauth_"), "{up}");
    let schema = std::fs::read_to_string(d.join("src/yauth_schema.rs")).unwrap();
    assert!(
        schema.contains("auth_users") && !schema.contains("yauth_users"),
        "{schema}"
    );
    check_passes(d);

    // The default prefix gets no warning.
    let dir = tmp();
    init(dir.path(), "sqlx", "sqlite", "");
    assert!(!ok(dir.path(), &["status"]).stderr.contains("warning"));
}

#[test]
fn repositories_are_generated_for_a_custom_prefix_and_checked_to_the_byte() {
    for orm in SQL_ORMS {
        let dir = tmp();
        let d = dir.path();
        ok(
            d,
            &[
                "init",
                "--orm",
                orm,
                "--dialect",
                "postgres",
                "--plugins",
                "mfa",
                "--prefix",
                "auth_",
                "--repositories",
            ],
        );
        assert_eq!(
            config(d).repositories_file.as_deref(),
            Some("src/yauth_repos.rs")
        );
        let status = ok(d, &["status"]);
        assert!(!status.stderr.contains("warning"), "{}", status.all());
        assert!(
            status.stdout.contains("repositories:   src/yauth_repos.rs"),
            "{}",
            status.all()
        );
        let path = d.join("src/yauth_repos.rs");
        let module = std::fs::read_to_string(&path).unwrap();
        assert!(
            module.starts_with("// @generated by yauth-codegen"),
            "{orm}"
        );
        assert!(module.contains("pub struct Backend"), "{orm}");
        assert!(module.contains("use yauth::entity::*;"), "{orm}");
        assert!(
            module.contains("auth_users") && !module.contains("yauth_users"),
            "{orm}"
        );
        if orm == "sqlx" {
            assert!(
                !module.contains("query!"),
                "sqlx statements are bound at run time"
            );
        }
        check_passes(d);

        // One byte changed anywhere in the module fails the check and names the file;
        // `generate` puts it back.
        let mut bytes = module.clone().into_bytes();
        let at = bytes.len() / 2;
        bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
        std::fs::write(&path, &bytes).unwrap();
        let run = fails(d, &["generate", "--check"]);
        assert!(run.all().contains("src/yauth_repos.rs"), "{}", run.all());
        ok(d, &["generate"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), module);
        check_passes(d);
    }
    // Toasty has no generated repositories (yet): refused with the reason.
    let dir = tmp();
    let line = fails_with_one_line(
        dir.path(),
        &[
            "init",
            "--orm",
            "toasty",
            "--dialect",
            "sqlite",
            "--repositories",
        ],
    );
    assert!(line.contains("toasty"), "{line}");
}

#[test]
fn an_extra_user_column_is_one_incremental_migration_and_reaches_every_generated_file() {
    for orm in SQL_ORMS {
        let dir = tmp();
        let d = dir.path();
        ok(
            d,
            &[
                "init",
                "--orm",
                orm,
                "--dialect",
                "sqlite",
                "--prefix",
                "auth_",
                "--repositories",
            ],
        );
        let text = std::fs::read_to_string(d.join("yauth.toml")).unwrap();
        std::fs::write(
            d.join("yauth.toml"),
            format!(
                "{text}\n[users.extra.company]\ntype = \"string\"\nsettable = true\n\n\
                 [users.extra.plan]\ntype = \"string\"\nnullable = false\ndefault = \"free\"\n"
            ),
        )
        .unwrap();
        let run = fails(d, &["generate", "--check"]);
        assert!(run.all().contains("src/yauth_repos.rs"), "{}", run.all());
        ok(d, &["generate"]);
        let steps = step_names(d);
        assert_eq!(steps.len(), 2, "{steps:?}");
        let up: String = files(d)
            .into_iter()
            .filter(|(path, _)| path.ends_with("up.sql") && path.contains(&steps[1]))
            .map(|(_, bytes)| String::from_utf8(bytes).unwrap())
            .collect();
        assert!(
            up.contains("ALTER TABLE") && up.contains("company") && up.contains("'free'"),
            "{orm}: {up}"
        );
        let status = ok(d, &["status"]);
        assert!(
            status
                .stdout
                .contains("users.extra:    company (string, settable), plan (string, not null)"),
            "{}",
            status.all()
        );
        assert!(!status.stderr.contains("warning"), "{}", status.all());
        let module = std::fs::read_to_string(d.join("src/yauth_repos.rs")).unwrap();
        assert!(
            module.contains("name: \"company\"") && module.contains("settable: true"),
            "{orm}"
        );
        assert!(module.contains("ExtraDefault::String(\"free\")"), "{orm}");
        match orm {
            "diesel" => {
                let schema = std::fs::read_to_string(d.join("src/yauth_schema.rs")).unwrap();
                assert!(schema.contains("company"), "{schema}");
            }
            "seaorm" => {
                let users = std::fs::read_to_string(d.join("src/yauth_entities/users.rs")).unwrap();
                assert!(users.contains("company"), "{users}");
            }
            _ => {}
        }
        check_passes(d);
    }
    // Without generated repositories, the built-in backends ignore extra columns: said so.
    let dir = tmp();
    let d = dir.path();
    init(d, "diesel", "postgres", "");
    let text = std::fs::read_to_string(d.join("yauth.toml")).unwrap();
    std::fs::write(
        d.join("yauth.toml"),
        format!("{text}\n[users.extra.company]\ntype = \"string\"\n"),
    )
    .unwrap();
    let status = ok(d, &["status"]);
    assert!(
        status
            .stderr
            .contains("stored only by generated repositories"),
        "{}",
        status.all()
    );
}

#[test]
fn status_reports_stale_files_and_pending_changes_but_succeeds() {
    let dir = tmp();
    let d = dir.path();
    init(d, "seaorm", "sqlite", "email-password,admin");
    let status = ok(d, &["status"]).stdout;
    assert!(status.contains("files: up to date"), "{status}");
    assert!(status.contains("migrations: 1 step"), "{status}");
    assert!(status.contains("telemetry (no tables)"), "{status}");
    assert!(
        status.contains("  enabled:   email-password, admin"),
        "{status}"
    );

    std::fs::remove_file(d.join("src/yauth_entities/users.rs")).unwrap();
    let text = std::fs::read_to_string(d.join("yauth.toml")).unwrap();
    std::fs::write(
        d.join("yauth.toml"),
        text.replace("\"admin\"]", "\"admin\", \"webhooks\"]"),
    )
    .unwrap();
    let status = ok(d, &["status"]).stdout;
    assert!(
        status.contains("missing: src/yauth_entities/users.rs"),
        "{status}"
    );
    assert!(status.contains("not generated yet"), "{status}");
    ok(d, &["generate"]);
    assert!(ok(d, &["status"]).stdout.contains("files: up to date"));
    assert_eq!(step_names(d), ["yauth_init", "yauth_add_webhooks"]);
}

#[test]
fn entities_of_a_removed_plugin_are_cleaned_up() {
    for (orm, dir_name) in [
        ("seaorm", "src/yauth_entities"),
        ("toasty", "src/yauth_models"),
    ] {
        let dir = tmp();
        let d = dir.path();
        init(d, orm, "postgres", "email-password,mfa");
        let totp = d.join(dir_name).join("totp_secrets.rs");
        assert!(totp.is_file());
        std::fs::write(d.join(dir_name).join("mine.rs"), "// my own module\n").unwrap();
        ok(d, &["remove-plugin", "mfa"]);
        assert!(!totp.exists(), "{orm}: the totp entity is left behind");
        assert!(
            d.join(dir_name).join("mine.rs").is_file(),
            "a user file was removed"
        );
        check_passes(d);
    }
}

/// A later yauth may render old steps differently (a new header, another quoting). Applied
/// migrations are judged against the SHA-256 recorded when they were first written: still
/// fresh if untouched, and never restored with different bytes.
#[test]
fn migrations_are_checked_against_their_recorded_hashes() {
    let dir = TempDir::new().unwrap();
    ok(
        dir.path(),
        &[
            "init",
            "--orm",
            "sqlx",
            "--dialect",
            "postgres",
            "--plugins",
            "email-password",
        ],
    );
    let snapshot_path = dir.path().join("migrations/yauth-snapshot.json");
    let mut snapshot = Snapshot::parse(&std::fs::read_to_string(&snapshot_path).unwrap()).unwrap();
    let config =
        Config::parse(&std::fs::read_to_string(dir.path().join("yauth.toml")).unwrap()).unwrap();
    let (up, _) = sql_paths(Orm::Sqlx, &config.migrations_dir, &snapshot.steps[0]).unwrap();
    let up = dir.path().join(up);
    // Pretend an older yauth wrote this file: different bytes, and their hash on record.
    let older = format!(
        "-- written by an older yauth\n{}",
        std::fs::read_to_string(&up).unwrap()
    );
    std::fs::write(&up, &older).unwrap();
    snapshot.steps[0].sql_sha256.as_mut().unwrap().up = yauth_migration::layout::sha256_hex(&older);
    std::fs::write(&snapshot_path, snapshot.to_json()).unwrap();
    check_passes(dir.path());
    // Changing that migration is still caught.
    std::fs::write(&up, format!("{older}-- edited\n")).unwrap();
    let run = fails(dir.path(), &["generate", "--check"]);
    assert!(
        run.all().contains("changed since it was first written"),
        "{}",
        run.all()
    );
    // Deleted, it cannot be re-created byte for byte: generate says so and writes nothing.
    std::fs::remove_file(&up).unwrap();
    let run = ok(dir.path(), &["generate"]);
    assert!(run.stderr.contains("cannot restore"), "{}", run.stderr);
    assert!(!up.exists());
}

/// `generate` never overwrites a file that yauth did not write, such as diesel's own
/// `src/schema.rs` when `schema_file` points at it.
#[test]
fn generate_refuses_to_overwrite_a_file_it_did_not_write() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/schema.rs"),
        "// my own diesel schema\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("yauth.toml"),
        "[migration]\norm = \"diesel\"\ndialect = \"postgres\"\nschema_file = \"src/schema.rs\"\n\n[plugins]\nenabled = []\n",
    )
    .unwrap();
    let run = fails(dir.path(), &["generate"]);
    assert!(
        run.stderr.contains("not written by yauth"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/schema.rs")).unwrap(),
        "// my own diesel schema\n"
    );
}

/// Switching the ORM after migrations exist would lay the same history out again in another
/// tool's format (and re-apply it): refused, like a dialect change, and `status` says why.
#[test]
fn changing_the_orm_after_migrations_is_refused() {
    let dir = TempDir::new().unwrap();
    ok(
        dir.path(),
        &["init", "--orm", "diesel", "--dialect", "sqlite"],
    );
    let toml = dir.path().join("yauth.toml");
    let text = std::fs::read_to_string(&toml)
        .unwrap()
        .replace("orm = \"diesel\"", "orm = \"sqlx\"");
    std::fs::write(&toml, text).unwrap();
    let line = fails_with_one_line(dir.path(), &["generate"]);
    assert!(line.contains("generated for diesel"), "{line}");
    let status = ok(dir.path(), &["status"]);
    assert!(status.stdout.contains("cannot assess"), "{}", status.stdout);
}
