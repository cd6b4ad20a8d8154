//! SQL dialects: the one logical → SQL type table, identifier quoting, and DDL statements.

use serde::{Deserialize, Serialize};

use crate::types::{Column, ColumnDefault, ForeignKey, Index, LogicalType, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Postgres,
    /// MySQL 8 and MariaDB: only the subset both understand is emitted.
    Mysql,
    Sqlite,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }

    pub fn parse(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The SQL type of a logical type. This table is the only place the mapping is decided;
    /// the ORM writers in `yauth-codegen` follow it.
    ///
    /// | logical    | PostgreSQL    | MySQL / MariaDB  | SQLite      |
    /// |------------|---------------|------------------|-------------|
    /// | uuid       | `uuid`        | `char(36)`       | `text`      |
    /// | string     | `varchar(255)`| `varchar(255)`   | `text`      |
    /// | text       | `text`        | `text`           | `text`      |
    /// | bool       | `boolean`     | `boolean`        | `boolean`   |
    /// | int        | `integer`     | `int`            | `integer`   |
    /// | bigint     | `bigint`      | `bigint`         | `bigint`    |
    /// | timestamp  | `timestamptz` | `datetime(6)`    | `timestamp` |
    /// | json       | `jsonb`       | `json`           | `text`      |
    /// | bytes      | `bytea`       | `blob`           | `blob`      |
    /// | shortbytes | `bytea`       | `varbinary(1024)`| `blob`      |
    ///
    /// SQLite timestamps hold UTC text `YYYY-MM-DD HH:MM:SS.ffffff` (what diesel's `Timestamp`
    /// and sqlx's `NaiveDateTime` both read and write; it sorts as text in time order). MySQL
    /// `datetime(6)` holds UTC wall time: the runtime never relies on the session time zone.
    /// JSON is `text` on SQLite, not `json`, whose NUMERIC affinity would turn a JSON `1` into
    /// an integer.
    pub fn sql_type(self, ty: LogicalType) -> &'static str {
        use LogicalType::*;
        match (self, ty) {
            (Dialect::Postgres, Uuid) => "uuid",
            (Dialect::Mysql, Uuid) => "char(36)",
            (Dialect::Sqlite, Uuid) => "text",
            (Dialect::Postgres | Dialect::Mysql, String) => "varchar(255)",
            (Dialect::Sqlite, String) => "text",
            (_, Text) => "text",
            (_, Bool) => "boolean",
            (Dialect::Mysql, Int) => "int",
            (_, Int) => "integer",
            (_, BigInt) => "bigint",
            (Dialect::Postgres, Timestamp) => "timestamptz",
            (Dialect::Mysql, Timestamp) => "datetime(6)",
            (Dialect::Sqlite, Timestamp) => "timestamp",
            (Dialect::Postgres, Json) => "jsonb",
            (Dialect::Mysql, Json) => "json",
            (Dialect::Sqlite, Json) => "text",
            (Dialect::Postgres, Bytes | ShortBytes) => "bytea",
            (Dialect::Mysql, Bytes) => "blob",
            (Dialect::Mysql, ShortBytes) => "varbinary(1024)",
            (Dialect::Sqlite, Bytes | ShortBytes) => "blob",
        }
    }

    /// Quotes an identifier. Every identifier is quoted: `interval` and `key` are reserved in MySQL.
    pub fn quote(self, ident: &str) -> String {
        match self {
            Dialect::Mysql => format!("`{}`", ident.replace('`', "``")),
            _ => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }

    fn quote_list(self, idents: &[String]) -> String {
        idents
            .iter()
            .map(|c| self.quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn default_sql(self, default: &ColumnDefault) -> String {
        match (self, default) {
            (Dialect::Sqlite, ColumnDefault::Bool(b)) => if *b { "1" } else { "0" }.to_string(),
            (_, ColumnDefault::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            (_, ColumnDefault::Int(i)) => i.to_string(),
            (_, ColumnDefault::String(s)) => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// `"name" type [NOT NULL] [DEFAULT x]`
    pub fn column_definition(self, column: &Column) -> String {
        let mut sql = format!("{} {}", self.quote(&column.name), self.sql_type(column.ty));
        if !column.nullable {
            sql.push_str(" NOT NULL");
        }
        if let Some(default) = &column.default {
            sql.push_str(" DEFAULT ");
            sql.push_str(&self.default_sql(default));
        }
        sql
    }

    /// `CONSTRAINT "name" FOREIGN KEY ("col") REFERENCES "table" ("col") ON DELETE ...`
    pub fn foreign_key_clause(self, table: &Table, prefix: &str, fk: &ForeignKey) -> String {
        format!(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
            self.quote(&table.foreign_key_name(prefix, fk)),
            self.quote(&fk.column),
            self.quote(&format!("{prefix}{}", fk.references)),
            self.quote(&fk.referenced_column),
            fk.on_delete.sql()
        )
    }

    /// The `CREATE TABLE` statement for `table`, without its indexes.
    pub fn create_table(self, table: &Table, prefix: &str) -> String {
        let mut lines: Vec<String> = table
            .columns
            .iter()
            .map(|c| self.column_definition(c))
            .collect();
        lines.push(format!(
            "PRIMARY KEY ({})",
            self.quote_list(&table.primary_key)
        ));
        for fk in &table.foreign_keys {
            lines.push(self.foreign_key_clause(table, prefix, fk));
        }
        let body = lines
            .iter()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join(",\n");
        let options = match self {
            Dialect::Mysql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            _ => "",
        };
        format!(
            "CREATE TABLE {} (\n{body}\n){options}",
            self.quote(&table.full_name(prefix))
        )
    }

    pub fn drop_table(self, table: &Table, prefix: &str) -> String {
        format!("DROP TABLE {}", self.quote(&table.full_name(prefix)))
    }

    pub fn create_index(self, table: &Table, prefix: &str, index: &Index) -> String {
        format!(
            "CREATE {}INDEX {} ON {} ({})",
            if index.unique { "UNIQUE " } else { "" },
            self.quote(&table.index_name(prefix, index)),
            self.quote(&table.full_name(prefix)),
            self.quote_list(&index.columns)
        )
    }

    pub fn drop_index(self, table: &Table, prefix: &str, index: &Index) -> String {
        let name = self.quote(&table.index_name(prefix, index));
        match self {
            Dialect::Mysql => format!(
                "DROP INDEX {name} ON {}",
                self.quote(&table.full_name(prefix))
            ),
            _ => format!("DROP INDEX {name}"),
        }
    }

    /// `ALTER TABLE .. ADD COLUMN`, with its foreign key where it has one. On SQLite the
    /// reference goes inline (SQLite cannot add a constraint to an existing table).
    pub fn add_column(self, table: &Table, prefix: &str, column: &Column) -> Vec<String> {
        let table_name = self.quote(&table.full_name(prefix));
        let mut definition = self.column_definition(column);
        let fk = table.foreign_key(&column.name);
        if let (Dialect::Sqlite, Some(fk)) = (self, fk) {
            definition.push_str(&format!(
                " REFERENCES {} ({}) ON DELETE {}",
                self.quote(&format!("{prefix}{}", fk.references)),
                self.quote(&fk.referenced_column),
                fk.on_delete.sql()
            ));
        }
        let mut statements = vec![format!("ALTER TABLE {table_name} ADD COLUMN {definition}")];
        if let (Dialect::Postgres | Dialect::Mysql, Some(fk)) = (self, fk) {
            statements.push(format!(
                "ALTER TABLE {table_name} ADD {}",
                self.foreign_key_clause(table, prefix, fk)
            ));
        }
        statements
    }

    /// Drops the foreign key of `column` (PostgreSQL and MySQL; SQLite cannot, see `diff`).
    pub fn drop_foreign_key(self, table: &Table, prefix: &str, column: &str) -> Option<String> {
        let fk = table.foreign_key(column)?;
        let name = self.quote(&table.foreign_key_name(prefix, fk));
        let table_name = self.quote(&table.full_name(prefix));
        match self {
            Dialect::Postgres => Some(format!("ALTER TABLE {table_name} DROP CONSTRAINT {name}")),
            Dialect::Mysql => Some(format!("ALTER TABLE {table_name} DROP FOREIGN KEY {name}")),
            Dialect::Sqlite => None,
        }
    }

    /// `ALTER TABLE .. DROP COLUMN`.
    pub fn drop_column(self, table: &Table, prefix: &str, column: &Column) -> String {
        format!(
            "ALTER TABLE {} DROP COLUMN {}",
            self.quote(&table.full_name(prefix)),
            self.quote(&column.name)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::{DEFAULT_PREFIX, full_schema};

    #[test]
    fn reserved_words_are_quoted() {
        let schema = full_schema(DEFAULT_PREFIX);
        let device = schema.table("device_codes").unwrap();
        assert!(
            Dialect::Mysql
                .create_table(device, DEFAULT_PREFIX)
                .contains("`interval` int NOT NULL DEFAULT 5")
        );
        assert!(
            Dialect::Postgres
                .create_table(device, DEFAULT_PREFIX)
                .contains("\"interval\" integer NOT NULL DEFAULT 5")
        );
    }

    #[test]
    fn mysql_index_keys_fit_innodb_limit() {
        // InnoDB (DYNAMIC rows) allows 3072 bytes per index key; utf8mb4 takes 4 bytes a character.
        fn bytes(ty: LogicalType) -> usize {
            match ty {
                LogicalType::Uuid => 36 * 4,
                LogicalType::String => 255 * 4,
                LogicalType::ShortBytes => 1024,
                LogicalType::Bool => 1,
                LogicalType::Int => 4,
                LogicalType::BigInt | LogicalType::Timestamp => 8,
                other => panic!("{other:?} cannot be indexed"),
            }
        }
        let schema = full_schema(DEFAULT_PREFIX);
        for table in &schema.tables {
            let mut keys: Vec<Vec<String>> =
                table.indexes.iter().map(|i| i.columns.clone()).collect();
            keys.push(table.primary_key.clone());
            for columns in keys {
                let total: usize = columns
                    .iter()
                    .map(|c| bytes(table.column(c).unwrap().ty))
                    .sum();
                assert!(
                    total <= 3072,
                    "{}: {columns:?} is {total} bytes",
                    table.name
                );
            }
        }
    }

    #[test]
    fn mysql_tables_use_binary_utf8mb4_collation() {
        let schema = full_schema(DEFAULT_PREFIX);
        let sql = Dialect::Mysql.create_table(schema.table("users").unwrap(), DEFAULT_PREFIX);
        assert!(
            sql.ends_with("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"),
            "{sql}"
        );
    }
}
