//! The email-password plugin: register, login, email verification, forgot/reset and change
//! password.
//!
//! Answers never tell a stranger whether an email has an account: login fails the same way
//! for an unknown email, a wrong password and (when verification is required) an unverified
//! account, with one Argon2 verification on every path; forgot-password,
//! resend-verification and register answer the same whatever the email. One exception is
//! inherent: with `require_email_verification: false`, registering an email with a password
//! of one's choosing and then signing in with it succeeds only for a new email. Keep
//! verification on where that matters.
//!
//! - `routes`: the HTTP surface (bodies, `#[utoipa::path]`, thin handlers);
//! - `flows`: what each route does, over yauth's state and the plugin's, with no HTTP types;
//! - `mail`: the mails it sends.

use std::sync::Arc;
use std::time::Duration;

use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::plugin::{BoxFuture, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::hibp::{Hibp, HibpConfig};
use crate::kit::limits::Limit;
use crate::mail::Mailer;
use crate::password::{Hasher, HashingConfig, PasswordPolicyConfig};

mod flows;
mod mail;
mod routes;

/// The plugin's name.
pub const NAME: &str = "email-password";

/// What happens when someone registers an email that already has an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicateRegistration {
    /// Answer exactly like a new registration and mail the owner a notice (default).
    #[default]
    NotifyOwner,
    /// Answer 409 `email_taken` (tells anyone which emails have accounts).
    Conflict,
}

/// The rate limits of the plugin's routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailPasswordRateLimits {
    /// `POST /login`, per client IP.
    pub login_per_ip: Limit,
    /// Login attempts per email that have not ended in a success (known emails or not,
    /// from any IP; NIST SP 800-63B §5.2.2): past it, logins for that email answer 429 until
    /// the window ends. A success clears the count. Default 10 per 15 minutes.
    pub failed_logins_per_email: Limit,
    /// The longer run of attempts without a success after which only a password reset (or
    /// the window's end) lets logins for the email through: NIST's bound of at most 100
    /// consecutive failures. Default 100 per 30 days.
    pub failed_logins_before_reset: Limit,
    /// How long a network (an IPv4 address, an IPv6 /64) that signed in to an email stays
    /// exempt from that email's failure counts, so that strangers' failures cannot lock its
    /// owner out. Default: 30 days (the `max` is not used).
    pub known_network: Limit,
    /// `POST /change-password`, per user and per client IP.
    pub change_password: Limit,
    /// `POST /register`, per client IP.
    pub register_per_ip: Limit,
    /// Routes that send mail, per client IP.
    pub mail_per_ip: Limit,
    /// Routes that send mail (and the duplicate-registration notice), per target email.
    pub mail_per_email: Limit,
}

impl Default for EmailPasswordRateLimits {
    fn default() -> Self {
        EmailPasswordRateLimits {
            login_per_ip: Limit::per_minute(20),
            failed_logins_per_email: Limit {
                max: 10,
                window: Duration::from_secs(15 * 60),
            },
            failed_logins_before_reset: Limit {
                max: 100,
                window: Duration::from_secs(30 * 24 * 3600),
            },
            known_network: Limit {
                max: u32::MAX,
                window: Duration::from_secs(30 * 24 * 3600),
            },
            change_password: Limit::per_hour(10),
            register_per_ip: Limit::per_hour(20),
            mail_per_ip: Limit::per_hour(20),
            mail_per_email: Limit::per_hour(5),
        }
    }
}

/// `EmailPasswordConfig`: the plugin's settings.
#[derive(Clone)]
pub struct EmailPasswordConfig {
    /// Refuse sign-in until the email is verified. Default on. Either way `email_verified`
    /// stays false until a verification link is redeemed, and registration mails one.
    pub require_email_verification: bool,
    /// What a new password must satisfy.
    pub password_policy: PasswordPolicyConfig,
    /// Argon2id parameters.
    pub hashing: HashingConfig,
    /// How long a verification link works. Default 24 h.
    pub verification_ttl: Duration,
    /// How long a reset link works. Default 1 h.
    pub reset_ttl: Duration,
    /// What registering a taken email does.
    pub duplicate_registration: DuplicateRegistration,
    /// The limits of the plugin's routes.
    pub rate_limits: EmailPasswordRateLimits,
    /// Who delivers the mails. There is no default: set an SMTP mailer, or choose
    /// `LogMailer` explicitly for development (it warns at start that links go to the log).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// The breached-password check; `None` turns it off. On by default.
    pub hibp: Option<HibpConfig>,
}

impl std::fmt::Debug for EmailPasswordConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailPasswordConfig")
            .field(
                "require_email_verification",
                &self.require_email_verification,
            )
            .field("password_policy", &self.password_policy)
            .field("hashing", &self.hashing)
            .field("verification_ttl", &self.verification_ttl)
            .field("reset_ttl", &self.reset_ttl)
            .field("duplicate_registration", &self.duplicate_registration)
            .field("rate_limits", &self.rate_limits)
            .field("hibp", &self.hibp)
            .finish_non_exhaustive()
    }
}

impl Default for EmailPasswordConfig {
    fn default() -> Self {
        EmailPasswordConfig {
            require_email_verification: true,
            password_policy: PasswordPolicyConfig::default(),
            hashing: HashingConfig::default(),
            verification_ttl: Duration::from_secs(24 * 3600),
            reset_ttl: Duration::from_secs(3600),
            duplicate_registration: DuplicateRegistration::NotifyOwner,
            rate_limits: EmailPasswordRateLimits::default(),
            mailer: None,
            hibp: Some(HibpConfig::default()),
        }
    }
}

/// The plugin: `YAuthBuilder::with_email_password(config)`, or
/// `with_plugin(Box::new(EmailPassword::new(config)?))`.
#[derive(Debug)]
pub struct EmailPassword {
    service: Arc<Service>,
}

/// What the plugin's routes share: its configuration, the hasher and the breach check.
#[derive(Debug)]
pub(crate) struct Service {
    config: EmailPasswordConfig,
    mailer: Arc<dyn Mailer>,
    hasher: Hasher,
    hibp: Option<Hibp>,
}

impl EmailPassword {
    /// Checks the configuration (a mailer, Argon2 parameters, the HIBP client).
    pub fn new(config: EmailPasswordConfig) -> Result<Self, PluginError> {
        let mailer = config.mailer.clone().ok_or_else(|| {
            PluginError(
                "no mailer: set `mailer` (an SMTP mailer), or `Some(Arc::new(LogMailer))` \
                 to write links to the log during development"
                    .into(),
            )
        })?;
        let hasher = Hasher::new(&config.hashing).map_err(PluginError)?;
        let hibp = config
            .hibp
            .clone()
            .map(Hibp::new)
            .transpose()
            .map_err(PluginError)?;
        Ok(EmailPassword {
            service: Arc::new(Service {
                config,
                mailer,
                hasher,
                hibp,
            }),
        })
    }

    /// The hasher (benches and the enumeration tests read its verification count).
    pub fn hasher(&self) -> &Hasher {
        &self.service.hasher
    }
}

impl YAuthPlugin for EmailPassword {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, _config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            if self.service.mailer.writes_to_log() {
                tracing::warn!(
                    "email-password mails go to the log (LogMailer): anyone who can read the log \
                     can verify, reset and sign in to any account; configure a real mailer"
                );
            }
            self.service.hasher.warm_up().await.map_err(|e| {
                PluginError(format!("could not compute the dummy hash: {}", e.message))
            })
        })
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            let now = chrono::Utc::now();
            let repos = state.repos();
            Ok(repos
                .email_verifications
                .delete_expired_email_verifications(now)
                .await?
                + repos
                    .password_resets
                    .delete_expired_password_resets(now)
                    .await?)
        })
    }

    fn public_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::public(state, self.service.clone()))
    }

    fn protected_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected(state, self.service.clone()))
    }
}
