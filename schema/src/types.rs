//! The schema types: tables, columns, indexes and foreign keys, described as plain data.

use serde::{Deserialize, Serialize};

/// A column's type, independent of any database. `crate::dialect` maps each one to SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogicalType {
    /// A UUID (v4 or v7), stored natively on PostgreSQL and as its 36-character text elsewhere.
    Uuid,
    /// A string of at most 255 characters: short enough to be indexed on every dialect.
    String,
    /// A string of any length; never indexed.
    Text,
    Bool,
    /// A 32-bit signed integer.
    Int,
    /// A 64-bit signed integer.
    BigInt,
    /// An instant in UTC with microsecond precision.
    Timestamp,
    /// A JSON document (object, array or scalar).
    Json,
    /// Binary data of any length; never indexed.
    Bytes,
    /// Binary data of at most 1024 bytes, which may be indexed (a WebAuthn credential id is at most 1023).
    ShortBytes,
}

impl LogicalType {
    /// Every logical type, in declaration order.
    pub const ALL: [LogicalType; 10] = [
        LogicalType::Uuid,
        LogicalType::String,
        LogicalType::Text,
        LogicalType::Bool,
        LogicalType::Int,
        LogicalType::BigInt,
        LogicalType::Timestamp,
        LogicalType::Json,
        LogicalType::Bytes,
        LogicalType::ShortBytes,
    ];

    /// Whether an index may include a column of this type on every dialect.
    pub fn indexable(self) -> bool {
        !matches!(
            self,
            LogicalType::Text | LogicalType::Json | LogicalType::Bytes
        )
    }
}

/// A constant column default. Timestamps have none: the runtime always writes them, in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnDefault {
    Bool(bool),
    Int(i64),
    String(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: LogicalType,
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
    /// An extra column the application declared in `yauth.toml` (`[users.extra.<name>]`):
    /// its repositories carry it in the row's `extra` map instead of a field of its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extra: bool,
}

/// What happens to a row when the row its foreign key points at is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDelete {
    Cascade,
    SetNull,
}

impl OnDelete {
    pub fn sql(self) -> &'static str {
        match self {
            OnDelete::Cascade => "CASCADE",
            OnDelete::SetNull => "SET NULL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub column: String,
    /// The referenced table, without prefix.
    pub references: String,
    pub referenced_column: String,
    pub on_delete: OnDelete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub columns: Vec<String>,
    pub unique: bool,
}

/// One table. `name` carries no prefix; [`Schema::prefix`] is applied when anything is generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// The plugin that owns the table (`core`, `email-password`, ...).
    pub plugin: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
}

/// The longest identifier that PostgreSQL (63) and MySQL (64) both accept.
pub const MAX_IDENTIFIER_LEN: usize = 63;

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn foreign_key(&self, column: &str) -> Option<&ForeignKey> {
        self.foreign_keys.iter().find(|f| f.column == column)
    }

    /// The table's name in the database.
    pub fn full_name(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.name)
    }

    /// The name of one of this table's indexes: `<table>_<columns>_key` for unique ones,
    /// `<table>_<columns>_idx` otherwise, shortened with a stable hash past 63 characters.
    pub fn index_name(&self, prefix: &str, index: &Index) -> String {
        let suffix = if index.unique { "key" } else { "idx" };
        bounded_identifier(format!(
            "{}_{}_{suffix}",
            self.full_name(prefix),
            index.columns.join("_")
        ))
    }

    /// The name of the constraint for a foreign key: `<table>_<column>_fkey`.
    pub fn foreign_key_name(&self, prefix: &str, fk: &ForeignKey) -> String {
        bounded_identifier(format!("{}_{}_fkey", self.full_name(prefix), fk.column))
    }

    /// Whether `column` alone has a unique index (or is the whole primary key).
    pub fn is_unique(&self, column: &str) -> bool {
        (self.primary_key.len() == 1 && self.primary_key[0] == column)
            || self
                .indexes
                .iter()
                .any(|i| i.unique && i.columns.len() == 1 && i.columns[0] == column)
    }

    /// Whether `column` is the first column of some index (so lookups by it are indexed).
    pub fn is_indexed(&self, column: &str) -> bool {
        self.primary_key.first().map(String::as_str) == Some(column)
            || self
                .indexes
                .iter()
                .any(|i| i.columns.first().map(String::as_str) == Some(column))
    }
}

/// Keeps an identifier within [`MAX_IDENTIFIER_LEN`]: a longer one is cut and given an
/// 8-hex-digit FNV-1a hash of the full name, so two long names stay distinct and the result
/// is the same on every run.
pub fn bounded_identifier(name: String) -> String {
    if name.len() <= MAX_IDENTIFIER_LEN {
        return name;
    }
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let keep = MAX_IDENTIFIER_LEN - 9;
    let mut cut = keep;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash:08x}", &name[..cut])
}

/// A whole schema: the tables of a set of plugins, in an order where every table comes after
/// the tables its foreign keys point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub prefix: String,
    pub tables: Vec<Table>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Checks the invariants every generator relies on; the built-in schema is tested
    /// against them and a loaded snapshot is checked before use.
    pub fn validate(&self) -> Result<(), crate::SchemaError> {
        let invalid = |msg: String| Err(crate::SchemaError::Invalid(msg));
        if !is_identifier(&self.prefix) && !self.prefix.is_empty() {
            return invalid(format!(
                "table prefix `{}` must be letters, digits and underscores",
                self.prefix
            ));
        }
        for (position, table) in self.tables.iter().enumerate() {
            let tname = &table.name;
            if !is_identifier(tname) {
                return invalid(format!("table name `{tname}` is not a plain identifier"));
            }
            if self.tables[..position].iter().any(|t| &t.name == tname) {
                return invalid(format!("table `{tname}` is declared twice"));
            }
            if table.full_name(&self.prefix).len() > MAX_IDENTIFIER_LEN {
                return invalid(format!("table name `{tname}` is too long with its prefix"));
            }
            if table.primary_key.is_empty() {
                return invalid(format!("table `{tname}` has no primary key"));
            }
            for (i, column) in table.columns.iter().enumerate() {
                if !is_identifier(&column.name) {
                    return invalid(format!(
                        "column `{tname}.{}` is not a plain identifier",
                        column.name
                    ));
                }
                if table.columns[..i].iter().any(|c| c.name == column.name) {
                    return invalid(format!(
                        "column `{tname}.{}` is declared twice",
                        column.name
                    ));
                }
                if column.default.is_some()
                    && !matches!(
                        column.ty,
                        LogicalType::Bool
                            | LogicalType::Int
                            | LogicalType::BigInt
                            | LogicalType::String
                    )
                {
                    return invalid(format!(
                        "column `{tname}.{}`: only bool, integer and short string columns take a default",
                        column.name
                    ));
                }
            }
            let known = |c: &String| table.column(c).is_some();
            for key_column in &table.primary_key {
                let Some(column) = table.column(key_column) else {
                    return invalid(format!(
                        "primary key column `{tname}.{key_column}` does not exist"
                    ));
                };
                if column.nullable || !column.ty.indexable() {
                    return invalid(format!(
                        "primary key column `{tname}.{key_column}` must be non-null and indexable"
                    ));
                }
            }
            for index in &table.indexes {
                if index.columns.is_empty() || !index.columns.iter().all(known) {
                    return invalid(format!("an index of `{tname}` names an unknown column"));
                }
                for column in &index.columns {
                    if !table.column(column).is_some_and(|c| c.ty.indexable()) {
                        return invalid(format!(
                            "`{tname}.{column}` cannot be indexed: its type has no bounded length"
                        ));
                    }
                }
            }
            for fk in &table.foreign_keys {
                let Some(column) = table.column(&fk.column) else {
                    return invalid(format!(
                        "foreign key column `{tname}.{}` does not exist",
                        fk.column
                    ));
                };
                let Some(target) = self.tables[..=position]
                    .iter()
                    .find(|t| t.name == fk.references)
                else {
                    return invalid(format!(
                        "`{tname}.{}` references `{}`, which is not declared before it",
                        fk.column, fk.references
                    ));
                };
                let Some(target_column) = target.column(&fk.referenced_column) else {
                    return invalid(format!(
                        "`{tname}.{}` references an unknown column",
                        fk.column
                    ));
                };
                if target_column.ty != column.ty {
                    return invalid(format!(
                        "`{tname}.{}` and its target differ in type",
                        fk.column
                    ));
                }
                if !target.is_unique(&fk.referenced_column) {
                    return invalid(format!(
                        "`{tname}.{}` must reference a unique column",
                        fk.column
                    ));
                }
                if fk.on_delete == OnDelete::SetNull && !column.nullable {
                    return invalid(format!(
                        "`{tname}.{}` is ON DELETE SET NULL but not nullable",
                        fk.column
                    ));
                }
                if !table.is_indexed(&fk.column) {
                    return invalid(format!(
                        "foreign key column `{tname}.{}` has no index",
                        fk.column
                    ));
                }
            }
        }
        Ok(())
    }
}

/// ASCII letters, digits and underscores, not starting with a digit.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
