//! The passkey plugin through the router on the in-memory backend, with webauthn-rs's
//! software authenticator on the other side of the ceremonies. Tests are named after the
//! threat.

use axum::http::StatusCode;
use serde_json::{Value, json};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse, Url,
};
use yauth::prelude::*;

mod support;

use support::app::*;

const ORIGIN: &str = "https://app.example";

async fn passkey_app_with(change: impl FnOnce(&mut PasskeyConfig)) -> App {
    app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes([3; 32])),
        |builder, _| {
            let mut config = PasskeyConfig::for_public_url(ORIGIN).unwrap();
            change(&mut config);
            builder.with_passkey(config).with_mfa(MfaConfig::default())
        },
    )
    .await
}

async fn passkey_app() -> App {
    passkey_app_with(|_| {}).await
}

/// An authenticator that does user verification (PIN or biometrics).
fn authenticator() -> SoftPasskey {
    SoftPasskey::new(true)
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

/// Registers a passkey on `cookie`'s account: the `finish` reply.
async fn register(app: &App, cookie: &str, device: &mut SoftPasskey, name: &str) -> Reply {
    let r = call(
        app,
        "POST",
        "/passkeys/register/begin",
        Value::Null,
        Some(cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let options: CreationChallengeResponse =
        serde_json::from_value(r.body["options"].clone()).unwrap();
    let credential = device.do_registration(origin(), options).unwrap();
    call(
        app,
        "POST",
        "/passkeys/register/finish",
        json!({"challenge_id": r.body["challenge_id"], "name": name, "credential": credential}),
        Some(cookie),
        IP,
    )
    .await
}

/// Begins a sign-in (for `email`, or usernameless): the challenge id and the options.
async fn login_begin(app: &App, email: Option<&str>) -> (Value, Value) {
    let body = match email {
        Some(email) => json!({"email": email}),
        None => json!({}),
    };
    let r = post(app, "/passkey/login/begin", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (r.body["challenge_id"].clone(), r.body["options"].clone())
}

fn assert_with(device: &mut SoftPasskey, options: &Value) -> PublicKeyCredential {
    let options: RequestChallengeResponse = serde_json::from_value(options.clone()).unwrap();
    device.do_authentication(origin(), options).unwrap()
}

async fn login_finish(app: &App, challenge_id: &Value, credential: &PublicKeyCredential) -> Reply {
    post(
        app,
        "/passkey/login/finish",
        json!({"challenge_id": challenge_id, "credential": credential}),
    )
    .await
}

/// A signed-up user with one passkey: the session cookie and the authenticator.
async fn with_passkey(app: &App, email: &str) -> (String, SoftPasskey) {
    registered(app, email).await;
    let cookie = logged_in(app, email).await;
    let mut device = authenticator();
    let r = register(app, &cookie, &mut device, "laptop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (cookie, device)
}

#[tokio::test]
async fn a_registered_passkey_signs_in_and_can_be_listed_and_deleted() {
    let app = passkey_app().await;
    registered(&app, "ada@example.com").await;
    let cookie = logged_in(&app, "ada@example.com").await;
    let r = call(
        &app,
        "POST",
        "/passkeys/register/begin",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    let selection = &r.body["options"]["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "preferred", "{selection}");
    assert_eq!(selection["userVerification"], "required");

    let mut device = authenticator();
    let r = register(&app, &cookie, &mut device, " laptop ").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["name"], "laptop");
    let id = r.body["id"].as_str().unwrap().to_string();

    let (challenge, options) = login_begin(&app, Some("ada@example.com")).await;
    assert_eq!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let credential = assert_with(&mut device, &options);
    let r = login_finish(&app, &challenge, &credential).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email"], "ada@example.com");
    assert!(r.cookie().is_some());

    let r = call(&app, "GET", "/passkeys", Value::Null, Some(&cookie), IP).await;
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert!(list[0]["last_used_at"].is_string(), "{}", r.body);
    assert!(list[0]["backup_eligible"].is_boolean() && list[0]["backup_state"].is_boolean());
    assert_eq!(audited(&app, "passkey_registered").await.len(), 1);
    assert_eq!(audited(&app, "passkey_used").await.len(), 1);

    let r = call(
        &app,
        "DELETE",
        &format!("/passkeys/{id}"),
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let (challenge, options) = login_begin(&app, Some("ada@example.com")).await;
    assert_ne!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let r = call(&app, "GET", "/passkeys", Value::Null, Some(&cookie), IP).await;
    assert_eq!(r.body, json!([]));
    assert_eq!(audited(&app, "passkey_deleted").await.len(), 1);
    drop(challenge);
}

#[tokio::test]
async fn a_challenge_used_twice_is_refused() {
    let app = passkey_app().await;
    let (_, mut device) = with_passkey(&app, "ada@example.com").await;
    let (challenge, options) = login_begin(&app, Some("ada@example.com")).await;
    let credential = assert_with(&mut device, &options);
    assert_eq!(
        login_finish(&app, &challenge, &credential).await.status,
        StatusCode::OK
    );
    let r = login_finish(&app, &challenge, &credential).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error(), Some("invalid_challenge"));
}

#[tokio::test]
async fn a_registration_begun_by_one_user_cannot_be_finished_by_another() {
    let app = passkey_app().await;
    registered(&app, "ada@example.com").await;
    registered(&app, "eve@example.com").await;
    let ada = logged_in(&app, "ada@example.com").await;
    let eve = logged_in(&app, "eve@example.com").await;
    let r = call(
        &app,
        "POST",
        "/passkeys/register/begin",
        Value::Null,
        Some(&ada),
        IP,
    )
    .await;
    let options: CreationChallengeResponse =
        serde_json::from_value(r.body["options"].clone()).unwrap();
    let credential = authenticator().do_registration(origin(), options).unwrap();
    let body =
        json!({"challenge_id": r.body["challenge_id"], "name": "x", "credential": credential});
    let r = call(
        &app,
        "POST",
        "/passkeys/register/finish",
        body.clone(),
        Some(&eve),
        IP,
    )
    .await;
    assert_eq!(r.error(), Some("invalid_challenge"));
    // Not consumed by the attempt: its owner still finishes it.
    let r = call(
        &app,
        "POST",
        "/passkeys/register/finish",
        body,
        Some(&ada),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn a_credential_registered_twice_is_refused() {
    let app = passkey_app().await;
    let (cookie, _) = with_passkey(&app, "ada@example.com").await;
    // The authenticator that holds a passkey is excluded by the options.
    let r = call(
        &app,
        "POST",
        "/passkeys/register/begin",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    let excluded = &r.body["options"]["publicKey"]["excludeCredentials"];
    assert_eq!(excluded.as_array().unwrap().len(), 1, "{excluded}");
    // An authenticator that ignores the list and answers with a credential already stored
    // (here: stored for Ada just before Eve finishes) is refused by the server.
    registered(&app, "eve@example.com").await;
    let eve = logged_in(&app, "eve@example.com").await;
    let r = call(
        &app,
        "POST",
        "/passkeys/register/begin",
        Value::Null,
        Some(&eve),
        IP,
    )
    .await;
    let options: CreationChallengeResponse =
        serde_json::from_value(r.body["options"].clone()).unwrap();
    let credential = authenticator().do_registration(origin(), options).unwrap();
    let repos = app.yauth.state().repos();
    let ada = user_of(&app, "ada@example.com").await;
    let mut row = repos
        .webauthn_credentials
        .list_user_webauthn_credentials(ada.id)
        .await
        .unwrap()
        .remove(0);
    row.id = uuid::Uuid::now_v7();
    row.credential_id = credential.raw_id.to_vec();
    repos
        .webauthn_credentials
        .insert_webauthn_credential(&row)
        .await
        .unwrap();
    let body =
        json!({"challenge_id": r.body["challenge_id"], "name": "dup", "credential": credential});
    let r = call(
        &app,
        "POST",
        "/passkeys/register/finish",
        body,
        Some(&eve),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.error(), Some("credential_already_registered"));
    let r = call(&app, "GET", "/passkeys", Value::Null, Some(&eve), IP).await;
    assert_eq!(r.body, json!([]));
}

#[tokio::test]
async fn a_counter_that_goes_backwards_is_refused_as_a_possible_clone() {
    let app = passkey_app().await;
    let (_, mut device) = with_passkey(&app, "ada@example.com").await;
    let user = user_of(&app, "ada@example.com").await;
    let repos = app.yauth.state().repos();
    // The server has seen a higher counter than the device will send: another copy of the key.
    let row = repos
        .webauthn_credentials
        .list_user_webauthn_credentials(user.id)
        .await
        .unwrap()
        .remove(0);
    let mut stored = row.credential.clone();
    stored["cred"]["counter"] = json!(1000);
    repos
        .webauthn_credentials
        .update_webauthn_credential_use(&stored, None, row.id)
        .await
        .unwrap();
    let (challenge, options) = login_begin(&app, Some("ada@example.com")).await;
    let credential = assert_with(&mut device, &options);
    let r = login_finish(&app, &challenge, &credential).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.cookie().is_none());
    let failed = audited(&app, "login_failed").await;
    assert_eq!(
        failed[0].metadata.as_ref().unwrap()["reason"],
        "passkey_counter_regression"
    );
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_answer_shape_as_a_known_one() {
    let app = passkey_app().await;
    let _ = with_passkey(&app, "ada@example.com").await;
    let (_, known) = login_begin(&app, Some("ada@example.com")).await;
    let (_, unknown) = login_begin(&app, Some("nobody@example.com")).await;
    let (_, again) = login_begin(&app, Some("nobody@example.com")).await;
    let keys = |v: &Value| {
        let mut k: Vec<String> = v["publicKey"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    assert_eq!(keys(&known), keys(&unknown));
    let allow = &unknown["publicKey"]["allowCredentials"];
    assert!(!allow.as_array().unwrap().is_empty());
    // Stable, so asking twice does not give it away.
    assert_eq!(allow, &again["publicKey"]["allowCredentials"]);
    // Usernameless: nothing listed.
    let (_, usernameless) = login_begin(&app, None).await;
    assert_eq!(usernameless["publicKey"]["allowCredentials"], json!([]));
}

#[tokio::test]
async fn a_passkey_of_one_user_cannot_finish_a_sign_in_begun_for_another() {
    let app = passkey_app().await;
    let (_, mut eve_device) = with_passkey(&app, "eve@example.com").await;
    let _ = with_passkey(&app, "ada@example.com").await;
    let (challenge, options) = login_begin(&app, Some("ada@example.com")).await;
    // Eve's authenticator signs the challenge with her own credential.
    let mut eve_options = options.clone();
    let (_, eve_allow) = login_begin(&app, Some("eve@example.com")).await;
    eve_options["publicKey"]["allowCredentials"] =
        eve_allow["publicKey"]["allowCredentials"].clone();
    let credential = assert_with(&mut eve_device, &eve_options);
    let r = login_finish(&app, &challenge, &credential).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.cookie().is_none());
}

#[tokio::test]
async fn a_usernameless_sign_in_needs_the_user_handle_of_the_credentials_owner() {
    let app = passkey_app().await;
    let (_, mut device) = with_passkey(&app, "ada@example.com").await;
    let user = user_of(&app, "ada@example.com").await;
    let (_, listed) = login_begin(&app, Some("ada@example.com")).await;
    // The software authenticator needs the id listed; a resident key would find it alone.
    let (challenge, mut options) = login_begin(&app, None).await;
    options["publicKey"]["allowCredentials"] = listed["publicKey"]["allowCredentials"].clone();
    let mut credential = assert_with(&mut device, &options);
    // Without a user handle a usernameless sign-in names nobody.
    let r = login_finish(&app, &challenge, &credential).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let (challenge, mut options) = login_begin(&app, None).await;
    options["publicKey"]["allowCredentials"] = listed["publicKey"]["allowCredentials"].clone();
    credential = assert_with(&mut device, &options);
    credential.response.user_handle = Some(user.id.as_bytes().to_vec());
    let r = login_finish(&app, &challenge, &credential).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn a_user_verified_passkey_satisfies_mfa_unless_configured_otherwise() {
    for satisfies in [true, false] {
        let app = passkey_app_with(|c| c.satisfies_mfa = satisfies).await;
        let (cookie, mut device) = with_passkey(&app, "ada@example.com").await;
        let r = call(
            &app,
            "POST",
            "/mfa/totp/setup",
            Value::Null,
            Some(&cookie),
            IP,
        )
        .await;
        let url = r.body["otpauth_url"].as_str().unwrap();
        let totp = totp_rs::Totp::from_url(url).unwrap();
        let code = totp.generate(u64::try_from(chrono::Utc::now().timestamp()).unwrap());
        let r = call(
            &app,
            "POST",
            "/mfa/totp/confirm",
            json!({"code": code.to_string()}),
            Some(&cookie),
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let (challenge, options) = login_begin(&app, Some("ada@example.com")).await;
        let credential = assert_with(&mut device, &options);
        let r = login_finish(&app, &challenge, &credential).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.cookie().is_some(), satisfies, "{}", r.body);
        assert_eq!(r.body["mfa_required"] == true, !satisfies);
    }
}

#[tokio::test]
async fn a_password_reset_removes_passkeys_planted_before_it() {
    let app = passkey_app().await;
    let (_, _) = with_passkey(&app, "ada@example.com").await;
    let r = post(
        &app,
        "/forgot-password",
        json!({"email": "ada@example.com"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let token = app.mail.last_token("ada@example.com").unwrap();
    let r = post(
        &app,
        "/reset-password",
        json!({"token": token, "password": "Reset-pass-4242"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let user = user_of(&app, "ada@example.com").await;
    let left = app
        .yauth
        .state()
        .repos()
        .webauthn_credentials
        .count_user_webauthn_credentials(user.id)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
