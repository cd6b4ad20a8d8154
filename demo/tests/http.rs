//! The demo server over a real socket (reqwest with a cookie jar): the flows of every plugin
//! (email-password, bearer, api-key, magic-link, admin, account-lockout, status) on the
//! memory, SQLite (sqlx), PostgreSQL (diesel) and MariaDB (sea-orm) backends, with mail
//! going through `--smtp-url` to an SMTP server started by the test on 127.0.0.1.

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
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("yauth-demo.key");
    let admin_email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
    let args_url = database_url.clone();
    let args = Args {
        addr: "127.0.0.1:0".parse().unwrap(),
        orm,
        require_email_verification: true,
        insecure_cookies: true,
        smtp_url: Some(format!("smtp://127.0.0.1:{}", sink.addr.port())),
        mail_from: "demo <demo@example.com>".into(),
        secret_key_file: Some(key_file.clone()),
        admin_email: Some(admin_email.clone()),
        // The lockout flows name their clients with `X-Forwarded-For`, and see a lock lift.
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        lockout_duration: 1,
        ..Args::new(database_url)
    };
    let server = start_fast(args).await;
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
    let status: Value = client
        .get(format!("{base}/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        status,
        json!({"plugins": ["account-lockout", "admin", "api-key", "bearer", "demo-admin-email", "email-password", "magic-link", "mfa", "oauth", "oauth2-server", "passkey", "status", "telemetry", "webhooks"]})
    );

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
    bearer_flows(&base, &email, "Reset-pass-456").await;
    api_key_flows(&base, &client).await;
    magic_link_flows(&base, &sink).await;
    let totp_secret = factor_flows(&base, &sink, server.addr.port()).await;
    if let Ok(path) = yauth_demo::sqlite_path(&args_url) {
        sealed_keys_are_not_in_the_file(&args_url, &path, &key_file).await;
        let mut file = std::fs::read(&path).unwrap();
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        file.extend(std::fs::read(&wal).unwrap_or_default());
        let base32 = totp_secret.to_base32();
        let base32 = base32.trim_end_matches('=').as_bytes();
        assert!(
            !file.windows(20).any(|w| w == totp_secret.as_bytes())
                && !file.windows(base32.len()).any(|w| w == base32),
            "the TOTP secret is readable in the database file"
        );
    }
    admin_flows(&base, &sink, &admin_email, &email, &client).await;
    lockout_flows(&base, &sink, &admin_email).await;
    let login = json!({"email": email, "password": "Reset-pass-456"});
    assert_eq!(post("/login", login).await.0, 200);
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
    // The mailed links open a page of the demo (they name the loopback address
    // `localhost`, the passkeys' relying party).
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
        let local = format!("http://localhost:{}/", server.addr.port());
        assert!(url.starts_with(&local), "{url}");
        let url = url.replace(&local, &format!("http://{}/", server.addr));
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

/// The bearer routes over the socket: a pair, the caller behind it, 24 concurrent refreshes
/// of one token with exactly one winner (and the reuse revoking the winner's family), revoke.
async fn bearer_flows(base: &str, email: &str, password: &str) {
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value, bearer: Option<&str>| {
        let mut request = client.post(format!("{base}{path}")).json(&body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
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
    let credentials = json!({"email": email, "password": password, "scope": "read"});
    let (status, pair) = post("/token", credentials.clone(), None).await;
    assert_eq!(status, 200, "{pair}");
    let access = pair["access_token"].as_str().unwrap();
    let who: Value = client
        .get(format!("{base}/session"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["auth_method"], "Bearer");
    assert_eq!(who["email"], email);
    assert_eq!(who["scopes"], json!(["read"]));

    // One token, 24 concurrent refreshes: the rotation is one atomic claim.
    let first = pair["refresh_token"].as_str().unwrap().to_owned();
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let request = client
            .post(format!("{base}/token/refresh"))
            .json(&json!({"refresh_token": first}));
        racing.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    let answers = racing.join_all().await;
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == 200 || (*s == 401 && b["error"] == "invalid_token")),
        "{answers:?}"
    );
    // The losers were reuse: the family is revoked, the winner's new token included.
    let winner = winners[0]["refresh_token"].as_str().unwrap();
    let (status, _) = post("/token/refresh", json!({"refresh_token": winner}), None).await;
    assert_eq!(status, 401);

    // A new family; revoking it ends refreshing.
    let (_, pair) = post("/token", credentials, None).await;
    let (access, refresh) = (
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap(),
    );
    let (status, _) = post(
        "/token/revoke",
        json!({"refresh_token": refresh}),
        Some(access),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = post("/token/refresh", json!({"refresh_token": refresh}), None).await;
    assert_eq!(status, 401);
}

/// The api-key routes over the socket, signed in with the cookie of `client`: a key shown
/// once, used as `X-Api-Key`, listed without the key, deleted and refused at its next use.
async fn api_key_flows(base: &str, client: &reqwest::Client) {
    let created = client
        .post(format!("{base}/api-keys"))
        .json(&json!({"name": "deploy", "scopes": ["read"], "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.unwrap();
    let key = created["key"].as_str().unwrap();
    let anonymous = reqwest::Client::new();
    let who = anonymous
        .get(format!("{base}/session"))
        .header("X-Api-Key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(who.status().as_u16(), 200);
    let who: Value = who.json().await.unwrap();
    assert_eq!(
        (who["auth_method"].as_str(), who["scopes"].clone()),
        (Some("ApiKey"), json!(["read"]))
    );
    let listed: Value = client
        .get(format!("{base}/api-keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], created["id"]);
    assert!(listed[0].get("key").is_none());
    let id = created["id"].as_str().unwrap();
    let deleted = client
        .delete(format!("{base}/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let after = anonymous
        .get(format!("{base}/session"))
        .header("X-Api-Key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 401);
}

/// A client signed in to `email` by a mailed link (the account is created on the way).
/// Answers the client and the link's token (already used).
async fn sign_in_by_link(base: &str, sink: &SmtpSink, email: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let token = mailed_token(
        &client,
        base,
        sink,
        "/magic-link/send",
        email,
        "/magic-link",
    )
    .await;
    assert_eq!(
        redeem(&client, base, "/magic-link/verify", &token).await,
        200
    );
    (client, token)
}

/// Passkeys and MFA over the socket, with a software passkey and an authenticator app's
/// codes: register a passkey and sign in with it; turn TOTP on; a magic-link sign-in then
/// stops for the code, which finishes it; the passkey (user-verified) still signs in
/// alone. Answers the TOTP secret (for the database-file check).
async fn factor_flows(base: &str, sink: &SmtpSink, port: u16) -> totp_rs::Secret {
    use webauthn_authenticator_rs::prelude::{
        CreationChallengeResponse, RequestChallengeResponse, Url, WebauthnAuthenticator as _,
    };
    let email = format!("factor-{}@example.com", uuid::Uuid::new_v4().simple());
    let (client, _) = sign_in_by_link(base, sink, &email).await;
    let origin = Url::parse(&format!("http://localhost:{port}")).unwrap();
    let call = |client: &reqwest::Client, path: &str, body: Value| {
        let request = client.post(format!("{base}{path}")).json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    // A passkey, registered from the signed-in session.
    let mut device = webauthn_authenticator_rs::softpasskey::SoftPasskey::new(true);
    let (status, begun) = call(&client, "/passkeys/register/begin", Value::Null).await;
    assert_eq!(status, 200, "{begun}");
    let options: CreationChallengeResponse =
        serde_json::from_value(begun["options"].clone()).unwrap();
    assert_eq!(options.public_key.rp.id, "localhost");
    let credential = device.do_registration(origin.clone(), options).unwrap();
    let body =
        json!({"challenge_id": begun["challenge_id"], "name": "soft", "credential": credential});
    let (status, created) = call(&client, "/passkeys/register/finish", body).await;
    assert_eq!(status, 201, "{created}");
    let fresh = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login_with_passkey =
        async |device: &mut webauthn_authenticator_rs::softpasskey::SoftPasskey| {
            let (status, begun) =
                call(&fresh, "/passkey/login/begin", json!({"email": email})).await;
            assert_eq!(status, 200, "{begun}");
            let options: RequestChallengeResponse =
                serde_json::from_value(begun["options"].clone()).unwrap();
            let credential = device.do_authentication(origin.clone(), options).unwrap();
            call(
                &fresh,
                "/passkey/login/finish",
                json!({"challenge_id": begun["challenge_id"], "credential": credential}),
            )
            .await
        };
    let (status, who) = login_with_passkey(&mut device).await;
    assert_eq!(
        (status, who["email"].as_str()),
        (200, Some(email.as_str())),
        "{who}"
    );
    let listed = client.get(format!("{base}/passkeys")).send().await.unwrap();
    let listed: Value = listed.json().await.unwrap();
    assert!(listed[0]["last_used_at"].is_string(), "{listed}");

    // TOTP on, from the same session.
    let (status, setup) = call(&client, "/mfa/totp/setup", Value::Null).await;
    assert_eq!(status, 200, "{setup}");
    let totp = totp_rs::Totp::from_url(setup["otpauth_url"].as_str().unwrap()).unwrap();
    let code = |steps: i64| {
        let now = u64::try_from(chrono::Utc::now().timestamp() + steps * 30).unwrap();
        totp.generate(now).to_string()
    };
    // The code is taken once: computed again later, it could belong to the next 30 s step,
    // which is not a replay.
    let confirmed = code(0);
    let (status, _) = call(&client, "/mfa/totp/confirm", json!({"code": confirmed})).await;
    assert_eq!(status, 200);
    // A magic-link sign-in stops for the code: no cookie until then.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let token = mailed_token(
        &other,
        base,
        sink,
        "/magic-link/send",
        &email,
        "/magic-link",
    )
    .await;
    let (status, step) = call(&other, "/magic-link/verify", json!({"token": token})).await;
    assert_eq!(
        (status, &step["mfa_required"]),
        (200, &json!(true)),
        "{step}"
    );
    let session = other.get(format!("{base}/session")).send().await.unwrap();
    assert_eq!(session.status().as_u16(), 401);
    let verify = json!({"pending_session_id": step["pending_session_id"], "code": confirmed});
    let (status, refused) = call(&other, "/mfa/verify", verify).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (401, Some("invalid_code")),
        "replayed"
    );
    let verify = json!({"pending_session_id": step["pending_session_id"], "code": code(1)});
    let (status, who) = call(&other, "/mfa/verify", verify).await;
    assert_eq!(status, 200, "{who}");
    let session = other.get(format!("{base}/session")).send().await.unwrap();
    assert_eq!(session.status().as_u16(), 200);
    // A user-verified passkey is two factors in one: no code asked.
    let (status, who) = login_with_passkey(&mut device).await;
    assert_eq!(
        (status, who["email"].as_str()),
        (200, Some(email.as_str())),
        "{who}"
    );
    let backups = client
        .get(format!("{base}/mfa/backup-codes"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        backups.json::<Value>().await.unwrap(),
        json!({"remaining": 10})
    );
    let id = created["id"].as_str().unwrap();
    let deleted = client
        .delete(format!("{base}/passkeys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    // New backup codes need a code (a backup code here: the TOTP steps are used); the old
    // set stops working, and a new code turns MFA off.
    let old = setup["backup_codes"].as_array().unwrap().clone();
    let (status, fresh) = call(
        &client,
        "/mfa/backup-codes/regenerate",
        json!({"code": old[0]}),
    )
    .await;
    assert_eq!(status, 200, "{fresh}");
    let disable = |code: &Value| {
        client
            .delete(format!("{base}/mfa/totp"))
            .json(&json!({ "code": code }))
            .send()
    };
    assert_eq!(disable(&old[1]).await.unwrap().status().as_u16(), 401);
    let off = disable(&fresh["backup_codes"][0]).await.unwrap();
    assert_eq!(off.status().as_u16(), 200);
    // Sign-ins no longer stop for a code.
    let token = mailed_token(
        &other,
        base,
        sink,
        "/magic-link/send",
        &email,
        "/magic-link",
    )
    .await;
    let (status, who) = call(&other, "/magic-link/verify", json!({"token": token})).await;
    assert_eq!(
        (status, who["email"].as_str()),
        (200, Some(email.as_str())),
        "{who}"
    );
    totp.secret().clone()
}

/// A sign-in link for a new address, mailed over SMTP: it signs in (creating the account)
/// once.
async fn magic_link_flows(base: &str, sink: &SmtpSink) {
    let email = format!("link-{}@example.com", uuid::Uuid::new_v4().simple());
    let (client, token) = sign_in_by_link(base, sink, &email).await;
    let who: Value = client
        .get(format!("{base}/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (who["email"].as_str(), who["email_verified"].as_bool()),
        (Some(email.as_str()), Some(true))
    );
    let again = client
        .post(format!("{base}/magic-link/verify"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 400, "a link works once");
}

/// The mail to `email` that follows the first `before` ones, waited for up to 10 s.
async fn mail_after(sink: &SmtpSink, email: &str, before: usize) -> smtp_sink::Received {
    for _ in 0..500 {
        if let Some(mail) = sink.to(email).into_iter().nth(before) {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("mail number {} to {email} did not arrive", before + 1);
}

/// Posts `{ email }` to `path` (200 expected) and returns the token of the mail that
/// follows, whose link must open `page` of the demo.
async fn mailed_token(
    client: &reqwest::Client,
    base: &str,
    sink: &SmtpSink,
    path: &str,
    email: &str,
    page: &str,
) -> String {
    let before = sink.to(email).len();
    let sent = client
        .post(format!("{base}{path}"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 200);
    let mail = mail_after(sink, email, before).await;
    assert!(
        mail.body().contains(&format!("{page}?token=")),
        "{}",
        mail.body()
    );
    yauth::mail::token_in(mail.body()).unwrap()
}

/// Posts a mailed `token` to `path`; the status.
async fn redeem(client: &reqwest::Client, base: &str, path: &str, token: &str) -> u16 {
    client
        .post(format!("{base}{path}"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Account lockout over the socket (`--lockout-duration 1`): five wrong passwords from five
/// addresses lock an account and an address that has none alike (same status, body and
/// `Retry-After`, on `/login` and `/token`, right password included); the lock lifts after
/// its second and the next one lasts twice as long; a mailed unlock link lifts a lock and
/// forgets the backoff; the admin lifts the next one.
async fn lockout_flows(base: &str, sink: &SmtpSink, admin_email: &str) {
    let http = reqwest::Client::new();
    let email = format!("locked-{}@example.com", uuid::Uuid::new_v4().simple());
    let nobody = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    let registered = http
        .post(format!("{base}/register"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);
    let mail = mail_after(sink, &email, 0).await;
    assert!(mail.body().contains("/verify-email?token="));
    let token = yauth::mail::token_in(mail.body()).unwrap();
    assert_eq!(redeem(&http, base, "/verify-email", &token).await, 200);
    let attempt = |path: &'static str, who: String, password: &'static str, ip: String| {
        let request = http
            .post(format!("{base}{path}"))
            .header("x-forwarded-for", ip)
            .json(&json!({"email": who, "password": password}));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap();
            (status, body, retry)
        }
    };
    let lock = |who: String, round: u8| {
        let attempt = &attempt;
        async move {
            for i in 0..5 {
                let ip = format!("203.0.{round}.{}", i + 1);
                let (status, ..) = attempt("/login", who.clone(), "wrong-password-1", ip).await;
                assert_eq!(status, 401, "{who}");
            }
            let ip = format!("198.51.{round}.1");
            let right = attempt("/token", who.clone(), PASSWORD, ip.clone()).await;
            let wrong = attempt("/login", who.clone(), "wrong-password-1", ip).await;
            assert_eq!(right.0, 423, "{who}: {right:?}");
            assert_eq!(right.1["error"], "account_locked");
            assert_eq!(right, wrong);
            right
        }
    };
    let known = lock(email.clone(), 1).await;
    let unknown = lock(nobody.clone(), 1).await;
    assert_eq!(known, unknown, "lockout tells nothing about the account");
    assert_eq!(known.2.as_deref(), Some("1"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, ..) = attempt("/login", email.clone(), PASSWORD, "198.51.9.9".into()).await;
    assert_eq!(status, 200, "the lock lifted by itself");
    let doubled = lock(email.clone(), 2).await;
    assert_eq!(doubled.2.as_deref(), Some("2"));

    // The mailed link lifts the lock; the right password works again.
    let token = mailed_token(
        &http,
        base,
        sink,
        "/account/request-unlock",
        &email,
        "/unlock-account",
    )
    .await;
    assert_eq!(redeem(&http, base, "/account/unlock", &token).await, 200);
    assert_eq!(redeem(&http, base, "/account/unlock", &token).await, 400);
    let (status, ..) = attempt("/login", email.clone(), PASSWORD, "198.51.9.9".into()).await;
    assert_eq!(status, 200);

    // Locked again, from the start of the backoff. The admin lifts this one.
    let (admin, _) = sign_in_by_link(base, sink, admin_email).await;
    let found: Value = admin
        .get(format!("{base}/admin/users?search={email}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = found["users"][0]["id"].as_str().unwrap().to_owned();
    let again = lock(email.clone(), 3).await;
    assert_eq!(again.2.as_deref(), Some("1"));
    let lifted: Value = admin
        .post(format!("{base}/admin/users/{id}/unlock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lifted["was_locked"], true);
    let (status, ..) = attempt("/login", email.clone(), PASSWORD, "198.51.9.9".into()).await;
    assert_eq!(status, 200);
}

/// The `--admin-email` account (created here, by link) finds the user by an upper-case
/// search, bans them (their session ends), lifts the ban, and lists sessions.
async fn admin_flows(
    base: &str,
    sink: &SmtpSink,
    admin_email: &str,
    user_email: &str,
    user: &reqwest::Client,
) {
    let (admin, _) = sign_in_by_link(base, sink, admin_email).await;
    let who: Value = admin
        .get(format!("{base}/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["role"], "admin");
    let search = user_email.to_uppercase();
    let found: Value = admin
        .get(format!("{base}/admin/users?per_page=5&search={search}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1, "{found}");
    let id = found["users"][0]["id"].as_str().unwrap().to_owned();
    let banned = admin
        .post(format!("{base}/admin/users/{id}/ban"))
        .json(&json!({"reason": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(banned.status().as_u16(), 200);
    let status = user
        .get(format!("{base}/session"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401, "the ban ended the user's session");
    let unbanned = admin
        .post(format!("{base}/admin/users/{id}/unban"))
        .send()
        .await
        .unwrap();
    assert_eq!(unbanned.status().as_u16(), 200);
    let sessions = admin
        .get(format!("{base}/admin/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(sessions.status().as_u16(), 200);
    // A plain user is refused.
    let refused = user
        .get(format!("{base}/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401, "signed out by the ban");
    admin_user_flows(base, sink, admin_email, admin).await;
}

/// The rest of the admin routes over the socket, on an account made for them: read, edit,
/// end one of its sessions, impersonate it (marked, ended by a logout), delete it.
async fn admin_user_flows(base: &str, sink: &SmtpSink, admin_email: &str, admin: reqwest::Client) {
    let email = format!("managed-{}@example.com", uuid::Uuid::new_v4().simple());
    let (managed, _) = sign_in_by_link(base, sink, &email).await;
    let json_of = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (status, body)
    };
    let (_, found) = json_of(admin.get(format!("{base}/admin/users?search={email}"))).await;
    let id = found["users"][0]["id"].as_str().unwrap().to_owned();
    let user = format!("{base}/admin/users/{id}");
    let (status, read) = json_of(admin.get(&user)).await;
    assert_eq!(
        (status, read["email"].as_str()),
        (200, Some(email.as_str()))
    );
    let (status, edited) =
        json_of(admin.put(&user).json(&json!({"display_name": "Managed"}))).await;
    assert_eq!(
        (status, edited["display_name"].as_str()),
        (200, Some("Managed"))
    );
    // Ending the account's session makes its cookie fail at the next request.
    let (_, sessions) = json_of(admin.get(format!("{base}/admin/sessions?user_id={id}"))).await;
    let session = sessions["sessions"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = json_of(admin.delete(format!("{base}/admin/sessions/{session}"))).await;
    assert_eq!(status, 204);
    let (status, _) = json_of(managed.get(format!("{base}/session"))).await;
    assert_eq!(status, 401);
    // An impersonation: the admin's client now holds a session of the account, marked.
    let (_, me) = json_of(admin.get(format!("{base}/session"))).await;
    let admin_id = me["id"].as_str().unwrap().to_owned();
    let (status, _) = json_of(admin.post(format!("{user}/impersonate"))).await;
    assert_eq!(status, 200);
    let (_, who) = json_of(admin.get(format!("{base}/session"))).await;
    assert_eq!(who["email"].as_str(), Some(email.as_str()));
    assert_eq!(who["impersonated_by"].as_str(), Some(admin_id.as_str()));
    let (status, _) = json_of(admin.get(format!("{base}/admin/users"))).await;
    assert_eq!(status, 403, "an impersonation reaches no admin route");
    let (status, _) = json_of(admin.post(format!("{base}/logout"))).await;
    assert_eq!(status, 204);
    let (admin, _) = sign_in_by_link(base, sink, admin_email).await;
    let (status, _) = json_of(admin.delete(&user)).await;
    assert_eq!(status, 204);
    let (status, _) = json_of(admin.get(&user)).await;
    assert_eq!(status, 404);
}

/// The SQLite file (and its write-ahead log) holds the signing keys only sealed: no 16-byte
/// run of a private key's DER is in it.
async fn sealed_keys_are_not_in_the_file(
    url: &str,
    path: &std::path::Path,
    key_file: &std::path::Path,
) {
    let backend = yauth_demo::backend(url, Orm::Sqlx).await.unwrap();
    let rows = backend
        .repositories()
        .signing_keys
        .list_signing_keys()
        .await
        .unwrap();
    assert!(!rows.is_empty(), "a token was signed");
    let key = yauth_demo::read_or_create_key(key_file).unwrap();
    let sealer = yauth::keys::Sealer::new(&key, &[]);
    let mut file = std::fs::read(path).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    file.extend(std::fs::read(&wal).unwrap_or_default());
    for row in rows {
        let der = sealer
            .open("signing_key", row.kid.as_bytes(), &row.private_key_enc)
            .unwrap();
        let runs: std::collections::HashSet<&[u8]> = der.windows(16).collect();
        assert!(
            !file.windows(16).any(|w| runs.contains(w)),
            "a private key is readable in the database file"
        );
    }
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

/// `--static-dir`: the app's files as they are, its `index.html` for client routes, never a
/// file outside the folder, and the API still at `/api/auth` with JSON 404s below `/api/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_dir_serves_the_app_and_its_client_routes() {
    let site = tempfile::tempdir().unwrap();
    std::fs::write(
        site.path().join("index.html"),
        "<!doctype html><p>the app</p>",
    )
    .unwrap();
    std::fs::create_dir(site.path().join("assets")).unwrap();
    std::fs::write(site.path().join("assets/app-1a2b.js"), "console.log(1)").unwrap();
    std::fs::write(site.path().join(".env"), "SECRET=1").unwrap();
    let outside = site.path().parent().unwrap().join("outside-static-dir.txt");
    std::fs::write(&outside, "outside").unwrap();
    std::os::unix::fs::symlink(&outside, site.path().join("link.txt")).unwrap();
    let args = Args {
        addr: "127.0.0.1:0".parse().unwrap(),
        static_dir: Some(site.path().to_path_buf()),
        ..Args::new("memory")
    };
    let server = start_fast(args).await;
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{base}{path}")).send();

    for route in [
        "/",
        "/settings",
        "/verify-email?token=abc",
        "/consent",
        "/index.html",
    ] {
        let response = get(route).await.unwrap();
        assert_eq!(response.status(), 200, "{route}");
        assert_eq!(
            response.headers()["referrer-policy"],
            "no-referrer",
            "{route}"
        );
        assert_eq!(response.headers()["x-frame-options"], "DENY", "{route}");
        assert_eq!(
            response.headers()["content-security-policy"],
            "frame-ancestors 'none'",
            "{route}"
        );
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            response.text().await.unwrap().contains("the app"),
            "{route}"
        );
    }
    let asset = get("/assets/app-1a2b.js").await.unwrap();
    assert_eq!(asset.status(), 200);
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(asset.text().await.unwrap(), "console.log(1)");
    // A missing asset is not the page; a hidden file and a file outside are not served.
    assert_eq!(get("/assets/gone.js").await.unwrap().status(), 404);
    assert_eq!(get("/.env").await.unwrap().status(), 404);
    assert_eq!(get("/link.txt").await.unwrap().status(), 404, "a link out");
    // Request targets sent as they are (an HTTP client would resolve the dots itself).
    for escape in [
        "/../outside-static-dir.txt",
        "/assets/../../outside-static-dir.txt",
        "/..%2foutside-static-dir.txt",
        "/%2e%2e/outside-static-dir.txt",
        "/assets/..\\..\\outside-static-dir.txt",
    ] {
        let (status, answer) = raw_get(server.addr, escape).await;
        // 404, or 400 from the HTTP parser for a character a request target cannot hold.
        assert!(matches!(status, 400 | 404), "{escape}: {status}");
        assert!(!answer.contains("outside"), "{escape}");
    }
    assert_eq!(
        get("/.well-known/openid-configuration")
            .await
            .unwrap()
            .status(),
        404
    );
    let head = client
        .head(format!("{base}/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    // The API is unchanged, and an unknown API route is a JSON 404, not the app.
    assert_eq!(get("/api/auth/session").await.unwrap().status(), 401);
    let unknown = get("/api/auth/no-such-route").await.unwrap();
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    let post = client
        .post(format!("{base}/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    std::fs::remove_file(outside).unwrap();
}

/// The demo with these flags, hashing passwords with the fast test parameters and no HIBP.
async fn start_fast(args: Args) -> yauth_demo::Server {
    start_with(
        args,
        EmailPasswordConfig {
            hashing: HashingConfig::insecure_fast_for_tests(),
            hibp: None,
            ..EmailPasswordConfig::default()
        },
    )
    .await
    .unwrap()
}

/// `GET target` sent over a plain socket as written (no client-side normalisation): the
/// status and the whole answer.
async fn raw_get(addr: std::net::SocketAddr, target: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}
