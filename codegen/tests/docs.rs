//! `docs/tables.md` is the generated table reference: it must match the schema.
//! `YAUTH_BLESS=1` rewrites it.

#[test]
fn docs_tables_md_is_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/tables.md");
    let schema = yauth_migration::builtin::full_schema(yauth_migration::builtin::DEFAULT_PREFIX);
    let expected = yauth_codegen::docs::tables_markdown(&schema);
    if std::env::var_os("YAUTH_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != expected {
        panic!(
            "docs/tables.md is stale; run `YAUTH_BLESS=1 cargo test -p yauth-codegen --test docs`\n{}",
            yauth_codegen::compare::unified_diff("docs/tables.md", &on_disk, &expected)
        );
    }
}

#[test]
fn docs_queries_md_is_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/queries.md");
    let schema = yauth_migration::builtin::full_schema(yauth_migration::builtin::DEFAULT_PREFIX);
    let catalogue = yauth_migration::queries::catalogue();
    let expected = yauth_codegen::docs::queries_markdown(&schema, &catalogue);
    if std::env::var_os("YAUTH_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != expected {
        panic!(
            "docs/queries.md is stale; run `YAUTH_BLESS=1 cargo test -p yauth-codegen --test docs`\n{}",
            yauth_codegen::compare::unified_diff("docs/queries.md", &on_disk, &expected)
        );
    }
}
