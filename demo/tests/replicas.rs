//! Two demo processes (replicas) on one PostgreSQL database and one Redis.
//!
//! Each replica caches the session check, API keys and users in Redis. What ends or changes a
//! credential on replica A (logout, ban, user delete, password reset, API-key delete) must
//! take effect on replica B at its next request, although B had it cached; the login rate
//! limit counts the attempts of both. And a session check that Redis answers sends nothing
//! to the database, counted on the wire.

use std::time::Duration;

#[path = "support/process.rs"]
mod process;
#[path = "../../runtime/yauth/tests/support/smtp_sink.rs"]
mod smtp_sink;

use process::DemoProcess;
use serde_json::{Value, json};
use smtp_sink::SmtpSink;

const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";
const SECRET_KEY: &str = "5e1c2b3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7bb";

/// A demo process with Redis in front of the database.
struct Replica(DemoProcess);

impl Replica {
    async fn start(database_url: &str, smtp: u16, prefix: &str) -> Replica {
        let smtp_url = format!("smtp://127.0.0.1:{smtp}");
        Replica(
            DemoProcess::start(
                &[
                    "--database-url",
                    database_url,
                    "--no-hibp",
                    "--insecure-cookies",
                    "--plugins",
                    "email-password,bearer,api-key,admin",
                    "--smtp-url",
                    &smtp_url,
                    // The test names its clients' addresses, so each flow has its own limits.
                    "--trusted-proxy",
                    "127.0.0.1/32",
                    "--redis-url",
                    "redis://127.0.0.1:6379",
                    "--redis-prefix",
                    prefix,
                ],
                &[("YAUTH_SECRET_KEY", SECRET_KEY)],
            )
            .await,
        )
    }

    /// `method path` from client `ip`, with a credential header if any.
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Value,
        credential: Option<(&str, &str)>,
        ip: &str,
    ) -> (u16, Value, Option<String>) {
        let client = reqwest::Client::new();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = client
            .request(method, format!("{}{path}", self.0.base))
            .header("x-forwarded-for", ip);
        if !body.is_null() {
            request = request.json(&body);
        }
        if let Some((name, value)) = credential {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .filter(|c| !c.ends_with('='))
            .map(str::to_owned);
        (status, response.json().await.unwrap_or(Value::Null), cookie)
    }

    async fn session(&self, credential: (&str, &str), ip: &str) -> u16 {
        self.call("GET", "/session", Value::Null, Some(credential), ip)
            .await
            .0
    }
}

/// Registers `email` on `a` and signs in: the `Cookie` header's value.
async fn signed_up(a: &Replica, email: &str, ip: &str) -> String {
    let credentials = json!({"email": email, "password": PASSWORD});
    let (status, body, _) = a
        .call("POST", "/register", credentials.clone(), None, ip)
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body, cookie) = a.call("POST", "/login", credentials, None, ip).await;
    assert_eq!(status, 200, "{body}");
    cookie.expect("a session cookie")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_replica_a_ends_stops_working_on_replica_b_at_its_next_request() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let database_url = yauth_conformance::setup::postgres_database("replicas").await;
    let sink = SmtpSink::start().await;
    let prefix = format!("yauth-replicas-{}:", uuid::Uuid::new_v4().simple());
    let a = Replica::start(&database_url, sink.addr.port(), &prefix).await;
    let b = Replica::start(&database_url, sink.addr.port(), &prefix).await;
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();

    // An admin, its role given in the database before it signs in.
    let ip = "203.0.113.1";
    let credentials = json!({"email": "root@example.com", "password": PASSWORD});
    assert_eq!(
        a.call("POST", "/register", credentials.clone(), None, ip)
            .await
            .0,
        201
    );
    sqlx::query("UPDATE yauth_users SET role = 'admin' WHERE email = 'root@example.com'")
        .execute(&pool)
        .await
        .unwrap();
    let (_, _, root) = a.call("POST", "/login", credentials, None, ip).await;
    let root = root.unwrap();
    let admin = ("cookie", root.as_str());
    let id_of = |email: &'static str| {
        let pool = pool.clone();
        async move {
            let (id,): (uuid::Uuid,) =
                sqlx::query_as("SELECT id FROM yauth_users WHERE email = $1")
                    .bind(email)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            id
        }
    };

    // Logout on A.
    let ip = "203.0.113.2";
    let cookie = signed_up(&a, "logout@example.com", ip).await;
    assert_eq!(b.session(("cookie", &cookie), ip).await, 200);
    let (status, _, _) = a
        .call(
            "POST",
            "/logout",
            Value::Null,
            Some(("cookie", &cookie)),
            ip,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(b.session(("cookie", &cookie), ip).await, 401, "logout");

    // A ban on A.
    let ip = "203.0.113.3";
    let cookie = signed_up(&a, "ban@example.com", ip).await;
    assert_eq!(b.session(("cookie", &cookie), ip).await, 200);
    let id = id_of("ban@example.com").await;
    let (status, body, _) = a
        .call(
            "POST",
            &format!("/admin/users/{id}/ban"),
            json!({}),
            Some(admin),
            ip,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The ban ends the sessions (401); a session that outlived it would be refused (403).
    let status = b.session(("cookie", &cookie), ip).await;
    assert!(status == 401 || status == 403, "ban: {status}");

    // A user deleted on A.
    let ip = "203.0.113.4";
    let cookie = signed_up(&a, "delete@example.com", ip).await;
    assert_eq!(b.session(("cookie", &cookie), ip).await, 200);
    let id = id_of("delete@example.com").await;
    let (status, body, _) = a
        .call(
            "DELETE",
            &format!("/admin/users/{id}"),
            Value::Null,
            Some(admin),
            ip,
        )
        .await;
    assert!((200..300).contains(&status), "{body}");
    assert_eq!(b.session(("cookie", &cookie), ip).await, 401, "user delete");

    // A password reset on A.
    let ip = "203.0.113.5";
    let cookie = signed_up(&a, "reset@example.com", ip).await;
    assert_eq!(b.session(("cookie", &cookie), ip).await, 200);
    let before = sink.received().len();
    a.call(
        "POST",
        "/forgot-password",
        json!({"email": "reset@example.com"}),
        None,
        ip,
    )
    .await;
    sink.wait_for(before + 1).await;
    let token = sink.last_token("reset@example.com").expect("a reset link");
    let (status, body, _) = a
        .call(
            "POST",
            "/reset-password",
            json!({"token": token, "password": "An0ther-fine-pass"}),
            None,
            ip,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        b.session(("cookie", &cookie), ip).await,
        401,
        "password reset"
    );

    // An API key deleted on A.
    let ip = "203.0.113.6";
    let cookie = signed_up(&a, "key@example.com", ip).await;
    let (status, created, _) = a
        .call(
            "POST",
            "/api-keys",
            json!({"name": "k"}),
            Some(("cookie", &cookie)),
            ip,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(b.session(("x-api-key", &key), ip).await, 200);
    assert_eq!(b.session(("x-api-key", &key), ip).await, 200);
    let (status, _, _) = a
        .call(
            "DELETE",
            &format!("/api-keys/{}", created["id"].as_str().unwrap()),
            Value::Null,
            Some(("cookie", &cookie)),
            ip,
        )
        .await;
    assert!((200..300).contains(&status));
    assert_eq!(
        b.session(("x-api-key", &key), ip).await,
        401,
        "API-key delete"
    );

    // The login limit (20 a minute per client) counts both replicas' attempts: the 21st is
    // refused, as it would be on one replica.
    let ip = "203.0.113.7";
    // Each attempt names another email, so only the per-client limit counts.
    let wrong = |i: usize| json!({"email": format!("nobody{i}@example.com"), "password": "not-the-password"});
    for i in 0..20 {
        let replica = if i % 2 == 0 { &a } else { &b };
        let (status, _, _) = replica.call("POST", "/login", wrong(i), None, ip).await;
        assert_eq!(status, 401, "attempt {i}");
    }
    assert_eq!(b.call("POST", "/login", wrong(20), None, ip).await.0, 429);
    assert_eq!(a.call("POST", "/login", wrong(21), None, ip).await.0, 429);
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_check_answered_by_redis_sends_nothing_to_the_database() {
    use yauth_conformance::count::{Protocol, proxy};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let database_url = yauth_conformance::setup::postgres_database("redis_trips").await;
    // postgres://user@host:port/db: the counting proxy takes host:port's place.
    let (user, rest) = database_url.split_once('@').unwrap();
    let (host_port, database) = rest.split_once('/').unwrap();
    let upstream = tokio::net::lookup_host(host_port)
        .await
        .unwrap()
        .next()
        .unwrap();
    let (proxy_addr, counter) = proxy(upstream, Protocol::Postgres).await;
    let key_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::remove_file(key_file.path()).unwrap();
    let mut args = yauth_demo::Args::new(format!("{user}@{proxy_addr}/{database}?sslmode=disable"));
    args.addr = "127.0.0.1:0".parse().unwrap();
    args.no_hibp = true;
    args.insecure_cookies = true;
    args.plugins = vec!["email-password".into()];
    args.secret_key_file = Some(key_file.path().to_owned());
    args.redis_url = Some("redis://127.0.0.1:6379".into());
    args.redis_prefix = format!("yauth-trips-{}:", uuid::Uuid::new_v4().simple());
    let server = yauth_demo::start(args).await.unwrap();
    let base = format!("http://{}/api/auth", server.addr);
    let client = reqwest::Client::new();
    let credentials = json!({"email": "trips@example.com", "password": PASSWORD});
    let r = client
        .post(format!("{base}/register"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(format!("{base}/login"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let check = || {
        client
            .get(format!("{base}/session"))
            .header("cookie", &cookie)
            .send()
    };
    // The first check fills Redis.
    assert_eq!(check().await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    counter.take();
    for _ in 0..20 {
        assert_eq!(check().await.unwrap().status(), 200);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let counts = counter.take();
    assert_eq!(
        (counts.statements, counts.round_trips, counts.pings),
        (0, 0, 0),
        "20 cached session checks reached the database"
    );
}
