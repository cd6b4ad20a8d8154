//! The email-password plugin: register, login, email verification, forgot/reset and change
//! password.
//!
//! Answers never tell a stranger whether an email has an account: login fails the same way
//! for an unknown email and a wrong password (one Argon2 verification on both paths), and
//! forgot-password, resend-verification and register answer the same whatever the email.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{AuthMethod, AuthUser, ClientIp, is_banned};
use crate::entity::{EmailVerification, Password, PasswordHistory, PasswordReset, User};
use crate::error::{ApiError, ApiJson, BadRequest, ErrorBody, RateLimited};
use crate::event::{AuthEvent, EventResponse};
use crate::hibp::{Hibp, HibpConfig};
use crate::mail::{Email, LogMailer, Mailer};
use crate::password::{Hasher, HashingConfig, PasswordPolicyConfig};
use crate::plugin::YAuthPlugin;
use crate::rate_limit::{self, Limit};
use crate::session::{create_session, expires_after, hash_token, new_token, session_cookie};
use crate::state::YAuthState;

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
            register_per_ip: Limit::per_hour(20),
            mail_per_ip: Limit::per_hour(20),
            mail_per_email: Limit::per_hour(5),
        }
    }
}

#[derive(Clone)]
pub struct EmailPasswordConfig {
    /// Refuse login (403 `email_not_verified`) until the email is verified. Default on.
    pub require_email_verification: bool,
    pub password_policy: PasswordPolicyConfig,
    pub hashing: HashingConfig,
    pub verification_ttl: Duration,
    pub reset_ttl: Duration,
    pub duplicate_registration: DuplicateRegistration,
    pub rate_limits: EmailPasswordRateLimits,
    pub mailer: Arc<dyn Mailer>,
    /// The breached-password check; `None` turns it off. On by default.
    pub hibp: Option<HibpConfig>,
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
            mailer: Arc::new(LogMailer),
            hibp: Some(HibpConfig::default()),
        }
    }
}

/// The plugin (built by `YAuthBuilder::with_email_password`).
pub struct EmailPassword {
    inner: Arc<Inner>,
}

struct Inner {
    config: EmailPasswordConfig,
    hasher: Hasher,
    hibp: Option<Hibp>,
}

impl EmailPassword {
    pub async fn new(config: EmailPasswordConfig) -> Result<Self, String> {
        let hasher = Hasher::new(&config.hashing).await?;
        let hibp = config.hibp.clone().map(Hibp::new).transpose()?;
        Ok(EmailPassword {
            inner: Arc::new(Inner {
                config,
                hasher,
                hibp,
            }),
        })
    }

    /// The hasher (its verification count is what the enumeration tests read).
    pub fn hasher(&self) -> &Hasher {
        &self.inner.hasher
    }
}

impl YAuthPlugin for EmailPassword {
    fn name(&self) -> &'static str {
        "email-password"
    }

    fn public_routes(&self) -> Option<OpenApiRouter<YAuthState>> {
        Some(
            OpenApiRouter::new()
                .routes(routes!(register))
                .routes(routes!(login))
                .routes(routes!(verify_email))
                .routes(routes!(resend_verification))
                .routes(routes!(forgot_password))
                .routes(routes!(reset_password))
                .layer(Extension(self.inner.clone())),
        )
    }

    fn protected_routes(&self) -> Option<OpenApiRouter<YAuthState>> {
        Some(
            OpenApiRouter::new()
                .routes(routes!(change_password))
                .layer(Extension(self.inner.clone())),
        )
    }
}

/// A success answer that carries only a sentence.
#[derive(Serialize, utoipa::ToSchema)]
struct Message {
    message: &'static str,
}

fn message(status: StatusCode, message: &'static str) -> Response {
    (status, Json(Message { message })).into_response()
}

/// The longest email accepted (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// Trims and lower-cases an email and checks its shape; 400 `invalid_email` otherwise.
pub fn normalize_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && email.matches('@').count() == 1
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(ApiError::bad_request(
            "invalid_email",
            "not a valid email address",
        ))
    }
}

fn link(state: &YAuthState, page: &str, token: &str) -> String {
    format!(
        "{}/{page}?token={token}",
        state.config().base_url.trim_end_matches('/')
    )
}

/// Hands the mail to the mailer in a task of its own: the answer never waits for (or
/// depends on) the mail server, so its timing tells nobody whether an account exists.
fn send(inner: &Inner, email: Email) {
    let mailer = inner.config.mailer.clone();
    tokio::spawn(async move {
        let to = email.to.clone();
        if let Err(e) = mailer.send(email).await {
            tracing::error!(error = %e, %to, "could not send an email");
        }
    });
}

/// Mails to one address are limited per address; a spent budget silently skips the mail.
async fn mail_allowed(state: &YAuthState, inner: &Inner, email: &str) -> Result<bool, ApiError> {
    match rate_limit::check(
        state,
        &format!("mail:email:{email}"),
        inner.config.rate_limits.mail_per_email,
    )
    .await
    {
        Ok(()) => Ok(true),
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => Ok(false),
        Err(e) => Err(e),
    }
}

/// Refuses `new` when it matches the current password or one of the last
/// `password_history_count` ones: 400 `password_reused`.
async fn check_history(
    inner: &Inner,
    state: &YAuthState,
    user_id: Uuid,
    new: &str,
) -> Result<(), ApiError> {
    let count = inner.config.password_policy.password_history_count;
    if count == 0 {
        return Ok(());
    }
    let mut hashes = Vec::new();
    if let Some(current) = state.repos().passwords.get_password(user_id).await? {
        hashes.push(current.password_hash);
    }
    let history = state
        .repos()
        .password_history
        .list_password_history(user_id, u64::from(count), 0)
        .await?;
    hashes.extend(history.into_iter().map(|h| h.password_hash));
    hashes.truncate(count as usize);
    for hash in hashes {
        if inner.hasher.verify(new, Some(&hash)).await?.matches {
            return Err(ApiError::bad_request(
                "password_reused",
                "this password was used recently; choose another",
            ));
        }
    }
    Ok(())
}

/// The policy, then the breach check: 400 with the policy's code or `password_breached`.
async fn check_new_password(inner: &Inner, password: &str) -> Result<(), ApiError> {
    inner.config.password_policy.check(password)?;
    if let Some(hibp) = &inner.hibp
        && hibp.is_breached(password).await == Some(true)
    {
        return Err(ApiError::bad_request(
            "password_breached",
            "this password appears in a known data breach; choose another",
        ));
    }
    Ok(())
}

fn event_block(answer: EventResponse) -> Option<ApiError> {
    match answer {
        EventResponse::Block { status, message } => Some(ApiError::new(status, "blocked", message)),
        _ => None,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RegisterBody {
    email: String,
    password: String,
    display_name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/register",
    tag = "emailPassword",
    operation_id = "emailPasswordRegister",
    summary = "Create an account",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Registered (also the answer for an existing email, which is mailed a notice instead)", body = Message),
        BadRequest,
        (status = 409, description = "Email taken (only with `DuplicateRegistration::Conflict`)", body = ErrorBody),
        RateLimited,
    )
)]
async fn register(
    State(state): State<YAuthState>,
    Extension(inner): Extension<Arc<Inner>>,
    ip: ClientIp,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, ApiError> {
    let ip = ip.to_text();
    rate_limit::check_ip(
        &state,
        "register",
        ip.as_deref(),
        inner.config.rate_limits.register_per_ip,
    )
    .await?;
    let email = normalize_email(&body.email)?;
    let display_name = body
        .display_name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if display_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > crate::routes::core::MAX_DISPLAY_NAME)
    {
        return Err(ApiError::bad_request(
            "invalid_display_name",
            "the display name is too long",
        ));
    }
    check_new_password(&inner, &body.password).await?;
    // Hash before looking the email up, so both answers cost the same.
    let hash = inner.hasher.hash(&body.password).await?;
    // The answer depends on the configuration only, never on whether the email was taken.
    let created = message(
        StatusCode::CREATED,
        if inner.config.require_email_verification {
            "registered; check your email for the verification link"
        } else {
            "registered; you can sign in"
        },
    );
    if state
        .repos()
        .users
        .find_user_by_email(&email)
        .await?
        .is_some()
    {
        return duplicate(&state, &inner, &email).await.map(|()| created);
    }
    let now = Utc::now();
    let user = User {
        id: Uuid::now_v7(),
        email: email.clone(),
        display_name,
        email_verified: !inner.config.require_email_verification,
        role: "user".into(),
        banned: false,
        banned_reason: None,
        banned_until: None,
        created_at: now,
        updated_at: now,
    };
    let token = new_token();
    let verification = inner
        .config
        .require_email_verification
        .then(|| EmailVerification {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: hash_token(&token),
            expires_at: expires_after(now, inner.config.verification_ttl),
            created_at: now,
        });
    let event = AuthEvent::UserRegistered {
        user_id: user.id,
        email: email.clone(),
    };
    let audit = YAuthState::audit_row(&event, ip.as_deref());
    let password = Password {
        user_id: user.id,
        password_hash: hash,
    };
    match state
        .repos()
        .composite
        .register_user(&user, &password, verification.as_ref(), &audit)
        .await
    {
        Ok(()) => {}
        // Someone registered the same email a moment ago.
        Err(crate::entity::RepoError::Conflict(_)) => {
            return duplicate(&state, &inner, &email).await.map(|()| created);
        }
        Err(e) => return Err(e.into()),
    }
    if verification.is_some() {
        send(
            &inner,
            Email {
                to: email,
                subject: "Verify your email".into(),
                text: format!(
                    "Welcome! Confirm your email address:\n\n{}\n",
                    link(&state, "verify-email", &token)
                ),
            },
        );
    }
    if let Some(blocked) = event_block(state.notify(&event).await) {
        return Err(blocked);
    }
    Ok(created)
}

async fn duplicate(state: &YAuthState, inner: &Inner, email: &str) -> Result<(), ApiError> {
    if inner.config.duplicate_registration == DuplicateRegistration::Conflict {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "email_taken",
            "this email already has an account",
        ));
    }
    if mail_allowed(state, inner, email).await? {
        send(
            inner,
            Email {
                to: email.to_string(),
                subject: "Someone tried to register with your email".into(),
                text: "Someone tried to create an account with this email address, which already has one. \
                       If it was you, sign in or reset your password. Otherwise you can ignore this email.\n"
                    .into(),
            },
        );
    }
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginBody {
    email: String,
    password: String,
    #[serde(default)]
    remember_me: bool,
}

/// Login's answer when a plugin asks for a second factor (no cookie is set yet).
#[derive(Serialize, utoipa::ToSchema)]
struct MfaRequired {
    /// Always `true`.
    mfa_required: bool,
    /// Pass it to the MFA plugin's verify route.
    pending_session_id: String,
}

/// Login's 200 body: the signed-in user, or the second-factor request.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum LoginAnswer {
    SignedIn(AuthUser),
    MfaRequired(MfaRequired),
}

#[utoipa::path(
    post,
    path = "/login",
    tag = "emailPassword",
    operation_id = "emailPasswordLogin",
    summary = "Sign in with email and password",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in: the user, with the session cookie set; or `{ mfa_required, pending_session_id }` without a cookie when a second factor is needed", body = LoginAnswer),
        BadRequest,
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 403, description = "`email_not_verified`, or a banned account", body = ErrorBody),
        RateLimited,
    )
)]
async fn login(
    State(state): State<YAuthState>,
    Extension(inner): Extension<Arc<Inner>>,
    ip: ClientIp,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let ip = ip.to_text();
    rate_limit::check_ip(
        &state,
        "login",
        ip.as_deref(),
        inner.config.rate_limits.login_per_ip,
    )
    .await?;
    let invalid = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong email or password",
        )
    };
    // A malformed email is just an unknown one: same work, same answer.
    let user = match normalize_email(&body.email) {
        Ok(email) => state.repos().users.find_user_by_email(&email).await?,
        Err(_) => None,
    };
    let stored = match &user {
        Some(u) => state.repos().passwords.get_password(u.id).await?,
        None => None,
    };
    let verdict = inner
        .hasher
        .verify(
            &body.password,
            stored.as_ref().map(|p| p.password_hash.as_str()),
        )
        .await?;
    let Some(user) = user.filter(|_| verdict.matches) else {
        let failed = AuthEvent::LoginFailed {
            user_id: None,
            reason: "invalid_credentials".into(),
        };
        if let Some(blocked) = event_block(state.emit(failed, ip.as_deref()).await) {
            return Err(blocked);
        }
        return Err(invalid());
    };
    if is_banned(&user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    if inner.config.require_email_verification && !user.email_verified {
        return Err(ApiError::forbidden(
            "email_not_verified",
            "verify your email before signing in",
        ));
    }
    if verdict.needs_rehash {
        let hash = inner.hasher.hash(&body.password).await?;
        state
            .repos()
            .passwords
            .upsert_password(&Password {
                user_id: user.id,
                password_hash: hash,
            })
            .await?;
    }
    let succeeded = AuthEvent::LoginSucceeded {
        user_id: user.id,
        method: "email-password".into(),
    };
    match state.emit(succeeded, ip.as_deref()).await {
        EventResponse::Continue => {}
        EventResponse::RequireMfa { pending_session_id } => {
            return Ok(Json(LoginAnswer::MfaRequired(MfaRequired {
                mfa_required: true,
                pending_session_id,
            }))
            .into_response());
        }
        EventResponse::Block { status, message } => {
            return Err(ApiError::new(status, "blocked", message));
        }
    }
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let (session, token) =
        create_session(&state, user.id, body.remember_me, ip.as_deref(), agent).await?;
    state
        .emit(
            AuthEvent::SessionCreated {
                user_id: user.id,
                session_id: session.id,
            },
            ip.as_deref(),
        )
        .await;
    let config = state.config();
    let ttl = if body.remember_me {
        config.remember_me_ttl
    } else {
        config.session_ttl
    };
    let jar = jar.add(session_cookie(&config.cookie, token, ttl));
    let mut auth = AuthUser::from_user(&user, AuthMethod::Session);
    auth.session_id = Some(session.id);
    Ok((jar, Json(LoginAnswer::SignedIn(auth))).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TokenBody {
    token: String,
}

fn invalid_token() -> ApiError {
    ApiError::bad_request("invalid_token", "this link is invalid, used or expired")
}

#[utoipa::path(
    post,
    path = "/verify-email",
    tag = "emailPassword",
    operation_id = "emailPasswordVerifyEmail",
    summary = "Verify an email address with the mailed token",
    request_body = TokenBody,
    responses(
        (status = 200, description = "Verified", body = Message),
        (status = 400, description = "`invalid_token`: unknown, used or expired", body = ErrorBody),
    )
)]
async fn verify_email(
    State(state): State<YAuthState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Response, ApiError> {
    let repos = state.repos();
    let Some(verification) = repos
        .email_verifications
        .find_email_verification(&hash_token(&body.token), Utc::now())
        .await?
    else {
        return Err(invalid_token());
    };
    // Deleting the token is the claim: of two concurrent uses, one wins.
    if repos
        .email_verifications
        .delete_email_verification(verification.id)
        .await?
        != 1
    {
        return Err(invalid_token());
    }
    repos
        .users
        .set_email_verified(Utc::now(), verification.user_id)
        .await?;
    state
        .emit(
            AuthEvent::EmailVerified {
                user_id: verification.user_id,
            },
            ip.to_text().as_deref(),
        )
        .await;
    Ok(message(StatusCode::OK, "email verified"))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EmailBody {
    email: String,
}

/// The start every route that mails a token shares: the per-IP limit (429), the account of
/// the email when `eligible` accepts it, the event, and the per-address cap (silently
/// skipped, so the answer never depends on the email). `None`: answer and send nothing.
async fn mail_recipient(
    state: &YAuthState,
    inner: &Inner,
    operation: &str,
    ip: Option<&str>,
    email: &str,
    event: fn(Option<Uuid>) -> AuthEvent,
    eligible: fn(&User) -> bool,
) -> Result<Option<(User, String)>, ApiError> {
    rate_limit::check_ip(state, operation, ip, inner.config.rate_limits.mail_per_ip).await?;
    let Ok(email) = normalize_email(email) else {
        return Ok(None);
    };
    let user = state.repos().users.find_user_by_email(&email).await?;
    state.emit(event(user.as_ref().map(|u| u.id)), ip).await;
    let Some(user) = user.filter(eligible) else {
        return Ok(None);
    };
    if !mail_allowed(state, inner, &email).await? {
        return Ok(None);
    }
    Ok(Some((user, email)))
}

#[utoipa::path(
    post,
    path = "/resend-verification",
    tag = "emailPassword",
    operation_id = "emailPasswordResendVerification",
    summary = "Mail a new verification link",
    request_body = EmailBody,
    responses(
        (status = 200, description = "The same answer whether or not the email has an account", body = Message),
        BadRequest,
        RateLimited,
    )
)]
async fn resend_verification(
    State(state): State<YAuthState>,
    Extension(inner): Extension<Arc<Inner>>,
    ip: ClientIp,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Response, ApiError> {
    let answer = message(
        StatusCode::OK,
        "if the email has an unverified account, a new link is on its way",
    );
    let Some((user, email)) = mail_recipient(
        &state,
        &inner,
        "resend-verification",
        ip.to_text().as_deref(),
        &body.email,
        |user_id| AuthEvent::VerificationResent { user_id },
        |user| !user.email_verified,
    )
    .await?
    else {
        return Ok(answer);
    };
    let repos = state.repos();
    repos
        .email_verifications
        .delete_user_email_verifications(user.id)
        .await?;
    let token = new_token();
    let now = Utc::now();
    repos
        .email_verifications
        .insert_email_verification(&EmailVerification {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: hash_token(&token),
            expires_at: expires_after(now, inner.config.verification_ttl),
            created_at: now,
        })
        .await?;
    send(
        &inner,
        Email {
            to: email,
            subject: "Verify your email".into(),
            text: format!(
                "Confirm your email address:\n\n{}\n",
                link(&state, "verify-email", &token)
            ),
        },
    );
    Ok(answer)
}

#[utoipa::path(
    post,
    path = "/forgot-password",
    tag = "emailPassword",
    operation_id = "emailPasswordForgotPassword",
    summary = "Mail a password-reset link",
    request_body = EmailBody,
    responses(
        (status = 200, description = "The same answer whether or not the email has an account", body = Message),
        BadRequest,
        RateLimited,
    )
)]
async fn forgot_password(
    State(state): State<YAuthState>,
    Extension(inner): Extension<Arc<Inner>>,
    ip: ClientIp,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Response, ApiError> {
    let answer = message(
        StatusCode::OK,
        "if the email has an account, a reset link is on its way",
    );
    let Some((user, email)) = mail_recipient(
        &state,
        &inner,
        "forgot-password",
        ip.to_text().as_deref(),
        &body.email,
        |user_id| AuthEvent::PasswordResetRequested { user_id },
        |_| true,
    )
    .await?
    else {
        return Ok(answer);
    };
    let repos = state.repos();
    repos
        .password_resets
        .delete_user_password_resets(user.id)
        .await?;
    let token = new_token();
    let now = Utc::now();
    repos
        .password_resets
        .insert_password_reset(&PasswordReset {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: hash_token(&token),
            expires_at: expires_after(now, inner.config.reset_ttl),
            used_at: None,
            created_at: now,
        })
        .await?;
    send(
        &inner,
        Email {
            to: email,
            subject: "Reset your password".into(),
            text: format!(
                "Someone asked to reset the password of this account. If it was you, choose a new one:\n\n{}\n\nOtherwise ignore this email.\n",
                link(&state, "reset-password", &token)
            ),
        },
    );
    Ok(answer)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ResetBody {
    token: String,
    password: String,
}

#[utoipa::path(
    post,
    path = "/reset-password",
    tag = "emailPassword",
    operation_id = "emailPasswordResetPassword",
    summary = "Choose a new password with the mailed token",
    request_body = ResetBody,
    responses(
        (status = 200, description = "Password changed; every session of the user is ended", body = Message),
        (status = 400, description = "`invalid_token`, or a weak, common, breached or reused password", body = ErrorBody),
    )
)]
async fn reset_password(
    State(state): State<YAuthState>,
    Extension(inner): Extension<Arc<Inner>>,
    ip: ClientIp,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Response, ApiError> {
    let ip = ip.to_text();
    let repos = state.repos();
    let Some(reset) = repos
        .password_resets
        .find_password_reset(&hash_token(&body.token), Utc::now())
        .await?
    else {
        return Err(invalid_token());
    };
    check_new_password(&inner, &body.password).await?;
    check_history(&inner, &state, reset.user_id, &body.password).await?;
    let hash = inner.hasher.hash(&body.password).await?;
    let previous = repos.passwords.get_password(reset.user_id).await?;
    let history = previous.map(|p| PasswordHistory {
        id: Uuid::now_v7(),
        user_id: reset.user_id,
        password_hash: p.password_hash,
        created_at: Utc::now(),
    });
    let event = AuthEvent::PasswordReset {
        user_id: reset.user_id,
    };
    let audit = YAuthState::audit_row(&event, ip.as_deref());
    let won = repos
        .composite
        .reset_password(
            reset.id,
            Some(Utc::now()),
            &Password {
                user_id: reset.user_id,
                password_hash: hash,
            },
            history.as_ref(),
            reset.user_id,
            &audit,
        )
        .await?;
    if !won {
        return Err(invalid_token());
    }
    state.notify(&event).await;
    Ok(message(
        StatusCode::OK,
        "password changed; sign in with the new one",
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ChangeBody {
    current_password: String,
    new_password: String,
    /// End every other session of the user (default on).
    #[serde(default = "yes")]
    revoke_other_sessions: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(
    post,
    path = "/change-password",
    tag = "emailPassword",
    operation_id = "emailPasswordChangePassword",
    summary = "Change the password of the signed-in user",
    security(("session" = [])),
    request_body = ChangeBody,
    responses(
        (status = 200, description = "Password changed", body = Message),
        (status = 400, description = "A weak, common, breached or reused password", body = ErrorBody),
        (status = 401, description = "No valid credentials, or a wrong current password", body = ErrorBody),
    )
)]
async fn change_password(
    State(state): State<YAuthState>,
    Extension(inner): Extension<Arc<Inner>>,
    Extension(user): Extension<AuthUser>,
    ip: ClientIp,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Response, ApiError> {
    let repos = state.repos();
    let stored = repos.passwords.get_password(user.id).await?;
    let verdict = inner
        .hasher
        .verify(
            &body.current_password,
            stored.as_ref().map(|p| p.password_hash.as_str()),
        )
        .await?;
    if !verdict.matches {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the current password is wrong",
        ));
    }
    check_new_password(&inner, &body.new_password).await?;
    check_history(&inner, &state, user.id, &body.new_password).await?;
    let hash = inner.hasher.hash(&body.new_password).await?;
    repos
        .passwords
        .upsert_password(&Password {
            user_id: user.id,
            password_hash: hash,
        })
        .await?;
    if let Some(old) = stored {
        repos
            .password_history
            .insert_password_history(&PasswordHistory {
                id: Uuid::now_v7(),
                user_id: user.id,
                password_hash: old.password_hash,
                created_at: Utc::now(),
            })
            .await?;
    }
    if body.revoke_other_sessions {
        match user.session_id {
            Some(keep) => {
                repos
                    .sessions
                    .delete_other_user_sessions(user.id, keep)
                    .await?
            }
            None => repos.sessions.delete_user_sessions(user.id).await?,
        };
    }
    state
        .emit(
            AuthEvent::PasswordChanged { user_id: user.id },
            ip.to_text().as_deref(),
        )
        .await;
    Ok(message(StatusCode::OK, "password changed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@example.com.",
        ] {
            assert_eq!(
                normalize_email(bad).unwrap_err().error,
                "invalid_email",
                "{bad}"
            );
        }
        let long = format!("{}@example.com", "x".repeat(10_000));
        assert_eq!(normalize_email(&long).unwrap_err().error, "invalid_email");
    }
}
