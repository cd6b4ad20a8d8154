//! The plugin contract: what every plugin is written against, and nothing above it.
//!
//! - [`error`]: `ApiError` (the JSON error of every route) and `ApiJson`;
//! - [`event`]: `AuthEvent` (what happened, audited, never vetoed) and `Attempt` /
//!   `Verdict` (what is about to happen, asked before it commits);
//! - [`user`]: `AuthUser` (the authenticated caller, an extractor) and `OptionalAuthUser`;
//! - [`plugin`]: `YAuthPlugin`, `CredentialExtractor`, `PluginState`, `BoxFuture`;
//! - [`state`]: `YAuthState` (repositories, configuration, plugins).
//!
//! Dependencies point one way: `contract` ← `kit` ← `auth`, `builder` ← `plugins`.

pub mod error;
pub mod event;
pub mod plugin;
pub mod state;
pub mod user;
