//! Sending mail: the `Mailer` trait, an SMTP mailer ([`SmtpMailer`]), a development mailer
//! that logs, and a recording mailer for tests. Every mail with a token carries a link with
//! `token=<token>`.

use std::sync::{Arc, Mutex};

use crate::contract::plugin::BoxFuture;

mod smtp;
pub use smtp::{SmtpConfig, SmtpMailer, SmtpSecurity};

/// One plain-text (UTF-8) email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
}

/// Delivers emails. A failure is logged by the caller and never changes the HTTP answer
/// (which would tell a stranger whether an address has an account).
pub trait Mailer: Send + Sync + 'static {
    /// Delivers one email.
    fn send<'a>(&'a self, email: Email) -> BoxFuture<'a, Result<(), String>>;

    /// Whether mails end up in the log instead of a mailbox ([`LogMailer`]): plugins warn
    /// at start, since anyone who reads the log can then use every link.
    fn writes_to_log(&self) -> bool {
        false
    }
}

impl std::fmt::Debug for dyn Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.writes_to_log() {
            "Mailer(log)"
        } else {
            "Mailer"
        })
    }
}

/// Writes every email, links included, to the log: for development only. It is never a
/// default: an application chooses it explicitly, and plugins that mail warn at start.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogMailer;

impl Mailer for LogMailer {
    fn writes_to_log(&self) -> bool {
        true
    }

    fn send<'a>(&'a self, email: Email) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            tracing::info!(to = %email.to, subject = %email.subject, "email (not sent: log mailer)\n{}", email.text);
            Ok(())
        })
    }
}

/// Keeps every email in memory, for tests.
#[derive(Debug, Clone, Default)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<Email>>>,
}

impl RecordingMailer {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every email sent so far.
    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The `token=` value of the last email sent to `to`.
    pub fn last_token(&self, to: &str) -> Option<String> {
        self.sent()
            .iter()
            .rev()
            .find(|e| e.to == to)
            .and_then(|e| token_in(&e.text))
    }
}

impl Mailer for RecordingMailer {
    fn send<'a>(&'a self, email: Email) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.sent
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(email);
            Ok(())
        })
    }
}

/// The value of the first `token=` query parameter in `text`.
pub fn token_in(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}
