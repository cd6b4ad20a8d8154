//! Writes the generated diesel schemas, sea-orm entities and sea-orm migration crates of
//! every plugin, for each dialect, into OUT_DIR, and a `generated.rs` that mounts them as
//! modules: compiling this crate compiles the generated code.

use std::fmt::Write as _;
use std::path::Path;

use yauth_migration::Dialect;
use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};
use yauth_migration::layout::{Snapshot, Step};

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().expect("files have a parent")).expect("create dir");
    std::fs::write(path, contents).expect("write generated file");
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for dir in ["../../schema/src", "../../codegen/src", "../../templates"] {
        println!("cargo::rerun-if-changed={dir}");
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let schema = full_schema(DEFAULT_PREFIX);
    let mut mounts = String::new();
    for dialect in Dialect::ALL {
        let root = out.join(dialect.name());
        let _ = std::fs::remove_dir_all(&root);
        write(
            &root.join("schema.rs"),
            &yauth_codegen::diesel::schema_rs(&schema, dialect).expect("diesel schema"),
        );
        for (name, contents) in yauth_codegen::seaorm::entities(&schema, dialect).expect("entities")
        {
            write(&root.join("entities").join(name), &contents);
        }
        let mut snapshot = Snapshot::new(yauth_migration::Orm::Seaorm, dialect);
        snapshot.steps.push(Step {
            version: "20260101000000".into(),
            name: "yauth_init".into(),
            plugins: Vec::new(),
            schema: schema.clone(),
            sql_sha256: None,
        });
        for (name, contents, _) in
            yauth_codegen::seaorm::migration_crate(dialect, &snapshot).expect("migration crate")
        {
            write(&root.join("migration").join(&name), &contents);
        }
        let sql = snapshot.step_sql(0).expect("sql");
        let dir = root.join("migration/sql/20260101000000_yauth_init");
        write(
            &dir.join("up.sql"),
            &yauth_migration::diff::sql_file(&sql.up),
        );
        write(
            &dir.join("down.sql"),
            &yauth_migration::diff::sql_file(&sql.down),
        );
        let path = |p: &str| root.join(p).display().to_string();
        writeln!(
            mounts,
            "pub mod {name} {{\n    #[path = {schema:?}]\n    pub mod schema;\n    #[path = {entities:?}]\n    pub mod entities;\n    #[path = {migration:?}]\n    pub mod migration;\n}}",
            name = dialect.name(),
            schema = path("schema.rs"),
            entities = path("entities/mod.rs"),
            migration = path("migration/src/lib.rs"),
        )
        .expect("write to string");
    }
    // Each plugin alone (with what it requires), on PostgreSQL: relations and joinables are
    // generated per plugin set, so every set must compile, not only the full one.
    mounts.push_str("pub mod per_plugin {\n");
    for plugin in yauth_migration::plugins::PLUGINS {
        let active = yauth_migration::plugins::resolve(&[plugin.name.to_string()])
            .expect("known plugin")
            .active;
        let schema = yauth_migration::builtin::schema_for(&active, DEFAULT_PREFIX)
            .expect("valid plugin set");
        let module = plugin.name.replace('-', "_");
        let root = out.join("per_plugin").join(&module);
        let _ = std::fs::remove_dir_all(&root);
        write(
            &root.join("schema.rs"),
            &yauth_codegen::diesel::schema_rs(&schema, Dialect::Postgres).expect("diesel schema"),
        );
        for (name, contents) in
            yauth_codegen::seaorm::entities(&schema, Dialect::Postgres).expect("entities")
        {
            write(&root.join("entities").join(name), &contents);
        }
        writeln!(
            mounts,
            "    pub mod {module} {{\n        #[path = {schema:?}]\n        pub mod schema;\n        #[path = {entities:?}]\n        pub mod entities;\n    }}",
            schema = root.join("schema.rs").display().to_string(),
            entities = root.join("entities/mod.rs").display().to_string(),
        )
        .expect("write to string");
    }
    mounts.push_str("}\n");
    write(&out.join("generated.rs"), &mounts);
}
