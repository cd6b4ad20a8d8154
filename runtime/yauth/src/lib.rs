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
//! The code is layered; each layer uses only the ones before it:
//! - [`contract`]: what plugins are written against: `ApiError`, `AuthEvent` and
//!   `Attempt`/`Verdict` (the one rule for events), `AuthUser`, `YAuthPlugin`, `YAuthState`;
//! - [`kit`]: the pieces every plugin shares: tokens, the one sign-in path, sessions and
//!   cookies, mail with a token link, input rules, the client's IP, rate limits, OpenAPI
//!   error answers;
//! - [`auth`] (the session-cookie extractor, the middleware of protected routes),
//!   [`password`] (Argon2id, the policy), [`hibp`] (breach check), [`mail`] (`Mailer`,
//!   SMTP, log and recording mailers), [`config`], [`builder`] (`YAuthBuilder`, `YAuth`);
//! - [`plugins`]: one folder per plugin: `core` (always on) and each feature's plugin.
//!
//! Routes carry their OpenAPI description (`#[utoipa::path]`, mounted with utoipa-axum's
//! `routes!`); with the `openapi` feature, `YAuth::openapi()` returns the document.
//! [`entity`] re-exports the domain types and repository traits every backend implements
//! (`yauth-entity`); [`backends`] has one module per backend feature.
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

#[cfg(feature = "redis")]
pub mod cache;
/// The Redis client `with_redis` takes a connection of (`redis::Client::open(url)?
/// .get_connection_manager().await?`).
#[cfg(feature = "redis")]
pub use redis;
/// The OpenAPI crates routes are described with (plugins use the same versions).
pub use {utoipa, utoipa_axum};

pub mod auth;
pub mod builder;
pub mod config;
pub mod contract;
pub mod hibp;
pub mod keys;
pub mod kit;
pub mod mail;
mod openapi;
pub mod password;
pub mod plugins;

#[cfg(feature = "bearer")]
pub use plugins::bearer;
#[cfg(feature = "email-password")]
pub use plugins::email_password;

/// The storage backends, one module per enabled backend feature.
pub mod backends {
    #[cfg(feature = "memory-backend")]
    /// The `memory-backend` feature's crate.
    pub mod memory {
        pub use yauth_backend_memory::*;
    }
    #[cfg(feature = "diesel-pg-backend")]
    /// The `diesel-pg-backend` feature's crate.
    pub mod diesel_pg {
        pub use yauth_backend_diesel_pg::*;
    }
    #[cfg(feature = "diesel-mysql-backend")]
    /// The `diesel-mysql-backend` feature's crate.
    pub mod diesel_mysql {
        pub use yauth_backend_diesel_mysql::*;
    }
    #[cfg(feature = "diesel-sqlite-backend")]
    /// The `diesel-sqlite-backend` feature's crate.
    pub mod diesel_sqlite {
        pub use yauth_backend_diesel_sqlite::*;
    }
    #[cfg(feature = "sqlx-pg-backend")]
    /// The `sqlx-pg-backend` feature's crate.
    pub mod sqlx_pg {
        pub use yauth_backend_sqlx_pg::*;
    }
    #[cfg(feature = "sqlx-mysql-backend")]
    /// The `sqlx-mysql-backend` feature's crate.
    pub mod sqlx_mysql {
        pub use yauth_backend_sqlx_mysql::*;
    }
    #[cfg(feature = "sqlx-sqlite-backend")]
    /// The `sqlx-sqlite-backend` feature's crate.
    pub mod sqlx_sqlite {
        pub use yauth_backend_sqlx_sqlite::*;
    }
    #[cfg(feature = "seaorm-pg-backend")]
    /// The `seaorm-pg-backend` feature's crate.
    pub mod seaorm_pg {
        pub use yauth_backend_seaorm_pg::*;
    }
    #[cfg(feature = "seaorm-mysql-backend")]
    /// The `seaorm-mysql-backend` feature's crate.
    pub mod seaorm_mysql {
        pub use yauth_backend_seaorm_mysql::*;
    }
    #[cfg(feature = "seaorm-sqlite-backend")]
    /// The `seaorm-sqlite-backend` feature's crate.
    pub mod seaorm_sqlite {
        pub use yauth_backend_seaorm_sqlite::*;
    }
}

/// The names a typical application needs.
pub mod prelude {
    pub use crate::builder::{BuildError, YAuth, YAuthBuilder};
    pub use crate::config::{BindingAction, CookieConfig, SecretKey, YAuthConfig};
    pub use crate::contract::error::{ApiError, ApiJson, ApiPath, ApiQuery};
    pub use crate::contract::event::{Attempt, AuthEvent, Verdict};
    pub use crate::contract::plugin::{
        BoxFuture, CredentialExtractor, PluginError, PluginState, YAuthPlugin,
    };
    pub use crate::contract::state::YAuthState;
    pub use crate::contract::user::{AuthMethod, AuthUser, OptionalAuthUser};
    pub use crate::entity::{DatabaseBackend, RepoError, Repositories};
    pub use crate::kit::request::RequestMeta;
    pub use crate::mail::{Email, LogMailer, Mailer};
    pub use crate::password::{HashingConfig, PasswordPolicyConfig};
    #[cfg(feature = "account-lockout")]
    pub use crate::plugins::account_lockout::{AccountLockout, AccountLockoutConfig};
    #[cfg(feature = "api-key")]
    pub use crate::plugins::api_key::{ApiKeyConfig, ApiKeys};
    #[cfg(feature = "bearer")]
    pub use crate::plugins::bearer::{Bearer, BearerConfig, SigningAlgorithm};
    #[cfg(feature = "email-password")]
    pub use crate::plugins::email_password::{
        DuplicateRegistration, EmailPassword, EmailPasswordConfig,
    };
    #[cfg(feature = "magic-link")]
    pub use crate::plugins::magic_link::{MagicLink, MagicLinkConfig};
    #[cfg(feature = "mfa")]
    pub use crate::plugins::mfa::{Mfa, MfaConfig};
    #[cfg(feature = "oauth")]
    pub use crate::plugins::oauth::{OAuth, OAuthConfig, OAuthProvider};
    #[cfg(feature = "oauth2-server")]
    pub use crate::plugins::oauth2_server::{
        ClientMetadata, ClientRegistration, OAuth2Server, OAuth2ServerConfig, OidcConfig,
    };
    #[cfg(feature = "passkey")]
    pub use crate::plugins::passkey::{PasskeyConfig, Passkeys};
    #[cfg(feature = "webhooks")]
    pub use crate::plugins::webhooks::{WebhookConfig, Webhooks};
}
