//! The state every handler gets: repositories, configuration, plugins and extractors.

use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use crate::auth::CredentialExtractor;
use crate::config::YAuthConfig;
use crate::entity::{AuditLog, Repositories};
use crate::event::{AuthEvent, EventResponse};
use crate::plugin::YAuthPlugin;

/// Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct YAuthState {
    inner: Arc<Inner>,
}

struct Inner {
    repos: Repositories,
    config: YAuthConfig,
    plugins: Vec<Arc<dyn YAuthPlugin>>,
    extractors: Vec<Box<dyn CredentialExtractor>>,
}

impl YAuthState {
    pub(crate) fn new(
        repos: Repositories,
        config: YAuthConfig,
        plugins: Vec<Arc<dyn YAuthPlugin>>,
        extractors: Vec<Box<dyn CredentialExtractor>>,
    ) -> Self {
        YAuthState {
            inner: Arc::new(Inner {
                repos,
                config,
                plugins,
                extractors,
            }),
        }
    }

    pub fn repos(&self) -> &Repositories {
        &self.inner.repos
    }

    pub fn config(&self) -> &YAuthConfig {
        &self.inner.config
    }

    /// The names of the enabled plugins, in the order they were added.
    pub fn plugin_names(&self) -> Vec<&'static str> {
        self.inner.plugins.iter().map(|p| p.name()).collect()
    }

    pub(crate) fn extractors(&self) -> &[Box<dyn CredentialExtractor>] {
        &self.inner.extractors
    }

    /// Emits an event: writes it to the audit log, then asks every plugin; the first answer
    /// other than `Continue` is returned. A failed audit write is logged, never fatal.
    pub async fn emit(&self, event: AuthEvent, ip: Option<&str>) -> EventResponse {
        let row = Self::audit_row(&event, ip);
        if let Err(e) = self.repos().audit_log.insert_audit(&row).await {
            tracing::error!(error = %e, event = event.name(), "could not write the audit log");
        }
        self.notify(&event).await
    }

    /// Asks every plugin about an event whose audit row was already written (by a composite
    /// operation, in the same transaction as the change).
    pub async fn notify(&self, event: &AuthEvent) -> EventResponse {
        for plugin in &self.inner.plugins {
            let answer = plugin.on_event(event, self).await;
            if answer != EventResponse::Continue {
                return answer;
            }
        }
        EventResponse::Continue
    }

    /// The audit row an event is written as.
    pub fn audit_row(event: &AuthEvent, ip: Option<&str>) -> AuditLog {
        AuditLog {
            id: Uuid::now_v7(),
            user_id: event.user_id(),
            event_type: event.name().to_string(),
            metadata: Some(event.metadata()),
            ip_address: ip.map(str::to_string),
            created_at: Utc::now(),
        }
    }
}
