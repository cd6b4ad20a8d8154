//! `docs/tables.md` and `docs/queries.md` are generated from the schema and the catalogue and
//! must match them; `YAUTH_BLESS=1` rewrites them.

use std::path::Path;

use yauth_codegen::compare::{Mode, ensure_file_contents};
use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};

const FIX: &str = "YAUTH_BLESS=1 cargo test -p yauth-codegen --test docs";

fn ensure_doc(name: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(name);
    if let Err(e) = ensure_file_contents(Mode::from_env(), &path, expected, FIX) {
        panic!("{e}");
    }
}

#[test]
fn docs_tables_md_is_fresh() {
    let schema = full_schema(DEFAULT_PREFIX);
    ensure_doc("tables.md", &yauth_codegen::docs::tables_markdown(&schema));
}

#[test]
fn docs_queries_md_is_fresh() {
    let schema = full_schema(DEFAULT_PREFIX);
    let catalogue = yauth_migration::queries::catalogue();
    ensure_doc(
        "queries.md",
        &yauth_codegen::docs::queries_markdown(&schema, &catalogue),
    );
}
