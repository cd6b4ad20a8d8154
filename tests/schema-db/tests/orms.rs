//! The generated files work with the ORMs themselves: sqlx's and diesel's migrators read the
//! generated folders, the sea-orm migration crate runs its SQL, and rows written through the
//! generated entities and `table!`s read back.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, EntityTrait, Set};
use sea_orm_migration::MigratorTrait;
use yauth_migration::Dialect;
use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};
use yauth_schema_tests::db::{Introspected, TestDb, assert_same, expected, without_bookkeeping};
use yauth_schema_tests::generated;

const ALL_PLUGINS: &str = "\"email-password\", \"passkey\", \"mfa\", \"oauth\", \"bearer\", \"api-key\", \"magic-link\", \"admin\", \"status\", \"oauth2-server\", \"account-lockout\", \"webhooks\", \"oidc\", \"telemetry\"";

fn temp_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("yauth-orms-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn sqlx_migrator_runs_the_generated_folder(dialect: Dialect) {
    let dir = temp_dir(&format!("sqlx-{}", dialect.name()));
    yauth_schema_tests::write_project(
        &dir,
        &format!(
            "[migration]\norm = \"sqlx\"\ndialect = \"{}\"\n[plugins]\nenabled = [{ALL_PLUGINS}]\n",
            dialect.name()
        ),
    );
    let migrator = sqlx::migrate::Migrator::new(dir.join("migrations"))
        .await
        .expect("sqlx reads the folder");
    assert_eq!(
        migrator.iter().count(),
        2,
        "one reversible migration (up + down), snapshot ignored"
    );
    let db = TestDb::create(dialect).await;
    macro_rules! run {
        ($pool:expr) => {{
            migrator.run($pool).await.expect("sqlx migrate run");
            assert_same(
                &db.introspect(DEFAULT_PREFIX).await,
                &expected(&full_schema(DEFAULT_PREFIX), dialect),
                "sqlx run",
            );
            migrator.undo($pool, 0).await.expect("sqlx migrate revert");
        }};
    }
    match &db {
        TestDb::Postgres { pool, .. } => run!(pool),
        TestDb::Mysql { pool, .. } => run!(pool),
        TestDb::Sqlite { pool, .. } => run!(pool),
    }
    assert_eq!(db.introspect(DEFAULT_PREFIX).await, Introspected::default());
    db.drop_db().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn sqlx_migrator_runs_the_generated_folder_on_postgres() {
    sqlx_migrator_runs_the_generated_folder(Dialect::Postgres).await;
}

#[tokio::test]
async fn sqlx_migrator_runs_the_generated_folder_on_mysql() {
    sqlx_migrator_runs_the_generated_folder(Dialect::Mysql).await;
}

#[tokio::test]
async fn sqlx_migrator_runs_the_generated_folder_on_sqlite() {
    sqlx_migrator_runs_the_generated_folder(Dialect::Sqlite).await;
}

#[test]
fn diesel_migrations_run_the_generated_folder_and_schema_reads_rows() {
    use diesel::prelude::*;
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    use generated::sqlite::schema::yauth_users;

    let dir = temp_dir("diesel");
    yauth_schema_tests::write_project(
        &dir,
        &format!(
            "[migration]\norm = \"diesel\"\ndialect = \"sqlite\"\n[plugins]\nenabled = [{ALL_PLUGINS}]\n"
        ),
    );
    let migrations =
        FileBasedMigrations::from_path(dir.join("migrations")).expect("diesel reads the folder");
    let mut conn = SqliteConnection::establish(dir.join("app.db").to_str().unwrap()).unwrap();
    conn.run_pending_migrations(migrations.clone())
        .expect("diesel migration run");

    let now = chrono::DateTime::from_timestamp(1_767_225_600, 123_456_000)
        .unwrap()
        .naive_utc();
    diesel::insert_into(yauth_users::table)
        .values((
            yauth_users::id.eq("0190f8a0-0000-7000-8000-000000000001"),
            yauth_users::email.eq("ada@example.com"),
            yauth_users::email_verified.eq(true),
            yauth_users::role.eq("user"),
            yauth_users::banned.eq(false),
            yauth_users::created_at.eq(now),
            yauth_users::updated_at.eq(now),
        ))
        .execute(&mut conn)
        .unwrap();
    let (email, created): (String, chrono::NaiveDateTime) = yauth_users::table
        .select((yauth_users::email, yauth_users::created_at))
        .first(&mut conn)
        .unwrap();
    assert_eq!((email.as_str(), created), ("ada@example.com", now));
    // The documented SQLite representation: UTC text, space separator, microseconds.
    let stored: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "(SELECT created_at FROM yauth_users)",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(stored, "2026-01-01 00:00:00.123456");

    conn.revert_all_migrations(migrations)
        .expect("diesel migration revert");
    let left: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM sqlite_master WHERE name LIKE 'yauth_%')",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(left, 0);
    drop(conn);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The sea-orm migration crate runs the SQL up and down; in between, a user and an audit
/// row (JSON) written through the generated entities read back equal.
macro_rules! seaorm_round_trip {
    ($test:ident, $dialect:expr, $module:ident, $id:expr, $now:expr) => {
        #[tokio::test]
        async fn $test() {
            use generated::$module::entities::{audit_log, totp_secrets, users};
            use generated::$module::migration::Migrator;

            let db = TestDb::create($dialect).await;
            let conn = Database::connect(db.url()).await.expect("sea-orm connects");
            if $dialect == Dialect::Sqlite {
                conn.execute_unprepared("PRAGMA foreign_keys = ON").await.unwrap();
            }
            Migrator::up(&conn, None).await.expect("migrate up");
            assert_same(&without_bookkeeping(db.introspect(DEFAULT_PREFIX).await), &expected(&full_schema(DEFAULT_PREFIX), $dialect), "sea-orm up");

            let now = $now;
            let user = users::ActiveModel {
                id: Set($id(1)),
                email: Set("ada@example.com".into()),
                display_name: Set(Some("Ada".into())),
                email_verified: Set(true),
                role: Set("user".into()),
                banned: Set(false),
                banned_reason: Set(None),
                banned_until: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            };
            user.insert(&conn).await.expect("insert user");
            audit_log::ActiveModel {
                id: Set($id(2)),
                user_id: Set(Some($id(1))),
                event_type: Set("user_registered".into()),
                metadata: Set(Some(serde_json::json!({ "ip": "127.0.0.1", "n": 1 }))),
                ip_address: Set(None),
                user_agent: Set(Some("agent/1.0".into())),
                created_at: Set(now),
            }
            .insert(&conn)
            .await
            .expect("insert audit row");
            totp_secrets::ActiveModel {
                id: Set($id(3)),
                user_id: Set($id(1)),
                encrypted_secret: Set(vec![0, 1, 2, 255]),
                verified: Set(false),
                last_used_step: Set(Some(59_000_000_000)),
                created_at: Set(now),
            }
            .insert(&conn)
            .await
            .expect("insert totp secret");

            let read = users::Entity::find_by_id($id(1)).one(&conn).await.unwrap().expect("user row");
            assert_eq!((read.email.as_str(), read.created_at), ("ada@example.com", now));
            let audit = audit_log::Entity::find().one(&conn).await.unwrap().expect("audit row");
            assert_eq!(audit.metadata, Some(serde_json::json!({ "ip": "127.0.0.1", "n": 1 })));
            let totp = totp_secrets::Entity::find().one(&conn).await.unwrap().expect("totp row");
            assert_eq!(totp.encrypted_secret, vec![0, 1, 2, 255]);
            // Deleting the user cascades to its secret and keeps the audit row, unowned.
            users::Entity::delete_by_id($id(1)).exec(&conn).await.unwrap();
            assert!(totp_secrets::Entity::find().one(&conn).await.unwrap().is_none());
            let audit = audit_log::Entity::find().one(&conn).await.unwrap().expect("audit row kept");
            assert_eq!(audit.user_id, None);

            Migrator::down(&conn, None).await.expect("migrate down");
            assert_eq!(without_bookkeeping(db.introspect(DEFAULT_PREFIX).await), Introspected::default());
            conn.close().await.unwrap();
            db.drop_db().await;
        }
    };
}

fn micros(n: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(1_767_225_600_000_000 + n).unwrap()
}

seaorm_round_trip!(
    seaorm_entities_and_migrations_on_postgres,
    Dialect::Postgres,
    postgres,
    |n: u128| uuid::Uuid::from_u128(n),
    micros(123_456)
);
seaorm_round_trip!(
    seaorm_entities_and_migrations_on_mysql,
    Dialect::Mysql,
    mysql,
    |n: u128| uuid::Uuid::from_u128(n).to_string(),
    micros(123_456)
);
seaorm_round_trip!(
    seaorm_entities_and_migrations_on_sqlite,
    Dialect::Sqlite,
    sqlite,
    |n: u128| uuid::Uuid::from_u128(n).to_string(),
    micros(123_456).naive_utc()
);
