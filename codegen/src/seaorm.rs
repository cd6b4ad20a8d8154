//! sea-orm: one entity module per table (named without the prefix, as
//! `yauth::backends::seaorm_pg::entities::users`), and the migration crate that runs the SQL
//! migrations for `sea-orm-cli migrate`.

use serde::Serialize;
use yauth_migration::layout::{FileKind, Snapshot, seaorm_module};
use yauth_migration::{Dialect, LogicalType, Schema};

use crate::CodegenError;
use crate::render::{Field, check_rust_names, header, pascal_case, render, render_rust};

/// The Rust type of a field, and the sea-orm column type describing the real column.
pub fn field_type(dialect: Dialect, ty: LogicalType) -> (&'static str, &'static str) {
    use LogicalType::*;
    match (dialect, ty) {
        (Dialect::Postgres, Uuid) => ("Uuid", "Uuid"),
        (Dialect::Mysql, Uuid) => ("String", "Char(Some(36u32))"),
        (Dialect::Sqlite, Uuid) => ("String", "Text"),
        (Dialect::Sqlite, String) => ("String", "Text"),
        (_, String) => ("String", "String(StringLen::N(255u32))"),
        (_, Text) => ("String", "Text"),
        (_, Bool) => ("bool", "Boolean"),
        (_, Int) => ("i32", "Integer"),
        (_, BigInt) => ("i64", "BigInteger"),
        (Dialect::Postgres, Timestamp) => ("DateTimeUtc", "TimestampWithTimeZone"),
        (Dialect::Mysql, Timestamp) => ("DateTimeUtc", "DateTime"),
        // SQLite keeps UTC text without offset (see `Dialect::sql_type`): a naive date-time
        // writes exactly that; `DateTimeUtc` would write RFC 3339 with `T` and `+00:00`.
        (Dialect::Sqlite, Timestamp) => ("DateTime", "DateTime"),
        (Dialect::Postgres, Json) => ("Json", "JsonBinary"),
        (Dialect::Mysql, Json) => ("Json", "Json"),
        (Dialect::Sqlite, Json) => ("Json", "Text"),
        (Dialect::Mysql, ShortBytes) => ("Vec<u8>", "VarBinary(StringLen::N(1024u32))"),
        (Dialect::Postgres, Bytes | ShortBytes) => ("Vec<u8>", "VarBinary(StringLen::None)"),
        (_, Bytes | ShortBytes) => ("Vec<u8>", "Blob"),
    }
}

#[derive(Serialize)]
struct BelongsTo {
    module: String,
    from: String,
    to: String,
    on_delete: &'static str,
    variant: String,
}

#[derive(Serialize)]
struct HasMany {
    module: String,
    variant: String,
}

#[derive(Serialize)]
struct RelatedImpl {
    module: String,
    variant: String,
}

/// The relation variant of a foreign key: `user_id` → `User`, `impersonator_id` → `Impersonator`.
fn belongs_to_variant(column: &str) -> String {
    pascal_case(column.strip_suffix("_id").unwrap_or(column))
}

/// `(file name, contents)` of every entity module, `mod.rs` and `prelude.rs`.
pub fn entities(schema: &Schema, dialect: Dialect) -> Result<Vec<(String, String)>, CodegenError> {
    check_rust_names(schema)?;
    let template = "seaorm/entity.rs.jinja";
    let mut files = Vec::new();
    for table in &schema.tables {
        let mut fields = Vec::new();
        for column in &table.columns {
            let (rust, column_type) = field_type(dialect, column.ty);
            let mut attrs = Vec::new();
            if table.primary_key.contains(&column.name) {
                attrs.push("primary_key".to_string());
                attrs.push("auto_increment = false".to_string());
            } else if table.is_unique(&column.name) {
                attrs.push("unique".to_string());
            }
            attrs.push(format!("column_type = \"{column_type}\""));
            if column.nullable {
                attrs.push("nullable".to_string());
            }
            fields.push(Field::for_column(column, rust, attrs));
        }
        let mut belongs_to = Vec::new();
        let mut related: Vec<RelatedImpl> = Vec::new();
        for fk in &table.foreign_keys {
            let variant = belongs_to_variant(&fk.column);
            if !related.iter().any(|r| r.module == fk.references) {
                related.push(RelatedImpl {
                    module: fk.references.clone(),
                    variant: variant.clone(),
                });
            }
            belongs_to.push(BelongsTo {
                module: fk.references.clone(),
                from: pascal_case(&fk.column),
                to: pascal_case(&fk.referenced_column),
                on_delete: match fk.on_delete {
                    yauth_migration::OnDelete::Cascade => "Cascade",
                    yauth_migration::OnDelete::SetNull => "SetNull",
                },
                variant,
            });
        }
        // The reverse side: one has_many per child table (sea-orm derives it from the child's
        // first relation to this table), skipping self-references and modules already related.
        let mut has_many = Vec::new();
        for child in &schema.tables {
            if child.name == table.name
                || !child
                    .foreign_keys
                    .iter()
                    .any(|fk| fk.references == table.name)
            {
                continue;
            }
            if related.iter().any(|r| r.module == child.name) {
                continue;
            }
            let variant = pascal_case(&child.name);
            has_many.push(HasMany {
                module: child.name.clone(),
                variant: variant.clone(),
            });
            related.push(RelatedImpl {
                module: child.name.clone(),
                variant,
            });
        }
        let context = minijinja::context! {
            header => header(template),
            dialect => dialect.name(),
            table_name => table.full_name(&schema.prefix),
            fields => minijinja::Value::from(minijinja::value::Serde(&fields)),
            belongs_to => minijinja::Value::from(minijinja::value::Serde(&belongs_to)),
            has_many => minijinja::Value::from(minijinja::value::Serde(&has_many)),
            related => minijinja::Value::from(minijinja::value::Serde(&related)),
        };
        files.push((
            format!("{}.rs", table.name),
            render_rust(template, context, true)?,
        ));
    }
    let modules: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    files.push((
        "mod.rs".to_string(),
        render_rust("seaorm/mod.rs.jinja", minijinja::context! { header => header("seaorm/mod.rs.jinja"), modules => minijinja::Value::from(minijinja::value::Serde(&modules)) }, false)?,
    ));
    let entities: Vec<_> = schema
        .tables
        .iter()
        .map(|t| minijinja::context! { module => t.name.clone(), name => pascal_case(&t.name) })
        .collect();
    files.push((
        "prelude.rs".to_string(),
        render_rust("seaorm/prelude.rs.jinja", minijinja::context! { header => header("seaorm/prelude.rs.jinja"), entities => minijinja::Value::from(minijinja::value::Serde(&entities)) }, false)?,
    ));
    Ok(files)
}

/// The table in which the generated migrator records applied steps: `<prefix>seaql_migrations`.
pub fn migration_table(snapshot: &Snapshot) -> String {
    let prefix = snapshot
        .last_schema()
        .map_or(yauth_migration::builtin::DEFAULT_PREFIX, |s| {
            s.prefix.as_str()
        });
    format!("{prefix}seaql_migrations")
}

/// The sea-orm driver feature of a dialect.
fn driver_feature(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "sqlx-postgres",
        Dialect::Mysql => "sqlx-mysql",
        Dialect::Sqlite => "sqlx-sqlite",
    }
}

/// The migration crate, relative to the migrations folder: `Cargo.toml`, `src/main.rs`,
/// `src/lib.rs` listing every step, and one `src/m<version>_<name>.rs` per step that runs the
/// step's `sql/<version>_<name>/{up,down}.sql`.
pub fn migration_crate(
    dialect: Dialect,
    snapshot: &Snapshot,
) -> Result<Vec<(String, String, FileKind)>, CodegenError> {
    let steps: Vec<_> = snapshot
        .steps
        .iter()
        .map(|step| minijinja::context! { module => seaorm_module(step), dir => format!("{}_{}", step.version, step.name) })
        .collect();
    let mut files = vec![
        (
            "Cargo.toml".to_string(),
            render(
                "seaorm/migration_Cargo.toml.jinja",
                minijinja::context! { driver => driver_feature(dialect), sea_orm_version => "2.0" },
            )?,
            FileKind::Derived,
        ),
        (
            "src/main.rs".to_string(),
            render_rust(
                "seaorm/migration_main.rs.jinja",
                minijinja::context! { header => header("seaorm/migration_main.rs.jinja") },
                true,
            )?,
            FileKind::Derived,
        ),
        (
            "src/lib.rs".to_string(),
            render_rust(
                "seaorm/migration_lib.rs.jinja",
                minijinja::context! {
                    header => header("seaorm/migration_lib.rs.jinja"),
                    steps => steps,
                    table => migration_table(snapshot),
                },
                true,
            )?,
            FileKind::Derived,
        ),
    ];
    for step in &snapshot.steps {
        let context = minijinja::context! {
            header => header("seaorm/migration_step.rs.jinja"),
            dir => format!("{}_{}", step.version, step.name),
        };
        files.push((
            format!("src/{}.rs", seaorm_module(step)),
            render_rust("seaorm/migration_step.rs.jinja", context, true)?,
            // Only points at the SQL, which is the migration; its name is the file's stem.
            FileKind::Derived,
        ));
    }
    Ok(files)
}
