//! `cargo bench -p yauth-demo`: figures printed, never asserted.
//!
//! 1. `GET /session` with a valid cookie against a bare axum handler answering the same
//!    JSON, in the same server and run: requests per second and their ratio, on the memory,
//!    SQLite and PostgreSQL backends (sqlx and diesel). The load comes from keep-alive
//!    HTTP/1.1 connections over loopback, written by hand so that the client costs little.
//! 2. Login latency with the default (OWASP) Argon2id parameters, split into the Argon2
//!    verification and everything else.
//! 3. Enumeration: the median login time for an unknown email and for a wrong password.
//! 4. The idle resident memory of the `yauth-demo` binary.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use yauth::email_password::{EmailPasswordConfig, EmailPasswordRateLimits};
use yauth::kit::limits::Limit;
use yauth::mail::RecordingMailer;
use yauth::password::{Hasher, HashingConfig};
use yauth_demo::{Args, Orm};

const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";
const CONNECTIONS: usize = 8;
const RUN: Duration = Duration::from_secs(3);

fn args(database_url: String, orm: Orm) -> Args {
    Args {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url,
        orm,
        require_email_verification: false,
        insecure_cookies: true,
        hibp_url: None,
        no_hibp: true,
        smtp_url: None,
        public_url: None,
        mail_from: "bench <bench@example.com>".into(),
        trusted_proxies: Vec::new(),
    }
}

fn config(hashing: HashingConfig) -> EmailPasswordConfig {
    let many = Limit::per_minute(1_000_000);
    EmailPasswordConfig {
        hashing,
        mailer: Some(Arc::new(RecordingMailer::new())),
        hibp: None,
        rate_limits: EmailPasswordRateLimits {
            login_per_ip: many,
            register_per_ip: many,
            mail_per_ip: many,
            mail_per_email: many,
            failed_logins_per_email: many,
            change_password: many,
        },
        ..EmailPasswordConfig::default()
    }
}

/// One HTTP/1.1 keep-alive connection.
struct Conn {
    io: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            io: BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// Sends `request` and reads the answer: (status, Set-Cookie, body).
    async fn call(&mut self, request: &[u8]) -> (u16, Option<String>, &[u8]) {
        self.io.get_mut().write_all(request).await.unwrap();
        self.line.clear();
        self.io.read_line(&mut self.line).await.unwrap();
        let status: u16 = self.line[9..12].parse().unwrap();
        let mut length = 0usize;
        let mut cookie = None;
        loop {
            self.line.clear();
            self.io.read_line(&mut self.line).await.unwrap();
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            } else if name.eq_ignore_ascii_case("set-cookie") {
                cookie = Some(value.trim().split(';').next().unwrap().to_owned());
            }
        }
        self.body.resize(length, 0);
        self.io.read_exact(&mut self.body).await.unwrap();
        (status, cookie, &self.body)
    }
}

fn get(path: &str, cookie: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\nCookie: {cookie}\r\n\r\n").into_bytes()
}

fn post(path: &str, body: &serde_json::Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `router` on a free loopback port.
async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).await.unwrap();
    });
    addr
}

/// Requests per second of `request` over `CONNECTIONS` connections for `RUN`; every answer
/// must be 200.
async fn rate(addr: SocketAddr, request: Vec<u8>) -> f64 {
    let request: Arc<[u8]> = request.into();
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (request, done, stop) = (request.clone(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            while !stop.load(Ordering::Relaxed) {
                let (status, _, _) = conn.call(&request).await;
                assert_eq!(status, 200);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Warm up, then count.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start_count = done.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(RUN).await;
    let count = done.load(Ordering::Relaxed) - start_count;
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    count as f64 / elapsed
}

/// The app with a bare `/bare` route answering the same JSON as `/api/auth/session`, and a
/// signed-in cookie.
async fn session_rates(label: &str, database_url: String, orm: Orm) {
    let app = yauth_demo::app(
        &args(database_url, orm),
        config(HashingConfig::insecure_fast_for_tests()),
    )
    .await
    .unwrap();
    let addr = serve(app.clone()).await;
    let mut conn = Conn::open(addr).await;
    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
    let credentials = serde_json::json!({"email": email, "password": PASSWORD});
    assert_eq!(
        conn.call(&post("/api/auth/register", &credentials)).await.0,
        201
    );
    let (status, cookie, _) = conn.call(&post("/api/auth/login", &credentials)).await;
    assert_eq!(status, 200);
    let cookie = cookie.unwrap();
    let (status, _, body) = conn.call(&get("/api/auth/session", &cookie)).await;
    assert_eq!(status, 200);
    let same: serde_json::Value = serde_json::from_slice(body).unwrap();

    let bare_app = axum::Router::new().route(
        "/bare",
        axum::routing::get(move || {
            let same = same.clone();
            async move { Json(same) }
        }),
    );
    let bare_addr = serve(bare_app).await;

    let bare = rate(bare_addr, get("/bare", &cookie)).await;
    let yauth = rate(addr, get("/api/auth/session", &cookie)).await;
    println!(
        "| {label} | {yauth:>9.0} | {bare:>9.0} | {:.2} |",
        yauth / bare
    );
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn login_split() {
    let hashing = HashingConfig::default();
    println!(
        "\nLogin with the default Argon2id parameters (m = {} KiB, t = {}, p = {}), memory backend, sequential:",
        hashing.memory_kib, hashing.iterations, hashing.parallelism
    );
    let app = yauth_demo::app(&args("memory".into(), Orm::Sqlx), config(hashing.clone()))
        .await
        .unwrap();
    let addr = serve(app).await;
    let mut conn = Conn::open(addr).await;
    let email = "split@example.com";
    let good = serde_json::json!({"email": email, "password": PASSWORD});
    assert_eq!(conn.call(&post("/api/auth/register", &good)).await.0, 201);

    let hasher = Hasher::new(&hashing).unwrap();
    let stored = hasher.hash(PASSWORD).await.unwrap();
    let wrong = serde_json::json!({"email": email, "password": "not-the-password-1"});
    let unknown =
        serde_json::json!({"email": "nobody@example.com", "password": "not-the-password-1"});
    let (mut argon, mut login, mut wrong_times, mut unknown_times) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..25 {
        let t = Instant::now();
        assert!(
            hasher
                .verify(PASSWORD, Some(&stored))
                .await
                .unwrap()
                .matches
        );
        argon.push(t.elapsed());

        let t = Instant::now();
        assert_eq!(conn.call(&post("/api/auth/login", &good)).await.0, 200);
        login.push(t.elapsed());

        let t = Instant::now();
        assert_eq!(conn.call(&post("/api/auth/login", &wrong)).await.0, 401);
        wrong_times.push(t.elapsed());

        let t = Instant::now();
        assert_eq!(conn.call(&post("/api/auth/login", &unknown)).await.0, 401);
        unknown_times.push(t.elapsed());
    }
    let (argon, login) = (median(argon), median(login));
    println!(
        "  login (200) median {}: Argon2 verification {} ({:.0}%), the rest {}",
        ms(login),
        ms(argon),
        argon.as_secs_f64() / login.as_secs_f64() * 100.0,
        ms(login.saturating_sub(argon))
    );
    println!("\nEnumeration (401 both; median of 25, interleaved):");
    println!(
        "  wrong password for a known email: {}",
        ms(median(wrong_times))
    );
    println!(
        "  unknown email:                    {}",
        ms(median(unknown_times))
    );
}

/// Starts the real binary, waits until it listens, and reads its resident set.
async fn idle_rss(database_url: &str) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_yauth-demo"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(["--database-url", database_url, "--no-hibp"])
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    for _ in 0..500 {
        if TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Touch the page once, then let it idle.
    let mut conn = Conn::open(addr).await;
    let _ = conn.call(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n").await;
    drop(conn);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = child.id().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: ?")
        .trim_start_matches("VmRSS:")
        .trim()
        .to_owned();
    println!("  {database_url}: {rss}");
    child.kill().await.unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter we do not support.
    println!(
        "GET /session with a valid cookie vs a bare axum handler answering the same JSON ({CONNECTIONS} keep-alive connections, {}s each):\n",
        RUN.as_secs()
    );
    println!("| backend | yauth req/s | bare req/s | ratio |");
    println!("|---|---|---|---|");
    session_rates("memory", "memory".into(), Orm::Sqlx).await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    session_rates("sqlite (sqlx)", sqlite.clone(), Orm::Sqlx).await;
    session_rates("sqlite (diesel)", sqlite, Orm::Diesel).await;
    let pg = yauth_conformance::setup::postgres_database("bench_pg").await;
    session_rates("postgres (sqlx)", pg.clone(), Orm::Sqlx).await;
    session_rates("postgres (diesel)", pg, Orm::Diesel).await;

    login_split().await;

    println!("\nIdle resident memory of the demo binary (RSS after start and one page view):");
    idle_rss("memory").await;
    idle_rss(&format!("sqlite://{}", dir.path().join("rss.db").display())).await;
}
