//! Compares generated files with what is on disk, with a readable diff. `cargo yauth generate
//! --check` uses it for a user's files; `generated-check` for this repository's own.

use std::path::Path;

use similar::TextDiff;
use yauth_migration::layout::GeneratedFile;

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
            Ok(bytes) => FileState::Differs {
                diff: unified_diff(&file.path, &String::from_utf8_lossy(&bytes), &file.contents),
            },
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
            },
            GeneratedFile {
                path: "b.sql".into(),
                contents: String::new(),
                kind: FileKind::Derived,
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
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
