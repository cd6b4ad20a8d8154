//! The minijinja templates of yauth's generator, embedded in the binary so that an installed
//! `cargo-yauth` carries them. One folder per target; `yauth-codegen` renders them.

/// Every template as `(name, source)`; the name is its path inside this crate.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "diesel/schema.rs.jinja",
        include_str!("../diesel/schema.rs.jinja"),
    ),
    (
        "seaorm/entity.rs.jinja",
        include_str!("../seaorm/entity.rs.jinja"),
    ),
    (
        "seaorm/mod.rs.jinja",
        include_str!("../seaorm/mod.rs.jinja"),
    ),
    (
        "seaorm/prelude.rs.jinja",
        include_str!("../seaorm/prelude.rs.jinja"),
    ),
    (
        "seaorm/migration_lib.rs.jinja",
        include_str!("../seaorm/migration_lib.rs.jinja"),
    ),
    (
        "seaorm/migration_step.rs.jinja",
        include_str!("../seaorm/migration_step.rs.jinja"),
    ),
    (
        "seaorm/migration_main.rs.jinja",
        include_str!("../seaorm/migration_main.rs.jinja"),
    ),
    (
        "seaorm/migration_Cargo.toml.jinja",
        include_str!("../seaorm/migration_Cargo.toml.jinja"),
    ),
    (
        "toasty/model.rs.jinja",
        include_str!("../toasty/model.rs.jinja"),
    ),
    (
        "toasty/mod.rs.jinja",
        include_str!("../toasty/mod.rs.jinja"),
    ),
    (
        "repo/entity.rs.jinja",
        include_str!("../repo/entity.rs.jinja"),
    ),
    (
        "repo/extra_columns.rs.jinja",
        include_str!("../repo/extra_columns.rs.jinja"),
    ),
    (
        "repo/imports.rs.jinja",
        include_str!("../repo/imports.rs.jinja"),
    ),
    (
        "memory/backend.rs.jinja",
        include_str!("../memory/backend.rs.jinja"),
    ),
    (
        "sqlx/backend.rs.jinja",
        include_str!("../sqlx/backend.rs.jinja"),
    ),
    (
        "diesel/backend.rs.jinja",
        include_str!("../diesel/backend.rs.jinja"),
    ),
    (
        "seaorm/backend.rs.jinja",
        include_str!("../seaorm/backend.rs.jinja"),
    ),
    (
        "toasty/backend.rs.jinja",
        include_str!("../toasty/backend.rs.jinja"),
    ),
];

/// The source of the template `name`, if there is one.
pub fn template(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
}
