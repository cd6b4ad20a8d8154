//! The demo server over a real socket (reqwest with a cookie jar): every email-password flow
//! on the memory, SQLite (sqlx), PostgreSQL (diesel) and MariaDB (sea-orm) backends, with
//! mail going through `--smtp-url` to an SMTP server started by the test on 127.0.0.1.

#[path = "../../runtime/yauth/tests/support/smtp_sink.rs"]
mod smtp_sink;

use serde_json::{Value, json};
use smtp_sink::SmtpSink;
use yauth::email_password::EmailPasswordConfig;
use yauth::password::HashingConfig;
use yauth_demo::{Args, Orm, start_with};

const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";

async fn flows(database_url: String, orm: Orm) {
    let sink = SmtpSink::start().await;
    let args = Args {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url,
        orm,
        require_email_verification: true,
        insecure_cookies: true,
        hibp_url: None,
        no_hibp: false,
        smtp_url: Some(format!("smtp://127.0.0.1:{}", sink.addr.port())),
        public_url: None,
        mail_from: "demo <demo@example.com>".into(),
        trusted_proxies: Vec::new(),
    };
    let server = start_with(
        args,
        EmailPasswordConfig {
            hashing: HashingConfig::insecure_fast_for_tests(),
            hibp: None,
            ..EmailPasswordConfig::default()
        },
    )
    .await
    .unwrap();
    let base = format!("http://{}/api/auth", server.addr);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let post = |path: &str, body: Value| {
        let request = client.post(format!("{base}{path}")).json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (
                status,
                serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
            )
        }
    };
    let status_of = |request: reqwest::RequestBuilder| async move {
        request.send().await.unwrap().status().as_u16()
    };
    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());

    assert_eq!(
        post("/register", json!({"email": email, "password": PASSWORD}))
            .await
            .0,
        201
    );
    // Unverified: the same answer as a wrong password, and the owner gets a new link.
    let (status, body) = post("/login", json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_credentials"))
    );
    // The welcome mail and the new link are sent from tasks of their own, in either order;
    // only the new link still works.
    sink.wait_for(2).await;
    let mails = sink.to(&email);
    let verification = mails
        .iter()
        .find(|m| {
            m.body()
                .contains("Confirm the email address of your account")
        })
        .expect("the new verification link");
    let token = yauth::mail::token_in(verification.body()).unwrap();
    assert_eq!(verification.from, "demo@example.com");
    assert!(
        verification
            .body()
            .contains(&format!("/verify-email?token={token}"))
    );
    assert_eq!(post("/verify-email", json!({"token": token})).await.0, 200);
    assert_eq!(
        post("/verify-email", json!({"token": token})).await.1["error"],
        "invalid_token"
    );

    let (status, body) = post(
        "/login",
        json!({"email": email, "password": PASSWORD, "remember_me": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let session = client.get(format!("{base}/session")).send().await.unwrap();
    assert_eq!(session.status().as_u16(), 200);
    let who: Value = session.json().await.unwrap();
    assert_eq!(who["email"], email.as_str());

    let change = json!({"current_password": PASSWORD, "new_password": "Changed-pass-123"});
    assert_eq!(post("/change-password", change).await.0, 200);
    assert_eq!(
        post("/resend-verification", json!({"email": email}))
            .await
            .0,
        200
    );
    assert_eq!(
        post("/forgot-password", json!({"email": email})).await.0,
        200
    );
    // The change mailed the owner a notice; resend sent nothing (the email is verified);
    // forgot sent the reset link.
    // (Each mail is sent from a task of its own: they may arrive in either order.)
    sink.wait_for(4).await;
    let mails = sink.to(&email);
    assert_eq!(mails.len(), 4);
    let subject = |i: usize| mails[i].header("Subject").map(str::to_owned);
    let mut later: Vec<_> = (2..4).filter_map(subject).collect();
    later.sort();
    assert_eq!(later, ["Reset your password", "Your password was changed"]);
    let reset = mails[2..]
        .iter()
        .find_map(|m| yauth::mail::token_in(m.body()))
        .unwrap();
    assert_eq!(
        post(
            "/reset-password",
            json!({"token": reset, "password": "Reset-pass-456"})
        )
        .await
        .0,
        200
    );
    // The reset ended every session, this one included.
    assert_eq!(status_of(client.get(format!("{base}/session"))).await, 401);
    assert_eq!(
        post(
            "/login",
            json!({"email": email, "password": "Reset-pass-456"})
        )
        .await
        .0,
        200
    );
    let me = client
        .patch(format!("{base}/me"))
        .json(&json!({"display_name": "Tester"}))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 200);
    assert_eq!(status_of(client.post(format!("{base}/logout"))).await, 204);
    assert_eq!(status_of(client.get(format!("{base}/session"))).await, 401);
    let page = reqwest::get(format!("http://{}/", server.addr))
        .await
        .unwrap();
    // The page that mailed tokens land on sends no Referer onward and cannot be framed.
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let page = page.text().await.unwrap();
    assert!(page.contains("yauth demo"));
    // The mailed links open a page of the demo (they point at `http://<addr>/…`).
    let links: Vec<String> = sink
        .to(&email)
        .iter()
        .filter_map(|mailed| {
            let body = mailed.body();
            body.split_whitespace()
                .find(|w| w.contains("token="))
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(links.len(), 3, "two verification links and one reset link");
    for url in links {
        assert!(
            url.starts_with(&format!("http://{}/", server.addr)),
            "{url}"
        );
        let page = reqwest::get(&url).await.unwrap();
        assert_eq!(page.status().as_u16(), 200, "{url}");
        assert!(page.text().await.unwrap().contains("yauth demo"));
    }
    // The longest address there is: its rate-limit keys are hashed, so they fit the key
    // column of every database, and the answers are the same as for any other address.
    let long = format!(
        "{}@{}.{}.{}.example",
        "l".repeat(64),
        "a".repeat(60),
        "b".repeat(60),
        "c".repeat(59)
    );
    assert_eq!(long.len(), 254);
    for _ in 0..2 {
        assert_eq!(
            post("/register", json!({"email": long, "password": PASSWORD}))
                .await
                .0,
            201
        );
        assert_eq!(
            post("/forgot-password", json!({"email": long})).await.0,
            200
        );
    }
    server.handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory() {
    flows("memory".into(), Orm::Sqlx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_with_sqlx() {
    let path = yauth_conformance::setup::sqlite_file("demo_sqlite");
    flows(format!("sqlite://{}", path.display()), Orm::Sqlx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_with_diesel() {
    let url = yauth_conformance::setup::postgres_database("demo_pg").await;
    flows(url, Orm::Diesel).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_with_seaorm() {
    let url = yauth_conformance::setup::mysql_database("demo_mysql").await;
    flows(url, Orm::Seaorm).await;
}

#[test]
fn sqlite_urls_name_a_file() {
    use std::path::PathBuf;
    assert_eq!(
        yauth_demo::sqlite_path("sqlite://yauth-demo.db").unwrap(),
        PathBuf::from("yauth-demo.db")
    );
    assert_eq!(
        yauth_demo::sqlite_path("sqlite:///abs/path.db").unwrap(),
        PathBuf::from("/abs/path.db")
    );
    assert_eq!(
        yauth_demo::sqlite_path("sqlite:/abs/path.db").unwrap(),
        PathBuf::from("/abs/path.db")
    );
    assert!(yauth_demo::sqlite_path("sqlite://").is_err());
}
