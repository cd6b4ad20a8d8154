//! Passwords: Argon2id hashing off the async threads with a bounded number at once, a dummy
//! verification for unknown accounts, rehash detection, and the password policy.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

use crate::contract::error::ApiError;

/// Argon2id parameters and how many hashes may run at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashingConfig {
    /// Memory per hash in KiB. Default 19456 (19 MiB), OWASP's Argon2id recommendation.
    pub memory_kib: u32,
    /// Passes. Default 2.
    pub iterations: u32,
    /// Lanes. Default 1.
    pub parallelism: u32,
    /// Hashes computed at once; more wait. With the defaults each takes 19 MiB, so this caps
    /// the memory a login flood can claim; that working memory is kept for the next hashes
    /// once used. Default: the number of CPUs.
    pub max_concurrent: usize,
    /// Requests that may wait for a hash at once; one more is answered 503 at once, so a
    /// flood cannot queue without bound. Default 64.
    pub max_waiting: usize,
    /// How long a request waits for its turn before it is answered 503. Default 5 s.
    pub max_wait: std::time::Duration,
}

impl Default for HashingConfig {
    fn default() -> Self {
        HashingConfig {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_waiting: 64,
            max_wait: std::time::Duration::from_secs(5),
        }
    }
}

impl HashingConfig {
    /// The smallest parameters Argon2 accepts: fast, for tests that are not about hashing.
    pub fn insecure_fast_for_tests() -> Self {
        HashingConfig {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
            max_concurrent: 4,
            max_waiting: 64,
            max_wait: std::time::Duration::from_secs(5),
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The password is the account's.
    pub matches: bool,
    /// The stored hash uses other parameters than the current ones: store a new hash.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords. Cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// Requests waiting for a permit now, and the caps on them.
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    max_wait: std::time::Duration,
    /// A hash of a random password with the live parameters, verified against when the
    /// account does not exist, so that both paths cost one verification. Computed once, off
    /// the async threads ([`Hasher::warm_up`], or the first verification).
    dummy: Arc<OnceCell<String>>,
    verifications: Arc<AtomicU64>,
    memory: Arc<WorkingMemory>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// Checks the parameters.
    pub fn new(config: &HashingConfig) -> Result<Self, String> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| format!("invalid Argon2 parameters: {e}"))?;
        if config.max_concurrent == 0 {
            return Err("max_concurrent must be at least 1".into());
        }
        let memory = Arc::new(WorkingMemory::new(
            params.block_count(),
            config.max_concurrent,
        ));
        Ok(Hasher {
            params,
            permits: Arc::new(Semaphore::new(config.max_concurrent)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting: config.max_waiting,
            max_wait: config.max_wait,
            dummy: Arc::new(OnceCell::new()),
            verifications: Arc::new(AtomicU64::new(0)),
            memory,
        })
    }

    /// A turn at hashing: at once when a permit is free; else a wait of at most `max_wait`
    /// among at most `max_waiting` others; else 503 `overloaded` with `Retry-After`.
    async fn turn(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let overloaded = || ApiError::overloaded(self.max_wait.as_secs().max(1));
        // The guard gives the place back however the wait ends, also when the request is
        // dropped mid-wait (the client went away), so the count cannot leak.
        let Some(_waiting) = Waiting::join(&self.waiting, self.max_waiting) else {
            return Err(overloaded());
        };
        match tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::internal(closed)),
            Err(_elapsed) => Err(overloaded()),
        }
    }

    /// Computes the dummy hash now (plugins call it from `init`), so that the first
    /// verification of an unknown account costs no more than any other.
    pub async fn warm_up(&self) -> Result<(), ApiError> {
        self.dummy().await.map(|_| ())
    }

    async fn dummy(&self) -> Result<&str, ApiError> {
        self.dummy
            .get_or_try_init(|| async {
                let params = self.params.clone();
                let memory = self.memory.clone();
                tokio::task::spawn_blocking(move || {
                    let random = crate::kit::token::new_token();
                    hash_phc(&params, random.as_bytes(), &memory)
                })
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)
            })
            .await
            .map(String::as_str)
    }

    /// A PHC string (`$argon2id$v=19$m=…`) of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let permit = self.turn().await?;
        let params = self.params.clone();
        let memory = self.memory.clone();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            // The permit lives as long as the hash, even if the request is dropped meanwhile.
            let _permit = permit;
            hash_phc(&params, password.as_bytes(), &memory)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
    }

    /// Verifies `password` against `stored`; with `None` (no such account or no password)
    /// it verifies against the dummy hash and reports no match, taking the same time.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<Verified, ApiError> {
        let known = stored.is_some();
        let phc = match stored {
            Some(phc) => phc.to_string(),
            None => self.dummy().await?.to_string(),
        };
        let permit = self.turn().await?;
        let password = password.to_string();
        let params = self.params.clone();
        let memory = self.memory.clone();
        self.verifications.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let Ok(parsed) = PasswordHash::new(&phc) else {
                tracing::error!("a stored password hash is not a valid PHC string");
                return Verified {
                    matches: false,
                    needs_rehash: false,
                };
            };
            let matches = verify_phc(password.as_bytes(), &parsed, &memory);
            let same_costs = Params::try_from(&parsed).is_ok_and(|p| {
                (p.m_cost(), p.t_cost(), p.p_cost())
                    == (params.m_cost(), params.t_cost(), params.p_cost())
            });
            let needs_rehash =
                matches && (!same_costs || parsed.algorithm != argon2::ARGON2ID_IDENT);
            Verified {
                matches: matches && known,
                needs_rehash: needs_rehash && known,
            }
        })
        .await
        .map_err(ApiError::internal)
    }

    /// How many verifications ran (the enumeration tests count them).
    pub fn verification_count(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

/// One place in the hashing queue, given back when dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    /// Takes a place when fewer than `max` are taken.
    fn join(count: &'a AtomicUsize, max: usize) -> Option<Self> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Waiting(count))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

// Hashing and verifying are argon2's `PasswordHasher::hash_password` and
// `PasswordVerifier::verify_password` (argon2 0.6, password-hash 0.6) step for step, except
// that the working memory comes from `WorkingMemory`.

/// A PHC string (`$argon2id$v=19$m=…`) of `password` with a fresh 16-byte salt.
fn hash_phc(
    params: &Params,
    password: &[u8],
    memory: &WorkingMemory,
) -> argon2::password_hash::Result<String> {
    let salt = argon2::password_hash::try_generate_salt()?;
    let hash = hash_with_salt(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        &salt,
        memory,
    )?;
    Ok(hash.to_string())
}

/// Whether `password` is the one `hash` was made from (with the hash's own algorithm,
/// version and parameters; the outputs compared in constant time).
fn verify_phc(password: &[u8], hash: &PasswordHash, memory: &WorkingMemory) -> bool {
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = hash.version.map(Version::try_from).transpose() else {
        return false;
    };
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    hash_with_salt(
        algorithm,
        version.unwrap_or_default(),
        params,
        password,
        salt,
        memory,
    )
    .is_ok_and(|computed| computed.hash.as_ref() == Some(expected))
}

fn hash_with_salt(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    memory: &WorkingMemory,
) -> argon2::password_hash::Result<PasswordHash> {
    let salt = Salt::new(salt)?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let out = buffer
        .get_mut(..output_len)
        .ok_or(argon2::password_hash::Error::OutputSize)?;
    let params_string = ParamsString::try_from(&params)?;
    let mut blocks = memory.take(params.block_count());
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password,
        &salt,
        out,
        blocks.as_mut_slice(),
    );
    memory.give_back(blocks);
    hashed?;
    Ok(PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: params_string,
        salt: Some(salt),
        hash: Some(Output::new(out)?),
    })
}

/// Argon2's working memory (`m` KiB per hash), kept between hashes: a hash takes a buffer
/// and gives it back, and at most `max_concurrent` (the hashes that may run at once) are
/// kept, so a process that hashed holds that much for good (19 MiB per CPU with the
/// defaults) and never more. Without it, argon2 allocates its blocks for every hash: fresh
/// memory costs a page fault per 4 KiB (about 10 ms of a 19 MiB hash here), and glibc does
/// not reuse the 64-byte-aligned blocks well (each hash left up to `m` KiB more resident).
/// Argon2 overwrites every block in its first pass, so a buffer's old contents never matter.
struct WorkingMemory {
    /// Blocks of one buffer: the current parameters' `m`.
    blocks: usize,
    free: std::sync::Mutex<Vec<Vec<Block>>>,
    max_kept: usize,
}

impl WorkingMemory {
    fn new(blocks: usize, max_kept: usize) -> Self {
        WorkingMemory {
            blocks,
            free: std::sync::Mutex::new(Vec::new()),
            max_kept,
        }
    }

    /// A buffer of at least `needed` blocks: a kept one when it is large enough (a stored
    /// hash with a larger `m` gets one of its own).
    fn take(&self, needed: usize) -> Vec<Block> {
        if needed > self.blocks {
            return mapped(needed);
        }
        let kept = self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        kept.unwrap_or_else(|| mapped(self.blocks))
    }

    fn give_back(&self, blocks: Vec<Block>) {
        if blocks.len() != self.blocks {
            return;
        }
        let mut free = self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if free.len() < self.max_kept {
            free.push(blocks);
        }
    }
}

/// `count` blocks, reserved at no less than 32 MiB: glibc serves 64-byte-aligned requests
/// below its mmap threshold (which rises to the size of the last mapping freed, up to 32 MiB)
/// from the heap, where they fragment; a request of 32 MiB or more is a mapping of its own,
/// returned to the system when freed. Only the pages written are resident.
fn mapped(count: usize) -> Vec<Block> {
    const MAPPED_BLOCKS: usize = 32 * 1024;
    let mut blocks = Vec::with_capacity(count.max(MAPPED_BLOCKS));
    blocks.resize(count, Block::new());
    blocks
}

/// A character-class rule: required?, the test, its error code, what it asks for.
type ClassRule = (bool, fn(char) -> bool, &'static str, &'static str);

/// `PasswordPolicyConfig`: what a new password must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicyConfig {
    /// Minimum length in characters. Default 8. NIST SP 800-63B-4 asks for 15 when a password
    /// is the only factor: set `min_length: 15` for such apps.
    pub min_length: usize,
    /// Maximum length in characters. Default 128.
    pub max_length: usize,
    /// Require an upper-case letter (off by default, as NIST advises against composition
    /// rules).
    pub require_uppercase: bool,
    /// Require a lower-case letter.
    pub require_lowercase: bool,
    /// Require a digit.
    pub require_digit: bool,
    /// Require a character other than letters and digits.
    pub require_special: bool,
    /// Refuse passwords from zxcvbn's list of about 30,000 common passwords, also in
    /// l33t-speak. Default on.
    pub disallow_common_passwords: bool,
    /// Refuse the last N passwords of the user. 0 (the default) turns it off.
    pub password_history_count: u32,
}

impl Default for PasswordPolicyConfig {
    fn default() -> Self {
        PasswordPolicyConfig {
            min_length: 8,
            max_length: 128,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_special: false,
            disallow_common_passwords: true,
            password_history_count: 0,
        }
    }
}

impl PasswordPolicyConfig {
    /// A new password as typed, checked and normalised ([`normalize_password`]): the length
    /// rules hold for what was typed and for its normal form (one ligature is not eight
    /// characters), the other rules for the normal form.
    pub fn check_new(&self, typed: &str) -> Result<String, ApiError> {
        let too_long = || {
            ApiError::bad_request(
                "password_too_long",
                format!("a password has at most {} characters", self.max_length),
            )
        };
        let normal = normalize_password(typed).ok_or_else(too_long)?;
        self.check(typed)?;
        self.check(&normal)?;
        Ok(normal)
    }

    /// Checks what can be checked without the database or the network: 400 with
    /// `password_too_short`, `password_too_long`, `password_missing_<class>` or
    /// `password_common`.
    pub fn check(&self, password: &str) -> Result<(), ApiError> {
        let length = password.chars().count();
        if length < self.min_length {
            return Err(ApiError::bad_request(
                "password_too_short",
                format!("a password has at least {} characters", self.min_length),
            ));
        }
        if length > self.max_length {
            return Err(ApiError::bad_request(
                "password_too_long",
                format!("a password has at most {} characters", self.max_length),
            ));
        }
        let classes: [ClassRule; 4] = [
            (
                self.require_uppercase,
                char::is_uppercase,
                "password_missing_uppercase",
                "an upper-case letter",
            ),
            (
                self.require_lowercase,
                char::is_lowercase,
                "password_missing_lowercase",
                "a lower-case letter",
            ),
            (
                self.require_digit,
                |c| c.is_ascii_digit(),
                "password_missing_digit",
                "a digit",
            ),
            (
                self.require_special,
                |c| !c.is_alphanumeric(),
                "password_missing_special",
                "a character other than letters and digits",
            ),
        ];
        for (required, test, code, what) in classes {
            if required && !password.chars().any(test) {
                return Err(ApiError::bad_request(
                    code,
                    format!("a password needs {what}"),
                ));
            }
        }
        if self.disallow_common_passwords && is_common_password(password) {
            return Err(ApiError::bad_request(
                "password_common",
                "this password is too common; choose another",
            ));
        }
        Ok(())
    }
}

/// The longest password input read, in bytes: anything longer is refused before any
/// Unicode work (NFKC can grow a string elevenfold) or hashing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The form a password is checked, hashed and verified in: NFKC (NIST SP 800-63B §5.1.1.2),
/// so that a composed and a decomposed "é", or a full-width and an ASCII letter, are the
/// same password on every keyboard. `None` for an input over [`MAX_PASSWORD_BYTES`].
pub fn normalize_password(password: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization as _;
    (password.len() <= MAX_PASSWORD_BYTES).then(|| password.nfkc().collect())
}

/// Whether the whole password is one entry of zxcvbn's common-password list (case-insensitive,
/// l33t substitutions included).
pub fn is_common_password(password: &str) -> bool {
    if password.is_empty() || password.chars().count() > 64 {
        return false;
    }
    let entropy = zxcvbn::zxcvbn(password, &[]);
    let length = password.chars().count();
    entropy.sequence().iter().any(|m| {
        m.i == 0
            && m.j + 1 == length
            && matches!(
                &m.pattern,
                // zxcvbn does not export the dictionary enum's path; its Debug name is stable.
                zxcvbn::matching::patterns::MatchPattern::Dictionary(d)
                    if format!("{:?}", d.dictionary_name) == "Passwords" && !d.reversed
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_verifications_are_argon2s_own() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(64, 2, 1, None).unwrap();
        let salt = [7u8; 16];
        // The same PHC string as argon2's hasher, byte for byte.
        let memory = WorkingMemory::new(params.block_count(), 1);
        let ours = hash_with_salt(
            Algorithm::Argon2id,
            Version::V0x13,
            params.clone(),
            b"pass phrase",
            &salt,
            &memory,
        )
        .unwrap()
        .to_string();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_with_salt(b"pass phrase", &salt)
            .unwrap()
            .to_string();
        assert_eq!(ours, theirs);
        // Each verifies the other's, including other algorithms, versions and parameters.
        let fresh = hash_phc(&params, b"pass phrase", &memory).unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        assert!(
            argon
                .verify_password(b"pass phrase", fresh.as_str())
                .is_ok()
        );
        assert!(
            argon
                .verify_password(b"pass phrasE", fresh.as_str())
                .is_err()
        );
        for (algorithm, version, m) in [
            (Algorithm::Argon2id, Version::V0x13, 64),
            (Algorithm::Argon2i, Version::V0x10, 32),
            (Algorithm::Argon2d, Version::V0x13, 128),
        ] {
            let params = Params::new(m, 1, 2, Some(24)).unwrap();
            let phc = Argon2::new(algorithm, version, params)
                .hash_password(b"pass phrase")
                .unwrap()
                .to_string();
            let parsed = PasswordHash::new(&phc).unwrap();
            assert!(verify_phc(b"pass phrase", &parsed, &memory), "{phc}");
            assert!(!verify_phc(b"pass phrase ", &parsed, &memory), "{phc}");
        }
        let mut no_output = PasswordHash::new(&fresh).unwrap();
        no_output.hash = None;
        assert!(!verify_phc(b"pass phrase", &no_output, &memory));
        // One buffer of the configured size was kept, whatever the hashes needed.
        assert_eq!(memory.free.lock().unwrap().len(), 1);
        assert!(memory.free.lock().unwrap()[0].len() == params.block_count());
    }

    #[tokio::test]
    async fn hashes_verify_and_detect_changed_parameters() {
        let fast = Hasher::new(&HashingConfig::insecure_fast_for_tests()).unwrap();
        let phc = fast.hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{phc}");
        assert_eq!(
            fast.verify("correct horse battery", Some(&phc))
                .await
                .unwrap(),
            Verified {
                matches: true,
                needs_rehash: false
            }
        );
        assert!(!fast.verify("wrong", Some(&phc)).await.unwrap().matches);
        // No account: the dummy hash is verified, and never matches.
        let before = fast.verification_count();
        assert!(
            !fast
                .verify("correct horse battery", None)
                .await
                .unwrap()
                .matches
        );
        assert_eq!(fast.verification_count(), before + 1);
        let stronger = Hasher::new(&HashingConfig {
            memory_kib: 64,
            ..HashingConfig::insecure_fast_for_tests()
        })
        .unwrap();
        assert_eq!(
            stronger
                .verify("correct horse battery", Some(&phc))
                .await
                .unwrap(),
            Verified {
                matches: true,
                needs_rehash: true
            }
        );
        assert!(
            !fast
                .verify("x", Some("not a phc string"))
                .await
                .unwrap()
                .matches
        );
    }

    #[tokio::test]
    async fn a_hashing_flood_gets_503_instead_of_an_unbounded_queue() {
        let hasher = Hasher::new(&HashingConfig {
            max_concurrent: 1,
            max_waiting: 1,
            max_wait: std::time::Duration::from_millis(50),
            ..HashingConfig::insecure_fast_for_tests()
        })
        .unwrap();
        // Hold the only permit, as a long hash would.
        let held = hasher.permits.clone().acquire_owned().await.unwrap();
        // One request may wait; it gives up after `max_wait` with 503 and Retry-After.
        let waiter = {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.hash("a long enough passphrase").await })
        };
        tokio::task::yield_now().await;
        // A second one finds the queue full and is refused at once.
        let refused = hasher.hash("a long enough passphrase").await.unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.error, "overloaded");
        assert!(refused.retry_after.is_some());
        let timed_out = waiter.await.unwrap().unwrap_err();
        assert_eq!(
            timed_out.status,
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        );
        drop(held);
        // With the permit free again, hashing works.
        assert!(hasher.hash("a long enough passphrase").await.is_ok());
    }

    #[tokio::test]
    async fn a_request_dropped_while_waiting_gives_its_place_in_the_queue_back() {
        let hasher = Hasher::new(&HashingConfig {
            max_concurrent: 1,
            max_waiting: 1,
            max_wait: std::time::Duration::from_secs(60),
            ..HashingConfig::insecure_fast_for_tests()
        })
        .unwrap();
        let held = hasher.permits.clone().acquire_owned().await.unwrap();
        for _ in 0..5 {
            // A client that goes away while waiting: its request future is dropped.
            let waiter = {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("a long enough passphrase").await })
            };
            tokio::task::yield_now().await;
            assert_eq!(hasher.waiting.load(Ordering::Acquire), 1);
            waiter.abort();
            let _ = waiter.await;
            assert_eq!(hasher.waiting.load(Ordering::Acquire), 0);
        }
        drop(held);
        assert!(hasher.hash("a long enough passphrase").await.is_ok());
    }

    #[tokio::test]
    async fn the_default_parameters_are_owasps() {
        let hasher = Hasher::new(&HashingConfig::default()).unwrap();
        let phc = hasher.hash("a long enough passphrase").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[test]
    fn the_policy_names_what_is_wrong() {
        let policy = PasswordPolicyConfig::default();
        let code = |p: &str, policy: &PasswordPolicyConfig| policy.check(p).err().map(|e| e.error);
        assert_eq!(code("short1!", &policy), Some("password_too_short"));
        assert_eq!(code(&"x".repeat(129), &policy), Some("password_too_long"));
        assert_eq!(code("Xk9#mP2$vL5nQ8wR", &policy), None);
        // Length counts characters, not bytes.
        assert_eq!(code("ééééééé", &policy), Some("password_too_short"));
        let strict = PasswordPolicyConfig {
            require_uppercase: true,
            require_digit: true,
            require_special: true,
            ..PasswordPolicyConfig::default()
        };
        assert_eq!(
            code("lowercase words only", &strict),
            Some("password_missing_uppercase")
        );
        assert_eq!(
            code("Upper But No Digit", &strict),
            Some("password_missing_digit")
        );
        assert_eq!(
            code("Upper1AndDigit", &strict),
            Some("password_missing_special")
        );
        assert_eq!(code("Upper1 And Digit", &strict), None);
        let nist = PasswordPolicyConfig {
            min_length: 15,
            ..PasswordPolicyConfig::default()
        };
        assert_eq!(code("Xk9#mP2$vL5nQ8w", &nist), None);
        assert_eq!(code("Xk9#mP2$vL5nQ8", &nist), Some("password_too_short"));
    }

    #[test]
    fn common_passwords_come_from_a_list_of_thousands() {
        // Top of the list, deep in it (beyond rank 20,000), and l33t or capitalised forms.
        for p in [
            "password",
            "12345678",
            "iloveyou",
            "sunshine",
            "happylife",
            "sasha2011",
            "qwaszx11",
            "P@ssw0rd",
            "Football",
        ] {
            assert!(is_common_password(p), "{p}");
            assert_eq!(
                PasswordPolicyConfig::default()
                    .check(p)
                    .err()
                    .map(|e| e.error)
                    .filter(|_| p.len() >= 8),
                if p.len() >= 8 {
                    Some("password_common")
                } else {
                    None
                },
                "{p}"
            );
        }
        for p in [
            "Xk9#mP2$vL5nQ8wR",
            "correct horse battery staple",
            "drowssap-not",
        ] {
            assert!(!is_common_password(p), "{p}");
        }
        let off = PasswordPolicyConfig {
            disallow_common_passwords: false,
            ..PasswordPolicyConfig::default()
        };
        assert!(off.check("password").is_ok());
    }
}
