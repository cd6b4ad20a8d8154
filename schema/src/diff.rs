//! The diff engine: the ordered, foreign-key-safe changes that turn one schema into another,
//! and their SQL for each dialect. A down migration is the diff in the other direction.

use crate::SchemaError;
use crate::dialect::Dialect;
use crate::types::{Column, Index, Schema, Table};

/// One step of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new table, with its indexes.
    CreateTable(Table),
    /// A table and everything in it; `Table` is the table as it was.
    DropTable(Table),
    /// `table` is the table after the change (it already holds the column).
    AddColumn {
        table: Table,
        column: Column,
    },
    /// Columns dropped from one table: `table` is the table before, `remaining` the table
    /// once they (and the indexes and foreign keys on them) are gone.
    DropColumns {
        table: Table,
        remaining: Table,
        columns: Vec<Column>,
    },
    CreateIndex {
        table: Table,
        index: Index,
    },
    DropIndex {
        table: Table,
        index: Index,
    },
    /// The foreign key of a column about to be dropped; first, because MySQL refuses to drop
    /// an index that a foreign key still needs. SQLite has no such statement: its
    /// `DropColumn` rebuilds the table instead.
    DropForeignKey {
        table: Table,
        column: String,
    },
}

/// Computes the changes from `before` to `after`. `None` for `before` means an empty database.
///
/// Order: new tables (each after the tables it references) → on kept tables, dropped
/// indexes, dropped columns, added columns, new indexes → dropped tables (children first).
pub fn diff(before: Option<&Schema>, after: &Schema) -> Result<Vec<Change>, SchemaError> {
    let empty = Schema {
        prefix: after.prefix.clone(),
        tables: Vec::new(),
    };
    let before = before.unwrap_or(&empty);
    if before.prefix != after.prefix && !before.tables.is_empty() {
        return Err(SchemaError::Unsupported(format!(
            "the table prefix changed from `{}` to `{}`; rename the tables by hand and start a new snapshot",
            before.prefix, after.prefix
        )));
    }
    let mut changes = Vec::new();
    for table in &after.tables {
        if before.table(&table.name).is_none() {
            changes.push(Change::CreateTable(table.clone()));
        }
    }
    for new in &after.tables {
        let Some(old) = before.table(&new.name) else {
            continue;
        };
        changes.extend(diff_table(old, new)?);
    }
    for table in before.tables.iter().rev() {
        if after.table(&table.name).is_none() {
            changes.push(Change::DropTable(table.clone()));
        }
    }
    Ok(changes)
}

fn diff_table(old: &Table, new: &Table) -> Result<Vec<Change>, SchemaError> {
    let unsupported = |what: String| {
        Err(SchemaError::Unsupported(format!(
            "table `{}`: {what}",
            new.name
        )))
    };
    if old.primary_key != new.primary_key {
        return unsupported("its primary key changed".into());
    }
    let mut changes = Vec::new();
    for fk in &old.foreign_keys {
        if new.column(&fk.column).is_none() {
            changes.push(Change::DropForeignKey {
                table: old.clone(),
                column: fk.column.clone(),
            });
        }
    }
    for index in &old.indexes {
        if !new.indexes.contains(index) {
            changes.push(Change::DropIndex {
                table: old.clone(),
                index: index.clone(),
            });
        }
    }
    let dropped: Vec<Column> = old
        .columns
        .iter()
        .filter(|c| new.column(&c.name).is_none())
        .cloned()
        .collect();
    if !dropped.is_empty() {
        let mut remaining = old.clone();
        remaining.columns.retain(|c| new.column(&c.name).is_some());
        remaining
            .foreign_keys
            .retain(|fk| new.column(&fk.column).is_some());
        remaining.indexes.retain(|i| new.indexes.contains(i));
        changes.push(Change::DropColumns {
            table: old.clone(),
            remaining,
            columns: dropped,
        });
    }
    for column in &old.columns {
        match new.column(&column.name) {
            None => {}
            Some(kept) if kept != column => {
                return unsupported(format!(
                    "column `{}` changed its type, nullability or default",
                    column.name
                ));
            }
            Some(_) if old.foreign_key(&column.name) != new.foreign_key(&column.name) => {
                return unsupported(format!(
                    "the foreign key of column `{}` changed",
                    column.name
                ));
            }
            Some(_) => {}
        }
    }
    for column in &new.columns {
        if old.column(&column.name).is_some() {
            continue;
        }
        if !column.nullable && column.default.is_none() {
            return unsupported(format!(
                "new column `{}` is NOT NULL without a default, which existing rows cannot satisfy",
                column.name
            ));
        }
        if new.foreign_key(&column.name).is_some() && !column.nullable {
            return unsupported(format!(
                "new foreign key column `{}` must be nullable",
                column.name
            ));
        }
        changes.push(Change::AddColumn {
            table: new.clone(),
            column: column.clone(),
        });
    }
    for index in &new.indexes {
        if !old.indexes.contains(index) {
            changes.push(Change::CreateIndex {
                table: new.clone(),
                index: index.clone(),
            });
        }
    }
    Ok(changes)
}

/// The SQL statements (without trailing semicolons) of `changes` on `dialect`.
/// `context` is the schema the changes apply to, used to refuse unsafe SQLite table rebuilds.
pub fn render(
    changes: &[Change],
    dialect: Dialect,
    prefix: &str,
    context: &Schema,
) -> Result<Vec<String>, SchemaError> {
    let mut out = Vec::new();
    for change in changes {
        match change {
            Change::CreateTable(table) => {
                out.push(dialect.create_table(table, prefix));
                for index in &table.indexes {
                    out.push(dialect.create_index(table, prefix, index));
                }
            }
            Change::DropTable(table) => out.push(dialect.drop_table(table, prefix)),
            Change::AddColumn { table, column } => {
                out.extend(dialect.add_column(table, prefix, column))
            }
            Change::DropColumns {
                table,
                remaining,
                columns,
            } => {
                let has_fk = columns.iter().any(|c| table.foreign_key(&c.name).is_some());
                if dialect == Dialect::Sqlite && has_fk {
                    out.extend(sqlite_rebuild(table, remaining, prefix, context)?);
                } else {
                    for column in columns {
                        out.push(dialect.drop_column(table, prefix, column));
                    }
                }
            }
            Change::CreateIndex { table, index } => {
                out.push(dialect.create_index(table, prefix, index))
            }
            Change::DropIndex { table, index } => {
                out.push(dialect.drop_index(table, prefix, index))
            }
            Change::DropForeignKey { table, column } => {
                out.extend(dialect.drop_foreign_key(table, prefix, column))
            }
        }
    }
    Ok(out)
}

/// SQLite cannot drop a column that has a foreign key, so the table is rebuilt as
/// `remaining` (sqlite.org/lang_altertable.html, "other kinds of table schema changes").
/// Dropping the old table deletes its rows first, which would cascade into tables that
/// reference it; such a rebuild is refused rather than risk their data.
fn sqlite_rebuild(
    table: &Table,
    remaining: &Table,
    prefix: &str,
    context: &Schema,
) -> Result<Vec<String>, SchemaError> {
    if let Some(child) = context
        .tables
        .iter()
        .find(|t| t.foreign_keys.iter().any(|fk| fk.references == table.name))
    {
        return Err(SchemaError::Unsupported(format!(
            "SQLite cannot drop a foreign-key column of `{}` without rebuilding it, and `{}` references it",
            table.name, child.name
        )));
    }
    let dialect = Dialect::Sqlite;
    let mut scratch = remaining.clone();
    scratch.name = format!("{}__rebuild", table.name);
    let kept = remaining
        .columns
        .iter()
        .map(|c| dialect.quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let old_name = dialect.quote(&table.full_name(prefix));
    let scratch_name = dialect.quote(&scratch.full_name(prefix));
    let mut out = vec![
        dialect.create_table(&scratch, prefix),
        format!("INSERT INTO {scratch_name} ({kept}) SELECT {kept} FROM {old_name}"),
        format!("DROP TABLE {old_name}"),
        format!("ALTER TABLE {scratch_name} RENAME TO {old_name}"),
    ];
    for index in &remaining.indexes {
        out.push(dialect.create_index(remaining, prefix, index));
    }
    Ok(out)
}

/// Joins statements into the text of a `.sql` file: a header line, then one statement per
/// paragraph, each ending in `;` at the end of its line. Runners may split on `";\n"`.
pub fn sql_file(statements: &[String]) -> String {
    let mut text = String::from(
        "-- Generated by yauth-migration from yauth.toml. Do not edit: applied migrations are never rewritten.\n",
    );
    if statements.is_empty() {
        text.push_str("-- Nothing to do.\nSELECT 1;\n");
    }
    for statement in statements {
        text.push('\n');
        text.push_str(statement);
        text.push_str(";\n");
    }
    text
}

/// The up and down SQL of moving from `before` to `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSql {
    pub up: Vec<String>,
    pub down: Vec<String>,
}

impl MigrationSql {
    pub fn between(
        before: Option<&Schema>,
        after: &Schema,
        dialect: Dialect,
    ) -> Result<Self, SchemaError> {
        let up_changes = diff(before, after)?;
        let up = render(&up_changes, dialect, &after.prefix, before.unwrap_or(after))?;
        let empty = Schema {
            prefix: after.prefix.clone(),
            tables: Vec::new(),
        };
        let previous = before.unwrap_or(&empty);
        let down_changes = diff(Some(after), previous)?;
        let down = render(&down_changes, dialect, &after.prefix, after)?;
        Ok(MigrationSql { up, down })
    }

    pub fn is_empty(&self) -> bool {
        self.up.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::{DEFAULT_PREFIX, schema_for};
    use crate::types::{ColumnDefault, ForeignKey, LogicalType, OnDelete};

    fn core_and(plugins: &[&str]) -> Schema {
        schema_for(plugins, DEFAULT_PREFIX).unwrap()
    }

    #[test]
    fn same_schema_has_no_changes() {
        let schema = core_and(&["mfa"]);
        assert!(diff(Some(&schema), &schema).unwrap().is_empty());
    }

    #[test]
    fn created_tables_come_parent_first_and_drop_child_first() {
        let after = core_and(&["bearer", "oauth2-server", "oidc"]);
        let changes = diff(None, &after).unwrap();
        let created: Vec<_> = changes
            .iter()
            .map(|c| match c {
                Change::CreateTable(t) => t.name.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        let pos = |n: &str| created.iter().position(|c| c == n).unwrap();
        assert!(pos("users") < pos("authorization_codes"));
        assert!(pos("authorization_codes") < pos("oidc_nonces"));
        let dropped: Vec<_> = diff(Some(&after), &core_and(&[]))
            .unwrap()
            .iter()
            .map(|c| match c {
                Change::DropTable(t) => t.name.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        let pos = |n: &str| dropped.iter().position(|c| c == n).unwrap();
        assert!(pos("oidc_nonces") < pos("authorization_codes"));
        assert!(pos("authorization_codes") < pos("oauth2_clients"));
    }

    #[test]
    fn down_reverts_up() {
        let before = core_and(&["email-password"]);
        let after = core_and(&["email-password", "mfa"]);
        let forward = diff(Some(&before), &after).unwrap();
        let back = diff(Some(&after), &before).unwrap();
        assert_eq!(forward.len(), back.len());
        for (f, b) in forward.iter().zip(back.iter().rev()) {
            match (f, b) {
                (Change::CreateTable(x), Change::DropTable(y)) => assert_eq!(x, y),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn column_and_index_changes() {
        let before = core_and(&[]);
        let mut after = before.clone();
        let users = after
            .tables
            .iter_mut()
            .find(|t| t.name == "sessions")
            .unwrap();
        users.columns.push(Column {
            name: "device".into(),
            ty: LogicalType::String,
            nullable: true,
            default: None,
            extra: false,
        });
        users.columns.push(Column {
            name: "approved_by".into(),
            ty: LogicalType::Uuid,
            nullable: true,
            default: None,
            extra: false,
        });
        users.foreign_keys.push(ForeignKey {
            column: "approved_by".into(),
            references: "users".into(),
            referenced_column: "id".into(),
            on_delete: OnDelete::SetNull,
        });
        users.indexes.push(Index {
            columns: vec!["approved_by".into()],
            unique: false,
        });
        users.indexes.push(Index {
            columns: vec!["device".into()],
            unique: false,
        });
        after.validate().unwrap();
        let sql = MigrationSql::between(Some(&before), &after, Dialect::Mysql).unwrap();
        assert_eq!(
            sql.up,
            vec![
                "ALTER TABLE `yauth_sessions` ADD COLUMN `device` varchar(255)",
                "ALTER TABLE `yauth_sessions` ADD COLUMN `approved_by` char(36)",
                "ALTER TABLE `yauth_sessions` ADD CONSTRAINT `yauth_sessions_approved_by_fkey` FOREIGN KEY (`approved_by`) REFERENCES `yauth_users` (`id`) ON DELETE SET NULL",
                "CREATE INDEX `yauth_sessions_approved_by_idx` ON `yauth_sessions` (`approved_by`)",
                "CREATE INDEX `yauth_sessions_device_idx` ON `yauth_sessions` (`device`)",
            ]
        );
        assert_eq!(
            sql.down,
            vec![
                "ALTER TABLE `yauth_sessions` DROP FOREIGN KEY `yauth_sessions_approved_by_fkey`",
                "DROP INDEX `yauth_sessions_approved_by_idx` ON `yauth_sessions`",
                "DROP INDEX `yauth_sessions_device_idx` ON `yauth_sessions`",
                "ALTER TABLE `yauth_sessions` DROP COLUMN `device`",
                "ALTER TABLE `yauth_sessions` DROP COLUMN `approved_by`",
            ]
        );
    }

    #[test]
    fn not_null_column_without_default_is_refused() {
        let before = core_and(&[]);
        let mut after = before.clone();
        after.tables[0].columns.push(Column {
            name: "tenant".into(),
            ty: LogicalType::String,
            nullable: false,
            default: None,
            extra: false,
        });
        assert!(matches!(
            diff(Some(&before), &after),
            Err(SchemaError::Unsupported(_))
        ));
        after.tables[0].columns.last_mut().unwrap().default =
            Some(ColumnDefault::String("main".into()));
        assert_eq!(diff(Some(&before), &after).unwrap().len(), 1);
    }

    #[test]
    fn type_and_prefix_changes_are_refused() {
        let before = core_and(&[]);
        let mut after = before.clone();
        after.tables[0].columns[1].ty = LogicalType::Text;
        assert!(diff(Some(&before), &after).is_err());
        let renamed = schema_for(&[], "auth_").unwrap();
        assert!(diff(Some(&before), &renamed).is_err());
    }

    #[test]
    fn sqlite_rebuild_refuses_a_referenced_table() {
        let before = core_and(&[]);
        let mut after = before.clone();
        let users = after.tables.iter_mut().find(|t| t.name == "users").unwrap();
        users.columns.push(Column {
            name: "invited_by".into(),
            ty: LogicalType::Uuid,
            nullable: true,
            default: None,
            extra: false,
        });
        users.foreign_keys.push(ForeignKey {
            column: "invited_by".into(),
            references: "users".into(),
            referenced_column: "id".into(),
            on_delete: OnDelete::SetNull,
        });
        users.indexes.push(Index {
            columns: vec!["invited_by".into()],
            unique: false,
        });
        // Up works (SQLite adds the reference inline); down would have to rebuild `users`.
        let err = MigrationSql::between(Some(&before), &after, Dialect::Sqlite).unwrap_err();
        assert!(
            err.to_string().contains("sessions") || err.to_string().contains("references"),
            "{err}"
        );
    }
}
