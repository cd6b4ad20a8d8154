//! toasty: one `#[derive(toasty::Model)]` struct per table. No SQL: toasty creates its schema
//! with `push_schema()`. Needs toasty's `jiff` (timestamps) and `serde` (JSON) features.

use yauth_migration::{Dialect, LogicalType, Schema, Table};

use crate::CodegenError;
use crate::render::{Field, check_rust_names, header, pascal_case, render_rust};

/// The model struct of a table: `users` → `User`, `webhook_deliveries` → `WebhookDelivery`.
pub fn struct_name(table: &str) -> String {
    let singular = if let Some(stem) = table.strip_suffix("ies") {
        format!("{stem}y")
    } else if table.ends_with("ss") {
        table.to_string()
    } else {
        table.strip_suffix('s').unwrap_or(table).to_string()
    };
    pascal_case(&singular)
}

/// The Rust type of a field and the column type toasty should create, following
/// `Dialect::sql_type` wherever toasty accepts it. Toasty stores SQLite timestamps in its
/// own text form (RFC 3339 with nanoseconds), not yauth's: toasty manages its own tables.
fn field_type(dialect: Dialect, ty: LogicalType) -> (&'static str, Option<&'static str>) {
    use LogicalType::*;
    let rust = match ty {
        Uuid => "uuid::Uuid",
        String | Text => "String",
        Bool => "bool",
        Int => "i32",
        BigInt => "i64",
        Timestamp => "jiff::Timestamp",
        Json => "serde_json::Value",
        Bytes | ShortBytes => "Vec<u8>",
    };
    let column = match (dialect, ty) {
        (Dialect::Mysql, Uuid) => Some("\"char(36)\""),
        (Dialect::Sqlite, Uuid | String) => Some("text"),
        (_, String) => Some("varchar(255)"),
        (_, Text) => Some("text"),
        (Dialect::Mysql, Timestamp) => Some("\"datetime(6)\""),
        (Dialect::Postgres, Json) => Some("jsonb"),
        (Dialect::Mysql, Json) => Some("json"),
        (Dialect::Sqlite, Json) => Some("text"),
        (Dialect::Mysql, Bytes) => Some("\"blob\""),
        (Dialect::Mysql, ShortBytes) => Some("\"varbinary(1024)\""),
        _ => None,
    };
    (rust, column)
}

fn fields(schema: &Schema, table: &Table, dialect: Dialect) -> Result<Vec<Field>, CodegenError> {
    let mut fields = Vec::new();
    for column in &table.columns {
        let (rust, column_type) = field_type(dialect, column.ty);
        let mut attrs = Vec::new();
        if table.primary_key == [column.name.clone()] {
            attrs.push("key".to_string());
        } else if table.is_unique(&column.name) {
            attrs.push("unique".to_string());
        } else if table.is_indexed(&column.name) {
            attrs.push("index".to_string());
        }
        if let Some(column_type) = column_type {
            attrs.push(format!("column(type = {column_type})"));
        }
        fields.push(Field::for_column(column, rust, attrs));
    }
    // belongs_to for each foreign key to a primary key: `user_id` → `user: Deferred<User>`.
    for fk in &table.foreign_keys {
        let Some(parent) = schema.table(&fk.references) else {
            continue;
        };
        if parent.primary_key != [fk.referenced_column.clone()] || fk.column == fk.referenced_column
        {
            continue;
        }
        let Some(name) = fk.column.strip_suffix("_id") else {
            continue;
        };
        if table.column(name).is_some() {
            continue;
        }
        let nullable = table.column(&fk.column).is_some_and(|c| c.nullable);
        let target = struct_name(&parent.name);
        let module = &parent.name;
        let rust_type = if nullable {
            format!("toasty::Deferred<Option<super::{module}::{target}>>")
        } else {
            format!("toasty::Deferred<super::{module}::{target}>")
        };
        fields.push(Field {
            name: name.to_string(),
            rust_type,
            attrs: vec![format!(
                "belongs_to(key = {}, references = {})",
                fk.column, fk.referenced_column
            )],
        });
    }
    Ok(fields)
}

/// The model's own attributes: a `#[unique(..)]` or `#[index(..)]` for each index over
/// several columns (toasty's composite indexes), so that `push_schema` creates them too.
fn model_attrs(table: &Table) -> Vec<String> {
    table
        .indexes
        .iter()
        .filter(|i| i.columns.len() > 1)
        .map(|i| {
            let kind = if i.unique { "unique" } else { "index" };
            format!("{kind}({})", i.columns.join(", "))
        })
        .collect()
}

/// `(file name, contents)` of every model module and `mod.rs`.
pub fn models(schema: &Schema, dialect: Dialect) -> Result<Vec<(String, String)>, CodegenError> {
    check_rust_names(schema)?;
    let template = "toasty/model.rs.jinja";
    let mut files = Vec::new();
    for table in &schema.tables {
        let context = minijinja::context! {
            header => header(template),
            table_name => table.full_name(&schema.prefix),
            struct_name => struct_name(&table.name),
            model_attrs => model_attrs(table),
            fields => minijinja::Value::from(minijinja::value::Serde(&fields(schema, table, dialect)?)),
        };
        files.push((
            format!("{}.rs", table.name),
            render_rust(template, context, true)?,
        ));
    }
    let models: Vec<_> = schema
        .tables
        .iter()
        .map(|t| minijinja::context! { module => t.name.clone(), name => struct_name(&t.name) })
        .collect();
    let structs: Vec<String> = schema.tables.iter().map(|t| struct_name(&t.name)).collect();
    let context = minijinja::context! {
        header => header("toasty/mod.rs.jinja"),
        models => models,
        structs => structs,
    };
    files.push((
        "mod.rs".to_string(),
        render_rust("toasty/mod.rs.jinja", context, false)?,
    ));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_names_are_singular() {
        assert_eq!(struct_name("users"), "User");
        assert_eq!(struct_name("webhook_deliveries"), "WebhookDelivery");
        assert_eq!(struct_name("password_history"), "PasswordHistory");
        assert_eq!(struct_name("audit_log"), "AuditLog");
        assert_eq!(struct_name("oauth2_access_tokens"), "Oauth2AccessToken");
    }
}
