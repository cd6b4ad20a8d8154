//! Sealing with the application's secret key: XChaCha20-Poly1305 (RustCrypto), a random
//! 192-bit nonce per value, and associated data that binds each value to its purpose and
//! its row, so a sealed value copied into another row or column does not open.
//!
//! A sealed value is `v1 ‖ key id (8 bytes) ‖ nonce (24) ‖ ciphertext ‖ tag (16)`. The key
//! id names the secret key that sealed it, so keys can be rotated: configure the new key as
//! `YAuthConfig::secret_key` and the old ones in `old_secret_keys`; values still open, and
//! `YAuth::reseal` seals them again under the new key, after which the old keys can go.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;

/// 32 bytes from the application (`YAUTH_SECRET_KEY`), used only to seal and open values.
/// Its `Debug` never shows it, and it is wiped from memory when dropped.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// The key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    /// The key from 64 hexadecimal characters (surrounding whitespace ignored).
    pub fn from_hex(hex: &str) -> Result<Self, SealError> {
        let hex = hex.trim().as_bytes();
        if hex.len() != 64 {
            return Err(SealError::KeyFormat);
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let digit = |c: u8| (c as char).to_digit(16).ok_or(SealError::KeyFormat);
            *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?)
                .map_err(|_| SealError::KeyFormat)?;
        }
        Ok(SecretKey(bytes))
    }

    /// A new random key (the demo's, when `YAUTH_SECRET_KEY` is unset).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system provides randomness");
        SecretKey(bytes)
    }

    /// The key as 64 lower-case hexadecimal characters, to store it (the demo's key file).
    pub fn to_hex(&self) -> Zeroizing<String> {
        use std::fmt::Write as _;
        let mut out = Zeroizing::new(String::with_capacity(64));
        for byte in self.0 {
            let _ = write!(out, "{byte:02x}");
        }
        out
    }

    /// The public name of the key recorded in every value it seals: the first 8 bytes of a
    /// domain-separated SHA-256 of the key (says nothing about the key itself).
    fn id(&self) -> [u8; KEY_ID_LEN] {
        let digest = Sha256::new()
            .chain_update(b"yauth secret key id\0")
            .chain_update(self.0)
            .finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        id
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// Why a value could not be sealed or opened. The messages never include key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// A secret key is not 64 hexadecimal characters.
    #[error("a secret key must be 64 hexadecimal characters (32 bytes)")]
    KeyFormat,
    /// The value was sealed by a key that is neither the current nor an old one.
    #[error("sealed by an unknown secret key: add it to old_secret_keys")]
    UnknownKey,
    /// The value is truncated, was altered, or belongs to another purpose or row.
    #[error("the sealed value is damaged or belongs elsewhere")]
    Damaged,
}

/// Seals under the current secret key; opens under it or any old one.
pub struct Sealer {
    current: Key,
    old: Vec<Key>,
    /// A key of its own for [`Sealer::derive`], from the current secret key.
    derive_key: Zeroizing<[u8; 32]>,
}

struct Key {
    id: [u8; KEY_ID_LEN],
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(secret: &SecretKey) -> Self {
        Key {
            id: secret.id(),
            cipher: XChaCha20Poly1305::new((&secret.0).into()),
        }
    }
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("old_keys", &self.old.len())
            .finish_non_exhaustive()
    }
}

/// The associated data: the purpose (`signing_key`, `totp_secret`, …) and the row's own
/// identifier, length-prefixed so that no two pairs run together.
fn associated_data(purpose: &str, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + purpose.len() + context.len());
    aad.extend_from_slice(b"yauth\0");
    aad.extend_from_slice(&(purpose.len() as u64).to_be_bytes());
    aad.extend_from_slice(purpose.as_bytes());
    aad.extend_from_slice(context);
    aad
}

/// HMAC-SHA256 (RFC 2104) with a 32-byte key (shorter than the 64-byte block: zero-padded).
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut inner = Zeroizing::new([0x36u8; 64]);
    let mut outer = Zeroizing::new([0x5cu8; 64]);
    for (i, byte) in key.iter().enumerate() {
        inner[i] ^= byte;
        outer[i] ^= byte;
    }
    let inner_hash = Sha256::new()
        .chain_update(&inner[..])
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer[..])
        .chain_update(inner_hash)
        .finalize()
        .into()
}

impl Sealer {
    /// A sealer with `current` for sealing and opening, and `old` for opening only.
    pub fn new(current: &SecretKey, old: &[SecretKey]) -> Self {
        let mut derive_key = Zeroizing::new([0u8; 32]);
        derive_key.copy_from_slice(
            &Sha256::new()
                .chain_update(b"yauth derive key\0")
                .chain_update(current.0)
                .finalize(),
        );
        Sealer {
            current: Key::new(current),
            old: old.iter().map(Key::new).collect(),
            derive_key,
        }
    }

    /// 32 bytes that only the holder of the secret key can compute from `purpose` and
    /// `input`, the same on every replica: stable stand-ins that reveal nothing (the passkey
    /// plugin's credential ids for emails without passkeys). They change when the secret
    /// key is rotated.
    pub fn derive(&self, purpose: &str, input: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.derive_key, &associated_data(purpose, input))
    }

    /// Seals `plaintext` for `purpose` and the row named by `context` (its id or kid).
    pub fn seal(&self, purpose: &str, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system provides randomness");
        let aad = associated_data(purpose, context);
        let sealed = self
            .current
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 seals any message of this size");
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed for the same `purpose` and `context`, under the current key or an
    /// old one. The plaintext is wiped from memory when dropped.
    pub fn open(
        &self,
        purpose: &str,
        context: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.len() < HEADER_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(SealError::Damaged);
        }
        let key = self.key_for(sealed)?;
        let aad = associated_data(purpose, context);
        let nonce: [u8; NONCE_LEN] = sealed[1 + KEY_ID_LEN..HEADER_LEN]
            .try_into()
            .map_err(|_| SealError::Damaged)?;
        key.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::Damaged)
    }

    /// Whether `sealed` was sealed by an old key (or is not a sealed value at all), so that
    /// [`Sealer::reseal`] has work to do.
    pub fn needs_reseal(&self, sealed: &[u8]) -> bool {
        sealed.get(1..1 + KEY_ID_LEN) != Some(&self.current.id[..])
    }

    /// The value sealed again under the current key, or `None` when it already is.
    pub fn reseal(
        &self,
        purpose: &str,
        context: &[u8],
        sealed: &[u8],
    ) -> Result<Option<Vec<u8>>, SealError> {
        if !self.needs_reseal(sealed) {
            return Ok(None);
        }
        let plain = self.open(purpose, context, sealed)?;
        Ok(Some(self.seal(purpose, context, &plain)))
    }

    fn key_for(&self, sealed: &[u8]) -> Result<&Key, SealError> {
        let id = &sealed[1..1 + KEY_ID_LEN];
        std::iter::once(&self.current)
            .chain(&self.old)
            .find(|key| key.id == id)
            .ok_or(SealError::UnknownKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes([byte; 32])
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 4231 test cases 1 and 2 (their keys are shorter than 32 bytes; HMAC pads keys
    /// with zeros to the block size, so the zero-padded 32-byte key is the same key).
    #[test]
    fn derive_is_hmac_sha256_per_rfc_4231() {
        let mut one = [0u8; 32];
        one[..20].fill(0x0b);
        assert_eq!(
            hex(&hmac_sha256(&one, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let mut jefe = [0u8; 32];
        jefe[..4].copy_from_slice(b"Jefe");
        assert_eq!(
            hex(&hmac_sha256(&jefe, b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let sealer = Sealer::new(&key(1), &[]);
        assert_eq!(sealer.derive("a", b"x"), sealer.derive("a", b"x"));
        assert_ne!(sealer.derive("a", b"x"), sealer.derive("b", b"x"));
        assert_ne!(
            sealer.derive("a", b"x"),
            Sealer::new(&key(2), &[]).derive("a", b"x")
        );
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_purpose_and_row() {
        let sealer = Sealer::new(&key(1), &[]);
        let sealed = sealer.seal("totp_secret", b"row-1", b"JBSWY3DPEHPK3PXP");
        assert_eq!(
            sealer
                .open("totp_secret", b"row-1", &sealed)
                .unwrap()
                .as_slice(),
            b"JBSWY3DPEHPK3PXP"
        );
        // Nothing of the plaintext shows, and two seals of one value differ (random nonce).
        assert!(!sealed.windows(8).any(|w| w == b"JBSWY3DP"));
        assert_ne!(
            sealed,
            sealer.seal("totp_secret", b"row-1", b"JBSWY3DPEHPK3PXP")
        );
        // Copied into another row or used for another purpose, it does not open.
        assert_eq!(
            sealer.open("totp_secret", b"row-2", &sealed),
            Err(SealError::Damaged)
        );
        assert_eq!(
            sealer.open("webhook_secret", b"row-1", &sealed),
            Err(SealError::Damaged)
        );
    }

    #[test]
    fn a_tampered_or_truncated_value_is_refused() {
        let sealer = Sealer::new(&key(1), &[]);
        let sealed = sealer.seal("p", b"c", b"secret");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(sealer.open("p", b"c", &bad).is_err(), "byte {i} flipped");
        }
        for len in 0..sealed.len() {
            assert!(sealer.open("p", b"c", &sealed[..len]).is_err());
        }
    }

    #[test]
    fn rotation_opens_old_values_and_reseals_them_under_the_new_key() {
        let old = Sealer::new(&key(1), &[]);
        let sealed = old.seal("signing_key", b"kid", b"private");
        let rotated = Sealer::new(&key(2), &[key(1)]);
        assert!(rotated.needs_reseal(&sealed));
        assert_eq!(
            rotated
                .open("signing_key", b"kid", &sealed)
                .unwrap()
                .as_slice(),
            b"private"
        );
        let resealed = rotated
            .reseal("signing_key", b"kid", &sealed)
            .unwrap()
            .expect("sealed by the old key");
        assert!(!rotated.needs_reseal(&resealed));
        assert_eq!(rotated.reseal("signing_key", b"kid", &resealed), Ok(None));
        // Once the old key is gone, only the resealed value opens.
        let new_only = Sealer::new(&key(2), &[]);
        assert_eq!(
            new_only.open("signing_key", b"kid", &sealed),
            Err(SealError::UnknownKey)
        );
        assert_eq!(
            new_only
                .open("signing_key", b"kid", &resealed)
                .unwrap()
                .as_slice(),
            b"private"
        );
    }

    #[test]
    fn secret_keys_parse_from_hex_and_never_print() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let key = SecretKey::from_hex(hex).unwrap();
        assert_eq!(key.to_hex().as_str(), hex.to_ascii_lowercase());
        assert_eq!(format!("{key:?}"), "SecretKey(…)");
        for bad in [
            "",
            "00",
            &hex[..63],
            &format!("{}zz", &hex[..62]),
            "é".repeat(32).as_str(),
        ] {
            assert_eq!(SecretKey::from_hex(bad).unwrap_err(), SealError::KeyFormat);
        }
        assert_ne!(
            SecretKey::generate().to_hex(),
            SecretKey::generate().to_hex()
        );
    }
}
