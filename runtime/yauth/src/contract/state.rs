//! The state every handler gets: repositories, configuration, plugins and extractors; and
//! the two ways of involving plugins, [`YAuthState::emit`] and [`YAuthState::ask`].

use std::sync::Arc;

use axum::http::request::Parts;
use chrono::Utc;
use uuid::Uuid;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::{Attempt, AuthEvent, RequestMeta, Verdict};
use crate::contract::plugin::{CredentialExtractor, TokenIssuer, YAuthPlugin};
use crate::contract::user::AuthUser;
use crate::entity::{AuditLog, Repositories};
use crate::keys::Sealer;

/// Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct YAuthState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for YAuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YAuthState")
            .field("plugins", &self.plugin_names())
            .finish_non_exhaustive()
    }
}

struct Inner {
    repos: Repositories,
    config: YAuthConfig,
    plugins: Vec<Arc<dyn YAuthPlugin>>,
    extractors: Vec<Box<dyn CredentialExtractor>>,
    token_issuer: Option<Arc<dyn TokenIssuer>>,
    /// Present when `YAuthConfig::secret_key` is set.
    sealer: Option<Sealer>,
    #[cfg(feature = "bearer")]
    signing_keys: crate::keys::signing::SigningKeys,
}

/// What the plugins said to a sign-in attempt that none of them blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignInClearance {
    /// Sign the user in.
    Proceed,
    /// A plugin asks for a second factor first.
    SecondFactor { pending_session_id: String },
}

impl YAuthState {
    pub(crate) fn new(
        repos: Repositories,
        config: YAuthConfig,
        plugins: Vec<Arc<dyn YAuthPlugin>>,
        extractors: Vec<Box<dyn CredentialExtractor>>,
    ) -> Self {
        let token_issuer = plugins.iter().find_map(|p| p.token_issuer());
        let sealer = config
            .secret_key
            .as_ref()
            .map(|key| Sealer::new(key, &config.old_secret_keys));
        YAuthState {
            inner: Arc::new(Inner {
                repos,
                config,
                plugins,
                extractors,
                token_issuer,
                sealer,
                #[cfg(feature = "bearer")]
                signing_keys: Default::default(),
            }),
        }
    }

    /// The sealer of `YAuthConfig::secret_key`; a 500 (logged) when no key is configured,
    /// which plugins that need one prevent by refusing to start without it.
    pub fn sealer(&self) -> Result<&Sealer, ApiError> {
        self.inner
            .sealer
            .as_ref()
            .ok_or_else(|| ApiError::internal_message("no secret key: set YAuthConfig::secret_key"))
    }

    /// The signing keys (bearer tokens, and the OAuth 2 server's and OIDC's tokens).
    #[cfg(feature = "bearer")]
    pub fn signing_keys(&self) -> &crate::keys::signing::SigningKeys {
        &self.inner.signing_keys
    }

    /// What issues token pairs for a sign-in that asks for tokens; `None` without the
    /// bearer plugin.
    pub fn token_issuer(&self) -> Option<&Arc<dyn TokenIssuer>> {
        self.inner.token_issuer.as_ref()
    }

    /// Seals every stored secret again under the current secret key (after rotating it):
    /// each plugin's (`YAuthPlugin::reseal`). Answers how many values changed; the first
    /// failure stops it (run it again once fixed: it skips what is already resealed).
    pub async fn reseal(&self) -> Result<u64, ApiError> {
        let mut changed = 0;
        for plugin in &self.inner.plugins {
            changed += plugin.reseal(self).await?;
        }
        Ok(changed)
    }

    /// The built plugin of type `P`, if it is enabled and offers itself
    /// ([`YAuthPlugin::as_any`]): the way to a plugin's Rust API after the build.
    pub fn plugin<P: YAuthPlugin>(&self) -> Option<&P> {
        self.inner
            .plugins
            .iter()
            .find_map(|p| p.as_any()?.downcast_ref::<P>())
    }

    /// Every repository of the backend.
    pub fn repos(&self) -> &Repositories {
        &self.inner.repos
    }

    /// The shared configuration.
    pub fn config(&self) -> &YAuthConfig {
        &self.inner.config
    }

    /// The names of the enabled plugins, in the order they were added (`core`, always
    /// there, is left out).
    pub fn plugin_names(&self) -> Vec<&'static str> {
        self.inner
            .plugins
            .iter()
            .map(|p| p.name())
            .filter(|name| *name != crate::contract::plugin::CORE_PLUGIN)
            .collect()
    }

    /// The caller, trying every credential extractor in order (the session cookie, then the
    /// plugins'). `Ok(None)`: no valid credentials.
    pub async fn authenticate(&self, parts: &Parts) -> Result<Option<AuthUser>, ApiError> {
        for extractor in &self.inner.extractors {
            if let Some(user) = extractor.authenticate(parts, self).await? {
                return Ok(Some(user));
            }
        }
        Ok(None)
    }

    /// The plugins' background workers, not yet started.
    pub(crate) fn workers(&self) -> Vec<crate::contract::plugin::BoxFuture<'static, ()>> {
        self.inner
            .plugins
            .iter()
            .filter_map(|p| p.worker(self))
            .collect()
    }

    /// Records that something happened: writes the audit row (with the client's IP and
    /// User-Agent), then shows the event to every plugin. A failed audit write is logged,
    /// never fatal. Nothing is returned: an event cannot be vetoed (ask with
    /// [`YAuthState::ask`] before committing instead).
    pub async fn emit(&self, event: AuthEvent, client: &RequestMeta) {
        let row = Self::audit_row(&event, client);
        if let Err(e) = self.repos().audit_log.insert_audit(&row).await {
            tracing::error!(error = %e, event = event.name(), "could not write the audit log");
        }
        self.notify(&event).await;
    }

    /// Shows plugins an event whose audit row was already written (by a composite operation,
    /// in the same transaction as the change).
    pub async fn notify(&self, event: &AuthEvent) {
        for plugin in &self.inner.plugins {
            plugin.on_event(event, self).await;
        }
    }

    /// Asks every plugin about an operation before it commits: `Err` (the plugin's status
    /// and message, code `blocked`) when one blocks it. A request for a second factor is
    /// honoured only by the sign-in path; here it fails closed, like a block.
    pub async fn ask(&self, attempt: &Attempt<'_>) -> Result<(), ApiError> {
        match self.verdict(attempt).await {
            Verdict::Allow => Ok(()),
            Verdict::Block { status, message } => Err(ApiError::new(status, "blocked", message)),
            Verdict::Locked { retry_after } => Err(ApiError::locked(retry_after)),
            Verdict::RequireMfa { .. } => {
                tracing::error!(
                    attempt = attempt.name(),
                    "a plugin asked for a second factor outside a sign-in; refused"
                );
                Err(ApiError::forbidden(
                    "blocked",
                    "this operation is not allowed",
                ))
            }
        }
    }

    /// [`YAuthState::ask`] for a sign-in, where a second factor may be required.
    pub(crate) async fn ask_sign_in(
        &self,
        attempt: &Attempt<'_>,
    ) -> Result<SignInClearance, ApiError> {
        match self.verdict(attempt).await {
            Verdict::Allow => Ok(SignInClearance::Proceed),
            Verdict::RequireMfa { pending_session_id } => {
                Ok(SignInClearance::SecondFactor { pending_session_id })
            }
            Verdict::Block { status, message } => Err(ApiError::new(status, "blocked", message)),
            Verdict::Locked { retry_after } => Err(ApiError::locked(retry_after)),
        }
    }

    /// Every plugin's verdict, combined: a block (the first) wins over a second-factor request
    /// (the first), which wins over allow; so a plugin added before a lockout plugin cannot
    /// hide its block.
    async fn verdict(&self, attempt: &Attempt<'_>) -> Verdict {
        let mut combined = Verdict::Allow;
        for plugin in &self.inner.plugins {
            match plugin.check(attempt, self).await {
                block @ (Verdict::Block { .. } | Verdict::Locked { .. }) => return block,
                mfa @ Verdict::RequireMfa { .. } if combined == Verdict::Allow => combined = mfa,
                _ => {}
            }
        }
        combined
    }

    /// One round of upkeep: every plugin deletes its expired rows (sessions, tokens,
    /// rate-limit windows, audit rows past their retention). Answers how many rows went; a
    /// plugin's failure is logged and the others still run.
    pub async fn run_maintenance(&self) -> u64 {
        let mut removed = 0;
        for plugin in &self.inner.plugins {
            match plugin.maintain(self).await {
                Ok(n) => removed += n,
                Err(e) => {
                    tracing::error!(plugin = plugin.name(), error = %e.message, "maintenance failed")
                }
            }
        }
        removed
    }

    /// The audit row an event is written as.
    pub fn audit_row(event: &AuthEvent, client: &RequestMeta) -> AuditLog {
        AuditLog {
            id: Uuid::now_v7(),
            user_id: event.user_id(),
            event_type: event.name().to_string(),
            metadata: Some(event.metadata()),
            ip_address: client.ip_text(),
            user_agent: client.user_agent.clone(),
            created_at: Utc::now(),
        }
    }
}
