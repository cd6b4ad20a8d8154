//! The kit: pieces every plugin uses instead of writing its own.
//!
//! - [`token`]: one-time and session tokens (create, hash, claim);
//! - [`sign_in`]: the one "sign this user in" path;
//! - [`session`]: session rows and cookies;
//! - [`mail`]: token links, the hand-off to the mailer, the per-address cap;
//! - [`validate`]: the email and display-name rules;
//! - [`http`]: outgoing requests (HIBP, OAuth providers): the client and capped answers;
//! - [`request`]: the client's IP and User-Agent ([`request::RequestMeta`]);
//! - [`limits`]: rate limits counted in the backend;
//! - [`origin`]: refusal of state-changing requests from other sites;
//! - [`openapi`]: the error answers routes list in their OpenAPI description.

pub mod http;
pub mod limits;
pub mod mail;
pub mod openapi;
pub mod origin;
pub mod request;
pub mod session;
pub mod sign_in;
pub mod token;
pub mod validate;
