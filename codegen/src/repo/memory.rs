//! The in-memory backend: its tables are keyed by primary key with hash indexes (the
//! `Table` of `yauth-backend-memory`), filters become Rust closures over the candidate rows
//! that a key lookup returns, and unique keys, foreign keys and `ON DELETE` rules are checked
//! as the databases do.
//!
//! The fragments are Rust expressions over the names that `memory/backend.rs.jinja` binds:
//! `t` (the `Tables`), `r` (a row of the query's table), `row` (a row being written), `o`
//! (another stored row, for unique checks), `p` (a parent row: a foreign key's target or a
//! removed row), `x` (a referencing row, for `ON DELETE`), `a` and `b` (rows being sorted),
//! `s` (the table's hasher) and `self` (in `Stored` impls).

use std::collections::BTreeMap;

use serde::Serialize;
use yauth_migration::queries::{Assign, Catalogue, Cond, CondOp, Const, Query, QueryKind};
use yauth_migration::{LogicalType, Schema, Table};

use super::{is_copy, rust_type};
use crate::CodegenError;

#[derive(Serialize)]
pub(super) struct MemoryQuery {
    /// An iterator over the candidate rows (`&Row`): a primary-key lookup, an index lookup or
    /// every row.
    rows: String,
    /// A boolean expression over `r` (a row).
    pred: String,
    /// Whether the filter is empty (a count is the table's length).
    all: bool,
    /// Statements applying `set` to `r`.
    sets: Vec<String>,
    /// Whether `set` changes an indexed column, so that the row is removed, changed, checked
    /// and inserted again instead of changed in place.
    reindex: bool,
    /// A comparator over `a` and `b`.
    cmp: String,
    /// For a `Get` with a join: the candidate joined rows (over `r`) and the match over `p`.
    join_rows: Option<String>,
    join_pred: Option<String>,
    /// For an `Upsert`: the candidate conflicting rows and the conflict predicate over `r`
    /// and `row`.
    conflict_rows: String,
    conflict_pred: String,
}

#[derive(Serialize)]
pub(super) struct MemoryTable {
    /// The primary key's type and its value over `self`.
    pk_type: String,
    pk_expr: String,
    /// One `Option<u64>` expression per hash index: the hash of `self`'s key with `s`, or
    /// `None` when a column of the key is NULL.
    index_keys: Vec<String>,
    /// Statements truncating the timestamps of `row` to microseconds.
    normalize: Vec<String>,
    /// Every unique key: the stored rows that could clash with `row`, and the clash.
    uniques: Vec<MemoryUnique>,
    /// `(condition over t and row, label)`: every foreign key must find its target.
    foreign_keys: Vec<(String, String)>,
    /// The tables that reference this one, and what deleting a row does to them.
    cascades: Vec<MemoryCascade>,
}

#[derive(Serialize)]
struct MemoryUnique {
    /// Candidate rows `o`.
    rows: String,
    /// A predicate over `o` and `row`.
    pred: String,
    label: String,
}

#[derive(Serialize)]
struct MemoryCascade {
    table: String,
    /// Whether rows are deleted (else the column is set to NULL).
    delete: bool,
    /// The referencing rows' candidates for one removed row `p`.
    rows: String,
    /// A predicate over `x` (the referencing row) and `p` (a removed row).
    pred: String,
    column: String,
}

/// How a set of columns is looked up in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    PrimaryKey,
    Index(usize),
    Scan,
}

/// The hash indexes of every table: each unique key (for conflict checks), each set of
/// columns a query compares for equality, and both ends of each foreign key (for the checks
/// on insert and `ON DELETE`). Lookups by key are then never a scan of the table.
pub(super) struct MemoryPlan {
    indexes: BTreeMap<String, Vec<Vec<String>>>,
}

/// JSON has no `Hash`; a filter on it is applied to the candidates instead.
fn hashable(ty: LogicalType) -> bool {
    ty != LogicalType::Json
}

/// `columns` in the table's column order, so that one set of columns is one index.
fn in_table_order(table: &Table, columns: &[String]) -> Vec<String> {
    table
        .columns
        .iter()
        .filter(|c| columns.contains(&c.name))
        .map(|c| c.name.clone())
        .collect()
}

impl MemoryPlan {
    pub(super) fn new(schema: &Schema, catalogue: &Catalogue) -> Result<MemoryPlan, CodegenError> {
        let mut plan = MemoryPlan {
            indexes: BTreeMap::new(),
        };
        for table in &schema.tables {
            if table.primary_key.len() != 1 {
                return Err(CodegenError::Unsupported(format!(
                    "the memory backend keys a table by one column; `{}` has a primary key of {}",
                    table.name,
                    table.primary_key.len()
                )));
            }
            plan.indexes.insert(table.name.clone(), Vec::new());
            for index in table.indexes.iter().filter(|i| i.unique) {
                plan.want(table, &index.columns);
            }
        }
        for q in &catalogue.queries {
            if let Some(table) = schema.table(&q.table)
                && let Some(columns) = plan.lookup_columns(table, q)
            {
                plan.want(table, &columns);
            }
        }
        for table in &schema.tables {
            for fk in &table.foreign_keys {
                plan.want(table, std::slice::from_ref(&fk.column));
                if let Some(target) = schema.table(&fk.references) {
                    plan.want(target, std::slice::from_ref(&fk.referenced_column));
                }
            }
        }
        Ok(plan)
    }

    /// Adds a hash index on `columns` unless the primary key or an index already is one.
    fn want(&mut self, table: &Table, columns: &[String]) {
        let columns = in_table_order(table, columns);
        let hashable = columns
            .iter()
            .all(|c| table.column(c).is_some_and(|c| hashable(c.ty)));
        if columns.is_empty() || !hashable || columns == table.primary_key {
            return;
        }
        let list = self.indexes.entry(table.name.clone()).or_default();
        if !list.contains(&columns) {
            list.push(columns);
        }
    }

    fn access(&self, table: &Table, columns: &[String]) -> Access {
        let columns = in_table_order(table, columns);
        if columns == table.primary_key {
            return Access::PrimaryKey;
        }
        self.indexes
            .get(&table.name)
            .and_then(|list| list.iter().position(|c| *c == columns))
            .map_or(Access::Scan, Access::Index)
    }

    fn of(&self, table: &Table) -> &[Vec<String>] {
        self.indexes.get(&table.name).map_or(&[], Vec::as_slice)
    }

    /// The columns a query looks its rows up by: the primary key or a unique key when its
    /// equalities pin one, else all of its equalities; `None` when it has none.
    fn lookup_columns(&self, table: &Table, q: &Query) -> Option<Vec<String>> {
        let equal: Vec<String> = q
            .filter
            .iter()
            .filter(|c| c.op == CondOp::Eq && c.param.is_some())
            .filter(|c| table.column(&c.column).is_some_and(|c| hashable(c.ty)))
            .map(|c| c.column.clone())
            .collect();
        if equal.is_empty() {
            return None;
        }
        let covers = |key: &[String]| key.iter().all(|c| equal.contains(c));
        if covers(&table.primary_key) {
            return Some(table.primary_key.clone());
        }
        if let Some(unique) = table
            .indexes
            .iter()
            .find(|i| i.unique && covers(&i.columns))
        {
            return Some(unique.columns.clone());
        }
        Some(equal)
    }

    /// Every column that is part of the primary key or of a hash index.
    fn is_key_column(&self, table: &Table, column: &str) -> bool {
        table.primary_key.iter().any(|c| c == column)
            || self.of(table).iter().flatten().any(|c| c == column)
    }

    /// The candidate rows of `table` whose `columns` equal the values `part` gives for them
    /// (borrowed key parts, see [`key_part`]).
    fn rows(&self, table: &Table, columns: &[String], part: impl Fn(&str) -> String) -> String {
        let name = &table.name;
        match self.access(table, columns) {
            Access::PrimaryKey => format!("t.{name}.get({}).into_iter()", part(&columns[0])),
            Access::Index(i) => {
                let columns = in_table_order(table, columns);
                let parts: Vec<String> = columns.iter().map(|c| part(c)).collect();
                format!("t.{name}.lookup({i}, t.{name}.hash({}))", key_tuple(parts))
            }
            Access::Scan => format!("t.{name}.iter()"),
        }
    }
}

/// A key column's value as it is hashed and as primary-key lookups take it: `&T` for copy
/// types, `&str` for strings, `&[u8]` for bytes. `value` is a parameter (already borrowed)
/// or, with `field`, a non-null field such as `row.email`.
fn key_part(table: &Table, column: &str, value: &str, field: bool) -> String {
    use LogicalType::*;
    let ty = table.column(column).expect("validated").ty;
    match (field, ty) {
        (_, t) if is_copy(t) => format!("&{value}"),
        (false, _) => value.to_string(),
        (true, String | Text) => format!("{value}.as_str()"),
        (true, Bytes | ShortBytes) => format!("{value}.as_slice()"),
        (true, _) => format!("&{value}"),
    }
}

/// What is hashed for a key: the one part itself, or a tuple of the parts.
fn key_tuple(parts: Vec<String>) -> String {
    if parts.len() == 1 {
        parts.into_iter().next().expect("one part")
    } else {
        format!("({})", parts.join(", "))
    }
}

/// A nullable field as `Option` of its borrowed key form (`Option<&Uuid>`, `Option<&str>`).
fn optional_part(table: &Table, column: &str, value: &str) -> String {
    let ty = table.column(column).expect("validated").ty;
    if is_copy(ty) {
        format!("{value}.as_ref()")
    } else {
        format!("{value}.as_deref()")
    }
}

/// The `Option<u64>` key of `self` in the index on `columns`.
fn index_key(table: &Table, columns: &[String]) -> String {
    let nullable = |c: &String| table.column(c).is_some_and(|c| c.nullable);
    if !columns.iter().any(nullable) {
        let parts = columns
            .iter()
            .map(|c| key_part(table, c, &format!("self.{c}"), true))
            .collect();
        return format!("Some(s.hash_one({}))", key_tuple(parts));
    }
    let options: Vec<String> = columns
        .iter()
        .map(|c| {
            if nullable(c) {
                optional_part(table, c, &format!("self.{c}"))
            } else {
                format!("Some({})", key_part(table, c, &format!("self.{c}"), true))
            }
        })
        .collect();
    let names: Vec<String> = (0..columns.len()).map(|i| format!("v{i}")).collect();
    let patterns: Vec<String> = names.iter().map(|v| format!("Some({v})")).collect();
    format!(
        "match ({},) {{ ({},) => Some(s.hash_one({})), _ => None }}",
        options.join(", "),
        patterns.join(", "),
        key_tuple(names)
    )
}

fn memory_cmp_eq(table: &Table, column: &str, value: &str) -> String {
    let col = table.column(column).expect("validated");
    match (col.nullable, is_copy(col.ty)) {
        (false, _) => format!("r.{column} == {value}"),
        (true, true) => format!("r.{column} == Some({value})"),
        (true, false) => format!("r.{column}.as_deref() == Some({value})"),
    }
}

fn memory_const(c: &Const) -> String {
    match c {
        Const::Bool(b) => b.to_string(),
        Const::Int(i) => i.to_string(),
        Const::Str(s) => format!("{s:?}"),
        Const::Null => "None".into(),
    }
}

fn memory_cond(table: &Table, cond: &Cond) -> String {
    let column = &cond.column;
    let param = cond.param.as_deref().unwrap_or("");
    let nullable = table.column(column).is_some_and(|c| c.nullable);
    let ord = |op: &str| {
        if nullable {
            format!("r.{column}.is_some_and(|v| v {op} {param})")
        } else {
            format!("r.{column} {op} {param}")
        }
    };
    match cond.op {
        CondOp::Eq => memory_cmp_eq(table, column, param),
        CondOp::Ne => format!("!({})", memory_cmp_eq(table, column, param)),
        CondOp::Lt => ord("<"),
        CondOp::Le => ord("<="),
        CondOp::Gt => ord(">"),
        CondOp::Ge => ord(">="),
        CondOp::LtOrNull if nullable => format!("r.{column}.is_none_or(|v| v < {param})"),
        CondOp::LtOrNull => format!("r.{column} < {param}"),
        CondOp::IsNull => format!("r.{column}.is_none()"),
        CondOp::NotNull => format!("r.{column}.is_some()"),
        CondOp::Is => match cond.constant.as_ref().expect("validated") {
            Const::Bool(true) => format!("r.{column}"),
            Const::Bool(false) => format!("!r.{column}"),
            other => format!("r.{column} == {}", memory_const(other)),
        },
        CondOp::Matches => {
            let parts: Vec<String> = cond
                .columns
                .iter()
                .map(|c| {
                    if table.column(c).is_some_and(|c| c.nullable) {
                        format!(
                            "r.{c}.as_deref().is_some_and(|h| crate::contains_folded(h, {param}))"
                        )
                    } else {
                        format!("crate::contains_folded(&r.{c}, {param})")
                    }
                })
                .collect();
            format!("({})", parts.join(" || "))
        }
    }
}

/// `value` (a parameter) as an owned value of the column's field type.
fn memory_owned(ty: LogicalType, nullable: bool, value: &str) -> String {
    use LogicalType::*;
    match (ty, nullable) {
        (String | Text, false) => format!("{value}.to_string()"),
        (String | Text, true) => format!("{value}.map(str::to_string)"),
        (Bytes | ShortBytes, false) => format!("{value}.to_vec()"),
        (Bytes | ShortBytes, true) => format!("{value}.map(<[u8]>::to_vec)"),
        (Json, false) => format!("{value}.clone()"),
        (Json, true) => format!("{value}.cloned()"),
        (Timestamp, false) => format!("crate::micros({value})"),
        (Timestamp, true) => format!("{value}.map(crate::micros)"),
        _ => value.to_string(),
    }
}

fn memory_sets(table: &Table, q: &Query, from_row: bool) -> Vec<String> {
    q.set
        .iter()
        .map(|a| match a {
            Assign::Param { column } => {
                if from_row {
                    let copy = table.column(column).is_some_and(|c| is_copy(c.ty));
                    let clone = if copy { "" } else { ".clone()" };
                    format!("r.{column} = row.{column}{clone};")
                } else {
                    let col = table.column(column).expect("validated");
                    let value = if col.nullable && !q.set_param_nullable(table, column) {
                        format!("Some({})", memory_owned(col.ty, false, column))
                    } else {
                        memory_owned(col.ty, col.nullable, column)
                    };
                    format!("r.{column} = {value};")
                }
            }
            Assign::Const { column, value } => {
                let col = table.column(column).expect("validated");
                let v = match value {
                    Const::Str(s) => format!("{s:?}.to_string()"),
                    Const::Null => "None".into(),
                    other if col.nullable => format!("Some({})", memory_const(other)),
                    other => memory_const(other),
                };
                format!("r.{column} = {v};")
            }
            Assign::Add { column, by } => format!("r.{column} += {by};"),
        })
        .collect()
}

pub(super) fn memory_query(
    plan: &MemoryPlan,
    schema: &Schema,
    table: &Table,
    q: &Query,
) -> Result<MemoryQuery, CodegenError> {
    if let Some(set) = q
        .set
        .iter()
        .find(|a| table.primary_key.iter().any(|c| c == a.column()))
    {
        return Err(CodegenError::Unsupported(format!(
            "query `{}` sets `{}`, part of the primary key, which the memory backend keys rows by",
            q.name,
            set.column()
        )));
    }
    let pred = if q.filter.is_empty() {
        "true".to_string()
    } else {
        q.filter
            .iter()
            .map(|c| memory_cond(table, c))
            .collect::<Vec<_>>()
            .join(" && ")
    };
    let rows = match plan.lookup_columns(table, q) {
        Some(columns) => plan.rows(table, &columns, |column| {
            let cond = q
                .filter
                .iter()
                .find(|c| c.op == CondOp::Eq && c.column == column)
                .expect("a lookup column has an equality");
            key_part(
                table,
                column,
                cond.param.as_deref().expect("an equality has a parameter"),
                false,
            )
        }),
        None => plan.rows(table, &[], |_| String::new()),
    };
    let cmp = if q.order.is_empty() {
        "std::cmp::Ordering::Equal".to_string()
    } else {
        q.order
            .iter()
            .map(|o| {
                if o.desc {
                    format!("b.{0}.cmp(&a.{0})", o.column)
                } else {
                    format!("a.{0}.cmp(&b.{0})", o.column)
                }
            })
            .reduce(|acc, next| format!("{acc}.then_with(|| {next})"))
            .expect("not empty")
    };
    let (join_rows, join_pred) = match &q.join {
        Some(column) => {
            let fk = table.foreign_key(column).expect("validated");
            let target = schema.table(&fk.references).expect("validated");
            let target_column = fk.referenced_column.clone();
            let rows = plan.rows(target, std::slice::from_ref(&target_column), |_| {
                key_part(table, column, &format!("r.{column}"), true)
            });
            (Some(rows), Some(format!("p.{target_column} == r.{column}")))
        }
        None => (None, None),
    };
    let conflict_rows = match plan.access(table, &q.conflict) {
        Access::PrimaryKey => format!(
            "t.{}.get({}).into_iter()",
            table.name,
            key_part(
                table,
                &q.conflict[0],
                &format!("row.{}", q.conflict[0]),
                true
            )
        ),
        Access::Index(i) => format!("t.{}.colliding({i}, &row)", table.name),
        Access::Scan => format!("t.{}.iter()", table.name),
    };
    let conflict_pred = q
        .conflict
        .iter()
        .map(|c| format!("r.{c} == row.{c}"))
        .collect::<Vec<_>>()
        .join(" && ");
    Ok(MemoryQuery {
        rows,
        pred,
        all: q.filter.is_empty(),
        sets: memory_sets(table, q, q.kind == QueryKind::Upsert),
        reindex: q.set.iter().any(|a| plan.is_key_column(table, a.column())),
        cmp,
        join_rows,
        join_pred,
        conflict_rows,
        conflict_pred,
    })
}

pub(super) fn memory_table(plan: &MemoryPlan, schema: &Schema, table: &Table) -> MemoryTable {
    let pk = &table.primary_key[0];
    let pk_column = table.column(pk).expect("validated");
    let normalize = table
        .columns
        .iter()
        .filter(|c| c.ty == LogicalType::Timestamp)
        .map(|c| {
            if c.nullable {
                format!("row.{0} = row.{0}.map(crate::micros);", c.name)
            } else {
                format!("row.{0} = crate::micros(row.{0});", c.name)
            }
        })
        .collect();
    let mut keys: Vec<Vec<String>> = vec![table.primary_key.clone()];
    keys.extend(
        table
            .indexes
            .iter()
            .filter(|i| i.unique)
            .map(|i| i.columns.clone()),
    );
    let uniques = keys
        .into_iter()
        .map(|cols| {
            let pred = cols
                .iter()
                .map(|c| {
                    if table.column(c).is_some_and(|c| c.nullable) {
                        format!("row.{c}.is_some() && o.{c} == row.{c}")
                    } else {
                        format!("o.{c} == row.{c}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" && ");
            let rows = match plan.access(table, &cols) {
                Access::PrimaryKey => format!(
                    "t.{}.get({}).into_iter()",
                    table.name,
                    key_part(table, pk, &format!("row.{pk}"), true)
                ),
                Access::Index(i) => format!("t.{}.colliding({i}, row)", table.name),
                Access::Scan => format!("t.{}.iter()", table.name),
            };
            MemoryUnique {
                rows,
                pred,
                label: format!("{}.{}", table.name, cols.join("+")),
            }
        })
        .collect();
    let foreign_keys = table
        .foreign_keys
        .iter()
        .map(|fk| {
            let nullable = table.column(&fk.column).is_some_and(|c| c.nullable);
            let target = schema.table(&fk.references).expect("validated");
            let target_column = std::slice::from_ref(&fk.referenced_column);
            let check = if nullable {
                let rows = plan.rows(target, target_column, |_| "v".to_string());
                format!(
                    "{}.is_none_or(|v| {rows}.any(|p| p.{} == *v))",
                    optional_part(table, &fk.column, &format!("row.{}", fk.column)),
                    fk.referenced_column
                )
            } else {
                let rows = plan.rows(target, target_column, |_| {
                    key_part(table, &fk.column, &format!("row.{}", fk.column), true)
                });
                format!(
                    "{rows}.any(|p| p.{} == row.{})",
                    fk.referenced_column, fk.column
                )
            };
            (check, format!("{}.{}", table.name, fk.column))
        })
        .collect();
    let mut cascades = Vec::new();
    for other in &schema.tables {
        for fk in other
            .foreign_keys
            .iter()
            .filter(|f| f.references == table.name)
        {
            let nullable = other.column(&fk.column).is_some_and(|c| c.nullable);
            let pred = if nullable {
                format!(
                    "x.{}.as_ref() == Some(&p.{})",
                    fk.column, fk.referenced_column
                )
            } else {
                format!("x.{} == p.{}", fk.column, fk.referenced_column)
            };
            let parent_nullable = table
                .column(&fk.referenced_column)
                .is_none_or(|c| c.nullable);
            let rows = if parent_nullable {
                format!("t.{}.iter()", other.name)
            } else {
                plan.rows(other, std::slice::from_ref(&fk.column), |_| {
                    key_part(
                        table,
                        &fk.referenced_column,
                        &format!("p.{}", fk.referenced_column),
                        true,
                    )
                })
            };
            cascades.push(MemoryCascade {
                table: other.name.clone(),
                delete: fk.on_delete == yauth_migration::OnDelete::Cascade,
                rows,
                pred,
                column: fk.column.clone(),
            });
        }
    }
    MemoryTable {
        pk_type: rust_type(pk_column.ty).to_string(),
        pk_expr: if is_copy(pk_column.ty) {
            format!("self.{pk}")
        } else {
            format!("self.{pk}.clone()")
        },
        index_keys: plan.of(table).iter().map(|c| index_key(table, c)).collect(),
        normalize,
        uniques,
        foreign_keys,
        cascades,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};
    use yauth_migration::queries::catalogue;

    fn plan() -> (Schema, Catalogue, MemoryPlan) {
        let schema = full_schema(DEFAULT_PREFIX);
        let catalogue = catalogue();
        let plan = MemoryPlan::new(&schema, &catalogue).unwrap();
        (schema, catalogue, plan)
    }

    fn rows_of(query: &str) -> String {
        let (schema, catalogue, plan) = plan();
        let q = catalogue.query(query).unwrap();
        let table = schema.table(&q.table).unwrap();
        memory_query(&plan, &schema, table, q).unwrap().rows
    }

    #[test]
    fn hot_lookups_use_a_key_not_a_scan() {
        assert!(rows_of("check_session").starts_with("t.sessions.lookup("));
        assert!(rows_of("find_user_by_email").starts_with("t.users.lookup("));
        assert_eq!(rows_of("get_user"), "t.users.get(&id).into_iter()");
        assert_eq!(
            rows_of("delete_expired_sessions"),
            "t.sessions.iter()",
            "a range is a scan"
        );
        assert!(rows_of("list_user_sessions").starts_with("t.sessions.lookup("));
        assert!(rows_of("delete_other_user_sessions").starts_with("t.sessions.lookup("));
    }

    #[test]
    fn every_foreign_key_end_is_keyed() {
        let (schema, _, plan) = plan();
        for table in &schema.tables {
            let rendered = memory_table(&plan, &schema, table);
            for (check, label) in &rendered.foreign_keys {
                assert!(!check.contains(".iter()"), "{label}: {check}");
            }
            for cascade in &rendered.cascades {
                assert!(
                    !cascade.rows.contains(".iter()"),
                    "{} -> {}: {}",
                    table.name,
                    cascade.table,
                    cascade.rows
                );
            }
            for unique in &rendered.uniques {
                assert!(!unique.rows.contains(".iter()"), "{}", unique.label);
            }
        }
    }

    #[test]
    fn setting_a_primary_key_is_refused() {
        let (schema, mut catalogue, plan) = plan();
        let q = catalogue
            .queries
            .iter_mut()
            .find(|q| q.name == "update_user_profile")
            .unwrap();
        q.set.push(Assign::Param {
            column: "id".into(),
        });
        let q = catalogue.query("update_user_profile").unwrap();
        let err = memory_query(&plan, &schema, schema.table("users").unwrap(), q)
            .err()
            .unwrap();
        assert!(err.to_string().contains("primary key"), "{err}");
    }
}
