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

use std::net::IpAddr;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::entity::User;

/// The client of a request: its IP and User-Agent, as the audit row records them. Read by
/// its extractor (`kit::request`, under the configured trusted proxies); `default()` for
/// work that no request caused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The client IP, when known.
    pub ip: Option<IpAddr>,
    /// The User-Agent header, cut to `kit::request::MAX_USER_AGENT` characters.
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// The IP as text (audit rows, sessions).
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

/// What a signed-in user gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant<'a> {
    /// A session and its cookie.
    Session {
        /// A long-lived session (`remember_me_ttl`) with a persistent cookie, instead of the
        /// default one.
        remember_me: bool,
    },
    /// An access token and a refresh token (the bearer plugin's issuer), with these scopes.
    Tokens {
        /// The scopes granted (already checked against what the issuer allows).
        scopes: &'a [String],
    },
}

/// Something that happened. The variant names are part of the public contract: their
/// [`AuthEvent::name`] is stored in `audit_log.event_type` and matched by webhook
/// subscriptions, so they never change once released.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AuthEvent {
    /// A new account was created.
    UserRegistered {
        /// The user concerned.
        user_id: Uuid,
        /// The normalised email.
        email: String,
    },
    /// A user signed in.
    LoginSucceeded {
        /// The user concerned.
        user_id: Uuid,
        /// How the user proved who they are (`email-password`, …).
        method: String,
    },
    /// A sign-in failed (a wrong password, an unknown email, a veto).
    LoginFailed {
        /// The user concerned.
        user_id: Option<Uuid>,
        /// Why, as a machine code (`invalid_credentials`, `email_not_verified`, `blocked`).
        reason: String,
    },
    /// A session was created by a sign-in.
    SessionCreated {
        /// The user concerned.
        user_id: Uuid,
        /// The session.
        session_id: Uuid,
    },
    /// A session was ended by its user.
    Logout {
        /// The user concerned.
        user_id: Uuid,
        /// The session.
        session_id: Uuid,
    },
    /// A signed-in user changed their password.
    PasswordChanged {
        /// The user concerned.
        user_id: Uuid,
    },
    /// A verification link was redeemed.
    EmailVerified {
        /// The user concerned.
        user_id: Uuid,
    },
    /// A second factor was turned on.
    MfaEnabled {
        /// The user concerned.
        user_id: Uuid,
    },
    /// A second factor was turned off.
    MfaDisabled {
        /// The user concerned.
        user_id: Uuid,
    },
    /// An admin banned a user.
    UserBanned {
        /// The user concerned.
        user_id: Uuid,
        /// The admin who did it.
        admin_id: Uuid,
    },
    /// An admin lifted a ban.
    UserUnbanned {
        /// The user concerned.
        user_id: Uuid,
        /// The admin who did it.
        admin_id: Uuid,
    },
    /// A sign-in link was mailed.
    MagicLinkSent {
        /// The normalised email.
        email: String,
    },
    /// A sign-in link was redeemed.
    MagicLinkVerified {
        /// The user concerned.
        user_id: Uuid,
    },
    /// Too many failed password attempts locked an account (an email without an account is
    /// locked alike, but has nobody to audit).
    AccountLocked {
        /// The user concerned.
        user_id: Uuid,
        /// When the lock lifts by itself (`None`: only an unlock lifts it).
        until: Option<DateTime<Utc>>,
    },
    /// A locked account was unlocked: by a mailed token, by an admin, or by a password reset.
    AccountUnlocked {
        /// The user concerned.
        user_id: Uuid,
        /// The admin who did it, when one did.
        admin_id: Option<Uuid>,
    },
    /// A webhook delivery succeeded (a 2xx answer). Never itself delivered to a webhook.
    WebhookDelivered {
        /// The webhook.
        webhook_id: Uuid,
        /// The delivery (its `X-Webhook-Id`).
        delivery_id: Uuid,
    },
    /// A webhook delivery was given up: every retry failed, or the webhook was deactivated
    /// meanwhile. Never itself delivered to a webhook.
    WebhookDeliveryFailed {
        /// The webhook.
        webhook_id: Uuid,
        /// The delivery (its `X-Webhook-Id`).
        delivery_id: Uuid,
    },
    // Operations the spec names no event for; written to the audit log all the same.
    /// A reset link was asked for (whether or not the email has an account).
    PasswordResetRequested {
        /// The user concerned.
        user_id: Option<Uuid>,
    },
    /// A password was reset with a mailed link.
    PasswordReset {
        /// The user concerned.
        user_id: Uuid,
    },
    /// A new verification link was asked for.
    VerificationResent {
        /// The user concerned.
        user_id: Option<Uuid>,
    },
    /// A user changed their profile.
    ProfileUpdated {
        /// The user concerned.
        user_id: Uuid,
    },
    /// A sign-in issued a token pair (a new refresh family).
    TokenIssued {
        /// The user concerned.
        user_id: Uuid,
        /// The refresh family.
        family_id: Uuid,
    },
    /// A refresh token was rotated for a new pair.
    TokenRefreshed {
        /// The user concerned.
        user_id: Uuid,
        /// The refresh family.
        family_id: Uuid,
    },
    /// A user revoked a refresh family.
    TokenRevoked {
        /// The user concerned.
        user_id: Uuid,
        /// The refresh family.
        family_id: Uuid,
    },
    /// An admin changed a user's profile, role or verification.
    UserUpdated {
        /// The user concerned.
        user_id: Uuid,
        /// The admin who did it.
        admin_id: Uuid,
    },
    /// An admin deleted a user (the audit row keeps the id in its metadata: the user row is
    /// gone).
    UserDeleted {
        /// The deleted user.
        user_id: Uuid,
        /// The admin who did it.
        admin_id: Uuid,
    },
    /// An admin opened a session as a user.
    ImpersonationStarted {
        /// The admin.
        admin_id: Uuid,
        /// The user impersonated.
        user_id: Uuid,
        /// The impersonation session.
        session_id: Uuid,
    },
    /// An admin ended a user's session.
    SessionRevoked {
        /// The user whose session it was.
        user_id: Uuid,
        /// The admin who did it.
        admin_id: Uuid,
        /// The session.
        session_id: Uuid,
    },
    /// A user created an API key.
    ApiKeyCreated {
        /// The user concerned.
        user_id: Uuid,
        /// The key.
        key_id: Uuid,
    },
    /// A user deleted an API key.
    ApiKeyDeleted {
        /// The user concerned.
        user_id: Uuid,
        /// The key.
        key_id: Uuid,
    },
    /// An already rotated refresh token was presented again: the family was revoked.
    RefreshTokenReused {
        /// The user concerned.
        user_id: Uuid,
        /// The refresh family.
        family_id: Uuid,
    },
    /// A second-factor code was accepted (a sign-in's second step, or an MFA change).
    MfaCodeAccepted {
        /// The user concerned.
        user_id: Uuid,
        /// `totp` or `backup_code`.
        kind: String,
    },
    /// A second-factor code was refused (wrong, replayed, or a used backup code).
    MfaCodeRefused {
        /// The user concerned.
        user_id: Uuid,
    },
    /// A user replaced their backup codes.
    BackupCodesRegenerated {
        /// The user concerned.
        user_id: Uuid,
    },
    /// A user registered a passkey.
    PasskeyRegistered {
        /// The user concerned.
        user_id: Uuid,
        /// The passkey (`GET /passkeys` id).
        passkey_id: Uuid,
    },
    /// A user deleted a passkey.
    PasskeyDeleted {
        /// The user concerned.
        user_id: Uuid,
        /// The passkey.
        passkey_id: Uuid,
    },
    /// A passkey proved its user (a passkey sign-in).
    PasskeyUsed {
        /// The user concerned.
        user_id: Uuid,
        /// The passkey.
        passkey_id: Uuid,
    },
    /// An OAuth 2 client was registered (`POST /oauth/register`, or the Rust API).
    OAuthClientRegistered {
        /// The new client's `client_id`.
        client_id: String,
    },
    /// A user granted an OAuth 2 client scopes (the consent decision).
    OAuthConsentGranted {
        /// The user concerned.
        user_id: Uuid,
        /// The client.
        client_id: String,
        /// Every scope the user has now granted the client.
        scopes: Vec<String>,
    },
    /// An authorization code went to a client's redirect URI.
    OAuthCodeIssued {
        /// The user who authorized it.
        user_id: Uuid,
        /// The client.
        client_id: String,
    },
    /// The token endpoint issued an access token.
    OAuthTokenIssued {
        /// The user the token acts for; `None` for a client's own token
        /// (`client_credentials`).
        user_id: Option<Uuid>,
        /// The client.
        client_id: String,
        /// `authorization_code`, `refresh_token`, `client_credentials`, …
        grant_type: String,
    },
    /// A client revoked one of its tokens (`POST /oauth/revoke`).
    OAuthTokenRevoked {
        /// The user the token acted for, if any.
        user_id: Option<Uuid>,
        /// The client.
        client_id: String,
    },
    /// A provider account was linked to a user (a sign-in that linked or created the
    /// account, or `POST /oauth/{provider}/link`).
    OAuthAccountLinked {
        /// The user concerned.
        user_id: Uuid,
        /// The provider's name.
        provider: String,
    },
    /// A user unlinked a provider (`DELETE /oauth/{provider}`).
    OAuthAccountUnlinked {
        /// The user concerned.
        user_id: Uuid,
        /// The provider's name.
        provider: String,
    },
    /// A provider account proved its user (an OAuth sign-in; `login_succeeded` follows
    /// unless a second factor is asked for).
    OAuthAccountUsed {
        /// The user concerned.
        user_id: Uuid,
        /// The provider's name.
        provider: String,
    },
    /// An authorization code or a rotated OAuth 2 refresh token was presented again: every
    /// token of its grant was revoked.
    OAuthGrantReused {
        /// The user of the grant.
        user_id: Uuid,
        /// The client that presented it.
        client_id: String,
        /// `authorization_code` or `refresh_token`.
        grant_type: String,
    },
}

impl AuthEvent {
    /// Every [`AuthEvent::name`], in declaration order: what a webhook may subscribe to.
    pub const NAMES: &'static [&'static str] = &[
        "user_registered",
        "login_succeeded",
        "login_failed",
        "session_created",
        "logout",
        "password_changed",
        "email_verified",
        "mfa_enabled",
        "mfa_disabled",
        "user_banned",
        "user_unbanned",
        "magic_link_sent",
        "magic_link_verified",
        "account_locked",
        "account_unlocked",
        "webhook_delivered",
        "webhook_delivery_failed",
        "password_reset_requested",
        "password_reset",
        "verification_resent",
        "profile_updated",
        "token_issued",
        "token_refreshed",
        "token_revoked",
        "refresh_token_reused",
        "api_key_created",
        "api_key_deleted",
        "user_updated",
        "user_deleted",
        "impersonation_started",
        "session_revoked",
        "mfa_code_accepted",
        "mfa_code_refused",
        "backup_codes_regenerated",
        "passkey_registered",
        "oauth_client_registered",
        "oauth_consent_granted",
        "oauth_code_issued",
        "oauth_token_issued",
        "oauth_token_revoked",
        "oauth_grant_reused",
        "oauth_account_linked",
        "oauth_account_unlinked",
        "oauth_account_used",
        "passkey_deleted",
        "passkey_used",
    ];

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
            AuthEvent::WebhookDeliveryFailed { .. } => "webhook_delivery_failed",
            AuthEvent::PasswordResetRequested { .. } => "password_reset_requested",
            AuthEvent::PasswordReset { .. } => "password_reset",
            AuthEvent::VerificationResent { .. } => "verification_resent",
            AuthEvent::ProfileUpdated { .. } => "profile_updated",
            AuthEvent::TokenIssued { .. } => "token_issued",
            AuthEvent::TokenRefreshed { .. } => "token_refreshed",
            AuthEvent::TokenRevoked { .. } => "token_revoked",
            AuthEvent::RefreshTokenReused { .. } => "refresh_token_reused",
            AuthEvent::ApiKeyCreated { .. } => "api_key_created",
            AuthEvent::ApiKeyDeleted { .. } => "api_key_deleted",
            AuthEvent::UserUpdated { .. } => "user_updated",
            AuthEvent::UserDeleted { .. } => "user_deleted",
            AuthEvent::ImpersonationStarted { .. } => "impersonation_started",
            AuthEvent::SessionRevoked { .. } => "session_revoked",
            AuthEvent::MfaCodeAccepted { .. } => "mfa_code_accepted",
            AuthEvent::MfaCodeRefused { .. } => "mfa_code_refused",
            AuthEvent::BackupCodesRegenerated { .. } => "backup_codes_regenerated",
            AuthEvent::PasskeyRegistered { .. } => "passkey_registered",
            AuthEvent::OAuthClientRegistered { .. } => "oauth_client_registered",
            AuthEvent::OAuthConsentGranted { .. } => "oauth_consent_granted",
            AuthEvent::OAuthCodeIssued { .. } => "oauth_code_issued",
            AuthEvent::OAuthTokenIssued { .. } => "oauth_token_issued",
            AuthEvent::OAuthTokenRevoked { .. } => "oauth_token_revoked",
            AuthEvent::OAuthGrantReused { .. } => "oauth_grant_reused",
            AuthEvent::OAuthAccountLinked { .. } => "oauth_account_linked",
            AuthEvent::OAuthAccountUnlinked { .. } => "oauth_account_unlinked",
            AuthEvent::OAuthAccountUsed { .. } => "oauth_account_used",
            AuthEvent::PasskeyDeleted { .. } => "passkey_deleted",
            AuthEvent::PasskeyUsed { .. } => "passkey_used",
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
            | AuthEvent::UserBanned { user_id, .. }
            | AuthEvent::UserUnbanned { user_id, .. }
            | AuthEvent::UserUpdated { user_id, .. }
            | AuthEvent::ImpersonationStarted { user_id, .. }
            | AuthEvent::SessionRevoked { user_id, .. }
            | AuthEvent::MagicLinkVerified { user_id }
            | AuthEvent::AccountLocked { user_id, .. }
            | AuthEvent::AccountUnlocked { user_id, .. }
            | AuthEvent::PasswordReset { user_id }
            | AuthEvent::ProfileUpdated { user_id }
            | AuthEvent::TokenIssued { user_id, .. }
            | AuthEvent::TokenRefreshed { user_id, .. }
            | AuthEvent::TokenRevoked { user_id, .. }
            | AuthEvent::RefreshTokenReused { user_id, .. }
            | AuthEvent::ApiKeyCreated { user_id, .. }
            | AuthEvent::ApiKeyDeleted { user_id, .. }
            | AuthEvent::MfaCodeAccepted { user_id, .. }
            | AuthEvent::MfaCodeRefused { user_id }
            | AuthEvent::BackupCodesRegenerated { user_id }
            | AuthEvent::PasskeyRegistered { user_id, .. }
            | AuthEvent::PasskeyDeleted { user_id, .. }
            | AuthEvent::PasskeyUsed { user_id, .. }
            | AuthEvent::OAuthConsentGranted { user_id, .. }
            | AuthEvent::OAuthCodeIssued { user_id, .. }
            | AuthEvent::OAuthGrantReused { user_id, .. }
            | AuthEvent::OAuthAccountLinked { user_id, .. }
            | AuthEvent::OAuthAccountUnlinked { user_id, .. }
            | AuthEvent::OAuthAccountUsed { user_id, .. } => Some(*user_id),
            AuthEvent::OAuthTokenIssued { user_id, .. }
            | AuthEvent::OAuthTokenRevoked { user_id, .. } => *user_id,
            AuthEvent::LoginFailed { user_id, .. }
            | AuthEvent::PasswordResetRequested { user_id }
            | AuthEvent::VerificationResent { user_id } => *user_id,
            AuthEvent::MagicLinkSent { .. }
            | AuthEvent::WebhookDelivered { .. }
            | AuthEvent::WebhookDeliveryFailed { .. }
            | AuthEvent::UserDeleted { .. }
            | AuthEvent::OAuthClientRegistered { .. } => None,
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
            AuthEvent::TokenIssued { family_id, .. }
            | AuthEvent::TokenRefreshed { family_id, .. }
            | AuthEvent::TokenRevoked { family_id, .. }
            | AuthEvent::RefreshTokenReused { family_id, .. } => {
                serde_json::json!({ "family_id": family_id })
            }
            AuthEvent::ApiKeyCreated { key_id, .. } | AuthEvent::ApiKeyDeleted { key_id, .. } => {
                serde_json::json!({ "key_id": key_id })
            }
            AuthEvent::UserBanned { admin_id, .. }
            | AuthEvent::UserUnbanned { admin_id, .. }
            | AuthEvent::UserUpdated { admin_id, .. } => {
                serde_json::json!({ "admin_id": admin_id })
            }
            AuthEvent::UserDeleted { user_id, admin_id } => {
                serde_json::json!({ "admin_id": admin_id, "deleted_user_id": user_id })
            }
            AuthEvent::ImpersonationStarted {
                admin_id,
                session_id,
                ..
            }
            | AuthEvent::SessionRevoked {
                admin_id,
                session_id,
                ..
            } => serde_json::json!({ "admin_id": admin_id, "session_id": session_id }),
            AuthEvent::WebhookDelivered {
                webhook_id,
                delivery_id,
            }
            | AuthEvent::WebhookDeliveryFailed {
                webhook_id,
                delivery_id,
            } => serde_json::json!({ "webhook_id": webhook_id, "delivery_id": delivery_id }),
            AuthEvent::AccountLocked { until, .. } => serde_json::json!({ "until": until }),
            AuthEvent::MfaCodeAccepted { kind, .. } => serde_json::json!({ "kind": kind }),
            AuthEvent::PasskeyRegistered { passkey_id, .. }
            | AuthEvent::PasskeyDeleted { passkey_id, .. }
            | AuthEvent::PasskeyUsed { passkey_id, .. } => {
                serde_json::json!({ "passkey_id": passkey_id })
            }
            AuthEvent::AccountUnlocked {
                admin_id: Some(admin_id),
                ..
            } => serde_json::json!({ "admin_id": admin_id }),
            AuthEvent::OAuthClientRegistered { client_id }
            | AuthEvent::OAuthCodeIssued { client_id, .. }
            | AuthEvent::OAuthTokenRevoked { client_id, .. } => {
                serde_json::json!({ "client_id": client_id })
            }
            AuthEvent::OAuthAccountLinked { provider, .. }
            | AuthEvent::OAuthAccountUnlinked { provider, .. }
            | AuthEvent::OAuthAccountUsed { provider, .. } => {
                serde_json::json!({ "provider": provider })
            }
            AuthEvent::OAuthConsentGranted {
                client_id, scopes, ..
            } => serde_json::json!({ "client_id": client_id, "scopes": scopes }),
            AuthEvent::OAuthTokenIssued {
                client_id,
                grant_type,
                ..
            }
            | AuthEvent::OAuthGrantReused {
                client_id,
                grant_type,
                ..
            } => serde_json::json!({ "client_id": client_id, "grant_type": grant_type }),
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
    /// A password is about to be checked for `email` (normalised; with or without an
    /// account: the answer must not tell them apart). Asked before the verification, so a
    /// lock refuses the right password as well as wrong ones. The account-lockout plugin
    /// counts the attempt here and answers [`Verdict::Locked`] past its threshold.
    Password {
        /// The normalised email.
        email: &'a str,
        /// Who is trying (for the audit row of a lock).
        client: &'a RequestMeta,
    },
    /// `user` proved who they are with `method` and is about to be signed in (a session or a
    /// token pair). The only attempt that [`Verdict::RequireMfa`] applies to.
    SignIn {
        /// The user about to be signed in.
        user: &'a User,
        /// How they proved it: `email-password`, `magic-link`, `passkey`, …
        method: &'a str,
        /// What they get: a session or a token pair (what a second factor must finish).
        grant: Grant<'a>,
        /// Who is signing in.
        client: &'a RequestMeta,
        /// The proof already covered a second factor: a user-verified passkey, or the MFA
        /// plugin finishing a pending login. The MFA plugin asks for nothing more then.
        second_factor: bool,
    },
}

impl Attempt<'_> {
    /// A short stable name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Attempt::Register { .. } => "register",
            Attempt::Password { .. } => "password",
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
    /// Refuse: the account (or the email) is locked. Answered 423 `account_locked`, with
    /// `Retry-After` when the lock lifts by itself.
    Locked {
        /// Seconds until the lock lifts by itself; `None` when only an unlock lifts it.
        retry_after: Option<u64>,
    },
}

#[cfg(test)]
mod tests {
    use super::AuthEvent;

    /// `NAMES` is what webhook subscriptions are checked against: a new variant whose name
    /// is missing from it could never be subscribed to.
    #[test]
    fn every_event_name_is_listed_in_names() {
        let source = include_str!("event.rs");
        let start = source.find("pub fn name(&self)").unwrap();
        let end = start + source[start..].find("pub fn user_id(&self)").unwrap();
        let named: Vec<&str> = source[start..end]
            .split("=> \"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        assert_eq!(named, AuthEvent::NAMES);
    }
}
