//! Events and attempts: the one rule for plugins that react to what yauth does.
//!
//! - An [`AuthEvent`] says what *happened*. It is written to `yauth_audit_log` under its
//!   stable name and then shown to every plugin ([`YAuthState::emit`]); a plugin cannot
//!   undo it, and `emit` returns nothing to ignore.
//! - An [`Attempt`] says what is *about to happen*. Every plugin is asked before the
//!   operation commits ([`YAuthState::ask`]); its [`Verdict`] can block it, and for a
//!   sign-in ask for a second factor. `ask` returns a `Result` (`#[must_use]`), and the
//!   sign-in path of the kit asks by itself, so a call site cannot drop a veto by accident.
//!
//! [`YAuthState::emit`]: crate::contract::state::YAuthState::emit
//! [`YAuthState::ask`]: crate::contract::state::YAuthState::ask

use axum::http::StatusCode;
use uuid::Uuid;

use crate::entity::User;

/// Something that happened. The variant names are part of the public contract: their
/// [`AuthEvent::name`] is stored in `audit_log.event_type` and matched by webhook
/// subscriptions, so they never change once released.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AuthEvent {
    UserRegistered {
        user_id: Uuid,
        email: String,
    },
    LoginSucceeded {
        user_id: Uuid,
        method: String,
    },
    LoginFailed {
        user_id: Option<Uuid>,
        reason: String,
    },
    SessionCreated {
        user_id: Uuid,
        session_id: Uuid,
    },
    Logout {
        user_id: Uuid,
        session_id: Uuid,
    },
    PasswordChanged {
        user_id: Uuid,
    },
    EmailVerified {
        user_id: Uuid,
    },
    MfaEnabled {
        user_id: Uuid,
    },
    MfaDisabled {
        user_id: Uuid,
    },
    UserBanned {
        user_id: Uuid,
    },
    UserUnbanned {
        user_id: Uuid,
    },
    MagicLinkSent {
        email: String,
    },
    MagicLinkVerified {
        user_id: Uuid,
    },
    AccountLocked {
        user_id: Uuid,
    },
    AccountUnlocked {
        user_id: Uuid,
    },
    WebhookDelivered {
        webhook_id: Uuid,
    },
    /// Operations the spec names no event for; written to the audit log all the same.
    PasswordResetRequested {
        user_id: Option<Uuid>,
    },
    PasswordReset {
        user_id: Uuid,
    },
    VerificationResent {
        user_id: Option<Uuid>,
    },
    ProfileUpdated {
        user_id: Uuid,
    },
}

impl AuthEvent {
    /// The stable snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            AuthEvent::UserRegistered { .. } => "user_registered",
            AuthEvent::LoginSucceeded { .. } => "login_succeeded",
            AuthEvent::LoginFailed { .. } => "login_failed",
            AuthEvent::SessionCreated { .. } => "session_created",
            AuthEvent::Logout { .. } => "logout",
            AuthEvent::PasswordChanged { .. } => "password_changed",
            AuthEvent::EmailVerified { .. } => "email_verified",
            AuthEvent::MfaEnabled { .. } => "mfa_enabled",
            AuthEvent::MfaDisabled { .. } => "mfa_disabled",
            AuthEvent::UserBanned { .. } => "user_banned",
            AuthEvent::UserUnbanned { .. } => "user_unbanned",
            AuthEvent::MagicLinkSent { .. } => "magic_link_sent",
            AuthEvent::MagicLinkVerified { .. } => "magic_link_verified",
            AuthEvent::AccountLocked { .. } => "account_locked",
            AuthEvent::AccountUnlocked { .. } => "account_unlocked",
            AuthEvent::WebhookDelivered { .. } => "webhook_delivered",
            AuthEvent::PasswordResetRequested { .. } => "password_reset_requested",
            AuthEvent::PasswordReset { .. } => "password_reset",
            AuthEvent::VerificationResent { .. } => "verification_resent",
            AuthEvent::ProfileUpdated { .. } => "profile_updated",
        }
    }

    /// The user the event is about, if known (the audit row's `user_id`).
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            AuthEvent::UserRegistered { user_id, .. }
            | AuthEvent::LoginSucceeded { user_id, .. }
            | AuthEvent::SessionCreated { user_id, .. }
            | AuthEvent::Logout { user_id, .. }
            | AuthEvent::PasswordChanged { user_id }
            | AuthEvent::EmailVerified { user_id }
            | AuthEvent::MfaEnabled { user_id }
            | AuthEvent::MfaDisabled { user_id }
            | AuthEvent::UserBanned { user_id }
            | AuthEvent::UserUnbanned { user_id }
            | AuthEvent::MagicLinkVerified { user_id }
            | AuthEvent::AccountLocked { user_id }
            | AuthEvent::AccountUnlocked { user_id }
            | AuthEvent::PasswordReset { user_id }
            | AuthEvent::ProfileUpdated { user_id } => Some(*user_id),
            AuthEvent::LoginFailed { user_id, .. }
            | AuthEvent::PasswordResetRequested { user_id }
            | AuthEvent::VerificationResent { user_id } => *user_id,
            AuthEvent::MagicLinkSent { .. } | AuthEvent::WebhookDelivered { .. } => None,
        }
    }

    /// Details for the audit row, without secrets.
    pub fn metadata(&self) -> serde_json::Value {
        match self {
            AuthEvent::LoginSucceeded { method, .. } => serde_json::json!({ "method": method }),
            AuthEvent::LoginFailed { reason, .. } => serde_json::json!({ "reason": reason }),
            AuthEvent::SessionCreated { session_id, .. } | AuthEvent::Logout { session_id, .. } => {
                serde_json::json!({ "session_id": session_id })
            }
            AuthEvent::WebhookDelivered { webhook_id } => {
                serde_json::json!({ "webhook_id": webhook_id })
            }
            _ => serde_json::json!({}),
        }
    }
}

/// An operation that is about to commit, which plugins may veto.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Attempt<'a> {
    /// A new account is about to be created for `email` (normalised).
    Register {
        /// The normalised email.
        email: &'a str,
    },
    /// `user` proved who they are with `method` and is about to be signed in (a session or a
    /// token pair). The only attempt that [`Verdict::RequireMfa`] applies to.
    SignIn {
        /// The user about to be signed in.
        user: &'a User,
        /// How they proved it: `email-password`, `magic-link`, `passkey`, …
        method: &'static str,
    },
}

impl Attempt<'_> {
    /// A short stable name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Attempt::Register { .. } => "register",
            Attempt::SignIn { .. } => "sign_in",
        }
    }
}

/// A plugin's answer to an [`Attempt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No objection.
    Allow,
    /// Stop the sign-in and ask for a second factor (the MFA plugin). Honoured only for
    /// [`Attempt::SignIn`]; for any other attempt it fails closed, like a block.
    RequireMfa {
        /// The id the client passes to the second-factor route.
        pending_session_id: String,
    },
    /// Refuse the operation with this status and message.
    Block {
        /// The HTTP status of the refusal (4xx).
        status: StatusCode,
        /// A sentence for people.
        message: String,
    },
}
