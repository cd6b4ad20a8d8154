//! The conformance suite on toasty's SQLite driver, over a scratch file (WAL) with yauth's
//! tables. Its own test binary: toasty's SQLite is not the one of yauth's other backends.

mod common;

use yauth_backend_toasty::toasty;

use yauth_backend_toasty::ToastySqliteBackend;
use yauth_entity::Repositories;
use yauth_migration::Dialect;

/// This process's scratch file.
fn file() -> std::path::PathBuf {
    std::env::temp_dir()
        .join(common::scratch_name())
        .join("yauth.db")
}

async fn open() -> Repositories {
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            if common::abandoned(&entry.file_name().to_string_lossy()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir_all(file().parent().expect("a folder"));
    std::fs::create_dir_all(file().parent().expect("a folder")).expect("temp dir");
    let mut db = common::connect(&format!("sqlite:{}", file().display())).await;
    // The journal mode is kept in the file: set once, every connection uses it.
    toasty::sql::query("PRAGMA journal_mode = WAL")
        .exec(&mut db)
        .await
        .expect("WAL");
    common::with_tables(db, Dialect::Sqlite, ToastySqliteBackend::from_db).await
}

yauth_conformance_suite::conformance_tests!(open());

/// SQLite's columns take a value of any type: one written by hand into a text column is an
/// error when yauth reads the row, never a panic in toasty's driver (which panics on a
/// declared result type the value does not have, so the backend declares none on SQLite).
#[test]
fn a_row_edited_to_another_type_is_an_error_not_a_panic() {
    env().run(|r| async move {
        let user = yauth_conformance_suite::rows::user();
        r.users.insert_user(&user).await.unwrap();
        let mut other = common::connect(&format!("sqlite:{}", file().display())).await;
        // A blob in a text column, text in a boolean one (neither is converted by the
        // columns' affinity).
        let edited = toasty::sql::statement(
            "UPDATE yauth_users SET email = X'00ff', banned = 'yes' WHERE id = ?",
        )
        .bind(user.id.hyphenated().to_string())
        .exec(&mut other)
        .await
        .unwrap();
        assert_eq!(edited, 1);
        let read = r.users.get_user(user.id).await;
        assert!(read.is_err(), "{read:?}");
    });
}
