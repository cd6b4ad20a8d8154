//! The conformance suite on toasty's SQLite driver, over a scratch file (WAL) with yauth's
//! tables. Its own test binary: toasty's SQLite is not the one of yauth's other backends.

mod common;

use yauth_backend_toasty::toasty;

use yauth_backend_toasty::ToastySqliteBackend;
use yauth_entity::Repositories;
use yauth_migration::Dialect;

async fn open() -> Repositories {
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            if common::abandoned(&entry.file_name().to_string_lossy()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = tmp.join(common::scratch_name());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut db = common::connect(&format!("sqlite:{}", dir.join("yauth.db").display())).await;
    // The journal mode is kept in the file: set once, every connection uses it.
    toasty::sql::query("PRAGMA journal_mode = WAL")
        .exec(&mut db)
        .await
        .expect("WAL");
    common::with_tables(db, Dialect::Sqlite, ToastySqliteBackend::from_db).await
}

yauth_conformance_suite::conformance_tests!(open());
