//! The SMTP mailer against a real SMTP server on 127.0.0.1 (the sink in `support/`): plain
//! text, STARTTLS and implicit TLS, authentication, and bodies that keep `token=` readable.

mod support;

use std::time::Duration;

use support::smtp_sink::{SinkTls, SmtpSink};
use yauth::mail::{Email, Mailer, SmtpConfig, SmtpMailer, SmtpSecurity};

const FROM: &str = "yauth <no-reply@example.com>";

fn email(text: &str) -> Email {
    Email {
        to: "zoe-user@example.com".into(),
        subject: "Vérifiez votre adresse".into(),
        text: text.into(),
    }
}

fn tls_config(sink: &SmtpSink, security: SmtpSecurity) -> SmtpConfig {
    SmtpConfig {
        port: sink.addr.port(),
        security,
        root_certificates_pem: vec![sink.certificate_pem.clone().into_bytes()],
        timeout: Duration::from_secs(5),
        ..SmtpConfig::new("localhost", FROM)
    }
}

#[tokio::test]
async fn plain_text_mail_keeps_the_token_link_readable() {
    let sink = SmtpSink::start().await;
    let config =
        SmtpConfig::from_url(&format!("smtp://127.0.0.1:{}", sink.addr.port()), FROM).unwrap();
    assert_eq!(config.security, SmtpSecurity::None);
    let mailer = SmtpMailer::new(config).unwrap();
    let link = "https://app.example.com/verify-email?token=Ab_9-xYz012345678901234567890123456789";
    let text = format!("Bonjour Zoë,\n\nConfirm your address: {link}\n\n— yauth\n");
    mailer.send(email(&text)).await.unwrap();

    let got = sink.wait_for(1).await;
    let message = &got[0];
    assert_eq!(message.from, "no-reply@example.com");
    assert_eq!(message.to, vec!["zoe-user@example.com".to_owned()]);
    assert!(!message.encrypted);
    assert_eq!(message.user, None);
    assert_eq!(
        message.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    // Non-ASCII text goes as 8bit: no quoted-printable `=3D` in the link, no base64.
    assert_eq!(message.header("Content-Transfer-Encoding"), Some("8bit"));
    assert!(message.body().contains(link), "{}", message.data);
    assert!(message.body().contains("Bonjour Zoë,"));
    assert_eq!(
        yauth::mail::token_in(message.body()).as_deref(),
        Some("Ab_9-xYz012345678901234567890123456789")
    );
    // The subject is encoded (RFC 2047), not sent as raw 8-bit bytes in a header.
    assert!(message.header("Subject").unwrap().starts_with("=?utf-8?"));
}

#[tokio::test]
async fn ascii_mail_goes_as_7bit() {
    let sink = SmtpSink::start().await;
    let mailer = SmtpMailer::new(SmtpConfig {
        port: sink.addr.port(),
        security: SmtpSecurity::None,
        ..SmtpConfig::new("127.0.0.1", FROM)
    })
    .unwrap();
    // A link line of well over 76 characters, as every real token link is.
    let link = format!("https://x.test/reset-password?token={}", "k".repeat(43));
    mailer
        .send(email(&format!("Reset:\n\n{link}\n")))
        .await
        .unwrap();
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].header("Content-Transfer-Encoding"), Some("7bit"));
    assert_eq!(got[0].body(), format!("Reset:\r\n\r\n{link}\r\n"));
}

#[tokio::test]
async fn starttls_with_authentication() {
    let sink = SmtpSink::start_with(SinkTls::StartTls, Some(("alice", "s3cret pass"))).await;
    let mailer = SmtpMailer::new(SmtpConfig {
        credentials: Some(("alice".into(), "s3cret pass".into())),
        ..tls_config(&sink, SmtpSecurity::StartTls)
    })
    .unwrap();
    mailer.send(email("token=abc\n")).await.unwrap();
    let got = sink.wait_for(1).await;
    assert!(got[0].encrypted, "the message must go after STARTTLS");
    assert_eq!(got[0].user.as_deref(), Some("alice"));
}

#[tokio::test]
async fn implicit_tls() {
    let sink = SmtpSink::start_with(SinkTls::Wrapper, None).await;
    let mailer = SmtpMailer::new(tls_config(&sink, SmtpSecurity::Tls)).unwrap();
    mailer.send(email("token=abc\n")).await.unwrap();
    let got = sink.wait_for(1).await;
    assert!(got[0].encrypted);
}

#[tokio::test]
async fn wrong_password_is_an_error_and_nothing_is_sent() {
    let sink = SmtpSink::start_with(SinkTls::StartTls, Some(("alice", "right"))).await;
    let mailer = SmtpMailer::new(SmtpConfig {
        credentials: Some(("alice".into(), "wrong".into())),
        ..tls_config(&sink, SmtpSecurity::StartTls)
    })
    .unwrap();
    let error = mailer.send(email("token=abc\n")).await.unwrap_err();
    assert!(error.starts_with("SMTP:"), "{error}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn required_starttls_never_falls_back_to_plain_text() {
    // The server offers no STARTTLS: the mailer must refuse rather than send in clear.
    let sink = SmtpSink::start().await;
    let mailer = SmtpMailer::new(tls_config(&sink, SmtpSecurity::StartTls)).unwrap();
    assert!(mailer.send(email("token=abc\n")).await.is_err());
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let sink = SmtpSink::start_with(SinkTls::Wrapper, None).await;
    let mailer = SmtpMailer::new(SmtpConfig {
        root_certificates_pem: Vec::new(),
        ..tls_config(&sink, SmtpSecurity::Tls)
    })
    .unwrap();
    assert!(mailer.send(email("token=abc\n")).await.is_err());
    assert!(sink.received().is_empty());
}

#[test]
fn smtp_urls() {
    let c = SmtpConfig::from_url("smtp://us%40er:p%3Ass@mail.example.com", FROM).unwrap();
    assert_eq!(
        (c.host.as_str(), c.port, c.security),
        ("mail.example.com", 587, SmtpSecurity::StartTls)
    );
    assert_eq!(c.credentials, Some(("us@er".into(), "p:ss".into())));
    // Debug output never shows the password.
    assert!(!format!("{c:?}").contains("p:ss"));

    let c = SmtpConfig::from_url("smtps://mail.example.com", FROM).unwrap();
    assert_eq!((c.port, c.security), (465, SmtpSecurity::Tls));
    let c = SmtpConfig::from_url("smtp://localhost:1025", FROM).unwrap();
    assert_eq!((c.port, c.security), (1025, SmtpSecurity::None));
    let c = SmtpConfig::from_url("smtp://127.0.0.1?tls=starttls", FROM).unwrap();
    assert_eq!((c.port, c.security), (587, SmtpSecurity::StartTls));
    let c = SmtpConfig::from_url("smtp://mail.example.com:2525?tls=none", FROM).unwrap();
    assert_eq!((c.port, c.security), (2525, SmtpSecurity::None));

    assert!(SmtpConfig::from_url("http://mail.example.com", FROM).is_err());
    assert!(SmtpConfig::from_url("smtp://user@mail.example.com", FROM).is_err());
    assert!(SmtpConfig::from_url("not a url", FROM).is_err());

    // Credentials never travel unencrypted to another machine.
    let c = SmtpConfig::from_url("smtp://u:p@mail.example.com?tls=none", FROM).unwrap();
    assert!(SmtpMailer::new(c).unwrap_err().contains("unencrypted"));
    // A bad From address is caught at construction.
    assert!(SmtpMailer::new(SmtpConfig::new("mail.example.com", "not an address")).is_err());
}
