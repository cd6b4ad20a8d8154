//! The key store: secrets that must be read back are sealed under the application's secret
//! key ([`secret`]), and the asymmetric keys that sign tokens live in `signing_keys` with
//! their private part sealed ([`signing`], with the `bearer` feature).
//!
//! Hashes are for secrets that are only compared (passwords, tokens, API keys); sealing is
//! for the few that must be used again: signing keys now, TOTP secrets, webhook secrets and
//! OAuth provider tokens later.

pub mod secret;
#[cfg(feature = "bearer")]
pub mod signing;

pub use secret::{SealError, Sealer, SecretKey};
