//! Test support: fresh databases on the machine's PostgreSQL, MariaDB and SQLite, introspection
//! of what a migration created, and the generated ORM code of every plugin, compiled here.

#![allow(clippy::all)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/generated.rs"));
}

pub mod db;

/// Generates the project files of `yauth_toml` into `dir`, as `cargo yauth generate` would
/// (with a fixed version), and returns the parsed configuration.
pub fn write_project(dir: &std::path::Path, yauth_toml: &str) -> yauth_migration::Config {
    let config = yauth_migration::Config::parse(yauth_toml).expect("valid yauth.toml");
    let (snapshot, _) =
        yauth_migration::layout::plan(&config, None, |_| "20260101000000".into()).expect("plan");
    for file in yauth_codegen::project_files(&config, &snapshot).expect("generate") {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, file.contents).expect("write");
    }
    config
}
