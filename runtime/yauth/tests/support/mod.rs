//! Test helpers shared by the integration tests (and, by path, the demo's tests).
pub mod smtp_sink;
