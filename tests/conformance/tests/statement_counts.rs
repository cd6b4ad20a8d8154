//! Statements are counted, not assumed: each PostgreSQL and MySQL backend talks to its
//! database through a counting proxy (`yauth_conformance::count`). The pools' own health
//! checks on checkout are turned off (that is the application's pool setting, not yauth's).

use std::net::SocketAddr;

use sqlx::Connection as _;
use yauth_conformance::count::{Counter, Counts, Protocol, proxy};
use yauth_conformance::rows::{self, later, now};
use yauth_conformance::setup;
use yauth_entity::Repositories;
use yauth_migration::Dialect;

/// Runs `check_session` until the connection's statement caches are warm, then counts ten.
async fn session_check_counts(repos: &Repositories, counter: &Counter) -> (Counts, Counts) {
    let user = rows::user();
    repos.users.insert_user(&user).await.unwrap();
    let session = rows::session(user.id, later());
    repos.sessions.insert_session(&session).await.unwrap();
    for _ in 0..3 {
        assert!(
            repos
                .sessions
                .check_session(&session.token_hash, now())
                .await
                .unwrap()
                .is_some()
        );
    }
    counter.take();
    for _ in 0..10 {
        assert!(
            repos
                .sessions
                .check_session(&session.token_hash, now())
                .await
                .unwrap()
                .is_some()
        );
    }
    let check = counter.take();
    // Registration, counted the second time (the first prepares its statements).
    let mut register = Counts::default();
    for _ in 0..2 {
        let u = rows::user();
        let v = rows::email_verification(u.id, later());
        counter.take();
        repos
            .composite
            .register_user(
                &u,
                &rows::password(u.id, "h"),
                Some(&v),
                &rows::audit(Some(u.id), "user_registered"),
            )
            .await
            .unwrap();
        register = counter.take();
    }
    (check, register)
}

fn upstream(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn through(url: &str, proxy: SocketAddr, port: u16) -> String {
    url.replace(&format!("127.0.0.1:{port}"), &proxy.to_string())
}

#[test]
fn postgres_session_check_is_one_statement_and_one_round_trip() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = setup::postgres_database("count_pg").await;
        let admin = sqlx::PgPool::connect(&url).await.unwrap();
        setup::migrate(&admin, Dialect::Postgres).await;
        let mut results = Vec::new();
        for orm in ["sqlx", "diesel", "sea-orm"] {
            let (addr, counter) = proxy(upstream(5432), Protocol::Postgres).await;
            let url = format!("{}?sslmode=disable", through(&url, addr, 5432));
            let repos = setup::counted_pg(orm, &url).await;
            let (check, register) = session_check_counts(&repos, &counter).await;
            println!("{orm}: session check x10 = {check:?}; register_user = {register:?}");
            results.push((orm, check, register));
        }
        for (orm, check, register) in results {
            assert_eq!(
                (check.statements, check.round_trips),
                (10, 10),
                "{orm}: {check:?}"
            );
            // BEGIN, four inserts, COMMIT.
            assert_eq!(register.statements, 6, "{orm}: {register:?}");
        }
    });
}

#[test]
fn mysql_session_check_is_one_statement_and_one_round_trip() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = setup::mysql_database("count_mysql").await;
        let admin = sqlx::MySqlPool::connect(&url).await.unwrap();
        setup::migrate(&admin, Dialect::Mysql).await;
        let mut results = Vec::new();
        for orm in ["sqlx", "diesel", "sea-orm"] {
            let (addr, counter) = proxy(upstream(3306), Protocol::Mysql).await;
            let url = format!("{}?prefer_socket=false", through(&url, addr, 3306));
            let repos = setup::counted_mysql(orm, &url).await;
            let (check, register) = session_check_counts(&repos, &counter).await;
            println!("{orm}: session check x10 = {check:?}; register_user = {register:?}");
            results.push((orm, check, register));
        }
        for (orm, check, register) in results {
            assert_eq!(
                (check.statements, check.round_trips),
                (10, 10),
                "{orm}: {check:?}"
            );
            // BEGIN, four inserts, COMMIT.
            assert_eq!(register.statements, 6, "{orm}: {register:?}");
        }
    });
}

#[test]
fn the_counter_counts() {
    // A plain query through the proxy is one statement; nothing is counted without traffic.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (addr, counter) = proxy(upstream(5432), Protocol::Postgres).await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect(&format!(
                "postgres://postgres@{addr}/postgres?sslmode=disable"
            ))
            .await
            .unwrap();
        counter.take();
        assert_eq!(counter.take(), Counts::default());
        let mut conn = pool.acquire().await.unwrap();
        sqlx::raw_sql("SELECT 1").execute(&mut *conn).await.unwrap();
        assert_eq!(
            counter.take(),
            Counts {
                statements: 1,
                round_trips: 1,
                pings: 0
            }
        );
        sqlx::query("SELECT $1::int")
            .bind(1)
            .execute(&mut *conn)
            .await
            .unwrap();
        conn.ping().await.unwrap();
        let counts = counter.take();
        assert_eq!((counts.statements, counts.pings), (1, 1), "{counts:?}");
    });
}
