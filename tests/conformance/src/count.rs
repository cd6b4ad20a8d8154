//! Counting what a backend sends to the database: a TCP proxy on 127.0.0.1 that forwards
//! bytes both ways and reads the client's side of the wire protocol.
//!
//! - PostgreSQL: every frontend message is a type byte and a length. `Q` (simple query) and
//!   `E` (execute) are statements; `Q` and `S` (sync) each end a round trip. A bare `S` with
//!   nothing before it is a ping (sqlx's pool sends one whenever a connection goes back to
//!   the pool), counted apart.
//! - MySQL: every command packet starts a new sequence (sequence id 0) and is one round trip;
//!   `COM_PING` is counted as a ping, every other command as a statement.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy has counted since the last [`Counter::take`].
#[derive(Debug, Default)]
pub struct Counter {
    statements: AtomicU64,
    round_trips: AtomicU64,
    pings: AtomicU64,
}

/// Statements and round trips exclude pings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub statements: u64,
    pub round_trips: u64,
    pub pings: u64,
}

impl Counter {
    /// The counts so far, resetting them.
    pub fn take(&self) -> Counts {
        Counts {
            statements: self.statements.swap(0, Ordering::SeqCst),
            round_trips: self.round_trips.swap(0, Ordering::SeqCst),
            pings: self.pings.swap(0, Ordering::SeqCst),
        }
    }
}

const COM_PING: u8 = 0x0e;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Postgres,
    Mysql,
}

/// Starts a proxy to `upstream` and returns its address and counter.
pub async fn proxy(upstream: SocketAddr, protocol: Protocol) -> (SocketAddr, Arc<Counter>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    let counter = Arc::new(Counter::default());
    let shared = counter.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let counter = shared.clone();
            tokio::spawn(async move {
                if let Ok(server) = TcpStream::connect(upstream).await {
                    let _ = pipe(client, server, protocol, counter).await;
                }
            });
        }
    });
    (addr, counter)
}

async fn pipe(
    client: TcpStream,
    server: TcpStream,
    protocol: Protocol,
    counter: Arc<Counter>,
) -> std::io::Result<()> {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let downstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    });
    let mut parser = Parser::new(protocol);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = client_read.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        parser.feed(&buf[..n], &counter);
        server_write.write_all(&buf[..n]).await?;
    }
    downstream.abort();
    Ok(())
}

/// Splits the client's byte stream into messages, across reads.
struct Parser {
    protocol: Protocol,
    pending: Vec<u8>,
    /// PostgreSQL: the startup messages (no type byte) are done.
    started: bool,
    /// PostgreSQL: messages seen since the last sync.
    since_sync: u32,
}

impl Parser {
    fn new(protocol: Protocol) -> Self {
        Parser {
            protocol,
            pending: Vec::new(),
            started: false,
            since_sync: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8], counter: &Counter) {
        self.pending.extend_from_slice(bytes);
        loop {
            let consumed = match self.protocol {
                Protocol::Postgres => self.next_postgres(counter),
                Protocol::Mysql => self.next_mysql(counter),
            };
            match consumed {
                Some(n) => {
                    self.pending.drain(..n);
                }
                None => break,
            }
        }
    }

    fn next_postgres(&mut self, counter: &Counter) -> Option<usize> {
        let p = &self.pending;
        if !self.started {
            if p.len() < 8 {
                return None;
            }
            let len = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize;
            let code = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
            if p.len() < len {
                return None;
            }
            // SSLRequest / GSSENCRequest come before the real startup message.
            if code != 80_877_103 && code != 80_877_104 {
                self.started = true;
            }
            return Some(len);
        }
        if p.len() < 5 {
            return None;
        }
        let len = u32::from_be_bytes([p[1], p[2], p[3], p[4]]) as usize + 1;
        if p.len() < len {
            return None;
        }
        match p[0] {
            b'Q' => {
                counter.statements.fetch_add(1, Ordering::SeqCst);
                counter.round_trips.fetch_add(1, Ordering::SeqCst);
            }
            b'E' => {
                counter.statements.fetch_add(1, Ordering::SeqCst);
            }
            b'S' if self.since_sync == 0 => {
                counter.pings.fetch_add(1, Ordering::SeqCst);
            }
            b'S' => {
                counter.round_trips.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }
        self.since_sync = if matches!(p[0], b'S' | b'Q') {
            0
        } else {
            self.since_sync + 1
        };
        Some(len)
    }

    fn next_mysql(&mut self, counter: &Counter) -> Option<usize> {
        let p = &self.pending;
        if p.len() < 4 {
            return None;
        }
        let len = (p[0] as usize) | ((p[1] as usize) << 8) | ((p[2] as usize) << 16);
        if p.len() < 4 + len {
            return None;
        }
        if p[3] == 0 {
            if std::env::var_os("YAUTH_COUNT_DEBUG").is_some() && len > 0 {
                eprintln!("mysql command 0x{:02x} ({len} bytes)", p[4]);
            }
            if len > 0 && p[4] == COM_PING {
                counter.pings.fetch_add(1, Ordering::SeqCst);
            } else {
                counter.statements.fetch_add(1, Ordering::SeqCst);
                counter.round_trips.fetch_add(1, Ordering::SeqCst);
            }
        }
        Some(4 + len)
    }
}
