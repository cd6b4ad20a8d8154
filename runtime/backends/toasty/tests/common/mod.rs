//! Scratch databases for the conformance binaries: one per test process, named
//! `yauth_conf_toasty_<pid>`; those of processes that no longer run are dropped first.

use toasty::Db;
use yauth_backend_toasty::toasty;
use yauth_entity::Repositories;

pub fn scratch_name() -> String {
    format!("yauth_conf_toasty_{}", std::process::id())
}

/// Whether a scratch name belongs to a test process that no longer runs.
pub fn abandoned(name: &str) -> bool {
    name.strip_prefix("yauth_conf_toasty_")
        .and_then(|rest| rest.split('_').next())
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| {
            pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        })
}

/// Opens a database by URL, panicking with the URL and toasty's error.
pub async fn connect(url: &str) -> Db {
    Db::builder()
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[allow(dead_code)] // not used by the SQLite binary
/// On a server: drops abandoned scratch databases, (re)creates this process's and opens
/// it. `list` names the databases (one text column).
pub async fn server_scratch(server: &str, admin_db: &str, list: &str) -> Db {
    let server = server.trim_end_matches('/');
    let mut admin = connect(&format!("{server}/{admin_db}")).await;
    let names = toasty::sql::query(list)
        .column_types([toasty::stmt::Type::String])
        .exec(&mut admin)
        .await
        .expect("list databases");
    let name = scratch_name();
    for row in names {
        let toasty::stmt::Value::Record(row) = row else {
            continue;
        };
        if let Some(toasty::stmt::Value::String(old)) = row.first()
            && (abandoned(old) || *old == name)
        {
            toasty::sql::statement(format!("DROP DATABASE {old}"))
                .exec(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("drop {old}: {e}"));
        }
    }
    toasty::sql::statement(format!("CREATE DATABASE {name}"))
        .exec(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e}"));
    connect(&format!("{server}/{name}")).await
}

/// The repositories of a backend over `db` after creating yauth's tables in it.
#[allow(dead_code)] // not used by the push_schema binary
pub async fn with_tables<B: yauth_entity::DatabaseBackend>(
    db: Db,
    dialect: yauth_migration::Dialect,
    backend: impl FnOnce(Db) -> B,
) -> Repositories {
    yauth_backend_toasty::create_tables(&db, dialect)
        .await
        .expect("yauth's tables");
    backend(db).repositories()
}
