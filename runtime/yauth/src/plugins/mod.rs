//! The built-in plugins, one folder each (`routes`, `flows`, `mail` as they need), each
//! behind its cargo feature. `core` is always on.

pub mod core;
#[cfg(feature = "email-password")]
pub mod email_password;
