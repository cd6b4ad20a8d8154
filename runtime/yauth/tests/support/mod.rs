//! Test helpers shared by the integration tests (and, by path, the demo's tests).
#![allow(unreachable_pub)]
pub mod smtp_sink;
