//! The token endpoint's grants, the tokens themselves (access tokens, id_tokens), and what
//! reads them back: introspection, revocation, `/userinfo` and the extractor.

use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::clients::{ClientExt, scopes_within};
use super::wire::{ClientAuth, Form, OAuthError, authenticate_client};
use super::{Service, SigningAlgorithm};
use crate::contract::error::ApiError;
use crate::contract::event::{AuthEvent, RequestMeta};
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser, is_banned};
use crate::entity::{Oauth2AccessToken, Oauth2Client, Oauth2RefreshToken, User};
use crate::kit::limits;
use crate::kit::request::bearer_token;
use crate::kit::token::{TokenHash, constant_time_eq, expires_after, new_token};

/// The `typ` of access tokens (RFC 9068), which no other token of the key store has.
const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// The `typ` of id_tokens.
const ID_TOKEN_TYPE: &str = "JWT";
/// Scopes that only make sense with a user.
const USER_SCOPES: &[&str] = &["openid", "offline_access", "profile", "email"];

/// The claims of an access token (RFC 9068).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct AccessClaims {
    pub iss: String,
    /// The user's id, or the client's id for `client_credentials`.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    /// Space-separated.
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

/// The claims of an id_token (OpenID Connect Core §2, §5.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    at_hash: String,
    azp: String,
    #[serde(flatten)]
    profile: Profile,
}

/// The claims of the `email` and `profile` scopes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub(super) struct Profile {
    /// The user's email (scope `email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the user proved they receive mail at it (a redeemed verification or
    /// sign-in link). Scope `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The display name, when the user has one (scope `profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn profile(user: &User, scopes: &[String]) -> Profile {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    Profile {
        email: has("email").then(|| user.email.clone()),
        email_verified: has("email").then_some(user.email_verified),
        name: if has("profile") {
            user.display_name.clone()
        } else {
            None
        },
    }
}

/// The 200 body of `POST /oauth/token` (RFC 6749 §5.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct TokenResponse {
    /// A signed JWT (RFC 9068).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// A single-use refresh token (with `offline_access`, or by configuration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The id_token (OpenID Connect, with the `openid` scope and a user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl TokenResponse {
    /// The answer for an access token with `scopes`, and the refresh and id tokens if any.
    pub(super) fn new(
        service: &Service,
        access_token: String,
        scopes: &[String],
        refresh_token: Option<String>,
        id_token: Option<String>,
    ) -> Self {
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: service.config.access_token_ttl.as_secs(),
            scope: scopes.join(" "),
            refresh_token,
            id_token,
        }
    }
}

pub(super) fn scopes_of(value: Option<&serde_json::Value>) -> Vec<String> {
    value
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

pub(super) fn unauthorized_client(grant: &str) -> OAuthError {
    OAuthError::bad(
        "unauthorized_client",
        format!("the client is not registered for the {grant} grant"),
    )
}

/// An access token just signed, and the row that records it.
pub(super) struct NewAccess {
    pub jwt: String,
    pub row: Oauth2AccessToken,
}

pub(super) async fn sign_access(
    state: &YAuthState,
    service: &Service,
    client: &Oauth2Client,
    user_id: Option<Uuid>,
    scopes: &[String],
    auth_time: Option<DateTime<Utc>>,
    grant_id: Option<Uuid>,
) -> Result<NewAccess, OAuthError> {
    let now = Utc::now();
    let expires_at = expires_after(now, service.config.access_token_ttl);
    let jti = Uuid::new_v4().to_string();
    let claims = AccessClaims {
        iss: service.issuer.clone(),
        sub: user_id.map_or_else(|| client.client_id.clone(), |id| id.to_string()),
        aud: service.issuer.clone(),
        exp: expires_at.timestamp(),
        iat: now.timestamp(),
        jti: jti.clone(),
        client_id: client.client_id.clone(),
        scope: scopes.join(" "),
        auth_time: auth_time.map(|t| t.timestamp()),
    };
    let jwt = state
        .signing_keys()
        .sign(
            state.repos(),
            state.sealer()?,
            service.config.access_token_algorithm,
            ACCESS_TOKEN_TYPE,
            &claims,
        )
        .await?;
    Ok(NewAccess {
        jwt,
        row: Oauth2AccessToken {
            id: Uuid::now_v7(),
            jti,
            client_id: client.client_id.clone(),
            user_id,
            scopes: Some(serde_json::json!(scopes)),
            grant_id,
            expires_at,
            revoked: false,
            created_at: now,
        },
    })
}

/// The left half of the SHA-256 of the access token, base64url (`at_hash`; both RS256 and
/// ES256 hash with SHA-256).
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn id_token(
    state: &YAuthState,
    service: &Service,
    client: &Oauth2Client,
    user: &User,
    scopes: &[String],
    auth_time: Option<DateTime<Utc>>,
    nonce: Option<String>,
    access_token: &str,
) -> Result<Option<String>, OAuthError> {
    let Some(oidc) = service.oidc() else {
        return Ok(None);
    };
    if !scopes.iter().any(|s| s == "openid") {
        return Ok(None);
    }
    let alg = SigningAlgorithm::parse(&client.stored().id_token_signed_response_alg)
        .unwrap_or(SigningAlgorithm::Rs256);
    let now = Utc::now();
    let claims = IdClaims {
        iss: service.issuer.clone(),
        sub: user.id.to_string(),
        aud: client.client_id.clone(),
        exp: expires_after(now, oidc.id_token_ttl).timestamp(),
        iat: now.timestamp(),
        auth_time: auth_time.map(|t| t.timestamp()),
        nonce,
        at_hash: at_hash(access_token),
        azp: client.client_id.clone(),
        profile: profile(user, scopes),
    };
    Ok(Some(
        state
            .signing_keys()
            .sign(state.repos(), state.sealer()?, alg, ID_TOKEN_TYPE, &claims)
            .await?,
    ))
}

/// Revokes every token of a grant: the refresh family and its access tokens.
async fn revoke_grant(state: &YAuthState, grant_id: Uuid) -> Result<(), OAuthError> {
    let repos = state.repos();
    repos
        .oauth2_refresh_tokens
        .revoke_oauth2_refresh_family(grant_id)
        .await?;
    repos
        .oauth2_access_tokens
        .revoke_oauth2_grant_access_tokens(grant_id)
        .await?;
    Ok(())
}

/// A grant presented again: everything issued from it is revoked, the reuse audited.
async fn reused(
    state: &YAuthState,
    grant_id: Uuid,
    user_id: Uuid,
    client: &Oauth2Client,
    grant_type: &str,
    meta: &RequestMeta,
) -> OAuthError {
    if let Err(e) = revoke_grant(state, grant_id).await {
        return e;
    }
    state
        .emit(
            AuthEvent::OAuthGrantReused {
                user_id,
                client_id: client.client_id.clone(),
                grant_type: grant_type.into(),
            },
            meta,
        )
        .await;
    OAuthError::invalid_grant()
}

/// A user a token may still be issued to or used for: present and not banned.
pub(super) async fn live_user(state: &YAuthState, user_id: Uuid) -> Result<Option<User>, ApiError> {
    Ok(state
        .repos()
        .users
        .get_user(user_id)
        .await?
        .filter(|u| !is_banned(u)))
}

/// The per-IP limit shared by the token, introspection, revocation and device endpoints.
pub(super) async fn token_limit(
    state: &YAuthState,
    service: &Service,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    limits::check_ip(
        state,
        "oauth-token",
        meta.ip,
        service.config.rate_limits.token_per_ip,
    )
    .await
}

/// `POST /oauth/token`.
pub(super) async fn token(
    state: &YAuthState,
    service: &Service,
    headers: &HeaderMap,
    form: &Form,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    token_limit(state, service, meta).await?;
    let grant_type = form.require("grant_type")?;
    if !super::clients::GRANT_TYPES.contains(&grant_type) {
        return Err(OAuthError::bad(
            "unsupported_grant_type",
            "the grant type is not supported",
        ));
    }
    let (client, auth) = authenticate_client(state, headers, form).await?;
    if !client.may_use(grant_type) {
        return Err(unauthorized_client(grant_type));
    }
    let response = match grant_type {
        "authorization_code" => authorization_code(state, service, &client, form, meta).await?,
        "refresh_token" => refresh_token(state, service, &client, form, meta).await?,
        super::device::GRANT => super::device::poll(state, service, &client, form).await?,
        _ => client_credentials(state, service, &client, auth, form).await?,
    };
    state
        .emit(
            AuthEvent::OAuthTokenIssued {
                user_id: response.1,
                client_id: client.client_id.clone(),
                grant_type: grant_type.into(),
            },
            meta,
        )
        .await;
    Ok(response.0)
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    is_verifier(verifier) && constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

/// The first refresh token of a family (`family_id`: the grant's id), living
/// `refresh_token_ttl`: its plain value and its row.
pub(super) fn new_family(
    service: &Service,
    client: &Oauth2Client,
    user_id: Uuid,
    scopes: &[String],
    family_id: Uuid,
) -> (String, Oauth2RefreshToken) {
    let now = Utc::now();
    let plain = new_token();
    let stored = Oauth2RefreshToken {
        id: Uuid::now_v7(),
        token_hash: TokenHash::of(&plain).as_str().to_owned(),
        family_id,
        client_id: client.client_id.clone(),
        user_id,
        scopes: Some(serde_json::json!(scopes)),
        expires_at: expires_after(now, service.config.refresh_token_ttl),
        revoked: false,
        created_at: now,
    };
    (plain, stored)
}

/// Whether a code or refresh grant gets a refresh token.
pub(super) fn issues_refresh(service: &Service, client: &Oauth2Client, scopes: &[String]) -> bool {
    client.may_use("refresh_token")
        && (service.config.always_issue_refresh_tokens
            || scopes.iter().any(|s| s == "offline_access"))
}

async fn authorization_code(
    state: &YAuthState,
    service: &Service,
    client: &Oauth2Client,
    form: &Form,
    meta: &RequestMeta,
) -> Result<(TokenResponse, Option<Uuid>), OAuthError> {
    let code = form.require("code")?;
    let redirect_uri = form.require("redirect_uri")?;
    let repos = state.repos();
    let now = Utc::now();
    let Some(row) = repos
        .authorization_codes
        .find_authorization_code(TokenHash::of(code).as_str())
        .await?
    else {
        return Err(OAuthError::invalid_grant());
    };
    // Another client's code is refused without touching it: the rightful client may still
    // redeem it.
    if row.client_id != client.client_id {
        return Err(OAuthError::invalid_grant());
    }
    // Only a request that proves the code's PKCE verifier and redirect URI counts as the
    // code's reuse: someone who merely saw a used code cannot revoke the grant.
    let verifier = form.get("code_verifier").unwrap_or("");
    if row.redirect_uri != redirect_uri
        || row.code_challenge_method != "S256"
        || !pkce_matches(verifier, &row.code_challenge)
    {
        return Err(OAuthError::invalid_grant());
    }
    if row.used {
        return Err(reused(
            state,
            row.id,
            row.user_id,
            client,
            "authorization_code",
            meta,
        )
        .await);
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant());
    }
    let Some(user) = live_user(state, row.user_id).await? else {
        return Err(OAuthError::invalid_grant());
    };
    let scopes = scopes_of(row.scopes.as_ref());
    let access = sign_access(
        state,
        service,
        client,
        Some(user.id),
        &scopes,
        row.auth_time,
        Some(row.id),
    )
    .await?;
    // The family is the code's: a reused code revokes it.
    let refresh = issues_refresh(service, client, &scopes)
        .then(|| new_family(service, client, user.id, &scopes, row.id));
    // Signed before the code is used up: a signing failure leaves the code redeemable.
    let id_token = id_token(
        state,
        service,
        client,
        &user,
        &scopes,
        row.auth_time,
        row.nonce.clone(),
        &access.jwt,
    )
    .await?;
    if !repos
        .composite
        .exchange_authorization_code(row.id, now, &access.row, refresh.as_ref().map(|r| &r.1))
        .await?
    {
        // Redeemed (or expired) between our read and our claim.
        return Err(reused(
            state,
            row.id,
            row.user_id,
            client,
            "authorization_code",
            meta,
        )
        .await);
    }
    Ok((
        TokenResponse::new(service, access.jwt, &scopes, refresh.map(|r| r.0), id_token),
        Some(user.id),
    ))
}

async fn refresh_token(
    state: &YAuthState,
    service: &Service,
    client: &Oauth2Client,
    form: &Form,
    meta: &RequestMeta,
) -> Result<(TokenResponse, Option<Uuid>), OAuthError> {
    let presented = form.require("refresh_token")?;
    let repos = state.repos();
    let now = Utc::now();
    let Some(row) = repos
        .oauth2_refresh_tokens
        .find_oauth2_refresh_token(TokenHash::of(presented).as_str())
        .await?
    else {
        return Err(OAuthError::invalid_grant());
    };
    if row.client_id != client.client_id || row.expires_at <= now {
        return Err(OAuthError::invalid_grant());
    }
    if row.revoked {
        return Err(reused(
            state,
            row.family_id,
            row.user_id,
            client,
            "refresh_token",
            meta,
        )
        .await);
    }
    let granted = scopes_of(row.scopes.as_ref());
    // A narrower scope for this access token (RFC 6749 §6); the family keeps its own.
    let scopes = match form.get("scope") {
        None => granted.clone(),
        Some(text) => scopes_within(text, &granted).ok_or_else(|| {
            OAuthError::bad(
                "invalid_scope",
                "a scope was not granted to this refresh token",
            )
        })?,
    };
    let Some(user) = live_user(state, row.user_id).await? else {
        revoke_grant(state, row.family_id).await?;
        return Err(OAuthError::invalid_grant());
    };
    let access = sign_access(
        state,
        service,
        client,
        Some(user.id),
        &scopes,
        None,
        Some(row.family_id),
    )
    .await?;
    let plain = new_token();
    let next = Oauth2RefreshToken {
        id: Uuid::now_v7(),
        token_hash: TokenHash::of(&plain).as_str().to_owned(),
        family_id: row.family_id,
        client_id: row.client_id.clone(),
        user_id: row.user_id,
        scopes: row.scopes.clone(),
        // The family's lifetime runs from its grant.
        expires_at: row.expires_at,
        revoked: false,
        created_at: now,
    };
    if !repos
        .composite
        .rotate_oauth2_refresh_token(row.id, &next, &access.row)
        .await?
    {
        return Err(reused(
            state,
            row.family_id,
            row.user_id,
            client,
            "refresh_token",
            meta,
        )
        .await);
    }
    Ok((
        TokenResponse::new(service, access.jwt, &scopes, Some(plain), None),
        Some(user.id),
    ))
}

async fn client_credentials(
    state: &YAuthState,
    service: &Service,
    client: &Oauth2Client,
    auth: ClientAuth,
    form: &Form,
) -> Result<(TokenResponse, Option<Uuid>), OAuthError> {
    if auth != ClientAuth::Secret {
        return Err(unauthorized_client("client_credentials"));
    }
    let allowed: Vec<String> = client
        .allowed_scopes()
        .into_iter()
        .filter(|s| service.config.scopes_supported.contains(s))
        .filter(|s| !USER_SCOPES.contains(&s.as_str()))
        .collect();
    let scopes = scopes_within(form.get("scope").unwrap_or(""), &allowed).ok_or_else(|| {
        OAuthError::bad(
            "invalid_scope",
            "a scope is unknown, not allowed for this client, or needs a user",
        )
    })?;
    let access = sign_access(state, service, client, None, &scopes, None, None).await?;
    state
        .repos()
        .oauth2_access_tokens
        .insert_oauth2_access_token(&access.row)
        .await?;
    Ok((
        TokenResponse::new(service, access.jwt, &scopes, None, None),
        None,
    ))
}

/// An access token of this server that is live: its signature, `typ`, issuer, audience and
/// expiry hold, and its row is neither revoked nor expired.
async fn live_access_token(
    state: &YAuthState,
    service: &Service,
    token: &str,
) -> Result<Option<(AccessClaims, Oauth2AccessToken)>, ApiError> {
    let Ok(claims) = state
        .signing_keys()
        .verify::<AccessClaims>(
            state.repos(),
            state.sealer()?,
            token,
            ACCESS_TOKEN_TYPE,
            &service.access_validation,
        )
        .await
    else {
        return Ok(None);
    };
    let Some(row) = state
        .repos()
        .oauth2_access_tokens
        .find_oauth2_access_token(&claims.jti)
        .await?
    else {
        return Ok(None);
    };
    if row.revoked || row.expires_at <= Utc::now() || row.client_id != claims.client_id {
        return Ok(None);
    }
    Ok(Some((claims, row)))
}

/// The extractor: the user of a live access token of this server, with its scopes. A
/// client's own token (`client_credentials`) is no user: not ours to answer.
pub(super) async fn authenticate(
    state: &YAuthState,
    service: &Service,
    parts: &Parts,
) -> Result<Option<AuthUser>, ApiError> {
    let Some(token) = bearer_token(&parts.headers) else {
        return Ok(None);
    };
    let Some((claims, row)) = live_access_token(state, service, token).await? else {
        return Ok(None);
    };
    let Some(user_id) = row.user_id else {
        return Ok(None);
    };
    let Some(user) = state.repos().users.get_user(user_id).await? else {
        return Ok(None);
    };
    if is_banned(&user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    let mut auth = AuthUser::from_owned_user(user, AuthMethod::Bearer);
    auth.scopes = Some(
        claims
            .scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    );
    auth.client_id = Some(claims.client_id);
    Ok(Some(auth))
}

/// The 200 body of `/userinfo`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct UserInfo {
    /// The user's id (the id_token's `sub`).
    pub sub: String,
    /// The claims of the token's scopes.
    #[serde(flatten)]
    pub profile: Profile,
}

/// Why `/userinfo` refused (RFC 6750 §3.1).
#[derive(Debug)]
pub(super) enum UserInfoRefusal {
    /// 401 `invalid_token`.
    InvalidToken,
    /// 403 `insufficient_scope`: the token lacks `openid`.
    InsufficientScope,
    /// A failure of the server.
    Failed(ApiError),
}

/// `GET`/`POST /userinfo`.
pub(super) async fn userinfo(
    state: &YAuthState,
    service: &Service,
    headers: &HeaderMap,
) -> Result<UserInfo, UserInfoRefusal> {
    let token = bearer_token(headers).ok_or(UserInfoRefusal::InvalidToken)?;
    let (claims, row) = live_access_token(state, service, token)
        .await
        .map_err(UserInfoRefusal::Failed)?
        .ok_or(UserInfoRefusal::InvalidToken)?;
    let scopes: Vec<String> = claims.scope.split(' ').map(str::to_string).collect();
    if !scopes.iter().any(|s| s == "openid") {
        return Err(UserInfoRefusal::InsufficientScope);
    }
    let user_id = row.user_id.ok_or(UserInfoRefusal::InvalidToken)?;
    let user = live_user(state, user_id)
        .await
        .map_err(UserInfoRefusal::Failed)?
        .ok_or(UserInfoRefusal::InvalidToken)?;
    Ok(UserInfo {
        sub: user.id.to_string(),
        profile: profile(&user, &scopes),
    })
}

/// The 200 body of `POST /oauth/introspect` (RFC 7662 §2.2): `{ "active": false }` alone
/// for anything but a live token the caller may see.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub(super) struct Introspection {
    /// Whether the token is live.
    pub active: bool,
    /// Its scopes, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user (or, for `client_credentials`, the client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `Bearer` for an access token, `refresh_token` for a refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// Expiry (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience of an access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The access token's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Whether `caller` may learn about a token issued to `owner`: its own, or any when it is a
/// confidential client registered from Rust as a resource server
/// (`ClientMetadata::introspect_any`; registration over HTTP cannot ask for it).
fn may_see(caller: &Oauth2Client, auth: ClientAuth, owner: &str) -> bool {
    caller.client_id == owner || (auth == ClientAuth::Secret && caller.stored().introspect_any)
}

/// `POST /oauth/introspect`.
pub(super) async fn introspect(
    state: &YAuthState,
    service: &Service,
    headers: &HeaderMap,
    form: &Form,
    meta: &RequestMeta,
) -> Result<Introspection, OAuthError> {
    token_limit(state, service, meta).await?;
    let (caller, auth) = authenticate_client(state, headers, form).await?;
    let token = form.require("token")?;
    let refresh_first = form.get("token_type_hint") == Some("refresh_token");
    if !refresh_first && let Some(found) = introspect_access(state, service, token).await? {
        return Ok(visible(found, &caller, auth));
    }
    if let Some(found) = introspect_refresh(state, service, token).await? {
        return Ok(visible(found, &caller, auth));
    }
    if refresh_first && let Some(found) = introspect_access(state, service, token).await? {
        return Ok(visible(found, &caller, auth));
    }
    Ok(Introspection::default())
}

fn visible(found: Introspection, caller: &Oauth2Client, auth: ClientAuth) -> Introspection {
    match &found.client_id {
        Some(owner) if may_see(caller, auth, owner) => found,
        _ => Introspection::default(),
    }
}

async fn introspect_access(
    state: &YAuthState,
    service: &Service,
    token: &str,
) -> Result<Option<Introspection>, ApiError> {
    // Cheap shape check first: a refresh token is no JWT.
    if token.split('.').count() != 3 {
        return Ok(None);
    }
    let Some((claims, row)) = live_access_token(state, service, token).await? else {
        return Ok(None);
    };
    if let Some(user_id) = row.user_id
        && live_user(state, user_id).await?.is_none()
    {
        return Ok(None);
    }
    Ok(Some(Introspection {
        active: true,
        scope: Some(claims.scope),
        client_id: Some(claims.client_id),
        sub: Some(claims.sub),
        token_type: Some("Bearer"),
        exp: Some(claims.exp),
        iat: Some(claims.iat),
        iss: Some(claims.iss),
        aud: Some(claims.aud),
        jti: Some(claims.jti),
    }))
}

async fn introspect_refresh(
    state: &YAuthState,
    service: &Service,
    token: &str,
) -> Result<Option<Introspection>, ApiError> {
    let Some(row) = state
        .repos()
        .oauth2_refresh_tokens
        .find_oauth2_refresh_token(TokenHash::of(token).as_str())
        .await?
    else {
        return Ok(None);
    };
    if row.revoked || row.expires_at <= Utc::now() {
        return Ok(None);
    }
    if live_user(state, row.user_id).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(Introspection {
        active: true,
        scope: Some(scopes_of(row.scopes.as_ref()).join(" ")),
        client_id: Some(row.client_id),
        sub: Some(row.user_id.to_string()),
        token_type: Some("refresh_token"),
        exp: Some(row.expires_at.timestamp()),
        iat: Some(row.created_at.timestamp()),
        iss: Some(service.issuer.clone()),
        aud: None,
        jti: None,
    }))
}

/// `POST /oauth/revoke` (RFC 7009): a refresh token ends its family and the family's access
/// tokens; an access token ends alone. Only the caller's own tokens; anything else changes
/// nothing and gets the same answer.
pub(super) async fn revoke(
    state: &YAuthState,
    service: &Service,
    headers: &HeaderMap,
    form: &Form,
    meta: &RequestMeta,
) -> Result<(), OAuthError> {
    token_limit(state, service, meta).await?;
    let (client, _) = authenticate_client(state, headers, form).await?;
    let token = form.require("token")?;
    let repos = state.repos();
    if let Some(row) = repos
        .oauth2_refresh_tokens
        .find_oauth2_refresh_token(TokenHash::of(token).as_str())
        .await?
    {
        if row.client_id == client.client_id {
            revoke_grant(state, row.family_id).await?;
            state
                .emit(
                    AuthEvent::OAuthTokenRevoked {
                        user_id: Some(row.user_id),
                        client_id: client.client_id.clone(),
                    },
                    meta,
                )
                .await;
        }
        return Ok(());
    }
    if token.split('.').count() == 3
        && let Some((_, row)) = live_access_token(state, service, token).await?
        && row.client_id == client.client_id
        && repos
            .oauth2_access_tokens
            .revoke_oauth2_access_token(&row.jti)
            .await?
    {
        state
            .emit(
                AuthEvent::OAuthTokenRevoked {
                    user_id: row.user_id,
                    client_id: client.client_id.clone(),
                },
                meta,
            )
            .await;
    }
    Ok(())
}

/// The answer of `/userinfo`'s refusals.
pub(super) fn userinfo_refusal(refusal: UserInfoRefusal) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (status, challenge) = match refusal {
        UserInfoRefusal::InvalidToken => {
            (StatusCode::UNAUTHORIZED, "Bearer error=\"invalid_token\"")
        }
        UserInfoRefusal::InsufficientScope => (
            StatusCode::FORBIDDEN,
            "Bearer error=\"insufficient_scope\", scope=\"openid\"",
        ),
        UserInfoRefusal::Failed(e) => return e.into_response(),
    };
    let error = OAuthError::new(
        status,
        if status == StatusCode::UNAUTHORIZED {
            "invalid_token"
        } else {
            "insufficient_scope"
        },
        "the access token is invalid, expired, revoked, or lacks the openid scope",
    );
    let mut response = error.into_response();
    response.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static(challenge),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_matches(
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn at_hash_matches_openid_connect_core_appendix_a3() {
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
