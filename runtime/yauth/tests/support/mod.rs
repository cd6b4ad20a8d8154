//! Test helpers shared by the integration tests (and, by path, the demo's tests).
#![allow(unreachable_pub, dead_code)]
#[cfg(all(feature = "memory-backend", feature = "email-password"))]
pub mod app;
pub mod smtp_sink;
