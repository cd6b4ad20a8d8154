//! Sending mail over SMTP (lettre, async on tokio, rustls with ring): plain, STARTTLS or
//! implicit TLS, with optional authentication.

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Body, Mailbox, Message, header::ContentTransferEncoding};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Email, Mailer};
use crate::contract::plugin::BoxFuture;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Connect in plain text and require `STARTTLS` before anything is sent (port 587).
    StartTls,
    /// TLS from the first byte (port 465, `smtps://`).
    Tls,
    /// No encryption at all: only for a relay on this machine or a development sink.
    /// Credentials are refused with it unless the host is a loopback address.
    None,
}

/// Where and how to deliver mail.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The server's host name (certificates are checked against it).
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// Plain text, STARTTLS or TLS.
    pub security: SmtpSecurity,
    /// User name and password, sent with `AUTH` when present.
    pub credentials: Option<(String, String)>,
    /// The `From:` mailbox, e.g. `My App <no-reply@example.com>`.
    pub from: String,
    /// Connect, command and send timeout.
    pub timeout: Duration,
    /// Extra trusted root certificates (PEM), for a relay with a private CA. The public web
    /// roots are always trusted.
    pub root_certificates_pem: Vec<Vec<u8>>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SmtpConfig {
    /// STARTTLS on port 587, no credentials, a 10 s timeout.
    pub fn new(host: impl Into<String>, from: impl Into<String>) -> Self {
        SmtpConfig {
            host: host.into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            credentials: None,
            from: from.into(),
            timeout: Duration::from_secs(10),
            root_certificates_pem: Vec::new(),
        }
    }

    /// Reads `smtp://[user:password@]host[:port][?tls=starttls|none]` or
    /// `smtps://[user:password@]host[:port]`.
    ///
    /// `smtp://` without `tls=` is plain text when the host is a loopback address (a local
    /// sink or relay) and STARTTLS otherwise. The default ports are 25 for plain text, 587
    /// for STARTTLS and 465 for `smtps://`. User and password are percent-decoded.
    pub fn from_url(url: &str, from: impl Into<String>) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("SMTP URL: {e}"))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("SMTP URL: no host")?
            .trim_matches(|c| c == '[' || c == ']')
            .to_owned();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let security = match (parsed.scheme(), tls.as_deref()) {
            ("smtps", None | Some("tls")) => SmtpSecurity::Tls,
            ("smtp", Some("starttls" | "required")) => SmtpSecurity::StartTls,
            ("smtp", Some("none")) => SmtpSecurity::None,
            ("smtp", None) if is_loopback(&host) => SmtpSecurity::None,
            ("smtp", None) => SmtpSecurity::StartTls,
            (scheme, tls) => {
                return Err(format!(
                    "SMTP URL: unsupported scheme `{scheme}` with tls={tls:?} (use smtp:// or smtps://)"
                ));
            }
        };
        let port = parsed.port().unwrap_or(match security {
            SmtpSecurity::Tls => 465,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::None => 25,
        });
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| "SMTP URL: credentials are not UTF-8".to_owned())
        };
        let credentials = match parsed.password() {
            Some(password) => Some((decode(parsed.username())?, decode(password)?)),
            None if !parsed.username().is_empty() => {
                return Err("SMTP URL: a user without a password".into());
            }
            None => None,
        };
        Ok(SmtpConfig {
            host,
            port,
            security,
            credentials,
            ..SmtpConfig::new("", from)
        })
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Delivers mail through an SMTP server, keeping a small pool of connections.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// Checks the configuration; connects only when the first mail is sent.
    pub fn new(config: SmtpConfig) -> Result<Self, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("SMTP from address `{}`: {e}", config.from))?;
        if config.credentials.is_some()
            && config.security == SmtpSecurity::None
            && !is_loopback(&config.host)
        {
            return Err(format!(
                "refusing to send SMTP credentials unencrypted to {}",
                config.host
            ));
        }
        let tls = match config.security {
            SmtpSecurity::None => Tls::None,
            security => {
                let mut params = TlsParameters::builder(config.host.clone());
                for pem in &config.root_certificates_pem {
                    let cert = Certificate::from_pem(pem)
                        .map_err(|e| format!("SMTP root certificate: {e}"))?;
                    params = params.add_root_certificate(cert);
                }
                let params = params
                    .build_rustls()
                    .map_err(|e| format!("SMTP TLS: {e}"))?;
                if security == SmtpSecurity::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some((user, password)) = config.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }

    fn message(&self, email: &Email) -> Result<Message, String> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| format!("recipient address: {e}"))?;
        let body = literal_body(&email.text).unwrap_or_else(|| Body::new(email.text.clone()));
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("building the message: {e}"))
    }
}

/// The text as a 7bit (ASCII) or 8bit (UTF-8) body, every line kept as written, so that a
/// `token=` link stays readable and clickable. lettre's own choice switches to
/// quoted-printable for any line of 76 bytes or more, which every link with a token is, and
/// quoted-printable turns `token=` into `token=3D` with soft line breaks. SMTP allows
/// 998-byte lines; `None` (a longer line, a NUL or a lone CR) leaves the choice to lettre.
fn literal_body(text: &str) -> Option<Body> {
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    if lines
        .iter()
        .any(|line| line.len() > 998 || line.contains(['\r', '\0']))
    {
        return None;
    }
    // The SMTP terminator (`CRLF . CRLF`) ends the last line: a final newline is not repeated.
    if lines.len() > 1 && lines.last() == Some(&"") {
        lines.pop();
    }
    let crlf = lines.join("\r\n");
    let encoding = if crlf.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::EightBit
    };
    Some(Body::dangerous_pre_encoded(crlf.into_bytes(), encoding))
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, email: Email) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let message = self.message(&email)?;
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}"))
        })
    }
}
