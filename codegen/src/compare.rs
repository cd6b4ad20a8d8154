//! Compares generated files with what is on disk, with a readable diff. `cargo yauth generate
//! --check` uses [`compare`] for a user's files; every committed file of this repository that
//! a generator produces (runtime code, `docs/*.md`, `openapi.json`) goes through
//! [`ensure_file_contents`].

use std::path::{Component, Path, PathBuf};

use similar::TextDiff;
use yauth_migration::layout::{GeneratedFile, sha256_hex};

/// How a generated file stands on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Fresh,
    Missing,
    /// The file differs; `diff` is a unified diff from the disk to the expected contents.
    Differs {
        diff: String,
    },
}

/// Whether writing `file` would reproduce exactly what was first generated: always for
/// derived files, and for migrations when today's rendering matches the recorded hash.
pub fn restorable(file: &GeneratedFile) -> bool {
    file.recorded_sha256
        .as_ref()
        .is_none_or(|h| *h == sha256_hex(&file.contents))
}

/// The state of every file in `files`, relative to `root`.
pub fn compare(
    root: &Path,
    files: &[GeneratedFile],
) -> std::io::Result<Vec<(GeneratedFile, FileState)>> {
    let mut out = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        let state = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Missing,
            Err(e) => return Err(e),
            Ok(bytes) if bytes == file.contents.as_bytes() => FileState::Fresh,
            Ok(bytes) => {
                let on_disk = String::from_utf8_lossy(&bytes);
                match &file.recorded_sha256 {
                    // A migration is fresh when it is what was first written, whatever this
                    // version of yauth would render today.
                    Some(recorded) if sha256_hex(&on_disk) == *recorded => FileState::Fresh,
                    Some(recorded) if sha256_hex(&file.contents) != *recorded => {
                        FileState::Differs {
                            diff: format!(
                                "{} changed since it was first written (its SHA-256 is recorded in the snapshot); \
                             this yauth would also render it differently:\n{}",
                                file.path,
                                unified_diff(&file.path, &on_disk, &file.contents)
                            ),
                        }
                    }
                    _ => FileState::Differs {
                        diff: unified_diff(&file.path, &on_disk, &file.contents),
                    },
                }
            }
        };
        out.push((file.clone(), state));
    }
    Ok(out)
}

/// The one switch that rewrites stale committed files instead of failing: `YAUTH_BLESS=1`.
/// `cargo run -p generated-check -- --write` runs in the same mode.
pub const BLESS_ENV: &str = "YAUTH_BLESS";

/// What [`ensure_file_contents`] does with a stale file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fail with a diff (CI, and every run without the switch).
    Check,
    /// Rewrite the file.
    Bless,
}

impl Mode {
    /// [`Mode::Bless`] when `YAUTH_BLESS=1` is set, [`Mode::Check`] otherwise.
    pub fn from_env() -> Mode {
        match std::env::var(BLESS_ENV) {
            Ok(value) if value == "1" => Mode::Bless,
            _ => Mode::Check,
        }
    }
}

/// How [`ensure_file_contents`] left a fresh file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// It already held the expected contents; nothing was written.
    Fresh,
    /// It was stale or missing and has been rewritten ([`Mode::Bless`]).
    Rewritten,
}

/// Why a committed file is not what its generator produces.
#[derive(Debug, thiserror::Error)]
pub enum NotFresh {
    /// The file differs from the expected contents, or is missing.
    #[error("{path} is stale; run `{fix}` to rewrite it\n{diff}")]
    Stale {
        path: String,
        /// A unified diff from the disk to the expected contents.
        diff: String,
        /// The command that rewrites it.
        fix: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Makes sure the committed file at `path` holds exactly `expected`: nothing to do when it
/// does; when it does not, [`Mode::Bless`] rewrites it (creating folders as needed) and
/// [`Mode::Check`] fails with a unified diff and `fix`, the command that would rewrite it.
/// A missing file is stale (its diff shows every line as added).
pub fn ensure_file_contents(
    mode: Mode,
    path: &Path,
    expected: &str,
    fix: &str,
) -> Result<Ensured, NotFresh> {
    let label = lexically_normal(path).display().to_string();
    let io = |source| NotFresh::Io {
        path: label.clone(),
        source,
    };
    let on_disk = match std::fs::read(path) {
        Ok(bytes) if bytes == expected.as_bytes() => return Ok(Ensured::Fresh),
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    match mode {
        Mode::Bless => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            std::fs::write(path, expected).map_err(io)?;
            Ok(Ensured::Rewritten)
        }
        Mode::Check => Err(NotFresh::Stale {
            diff: unified_diff(&label, &on_disk, expected),
            path: label,
            fix: fix.to_string(),
        }),
    }
}

/// `path` with `.` and `dir/..` removed, so that `codegen/../docs/x.md` reads `docs/x.md`.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A unified diff from `on_disk` to `expected`, labelled with `path`.
pub fn unified_diff(path: &str, on_disk: &str, expected: &str) -> String {
    TextDiff::from_lines(on_disk, expected)
        .unified_diff()
        .context_radius(2)
        .header(&format!("{path} (on disk)"), &format!("{path} (generated)"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yauth_migration::layout::FileKind;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("yauth-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_stale_file_fails_with_its_diff_and_the_fix_and_is_left_alone() {
        let dir = scratch("ensure-check");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let path = dir.join("sub/../docs.md");
        std::fs::write(dir.join("docs.md"), "old line\n").unwrap();
        let err =
            ensure_file_contents(Mode::Check, &path, "new line\n", "run the fixer").unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("-old line") && message.contains("+new line"),
            "{message}"
        );
        assert!(message.contains("run the fixer"), "{message}");
        // The label is the normalised path, without `sub/..`.
        assert!(!message.contains(".."), "{message}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old line\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bless_rewrites_stale_and_missing_files_and_leaves_fresh_ones() {
        let dir = scratch("ensure-bless");
        let stale = dir.join("stale.md");
        std::fs::write(&stale, "old\n").unwrap();
        assert_eq!(
            ensure_file_contents(Mode::Bless, &stale, "new\n", "fix").unwrap(),
            Ensured::Rewritten
        );
        assert_eq!(std::fs::read_to_string(&stale).unwrap(), "new\n");
        let missing = dir.join("a/b/missing.rs");
        assert!(matches!(
            ensure_file_contents(Mode::Check, &missing, "x\n", "fix"),
            Err(NotFresh::Stale { .. })
        ));
        assert_eq!(
            ensure_file_contents(Mode::Bless, &missing, "x\n", "fix").unwrap(),
            Ensured::Rewritten
        );
        assert_eq!(std::fs::read_to_string(&missing).unwrap(), "x\n");
        for mode in [Mode::Check, Mode::Bless] {
            assert_eq!(
                ensure_file_contents(mode, &missing, "x\n", "fix").unwrap(),
                Ensured::Fresh
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn one_changed_byte_shows_in_the_diff() {
        let dir = std::env::temp_dir().join(format!("yauth-compare-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.sql"), "CREATE TABLE x;\n").unwrap();
        let files = vec![
            GeneratedFile {
                path: "a.sql".into(),
                contents: "CREATE TABLE y;\n".into(),
                kind: FileKind::Migration,
                recorded_sha256: None,
            },
            GeneratedFile {
                path: "b.sql".into(),
                contents: String::new(),
                kind: FileKind::Derived,
                recorded_sha256: None,
            },
        ];
        let states = compare(&dir, &files).unwrap();
        match &states[0].1 {
            FileState::Differs { diff } => {
                assert!(
                    diff.contains("-CREATE TABLE x;") && diff.contains("+CREATE TABLE y;"),
                    "{diff}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(states[1].1, FileState::Missing);
        // A migration matching its recorded hash is fresh even if yauth now renders it otherwise.
        let recorded = GeneratedFile {
            path: "a.sql".into(),
            contents: "CREATE TABLE z;\n".into(),
            kind: FileKind::Migration,
            recorded_sha256: Some(sha256_hex("CREATE TABLE x;\n")),
        };
        assert!(!restorable(&recorded));
        assert_eq!(
            compare(&dir, std::slice::from_ref(&recorded)).unwrap()[0].1,
            FileState::Fresh
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
