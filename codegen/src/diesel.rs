//! diesel: one `table!` per table, `joinable!` for each foreign key to a primary key, and
//! `allow_tables_to_appear_in_same_query!`.

use serde::Serialize;
use yauth_migration::{Dialect, LogicalType, Schema};

use crate::CodegenError;
use crate::render::{check_rust_names, header, render_rust};

const TEMPLATE: &str = "diesel/schema.rs.jinja";

/// The diesel SQL type of a logical type on `dialect`, matching `Dialect::sql_type`.
pub fn diesel_type(dialect: Dialect, ty: LogicalType) -> &'static str {
    use LogicalType::*;
    match (dialect, ty) {
        (Dialect::Postgres, Uuid) => "Uuid",
        (Dialect::Mysql | Dialect::Sqlite, Uuid) => "Text",
        (Dialect::Postgres | Dialect::Mysql, String) => "Varchar",
        (Dialect::Sqlite, String) => "Text",
        (_, Text) => "Text",
        (_, Bool) => "Bool",
        (Dialect::Postgres, Int) => "Int4",
        (_, Int) => "Integer",
        (Dialect::Postgres, BigInt) => "Int8",
        (_, BigInt) => "BigInt",
        (Dialect::Postgres, Timestamp) => "Timestamptz",
        (Dialect::Mysql, Timestamp) => "Datetime",
        (Dialect::Sqlite, Timestamp) => "Timestamp",
        (Dialect::Postgres, Json) => "Jsonb",
        (Dialect::Mysql, Json) => "Json",
        (Dialect::Sqlite, Json) => "Text",
        (Dialect::Postgres, Bytes | ShortBytes) => "Bytea",
        (Dialect::Mysql, Bytes) => "Blob",
        (Dialect::Mysql, ShortBytes) => "Varbinary",
        (Dialect::Sqlite, Bytes | ShortBytes) => "Binary",
    }
}

#[derive(Serialize)]
struct ColumnContext {
    rust_name: String,
    nullable: bool,
    diesel_type: &'static str,
}

#[derive(Serialize)]
struct TableContext {
    full_name: String,
    primary_key: Vec<String>,
    columns: Vec<ColumnContext>,
}

#[derive(Serialize)]
struct JoinContext {
    child: String,
    parent: String,
    column: String,
}

/// The text of `schema.rs` for `schema` on `dialect`.
pub fn schema_rs(schema: &Schema, dialect: Dialect) -> Result<String, CodegenError> {
    check_rust_names(schema)?;
    let prefix = &schema.prefix;
    let mut tables = Vec::new();
    let mut joinables: Vec<JoinContext> = Vec::new();
    for table in &schema.tables {
        let mut columns = Vec::new();
        for column in &table.columns {
            columns.push(ColumnContext {
                rust_name: column.name.clone(),
                nullable: column.nullable,
                diesel_type: diesel_type(dialect, column.ty),
            });
        }
        tables.push(TableContext {
            full_name: table.full_name(prefix),
            primary_key: table.primary_key.clone(),
            columns,
        });
        // joinable! needs the parent's primary key, and allows one per pair of tables.
        for fk in &table.foreign_keys {
            let Some(parent) = schema.table(&fk.references) else {
                continue;
            };
            let pair_taken = joinables.iter().any(|j| {
                j.child == table.full_name(prefix) && j.parent == parent.full_name(prefix)
            });
            if parent.primary_key == [fk.referenced_column.clone()]
                && parent.name != table.name
                && !pair_taken
            {
                joinables.push(JoinContext {
                    child: table.full_name(prefix),
                    parent: parent.full_name(prefix),
                    column: fk.column.clone(),
                });
            }
        }
    }
    let context = minijinja::context! {
        header => header(TEMPLATE),
        dialect => dialect.name(),
        tables => minijinja::Value::from(minijinja::value::Serde(&tables)),
        joinables => minijinja::Value::from(minijinja::value::Serde(&joinables)),
    };
    render_rust(TEMPLATE, context, false)
}
