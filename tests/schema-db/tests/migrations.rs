//! The generated migrations, applied to real PostgreSQL, MariaDB and SQLite databases and
//! checked by introspection; then reverted, leaving nothing behind.

use yauth_migration::builtin::{DEFAULT_PREFIX, schema_for};
use yauth_migration::diff::MigrationSql;
use yauth_migration::layout::{Snapshot, plan};
use yauth_migration::plugins::{PLUGINS, resolve};
use yauth_migration::{Column, Config, Dialect, ForeignKey, Index, LogicalType, OnDelete, Schema};
use yauth_schema_tests::db::{Introspected, TestDb, assert_same, expected};

fn plugin_sets() -> Vec<(String, Schema)> {
    let mut sets = vec![("core".to_string(), schema_for(&[], DEFAULT_PREFIX).unwrap())];
    for plugin in PLUGINS {
        let active = resolve(&[plugin.name.to_string()]).unwrap().active;
        sets.push((
            plugin.name.to_string(),
            schema_for(&active, DEFAULT_PREFIX).unwrap(),
        ));
    }
    let all: Vec<&str> = PLUGINS.iter().map(|p| p.name).collect();
    sets.push((
        "all plugins".to_string(),
        schema_for(&all, DEFAULT_PREFIX).unwrap(),
    ));
    sets
}

/// Each plugin alone, and all together, on a fresh database: up gives exactly the schema
/// (tables, columns, types, nullability, defaults, keys, indexes, foreign keys), and down
/// leaves nothing.
async fn every_plugin_set_applies_and_reverts(dialect: Dialect) {
    for (label, schema) in plugin_sets() {
        let db = TestDb::create(dialect).await;
        let sql = MigrationSql::between(None, &schema, dialect).unwrap();
        db.run_all(&sql.up).await;
        assert_same(
            &db.introspect(DEFAULT_PREFIX).await,
            &expected(&schema, dialect),
            &format!("{label} up"),
        );
        db.run_all(&sql.down).await;
        assert_eq!(
            db.introspect(DEFAULT_PREFIX).await,
            Introspected::default(),
            "{label}: down left tables behind"
        );
        db.drop_db().await;
    }
}

#[tokio::test]
async fn every_plugin_set_applies_and_reverts_on_postgres() {
    every_plugin_set_applies_and_reverts(Dialect::Postgres).await;
}

#[tokio::test]
async fn every_plugin_set_applies_and_reverts_on_mysql() {
    every_plugin_set_applies_and_reverts(Dialect::Mysql).await;
}

#[tokio::test]
async fn every_plugin_set_applies_and_reverts_on_sqlite() {
    every_plugin_set_applies_and_reverts(Dialect::Sqlite).await;
}

fn config(dialect: Dialect, enabled: &[&str]) -> Config {
    let list = enabled
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    Config::parse(&format!(
        "[migration]\norm = \"sqlx\"\ndialect = \"{}\"\n[plugins]\nenabled = [{list}]\n",
        dialect.name()
    ))
    .unwrap()
}

/// add-plugin / remove-plugin steps applied one on top of the other, then reverted in reverse.
async fn plugin_sequence_migrates_step_by_step(dialect: Dialect) {
    let sequence: &[&[&str]] = &[
        &["email-password"],
        &["email-password", "mfa"],
        &["email-password", "mfa", "passkey"],
        &["email-password", "passkey"],
        &["email-password", "passkey", "oidc"],
        &["passkey", "oidc", "webhooks", "account-lockout"],
        &["passkey", "webhooks", "account-lockout"],
    ];
    let mut snapshot: Option<Snapshot> = None;
    for (i, enabled) in sequence.iter().enumerate() {
        let (next, step) = plan(&config(dialect, enabled), snapshot, |_| {
            format!("2026010100{i:04}")
        })
        .unwrap();
        assert!(step.is_some(), "{enabled:?} changes the schema");
        snapshot = Some(next);
    }
    let snapshot = snapshot.unwrap();
    let db = TestDb::create(dialect).await;
    for (i, step) in snapshot.steps.iter().enumerate() {
        db.run_all(&snapshot.step_sql(i).unwrap().up).await;
        assert_same(
            &db.introspect(DEFAULT_PREFIX).await,
            &expected(&step.schema, dialect),
            &format!("after {}", step.name),
        );
    }
    for i in (0..snapshot.steps.len()).rev() {
        db.run_all(&snapshot.step_sql(i).unwrap().down).await;
        let want = match i {
            0 => Introspected::default(),
            _ => expected(&snapshot.steps[i - 1].schema, dialect),
        };
        assert_same(
            &db.introspect(DEFAULT_PREFIX).await,
            &want,
            &format!("after reverting {}", snapshot.steps[i].name),
        );
    }
    db.drop_db().await;
}

#[tokio::test]
async fn plugin_sequence_migrates_step_by_step_on_postgres() {
    plugin_sequence_migrates_step_by_step(Dialect::Postgres).await;
}

#[tokio::test]
async fn plugin_sequence_migrates_step_by_step_on_mysql() {
    plugin_sequence_migrates_step_by_step(Dialect::Mysql).await;
}

#[tokio::test]
async fn plugin_sequence_migrates_step_by_step_on_sqlite() {
    plugin_sequence_migrates_step_by_step(Dialect::Sqlite).await;
}

/// A later schema that adds columns (one with a foreign key) and indexes to a table holding
/// rows: up keeps the rows, down removes exactly what up added.
async fn column_changes_apply_and_revert(dialect: Dialect) {
    let before = schema_for(&["email-password"], DEFAULT_PREFIX).unwrap();
    let mut after = before.clone();
    let sessions = after
        .tables
        .iter_mut()
        .find(|t| t.name == "sessions")
        .unwrap();
    sessions.columns.push(Column {
        name: "device".into(),
        ty: LogicalType::String,
        nullable: true,
        default: None,
        extra: false,
    });
    sessions.columns.push(Column {
        name: "approved_by".into(),
        ty: LogicalType::Uuid,
        nullable: true,
        default: None,
        extra: false,
    });
    sessions.foreign_keys.push(ForeignKey {
        column: "approved_by".into(),
        references: "users".into(),
        referenced_column: "id".into(),
        on_delete: OnDelete::SetNull,
    });
    sessions.indexes.push(Index {
        columns: vec!["approved_by".into()],
        unique: false,
    });
    sessions.indexes.push(Index {
        columns: vec!["device".into(), "user_id".into()],
        unique: false,
    });
    after.validate().unwrap();

    let db = TestDb::create(dialect).await;
    db.run_all(&MigrationSql::between(None, &before, dialect).unwrap().up)
        .await;
    let user = "00000000-0000-4000-8000-000000000001";
    let (t, f) = match dialect {
        Dialect::Sqlite => ("1", "0"),
        _ => ("TRUE", "FALSE"),
    };
    let now = "'2026-01-01 00:00:00.000000'";
    db.execute(&format!(
        "INSERT INTO yauth_users (id, email, email_verified, role, banned, created_at, updated_at) VALUES ('{user}', 'a@example.com', {t}, 'user', {f}, {now}, {now})"
    ))
    .await
    .unwrap();
    db.execute(&format!(
        "INSERT INTO yauth_sessions (id, user_id, token_hash, expires_at, created_at) VALUES ('00000000-0000-4000-8000-000000000002', '{user}', 'h', {now}, {now})"
    ))
    .await
    .unwrap();

    let step = MigrationSql::between(Some(&before), &after, dialect).unwrap();
    db.run_all(&step.up).await;
    assert_same(
        &db.introspect(DEFAULT_PREFIX).await,
        &expected(&after, dialect),
        "after adding columns",
    );
    db.execute(&format!(
        "UPDATE yauth_sessions SET approved_by = '{user}', device = 'laptop'"
    ))
    .await
    .unwrap();
    db.run_all(&step.down).await;
    assert_same(
        &db.introspect(DEFAULT_PREFIX).await,
        &expected(&before, dialect),
        "after reverting",
    );
    // The session survived both directions (on SQLite the table was rebuilt to drop the FK column).
    let count = match &db {
        TestDb::Postgres { pool, .. } => {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM yauth_sessions")
                .fetch_one(pool)
                .await
                .unwrap()
        }
        TestDb::Mysql { pool, .. } => {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM yauth_sessions")
                .fetch_one(pool)
                .await
                .unwrap()
        }
        TestDb::Sqlite { pool, .. } => {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM yauth_sessions")
                .fetch_one(pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn column_changes_apply_and_revert_on_postgres() {
    column_changes_apply_and_revert(Dialect::Postgres).await;
}

#[tokio::test]
async fn column_changes_apply_and_revert_on_mysql() {
    column_changes_apply_and_revert(Dialect::Mysql).await;
}

#[tokio::test]
async fn column_changes_apply_and_revert_on_sqlite() {
    column_changes_apply_and_revert(Dialect::Sqlite).await;
}

/// On MySQL every yauth table and text column compares bytes (`utf8mb4_bin`), as PostgreSQL
/// and SQLite do: two emails differing only in case are two values, and the runtime, which
/// lower-cases emails, gets the same uniqueness everywhere.
#[tokio::test]
async fn mysql_tables_compare_strings_as_bytes() {
    let all: Vec<&str> = PLUGINS.iter().map(|p| p.name).collect();
    let schema = schema_for(&all, DEFAULT_PREFIX).unwrap();
    let db = TestDb::create(Dialect::Mysql).await;
    db.run_all(
        &MigrationSql::between(None, &schema, Dialect::Mysql)
            .unwrap()
            .up,
    )
    .await;
    let TestDb::Mysql { pool, .. } = &db else {
        unreachable!()
    };
    let other: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', COLLATION_NAME) AS CHAR) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL AND COLLATION_NAME <> 'utf8mb4_bin'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(other.is_empty(), "columns without utf8mb4_bin: {other:?}");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND (TABLE_COLLATION <> 'utf8mb4_bin' OR ENGINE <> 'InnoDB')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        tables.is_empty(),
        "tables not InnoDB/utf8mb4_bin: {tables:?}"
    );
    for (id, email) in [
        ("00000000-0000-4000-8000-000000000001", "ada@example.com"),
        ("00000000-0000-4000-8000-000000000002", "Ada@example.com"),
    ] {
        db.execute(&format!(
            "INSERT INTO yauth_users (id, email, created_at, updated_at) VALUES ('{id}', '{email}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ))
        .await
        .expect("emails differing in case are distinct under utf8mb4_bin");
    }
    let duplicate = db
        .execute("INSERT INTO yauth_users (id, email, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000003', 'ada@example.com', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
        .await;
    assert!(
        duplicate.is_err(),
        "the same email twice violates the unique index"
    );
    db.drop_db().await;
}
