//! The session check per backend: operations per second, the ratio to a hand-written query
//! with the same driver on the same database (the baseline, measured in the same run), and
//! the statements and round trips each check sends (counted by a proxy on PostgreSQL and
//! MySQL).
//!
//! `cargo run --release -p yauth-conformance --bin session-bench [seconds per measurement]`
//!
//! On PostgreSQL and MySQL every pool, the baseline's included, connects through the same
//! kind of counting proxy, so that all pay the same extra hop.
//!
//! Pools are opened with their checkout health checks off (sqlx `test_before_acquire(false)`,
//! deadpool `RecyclingMethod::Fast`): those are the application's pool settings, not yauth's.
//! sqlx's pool also pings a connection when it goes back to the pool; the proxy reports those
//! pings separately.

use std::time::{Duration, Instant};

use yauth_conformance::count::{Counter, Protocol, proxy};
use yauth_conformance::rows::{self, later, now};
use yauth_conformance::setup;
use yauth_entity::{DatabaseBackend, Repositories};
use yauth_migration::Dialect;

/// Runs `op` sequentially for `secs` and returns operations per second.
async fn rate<F, Fut>(secs: f64, mut op: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..50 {
        op().await;
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(secs) {
        op().await;
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// A user and a live session; returns the token hash.
async fn seed(repos: &Repositories) -> String {
    let user = rows::user();
    repos.users.insert_user(&user).await.unwrap();
    let session = rows::session(user.id, later());
    repos.sessions.insert_session(&session).await.unwrap();
    session.token_hash
}

async fn measure(
    name: &str,
    repos: Repositories,
    secs: f64,
    counter: Option<&Counter>,
    baseline: f64,
) {
    let token = seed(&repos).await;
    let ops = rate(secs, || {
        let repos = repos.clone();
        let token = token.clone();
        async move {
            assert!(
                repos
                    .sessions
                    .check_session(&token, now())
                    .await
                    .unwrap()
                    .is_some()
            );
        }
    })
    .await;
    let per_check = match counter {
        Some(counter) => {
            counter.take();
            for _ in 0..100 {
                repos.sessions.check_session(&token, now()).await.unwrap();
            }
            // Let the pool's release pings land before reading.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let c = counter.take();
            format!(
                "{:>10.2} {:>11.2} {:>6.2}",
                c.statements as f64 / 100.0,
                c.round_trips as f64 / 100.0,
                c.pings as f64 / 100.0
            )
        }
        None => format!("{:>10} {:>11} {:>6}", "-", "-", "-"),
    };
    let ratio = if baseline > 0.0 {
        format!("{:>8.2}", ops / baseline)
    } else {
        format!("{:>8}", "-")
    };
    println!("{name:<16} {ops:>12.0} {ratio} {per_check}");
}

fn upstream(port: u16) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], port))
}

const JOIN: &str = "SELECT s.id, s.user_id, s.token_hash, s.expires_at, u.id, u.email, u.role, u.banned FROM yauth_sessions s JOIN yauth_users u ON u.id = s.user_id WHERE s.token_hash = ";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2.0);
    println!(
        "session check, sequential, {secs} s per measurement; ratio = backend / hand-written sqlx query on the same database"
    );
    println!(
        "{:<16} {:>12} {:>8} {:>10} {:>11} {:>6}",
        "backend", "checks/s", "ratio", "stmts/chk", "round trips", "pings"
    );

    let memory = yauth_backend_memory::InMemoryBackend::new().repositories();
    measure("memory", memory, secs, None, 0.0).await;

    // PostgreSQL
    let url = setup::postgres_database("bench_pg").await;
    // The baseline goes through a proxy too, so that every measurement pays the same hop.
    let (addr, _) = proxy(upstream(5432), Protocol::Postgres).await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect(&format!(
            "{}?sslmode=disable",
            url.replace("127.0.0.1:5432", &addr.to_string())
        ))
        .await
        .unwrap();
    setup::migrate(&pool, Dialect::Postgres).await;
    let raw = yauth_backend_sqlx_pg::SqlxPgBackend::from_pool(pool.clone()).repositories();
    let token = seed(&raw).await;
    let sql = format!("{JOIN}$1 AND s.expires_at > $2");
    let baseline = rate(secs, || {
        let (pool, token, sql) = (pool.clone(), token.clone(), sql.clone());
        async move {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(token)
                .bind(now())
                .fetch_optional(&pool)
                .await
                .unwrap();
            assert!(row.is_some());
        }
    })
    .await;
    println!("{:<16} {baseline:>12.0} {:>8.2}", "pg baseline", 1.0);
    for orm in ["sqlx", "diesel", "sea-orm"] {
        let (addr, counter) = proxy(upstream(5432), Protocol::Postgres).await;
        let proxied = format!(
            "{}?sslmode=disable",
            url.replace("127.0.0.1:5432", &addr.to_string())
        );
        let repos = setup::counted_pg(orm, &proxied).await;
        measure(&format!("{orm}-pg"), repos, secs, Some(&counter), baseline).await;
    }

    // MySQL / MariaDB
    let url = setup::mysql_database("bench_mysql").await;
    let (addr, _) = proxy(upstream(3306), Protocol::Mysql).await;
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect(&url.replace("127.0.0.1:3306", &addr.to_string()))
        .await
        .unwrap();
    setup::migrate(&pool, Dialect::Mysql).await;
    let raw = yauth_backend_sqlx_mysql::SqlxMysqlBackend::from_pool(pool.clone()).repositories();
    let token = seed(&raw).await;
    let sql = format!("{JOIN}? AND s.expires_at > ?");
    let baseline = rate(secs, || {
        let (pool, token, sql) = (pool.clone(), token.clone(), sql.clone());
        async move {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(token)
                .bind(now().naive_utc())
                .fetch_optional(&pool)
                .await
                .unwrap();
            assert!(row.is_some());
        }
    })
    .await;
    println!("{:<16} {baseline:>12.0} {:>8.2}", "mysql baseline", 1.0);
    for orm in ["sqlx", "diesel", "sea-orm"] {
        let (addr, counter) = proxy(upstream(3306), Protocol::Mysql).await;
        let mut proxied = url.replace("127.0.0.1:3306", &addr.to_string());
        if orm == "diesel" {
            // mysql_async would otherwise switch to the Unix socket and bypass the proxy.
            proxied.push_str("?prefer_socket=false");
        }
        let repos = setup::counted_mysql(orm, &proxied).await;
        measure(
            &format!("{orm}-mysql"),
            repos,
            secs,
            Some(&counter),
            baseline,
        )
        .await;
    }

    // SQLite
    let path = setup::sqlite_file("bench_sqlite");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(setup::sqlite_options(&path))
        .await
        .unwrap();
    setup::migrate(&pool, Dialect::Sqlite).await;
    let raw = yauth_backend_sqlx_sqlite::SqlxSqliteBackend::from_pool(pool.clone()).repositories();
    let token = seed(&raw).await;
    let sql = format!("{JOIN}? AND s.expires_at > ?");
    let baseline = rate(secs, || {
        let (pool, token, sql) = (pool.clone(), token.clone(), sql.clone());
        async move {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(token)
                .bind(yauth_entity::support::timestamp_to_text(now()))
                .fetch_optional(&pool)
                .await
                .unwrap();
            assert!(row.is_some());
        }
    })
    .await;
    println!("{:<16} {baseline:>12.0} {:>8.2}", "sqlite baseline", 1.0);
    measure("sqlx-sqlite", raw, secs, None, baseline).await;
    let diesel = yauth_backend_diesel_sqlite::DieselSqliteBackend::from_pool(
        diesel_async::pooled_connection::deadpool::Pool::builder(
            yauth_backend_diesel_sqlite::DieselSqliteBackend::manager(&path.display().to_string()),
        )
        .max_size(1)
        .build()
        .unwrap(),
    )
    .repositories();
    measure("diesel-sqlite", diesel, secs, None, baseline).await;
    let seaorm = yauth_backend_seaorm_sqlite::SeaOrmSqliteBackend::from_connection(
        sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool.clone()),
    )
    .repositories();
    measure("seaorm-sqlite", seaorm, secs, None, baseline).await;
}
