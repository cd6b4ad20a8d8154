//! Signing keys: ES256 and RS256 key pairs stored in `signing_keys`, the private part sealed
//! under the secret key, shared by every replica, rotated and retired.
//!
//! - The newest active key of an algorithm signs. When none exists, the first use creates
//!   one (two replicas starting together may each create one; both then verify).
//! - [`SigningKeys::rotate`] makes a new key the signer; the old one stops signing
//!   (`rotated_at`) but still verifies. Maintenance retires it (`retired_at`) once every
//!   token it can have signed has expired, and rotates keys older than their lifetime.
//! - Verification looks the token's `kid` up among the keys that are not retired, and
//!   accepts only that key's own algorithm (no `none`, no HS256 keyed with a public key).
//!
//! Keys are cached in the process; an unknown `kid` reloads them at most once every few
//! seconds, so a flood of made-up kids costs no database work.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entity::{Repositories, SigningKey};
use crate::keys::secret::Sealer;

/// The sealing purpose of private keys (the row's `kid` is the context).
const PURPOSE: &str = "signing_key";
/// How often an unknown `kid` may trigger a reload from the database.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(5);
/// How old the cache may get while the process signs or verifies: rotations and
/// retirements by another replica reach this one within it.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// A signing algorithm the key store supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SigningAlgorithm {
    /// ECDSA on P-256 with SHA-256: small keys and signatures; the default for access
    /// tokens.
    #[default]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and 2048-bit keys: what every OpenID Connect client
    /// must accept.
    Rs256,
}

impl SigningAlgorithm {
    /// The JOSE name (`ES256`), as stored and as put in token headers.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Es256 => "ES256",
            SigningAlgorithm::Rs256 => "RS256",
        }
    }

    /// The algorithm of a JOSE name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(SigningAlgorithm::Es256),
            "RS256" => Some(SigningAlgorithm::Rs256),
            _ => None,
        }
    }

    fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlgorithm::Es256 => jsonwebtoken::Algorithm::ES256,
            SigningAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
        }
    }
}

/// A key that may verify tokens (not retired).
struct Verifier {
    alg: SigningAlgorithm,
    key: DecodingKey,
}

/// The key that signs for one algorithm.
struct Signer {
    id: Uuid,
    kid: String,
    alg: SigningAlgorithm,
    key: EncodingKey,
}

#[derive(Default)]
struct Cache {
    verifiers: HashMap<String, Arc<Verifier>>,
    signers: HashMap<SigningAlgorithm, Arc<Signer>>,
    /// The public JWKs of every key that still verifies, newest first.
    published: Vec<serde_json::Value>,
    loaded_at: Option<Instant>,
}

/// The signing keys of this process: a cache over `signing_keys`.
pub struct SigningKeys {
    cache: RwLock<Cache>,
    /// Held while loading or creating keys, so one process does not create two at once.
    load: tokio::sync::Mutex<()>,
    /// When the last reload was tried (successful or not): the throttle of unknown kids.
    attempted: std::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("SigningKeys")
            .field("kids", &cache.verifiers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for SigningKeys {
    fn default() -> Self {
        SigningKeys {
            cache: RwLock::new(Cache::default()),
            load: tokio::sync::Mutex::new(()),
            attempted: std::sync::Mutex::new(None),
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A freshly generated key pair: the private key (DER) and the public JWK members.
struct Generated {
    private_der: zeroize::Zeroizing<Vec<u8>>,
    /// The RFC 7638 members in lexicographic order (the thumbprint is their SHA-256).
    members: Vec<(&'static str, String)>,
}

fn generate(alg: SigningAlgorithm) -> Result<Generated, String> {
    match alg {
        SigningAlgorithm::Es256 => {
            use p256::elliptic_curve::sec1::ToEncodedPoint as _;
            use p256::pkcs8::EncodePrivateKey as _;
            let secret = loop {
                let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
                getrandom::fill(bytes.as_mut()).map_err(|e| e.to_string())?;
                // Fails only for zero or a value past the group order (odds ~2^-128).
                if let Ok(secret) = p256::SecretKey::from_slice(bytes.as_ref()) {
                    break secret;
                }
            };
            let der = secret.to_pkcs8_der().map_err(|e| e.to_string())?;
            let point = secret.public_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err("an uncompressed point has coordinates".into());
            };
            Ok(Generated {
                private_der: zeroize::Zeroizing::new(der.as_bytes().to_vec()),
                members: vec![
                    ("crv", "P-256".into()),
                    ("kty", "EC".into()),
                    ("x", b64(x)),
                    ("y", b64(y)),
                ],
            })
        }
        SigningAlgorithm::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey as _;
            use rsa::traits::PublicKeyParts as _;
            let key =
                rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).map_err(|e| e.to_string())?;
            let der = key.to_pkcs1_der().map_err(|e| e.to_string())?;
            Ok(Generated {
                private_der: zeroize::Zeroizing::new(der.as_bytes().to_vec()),
                members: vec![
                    ("e", b64(&key.e().to_bytes_be())),
                    ("kty", "RSA".into()),
                    ("n", b64(&key.n().to_bytes_be())),
                ],
            })
        }
    }
}

/// The RFC 7638 thumbprint (base64url SHA-256 of the required members, sorted, no spaces):
/// the key's `kid`, the same wherever it is computed.
fn thumbprint(members: &[(&'static str, String)]) -> String {
    let canonical: serde_json::Map<String, serde_json::Value> = members
        .iter()
        .map(|(k, v)| ((*k).to_string(), serde_json::Value::String(v.clone())))
        .collect();
    // serde_json's map keeps keys sorted (no `preserve_order`): the canonical form.
    let text = serde_json::Value::Object(canonical).to_string();
    b64(&Sha256::digest(text.as_bytes()))
}

fn decoding_key(alg: SigningAlgorithm, jwk: &serde_json::Value) -> Option<DecodingKey> {
    let member = |name: &str| jwk.get(name).and_then(|v| v.as_str());
    match alg {
        SigningAlgorithm::Es256 => DecodingKey::from_ec_components(member("x")?, member("y")?).ok(),
        SigningAlgorithm::Rs256 => {
            DecodingKey::from_rsa_components(member("n")?, member("e")?).ok()
        }
    }
}

fn encoding_key(alg: SigningAlgorithm, der: &[u8]) -> Result<EncodingKey, String> {
    match alg {
        SigningAlgorithm::Es256 => Ok(EncodingKey::from_ec_der(der)),
        SigningAlgorithm::Rs256 => Ok(EncodingKey::from_rsa_der(der)),
    }
}

/// Why the key store failed: the database, or a key that cannot be made or opened. Turned
/// into a 500 (logged, never shown) by `ApiError`.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The repository failed.
    #[error(transparent)]
    Repo(#[from] crate::entity::RepoError),
    /// A key could not be generated, opened or used.
    #[error("{0}")]
    Internal(String),
}

impl KeyError {
    fn message(message: impl Into<String>) -> Self {
        KeyError::Internal(message.into())
    }
}

/// What verifying a token can answer besides its claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Malformed, wrongly signed, expired, for another audience or issuer, an unknown
    /// `kid`, or an algorithm other than the key's.
    Invalid,
}

impl SigningKeys {
    /// The JWKS document (`{ "keys": [...] }`) of every key that still verifies, newest first.
    pub async fn jwks(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
    ) -> Result<serde_json::Value, KeyError> {
        if self.read().loaded_at.is_none() {
            self.reload(repos, sealer).await?;
        }
        Ok(serde_json::json!({ "keys": self.read().published.clone() }))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads every key that still verifies, and opens the newest active key of each
    /// algorithm for signing.
    pub async fn reload(&self, repos: &Repositories, sealer: &Sealer) -> Result<(), KeyError> {
        *self.attempted.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        let rows = repos.signing_keys.list_signing_keys().await?;
        self.install(rows, sealer);
        Ok(())
    }

    /// Whether the last reload was tried within `age`.
    fn tried_within(&self, age: Duration) -> bool {
        self.attempted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < age)
    }

    /// Whether `kid` names a key that still verifies (as far as the cache knows; callers
    /// that skip [`SigningKeys::verify`] call [`SigningKeys::refresh_if_stale`] first).
    pub fn verifies(&self, kid: &str) -> bool {
        self.read().verifiers.contains_key(kid)
    }

    /// Reloads a cache older than [`STALE_AFTER`], unless another task is loading now (its
    /// result is as fresh). A failure is logged and the cache kept.
    pub async fn refresh_if_stale(&self, repos: &Repositories, sealer: &Sealer) {
        if self.read().loaded_at.is_none() || self.tried_within(STALE_AFTER) {
            return;
        }
        let Ok(_loading) = self.load.try_lock() else {
            return;
        };
        if let Err(e) = self.reload(repos, sealer).await {
            tracing::error!(error = %e, "could not reload the signing keys");
        }
    }

    fn install(&self, rows: Vec<SigningKey>, sealer: &Sealer) {
        let mut cache = Cache {
            loaded_at: Some(Instant::now()),
            ..Cache::default()
        };
        // Newest first: the first active key of an algorithm signs.
        for row in rows {
            let Some(alg) = SigningAlgorithm::parse(&row.algorithm) else {
                tracing::warn!(kid = %row.kid, algorithm = %row.algorithm, "signing key with an unknown algorithm ignored");
                continue;
            };
            let Some(key) = decoding_key(alg, &row.public_jwk) else {
                tracing::error!(kid = %row.kid, "signing key with an unreadable public key ignored");
                continue;
            };
            if row.active && !cache.signers.contains_key(&alg) {
                match sealer
                    .open(PURPOSE, row.kid.as_bytes(), &row.private_key_enc)
                    .map_err(|e| e.to_string())
                    .and_then(|der| encoding_key(alg, &der))
                {
                    Ok(encoding) => {
                        cache.signers.insert(
                            alg,
                            Arc::new(Signer {
                                id: row.id,
                                kid: row.kid.clone(),
                                alg,
                                key: encoding,
                            }),
                        );
                    }
                    Err(e) => {
                        tracing::error!(kid = %row.kid, error = %e, "signing key cannot be opened (is its secret key in old_secret_keys?); it only verifies")
                    }
                }
            }
            cache.published.push(row.public_jwk.clone());
            cache
                .verifiers
                .insert(row.kid, Arc::new(Verifier { alg, key }));
        }
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = cache;
    }

    /// Generates, seals and stores a new key of `alg` (it becomes the signer at the next
    /// reload, being the newest). RSA keys are generated off the async threads.
    async fn create(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
        alg: SigningAlgorithm,
    ) -> Result<SigningKey, KeyError> {
        let generated = tokio::task::spawn_blocking(move || generate(alg))
            .await
            .map_err(|e| KeyError::Internal(e.to_string()))?
            .map_err(|e| KeyError::message(format!("generating a signing key: {e}")))?;
        let kid = thumbprint(&generated.members);
        let mut jwk: serde_json::Map<String, serde_json::Value> = generated
            .members
            .iter()
            .map(|(k, v)| ((*k).to_string(), serde_json::Value::String(v.clone())))
            .collect();
        jwk.insert("kid".into(), kid.clone().into());
        jwk.insert("alg".into(), alg.as_str().into());
        jwk.insert("use".into(), "sig".into());
        let row = SigningKey {
            id: Uuid::now_v7(),
            private_key_enc: sealer.seal(PURPOSE, kid.as_bytes(), &generated.private_der),
            kid,
            algorithm: alg.as_str().into(),
            public_jwk: serde_json::Value::Object(jwk),
            active: true,
            created_at: Utc::now(),
            rotated_at: None,
            retired_at: None,
        };
        repos.signing_keys.insert_signing_key(&row).await?;
        tracing::info!(kid = %row.kid, algorithm = alg.as_str(), "created a signing key");
        Ok(row)
    }

    async fn signer(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
        alg: SigningAlgorithm,
    ) -> Result<Arc<Signer>, KeyError> {
        if let Some(signer) = self.read().signers.get(&alg) {
            return Ok(signer.clone());
        }
        let _loading = self.load.lock().await;
        if let Some(signer) = self.read().signers.get(&alg) {
            return Ok(signer.clone());
        }
        self.reload(repos, sealer).await?;
        if let Some(signer) = self.read().signers.get(&alg) {
            return Ok(signer.clone());
        }
        self.create(repos, sealer, alg).await?;
        self.reload(repos, sealer).await?;
        self.read()
            .signers
            .get(&alg)
            .cloned()
            .ok_or_else(|| KeyError::message("the new signing key cannot be opened"))
    }

    /// Makes sure a key of `alg` exists (created on first use otherwise), so that the JWKS
    /// publishes it before the first token it signs.
    pub async fn ensure(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
        alg: SigningAlgorithm,
    ) -> Result<(), KeyError> {
        self.signer(repos, sealer, alg).await.map(|_| ())
    }

    /// Signs `claims` as a JWT of type `typ` with the current key of `alg` (created on first
    /// use), its `kid` in the header.
    pub async fn sign<C: Serialize>(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
        alg: SigningAlgorithm,
        typ: &str,
        claims: &C,
    ) -> Result<String, KeyError> {
        self.refresh_if_stale(repos, sealer).await;
        let signer = self.signer(repos, sealer, alg).await?;
        let mut header = Header::new(signer.alg.jwt());
        header.kid = Some(signer.kid.clone());
        header.typ = Some(typ.to_string());
        jsonwebtoken::encode(&header, claims, &signer.key)
            .map_err(|e| KeyError::Internal(e.to_string()))
    }

    /// Verifies a JWT: its `typ` must be `typ`, its `kid` must name a key that still
    /// verifies, its `alg` must be that key's, and `validation` (issuer, audience, expiry)
    /// must hold. The validation's own
    /// algorithm list is replaced by the key's.
    pub async fn verify<C: DeserializeOwned>(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
        token: &str,
        typ: &str,
        validation: &Validation,
    ) -> Result<C, Rejected> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected::Invalid)?;
        if !header.typ.is_some_and(|t| t.eq_ignore_ascii_case(typ)) {
            return Err(Rejected::Invalid);
        }
        let kid = header.kid.ok_or(Rejected::Invalid)?;
        self.refresh_if_stale(repos, sealer).await;
        let verifier = match self.verifier(&kid) {
            Some(v) => v,
            None => {
                self.reload_for_unknown_kid(repos, sealer).await;
                self.verifier(&kid).ok_or(Rejected::Invalid)?
            }
        };
        if header.alg != verifier.alg.jwt() {
            return Err(Rejected::Invalid);
        }
        let mut validation = validation.clone();
        validation.algorithms = vec![verifier.alg.jwt()];
        jsonwebtoken::decode::<C>(token, &verifier.key, &validation)
            .map(|data| data.claims)
            .map_err(|_| Rejected::Invalid)
    }

    fn verifier(&self, kid: &str) -> Option<Arc<Verifier>> {
        self.read().verifiers.get(kid).cloned()
    }

    async fn reload_for_unknown_kid(&self, repos: &Repositories, sealer: &Sealer) {
        let Ok(_loading) = self.load.try_lock() else {
            // Someone is loading right now; their result is as fresh as ours would be.
            let _wait = self.load.lock().await;
            return;
        };
        // Counted from the last attempt, failed or not: a database outage does not turn a
        // flood of made-up kids into a flood of queries.
        if !self.tried_within(RELOAD_AT_MOST_EVERY)
            && let Err(e) = self.reload(repos, sealer).await
        {
            tracing::error!(error = %e, "could not reload the signing keys");
        }
    }

    /// Makes a new key of `alg` the signer; the previous ones stop signing and keep
    /// verifying until maintenance retires them. Answers the new key's `kid`.
    pub async fn rotate(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
        alg: SigningAlgorithm,
    ) -> Result<String, KeyError> {
        let _loading = self.load.lock().await;
        let new = self.create(repos, sealer, alg).await?;
        let now = Utc::now();
        for old in repos.signing_keys.list_signing_keys().await? {
            if old.active && old.id != new.id && old.algorithm == alg.as_str() {
                repos
                    .signing_keys
                    .rotate_signing_key(Some(now), old.id)
                    .await?;
            }
        }
        self.reload(repos, sealer).await?;
        Ok(new.kid)
    }

    /// Rotates every algorithm that has a signing key now (a new key signs from now on; the
    /// old ones keep verifying until maintenance retires them). Answers the new keys' `kid`s.
    pub async fn rotate_all(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
    ) -> Result<Vec<String>, KeyError> {
        let mut algorithms: Vec<SigningAlgorithm> = Vec::new();
        for key in repos.signing_keys.list_signing_keys().await? {
            if let Some(alg) = SigningAlgorithm::parse(&key.algorithm)
                && key.active
                && !algorithms.contains(&alg)
            {
                algorithms.push(alg);
            }
        }
        let mut kids = Vec::new();
        for alg in algorithms {
            kids.push(self.rotate(repos, sealer, alg).await?);
        }
        Ok(kids)
    }

    /// Upkeep: retires keys rotated more than `verify_for` ago (the longest lifetime of a
    /// token they signed, plus a margin), rotates signers older than `rotate_after`, and
    /// reloads (so keys rotated by another replica are picked up). Answers how many keys it
    /// retired or rotated.
    pub async fn maintain(
        &self,
        repos: &Repositories,
        sealer: &Sealer,
        verify_for: Duration,
        rotate_after: Option<Duration>,
    ) -> Result<u64, KeyError> {
        let now = Utc::now();
        let before = now - chrono::Duration::from_std(verify_for).unwrap_or(chrono::Duration::MAX);
        let published = repos.signing_keys.list_signing_keys().await?;
        let retiring = published
            .iter()
            .filter(|k| k.rotated_at.is_some_and(|at| at < before))
            .count() as u64;
        if retiring > 0 {
            repos
                .signing_keys
                .retire_signing_keys(Some(now), before)
                .await?;
        }
        let mut rotated = 0;
        if let Some(lifetime) = rotate_after {
            let signers: Vec<(SigningAlgorithm, Uuid)> = {
                let cache = self.read();
                cache.signers.values().map(|s| (s.alg, s.id)).collect()
            };
            for (alg, id) in signers {
                let created: Option<DateTime<Utc>> =
                    published.iter().find(|k| k.id == id).map(|k| k.created_at);
                if created.is_some_and(|at| older_than(at, now, lifetime)) {
                    self.rotate(repos, sealer, alg).await?;
                    rotated += 1;
                }
            }
        }
        self.reload(repos, sealer).await?;
        Ok(retiring + rotated)
    }

    /// Seals every stored private key again under the current secret key. Answers how many
    /// changed.
    pub async fn reseal(&self, repos: &Repositories, sealer: &Sealer) -> Result<u64, KeyError> {
        let mut changed = 0;
        for row in repos.signing_keys.list_signing_keys().await? {
            match sealer.reseal(PURPOSE, row.kid.as_bytes(), &row.private_key_enc) {
                Ok(Some(sealed)) => {
                    repos
                        .signing_keys
                        .reseal_signing_key(&sealed, row.id)
                        .await?;
                    changed += 1;
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(KeyError::message(format!(
                        "signing key {} cannot be opened: {e}",
                        row.kid
                    )));
                }
            }
        }
        Ok(changed)
    }
}

fn older_than(at: DateTime<Utc>, now: DateTime<Utc>, age: Duration) -> bool {
    chrono::Duration::from_std(age).is_ok_and(|age| now - at >= age)
}
