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
    std::fs::write(out.join("generated.rs"), mounts).expect("write generated.rs");
}
