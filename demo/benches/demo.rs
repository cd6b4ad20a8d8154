//! `cargo bench -p yauth-demo`: figures printed, never asserted (a missed goal is printed,
//! not failed). Every ratio compares two measurements taken in the same run.
//!
//! 1. The session check: `GET /api/auth/session` with a valid cookie (and, in rows of their
//!    own, a bearer token and an API key) against a bare axum
//!    handler answering the same JSON, served by the same process. The load comes from
//!    keep-alive HTTP/1.1 connections over loopback, written by hand so that the client
//!    costs little. Bare and yauth alternate for a few rounds: each round's ratio compares
//!    two measurements a second apart, and the median of those ratios is printed, so that a
//!    neighbour's load that comes and goes hits both sides alike. Beside the rate: this
//!    process's CPU time per request (steadier on a shared machine) and its heap allocations
//!    per request. On PostgreSQL a counting proxy (`yauth_conformance::count`) also reports
//!    what each check sends: statements, round trips and pool pings. The `… + redis` rows
//!    run the same with Redis (127.0.0.1:6379) in front of PostgreSQL (`--redis-url`).
//! 2. Login latency with the default (OWASP) Argon2id parameters, split into the Argon2
//!    verification and everything else.
//! 3. Enumeration: median answer times of login (unknown email vs wrong password),
//!    `POST /forgot-password` and `POST /resend-verification` (known vs unknown email).
//! 4. The resident memory of the `yauth-demo` binary after 20 logins.
//! 5. Refresh-token rotations per second (`POST /token/refresh`), per vCPU, beside
//!    Keycloak's sizing figure.
//!
//! `cargo bench -p yauth-demo -- "session memory" mail` runs only the rows named so.

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
use yauth_conformance::count::{Protocol, proxy};
use yauth_demo::{Args, Orm};

/// Counts heap allocations, so that the bench can print how many one request costs.
struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";
/// Client connections of the session load.
const CONNECTIONS: usize = 8;
/// Bare and yauth each run this many times, alternating; the ratio is the median of the
/// rounds' ratios.
const ROUNDS: usize = 5;
/// One measurement.
const ROUND: Duration = Duration::from_secs(1);
/// Sequential checks counted by the proxy.
const COUNTED_CHECKS: u64 = 200;
/// Samples per median of the forgot-password and resend-verification figures.
const SAMPLES: usize = 101;
/// The pause after each of those requests: the background work of the last one is done.
const MAIL_GAP: Duration = Duration::from_millis(10);
/// Logins before the resident memory is read.
const LOGINS: usize = 20;
/// The end of a database URL whose rows put Redis in front of the database.
const REDIS_MARK: &str = "#redis";

fn args(database_url: String, orm: Orm) -> Args {
    // A `… + redis` row marks its database URL with `#redis`: Redis in front of it.
    let (database_url, redis) = match database_url.strip_suffix(REDIS_MARK) {
        Some(url) => (url.to_owned(), true),
        None => (database_url, false),
    };
    Args {
        redis_url: redis.then(|| "redis://127.0.0.1:6379".to_owned()),
        redis_prefix: format!("yauth-bench-{}:", std::process::id()),
        addr: "127.0.0.1:0".parse().unwrap(),
        orm,
        insecure_cookies: true,
        no_hibp: true,
        mail_from: "bench <bench@example.com>".into(),
        secret_key_file: Some(
            std::env::temp_dir().join(format!("yauth-bench-{}.key", std::process::id())),
        ),
        ..Args::new(database_url)
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
            failed_logins_before_reset: many,
            change_password: many,
            ..EmailPasswordRateLimits::default()
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
    get_with(path, &format!("Cookie: {cookie}"))
}

/// `GET path` with one credential header (`Cookie: …`, `Authorization: Bearer …`,
/// `X-Api-Key: …`).
fn get_with(path: &str, header: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\n{header}\r\n\r\n").into_bytes()
}

fn post(path: &str, body: &serde_json::Value) -> Vec<u8> {
    post_with(path, body, "")
}

/// `POST path` with a JSON body and extra header lines (each ending in `\r\n`).
fn post_with(path: &str, body: &serde_json::Value, headers: &str) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `POST path` with a form body and extra header lines (each ending in `\r\n`).
fn post_form(path: &str, body: &str, headers: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\n{headers}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The three credentials of one signed-in user, as request header lines.
struct Credentials {
    cookie: String,
    bearer: String,
    api_key: String,
}

fn credentials(email: &str) -> serde_json::Value {
    serde_json::json!({"email": email, "password": PASSWORD})
}

fn new_email() -> String {
    format!("{}@example.com", uuid::Uuid::new_v4().simple())
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

/// The demo app (fast hashing, no limits in the way), served; with a registered user's
/// signed-in cookie, an access token and an API key.
async fn signed_in(database_url: &str, orm: Orm) -> (SocketAddr, Credentials) {
    let app = yauth_demo::app(
        &args(database_url.to_owned(), orm),
        config(HashingConfig::insecure_fast_for_tests()),
    )
    .await
    .unwrap();
    let addr = serve(app).await;
    let mut conn = Conn::open(addr).await;
    let credentials = credentials(&new_email());
    assert_eq!(
        conn.call(&post("/api/auth/register", &credentials)).await.0,
        201
    );
    let (status, cookie, _) = conn.call(&post("/api/auth/login", &credentials)).await;
    assert_eq!(status, 200);
    let cookie = cookie.unwrap();
    let (status, _, body) = conn.call(&post("/api/auth/token", &credentials)).await;
    assert_eq!(status, 200);
    let pair: serde_json::Value = serde_json::from_slice(body).unwrap();
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let request = post_with(
        "/api/auth/api-keys",
        &serde_json::json!({"name": "bench"}),
        &format!("Cookie: {cookie}\r\n"),
    );
    let (status, _, body) = conn.call(&request).await;
    assert_eq!(status, 201);
    let key: serde_json::Value = serde_json::from_slice(body).unwrap();
    let credentials = Credentials {
        cookie: format!("Cookie: {cookie}"),
        bearer: format!("Authorization: Bearer {access}"),
        api_key: format!("X-Api-Key: {}", key["key"].as_str().unwrap()),
    };
    (addr, credentials)
}

/// Ory Hydra's published figure: introspections per second on 2 vCPU, in-memory store.
const HYDRA_INTROSPECTIONS: f64 = 5_109.0;

/// The authorization server: `client_credentials` tokens and introspections per second, on
/// one confidential client (registered through `POST /oauth/register`), with the limits out
/// of the way.
async fn oauth_rates(label: &str, database_url: &str, orm: Orm) {
    let args = Args {
        dcr_open: true,
        oauth_token_rate: 1_000_000,
        ..args(database_url.to_owned(), orm)
    };
    let app = yauth_demo::app(&args, config(HashingConfig::insecure_fast_for_tests()))
        .await
        .unwrap();
    let addr = serve(app).await;
    let mut conn = Conn::open(addr).await;
    let metadata = serde_json::json!({
        "grant_types": ["client_credentials"], "response_types": [], "scope": "profile"
    });
    let (status, _, body) = conn
        .call(&post("/api/auth/oauth/register", &metadata))
        .await;
    assert_eq!(status, 201);
    let client: serde_json::Value = serde_json::from_slice(body).unwrap();
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str().unwrap()
        ))
    };
    let auth = format!("Authorization: Basic {basic}\r\n");
    let token_request: Arc<[u8]> = post_form(
        "/api/auth/oauth/token",
        "grant_type=client_credentials",
        &auth,
    )
    .into();
    let (status, _, body) = conn.call(&token_request).await;
    assert_eq!(status, 200);
    let token: serde_json::Value = serde_json::from_slice(body).unwrap();
    let introspect: Arc<[u8]> = post_form(
        "/api/auth/oauth/introspect",
        &format!("token={}", token["access_token"].as_str().unwrap()),
        &auth,
    )
    .into();
    let mut tokens = Vec::new();
    let mut introspections = Vec::new();
    for _ in 0..ROUNDS {
        tokens.push(rate(addr, token_request.clone()).await);
        introspections.push(rate(addr, introspect.clone()).await);
    }
    let tokens = median_f64(tokens.iter().map(|r| r.per_second).collect());
    let introspection = median_f64(introspections.iter().map(|r| r.per_second).collect());
    println!(
        "| {label} | {tokens:.0} | {introspection:.0} | {:.2} |",
        introspection / HYDRA_INTROSPECTIONS
    );
}

/// CPU time this process's threads have run, in nanoseconds (the sum of their
/// `/proc/self/task/*/schedstat`).
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// One measurement: requests per second, and this process's CPU time per request in
/// microseconds (client and server; steadier than the rate when neighbours load the CPUs).
#[derive(Debug, Clone, Copy)]
struct Rate {
    per_second: f64,
    cpu_us: f64,
}

/// [`Rate`] of `request` over `CONNECTIONS` connections for `ROUND`, after a short warm-up;
/// every answer must be 200.
async fn rate(addr: SocketAddr, request: Arc<[u8]>) -> Rate {
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
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start_count = done.load(Ordering::Relaxed);
    let start_cpu = cpu_ns();
    let start = Instant::now();
    tokio::time::sleep(ROUND).await;
    let count = done.load(Ordering::Relaxed) - start_count;
    let cpu = cpu_ns() - start_cpu;
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    Rate {
        per_second: count as f64 / elapsed,
        cpu_us: cpu as f64 / 1000.0 / count as f64,
    }
}

/// Heap allocations per request (server and client together; the client's share is the same
/// for every route), over sequential requests on one connection.
async fn allocations(addr: SocketAddr, request: &[u8]) -> f64 {
    let mut conn = Conn::open(addr).await;
    for _ in 0..100 {
        assert_eq!(conn.call(request).await.0, 200);
    }
    let n = 2000;
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..n {
        assert_eq!(conn.call(request).await.0, 200);
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / f64::from(n)
}

fn median_f64(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The session check of one backend against the bare handler: one table row per credential
/// (cookie, bearer token, API key).
async fn session_rates(label: &str, database_url: &str, orm: Orm, goal: Option<f64>) {
    let (addr, credentials) = signed_in(database_url, orm).await;
    for (kind, header) in [
        ("cookie", &credentials.cookie),
        ("bearer", &credentials.bearer),
        ("API key", &credentials.api_key),
    ] {
        let cookie = credentials.cookie.trim_start_matches("Cookie: ");
        let wire = kind == "cookie";
        let goal = if wire { goal } else { None };
        credential_rates(
            &format!("{label}, {kind}"),
            addr,
            header,
            cookie,
            database_url,
            orm,
            goal,
            wire,
        )
        .await;
    }
}

/// One row: `GET /session` with `header` against the bare handler.
#[allow(clippy::too_many_arguments)]
async fn credential_rates(
    label: &str,
    addr: SocketAddr,
    header: &str,
    cookie: &str,
    database_url: &str,
    orm: Orm,
    goal: Option<f64>,
    wire: bool,
) {
    let mut conn = Conn::open(addr).await;
    let (status, _, body) = conn.call(&get_with("/api/auth/session", header)).await;
    assert_eq!(status, 200);
    let same: serde_json::Value = serde_json::from_slice(body).unwrap();
    drop(conn);

    let bare_app = axum::Router::new().route(
        "/bare",
        axum::routing::get(move || {
            let same = same.clone();
            async move { Json(same) }
        }),
    );
    let bare_addr = serve(bare_app).await;

    let bare_request: Arc<[u8]> = get_with("/bare", header).into();
    let yauth_request: Arc<[u8]> = get_with("/api/auth/session", header).into();
    let (mut bare, mut yauth, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bare_cpu, mut yauth_cpu) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let b = rate(bare_addr, bare_request.clone()).await;
        let y = rate(addr, yauth_request.clone()).await;
        bare.push(b.per_second);
        yauth.push(y.per_second);
        ratios.push(y.per_second / b.per_second);
        bare_cpu.push(b.cpu_us);
        yauth_cpu.push(y.cpu_us);
    }
    let (bare, yauth, ratio) = (median_f64(bare), median_f64(yauth), median_f64(ratios));
    let (bare_cpu, yauth_cpu) = (median_f64(bare_cpu), median_f64(yauth_cpu));
    let allocs_bare = allocations(bare_addr, &bare_request).await;
    let allocs_yauth = allocations(addr, &yauth_request).await;
    let goal = match goal {
        Some(goal) if ratio >= goal => format!("≥ {goal:.2} met"),
        Some(goal) => format!("≥ {goal:.2} missed"),
        None => "none".to_owned(),
    };
    let wire = match database_url.split(':').next() {
        Some("postgres") if wire => per_check(database_url, orm, cookie).await,
        Some("postgres") => "(counted for the cookie)".to_owned(),
        _ => "(no network)".to_owned(),
    };
    println!(
        "| {label} | {yauth:>7.0} | {bare:>7.0} | {ratio:.2} | {goal} | {yauth_cpu:.1} / {bare_cpu:.1} ({:.2}) | {allocs_yauth:.1} / {allocs_bare:.1} | {wire} |",
        bare_cpu / yauth_cpu
    );
}

/// What one session check sends to PostgreSQL: the same app, its pool connected through a
/// counting proxy, checks `COUNTED_CHECKS` times one after the other.
async fn per_check(database_url: &str, orm: Orm, cookie: &str) -> String {
    // postgres://user@host:port/db: the proxy takes host:port's place.
    let (scheme_user, rest) = database_url.split_once('@').unwrap();
    let (host_port, database) = rest.split_once('/').unwrap();
    let upstream = tokio::net::lookup_host(host_port)
        .await
        .unwrap()
        .next()
        .unwrap();
    let (proxy_addr, counter) = proxy(upstream, Protocol::Postgres).await;
    let proxied = format!("{scheme_user}@{proxy_addr}/{database}");
    let app = yauth_demo::app(
        &args(proxied, orm),
        config(HashingConfig::insecure_fast_for_tests()),
    )
    .await
    .unwrap();
    let addr = serve(app).await;
    let mut conn = Conn::open(addr).await;
    let request = get("/api/auth/session", cookie);
    // Warm-up: connections opened, statements prepared, the maintenance round done.
    for _ in 0..20 {
        assert_eq!(conn.call(&request).await.0, 200);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    counter.take();
    for _ in 0..COUNTED_CHECKS {
        assert_eq!(conn.call(&request).await.0, 200);
    }
    // sqlx pings a connection when it goes back to the pool, after the answer.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let counts = counter.take();
    let each = |n: u64| n as f64 / COUNTED_CHECKS as f64;
    format!(
        "{:.2} / {:.2} / {:.2}",
        each(counts.statements),
        each(counts.round_trips),
        each(counts.pings)
    )
}

/// Refresh rotations per second: `CONNECTIONS` clients, each rotating its own family in a
/// loop (every answer's refresh token is the next request's), for `ROUND` × `ROUNDS`. The
/// app is yauth with email-password and bearer on `database_url`, the refresh limit out of
/// the way.
async fn refresh_rotations(label: &str, database_url: &str, orm: Orm) {
    use yauth::prelude::*;
    let backend = yauth_demo::backend(database_url, orm).await.unwrap();
    let many = Limit::per_minute(1_000_000);
    let yauth = YAuthBuilder::new(
        yauth_demo::BoxedBackend(backend),
        YAuthConfig {
            secret_key: Some(SecretKey::generate()),
            ..YAuthConfig::default()
        },
    )
    .with_email_password(EmailPasswordConfig {
        require_email_verification: false,
        ..config(HashingConfig::insecure_fast_for_tests())
    })
    .with_bearer(BearerConfig {
        rate_limits: yauth::bearer::BearerRateLimits {
            refresh_per_ip: many,
        },
        ..BearerConfig::default()
    })
    .build()
    .await
    .unwrap();
    let addr = serve(
        axum::Router::new()
            .nest("/api/auth", yauth.router())
            .with_state(yauth.state().clone()),
    )
    .await;
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (done, stop) = (done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            let credentials = credentials(&new_email());
            assert_eq!(
                conn.call(&post("/api/auth/register", &credentials)).await.0,
                201
            );
            let (status, _, body) = conn.call(&post("/api/auth/token", &credentials)).await;
            assert_eq!(status, 200);
            let pair: serde_json::Value = serde_json::from_slice(body).unwrap();
            let mut token = pair["refresh_token"].as_str().unwrap().to_owned();
            while !stop.load(Ordering::Relaxed) {
                let body = serde_json::json!({"refresh_token": token});
                let (status, _, answer) = conn.call(&post("/api/auth/token/refresh", &body)).await;
                assert_eq!(status, 200);
                let pair: serde_json::Value = serde_json::from_slice(answer).unwrap();
                token = pair["refresh_token"].as_str().unwrap().to_owned();
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut rates = Vec::new();
    for _ in 0..ROUNDS {
        let (count, start) = (done.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(ROUND).await;
        let count = done.load(Ordering::Relaxed) - count;
        rates.push(count as f64 / start.elapsed().as_secs_f64());
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let rate = median_f64(rates);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!(
        "| {label} | {rate:.0} | {:.0} | {:.1}× | {:.2}× |",
        rate / cpus,
        rate / cpus / 120.0,
        rate / cpus / 1000.0
    );
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Times one call that must answer `status`.
async fn timed(conn: &mut Conn, request: &[u8], status: u16) -> Duration {
    let start = Instant::now();
    assert_eq!(conn.call(request).await.0, status);
    start.elapsed()
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
    let good = credentials(email);
    assert_eq!(conn.call(&post("/api/auth/register", &good)).await.0, 201);

    let hasher = Hasher::new(&hashing).unwrap();
    let stored = hasher.hash(PASSWORD).await.unwrap();
    let good = post("/api/auth/login", &good);
    let wrong = post(
        "/api/auth/login",
        &serde_json::json!({"email": email, "password": "not-the-password-1"}),
    );
    let unknown = post(
        "/api/auth/login",
        &serde_json::json!({"email": "nobody@example.com", "password": "not-the-password-1"}),
    );
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
        login.push(timed(&mut conn, &good, 200).await);
        wrong_times.push(timed(&mut conn, &wrong, 401).await);
        unknown_times.push(timed(&mut conn, &unknown, 401).await);
    }
    let (argon, login) = (median(argon), median(login));
    println!(
        "  login (200) median {}: Argon2 verification {} ({:.0}%), the rest {}",
        ms(login),
        ms(argon),
        argon.as_secs_f64() / login.as_secs_f64() * 100.0,
        ms(login.saturating_sub(argon))
    );
    println!("\nLogin enumeration (401 both; median of 25, interleaved):");
    println!(
        "  wrong password for a known email: {}",
        ms(median(wrong_times))
    );
    println!(
        "  unknown email:                    {}",
        ms(median(unknown_times))
    );
}

/// Median answer times of forgot-password and resend-verification for a registered,
/// unverified email and for an unknown one: one table row.
async fn mail_medians(label: &str, database_url: &str, orm: Orm) {
    let (addr, _) = signed_in(database_url, orm).await;
    let mut conn = Conn::open(addr).await;
    let known = new_email();
    assert_eq!(
        conn.call(&post("/api/auth/register", &credentials(&known)))
            .await
            .0,
        201
    );
    let unknown = new_email();
    let mut cells = Vec::new();
    for path in ["/api/auth/forgot-password", "/api/auth/resend-verification"] {
        let known = post(path, &serde_json::json!({ "email": known }));
        let unknown = post(path, &serde_json::json!({ "email": unknown }));
        let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
        for i in 0..SAMPLES {
            // Alternate which goes first, and let the spawned lookup, writes and mail finish
            // before the next request, so that neither side pays for the other's background
            // work.
            let (first, second) = if i % 2 == 0 {
                (&known, &unknown)
            } else {
                (&unknown, &known)
            };
            let a = timed(&mut conn, first, 200).await;
            tokio::time::sleep(MAIL_GAP).await;
            let b = timed(&mut conn, second, 200).await;
            tokio::time::sleep(MAIL_GAP).await;
            let (k, u) = if i % 2 == 0 { (a, b) } else { (b, a) };
            known_times.push(k);
            unknown_times.push(u);
        }
        cells.push(spread(known_times));
        cells.push(spread(unknown_times));
    }
    println!("| {label} | {} |", cells.join(" | "));
}

/// `median [first quartile – third quartile]`.
fn spread(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: usize| samples[(samples.len() - 1) * q / 4].as_secs_f64() * 1000.0;
    format!("{:.2} ms [{:.2}–{:.2}]", at(2), at(1), at(3))
}

/// A `/proc/<pid>/status` field, e.g. `VmRSS`.
fn proc_status(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or("?")
        .trim()
        .to_owned()
}

/// Starts the real binary (default Argon2id parameters and limits), registers one user, signs
/// it in `LOGINS` times, and reads the process's resident memory.
async fn rss_after_logins(label: &str, database_url: &str, orm: &str) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_yauth-demo"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(["--database-url", database_url, "--orm", orm, "--no-hibp"])
        .env("RUST_LOG", "error")
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
    let pid = child.id().unwrap();
    let started = proc_status(pid, "VmRSS");
    let email = new_email();
    let mut conn = Conn::open(addr).await;
    assert_eq!(
        conn.call(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n").await.0,
        200
    );
    assert_eq!(
        conn.call(&post("/api/auth/register", &credentials(&email)))
            .await
            .0,
        201
    );
    // The default limit allows 20 logins a minute per client address.
    let login = post("/api/auth/login", &credentials(&email));
    let mut ok = 0;
    for _ in 0..LOGINS {
        ok += usize::from(conn.call(&login).await.0 == 200);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "| {label} | {started} | {ok} of {LOGINS} | {} | {} |",
        proc_status(pid, "VmRSS"),
        proc_status(pid, "VmHWM")
    );
    child.kill().await.unwrap();
}

/// Drops the bench's PostgreSQL databases (the pools still open to them included).
async fn drop_databases(urls: &[String]) {
    let server = yauth_conformance::setup::pg_server();
    let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    for url in urls {
        let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&admin)
        .await
        .unwrap();
    }
    admin.close().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`. Other words pick rows: a row runs when a word occurs in
    // its name, `<section> <backend>` (sections `session`, `login`, `refresh`, `oauth`, `mail`,
    // `rss`), e.g.
    // `cargo bench -p yauth-demo -- "session memory" mail`.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |row: &str| filters.is_empty() || filters.iter().any(|f| row.contains(f.as_str()));
    let started = Instant::now();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "yauth-demo bench: {} CPUs, load average at start {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    // Loopback: no TLS (sqlx would otherwise negotiate it, diesel-async never does).
    let pg = format!(
        "{}?sslmode=disable",
        yauth_conformance::setup::postgres_database("bench_pg").await
    );
    let mut databases = vec![pg.clone()];
    let pg_redis = format!("{pg}{REDIS_MARK}");
    let backends = [
        ("memory", "memory", Orm::Sqlx),
        ("sqlite (sqlx)", sqlite.as_str(), Orm::Sqlx),
        ("sqlite (diesel)", sqlite.as_str(), Orm::Diesel),
        ("postgres (sqlx)", pg.as_str(), Orm::Sqlx),
        ("postgres (diesel)", pg.as_str(), Orm::Diesel),
        ("postgres (sqlx) + redis", pg_redis.as_str(), Orm::Sqlx),
        ("postgres (diesel) + redis", pg_redis.as_str(), Orm::Diesel),
    ];
    let picked = |section: &str, labels: &[&str]| -> Vec<(String, &str, Orm)> {
        backends
            .iter()
            .filter(|(label, _, _)| labels.contains(label))
            .map(|(label, url, orm)| (format!("{section} {label}"), *url, *orm))
            .filter(|(row, _, _)| run(row))
            .collect()
    };

    let rows = picked(
        "session",
        &[
            "memory",
            "sqlite (sqlx)",
            "sqlite (diesel)",
            "postgres (sqlx)",
            "postgres (diesel)",
            "postgres (sqlx) + redis",
            "postgres (diesel) + redis",
        ],
    );
    if !rows.is_empty() {
        println!(
            "\nGET /session with a valid cookie vs a bare axum handler answering the same JSON \
             ({CONNECTIONS} keep-alive connections, {ROUNDS} alternating rounds of {}s each: \
             median req/s of each side, median of the rounds' ratios).\n\
             CPU per request: this process's threads (client and server; not the database server), \
             median of the rounds. Allocations per request: the whole process over sequential requests. \
             Per check on PostgreSQL, counted by a proxy over {COUNTED_CHECKS} sequential checks: \
             statements / round trips / pool pings (sqlx pings a connection as it goes back to \
             the pool, after the answer).\n",
            ROUND.as_secs()
        );
        println!(
            "| backend | yauth req/s | bare req/s | ratio | goal | CPU µs per request, yauth / bare (ratio) | allocations per request, yauth / bare | per check |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        for (row, url, orm) in rows {
            let label = row.trim_start_matches("session ");
            // Issue 9's goals: 0.90 of bare on memory, 0.20 on PostgreSQL.
            let goal = match url.split(':').next() {
                Some("memory") => Some(0.90),
                Some("postgres") => Some(0.20),
                _ => None,
            };
            session_rates(label, url, orm, goal).await;
        }
    }

    if run("login") {
        login_split().await;
    }

    let rows = picked(
        "refresh",
        &["memory", "postgres (sqlx)", "postgres (diesel)"],
    );
    if !rows.is_empty() {
        println!(
            "\nPOST /token/refresh: rotations per second ({CONNECTIONS} clients, each rotating its \
             own family one refresh after the other; median of {ROUNDS} rounds of {}s). Anchor: \
             Keycloak's sizing guide, 120 refreshes/s per vCPU; aim: 1,000 per vCPU.\n",
            ROUND.as_secs()
        );
        println!(
            "| backend | rotations/s | per vCPU | vs Keycloak's 120 | vs the 1,000 aim |\n|---|---|---|---|---|"
        );
        for (row, url, orm) in rows {
            refresh_rotations(row.trim_start_matches("refresh "), url, orm).await;
        }
    }

    let rows = picked("oauth", &["memory", "postgres (sqlx)", "postgres (diesel)"]);
    if !rows.is_empty() {
        println!(
            "\nThe authorization server: POST /oauth/token (client_credentials: an RS256 JWT \
             signed and recorded) and POST /oauth/introspect (the JWT verified, its row read) per \
             second ({CONNECTIONS} keep-alive connections, client authentication by Basic; \
             median of {ROUNDS} rounds of {}s). Anchor: Ory Hydra, {HYDRA_INTROSPECTIONS:.0} \
             introspections/s on 2 vCPU with an in-memory store.\n",
            ROUND.as_secs()
        );
        println!("| backend | tokens/s | introspections/s | vs Hydra |\n|---|---|---|---|");
        for (row, url, orm) in rows {
            oauth_rates(row.trim_start_matches("oauth "), url, orm).await;
        }
    }

    let rows = picked("mail", &["memory", "postgres (sqlx)", "postgres (diesel)"]);
    if !rows.is_empty() {
        println!(
            "\nForgot-password and resend-verification (200 both): answer times of {SAMPLES} \
             requests each, a registered unverified email vs an unknown one, interleaved, {} ms \
             apart; median [quartiles]:\n",
            MAIL_GAP.as_millis()
        );
        println!(
            "| backend | forgot known | forgot unknown | resend known | resend unknown |\n|---|---|---|---|---|"
        );
        for (row, url, orm) in rows {
            mail_medians(row.trim_start_matches("mail "), url, orm).await;
        }
    }

    let rows = picked(
        "rss",
        &[
            "memory",
            "sqlite (sqlx)",
            "postgres (sqlx)",
            "postgres (diesel)",
        ],
    );
    if !rows.is_empty() {
        println!(
            "\nResident memory of the yauth-demo binary (default Argon2id, m = 19 MiB): after \
             start, then after one registration and {LOGINS} logins one after the other (goal: \
             under 64 MB):\n"
        );
        println!(
            "| database | RSS at start | logins 200 | RSS after | peak RSS |\n|---|---|---|---|---|"
        );
        for (row, url, orm) in rows {
            let label = row.trim_start_matches("rss ");
            let orm = if orm == Orm::Diesel { "diesel" } else { "sqlx" };
            // A fresh database each: the login limit's counter lives in the database.
            let url = match url.split(':').next() {
                Some("postgres") => {
                    let tag = format!("bench_rss_{orm}");
                    let url = yauth_conformance::setup::postgres_database(&tag).await;
                    databases.push(url.clone());
                    url
                }
                Some("sqlite") => format!("sqlite://{}", dir.path().join("rss.db").display()),
                _ => url.to_owned(),
            };
            rss_after_logins(label, &url, orm).await;
        }
    }

    drop_databases(&databases).await;
    println!(
        "\nTotal bench time: {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
