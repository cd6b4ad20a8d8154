//! The demo as a process of its own (`CARGO_BIN_EXE_yauth-demo`), for the tests that kill,
//! signal or duplicate it. Included by path; not every test uses every helper.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A port nothing listens on (now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `yauth-demo`, killed (SIGKILL) when dropped.
pub struct DemoProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT/api/auth`.
    pub base: String,
}

impl DemoProcess {
    /// Starts the demo on a free port with `args` (`--addr` is added) and `env` (the log
    /// at `warn`), and waits until it answers.
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> DemoProcess {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_yauth-demo"))
            .args(["--addr", &addr])
            .args(args)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the demo binary starts");
        let demo = DemoProcess {
            child,
            base: format!("http://{addr}/api/auth"),
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(format!("{}/session", demo.base))
                .send()
                .await
                .is_ok()
            {
                return demo;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the demo did not start");
    }

    /// SIGKILL: no shutdown code runs (`Child::kill` is SIGKILL on Unix).
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
