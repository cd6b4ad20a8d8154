//! Writes the toasty models of every plugin, for each dialect, into OUT_DIR and mounts them.

use std::fmt::Write as _;

use yauth_migration::Dialect;
use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for dir in ["../../schema/src", "../../codegen/src", "../../templates"] {
        println!("cargo::rerun-if-changed={dir}");
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let schema = full_schema(DEFAULT_PREFIX);
    let structs: Vec<String> = schema
        .tables
        .iter()
        .map(|t| yauth_codegen::toasty::struct_name(&t.name))
        .collect();
    let mut mounts = String::new();
    for dialect in Dialect::ALL {
        let root = out.join(dialect.name());
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("create dir");
        for (name, contents) in yauth_codegen::toasty::models(&schema, dialect).expect("models") {
            std::fs::write(root.join(name), contents).expect("write model");
        }
        writeln!(
            mounts,
            "pub mod {name} {{\n    #[path = {path:?}]\n    pub mod models;\n\n    /// Builds toasty's schema of every model (no database).\n    pub fn build_schema() -> toasty::Result<()> {{\n        use models::*;\n        toasty::Db::builder().models(toasty::models!({list})).build_app_schema()?;\n        Ok(())\n    }}\n}}",
            name = dialect.name(),
            path = root.join("mod.rs").display().to_string(),
            list = structs.join(", "),
        )
        .expect("write to string");
    }
    // Each plugin alone (with what it requires), on PostgreSQL.
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
        std::fs::create_dir_all(&root).expect("create dir");
        for (name, contents) in
            yauth_codegen::toasty::models(&schema, Dialect::Postgres).expect("models")
        {
            std::fs::write(root.join(name), contents).expect("write model");
        }
        let list: Vec<String> = schema
            .tables
            .iter()
            .map(|t| yauth_codegen::toasty::struct_name(&t.name))
            .collect();
        writeln!(
            mounts,
            "    pub mod {module} {{\n        #[path = {path:?}]\n        pub mod models;\n\n        pub fn build_schema() -> toasty::Result<()> {{\n            use models::*;\n            toasty::Db::builder().models(toasty::models!({list})).build_app_schema()?;\n            Ok(())\n        }}\n    }}",
            path = root.join("mod.rs").display().to_string(),
            list = list.join(", "),
        )
        .expect("write to string");
    }
    mounts.push_str("    /// Every plugin's model set, built alone.\n    pub fn build_all() -> toasty::Result<()> {\n");
    for plugin in yauth_migration::plugins::PLUGINS {
        writeln!(
            mounts,
            "        {}::build_schema()?;",
            plugin.name.replace('-', "_")
        )
        .expect("write to string");
    }
    mounts.push_str("        Ok(())\n    }\n}\n");
    std::fs::write(out.join("generated.rs"), mounts).expect("write generated.rs");
}
