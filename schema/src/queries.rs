//! The query catalogue: every repository operation the runtime uses, declared as data.
//!
//! Each [`Query`] names one table and one [`QueryKind`]; its parameters and result follow from
//! the kind and the table's columns (see [`Query::params`] and [`Query::result`]). Composite
//! operations ([`Composite`]) chain queries in one transaction. The code generator turns the
//! catalogue into the repository traits of `yauth-entity` and one implementation per backend,
//! and `docs/queries.md` lists it per plugin.

use crate::SchemaError;
use crate::types::{LogicalType, Schema, Table};
use serde::Serialize;

/// What a query does. The SQL each kind becomes is the same shape on every dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryKind {
    /// Inserts one whole row. Unique violations are `Conflict`.
    Insert,
    /// At most one row matching the filter (which must pin a unique key); with `join`, the row
    /// together with the row its foreign key points at, in one statement.
    Get,
    /// Rows matching the filter, in `order`, optionally with `limit` and `offset`.
    List,
    /// How many rows match the filter.
    Count,
    /// Sets `set` on every row matching the filter; reports nothing.
    Update,
    /// A conditional update that reports whether it changed a row: the filter holds a guard
    /// (`used = false`, `revoked = false`, ...) that `set` falsifies, so of any number of
    /// concurrent callers exactly one wins.
    Claim,
    /// Deletes the rows matching the filter and reports how many there were. A delete by key
    /// doubles as a one-time claim: only one caller sees 1.
    Delete,
    /// Inserts the row, or on a unique conflict of `conflict` applies `set` to the existing row.
    Upsert,
    /// Applies `set` (which adds to a counter) to the row matching the filter and returns the
    /// counter's new value, or nothing when no row matched.
    Increment,
    /// The fixed-window counter of `rate_limits`: adds one hit to `key` and returns the row,
    /// starting a new window when the stored one has ended. Atomic on every backend.
    Hit,
}

/// A comparison in a `WHERE` clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CondOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `column < param OR column IS NULL` (a TOTP step never used counts as older).
    LtOrNull,
    IsNull,
    NotNull,
    /// `column = <constant>`.
    Is,
    /// Case-insensitive substring match of `param` against any of `columns`.
    Matches,
}

/// A constant in a filter or an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum Const {
    Bool(bool),
    Int(i64),
    Str(String),
    Null,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cond {
    /// The column compared; for [`CondOp::Matches`], the first of `columns`.
    pub column: String,
    pub op: CondOp,
    /// The parameter compared with; `None` for `IsNull`, `NotNull` and `Is`.
    pub param: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constant: Option<Const>,
    /// The columns searched by `Matches`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
}

/// One `SET` assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Assign {
    /// `column = <param of the same name>` (for an upsert: the inserted row's value).
    Param {
        column: String,
    },
    Const {
        column: String,
        value: Const,
    },
    /// `column = column + by`.
    Add {
        column: String,
        by: i64,
    },
}

impl Assign {
    pub fn column(&self) -> &str {
        match self {
            Assign::Param { column }
            | Assign::Const { column, .. }
            | Assign::Add { column, .. } => column,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderBy {
    pub column: String,
    pub desc: bool,
}

/// One repository operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Query {
    /// The method name, unique in the whole catalogue (`find_user_by_email`).
    pub name: String,
    /// The table, without prefix.
    pub table: String,
    pub kind: QueryKind,
    pub filter: Vec<Cond>,
    pub set: Vec<Assign>,
    pub order: Vec<OrderBy>,
    /// Whether a `List` takes `limit` and `offset`.
    pub paged: bool,
    /// The unique columns an `Upsert` conflicts on.
    pub conflict: Vec<String>,
    /// For a `Get`: a foreign-key column whose target row is fetched in the same statement.
    pub join: Option<String>,
    pub doc: String,
    /// The routes or flows that use the operation, for review against the spec's route tables.
    pub used_by: String,
    /// An `Update` of [`EXTRA_TABLE`] that also sets every extra column the application
    /// declared (`[users.extra.*]` in `yauth.toml`) from the map parameter `extra`. Yauth's
    /// own backends have no extra columns: for them it changes nothing more.
    pub set_extra: bool,
}

/// The one table an application may add columns to.
pub const EXTRA_TABLE: &str = "users";

/// Where a parameter's value comes from and what type it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ParamType {
    /// A whole row of a table.
    Row { table: String },
    /// A value of a column's type.
    Value { ty: LogicalType, nullable: bool },
    /// A row count (`limit`, `offset`).
    Count,
    /// The values of the extra columns, by column name (`serde_json::Map`).
    Extra,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Param {
    pub name: String,
    #[serde(flatten)]
    pub ty: ParamType,
}

/// What a query returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum QueryResult {
    Unit,
    /// `Option<row>`, or `Option<(row, joined row)>` with `joined`.
    OptionalRow {
        table: String,
        joined: Option<String>,
    },
    Rows {
        table: String,
    },
    /// A row count (`u64`).
    Count,
    /// Whether a `Claim` won.
    Won,
    /// The new value of a counter column, if a row matched.
    OptionalValue {
        ty: LogicalType,
    },
    /// The row itself (`Hit`).
    Row {
        table: String,
    },
}

impl Query {
    /// The parameters, in the order every generated signature takes them.
    pub fn params(&self, table: &Table) -> Vec<Param> {
        let mut out: Vec<Param> = Vec::new();
        let push = |out: &mut Vec<Param>, name: &str, ty: ParamType| {
            if !out.iter().any(|p| p.name == name) {
                out.push(Param {
                    name: name.to_string(),
                    ty,
                });
            }
        };
        match self.kind {
            QueryKind::Insert | QueryKind::Upsert => {
                push(
                    &mut out,
                    "row",
                    ParamType::Row {
                        table: self.table.clone(),
                    },
                );
                return out;
            }
            QueryKind::Hit => {
                for (name, ty) in [
                    ("key", LogicalType::String),
                    ("now", LogicalType::Timestamp),
                    ("window_end", LogicalType::Timestamp),
                ] {
                    push(
                        &mut out,
                        name,
                        ParamType::Value {
                            ty,
                            nullable: false,
                        },
                    );
                }
                return out;
            }
            _ => {}
        }
        if self.set_extra {
            push(&mut out, "extra", ParamType::Extra);
        }
        for assign in &self.set {
            if let Assign::Param { column } = assign {
                let col = table.column(column).expect("validated");
                push(
                    &mut out,
                    column,
                    ParamType::Value {
                        ty: col.ty,
                        nullable: self.set_param_nullable(table, column),
                    },
                );
            }
        }
        for cond in &self.filter {
            if let Some(param) = &cond.param {
                let ty = if cond.op == CondOp::Matches {
                    LogicalType::String
                } else {
                    table.column(&cond.column).expect("validated").ty
                };
                push(
                    &mut out,
                    param,
                    ParamType::Value {
                        ty,
                        nullable: false,
                    },
                );
            }
        }
        if self.paged {
            push(&mut out, "limit", ParamType::Count);
            push(&mut out, "offset", ParamType::Count);
        }
        out
    }

    pub fn result(&self, table: &Table) -> QueryResult {
        match self.kind {
            QueryKind::Insert | QueryKind::Update | QueryKind::Upsert => QueryResult::Unit,
            QueryKind::Get => QueryResult::OptionalRow {
                table: self.table.clone(),
                joined: self.join.as_ref().map(|column| {
                    table
                        .foreign_key(column)
                        .expect("validated")
                        .references
                        .clone()
                }),
            },
            QueryKind::List => QueryResult::Rows {
                table: self.table.clone(),
            },
            QueryKind::Count | QueryKind::Delete => QueryResult::Count,
            QueryKind::Claim => QueryResult::Won,
            QueryKind::Increment => {
                let column = self.counter().expect("validated");
                QueryResult::OptionalValue {
                    ty: table.column(column).expect("validated").ty,
                }
            }
            QueryKind::Hit => QueryResult::Row {
                table: self.table.clone(),
            },
        }
    }

    /// Whether the parameter that sets `column` is an `Option`: when the column is nullable,
    /// unless the filter compares with the same parameter (`last_used_step < step`, then
    /// set to it), which makes it a plain value.
    pub fn set_param_nullable(&self, table: &Table, column: &str) -> bool {
        table.column(column).is_some_and(|c| c.nullable)
            && !self
                .filter
                .iter()
                .any(|c| c.param.as_deref() == Some(column))
    }

    /// The counter an `Increment` returns: its `Add` assignment.
    pub fn counter(&self) -> Option<&str> {
        self.set.iter().find_map(|a| match a {
            Assign::Add { column, .. } => Some(column.as_str()),
            _ => None,
        })
    }
}

/// One step of a composite operation: a query called with some of the composite's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub query: String,
    /// The composite's parameters passed, in the order of the query's parameters.
    pub args: Vec<String>,
    /// The step runs only when this `Option` parameter (a row) is `Some`.
    pub when_some: Option<String>,
}

/// Several queries run as one transaction. A `Claim` step that loses rolls everything back and
/// the composite returns `false`; any error rolls back too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Composite {
    pub name: String,
    pub params: Vec<CompositeParam>,
    pub steps: Vec<Step>,
    pub doc: String,
    pub used_by: String,
    /// The plugin whose flow this is.
    pub plugin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompositeParam {
    pub name: String,
    #[serde(flatten)]
    pub ty: ParamType,
    /// An optional row (`Option<&Row>`), used by `when_some` steps.
    pub optional: bool,
}

impl Composite {
    /// Whether the composite reports a win (it has a `Claim` step).
    pub fn claims(&self, catalogue: &Catalogue) -> bool {
        self.steps.iter().any(|s| {
            catalogue
                .query(&s.query)
                .is_some_and(|q| q.kind == QueryKind::Claim)
        })
    }
}

/// The whole catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalogue {
    pub queries: Vec<Query>,
    pub composites: Vec<Composite>,
}

impl Catalogue {
    pub fn query(&self, name: &str) -> Option<&Query> {
        self.queries.iter().find(|q| q.name == name)
    }

    /// The queries of one table, in declaration order.
    pub fn for_table<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Query> + 'a {
        self.queries.iter().filter(move |q| q.table == table)
    }

    /// Checks the catalogue against a schema: every column exists, filters of `Get` pin a
    /// unique key, claims falsify their guard, orders use non-null columns, and composite
    /// arguments have the types their steps expect.
    pub fn validate(&self, schema: &Schema) -> Result<(), SchemaError> {
        let invalid = |msg: String| Err(SchemaError::Invalid(msg));
        for (i, q) in self.queries.iter().enumerate() {
            let name = &q.name;
            if !crate::types::is_identifier(name) {
                return invalid(format!("query name `{name}` is not an identifier"));
            }
            if self.queries[..i].iter().any(|o| &o.name == name)
                || self.composites.iter().any(|c| &c.name == name)
            {
                return invalid(format!("query `{name}` is declared twice"));
            }
            let Some(table) = schema.table(&q.table) else {
                return invalid(format!("query `{name}` names unknown table `{}`", q.table));
            };
            if q.set_extra && (q.kind != QueryKind::Update || q.table != EXTRA_TABLE) {
                return invalid(format!(
                    "query `{name}` sets extra columns, which only updates of `{EXTRA_TABLE}` may"
                ));
            }
            let has = |c: &str| table.column(c).is_some();
            for cond in &q.filter {
                let columns: Vec<&String> = if cond.op == CondOp::Matches {
                    cond.columns.iter().collect()
                } else {
                    vec![&cond.column]
                };
                for c in columns {
                    if !has(c) {
                        return invalid(format!("query `{name}` filters on unknown column `{c}`"));
                    }
                }
                let needs_param = !matches!(cond.op, CondOp::IsNull | CondOp::NotNull | CondOp::Is);
                if needs_param != cond.param.is_some() {
                    return invalid(format!("query `{name}`: condition on `{}`", cond.column));
                }
                if cond.op == CondOp::Is && cond.constant.is_none() {
                    return invalid(format!("query `{name}`: `Is` needs a constant"));
                }
            }
            for a in &q.set {
                let Some(col) = table.column(a.column()) else {
                    return invalid(format!(
                        "query `{name}` sets unknown column `{}`",
                        a.column()
                    ));
                };
                match a {
                    Assign::Const {
                        value: Const::Null, ..
                    } if !col.nullable => {
                        return invalid(format!(
                            "query `{name}` sets non-null `{}` to NULL",
                            col.name
                        ));
                    }
                    Assign::Add { .. }
                        if !matches!(col.ty, LogicalType::Int | LogicalType::BigInt) =>
                    {
                        return invalid(format!(
                            "query `{name}` adds to non-integer `{}`",
                            col.name
                        ));
                    }
                    _ => {}
                }
            }
            for o in &q.order {
                match table.column(&o.column) {
                    Some(c) if !c.nullable => {}
                    _ => {
                        return invalid(format!(
                            "query `{name}` orders by `{}`, which must be a non-null column (NULL order differs per dialect)",
                            o.column
                        ));
                    }
                }
            }
            for p in q.params(table) {
                if let ParamType::Value { ty, .. } = &p.ty {
                    let same: Vec<LogicalType> = q
                        .filter
                        .iter()
                        .filter(|c| {
                            c.param.as_deref() == Some(p.name.as_str()) && c.op != CondOp::Matches
                        })
                        .map(|c| table.column(&c.column).expect("checked").ty)
                        .collect();
                    if same.iter().any(|t| t != ty) {
                        return invalid(format!(
                            "query `{name}`: parameter `{}` is used with two types",
                            p.name
                        ));
                    }
                }
            }
            match q.kind {
                QueryKind::Get => {
                    let pinned: Vec<&str> = q
                        .filter
                        .iter()
                        .filter(|c| c.op == CondOp::Eq)
                        .map(|c| c.column.as_str())
                        .collect();
                    let unique = table
                        .primary_key
                        .iter()
                        .all(|c| pinned.contains(&c.as_str()))
                        || table.indexes.iter().any(|i| {
                            i.unique && i.columns.iter().all(|c| pinned.contains(&c.as_str()))
                        });
                    if !unique {
                        return invalid(format!("`Get` query `{name}` does not pin a unique key"));
                    }
                    if let Some(join) = &q.join
                        && table.foreign_key(join).is_none_or(|fk| {
                            table.column(join).is_none_or(|c| c.nullable)
                                || fk.references == q.table
                        })
                    {
                        return invalid(format!(
                            "query `{name}` joins on `{join}`, which is not a non-null foreign key"
                        ));
                    }
                }
                QueryKind::Claim => {
                    // `SET x = :x WHERE x = :x` would change nothing (MySQL then reports no
                    // affected row); a guard `x = :old` with a parameter of its own is a
                    // compare-and-swap, whose caller writes a value other than `:old`.
                    let guarded = q.set.iter().any(|a| {
                        q.filter.iter().any(|c| {
                            c.column == a.column()
                                && (c.op != CondOp::Eq || c.param.as_deref() != Some(a.column()))
                        })
                    });
                    if !guarded {
                        return invalid(format!(
                            "claim `{name}` must set a column its filter guards"
                        ));
                    }
                }
                QueryKind::Update | QueryKind::Delete | QueryKind::Increment => {
                    if q.filter.is_empty() {
                        return invalid(format!("query `{name}` would touch every row"));
                    }
                    if q.kind == QueryKind::Increment && q.counter().is_none() {
                        return invalid(format!("increment `{name}` adds to no column"));
                    }
                }
                QueryKind::Upsert => {
                    if !table
                        .indexes
                        .iter()
                        .any(|i| i.unique && i.columns == q.conflict)
                        && table.primary_key != q.conflict
                    {
                        return invalid(format!("upsert `{name}` conflicts on a non-unique key"));
                    }
                }
                QueryKind::Hit => {
                    for c in ["key", "window_start", "count", "expires_at"] {
                        if !has(c) {
                            return invalid(format!("hit `{name}` needs column `{c}`"));
                        }
                    }
                }
                QueryKind::Insert | QueryKind::List | QueryKind::Count => {}
            }
            if q.kind == QueryKind::List && !q.order.iter().any(|o| table.is_unique(&o.column)) {
                return invalid(format!(
                    "list `{name}` must end its order with a unique column so pages are stable"
                ));
            }
        }
        for c in &self.composites {
            for step in &c.steps {
                let Some(q) = self.query(&step.query) else {
                    return invalid(format!(
                        "composite `{}` calls unknown `{}`",
                        c.name, step.query
                    ));
                };
                let table = schema.table(&q.table).expect("queries validated");
                let params = q.params(table);
                if params.len() != step.args.len() {
                    return invalid(format!(
                        "composite `{}`: `{}` takes {} arguments",
                        c.name,
                        q.name,
                        params.len()
                    ));
                }
                for (param, arg) in params.iter().zip(&step.args) {
                    let Some(given) = c.params.iter().find(|p| &p.name == arg) else {
                        return invalid(format!("composite `{}` has no parameter `{arg}`", c.name));
                    };
                    let optional_ok = !given.optional || step.when_some.as_deref() == Some(arg);
                    if given.ty != param.ty || !optional_ok {
                        return invalid(format!(
                            "composite `{}` passes `{arg}` to `{}` as the wrong type",
                            c.name, q.name
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The declaration DSL.

fn cond(column: &str, op: CondOp, param: Option<&str>) -> Cond {
    Cond {
        column: column.to_string(),
        op,
        param: param.map(str::to_string),
        constant: None,
        columns: Vec::new(),
    }
}

/// `column = <param named like the column>`.
fn eq(column: &str) -> Cond {
    cond(column, CondOp::Eq, Some(column))
}

fn ne(column: &str, param: &str) -> Cond {
    cond(column, CondOp::Ne, Some(param))
}

/// `column > now` (not expired).
fn after_now(column: &str) -> Cond {
    cond(column, CondOp::Gt, Some("now"))
}

/// `column <= now` (expired).
fn not_after_now(column: &str) -> Cond {
    cond(column, CondOp::Le, Some("now"))
}

fn lt(column: &str, param: &str) -> Cond {
    cond(column, CondOp::Lt, Some(param))
}

/// `column < param OR column IS NULL`.
fn lt_or_null(column: &str, param: &str) -> Cond {
    cond(column, CondOp::LtOrNull, Some(param))
}

fn after(column: &str, param: &str) -> Cond {
    cond(column, CondOp::Gt, Some(param))
}

fn is_null(column: &str) -> Cond {
    cond(column, CondOp::IsNull, None)
}

fn is(column: &str, value: bool) -> Cond {
    Cond {
        constant: Some(Const::Bool(value)),
        ..cond(column, CondOp::Is, None)
    }
}

fn is_str(column: &str, value: &str) -> Cond {
    Cond {
        constant: Some(Const::Str(value.to_string())),
        ..cond(column, CondOp::Is, None)
    }
}

fn matches(columns: &[&str]) -> Cond {
    Cond {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        ..cond(columns[0], CondOp::Matches, Some("search"))
    }
}

fn set(column: &str) -> Assign {
    Assign::Param {
        column: column.to_string(),
    }
}

fn set_bool(column: &str, value: bool) -> Assign {
    Assign::Const {
        column: column.to_string(),
        value: Const::Bool(value),
    }
}

fn set_str(column: &str, value: &str) -> Assign {
    Assign::Const {
        column: column.to_string(),
        value: Const::Str(value.to_string()),
    }
}

fn set_null(column: &str) -> Assign {
    Assign::Const {
        column: column.to_string(),
        value: Const::Null,
    }
}

fn add(column: &str, by: i64) -> Assign {
    Assign::Add {
        column: column.to_string(),
        by,
    }
}

fn asc(column: &str) -> OrderBy {
    OrderBy {
        column: column.to_string(),
        desc: false,
    }
}

fn desc(column: &str) -> OrderBy {
    OrderBy {
        column: column.to_string(),
        desc: true,
    }
}

/// Newest first, ties broken by id: the order of every user-facing list.
fn newest() -> Vec<OrderBy> {
    vec![desc("created_at"), desc("id")]
}

fn oldest() -> Vec<OrderBy> {
    vec![asc("created_at"), asc("id")]
}

struct Catalog {
    queries: Vec<Query>,
    table: &'static str,
}

impl Catalog {
    fn on(&mut self, table: &'static str) -> &mut Self {
        self.table = table;
        self
    }

    fn push(&mut self, name: &str, kind: QueryKind, doc: &str, used_by: &str) -> &mut Query {
        self.queries.push(Query {
            name: name.to_string(),
            table: self.table.to_string(),
            kind,
            filter: Vec::new(),
            set: Vec::new(),
            order: Vec::new(),
            paged: false,
            conflict: Vec::new(),
            join: None,
            doc: doc.to_string(),
            used_by: used_by.to_string(),
            set_extra: false,
        });
        self.queries.last_mut().expect("just pushed")
    }

    fn insert(&mut self, name: &str, doc: &str, used_by: &str) -> &mut Self {
        self.push(name, QueryKind::Insert, doc, used_by);
        self
    }

    fn get(&mut self, name: &str, filter: Vec<Cond>, doc: &str, used_by: &str) -> &mut Self {
        self.push(name, QueryKind::Get, doc, used_by).filter = filter;
        self
    }

    fn get_joined(
        &mut self,
        name: &str,
        filter: Vec<Cond>,
        join: &str,
        doc: &str,
        used_by: &str,
    ) -> &mut Self {
        let q = self.push(name, QueryKind::Get, doc, used_by);
        q.filter = filter;
        q.join = Some(join.to_string());
        self
    }

    fn list(
        &mut self,
        name: &str,
        filter: Vec<Cond>,
        order: Vec<OrderBy>,
        paged: bool,
        doc: &str,
        used_by: &str,
    ) -> &mut Self {
        let q = self.push(name, QueryKind::List, doc, used_by);
        q.filter = filter;
        q.order = order;
        q.paged = paged;
        self
    }

    fn count(&mut self, name: &str, filter: Vec<Cond>, doc: &str, used_by: &str) -> &mut Self {
        self.push(name, QueryKind::Count, doc, used_by).filter = filter;
        self
    }

    /// The last query also sets every extra column (see [`Query::set_extra`]).
    fn with_extra(&mut self) -> &mut Self {
        self.queries
            .last_mut()
            .expect("a query was declared")
            .set_extra = true;
        self
    }

    fn update(
        &mut self,
        name: &str,
        set: Vec<Assign>,
        filter: Vec<Cond>,
        doc: &str,
        used_by: &str,
    ) -> &mut Self {
        let q = self.push(name, QueryKind::Update, doc, used_by);
        q.set = set;
        q.filter = filter;
        self
    }

    fn claim(
        &mut self,
        name: &str,
        set: Vec<Assign>,
        filter: Vec<Cond>,
        doc: &str,
        used_by: &str,
    ) -> &mut Self {
        let q = self.push(name, QueryKind::Claim, doc, used_by);
        q.set = set;
        q.filter = filter;
        self
    }

    fn increment(
        &mut self,
        name: &str,
        set: Vec<Assign>,
        filter: Vec<Cond>,
        doc: &str,
        used_by: &str,
    ) -> &mut Self {
        let q = self.push(name, QueryKind::Increment, doc, used_by);
        q.set = set;
        q.filter = filter;
        self
    }

    fn delete(&mut self, name: &str, filter: Vec<Cond>, doc: &str, used_by: &str) -> &mut Self {
        self.push(name, QueryKind::Delete, doc, used_by).filter = filter;
        self
    }

    fn upsert(
        &mut self,
        name: &str,
        conflict: &[&str],
        set: Vec<Assign>,
        doc: &str,
        used_by: &str,
    ) -> &mut Self {
        let q = self.push(name, QueryKind::Upsert, doc, used_by);
        q.conflict = conflict.iter().map(|c| c.to_string()).collect();
        q.set = set;
        self
    }

    /// `delete_expired_<table>`: the sweep every table with `expires_at` gets.
    fn sweep(&mut self, name: &str) -> &mut Self {
        self.delete(
            name,
            vec![not_after_now("expires_at")],
            "Deletes the rows whose `expires_at` has passed.",
            "background sweep",
        )
    }
}

/// The built-in catalogue. It covers every table of [`crate::builtin::all_tables`].
pub fn catalogue() -> Catalogue {
    use QueryKind::Hit;
    let mut c = Catalog {
        queries: Vec::new(),
        table: "",
    };

    // ---- core: users ----
    c.on("users")
        .insert("insert_user", "Creates a user (email already lower-cased).", "POST /register, OAuth and magic-link sign-up")
        .get("get_user", vec![eq("id")], "A user by id.", "every authenticated route, GET /admin/users/{id}")
        .get("find_user_by_email", vec![eq("email")], "A user by normalised email.", "POST /login, /forgot-password, /resend-verification, /magic-link/send, /token, OAuth callback")
        .list("list_users", vec![], newest(), true, "One page of users, newest first.", "GET /admin/users")
        .count("count_users", vec![], "How many users exist.", "GET /admin/users")
        .list("search_users", vec![matches(&["email", "display_name"])], newest(), true, "One page of users whose email or display name contains the search text (case-insensitive).", "GET /admin/users?search=")
        .count("count_search_users", vec![matches(&["email", "display_name"])], "How many users match the search text.", "GET /admin/users?search=")
        .update("update_user_profile", vec![set("display_name"), set("updated_at")], vec![eq("id")], "Sets the display name and the application's extra columns that `extra` names (`null` clears one; a column it does not name keeps its value).", "PATCH /me, the owner's proof of a mailbox someone registered before them")
        .with_extra()
        .update("update_user_admin", vec![set("display_name"), set("role"), set("email_verified"), set("updated_at")], vec![eq("id")], "Sets the fields an admin may edit.", "PUT /admin/users/{id}")
        .update("set_email_verified", vec![set_bool("email_verified", true), set("updated_at")], vec![eq("id")], "Marks the email verified.", "POST /verify-email, POST /magic-link/verify, OAuth sign-in (a verified email linked to an unverified account)")
        .update("ban_user", vec![set_bool("banned", true), set("banned_reason"), set("banned_until"), set("updated_at")], vec![eq("id")], "Bans a user, optionally until a time.", "POST /admin/users/{id}/ban")
        .update("unban_user", vec![set_bool("banned", false), set_null("banned_reason"), set_null("banned_until"), set("updated_at")], vec![eq("id")], "Lifts a ban.", "POST /admin/users/{id}/unban")
        .delete("delete_user", vec![eq("id")], "Deletes a user; every row they own goes with them.", "DELETE /admin/users/{id}");

    // ---- core: sessions ----
    c.on("sessions")
        .insert("insert_session", "Opens a session (the token is stored as its SHA-256).", "POST /login, /mfa/verify, /passkey/login/finish, /magic-link/verify, OAuth callback, impersonation")
        .get_joined("check_session", vec![eq("token_hash"), after_now("expires_at")], "user_id", "The live session with this token hash together with its user, in one statement.", "every request with a session cookie")
        .get("get_session", vec![eq("id")], "A session by id.", "DELETE /admin/sessions/{id}")
        .list("list_user_sessions", vec![eq("user_id")], newest(), false, "A user's sessions.", "GET /sessions, session management")
        .list("list_sessions", vec![], newest(), true, "One page of all sessions.", "GET /admin/sessions")
        .count("count_sessions", vec![], "How many sessions exist.", "GET /admin/sessions")
        .update("touch_session", vec![set("last_seen_at"), set("expires_at")], vec![eq("id"), lt_or_null("last_seen_at", "last_seen_at"), after("expires_at", "last_seen_at")], "Records a request on a live session and slides its expiry (idle timeout). Never moves `last_seen_at` back, and never revives a session that had expired by then.", "every request with a session cookie, at most about once a minute per session")
        .delete("delete_session", vec![eq("id")], "Ends one session.", "DELETE /admin/sessions/{id}, binding invalidation")
        .delete("delete_user_session", vec![eq("id"), eq("user_id")], "Ends one of a user's own sessions; 0 when the id is another user's or unknown.", "DELETE /sessions/{id}")
        .delete("delete_session_by_token", vec![eq("token_hash")], "Ends the session with this token hash.", "POST /logout")
        .delete("delete_user_sessions", vec![eq("user_id")], "Ends every session of a user.", "password reset, ban, delete")
        .delete("delete_other_user_sessions", vec![eq("user_id"), ne("id", "keep_id")], "Ends every session of a user but one.", "POST /change-password")
        .sweep("delete_expired_sessions");

    // ---- core: audit log ----
    c.on("audit_log")
        .insert(
            "insert_audit",
            "Records one auth event.",
            "every auth operation",
        )
        .list(
            "list_user_audit",
            vec![eq("user_id")],
            newest(),
            true,
            "One page of a user's events, newest first.",
            "admin user details",
        )
        .list(
            "list_audit_by_event",
            vec![eq("event_type")],
            newest(),
            true,
            "One page of events of one type.",
            "admin, webhooks replay",
        )
        .delete(
            "delete_audit_before",
            vec![lt("created_at", "before")],
            "Deletes events older than a time (retention).",
            "background sweep",
        );

    // ---- core: rate limits ----
    c.on("rate_limits")
        .get(
            "get_rate_limit",
            vec![eq("key"), after_now("expires_at")],
            "The live counter of a key, without counting a hit.",
            "POST /login (failed logins per email)",
        )
        .delete(
            "delete_rate_limit",
            vec![eq("key")],
            "Forgets a key's counter (a successful login clears its failures).",
            "POST /login, /reset-password",
        );
    c.push(
        "hit_rate_limit",
        Hit,
        "Counts one hit on a key in a fixed window and returns the counter row.",
        "POST /login, /register, /forgot-password, /resend-verification, /magic-link/send, ...",
    );
    c.sweep("delete_expired_rate_limits");

    // ---- email-password ----
    c.on("passwords")
        .insert(
            "insert_password",
            "Stores a user's Argon2id hash.",
            "POST /register",
        )
        .get(
            "get_password",
            vec![eq("user_id")],
            "A user's password hash.",
            "POST /login, /change-password, /token, DELETE /oauth/{provider} (unlink checks)",
        )
        .upsert(
            "upsert_password",
            &["user_id"],
            vec![set("password_hash")],
            "Sets a user's password hash, creating the row if the user had none.",
            "POST /change-password, /reset-password, rehash on login",
        )
        .claim(
            "rehash_password",
            vec![set("password_hash")],
            vec![eq("user_id"), cond("password_hash", CondOp::Eq, Some("old_hash"))],
            "Replaces a hash with a stronger one of the same password, only if it is still the hash that was verified (a reset in between wins).",
            "rehash on login",
        )
        .delete(
            "delete_password",
            vec![eq("user_id")],
            "Removes a user's password.",
            "admin",
        );
    c.on("email_verifications")
        .insert(
            "insert_email_verification",
            "Stores a verification token hash.",
            "POST /register, /resend-verification",
        )
        .get(
            "find_email_verification",
            vec![eq("token_hash"), after_now("expires_at")],
            "A live verification token.",
            "POST /verify-email",
        )
        .delete(
            "delete_email_verification",
            vec![eq("id")],
            "Consumes a verification token; 1 means this caller won.",
            "POST /verify-email",
        )
        .delete(
            "delete_user_email_verifications",
            vec![eq("user_id")],
            "Drops a user's outstanding tokens.",
            "POST /resend-verification, POST /verify-email",
        )
        .sweep("delete_expired_email_verifications");
    c.on("password_resets")
        .insert(
            "insert_password_reset",
            "Stores a reset token hash.",
            "POST /forgot-password",
        )
        .get(
            "find_password_reset",
            vec![
                eq("token_hash"),
                after_now("expires_at"),
                is_null("used_at"),
            ],
            "A live, unused reset token.",
            "POST /reset-password",
        )
        .claim(
            "claim_password_reset",
            vec![set("used_at")],
            vec![eq("id"), is_null("used_at")],
            "Marks a reset token used; only one caller wins.",
            "POST /reset-password",
        )
        .delete(
            "delete_user_password_resets",
            vec![eq("user_id")],
            "Drops a user's outstanding reset tokens.",
            "POST /forgot-password, POST /reset-password, POST /change-password",
        )
        .sweep("delete_expired_password_resets");
    c.on("password_history")
        .insert(
            "insert_password_history",
            "Remembers a former password hash.",
            "POST /change-password, /reset-password",
        )
        .list(
            "list_password_history",
            vec![eq("user_id")],
            newest(),
            true,
            "A user's most recent former hashes.",
            "POST /change-password, /reset-password (password_history_count)",
        )
        .delete(
            "delete_password_history_before",
            vec![eq("user_id"), lt("created_at", "before")],
            "Forgets a user's hashes older than a time.",
            "history pruning",
        );

    // ---- passkey ----
    c.on("webauthn_credentials")
        .insert(
            "insert_webauthn_credential",
            "Stores a registered passkey.",
            "POST /passkeys/register/finish",
        )
        .list(
            "list_user_webauthn_credentials",
            vec![eq("user_id")],
            oldest(),
            false,
            "A user's passkeys.",
            "GET /passkeys, POST /passkeys/register/begin, POST /passkey/login/begin",
        )
        .get(
            "find_webauthn_credential",
            vec![eq("credential_id")],
            "A passkey by its raw credential id.",
            "POST /passkey/login/finish",
        )
        .update(
            "update_webauthn_credential_use",
            vec![set("credential"), set("last_used_at")],
            vec![eq("id")],
            "Stores the credential's new counter state after a login.",
            "POST /passkey/login/finish",
        )
        .delete(
            "delete_user_webauthn_credential",
            vec![eq("id"), eq("user_id")],
            "Deletes one of a user's passkeys.",
            "DELETE /passkeys/{id}",
        )
        .delete(
            "delete_user_webauthn_credentials",
            vec![eq("user_id")],
            "Deletes every passkey of a user.",
            "password reset (account recovery), forget_credentials (a mailbox proven)",
        )
        .count(
            "count_user_webauthn_credentials",
            vec![eq("user_id")],
            "How many passkeys a user has.",
            "GET /passkeys, DELETE /oauth/{provider} (unlink checks)",
        );
    c.on("webauthn_challenges")
        .insert(
            "insert_webauthn_challenge",
            "Stores ceremony state for any replica to finish.",
            "POST /passkeys/register/begin, POST /passkey/login/begin",
        )
        .get(
            "find_webauthn_challenge",
            vec![eq("id"), after_now("expires_at")],
            "A live ceremony.",
            "POST /passkeys/register/finish, POST /passkey/login/finish",
        )
        .delete(
            "delete_webauthn_challenge",
            vec![eq("id")],
            "Consumes a ceremony; 1 means this caller won.",
            "POST /passkeys/register/finish, POST /passkey/login/finish",
        )
        .sweep("delete_expired_webauthn_challenges");

    // ---- mfa ----
    c.on("totp_secrets")
        .upsert(
            "upsert_totp_secret",
            &["user_id"],
            vec![
                set("encrypted_secret"),
                set("verified"),
                set("last_used_step"),
                set("created_at"),
            ],
            "Stores a new (unconfirmed) secret, replacing an earlier one.",
            "POST /mfa/totp/setup",
        )
        .get(
            "get_totp_secret",
            vec![eq("user_id")],
            "A user's TOTP secret.",
            "POST /mfa/verify, /mfa/totp/confirm, login",
        )
        .claim(
            "confirm_totp_secret",
            vec![set_bool("verified", true)],
            vec![eq("user_id"), is("verified", false)],
            "Marks the secret confirmed.",
            "POST /mfa/totp/confirm",
        )
        .claim(
            "use_totp_step",
            vec![set("last_used_step")],
            vec![
                eq("id"),
                cond("last_used_step", CondOp::LtOrNull, Some("last_used_step")),
            ],
            "Records an accepted time step; fails for a step already used (replay).",
            "POST /mfa/verify",
        )
        .delete(
            "delete_totp_secret",
            vec![eq("user_id")],
            "Disables TOTP for a user.",
            "DELETE /mfa/totp, forget_credentials (a mailbox proven)",
        )
        .list(
            "list_totp_secrets",
            vec![],
            oldest(),
            true,
            "One page of every user's TOTP secret, oldest first.",
            "YAuth::reseal",
        )
        .update(
            "reseal_totp_secret",
            vec![set("encrypted_secret")],
            vec![eq("id")],
            "Stores a secret sealed again under the current secret key.",
            "YAuth::reseal",
        );
    c.on("backup_codes")
        .insert(
            "insert_backup_code",
            "Stores one hashed backup code.",
            "POST /mfa/totp/confirm, /mfa/backup-codes/regenerate",
        )
        .get(
            "find_backup_code",
            vec![eq("user_id"), eq("code_hash")],
            "A user's backup code by hash.",
            "POST /mfa/verify",
        )
        .claim(
            "claim_backup_code",
            vec![set_bool("used", true)],
            vec![eq("id"), is("used", false)],
            "Uses a backup code; only one caller wins.",
            "POST /mfa/verify",
        )
        .count(
            "count_unused_backup_codes",
            vec![eq("user_id"), is("used", false)],
            "How many unused codes a user has.",
            "GET /mfa/backup-codes",
        )
        .update(
            "invalidate_user_backup_codes",
            vec![set_bool("used", true)],
            vec![eq("user_id"), is("used", false)],
            "Marks every unused code of a user used.",
            "POST /mfa/backup-codes/regenerate",
        )
        .delete(
            "delete_user_backup_codes",
            vec![eq("user_id")],
            "Deletes a user's codes.",
            "DELETE /mfa/totp, regenerate, forget_credentials (a mailbox proven)",
        );
    c.on("mfa_pending_logins")
        .insert(
            "insert_mfa_pending_login",
            "Parks a login that waits for its second factor.",
            "POST /login when MFA is on",
        )
        .get(
            "find_mfa_pending_login",
            vec![eq("token_hash"), after_now("expires_at")],
            "A live pending login.",
            "POST /mfa/verify",
        )
        .increment(
            "count_mfa_attempt",
            vec![add("attempts", 1)],
            vec![eq("id")],
            "Counts one verification attempt and returns the total.",
            "POST /mfa/verify",
        )
        .delete(
            "delete_mfa_pending_login",
            vec![eq("id")],
            "Consumes a pending login; 1 means this caller won.",
            "POST /mfa/verify",
        )
        .delete(
            "delete_user_mfa_pending_logins",
            vec![eq("user_id")],
            "Ends a user's pending logins (the password they proved changed, MFA was turned off).",
            "password change or reset, DELETE /mfa/totp, forget_credentials (a mailbox proven)",
        )
        .sweep("delete_expired_mfa_pending_logins");

    // ---- oauth ----
    c.on("oauth_accounts")
        .insert(
            "insert_oauth_account",
            "Links a provider account to a user.",
            "OAuth callback, POST /oauth/{provider}/link",
        )
        .get(
            "find_oauth_account",
            vec![eq("provider"), eq("provider_user_id")],
            "The link for a provider's user id.",
            "OAuth callback",
        )
        .list(
            "list_user_oauth_accounts",
            vec![eq("user_id")],
            oldest(),
            false,
            "A user's linked providers.",
            "GET /oauth/accounts, DELETE /oauth/{provider}, OAuth callback (one link per provider), unlinking all (password reset, forget_credentials)",
        )
        .count(
            "count_user_oauth_accounts",
            vec![eq("user_id")],
            "How many providers a user has linked.",
            "DELETE /oauth/{provider}",
        )
        .update(
            "update_oauth_tokens",
            vec![
                set("access_token_enc"),
                set("refresh_token_enc"),
                set("expires_at"),
                set("updated_at"),
            ],
            vec![eq("id")],
            "Stores fresh (encrypted) provider tokens.",
            "OAuth callback",
        )
        .delete(
            "delete_user_oauth_account",
            vec![eq("user_id"), eq("provider")],
            "Unlinks a provider.",
            "DELETE /oauth/{provider}, unlinking all (password reset, forget_credentials)",
        );
    c.on("oauth_states")
        .insert(
            "insert_oauth_state",
            "Stores the state of a started flow.",
            "GET /oauth/{provider}/authorize, POST /oauth/{provider}/link",
        )
        .get(
            "find_oauth_state",
            vec![eq("state"), after_now("expires_at")],
            "A live flow by state hash.",
            "OAuth callback",
        )
        .delete(
            "delete_oauth_state",
            vec![eq("state")],
            "Consumes a flow; 1 means this caller won.",
            "OAuth callback",
        )
        .sweep("delete_expired_oauth_states");

    // ---- bearer ----
    c.on("refresh_tokens")
        .insert(
            "insert_refresh_token",
            "Stores a refresh token hash.",
            "POST /token",
        )
        .get(
            "find_refresh_token",
            vec![eq("token_hash")],
            "A refresh token by hash (revoked ones too, to detect reuse).",
            "POST /token/refresh, /token/revoke",
        )
        .claim(
            "claim_refresh_token",
            vec![set_bool("revoked", true)],
            vec![eq("id"), is("revoked", false)],
            "Revokes a token on use; only one caller wins.",
            "POST /token/refresh, /token/revoke",
        )
        .list(
            "list_family_refresh_tokens",
            vec![eq("family_id")],
            newest(),
            false,
            "A family's tokens, newest first (the reuse grace looks at the successor).",
            "POST /token/refresh",
        )
        .update(
            "revoke_refresh_family",
            vec![set_bool("revoked", true)],
            vec![eq("family_id"), is("revoked", false)],
            "Revokes a whole family (reuse detected).",
            "POST /token/refresh",
        )
        .update(
            "revoke_user_refresh_tokens",
            vec![set_bool("revoked", true)],
            vec![eq("user_id"), is("revoked", false)],
            "Revokes every token of a user.",
            "password reset, ban",
        )
        .sweep("delete_expired_refresh_tokens");

    // ---- api-key ----
    c.on("api_keys")
        .insert(
            "insert_api_key",
            "Stores an API key hash.",
            "POST /api-keys",
        )
        .list(
            "list_user_api_keys",
            vec![eq("user_id")],
            newest(),
            false,
            "A user's keys.",
            "GET /api-keys",
        )
        .count(
            "count_user_api_keys",
            vec![eq("user_id")],
            "How many keys a user has.",
            "POST /api-keys",
        )
        .get_joined(
            "find_api_key",
            vec![eq("key_hash")],
            "user_id",
            "A key by hash together with its user, in one statement.",
            "every request with X-Api-Key",
        )
        .update(
            "touch_api_key",
            vec![set("last_used_at")],
            vec![eq("id"), lt_or_null("last_used_at", "stale_before")],
            "Records a key's use, unless one was recorded after `stale_before`: at most one write per key and interval, however many requests race.",
            "requests with X-Api-Key",
        )
        .delete(
            "delete_user_api_key",
            vec![eq("id"), eq("user_id")],
            "Deletes one of a user's keys.",
            "DELETE /api-keys/{id}",
        )
        .delete(
            "delete_user_api_keys",
            vec![eq("user_id")],
            "Deletes every key of a user.",
            "password reset, magic-link proof of an unverified account",
        );

    // ---- magic-link ----
    c.on("magic_links")
        .insert(
            "insert_magic_link",
            "Stores a magic-link token hash.",
            "POST /magic-link/send",
        )
        .get(
            "find_magic_link",
            vec![eq("token_hash"), after_now("expires_at"), is("used", false)],
            "A live, unused link.",
            "POST /magic-link/verify",
        )
        .claim(
            "claim_magic_link",
            vec![set_bool("used", true)],
            vec![eq("id"), is("used", false)],
            "Uses a link; only one caller wins.",
            "POST /magic-link/verify",
        )
        .delete(
            "delete_email_magic_links",
            vec![eq("email")],
            "Drops the outstanding links of an email.",
            "POST /magic-link/send",
        )
        .sweep("delete_expired_magic_links");

    // ---- oauth2-server ----
    c.on("oauth2_clients")
        .insert("insert_oauth2_client", "Registers a client.", "POST /oauth/register")
        .get("find_oauth2_client", vec![eq("client_id")], "A client by its public id.", "GET/POST /oauth/authorize, POST /oauth/token, /oauth/introspect, /oauth/revoke, /oauth/device/code")
        .list("list_oauth2_clients", vec![], newest(), true, "One page of clients.", "admin")
        .delete("delete_oauth2_client", vec![eq("client_id")], "Deletes a client and everything issued to it.", "admin");
    c.on("authorization_codes")
        .insert(
            "insert_authorization_code",
            "Stores an authorization code hash.",
            "POST /oauth/authorize",
        )
        .get(
            "find_authorization_code",
            vec![eq("code_hash")],
            "A code by hash (used ones too, to detect replay).",
            "POST /oauth/token",
        )
        .claim(
            "claim_authorization_code",
            vec![set_bool("used", true)],
            vec![eq("id"), is("used", false), after_now("expires_at")],
            "Uses a live code; only one caller wins.",
            "POST /oauth/token",
        )
        .sweep("delete_expired_authorization_codes");
    c.on("consents")
        .upsert(
            "upsert_consent",
            &["user_id", "client_id"],
            vec![set("scopes"), set("created_at")],
            "Records the scopes a user granted a client.",
            "POST /oauth/authorize",
        )
        .get(
            "find_consent",
            vec![eq("user_id"), eq("client_id")],
            "A user's consent for a client.",
            "GET /oauth/authorize",
        )
        .list(
            "list_user_consents",
            vec![eq("user_id")],
            newest(),
            false,
            "A user's consents.",
            "account pages",
        )
        .delete(
            "delete_consent",
            vec![eq("user_id"), eq("client_id")],
            "Withdraws a consent.",
            "account pages",
        );
    c.on("device_codes")
        .insert(
            "insert_device_code",
            "Stores a device authorization.",
            "POST /oauth/device/code",
        )
        .get(
            "find_device_code",
            vec![eq("device_code_hash")],
            "A device authorization by device code hash.",
            "POST /oauth/token (device grant)",
        )
        .get(
            "find_device_code_by_user_code",
            vec![eq("user_code"), after_now("expires_at")],
            "A live device authorization by user code.",
            "GET/POST /oauth/device",
        )
        .claim(
            "approve_device_code",
            vec![set_str("status", "approved"), set("user_id")],
            vec![eq("id"), is_str("status", "pending")],
            "Approves a pending authorization for a user.",
            "POST /oauth/device",
        )
        .claim(
            "deny_device_code",
            vec![set_str("status", "denied")],
            vec![eq("id"), is_str("status", "pending")],
            "Denies a pending authorization.",
            "POST /oauth/device",
        )
        .update(
            "touch_device_code_poll",
            vec![set("last_polled_at"), set("interval")],
            vec![eq("id")],
            "Records a poll, and the interval (raised by 5 s after a `slow_down`).",
            "POST /oauth/token (device grant)",
        )
        .claim(
            "consume_device_code",
            vec![set_str("status", "consumed")],
            vec![eq("id"), is_str("status", "approved")],
            "Exchanges an approved authorization once.",
            "POST /oauth/token (device grant)",
        )
        .sweep("delete_expired_device_codes");
    c.on("oauth2_access_tokens")
        .insert(
            "insert_oauth2_access_token",
            "Records an issued access token by JWT id.",
            "POST /oauth/token",
        )
        .get(
            "find_oauth2_access_token",
            vec![eq("jti")],
            "An access token by JWT id.",
            "POST /oauth/introspect, /oauth/revoke, bearer validation",
        )
        .claim(
            "revoke_oauth2_access_token",
            vec![set_bool("revoked", true)],
            vec![eq("jti"), is("revoked", false)],
            "Revokes an access token.",
            "POST /oauth/revoke",
        )
        .update(
            "revoke_user_oauth2_access_tokens",
            vec![set_bool("revoked", true)],
            vec![eq("user_id"), is("revoked", false)],
            "Revokes every access token a client holds for a user (a new password, a ban).",
            "oauth2-server on password_changed, password_reset, user_banned",
        )
        .update(
            "revoke_oauth2_grant_access_tokens",
            vec![set_bool("revoked", true)],
            vec![eq("grant_id"), is("revoked", false)],
            "Revokes every access token of a grant (a reused code or refresh token, a revoked refresh token).",
            "POST /oauth/token, /oauth/revoke",
        )
        .sweep("delete_expired_oauth2_access_tokens");
    c.on("oauth2_refresh_tokens")
        .insert(
            "insert_oauth2_refresh_token",
            "Stores a client's refresh token hash.",
            "POST /oauth/token",
        )
        .get(
            "find_oauth2_refresh_token",
            vec![eq("token_hash")],
            "A refresh token by hash.",
            "POST /oauth/token (refresh), /oauth/introspect, /oauth/revoke",
        )
        .claim(
            "claim_oauth2_refresh_token",
            vec![set_bool("revoked", true)],
            vec![eq("id"), is("revoked", false)],
            "Revokes a token on use; only one caller wins.",
            "POST /oauth/token (refresh), /oauth/revoke",
        )
        .update(
            "revoke_user_oauth2_refresh_tokens",
            vec![set_bool("revoked", true)],
            vec![eq("user_id"), is("revoked", false)],
            "Revokes every refresh token clients hold for a user (a new password, a ban).",
            "oauth2-server on password_changed, password_reset, user_banned",
        )
        .update(
            "revoke_oauth2_refresh_family",
            vec![set_bool("revoked", true)],
            vec![eq("family_id"), is("revoked", false)],
            "Revokes a whole family (reuse detected).",
            "POST /oauth/token (refresh)",
        )
        .sweep("delete_expired_oauth2_refresh_tokens");
    c.on("signing_keys")
        .insert(
            "insert_signing_key",
            "Stores a signing key (private part sealed).",
            "first start, key rotation",
        )
        .list(
            "list_signing_keys",
            vec![is_null("retired_at")],
            newest(),
            false,
            "The keys that still verify (published in JWKS), newest first.",
            "token validation, GET /.well-known/jwks.json",
        )
        .get(
            "find_signing_key",
            vec![eq("kid")],
            "A key by kid.",
            "token validation",
        )
        .claim(
            "rotate_signing_key",
            vec![set_bool("active", false), set("rotated_at")],
            vec![eq("id"), is("active", true)],
            "Stops a key from signing (it still verifies); only one caller wins.",
            "key rotation",
        )
        .update(
            "retire_signing_keys",
            vec![set("retired_at")],
            vec![lt("rotated_at", "rotated_before"), is_null("retired_at")],
            "Stops keys rotated before the cutoff from verifying (every token they signed has expired).",
            "maintenance",
        )
        .update(
            "reseal_signing_key",
            vec![set("private_key_enc")],
            vec![eq("id")],
            "Replaces a key's sealed private part (sealed again under the current secret key).",
            "YAuth::reseal",
        );

    // ---- account-lockout ----
    c.on("account_locks")
        .get(
            "get_account_lock",
            vec![eq("email_hash")],
            "The lock state of an email (known or not).",
            "POST /login, /token, /account/request-unlock",
        )
        .upsert(
            "ensure_account_lock",
            &["email_hash"],
            vec![set("updated_at")],
            "Creates an email's row, or touches the one there.",
            "POST /login, /token (the attempt past the threshold)",
        )
        .claim(
            "lock_account",
            vec![
                set("locked_until"),
                set("locked_reason"),
                set("lock_count"),
                set("expires_at"),
                set("updated_at"),
            ],
            vec![
                eq("email_hash"),
                cond("lock_count", CondOp::Eq, Some("seen_lock_count")),
            ],
            "Locks an email, only if its lock count is still the one read: of concurrent attempts past the threshold exactly one locks (and sets the doubled duration).",
            "POST /login, /token",
        )
        .delete(
            "delete_account_lock",
            vec![eq("email_hash")],
            "Lifts an email's lock and forgets its backoff; 1 when there was a row.",
            "POST /account/unlock, /admin/users/{id}/unlock, password reset",
        )
        .sweep("delete_expired_account_locks");
    c.on("unlock_tokens")
        .insert(
            "insert_unlock_token",
            "Stores an unlock token hash.",
            "POST /account/request-unlock",
        )
        .get(
            "find_unlock_token",
            vec![eq("token_hash"), after_now("expires_at")],
            "A live unlock token.",
            "POST /account/unlock",
        )
        .delete(
            "delete_unlock_token",
            vec![eq("id")],
            "Consumes an unlock token; 1 means this caller won.",
            "POST /account/unlock",
        )
        .delete(
            "delete_user_unlock_tokens",
            vec![eq("user_id")],
            "Drops a user's outstanding tokens.",
            "POST /account/request-unlock",
        )
        .sweep("delete_expired_unlock_tokens");

    // ---- webhooks ----
    c.on("webhooks")
        .insert("insert_webhook", "Registers a webhook.", "POST /webhooks")
        .get(
            "get_webhook",
            vec![eq("id")],
            "A webhook by id.",
            "GET/PUT/DELETE /webhooks/{id}, POST /webhooks/{id}/test",
        )
        .list(
            "list_webhooks",
            vec![],
            newest(),
            false,
            "Every webhook, newest first (any admin manages them all).",
            "GET /webhooks",
        )
        .list(
            "list_active_webhooks",
            vec![is("active", true)],
            oldest(),
            false,
            "Every active webhook, to match an event against.",
            "event dispatch",
        )
        .count(
            "count_user_webhooks",
            vec![eq("user_id")],
            "How many webhooks a user has (max_webhooks).",
            "POST /webhooks",
        )
        .update(
            "update_webhook",
            vec![
                set("url"),
                set("events"),
                set("secret_enc"),
                set("active"),
                set("updated_at"),
            ],
            vec![eq("id")],
            "Replaces a webhook's settings.",
            "PUT /webhooks/{id}",
        )
        .delete(
            "delete_webhook",
            vec![eq("id")],
            "Deletes a webhook and (cascade) its deliveries.",
            "DELETE /webhooks/{id}",
        );
    c.on("webhook_deliveries")
        .insert(
            "insert_webhook_delivery",
            "Queues a delivery (or records a test delivery about to be sent).",
            "event dispatch, POST /webhooks/{id}/test",
        )
        .list(
            "list_webhook_deliveries",
            vec![eq("webhook_id")],
            newest(),
            true,
            "One page of a webhook's deliveries.",
            "GET /webhooks/{id}",
        )
        .list(
            "list_due_webhook_deliveries",
            vec![cond("next_attempt_at", CondOp::Le, Some("now"))],
            oldest(),
            true,
            "Deliveries whose retry is due.",
            "retry worker",
        )
        .claim(
            "claim_webhook_delivery",
            vec![set("attempt"), set("next_attempt_at")],
            vec![
                eq("id"),
                cond("attempt", CondOp::Eq, Some("seen_attempt")),
                not_after_now("next_attempt_at"),
            ],
            "Starts an attempt: raises `attempt` from the value the worker saw and leases the row until `next_attempt_at`, if the row is still due; only one worker wins (a row recorded or leased meanwhile is not due).",
            "delivery worker",
        )
        .claim(
            "record_webhook_attempt",
            vec![
                set("status_code"),
                set("response_body"),
                set("error"),
                set("success"),
                set("next_attempt_at"),
                set("attempted_at"),
                set("attempt"),
            ],
            vec![eq("id"), cond("attempt", CondOp::Eq, Some("claimed_attempt"))],
            "Stores the outcome of an attempt, only while the attempt is still the row's latest (a worker whose lease ran out and was taken over records nothing).",
            "delivery worker, POST /webhooks/{id}/test",
        )
        .delete(
            "delete_webhook_deliveries_before",
            vec![
                eq("webhook_id"),
                lt("created_at", "before"),
                is_null("next_attempt_at"),
            ],
            "Prunes a webhook's old finished deliveries (delivered or given up; pending ones stay).",
            "retention",
        );

    // ---- oidc ----
    c.on("oidc_nonces")
        .insert(
            "insert_oidc_nonce",
            "Remembers the nonce of an authorization code.",
            "POST /oauth/authorize with openid scope",
        )
        .list(
            "list_oidc_nonces",
            vec![eq("authorization_code_id")],
            oldest(),
            false,
            "The nonce of a code.",
            "POST /oauth/token (id_token)",
        );

    let row = |name: &str, table: &str, optional: bool| CompositeParam {
        name: name.to_string(),
        ty: ParamType::Row {
            table: table.to_string(),
        },
        optional,
    };
    let value = |name: &str, ty: LogicalType| CompositeParam {
        name: name.to_string(),
        ty: ParamType::Value {
            ty,
            nullable: false,
        },
        optional: false,
    };
    let step = |query: &str, args: &[&str]| Step {
        query: query.to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
        when_some: None,
    };
    let step_if = |query: &str, arg: &str| Step {
        query: query.to_string(),
        args: vec![arg.to_string()],
        when_some: Some(arg.to_string()),
    };
    let composites = vec![
        Composite {
            name: "register_user".into(),
            params: vec![
                row("user", "users", false),
                row("password", "passwords", false),
                row("verification", "email_verifications", true),
                row("audit", "audit_log", false),
            ],
            steps: vec![
                step("insert_user", &["user"]),
                step("insert_password", &["password"]),
                step_if("insert_email_verification", "verification"),
                step("insert_audit", &["audit"]),
            ],
            doc: "Creates a user with their password, verification token and audit entry, all or nothing.".into(),
            used_by: "POST /register".into(),
            plugin: "email-password".into(),
        },
        Composite {
            name: "reset_password".into(),
            params: vec![
                value("reset_id", LogicalType::Uuid),
                CompositeParam {
                    name: "used_at".into(),
                    ty: ParamType::Value {
                        ty: LogicalType::Timestamp,
                        nullable: true,
                    },
                    optional: false,
                },
                row("password", "passwords", false),
                row("history", "password_history", true),
                value("user_id", LogicalType::Uuid),
                row("audit", "audit_log", false),
            ],
            steps: vec![
                step("claim_password_reset", &["used_at", "reset_id"]),
                step("upsert_password", &["password"]),
                step_if("insert_password_history", "history"),
                step("delete_user_sessions", &["user_id"]),
                step("insert_audit", &["audit"]),
            ],
            doc: "Uses a reset token, sets the new password and ends every session; false when the token was already used.".into(),
            used_by: "POST /reset-password".into(),
            plugin: "email-password".into(),
        },
        Composite {
            name: "change_password".into(),
            params: vec![
                row("password", "passwords", false),
                row("history", "password_history", true),
                value("user_id", LogicalType::Uuid),
                value("keep_session", LogicalType::Uuid),
                row("audit", "audit_log", false),
            ],
            steps: vec![
                step("upsert_password", &["password"]),
                step_if("insert_password_history", "history"),
                step("delete_other_user_sessions", &["user_id", "keep_session"]),
                step("delete_user_password_resets", &["user_id"]),
                step("insert_audit", &["audit"]),
            ],
            doc: "Sets the new password, records the old hash, ends the user's other sessions and drops their pending reset tokens, all or nothing. `keep_session` is the caller's own session; a caller without one (API key, bearer token) passes `Uuid::nil()`, which matches no session, so every session ends.".into(),
            used_by: "POST /change-password".into(),
            plugin: "email-password".into(),
        },
        Composite {
            name: "rotate_refresh_token".into(),
            params: vec![value("old_id", LogicalType::Uuid), row("new_token", "refresh_tokens", false)],
            steps: vec![
                step("claim_refresh_token", &["old_id"]),
                step("insert_refresh_token", &["new_token"]),
            ],
            doc: "Revokes the presented refresh token and stores its successor; false when it was already used.".into(),
            used_by: "POST /token/refresh".into(),
            plugin: "bearer".into(),
        },
        Composite {
            name: "rotate_oauth2_refresh_token".into(),
            params: vec![
                value("old_id", LogicalType::Uuid),
                row("new_token", "oauth2_refresh_tokens", false),
                row("access", "oauth2_access_tokens", false),
            ],
            steps: vec![
                step("claim_oauth2_refresh_token", &["old_id"]),
                step("insert_oauth2_refresh_token", &["new_token"]),
                step("insert_oauth2_access_token", &["access"]),
            ],
            doc: "Rotates a client's refresh token and records the new access token; false when it was already used.".into(),
            used_by: "POST /oauth/token (refresh_token grant)".into(),
            plugin: "oauth2-server".into(),
        },
        Composite {
            name: "exchange_authorization_code".into(),
            params: vec![
                value("code_id", LogicalType::Uuid),
                value("now", LogicalType::Timestamp),
                row("access", "oauth2_access_tokens", false),
                row("refresh", "oauth2_refresh_tokens", true),
            ],
            steps: vec![
                step("claim_authorization_code", &["code_id", "now"]),
                step("insert_oauth2_access_token", &["access"]),
                step_if("insert_oauth2_refresh_token", "refresh"),
            ],
            doc: "Uses an authorization code and records the tokens issued for it; false when it was already used or expired.".into(),
            used_by: "POST /oauth/token (authorization_code grant)".into(),
            plugin: "oauth2-server".into(),
        },
    ];
    Catalogue {
        queries: c.queries,
        composites,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::{DEFAULT_PREFIX, full_schema};

    #[test]
    fn built_in_catalogue_is_valid() {
        catalogue().validate(&full_schema(DEFAULT_PREFIX)).unwrap();
    }

    #[test]
    fn every_table_has_queries_and_every_expiring_table_a_sweep() {
        let cat = catalogue();
        for table in full_schema(DEFAULT_PREFIX).tables {
            assert!(
                cat.for_table(&table.name).next().is_some(),
                "{}",
                table.name
            );
            let expires = table.column("expires_at").is_some_and(|c| !c.nullable);
            let swept = cat
                .for_table(&table.name)
                .any(|q| q.name.starts_with("delete_expired_"));
            assert_eq!(expires, swept, "{}", table.name);
        }
    }

    #[test]
    fn a_claim_that_does_not_falsify_its_guard_is_refused() {
        let mut cat = catalogue();
        let q = cat
            .queries
            .iter_mut()
            .find(|q| q.name == "claim_magic_link")
            .unwrap();
        q.set = vec![set("created_at")];
        let err = cat.validate(&full_schema(DEFAULT_PREFIX)).unwrap_err();
        assert!(err.to_string().contains("guards"), "{err}");
    }

    #[test]
    fn a_compare_and_swap_claim_is_accepted_but_setting_the_guarded_value_is_not() {
        let schema = full_schema(DEFAULT_PREFIX);
        let cat = catalogue();
        assert!(cat.query("rehash_password").is_some());
        cat.validate(&schema).unwrap();
        let mut cat = catalogue();
        let q = cat
            .queries
            .iter_mut()
            .find(|q| q.name == "rehash_password")
            .unwrap();
        // `SET password_hash = :password_hash WHERE password_hash = :password_hash`.
        q.filter[1].param = Some("password_hash".into());
        let err = cat.validate(&schema).unwrap_err();
        assert!(err.to_string().contains("guards"), "{err}");
    }

    #[test]
    fn a_get_must_pin_a_unique_key() {
        let mut cat = catalogue();
        let q = cat
            .queries
            .iter_mut()
            .find(|q| q.name == "get_user")
            .unwrap();
        q.filter = vec![eq("role")];
        assert!(cat.validate(&full_schema(DEFAULT_PREFIX)).is_err());
    }

    #[test]
    fn composite_arguments_are_type_checked() {
        let mut cat = catalogue();
        cat.composites[0].steps[0].args = vec!["password".into()];
        assert!(cat.validate(&full_schema(DEFAULT_PREFIX)).is_err());
    }

    #[test]
    fn params_follow_set_then_filter_then_paging() {
        let schema = full_schema(DEFAULT_PREFIX);
        let cat = catalogue();
        let q = cat.query("delete_other_user_sessions").unwrap();
        let names: Vec<String> = q
            .params(schema.table("sessions").unwrap())
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["user_id", "keep_id"]);
        let q = cat.query("search_users").unwrap();
        let names: Vec<String> = q
            .params(schema.table("users").unwrap())
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["search", "limit", "offset"]);
    }
}
