//! yauth: authentication for Axum, plugin by plugin, on the database and ORM you already use.
//!
//! ```ignore
//! let yauth = YAuthBuilder::new(InMemoryBackend::new(), YAuthConfig::default())
//!     .with_plugin(Box::new(MyPlugin))
//!     .build()
//!     .await?;
//! let app = axum::Router::new()
//!     .nest("/api/auth", yauth.router())
//!     .with_state(yauth.state().clone());
//! ```
//!
//! - [`builder`]: `YAuthBuilder` and `YAuth`;
//! - [`plugin`]: the `YAuthPlugin` trait (routes, extractors, answers to events);
//! - [`event`]: `AuthEvent` (stable names, written to the audit log) and `EventResponse`;
//! - [`auth`]: `AuthUser`, the credential extractors and the middleware of protected routes;
//! - [`session`]: session tokens and cookies; [`config`]: `YAuthConfig`;
//! - [`password`]: Argon2id hashing (bounded, off the async threads) and the password policy;
//! - `email_password` (feature `email-password`): register, login, verification, reset;
//! - [`rate_limit`]: per-operation limits counted in the backend; [`mail`]: the `Mailer` trait
//!   and its SMTP ([`mail::SmtpMailer`]), logging and recording implementations;
//! - routes carry their OpenAPI description (`#[utoipa::path]`, mounted with utoipa-axum's
//!   `routes!`); with the `openapi` feature, `YAuth::openapi()` returns the document;
//! - [`error`]: the JSON error every route answers with;
//! - [`entity`]: the domain types and repository traits every backend implements
//!   (re-exported from `yauth-entity`), including [`entity::DatabaseBackend`];
//! - [`backends`]: one module per backend feature, re-exporting that backend's crate.
//!
//! | feature | backend |
//! |---|---|
//! | `memory-backend` | [`backends::memory::InMemoryBackend`] |
//! | `diesel-pg-backend` (default) | `backends::diesel_pg::DieselPgBackend` |
//! | `diesel-mysql-backend` | `backends::diesel_mysql::DieselMysqlBackend` |
//! | `diesel-sqlite-backend` | `backends::diesel_sqlite::DieselSqliteBackend` |
//! | `sqlx-pg-backend` | `backends::sqlx_pg::SqlxPgBackend` |
//! | `sqlx-mysql-backend` | `backends::sqlx_mysql::SqlxMysqlBackend` |
//! | `sqlx-sqlite-backend` | `backends::sqlx_sqlite::SqlxSqliteBackend` |
//! | `seaorm-pg-backend` | `backends::seaorm_pg::SeaOrmPgBackend` (+ `entities`) |
//! | `seaorm-mysql-backend` | `backends::seaorm_mysql::SeaOrmMysqlBackend` (+ `entities`) |
//! | `seaorm-sqlite-backend` | `backends::seaorm_sqlite::SeaOrmSqliteBackend` (+ `entities`) |

pub use yauth_entity as entity;
/// The OpenAPI crates routes are described with (plugins use the same versions).
pub use {utoipa, utoipa_axum};

pub mod auth;
pub mod builder;
pub mod config;
#[cfg(feature = "email-password")]
pub mod email_password;
pub mod error;
pub mod event;
pub mod hibp;
pub mod mail;
mod openapi;
pub mod password;
pub mod plugin;
pub mod rate_limit;
pub mod routes;
pub mod session;
pub mod state;

/// The storage backends, one module per enabled backend feature.
pub mod backends {
    #[cfg(feature = "memory-backend")]
    pub mod memory {
        pub use yauth_backend_memory::*;
    }
    #[cfg(feature = "diesel-pg-backend")]
    pub mod diesel_pg {
        pub use yauth_backend_diesel_pg::*;
    }
    #[cfg(feature = "diesel-mysql-backend")]
    pub mod diesel_mysql {
        pub use yauth_backend_diesel_mysql::*;
    }
    #[cfg(feature = "diesel-sqlite-backend")]
    pub mod diesel_sqlite {
        pub use yauth_backend_diesel_sqlite::*;
    }
    #[cfg(feature = "sqlx-pg-backend")]
    pub mod sqlx_pg {
        pub use yauth_backend_sqlx_pg::*;
    }
    #[cfg(feature = "sqlx-mysql-backend")]
    pub mod sqlx_mysql {
        pub use yauth_backend_sqlx_mysql::*;
    }
    #[cfg(feature = "sqlx-sqlite-backend")]
    pub mod sqlx_sqlite {
        pub use yauth_backend_sqlx_sqlite::*;
    }
    #[cfg(feature = "seaorm-pg-backend")]
    pub mod seaorm_pg {
        pub use yauth_backend_seaorm_pg::*;
    }
    #[cfg(feature = "seaorm-mysql-backend")]
    pub mod seaorm_mysql {
        pub use yauth_backend_seaorm_mysql::*;
    }
    #[cfg(feature = "seaorm-sqlite-backend")]
    pub mod seaorm_sqlite {
        pub use yauth_backend_seaorm_sqlite::*;
    }
}

/// The names a typical application needs.
pub mod prelude {
    pub use crate::auth::{AuthMethod, AuthUser, ClientIp, CredentialExtractor};
    pub use crate::builder::{BuildError, YAuth, YAuthBuilder};
    pub use crate::config::{BindingAction, CookieConfig, YAuthConfig};
    #[cfg(feature = "email-password")]
    pub use crate::email_password::{DuplicateRegistration, EmailPasswordConfig};
    pub use crate::entity::{DatabaseBackend, RepoError, Repositories};
    pub use crate::error::{ApiError, ApiJson};
    pub use crate::event::{AuthEvent, EventResponse};
    pub use crate::mail::{Email, LogMailer, Mailer};
    pub use crate::password::{HashingConfig, PasswordPolicyConfig};
    pub use crate::plugin::{BoxFuture, YAuthPlugin};
    pub use crate::state::YAuthState;
}
