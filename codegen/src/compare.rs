//! Compares generated files with what is on disk, with a readable diff. `cargo yauth generate
//! --check` uses it for a user's files; `generated-check` for this repository's own.

use std::path::Path;

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
