//! Fresh databases on the real servers, SQL scripts run statement by statement, and
//! introspection normalised so that it can be compared with a `Schema`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{MySqlPool, PgPool, Row, SqlitePool};
use yauth_migration::{ColumnDefault, Dialect, LogicalType, Schema};

/// PostgreSQL server URL without a database; `YAUTH_TEST_PG_URL` overrides it.
pub fn pg_server() -> String {
    std::env::var("YAUTH_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// MySQL/MariaDB server URL without a database; `YAUTH_TEST_MYSQL_URL` overrides it.
pub fn mysql_server() -> String {
    std::env::var("YAUTH_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "yauth_t{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A database created for one test and dropped by [`TestDb::drop_db`].
pub enum TestDb {
    Postgres {
        pool: PgPool,
        name: String,
        url: String,
    },
    Mysql {
        pool: MySqlPool,
        name: String,
        url: String,
    },
    Sqlite {
        pool: SqlitePool,
        dir: std::path::PathBuf,
        url: String,
    },
}

impl TestDb {
    pub async fn create(dialect: Dialect) -> TestDb {
        let name = unique_name();
        match dialect {
            Dialect::Postgres => {
                let admin = PgPool::connect(&format!("{}/postgres", pg_server()))
                    .await
                    .expect("PostgreSQL is running");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&admin)
                    .await
                    .expect("create database");
                admin.close().await;
                let url = format!("{}/{name}", pg_server());
                TestDb::Postgres {
                    pool: PgPool::connect(&url).await.expect("connect"),
                    name,
                    url,
                }
            }
            Dialect::Mysql => {
                let admin = MySqlPool::connect(&mysql_server())
                    .await
                    .expect("MariaDB is running");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
                    .execute(&admin)
                    .await
                    .expect("create database");
                admin.close().await;
                let url = format!("{}/{name}", mysql_server());
                TestDb::Mysql {
                    pool: MySqlPool::connect(&url).await.expect("connect"),
                    name,
                    url,
                }
            }
            Dialect::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
                let options: sqlx::sqlite::SqliteConnectOptions = url.parse().expect("sqlite url");
                // One connection: every statement sees the schema changes of the one before.
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.foreign_keys(true))
                    .await
                    .expect("open sqlite");
                TestDb::Sqlite { pool, dir, url }
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            TestDb::Postgres { .. } => Dialect::Postgres,
            TestDb::Mysql { .. } => Dialect::Mysql,
            TestDb::Sqlite { .. } => Dialect::Sqlite,
        }
    }

    /// A URL of this database, for other clients (sea-orm, diesel).
    pub fn url(&self) -> &str {
        match self {
            TestDb::Postgres { url, .. }
            | TestDb::Mysql { url, .. }
            | TestDb::Sqlite { url, .. } => url,
        }
    }

    /// Runs one statement.
    pub async fn execute(&self, statement: &str) -> Result<(), sqlx::Error> {
        match self {
            TestDb::Postgres { pool, .. } => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
                    .execute(pool)
                    .await
                    .map(drop)
            }
            TestDb::Mysql { pool, .. } => sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(pool)
                .await
                .map(drop),
            TestDb::Sqlite { pool, .. } => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
                    .execute(pool)
                    .await
                    .map(drop)
            }
        }
    }

    /// Runs statements one after another, panicking with the failing statement.
    pub async fn run_all(&self, statements: &[String]) {
        for statement in statements {
            if let Err(e) = self.execute(statement).await {
                panic!("{:?} failed: {e}\n{statement}", self.dialect());
            }
        }
    }

    pub async fn drop_db(self) {
        match self {
            TestDb::Postgres { pool, name, .. } => {
                pool.close().await;
                let admin = PgPool::connect(&format!("{}/postgres", pg_server()))
                    .await
                    .expect("connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE \"{name}\" WITH (FORCE)"
                )))
                .execute(&admin)
                .await
                .expect("drop");
            }
            TestDb::Mysql { pool, name, .. } => {
                pool.close().await;
                let admin = MySqlPool::connect(&mysql_server()).await.expect("connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE `{name}`")))
                    .execute(&admin)
                    .await
                    .expect("drop");
            }
            TestDb::Sqlite { pool, dir, .. } => {
                pool.close().await;
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    /// What the database holds, limited to tables whose name starts with `prefix`.
    pub async fn introspect(&self, prefix: &str) -> Introspected {
        let mut out = Introspected::default();
        match self {
            TestDb::Postgres { pool, .. } => introspect_pg(pool, &mut out).await,
            TestDb::Mysql { pool, .. } => introspect_mysql(pool, &mut out).await,
            TestDb::Sqlite { pool, .. } => introspect_sqlite(pool, &mut out).await,
        }
        out.tables.retain(|name, _| name.starts_with(prefix));
        out
    }
}

/// A table as read back from a database, in a form shared by all dialects.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TableShape {
    /// name → (normalised SQL type, nullable, normalised default)
    pub columns: BTreeMap<String, (String, bool, Option<String>)>,
    pub primary_key: Vec<String>,
    /// index name → (unique, columns in order); primary-key indexes excluded.
    pub indexes: BTreeMap<String, (bool, Vec<String>)>,
    /// (column, referenced table, referenced column, ON DELETE rule)
    pub foreign_keys: BTreeSet<(String, String, String, String)>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Introspected {
    pub tables: BTreeMap<String, TableShape>,
}

impl Introspected {
    fn table(&mut self, name: &str) -> &mut TableShape {
        self.tables.entry(name.to_string()).or_default()
    }
}

/// How `ty` reads back from `dialect`'s catalog after normalisation.
pub fn introspected_type(dialect: Dialect, ty: LogicalType) -> String {
    if dialect != Dialect::Postgres {
        return dialect.sql_type(ty).to_string();
    }
    match ty {
        LogicalType::String => "character varying(255)",
        LogicalType::Timestamp => "timestamp with time zone",
        other => Dialect::Postgres.sql_type(other),
    }
    .to_string()
}

/// A column default as a catalog reports it, in one form: `'user'::character varying` →
/// `user`, a boolean `0` → `false`, MariaDB's `NULL` → none.
fn normalise_default(raw: Option<String>, ty: &str) -> Option<String> {
    let raw = raw?;
    if raw.eq_ignore_ascii_case("null") {
        return None;
    }
    let value = raw.split("::").next().unwrap_or(&raw).trim();
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(value);
    Some(match (ty, value.to_ascii_lowercase().as_str()) {
        ("boolean", "0" | "false") => "false".to_string(),
        ("boolean", "1" | "true") => "true".to_string(),
        _ => value.to_string(),
    })
}

/// What introspection must find after migrating an empty database to `schema`.
pub fn expected(schema: &Schema, dialect: Dialect) -> Introspected {
    let mut out = Introspected::default();
    for table in &schema.tables {
        let shape = out.table(&table.full_name(&schema.prefix));
        for column in &table.columns {
            let default = column.default.as_ref().map(|d| match d {
                ColumnDefault::Bool(b) => b.to_string(),
                ColumnDefault::Int(i) => i.to_string(),
                ColumnDefault::String(s) => s.clone(),
            });
            shape.columns.insert(
                column.name.clone(),
                (
                    introspected_type(dialect, column.ty),
                    column.nullable,
                    default,
                ),
            );
        }
        shape.primary_key = table.primary_key.clone();
        for index in &table.indexes {
            shape.indexes.insert(
                table.index_name(&schema.prefix, index),
                (index.unique, index.columns.clone()),
            );
        }
        for fk in &table.foreign_keys {
            shape.foreign_keys.insert((
                fk.column.clone(),
                format!("{}{}", schema.prefix, fk.references),
                fk.referenced_column.clone(),
                fk.on_delete.sql().to_string(),
            ));
        }
    }
    out
}

async fn introspect_pg(pool: &PgPool, out: &mut Introspected) {
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, character_maximum_length, column_default::text \
         FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("columns");
    for row in columns {
        let table: String = row.get(0);
        let mut ty: String = row.get(2);
        if let Some(len) = row.get::<Option<i32>, _>(4) {
            ty = format!("{ty}({len})");
        }
        let nullable = row.get::<String, _>(3) == "YES";
        let default = normalise_default(row.get(5), &ty);
        out.table(&table)
            .columns
            .insert(row.get(1), (ty, nullable, default));
    }
    let indexes = sqlx::query(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
                array_agg(a.attname::text ORDER BY k.n) \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE ns.nspname = current_schema() \
         GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary",
    )
    .fetch_all(pool)
    .await
    .expect("indexes");
    for row in indexes {
        let table: String = row.get(0);
        let columns: Vec<String> = row.get(4);
        if row.get::<bool, _>(3) {
            out.table(&table).primary_key = columns;
        } else {
            out.table(&table)
                .indexes
                .insert(row.get(1), (row.get(2), columns));
        }
    }
    let fks = sqlx::query(
        "SELECT t.relname::text, a.attname::text, rt.relname::text, ra.attname::text, c.confdeltype::text \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_class rt ON rt.oid = c.confrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] \
         WHERE c.contype = 'f' AND ns.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("foreign keys");
    for row in fks {
        let rule = match row.get::<String, _>(4).as_str() {
            "c" => "CASCADE",
            "n" => "SET NULL",
            other => panic!("unexpected ON DELETE rule {other}"),
        };
        let table: String = row.get(0);
        out.table(&table).foreign_keys.insert((
            row.get(1),
            row.get(2),
            row.get(3),
            rule.to_string(),
        ));
    }
}

/// MariaDB spells some MySQL types differently; fold them to the names yauth emits.
fn normalise_mysql_type(ty: &str) -> String {
    match ty {
        "tinyint(1)" => "boolean".into(),
        "longtext" => "json".into(),
        other => match other.split_once('(') {
            Some((base @ ("int" | "bigint"), _)) => base.into(),
            _ => other.into(),
        },
    }
}

async fn introspect_mysql(pool: &MySqlPool, out: &mut Introspected) {
    let columns = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR) \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .fetch_all(pool)
    .await
    .expect("columns");
    for row in columns {
        let table: String = row.get(0);
        let ty = normalise_mysql_type(&row.get::<String, _>(2));
        let default = normalise_default(row.get(4), &ty);
        out.table(&table)
            .columns
            .insert(row.get(1), (ty, row.get::<String, _>(3) == "YES", default));
    }
    let indexes = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS SIGNED), CAST(COLUMN_NAME AS CHAR) \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .fetch_all(pool)
    .await
    .expect("indexes");
    for row in indexes {
        let table: String = row.get(0);
        let name: String = row.get(1);
        let column: String = row.get(3);
        let shape = out.table(&table);
        if name == "PRIMARY" {
            shape.primary_key.push(column);
        } else {
            let unique = row.get::<i64, _>(2) == 0;
            shape
                .indexes
                .entry(name)
                .or_insert((unique, Vec::new()))
                .1
                .push(column);
        }
    }
    let fks = sqlx::query(
        "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR), CAST(k.REFERENCED_TABLE_NAME AS CHAR), \
                CAST(k.REFERENCED_COLUMN_NAME AS CHAR), CAST(r.DELETE_RULE AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .expect("foreign keys");
    for row in fks {
        let table: String = row.get(0);
        out.table(&table)
            .foreign_keys
            .insert((row.get(1), row.get(2), row.get(3), row.get(4)));
    }
}

async fn introspect_sqlite(pool: &SqlitePool, out: &mut Introspected) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    for table in tables {
        let shape = out.table(&table);
        let columns = sqlx::query(
            "SELECT name, type, \"notnull\", pk, dflt_value FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .expect("columns");
        let mut key: Vec<(i64, String)> = Vec::new();
        for row in columns {
            let name: String = row.get(0);
            let pk: i64 = row.get(3);
            if pk > 0 {
                key.push((pk, name.clone()));
            }
            let ty = row.get::<String, _>(1).to_lowercase();
            let default = normalise_default(row.get(4), &ty);
            shape
                .columns
                .insert(name, (ty, row.get::<i64, _>(2) == 0, default));
        }
        key.sort();
        shape.primary_key = key.into_iter().map(|(_, n)| n).collect();
        let indexes = sqlx::query("SELECT name, \"unique\", origin FROM pragma_index_list(?)")
            .bind(&table)
            .fetch_all(pool)
            .await
            .expect("indexes");
        for row in indexes {
            let name: String = row.get(0);
            if row.get::<String, _>(2) == "pk" {
                continue;
            }
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(pool)
                    .await
                    .expect("index columns");
            shape
                .indexes
                .insert(name, (row.get::<i64, _>(1) == 1, columns));
        }
        let fks = sqlx::query(
            "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?)",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .expect("foreign keys");
        for row in fks {
            shape
                .foreign_keys
                .insert((row.get(0), row.get(1), row.get(2), row.get(3)));
        }
    }
}

/// Panics with a readable account of the first table that differs.
pub fn assert_same(actual: &Introspected, expected: &Introspected, context: &str) {
    let actual_names: Vec<_> = actual.tables.keys().collect();
    let expected_names: Vec<_> = expected.tables.keys().collect();
    assert_eq!(actual_names, expected_names, "{context}: tables differ");
    for (name, shape) in &expected.tables {
        assert_eq!(
            &actual.tables[name], shape,
            "{context}: table {name} differs"
        );
    }
}

/// Drops the generated sea-orm migrator's bookkeeping table from an introspection, checking
/// that it is yauth's prefixed one and not sea-orm's default `seaql_migrations`.
pub fn without_bookkeeping(mut found: Introspected) -> Introspected {
    assert!(
        found.tables.remove("yauth_seaql_migrations").is_some(),
        "the migrator records steps in yauth_seaql_migrations"
    );
    found
}
