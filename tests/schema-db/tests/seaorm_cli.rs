//! The generated sea-orm migration crate is a real crate: `cargo run -- up` (what
//! `sea-orm-cli migrate up` runs) builds it from its own `Cargo.toml` and migrates a real
//! PostgreSQL database; `reset` reverts everything.

use yauth_migration::Dialect;
use yauth_migration::builtin::DEFAULT_PREFIX;
use yauth_schema_tests::db::{Introspected, TestDb, assert_same, expected, without_bookkeeping};

fn run_migration_crate(dir: &std::path::Path, database_url: &str, command: &str) {
    // Its own target folder: the outer `cargo test` holds the lock of the main one.
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("seaorm-migration-crate");
    let status = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--manifest-path"])
        .arg(dir.join("migrations/Cargo.toml"))
        .args(["--", command])
        .env("CARGO_TARGET_DIR", target)
        .env("DATABASE_URL", database_url)
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "`cargo run -- {command}` in the generated migration crate failed"
    );
}

#[tokio::test]
async fn generated_migration_crate_runs_up_and_reset() {
    let dir = std::env::temp_dir().join(format!("yauth-seaorm-crate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    yauth_schema_tests::write_project(
        &dir,
        "[migration]\norm = \"seaorm\"\ndialect = \"postgres\"\n[plugins]\nenabled = [\"email-password\", \"mfa\", \"oidc\", \"webhooks\"]\n",
    );
    let db = TestDb::create(Dialect::Postgres).await;
    run_migration_crate(&dir, db.url(), "up");
    let want = yauth_migration::builtin::schema_for(
        &[
            "email-password",
            "mfa",
            "bearer",
            "oauth2-server",
            "webhooks",
            "oidc",
        ],
        DEFAULT_PREFIX,
    )
    .unwrap();
    assert_same(
        &without_bookkeeping(db.introspect(DEFAULT_PREFIX).await),
        &expected(&want, Dialect::Postgres),
        "migrate up",
    );
    run_migration_crate(&dir, db.url(), "reset");
    // `reset` reverts every step and drops the bookkeeping table too.
    assert_eq!(db.introspect(DEFAULT_PREFIX).await, Introspected::default());
    db.drop_db().await;
    std::fs::remove_dir_all(dir).unwrap();
}
