//! The generator is the single source of every backend. A fixture schema gives `users` a new
//! column (`nickname`) and the catalogue two operations on it; regenerating goes through
//! every backend's template; the regenerated crates (with their hand-written files copied
//! unchanged) are built in a scratch workspace — the sqlx macros checking their SQL against
//! databases migrated with the fixture schema — and the fixture's operations run on all ten
//! backends.

use std::path::{Path, PathBuf};

use yauth_conformance::setup;
use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};
use yauth_migration::queries::{Catalogue, Query, QueryKind};
use yauth_migration::{Column, Dialect, Schema};

fn fixture() -> (Schema, Catalogue) {
    let mut schema = full_schema(DEFAULT_PREFIX);
    let users = schema
        .tables
        .iter_mut()
        .find(|t| t.name == "users")
        .unwrap();
    users.columns.push(Column {
        name: "nickname".into(),
        ty: yauth_migration::LogicalType::String,
        nullable: true,
        default: None,
        extra: false,
    });
    let mut catalogue = yauth_migration::queries::catalogue();
    let base = catalogue.query("update_user_profile").unwrap().clone();
    catalogue.queries.push(Query {
        name: "set_user_nickname".into(),
        set: vec![yauth_migration::queries::Assign::Param {
            column: "nickname".into(),
        }],
        doc: "Fixture: sets the nickname.".into(),
        set_extra: false,
        ..base
    });
    let base = catalogue.query("list_user_sessions").unwrap().clone();
    let mut filter = base.filter.clone();
    filter[0].column = "nickname".into();
    filter[0].param = Some("nickname".into());
    catalogue.queries.push(Query {
        name: "find_users_by_nickname".into(),
        table: "users".into(),
        kind: QueryKind::List,
        filter,
        doc: "Fixture: users with a nickname.".into(),
        ..base
    });
    catalogue.validate(&schema).unwrap();
    (schema, catalogue)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            copy(&path, &target);
        }
    }
}

const BACKENDS: [&str; 10] = [
    "memory",
    "sqlx-pg",
    "sqlx-mysql",
    "sqlx-sqlite",
    "diesel-pg",
    "diesel-mysql",
    "diesel-sqlite",
    "seaorm-pg",
    "seaorm-mysql",
    "seaorm-sqlite",
];

/// The scratch workspace: the runtime crates' hand-written files, the fixture's generated
/// files, and a test crate.
fn write_workspace(dir: &Path, files: &[yauth_codegen::repo::RuntimeFile]) {
    let _ = std::fs::remove_dir_all(dir.join("runtime"));
    let root = root();
    let mut crates = vec!["runtime/entity".to_string()];
    crates.extend(BACKENDS.iter().map(|b| format!("runtime/backends/{b}")));
    for krate in &crates {
        for name in ["Cargo.toml", "sqlx.toml"] {
            let from = root.join(krate).join(name);
            if from.exists() {
                copy(&from, &dir.join(krate).join(name));
            }
        }
        // Every file under src/: the generated ones are overwritten with the fixture's below.
        copy_tree(&root.join(krate).join("src"), &dir.join(krate).join("src"));
    }
    for file in files {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.contents).unwrap();
    }
    // The root manifest without the crates this workspace does not hold.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut out = String::new();
    let mut in_members = false;
    for line in manifest.lines() {
        if line.starts_with("members = [") {
            in_members = true;
            out.push_str("members = [\n");
            for krate in crates.iter().map(String::as_str).chain(["fixture-tests"]) {
                out.push_str(&format!("    \"{krate}\",\n"));
            }
            out.push_str("]\n");
            continue;
        }
        if in_members {
            in_members = !line.starts_with(']');
            continue;
        }
        if line.starts_with("exclude")
            || ["\"schema\"", "\"templates\"", "\"codegen\""]
                .iter()
                .any(|p| line.contains(&format!("path = {p}")))
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    std::fs::write(dir.join("Cargo.toml"), out).unwrap();
    copy(&root.join("Cargo.lock"), &dir.join("Cargo.lock"));
    let tests = dir.join("fixture-tests");
    std::fs::create_dir_all(tests.join("tests")).unwrap();
    std::fs::create_dir_all(tests.join("src")).unwrap();
    std::fs::write(tests.join("src/lib.rs"), "").unwrap();
    let mut deps = String::new();
    for b in BACKENDS {
        deps.push_str(&format!("yauth-backend-{b}.workspace = true\n"));
    }
    std::fs::write(
        tests.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fixture-tests\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n\
             yauth-entity.workspace = true\n{deps}chrono.workspace = true\nuuid.workspace = true\n\
             tokio = {{ workspace = true }}\n\
             sqlx = {{ workspace = true, features = [\"postgres\", \"mysql\", \"sqlite\"] }}\n\
             diesel-async = {{ workspace = true, features = [\"postgres\", \"mysql\", \"sqlite\", \"sync-connection-wrapper\"] }}\n\
             sea-orm = {{ workspace = true, features = [\"sqlx-postgres\", \"sqlx-mysql\", \"sqlx-sqlite\"] }}\n"
        ),
    )
    .unwrap();
    std::fs::write(tests.join("tests/fixture.rs"), FIXTURE_TEST).unwrap();
}

const FIXTURE_TEST: &str = r#"
use yauth_entity::*;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the outer test"))
}

async fn exercise(name: &str, r: Repositories) {
    let at = support::micros(chrono::Utc::now());
    let nick = format!("nick-{}", uuid::Uuid::new_v4());
    let user = User {
        id: uuid::Uuid::now_v7(),
        email: format!("{}@example.com", uuid::Uuid::new_v4()),
        display_name: None,
        email_verified: false,
        role: "user".into(),
        banned: false,
        banned_reason: None,
        banned_until: None,
        created_at: at,
        updated_at: at,
        nickname: Some(nick.clone()),
        extra: Default::default(),
    };
    r.users.insert_user(&user).await.unwrap();
    assert_eq!(r.users.get_user(user.id).await.unwrap(), Some(user.clone()), "{name}");
    assert_eq!(r.users.find_users_by_nickname(&nick).await.unwrap(), vec![user.clone()], "{name}");
    let session = Session {
        id: uuid::Uuid::now_v7(),
        user_id: user.id,
        token_hash: format!("t-{}", uuid::Uuid::new_v4()),
        ip_address: None,
        user_agent: None,
        expires_at: at + chrono::Duration::hours(1),
        created_at: at,
        impersonator_id: None,
        last_seen_at: None,
        persistent: false,
    };
    r.sessions.insert_session(&session).await.unwrap();
    r.users.set_user_nickname(Some("renamed"), user.id).await.unwrap();
    let (_, joined) = r.sessions.check_session(&session.token_hash, at).await.unwrap().unwrap();
    assert_eq!(joined.nickname.as_deref(), Some("renamed"), "{name}");
    r.users.set_user_nickname(None, user.id).await.unwrap();
    assert_eq!(r.users.get_user(user.id).await.unwrap().unwrap().nickname, None, "{name}");
    println!("{name}: fixture operations pass");
}

#[test]
fn fixture_operations_pass_on_every_backend() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (pg, mysql, sqlite) = (env("FIXTURE_PG_URL"), env("FIXTURE_MYSQL_URL"), env("FIXTURE_SQLITE_PATH"));
        let pg_pool = sqlx::PgPool::connect(&pg).await.unwrap();
        let mysql_pool = sqlx::MySqlPool::connect(&mysql).await.unwrap();
        let sqlite_options = sqlx::sqlite::SqliteConnectOptions::new().filename(&sqlite).foreign_keys(true);
        let sqlite_pool = sqlx::SqlitePool::connect_with(sqlite_options).await.unwrap();
        macro_rules! pool {
            ($m:expr) => { diesel_async::pooled_connection::deadpool::Pool::builder($m).build().unwrap() };
        }
        use diesel_async::pooled_connection::AsyncDieselConnectionManager as M;
        exercise("memory", yauth_backend_memory::InMemoryBackend::new().repositories()).await;
        exercise("sqlx-pg", yauth_backend_sqlx_pg::SqlxPgBackend::from_pool(pg_pool.clone()).repositories()).await;
        exercise("sqlx-mysql", yauth_backend_sqlx_mysql::SqlxMysqlBackend::from_pool(mysql_pool.clone()).repositories()).await;
        exercise("sqlx-sqlite", yauth_backend_sqlx_sqlite::SqlxSqliteBackend::from_pool(sqlite_pool.clone()).repositories()).await;
        exercise("diesel-pg", yauth_backend_diesel_pg::DieselPgBackend::from_pool(pool!(M::<diesel_async::AsyncPgConnection>::new(pg.clone()))).repositories()).await;
        exercise("diesel-mysql", yauth_backend_diesel_mysql::DieselMysqlBackend::from_pool(pool!(M::<diesel_async::AsyncMysqlConnection>::new(mysql.clone()))).repositories()).await;
        exercise("diesel-sqlite", yauth_backend_diesel_sqlite::DieselSqliteBackend::from_pool(pool!(yauth_backend_diesel_sqlite::DieselSqliteBackend::manager(&sqlite))).repositories()).await;
        exercise("seaorm-pg", yauth_backend_seaorm_pg::SeaOrmPgBackend::from_connection(sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pg_pool)).repositories()).await;
        exercise("seaorm-mysql", yauth_backend_seaorm_mysql::SeaOrmMysqlBackend::from_connection(sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(mysql_pool)).repositories()).await;
        exercise("seaorm-sqlite", yauth_backend_seaorm_sqlite::SeaOrmSqliteBackend::from_connection(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(sqlite_pool)).repositories()).await;
    });
}
"#;

#[test]
fn a_new_column_flows_through_every_backend_template() {
    let (schema, catalogue) = fixture();
    let files = yauth_codegen::repo::runtime_files_for(&schema, &catalogue).unwrap();
    // Every backend's generated module changed, and mentions the new column and operations.
    for backend in BACKENDS {
        let path = format!("runtime/backends/{backend}/src/generated.rs");
        let file = files.iter().find(|f| f.path == path).unwrap();
        let committed = std::fs::read_to_string(root().join(&path)).unwrap();
        assert_ne!(file.contents, committed, "{path}");
        for needle in ["nickname", "set_user_nickname", "find_users_by_nickname"] {
            assert!(file.contents.contains(needle), "{path} lacks {needle}");
        }
    }

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (pg, mysql, sqlite) = runtime.block_on(async {
        let pg = setup::postgres_database("fixture_pg").await;
        let pool = sqlx::PgPool::connect(&pg).await.unwrap();
        setup::migrate_schema(&pool, &schema, Dialect::Postgres).await;
        let mysql = setup::mysql_database("fixture_mysql").await;
        let pool = sqlx::MySqlPool::connect(&mysql).await.unwrap();
        setup::migrate_schema(&pool, &schema, Dialect::Mysql).await;
        let sqlite = setup::sqlite_file("fixture_sqlite");
        let pool = sqlx::SqlitePool::connect_with(setup::sqlite_options(&sqlite))
            .await
            .unwrap();
        setup::migrate_schema(&pool, &schema, Dialect::Sqlite).await;
        (pg, mysql, sqlite)
    });

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-workspace");
    write_workspace(&dir, &files);
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "test",
            "--offline",
            "-p",
            "fixture-tests",
            "--",
            "--nocapture",
        ])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("SQLX_OFFLINE", "false")
        .env("YAUTH_SQLX_PG_URL", &pg)
        .env("YAUTH_SQLX_MYSQL_URL", &mysql)
        .env(
            "YAUTH_SQLX_SQLITE_URL",
            format!("sqlite://{}", sqlite.display()),
        )
        .env("FIXTURE_PG_URL", &pg)
        .env("FIXTURE_MYSQL_URL", &mysql)
        .env("FIXTURE_SQLITE_PATH", &sqlite)
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for backend in BACKENDS {
        assert!(
            stdout.contains(&format!("{backend}: fixture operations pass")),
            "{backend} did not run:\n{stdout}"
        );
    }
}
