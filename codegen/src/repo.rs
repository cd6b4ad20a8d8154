//! The repositories: from the query catalogue of `yauth-migration`, the traits and domain
//! structs of `yauth-entity` and one implementation per backend.
//!
//! Rust code computes the fragments that depend on types and dialects (signatures, filter
//! expressions, SQL text, bind and decode expressions); the templates under `repo/`,
//! `memory/` and `sqlx/` lay out the code for each kind of query.

use serde::Serialize;
use yauth_migration::queries::{
    Assign, Catalogue, Composite, Cond, CondOp, Const, EXTRA_TABLE, Param, ParamType, Query,
    QueryKind, QueryResult,
};
use yauth_migration::{Column, ColumnDefault, Dialect, LogicalType, Schema, Table, UserColumn};

mod memory;

use memory::{MemoryPlan, MemoryQuery, MemoryTable, memory_query, memory_table};

use crate::CodegenError;
use crate::render::{check_rust_names, pascal_case, render_rust};
use crate::toasty::struct_name;

const USER_HEADER_TAIL: &str = "Do not edit: change yauth.toml and run `cargo yauth generate`.";
const RUNTIME_HEADER_TAIL: &str =
    "Do not edit: change the schema or template and run `cargo run -p generated-check -- --write`.";

/// The header line of the generated files of this repository's own runtime crates.
pub fn runtime_header(template: &str) -> String {
    format!(
        "{} from template {template}. {RUNTIME_HEADER_TAIL}",
        crate::render::GENERATED_MARKER
    )
}

/// The domain type of a column, without `Option`.
pub fn rust_type(ty: LogicalType) -> &'static str {
    use LogicalType::*;
    match ty {
        Uuid => "Uuid",
        String | Text => "String",
        Bool => "bool",
        Int => "i32",
        BigInt => "i64",
        Timestamp => "DateTime<Utc>",
        Json => "serde_json::Value",
        Bytes | ShortBytes => "Vec<u8>",
    }
}

/// Whether values of the type are `Copy` (passed by value).
fn is_copy(ty: LogicalType) -> bool {
    use LogicalType::*;
    matches!(ty, Uuid | Bool | Int | BigInt | Timestamp)
}

/// The type a parameter takes in a signature: borrowed for strings, bytes, JSON and rows.
fn borrowed_type(ty: LogicalType) -> &'static str {
    use LogicalType::*;
    match ty {
        String | Text => "&str",
        Json => "&serde_json::Value",
        Bytes | ShortBytes => "&[u8]",
        other => rust_type(other),
    }
}

fn param_type(p: &ParamType, optional: bool) -> String {
    match p {
        ParamType::Row { table } if optional => format!("Option<&{}>", struct_name(table)),
        ParamType::Row { table } => format!("&{}", struct_name(table)),
        ParamType::Value { ty, nullable } if *nullable => {
            format!("Option<{}>", borrowed_type(*ty))
        }
        ParamType::Value { ty, .. } => borrowed_type(*ty).to_string(),
        ParamType::Count => "u64".to_string(),
        ParamType::Extra => "&serde_json::Map<String, serde_json::Value>".to_string(),
    }
}

fn result_type(r: &QueryResult) -> String {
    match r {
        QueryResult::Unit => "()".into(),
        QueryResult::OptionalRow {
            table,
            joined: None,
        } => format!("Option<{}>", struct_name(table)),
        QueryResult::OptionalRow {
            table,
            joined: Some(j),
        } => format!("Option<({}, {})>", struct_name(table), struct_name(j)),
        QueryResult::Rows { table } => format!("Vec<{}>", struct_name(table)),
        QueryResult::Count => "u64".into(),
        QueryResult::Won => "bool".into(),
        QueryResult::OptionalValue { ty } => format!("Option<{}>", rust_type(*ty)),
        QueryResult::Row { table } => struct_name(table),
    }
}

/// A trait's name: `users` → `UsersRepository`.
pub fn trait_name(table: &str) -> String {
    format!("{}Repository", pascal_case(table))
}

#[derive(Serialize)]
struct FieldCtx {
    name: String,
    rust_type: String,
}

/// What every template knows about one query.
#[derive(Serialize)]
struct QueryCtx {
    name: String,
    kind: QueryKind,
    doc: String,
    used_by: String,
    /// `id: Uuid, now: DateTime<Utc>` (without `&self`).
    params_sig: String,
    /// `id, now`: the parameters passed on.
    args: String,
    ret: String,
    paged: bool,
    joined: Option<String>,
    /// The table name of the joined row.
    joined_table: Option<String>,
    /// The name of the counter of an `Increment`.
    counter: Option<String>,
    /// Backend-specific fragments.
    memory: Option<MemoryQuery>,
    /// The SQL of the sqlx and diesel backends.
    sql: Option<SqlQuery>,
}

#[derive(Serialize)]
struct TableCtx {
    name: String,
    /// The table whose row carries the application's extra columns (`extra` map).
    extra: bool,
    struct_name: String,
    trait_name: String,
    plugin: String,
    fields: Vec<FieldCtx>,
    queries: Vec<QueryCtx>,
    memory: Option<MemoryTable>,
    diesel: Option<DieselTable>,
    /// `field: decode expression` reading a sea-orm `QueryResult` `r` with column prefix `pre`.
    seaorm: Option<Vec<(String, String)>>,
}

#[derive(Serialize)]
struct StepCtx {
    call: String,
    args: String,
    claims: bool,
    when_some: Option<String>,
}

#[derive(Serialize)]
struct CompositeCtx {
    name: String,
    doc: String,
    used_by: String,
    params_sig: String,
    /// `a, b`: the parameters passed on.
    args: String,
    /// The plugin of the table its first step writes.
    plugin: String,
    ret: String,
    claims: bool,
    steps: Vec<StepCtx>,
}

#[derive(Serialize)]
struct Context {
    header: String,
    marker: &'static str,
    /// A module generated into an application's crate: it reaches yauth-entity through
    /// `yauth::entity` and its sqlx statements are bound at run time.
    standalone: bool,
    /// The tables' name prefix.
    prefix: String,
    /// The extra user columns the backend stores (none in yauth's own crates).
    extra_columns: Vec<ExtraColumnCtx>,
    tables: Vec<TableCtx>,
    composites: Vec<CompositeCtx>,
    /// Backend-specific names (`SqlxPgBackend`, `PgConnection`, ...).
    backend: Option<BackendCtx>,
}

/// An `ExtraColumn` of yauth-entity, as Rust expressions.
#[derive(Serialize)]
struct ExtraColumnCtx {
    name: String,
    ty: &'static str,
    /// `true` or `false`, as Rust writes them (minijinja would print `True`).
    nullable: &'static str,
    settable: &'static str,
    /// `None` or `Some(ExtraDefault::…)`.
    default: String,
}

fn rust_bool(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn extra_column_ctx(c: &UserColumn) -> ExtraColumnCtx {
    ExtraColumnCtx {
        name: c.name.clone(),
        ty: match c.ty {
            LogicalType::String => "String",
            LogicalType::Text => "Text",
            LogicalType::Bool => "Bool",
            LogicalType::Int => "Int",
            _ => "BigInt",
        },
        nullable: rust_bool(c.nullable),
        settable: rust_bool(c.settable),
        default: match &c.default {
            None => "None".into(),
            Some(ColumnDefault::Bool(b)) => format!("Some(ExtraDefault::Bool({b}))"),
            Some(ColumnDefault::Int(i)) => format!("Some(ExtraDefault::Int({i}))"),
            Some(ColumnDefault::String(v)) => format!("Some(ExtraDefault::String({v:?}))"),
        },
    }
}

#[derive(Serialize, Clone)]
struct BackendCtx {
    name: String,
    connection: String,
    dialect: Option<Dialect>,
    /// The database's name in prose (`PostgreSQL`).
    database: &'static str,
    /// sqlx: the pool, database and row types (`PgPool`, `Postgres`, `sqlx::postgres::PgRow`).
    pool: String,
    db: String,
    row: String,
    /// sqlx: whether statements are checked at compile time (`query!`).
    checked: bool,
    /// diesel over libSQL, which reports every database error as `Unknown`.
    libsql: bool,
}

fn signature(params: &[Param]) -> (String, String) {
    let sig = params
        .iter()
        .map(|p| format!("{}: {}", p.name, param_type(&p.ty, false)))
        .collect::<Vec<_>>()
        .join(", ");
    let args = params
        .iter()
        .map(|p| p.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    (sig, args)
}

/// The backends this repository generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sqlx(Dialect),
    Diesel(Dialect),
    SeaOrm(Dialect),
    /// diesel over libSQL (diesel-libsql's native async connection) on a local file: the
    /// SQLite dialect, in a crate outside the workspace (libSQL and a normal SQLite must not
    /// share a process).
    DieselLibsql,
    /// toasty's raw SQL statements (`toasty::sql`) on a `toasty::Db`, in a crate outside the
    /// workspace (toasty's SQLite driver links another libsqlite3-sys than sqlx's).
    Toasty(Dialect),
}

impl Backend {
    pub const ALL: [Backend; 14] = [
        Backend::Memory,
        Backend::Sqlx(Dialect::Postgres),
        Backend::Sqlx(Dialect::Mysql),
        Backend::Sqlx(Dialect::Sqlite),
        Backend::Diesel(Dialect::Postgres),
        Backend::Diesel(Dialect::Mysql),
        Backend::Diesel(Dialect::Sqlite),
        Backend::SeaOrm(Dialect::Postgres),
        Backend::SeaOrm(Dialect::Mysql),
        Backend::SeaOrm(Dialect::Sqlite),
        Backend::DieselLibsql,
        Backend::Toasty(Dialect::Postgres),
        Backend::Toasty(Dialect::Mysql),
        Backend::Toasty(Dialect::Sqlite),
    ];

    /// The dialect of the SQL a diesel backend runs.
    fn diesel_dialect(self) -> Option<Dialect> {
        match self {
            Backend::Diesel(d) => Some(d),
            Backend::DieselLibsql => Some(Dialect::Sqlite),
            _ => None,
        }
    }

    fn dialect(self) -> Option<Dialect> {
        match self {
            Backend::Memory => None,
            Backend::Sqlx(d) | Backend::Diesel(d) | Backend::SeaOrm(d) | Backend::Toasty(d) => {
                Some(d)
            }
            Backend::DieselLibsql => Some(Dialect::Sqlite),
        }
    }

    /// The crate's folder under `runtime/backends/`.
    pub fn folder(self) -> String {
        match self {
            Backend::Memory => "memory".into(),
            Backend::Sqlx(d) => format!("sqlx-{}", dialect_short(d)),
            Backend::Diesel(d) => format!("diesel-{}", dialect_short(d)),
            Backend::DieselLibsql => "diesel-libsql".into(),
            Backend::SeaOrm(d) => format!("seaorm-{}", dialect_short(d)),
            Backend::Toasty(_) => "toasty".into(),
        }
    }

    /// The generated module's path, relative to the repository root: the toasty crate holds
    /// one module per dialect, behind a feature each.
    pub fn generated_path(self) -> String {
        match self {
            Backend::Toasty(d) => format!(
                "runtime/backends/toasty/src/generated_{}.rs",
                dialect_short(d)
            ),
            other => format!("runtime/backends/{}/src/generated.rs", other.folder()),
        }
    }

    pub fn struct_name(self) -> String {
        match self {
            Backend::Memory => "InMemoryBackend".into(),
            Backend::Sqlx(d) => format!("Sqlx{}Backend", dialect_pascal(d)),
            Backend::Diesel(d) => format!("Diesel{}Backend", dialect_pascal(d)),
            Backend::DieselLibsql => "DieselLibsqlBackend".into(),
            Backend::SeaOrm(d) => format!("SeaOrm{}Backend", dialect_pascal(d)),
            Backend::Toasty(d) => format!("Toasty{}Backend", dialect_pascal(d)),
        }
    }

    fn template(self) -> &'static str {
        match self {
            Backend::Memory => "memory/backend.rs.jinja",
            Backend::Sqlx(_) => "sqlx/backend.rs.jinja",
            Backend::Diesel(_) | Backend::DieselLibsql => "diesel/backend.rs.jinja",
            Backend::SeaOrm(_) => "seaorm/backend.rs.jinja",
            Backend::Toasty(_) => "toasty/backend.rs.jinja",
        }
    }
}

/// A dialect's name in prose, sqlx's database type and sqlx's row type (empty for none).
fn dialect_names(d: Option<Dialect>) -> (&'static str, &'static str, &'static str) {
    match d {
        Some(Dialect::Postgres) => ("PostgreSQL", "Postgres", "sqlx::postgres::PgRow"),
        Some(Dialect::Mysql) => ("MySQL", "MySql", "sqlx::mysql::MySqlRow"),
        Some(Dialect::Sqlite) => ("SQLite", "Sqlite", "sqlx::sqlite::SqliteRow"),
        None => ("", "", ""),
    }
}

fn dialect_short(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "pg",
        Dialect::Mysql => "mysql",
        Dialect::Sqlite => "sqlite",
    }
}

fn dialect_pascal(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "Pg",
        Dialect::Mysql => "Mysql",
        Dialect::Sqlite => "Sqlite",
    }
}

/// Where a generated module goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// One of yauth's own crates (`runtime/`).
    Runtime,
    /// An application's crate (`cargo yauth generate` with `repositories = true`).
    Application,
}

fn context(
    schema: &Schema,
    catalogue: &Catalogue,
    backend: Option<Backend>,
    template: &str,
    placement: Placement,
    user_columns: &[UserColumn],
) -> Result<Context, CodegenError> {
    let standalone = placement == Placement::Application;
    let sqlx_flavor = if standalone {
        Flavor::SqlxUnchecked
    } else {
        Flavor::Sqlx
    };
    check_rust_names(schema)?;
    catalogue.validate(schema)?;
    let memory_plan = match backend {
        Some(Backend::Memory) => Some(MemoryPlan::new(schema, catalogue)?),
        _ => None,
    };
    let mut tables = Vec::new();
    for table in &schema.tables {
        let fields = table
            .columns
            .iter()
            .filter(|c| !c.extra)
            .map(|c| FieldCtx {
                name: c.name.clone(),
                rust_type: if c.nullable {
                    format!("Option<{}>", rust_type(c.ty))
                } else {
                    rust_type(c.ty).to_string()
                },
            })
            .collect();
        let mut queries = Vec::new();
        for q in catalogue.for_table(&table.name) {
            let params = q.params(table);
            let (params_sig, args) = signature(&params);
            let result = q.result(table);
            queries.push(QueryCtx {
                name: q.name.clone(),
                kind: q.kind,
                doc: q.doc.clone(),
                used_by: q.used_by.clone(),
                params_sig,
                args,
                ret: result_type(&result),
                paged: q.paged,
                joined: match &result {
                    QueryResult::OptionalRow { joined, .. } => joined.as_deref().map(struct_name),
                    _ => None,
                },
                joined_table: match &result {
                    QueryResult::OptionalRow { joined, .. } => joined.clone(),
                    _ => None,
                },
                counter: q.counter().map(str::to_string),
                memory: match &memory_plan {
                    Some(plan) => Some(memory_query(plan, schema, table, q)?),
                    None => None,
                },
                sql: match backend {
                    Some(Backend::Sqlx(d)) => Some(sql_query(schema, table, q, d, sqlx_flavor)),
                    Some(b @ (Backend::Diesel(_) | Backend::DieselLibsql)) => {
                        let d = b.diesel_dialect().expect("a diesel backend");
                        Some(sql_query(schema, table, q, d, Flavor::Diesel))
                    }
                    Some(Backend::SeaOrm(d)) => {
                        Some(sql_query(schema, table, q, d, Flavor::SeaOrm))
                    }
                    Some(Backend::Toasty(d)) => {
                        Some(sql_query(schema, table, q, d, Flavor::Toasty))
                    }
                    _ => None,
                },
            });
        }
        tables.push(TableCtx {
            name: table.name.clone(),
            extra: table.name == EXTRA_TABLE,
            struct_name: struct_name(&table.name),
            trait_name: trait_name(&table.name),
            plugin: table.plugin.clone(),
            fields,
            queries,
            memory: memory_plan
                .as_ref()
                .map(|plan| memory_table(plan, schema, table)),
            diesel: backend
                .and_then(Backend::diesel_dialect)
                .map(|d| diesel_table(schema, catalogue, table, d)),
            seaorm: match backend {
                Some(Backend::SeaOrm(d)) => Some(seaorm_decode(table, d)),
                _ => None,
            },
        });
    }
    let composites = catalogue
        .composites
        .iter()
        .filter(|c| {
            c.steps.iter().all(|s| {
                catalogue
                    .query(&s.query)
                    .is_some_and(|q| schema.table(&q.table).is_some())
            })
        })
        .map(|c| composite_ctx(schema, catalogue, c))
        .collect();
    Ok(Context {
        header: match placement {
            Placement::Runtime => runtime_header(template),
            Placement::Application => crate::render::header(template),
        },
        marker: SCHEMA_MARKER,
        standalone,
        prefix: schema.prefix.clone(),
        extra_columns: user_columns.iter().map(extra_column_ctx).collect(),
        tables,
        composites,
        backend: backend.map(|b| BackendCtx {
            name: if standalone {
                "Backend".into()
            } else {
                b.struct_name()
            },
            database: dialect_names(b.dialect()).0,
            pool: b
                .dialect()
                .map_or_else(String::new, |d| format!("{}Pool", sqlx_db(d))),
            db: dialect_names(b.dialect()).1.to_string(),
            row: dialect_names(b.dialect()).2.to_string(),
            checked: !standalone,
            connection: match b {
                Backend::Memory => String::new(),
                Backend::Sqlx(d) => format!("sqlx::{}Connection", sqlx_db(d)),
                Backend::Diesel(d) => diesel_connection(d).to_string(),
                Backend::DieselLibsql => "diesel_libsql::AsyncLibSqlConnection".to_string(),
                Backend::SeaOrm(_) | Backend::Toasty(_) => String::new(),
            },
            libsql: b == Backend::DieselLibsql,
            dialect: b.dialect(),
        }),
    })
}

fn composite_ctx(schema: &Schema, catalogue: &Catalogue, c: &Composite) -> CompositeCtx {
    let params_sig = c
        .params
        .iter()
        .map(|p| format!("{}: {}", p.name, param_type(&p.ty, p.optional)))
        .collect::<Vec<_>>()
        .join(", ");
    let args = c
        .params
        .iter()
        .map(|p| p.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let plugin = c
        .steps
        .first()
        .and_then(|s| catalogue.query(&s.query))
        .and_then(|q| schema.table(&q.table))
        .map_or_else(|| "core".to_string(), |t| t.plugin.clone());
    let steps = c
        .steps
        .iter()
        .map(|s| {
            let q = catalogue.query(&s.query).expect("validated");
            StepCtx {
                call: s.query.clone(),
                args: s.args.join(", "),
                claims: q.kind == QueryKind::Claim,
                when_some: s.when_some.clone(),
            }
        })
        .collect();
    let claims = c.claims(catalogue);
    CompositeCtx {
        name: c.name.clone(),
        doc: c.doc.clone(),
        used_by: c.used_by.clone(),
        params_sig,
        args,
        plugin,
        ret: if claims { "bool".into() } else { "()".into() },
        claims,
        steps,
    }
}

/// A generated file of the runtime, relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeFile {
    pub path: String,
    pub contents: String,
}

/// `runtime/entity/src/generated.rs`: domain structs, repository traits, `Repositories` and
/// `DatabaseBackend`.
pub fn entity_rs(schema: &Schema, catalogue: &Catalogue) -> Result<String, CodegenError> {
    let template = "repo/entity.rs.jinja";
    render_rust(
        template,
        context(schema, catalogue, None, template, Placement::Runtime, &[])?,
        true,
    )
}

/// The generated module of one backend crate.
pub fn backend_rs(
    schema: &Schema,
    catalogue: &Catalogue,
    backend: Backend,
) -> Result<String, CodegenError> {
    let template = backend.template();
    render_rust(
        template,
        context(
            schema,
            catalogue,
            Some(backend),
            template,
            Placement::Runtime,
            &[],
        )?,
        true,
    )
}

/// The repositories module `cargo yauth generate` writes into an application's crate
/// (`repositories = true`): the backend of the configured ORM and dialect, named `Backend`,
/// over `schema` (the configured prefix, and the users table with `user_columns`). It is
/// rendered from the same templates and SQL as yauth's built-in backend crates.
pub fn application_module(
    schema: &Schema,
    catalogue: &Catalogue,
    backend: Backend,
    user_columns: &[UserColumn],
) -> Result<String, CodegenError> {
    if backend == Backend::Memory {
        return Err(CodegenError::Unsupported(
            "the in-memory backend is not generated into applications".into(),
        ));
    }
    let template = backend.template();
    render_rust(
        template,
        context(
            schema,
            catalogue,
            Some(backend),
            template,
            Placement::Application,
            user_columns,
        )?,
        true,
    )
}

/// Every generated file of the runtime crates, for the built-in schema and catalogue.
pub fn runtime_files() -> Result<Vec<RuntimeFile>, CodegenError> {
    let schema = yauth_migration::builtin::full_schema(yauth_migration::builtin::DEFAULT_PREFIX);
    let catalogue = yauth_migration::queries::catalogue();
    runtime_files_for(&schema, &catalogue)
}

/// Every generated runtime file for a given schema and catalogue (the fixture test uses
/// its own).
pub fn runtime_files_for(
    schema: &Schema,
    catalogue: &Catalogue,
) -> Result<Vec<RuntimeFile>, CodegenError> {
    let mut files = vec![RuntimeFile {
        path: "runtime/entity/src/generated.rs".into(),
        contents: entity_rs(schema, catalogue)?,
    }];
    for backend in Backend::ALL {
        files.push(RuntimeFile {
            path: backend.generated_path(),
            contents: backend_rs(schema, catalogue, backend)?,
        });
        if let Backend::SeaOrm(d) = backend {
            // The entities users query with (`yauth::backends::seaorm_pg::entities::users`).
            for (name, contents) in crate::seaorm::entities(schema, d)? {
                let contents = contents.replacen(USER_HEADER_TAIL, RUNTIME_HEADER_TAIL, 1);
                files.push(RuntimeFile {
                    path: format!("runtime/backends/{}/src/entities/{name}", backend.folder()),
                    contents,
                });
            }
        }
    }
    // The toasty models `cargo yauth generate` writes for SQLite, whose `push_schema` tables
    // the toasty crate's `push_schema` test runs the suite on.
    for (name, contents) in crate::toasty::models(schema, Dialect::Sqlite)? {
        files.push(RuntimeFile {
            path: format!("runtime/backends/toasty/tests/push_schema_models/{name}"),
            contents: contents.replacen(USER_HEADER_TAIL, RUNTIME_HEADER_TAIL, 1),
        });
    }
    Ok(files)
}

// ---------------------------------------------------------------------------------------
// sqlx: one SQL text per query and dialect, checked at compile time by `query!`.

/// Which ORM the SQL is written for: they differ in how result columns are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// sqlx's macros: `AS "col!: Type"` (nullability and type override).
    Sqlx,
    /// diesel's `sql_query`: plain aliases matched by `QueryableByName`, and table names
    /// preceded by the schema marker that `from_pool_with_schema` replaces.
    Diesel,
    /// sea-orm's raw statements: plain aliases read by name.
    SeaOrm,
    /// sqlx's run-time statements (`sqlx::query(..).bind(..)`), in modules generated into an
    /// application, which has neither a database at build time nor offline data: plain
    /// aliases read by name, like sea-orm's.
    SqlxUnchecked,
    /// toasty's raw SQL (`toasty::sql`): every bind carries toasty's database type, and
    /// result columns are read by position with a declared toasty type each.
    Toasty,
}

/// The comment in front of every table name in diesel's SQL; a backend opened with a
/// PostgreSQL schema replaces it with `"schema".` once, when it is built.
pub const SCHEMA_MARKER: &str = "/*schema*/";

/// One bound value: its expression, (for diesel) its SQL type and (for toasty) its
/// `toasty::schema::db::Type`.
#[derive(Serialize, Clone, PartialEq)]
struct Bind {
    expr: String,
    sql_type: String,
    toasty_type: &'static str,
}

#[derive(Serialize)]
struct SqlQuery {
    sql: String,
    binds: Vec<Bind>,
    /// `field: decode expression` for the row (over `r`).
    fields: Vec<(String, String)>,
    joined_fields: Vec<(String, String)>,
    /// The value of the result column `n` (a count or a counter) of the row `r`.
    n: String,
    /// MySQL, which has no `RETURNING`: the follow-up `SELECT` (same transaction).
    then_sql: Option<String>,
    then_binds: Vec<Bind>,
    /// toasty: the `toasty::stmt::Type` of each result column of the statement that returns
    /// rows (`then_sql` where there is one), in order; none on SQLite (read as stored).
    column_types: Vec<&'static str>,
}

fn sqlx_db(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "Pg",
        Dialect::Mysql => "MySql",
        Dialect::Sqlite => "Sqlite",
    }
}

/// The type a column is read as (before conversion to the domain type).
fn wire_type(d: Dialect, ty: LogicalType) -> &'static str {
    use LogicalType::*;
    match (d, ty) {
        (Dialect::Postgres, Uuid) => "uuid::Uuid",
        (Dialect::Postgres, Timestamp) => "chrono::DateTime<chrono::Utc>",
        (Dialect::Postgres, Json) => "serde_json::Value",
        (Dialect::Mysql, Timestamp) => "chrono::NaiveDateTime",
        (_, Uuid | Timestamp | Json) => "String",
        (_, String | Text) => "String",
        (_, Bool) => "bool",
        (_, Int) => "i32",
        (_, BigInt) => "i64",
        (_, Bytes | ShortBytes) => "Vec<u8>",
    }
}

/// The conversion function of `crate::wire` for types whose wire form differs.
fn wire_fn(ty: LogicalType) -> Option<&'static str> {
    match ty {
        LogicalType::Uuid => Some("uuid"),
        LogicalType::Timestamp => Some("ts"),
        LogicalType::Json => Some("json"),
        _ => None,
    }
}

fn decode_expr(ty: LogicalType, nullable: bool, value: &str) -> String {
    match (wire_fn(ty), nullable) {
        (Some(f), false) => format!("wire::dec_{f}({value})?"),
        (Some(f), true) => format!("{value}.map(wire::dec_{f}).transpose()?"),
        (None, _) => value.to_string(),
    }
}

/// A bind expression for a value given as a parameter (already borrowed).
fn encode_param(ty: LogicalType, nullable: bool, value: &str) -> String {
    match (wire_fn(ty), nullable) {
        (Some(f), false) => format!("wire::enc_{f}({value})"),
        (Some(f), true) => format!("{value}.map(wire::enc_{f})"),
        (None, _) => value.to_string(),
    }
}

/// A bind expression for a field of `row: &Row`.
fn encode_field(ty: LogicalType, nullable: bool, field: &str) -> String {
    use LogicalType::*;
    let value = format!("row.{field}");
    match (ty, nullable) {
        (Json, false) => format!("wire::enc_json(&{value})"),
        (Json, true) => format!("{value}.as_ref().map(wire::enc_json)"),
        (String | Text, false) => format!("{value}.as_str()"),
        (Bytes | ShortBytes, false) => format!("{value}.as_slice()"),
        (String | Text | Bytes | ShortBytes, true) => format!("{value}.as_deref()"),
        _ => encode_param(ty, nullable, &value),
    }
}

/// Builds SQL text and its bind list: PostgreSQL numbers each distinct value once (`$1`),
/// MySQL and SQLite bind every `?` in order.
struct Sql {
    dialect: Dialect,
    flavor: Flavor,
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn new(dialect: Dialect, flavor: Flavor) -> Self {
        Sql {
            dialect,
            flavor,
            text: String::new(),
            binds: Vec::new(),
        }
    }

    /// Binds a value of a column type.
    fn bind_value(&mut self, expr: String, ty: LogicalType, nullable: bool) -> String {
        let sql_type = diesel_sql_type(self.dialect, ty);
        let sql_type = if nullable {
            format!("diesel::sql_types::Nullable<{sql_type}>")
        } else {
            sql_type
        };
        let bind = Bind {
            expr,
            sql_type,
            toasty_type: toasty_bind_type(self.dialect, ty),
        };
        self.bind(bind)
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn bind(&mut self, bind: Bind) -> String {
        // diesel writes each placeholder itself, at its `?`: every occurrence is a bind.
        match (self.dialect, self.flavor) {
            (
                Dialect::Postgres,
                Flavor::Sqlx | Flavor::SeaOrm | Flavor::SqlxUnchecked | Flavor::Toasty,
            ) => {
                let n = match self.binds.iter().position(|b| *b == bind) {
                    Some(i) => i + 1,
                    None => {
                        self.binds.push(bind);
                        self.binds.len()
                    }
                };
                format!("${n}")
            }
            _ => {
                self.binds.push(bind);
                "?".into()
            }
        }
    }

    /// A table's name as the SQL refers to it.
    fn table(&self, schema: &Schema, table: &Table) -> String {
        let name = self.dialect.quote(&table.full_name(&schema.prefix));
        match self.flavor {
            Flavor::Sqlx | Flavor::SeaOrm | Flavor::SqlxUnchecked | Flavor::Toasty => name,
            Flavor::Diesel => format!("{SCHEMA_MARKER}{name}"),
        }
    }

    /// `AS <alias>` for a result column; sqlx's alias carries nullability and type.
    fn alias(&self, name: &str, ty: &str, nullable: bool) -> String {
        match self.flavor {
            Flavor::Sqlx => {
                let marker = if nullable { "?" } else { "!" };
                self.dialect.quote(&format!("{name}{marker}: {ty}"))
            }
            Flavor::Diesel | Flavor::SeaOrm | Flavor::SqlxUnchecked | Flavor::Toasty => {
                self.dialect.quote(name)
            }
        }
    }

    fn q(&self, ident: &str) -> String {
        self.dialect.quote(ident)
    }
}

fn sql_const(d: Dialect, c: &Const) -> String {
    match (d, c) {
        (Dialect::Sqlite, Const::Bool(b)) => if *b { "1" } else { "0" }.into(),
        (_, Const::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.into(),
        (_, Const::Int(i)) => i.to_string(),
        (_, Const::Str(s)) => format!("'{}'", s.replace('\'', "''")),
        (_, Const::Null) => "NULL".into(),
    }
}

fn where_clause(sql: &mut Sql, table: &Table, filter: &[Cond], qualifier: &str) {
    if filter.is_empty() {
        return;
    }
    let mut parts = Vec::new();
    for cond in filter {
        let col = format!("{qualifier}{}", sql.q(&cond.column));
        let param_expr = |sql: &mut Sql| {
            let name = cond.param.as_deref().expect("validated");
            let ty = table.column(&cond.column).expect("validated").ty;
            sql.bind_value(encode_param(ty, false, name), ty, false)
        };
        let part = match cond.op {
            CondOp::Eq => format!("{col} = {}", param_expr(sql)),
            CondOp::Ne => format!("{col} <> {}", param_expr(sql)),
            CondOp::Lt => format!("{col} < {}", param_expr(sql)),
            CondOp::Le => format!("{col} <= {}", param_expr(sql)),
            CondOp::Gt => format!("{col} > {}", param_expr(sql)),
            CondOp::Ge => format!("{col} >= {}", param_expr(sql)),
            CondOp::LtOrNull => format!("({col} IS NULL OR {col} < {})", param_expr(sql)),
            CondOp::IsNull => format!("{col} IS NULL"),
            CondOp::NotNull => format!("{col} IS NOT NULL"),
            CondOp::Is => format!(
                "{col} = {}",
                sql_const(sql.dialect, cond.constant.as_ref().expect("validated"))
            ),
            CondOp::Matches => {
                let name = cond.param.as_deref().expect("validated");
                let alts: Vec<String> = cond
                    .columns
                    .iter()
                    .map(|c| {
                        let p = sql.bind_value(
                            format!("wire::enc_pattern({name})"),
                            LogicalType::String,
                            false,
                        );
                        format!("LOWER({qualifier}{}) LIKE {p} ESCAPE '!'", sql.q(c))
                    })
                    .collect();
                format!("({})", alts.join(" OR "))
            }
        };
        parts.push(part);
    }
    sql.push(" WHERE ");
    sql.push(&parts.join(" AND "));
}

/// `"col" AS <alias>` for every column of `table`.
fn select_list(sql: &Sql, table: &Table, qualifier: &str, alias_prefix: &str) -> String {
    table
        .columns
        .iter()
        .map(|c| {
            let alias = sql.alias(
                &format!("{alias_prefix}{}", c.name),
                wire_type(sql.dialect, c.ty),
                c.nullable,
            );
            format!("{qualifier}{} AS {alias}", sql.q(&c.name))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `field: decode expression` for a result row `r` whose columns are aliased
/// `<alias_prefix><column>`: fields of sqlx's record, or columns read by name.
fn row_fields(
    table: &Table,
    d: Dialect,
    flavor: Flavor,
    alias_prefix: &str,
) -> Vec<(String, String)> {
    match flavor {
        Flavor::SqlxUnchecked => read_by_name(table, d, "&r", &format!("\"{alias_prefix}\"")),
        // A join's second table is read by `sql_query`, which knows where its columns start.
        Flavor::Toasty => read_by_position(table, d, 0),
        _ => decode_fields(table, &format!("r.{alias_prefix}")),
    }
}

/// `field: decode expression` taking each column of a toasty result row `r` (a
/// `ValueRecord`) by position, the table's first column being the `offset`-th.
fn read_by_position(table: &Table, d: Dialect, offset: usize) -> Vec<(String, String)> {
    read_each(table, d, |i, _, wire| {
        format!("take::<{wire}>(&mut r, {})?", offset + i)
    })
}

/// The `toasty::schema::db::Type` a value of the column type is bound as (PostgreSQL
/// prepares statements with these types; MySQL and SQLite bind by value, and use the type
/// only for `NULL`).
fn toasty_bind_type(d: Dialect, ty: LogicalType) -> &'static str {
    use LogicalType::*;
    match (d, ty) {
        (Dialect::Postgres, Uuid) => "Uuid",
        (Dialect::Postgres, Timestamp) => "Timestamp(6)",
        (Dialect::Postgres, Json) => "Jsonb",
        (Dialect::Mysql, Timestamp) => "DateTime(6)",
        (_, Uuid | Timestamp | Json | String | Text) => "Text",
        (_, Bool) => "Boolean",
        (_, Int) => "Integer(4)",
        (_, BigInt) => "Integer(8)",
        (_, Bytes | ShortBytes) => "Blob",
    }
}

/// The `toasty::stmt::Type` a result column of the column type is read as (what its wire
/// type converts from).
fn toasty_read_type(d: Dialect, ty: LogicalType) -> &'static str {
    use LogicalType::*;
    match (d, ty) {
        (Dialect::Postgres, Uuid) => "Uuid",
        (Dialect::Postgres, Timestamp) => "Timestamp",
        (Dialect::Mysql, Timestamp) => "DateTime",
        (_, Uuid | Timestamp | Json | String | Text) => "String",
        (_, Bool) => "Bool",
        (_, Int) => "I32",
        (_, BigInt) => "I64",
        (_, Bytes | ShortBytes) => "Bytes",
    }
}

/// The toasty read types of every column of `table`, in order.
fn toasty_columns(table: &Table, d: Dialect) -> Vec<&'static str> {
    table
        .columns
        .iter()
        .map(|c| toasty_read_type(d, c.ty))
        .collect()
}

/// `field: decode expression` reading each column by name with `get::<Wire>(row, pre,
/// "column")` (sea-orm's results and sqlx's run-time rows); `row` and `pre` are Rust
/// expressions (the prefix of the result columns' aliases).
fn read_by_name(table: &Table, d: Dialect, row: &str, pre: &str) -> Vec<(String, String)> {
    read_each(table, d, |_, name, wire| {
        format!("get::<{wire}>({row}, {pre}, \"{name}\")?")
    })
}

/// `field: decode expression` for each column of `table`: `read(index, column, wire type)`
/// is the expression that reads the column as its wire type (an `Option` when nullable).
fn read_each(
    table: &Table,
    d: Dialect,
    read: impl Fn(usize, &str, &str) -> String,
) -> Vec<(String, String)> {
    let fields = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let wire = wire_type(d, c.ty);
            let wire = if c.nullable {
                format!("Option<{wire}>")
            } else {
                wire.to_string()
            };
            let value = read(i, &c.name, &wire);
            (c.name.clone(), decode_expr(c.ty, c.nullable, &value))
        })
        .collect();
    with_extra(table, fields)
}

fn decode_fields(table: &Table, source: &str) -> Vec<(String, String)> {
    let fields = table
        .columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                decode_expr(c.ty, c.nullable, &format!("{source}{}", c.name)),
            )
        })
        .collect();
    with_extra(table, fields)
}

/// The users row's decoded extra columns, gathered into its `extra` map (empty for
/// yauth's own backends, which have none); other tables' fields as they are.
fn with_extra(table: &Table, fields: Vec<(String, String)>) -> Vec<(String, String)> {
    if table.name != EXTRA_TABLE {
        return fields;
    }
    let is_extra = |name: &str| table.column(name).is_some_and(|c| c.extra);
    let (extra, mut plain): (Vec<_>, Vec<_>) =
        fields.into_iter().partition(|(name, _)| is_extra(name));
    let map = if extra.is_empty() {
        "Default::default()".to_string()
    } else {
        let inserts: String = extra
            .iter()
            .map(|(name, value)| {
                format!("extra.insert({name:?}.to_string(), serde_json::Value::from({value}));")
            })
            .collect();
        format!("{{ let mut extra = serde_json::Map::new(); {inserts} extra }}")
    };
    plain.push(("extra".to_string(), map));
    plain
}

/// A bind expression for the extra column `c`, read from the map expression `map`: an
/// absent key takes the column's default (or NULL); `null` is NULL, or the default of a
/// column that is not nullable.
fn extra_bind(c: &Column, map: &str) -> String {
    let ty = rust_type(c.ty);
    // The default as a Rust expression, and whether it allocates (then built only if needed).
    let default = match &c.default {
        Some(ColumnDefault::String(v)) => Some((format!("{v:?}.to_string()"), true)),
        Some(ColumnDefault::Int(i)) => Some((i.to_string(), false)),
        Some(ColumnDefault::Bool(b)) => Some((b.to_string(), false)),
        None => None,
    };
    let absent = default
        .as_ref()
        .map_or_else(|| "None".to_string(), |(d, _)| format!("Some({d})"));
    let read = format!("support::extra_or::<{ty}>({map}, {:?}, {absent})?", c.name);
    match (c.nullable, default) {
        (true, _) => read,
        (false, Some((d, true))) => format!("{read}.unwrap_or_else(|| {d})"),
        (false, Some((d, false))) => format!("{read}.unwrap_or({d})"),
        (false, None) => format!(
            "{read}.ok_or_else(|| RepoError::message(\"extra column `{}` has no value\"))?",
            c.name
        ),
    }
}

fn set_clause(sql: &mut Sql, table: &Table, q: &Query) -> String {
    let mut parts = Vec::new();
    if q.set_extra {
        // Only the columns the map names change: `CASE WHEN <given> THEN <value> ELSE col`.
        for c in table.columns.iter().filter(|c| c.extra) {
            let col = sql.q(&c.name);
            let given = sql.bind_value(
                format!("support::extra_given(extra, {:?})", c.name),
                LogicalType::Bool,
                false,
            );
            let value = sql.bind_value(extra_bind(c, "extra"), c.ty, c.nullable);
            parts.push(format!(
                "{col} = CASE WHEN {given} THEN {value} ELSE {col} END"
            ));
        }
    }
    for a in &q.set {
        let col = sql.q(a.column());
        let value = match a {
            Assign::Param { column } => {
                let c = table.column(column).expect("validated");
                let nullable = q.set_param_nullable(table, column);
                sql.bind_value(encode_param(c.ty, nullable, column), c.ty, nullable)
            }
            Assign::Const { value, .. } => sql_const(sql.dialect, value),
            Assign::Add { by, .. } => format!("{col} + {by}"),
        };
        parts.push(format!("{col} = {value}"));
    }
    parts.join(", ")
}

fn order_clause(d: Dialect, q: &Query) -> String {
    if q.order.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = q
        .order
        .iter()
        .map(|o| {
            format!(
                "{}{}",
                d.quote(&o.column),
                if o.desc { " DESC" } else { "" }
            )
        })
        .collect();
    format!(" ORDER BY {}", parts.join(", "))
}

fn insert_sql(sql: &mut Sql, table: &Table, full: &str) {
    let cols: Vec<String> = table.columns.iter().map(|c| sql.q(&c.name)).collect();
    let mut values = Vec::new();
    for c in &table.columns {
        let value = if c.extra {
            extra_bind(c, "&row.extra")
        } else {
            encode_field(c.ty, c.nullable, &c.name)
        };
        values.push(sql.bind_value(value, c.ty, c.nullable));
    }
    sql.push(&format!(
        "INSERT INTO {full} ({}) VALUES ({})",
        cols.join(", "),
        values.join(", ")
    ));
}

fn sql_query(schema: &Schema, table: &Table, q: &Query, d: Dialect, flavor: Flavor) -> SqlQuery {
    let mut sql = Sql::new(d, flavor);
    let full = sql.table(schema, table);
    let mut fields = Vec::new();
    let mut joined_fields = Vec::new();
    let mut then_sql = None;
    let mut then_binds = Vec::new();
    let mut n_wire = "i64";
    let mut column_types = Vec::new();
    let ts = |sql: &mut Sql, name: &str| {
        sql.bind_value(
            format!("wire::enc_ts({name})"),
            LogicalType::Timestamp,
            false,
        )
    };
    match q.kind {
        QueryKind::Insert => insert_sql(&mut sql, table, &full),
        QueryKind::Get if q.join.is_some() => {
            let column = q.join.as_deref().expect("checked");
            let fk = table.foreign_key(column).expect("validated");
            let target = schema.table(&fk.references).expect("validated");
            let target_full = sql.table(schema, target);
            let list = format!(
                "{}, {}",
                select_list(&sql, table, "t.", ""),
                select_list(&sql, target, "j.", "j_")
            );
            sql.push(&format!(
                "SELECT {list} FROM {full} t JOIN {target_full} j ON j.{} = t.{}",
                d.quote(&fk.referenced_column),
                d.quote(column)
            ));
            where_clause(&mut sql, table, &q.filter, "t.");
            fields = row_fields(table, d, flavor, "");
            joined_fields = match flavor {
                Flavor::Toasty => read_by_position(target, d, table.columns.len()),
                _ => row_fields(target, d, flavor, "j_"),
            };
            column_types = toasty_columns(table, d);
            column_types.extend(toasty_columns(target, d));
        }
        QueryKind::Get | QueryKind::List => {
            let list = select_list(&sql, table, "", "");
            sql.push(&format!("SELECT {list} FROM {full}"));
            where_clause(&mut sql, table, &q.filter, "");
            sql.push(&order_clause(d, q));
            if q.paged {
                let count = LogicalType::BigInt;
                let limit = sql.bind_value("wire::enc_count(limit)".into(), count, false);
                let offset = sql.bind_value("wire::enc_count(offset)".into(), count, false);
                sql.push(&format!(" LIMIT {limit} OFFSET {offset}"));
            }
            fields = row_fields(table, d, flavor, "");
            column_types = toasty_columns(table, d);
        }
        QueryKind::Count => {
            column_types = vec!["I64"];
            let alias = sql.alias("n", "i64", false);
            sql.push(&format!("SELECT COUNT(*) AS {alias} FROM {full}"));
            where_clause(&mut sql, table, &q.filter, "");
        }
        QueryKind::Update | QueryKind::Claim | QueryKind::Increment => {
            let sets = set_clause(&mut sql, table, q);
            sql.text = format!("UPDATE {full} SET {sets}");
            where_clause(&mut sql, table, &q.filter, "");
            if q.kind == QueryKind::Increment {
                let counter = q.counter().expect("validated");
                let ty = table.column(counter).expect("validated").ty;
                n_wire = wire_type(d, ty);
                column_types = vec![toasty_read_type(d, ty)];
                let alias = sql.alias("n", n_wire, false);
                if d == Dialect::Mysql {
                    let mut then = Sql::new(d, flavor);
                    then.push(&format!(
                        "SELECT {} AS {alias} FROM {full}",
                        d.quote(counter)
                    ));
                    where_clause(&mut then, table, &q.filter, "");
                    then_sql = Some(then.text);
                    then_binds = then.binds;
                } else {
                    sql.push(&format!(" RETURNING {} AS {alias}", d.quote(counter)));
                }
            }
        }
        QueryKind::Delete => {
            sql.push(&format!("DELETE FROM {full}"));
            where_clause(&mut sql, table, &q.filter, "");
        }
        QueryKind::Upsert => {
            insert_sql(&mut sql, table, &full);
            let mut parts = Vec::new();
            for a in &q.set {
                let col = d.quote(a.column());
                let value = match (a, d) {
                    (Assign::Param { .. }, Dialect::Mysql) => format!("VALUES({col})"),
                    (Assign::Param { .. }, _) => format!("excluded.{col}"),
                    (Assign::Const { value, .. }, _) => sql_const(d, value),
                    (Assign::Add { by, .. }, Dialect::Mysql) => format!("{col} + {by}"),
                    (Assign::Add { by, .. }, _) => format!("{full}.{col} + {by}"),
                };
                parts.push(format!("{col} = {value}"));
            }
            let conflict: Vec<String> = q.conflict.iter().map(|c| d.quote(c)).collect();
            if d == Dialect::Mysql {
                sql.push(&format!(" ON DUPLICATE KEY UPDATE {}", parts.join(", ")));
            } else {
                sql.push(&format!(
                    " ON CONFLICT ({}) DO UPDATE SET {}",
                    conflict.join(", "),
                    parts.join(", ")
                ));
            }
        }
        QueryKind::Hit => {
            let [key, window_start, count, expires_at] =
                ["key", "window_start", "count", "expires_at"].map(|c| d.quote(c));
            let k = sql.bind_value("key".into(), LogicalType::String, false);
            let now = ts(&mut sql, "now");
            let end = ts(&mut sql, "window_end");
            sql.push(&format!(
                "INSERT INTO {full} ({key}, {window_start}, {count}, {expires_at}) VALUES ({k}, {now}, 1, {end})"
            ));
            // Every placeholder is bound on its own (MySQL's and SQLite's `?`); PostgreSQL
            // numbers repeated values once.
            if d == Dialect::Mysql {
                // Assignments run left to right and see earlier ones: `expires_at` goes last.
                let c1 = ts(&mut sql, "now");
                let c2 = ts(&mut sql, "now");
                let now2 = ts(&mut sql, "now");
                let c3 = ts(&mut sql, "now");
                let end2 = ts(&mut sql, "window_end");
                sql.push(&format!(
                    " ON DUPLICATE KEY UPDATE {count} = IF({expires_at} <= {c1}, 1, {count} + 1), {window_start} = IF({expires_at} <= {c2}, {now2}, {window_start}), {expires_at} = IF({expires_at} <= {c3}, {end2}, {expires_at})"
                ));
                let mut then = Sql::new(d, flavor);
                let list = select_list(&then, table, "", "");
                then.push(&format!("SELECT {list} FROM {full}"));
                let kb = then.bind_value("key".into(), LogicalType::String, false);
                then.push(&format!(" WHERE {key} = {kb}"));
                then_sql = Some(then.text);
                then_binds = then.binds;
            } else {
                let old = |c: &str| format!("{full}.{c}");
                let e1 = ts(&mut sql, "now");
                let e2 = ts(&mut sql, "now");
                let now = ts(&mut sql, "now");
                let e3 = ts(&mut sql, "now");
                let end = ts(&mut sql, "window_end");
                let expired = old(&expires_at);
                let list = select_list(&sql, table, "", "");
                sql.push(&format!(
                    " ON CONFLICT ({key}) DO UPDATE SET {count} = CASE WHEN {expired} <= {e1} THEN 1 ELSE {} + 1 END, {window_start} = CASE WHEN {expired} <= {e2} THEN {now} ELSE {} END, {expires_at} = CASE WHEN {expired} <= {e3} THEN {end} ELSE {} END RETURNING {list}",
                    old(&count),
                    old(&window_start),
                    old(&expires_at),
                ));
            }
            fields = row_fields(table, d, flavor, "");
            column_types = toasty_columns(table, d);
        }
    }
    let n = match flavor {
        Flavor::SqlxUnchecked => format!("get::<{n_wire}>(&r, \"\", \"n\")?"),
        Flavor::Toasty => format!("take::<{n_wire}>(&mut r, 0)?"),
        _ => "r.n".to_string(),
    };
    if d == Dialect::Sqlite {
        // toasty's SQLite driver panics on a declared type the stored value does not have
        // (an integer where text was declared); read by storage class, converted by the
        // backend instead.
        column_types.clear();
    }
    SqlQuery {
        n,
        sql: sql.text,
        binds: sql.binds,
        fields,
        joined_fields,
        then_sql,
        then_binds,
        column_types,
    }
}

// ---------------------------------------------------------------------------------------
// diesel: the same SQL through `sql_query`, rows read by `QueryableByName` structs.

fn diesel_connection(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "diesel_async::AsyncPgConnection",
        Dialect::Mysql => "diesel_async::AsyncMysqlConnection",
        Dialect::Sqlite => {
            "diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>"
        }
    }
}

/// The diesel SQL type a value is bound and read as (what the wire type maps to).
fn diesel_sql_type(d: Dialect, ty: LogicalType) -> String {
    use LogicalType::*;
    let name = match (d, ty) {
        (Dialect::Postgres, Uuid) => "Uuid",
        (Dialect::Postgres, Timestamp) => "Timestamptz",
        (Dialect::Postgres, Json) => "Jsonb",
        (Dialect::Mysql, Timestamp) => "Datetime",
        (_, Uuid | Timestamp | Json | String | Text) => "Text",
        (_, Bool) => "Bool",
        (_, Int) => "Integer",
        (_, BigInt) => "BigInt",
        (_, Bytes | ShortBytes) => "Binary",
    };
    format!("diesel::sql_types::{name}")
}

/// A field of a `QueryableByName` struct.
#[derive(Serialize)]
struct RawField {
    name: String,
    sql_type: String,
    wire_type: String,
}

#[derive(Serialize)]
struct DieselTable {
    raw: Vec<RawField>,
    /// The same fields named `j_<column>`, for the joined side of a join.
    raw_joined: Vec<RawField>,
    /// `field: decode expression over self.`
    decode: Vec<(String, String)>,
    decode_joined: Vec<(String, String)>,
    /// Whether some query joins this table in.
    joined: bool,
}

fn diesel_table(schema: &Schema, catalogue: &Catalogue, table: &Table, d: Dialect) -> DieselTable {
    let raw = |prefix: &str| {
        table
            .columns
            .iter()
            .map(|c| {
                let (sql_type, wire) = (diesel_sql_type(d, c.ty), wire_type(d, c.ty));
                let (sql_type, wire_type) = if c.nullable {
                    (
                        format!("diesel::sql_types::Nullable<{sql_type}>"),
                        format!("Option<{wire}>"),
                    )
                } else {
                    (sql_type, wire.to_string())
                };
                RawField {
                    name: format!("{prefix}{}", c.name),
                    sql_type,
                    wire_type,
                }
            })
            .collect()
    };
    let joined = catalogue.queries.iter().any(|q| {
        q.join.as_ref().is_some_and(|column| {
            schema
                .table(&q.table)
                .and_then(|t| t.foreign_key(column))
                .is_some_and(|fk| fk.references == table.name)
        })
    });
    DieselTable {
        raw: raw(""),
        raw_joined: raw("j_"),
        decode: decode_fields(table, "self."),
        decode_joined: decode_fields(table, "self.j_"),
        joined,
    }
}

// ---------------------------------------------------------------------------------------
// sea-orm: the same SQL as raw statements, rows read column by column.

fn seaorm_decode(table: &Table, d: Dialect) -> Vec<(String, String)> {
    read_by_name(table, d, "r", "pre")
}
