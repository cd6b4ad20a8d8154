//! A small SMTP server on 127.0.0.1 that keeps what it receives: the stand-in for a mail
//! relay in tests. It speaks enough ESMTP for lettre: EHLO, STARTTLS (with a self-signed
//! certificate) or TLS from the first byte, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the sink expects clients to secure the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkTls {
    None,
    StartTls,
    Wrapper,
}

/// One delivered message.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-unstuffed, CRLF line ends.
    pub data: String,
    /// The user that authenticated, if any.
    pub user: Option<String>,
    /// Whether the message arrived over TLS.
    pub encrypted: bool,
}

impl Received {
    /// The body: everything after the first empty line.
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or("")
    }

    /// The value of header `name` (case-insensitive, first line only).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.data
            .split("\r\n")
            .take_while(|line| !line.is_empty())
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name).then_some(value.trim())
            })
    }
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    /// PEM of the sink's self-signed certificate (for `localhost` and 127.0.0.1).
    pub certificate_pem: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

impl SmtpSink {
    /// A sink without TLS or authentication.
    pub async fn start() -> SmtpSink {
        Self::start_with(SinkTls::None, None).await
    }

    /// `credentials`: when set, mail is refused until `AUTH PLAIN` names this user and
    /// password.
    pub async fn start_with(tls: SinkTls, credentials: Option<(&str, &str)>) -> SmtpSink {
        let key = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("self-signed certificate");
        let certificate_pem = key.cert.pem();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![key.cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into()),
        )
        .expect("server certificate");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let credentials = credentials.map(|(u, p)| (u.to_owned(), p.to_owned()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let store = store.clone();
                let credentials = credentials.clone();
                tokio::spawn(async move {
                    let stream: Box<dyn Stream> = if tls == SinkTls::Wrapper {
                        match acceptor.accept(socket).await {
                            Ok(s) => Box::new(s),
                            Err(_) => return,
                        }
                    } else {
                        Box::new(socket)
                    };
                    let encrypted = tls == SinkTls::Wrapper;
                    let _ = session(stream, encrypted, tls, acceptor, credentials, store).await;
                });
            }
        });
        SmtpSink {
            addr,
            certificate_pem,
            received,
            task,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The messages whose envelope names `to`.
    pub fn to(&self, to: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .collect()
    }

    /// The `token=` value in the last message to `to`.
    pub fn last_token(&self, to: &str) -> Option<String> {
        self.to(to)
            .last()
            .and_then(|m| yauth::mail::token_in(m.body()))
    }

    /// Waits until `count` messages have arrived (mail is sent after the HTTP answer).
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..500 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!(
            "the SMTP sink got {} messages, expected {count}",
            self.received().len()
        );
    }
}

async fn session(
    stream: Box<dyn Stream>,
    mut encrypted: bool,
    tls: SinkTls,
    acceptor: tokio_rustls::TlsAcceptor,
    credentials: Option<(String, String)>,
    store: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let mut io = BufReader::new(stream);
    io.write_all(b"220 sink ESMTP\r\n").await?;
    let mut user: Option<String> = None;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if io.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let mut r = String::from("250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n");
            if tls == SinkTls::StartTls && !encrypted {
                r.push_str("250-STARTTLS\r\n");
            }
            r.push_str("250 AUTH PLAIN\r\n");
            r
        } else if upper == "STARTTLS" && tls == SinkTls::StartTls && !encrypted {
            io.write_all(b"220 go ahead\r\n").await?;
            let plain = io.into_inner();
            let secured = acceptor.accept(plain).await?;
            io = BufReader::new(Box::new(secured) as Box<dyn Stream>);
            encrypted = true;
            user = None;
            continue;
        } else if let Some(rest) = upper.strip_prefix("AUTH PLAIN") {
            let encoded = command[command.len() - rest.len()..].trim();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap_or_default();
            let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
            let ok = match (&credentials, parts.as_slice()) {
                (Some((u, p)), [_, given_user, given_password]) => {
                    *given_user == u.as_bytes() && *given_password == p.as_bytes()
                }
                _ => false,
            };
            if ok {
                user = Some(String::from_utf8_lossy(parts[1]).into_owned());
                "235 ok\r\n".into()
            } else {
                "535 bad credentials\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM:") {
            let needs_tls = tls != SinkTls::None && !encrypted;
            if needs_tls || (credentials.is_some() && user.is_none()) {
                "530 authentication required\r\n".into()
            } else {
                from = angle(&command);
                to.clear();
                "250 ok\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(angle(&command));
            "250 ok\r\n".into()
        } else if upper == "DATA" {
            io.write_all(b"354 end with .\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if io.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            store.lock().unwrap().push(Received {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
                user: user.clone(),
                encrypted,
            });
            "250 queued\r\n".into()
        } else if upper == "QUIT" {
            io.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            "250 ok\r\n".into()
        } else {
            "502 not implemented\r\n".into()
        };
        io.write_all(reply.as_bytes()).await?;
    }
}

fn angle(command: &str) -> String {
    let start = command.find('<').map(|i| i + 1).unwrap_or(0);
    let end = command[start..]
        .find('>')
        .map(|i| start + i)
        .unwrap_or(command.len());
    command[start..end].to_owned()
}
