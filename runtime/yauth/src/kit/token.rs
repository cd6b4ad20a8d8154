//! One-time and session tokens: 256 random bits, handed out once in plain text, stored only
//! as their SHA-256, and claimed by a single guarded write.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// A fresh random token: 32 bytes from the OS, base64url without padding (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-case hex of `bytes` (MACs and digests shown or sent as text).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex SHA-256 of a token: what the database stores and looks up.
pub fn hash_token(token: &str) -> String {
    TokenHash::of(token).as_str().to_owned()
}

/// [`hash_token`] on the stack, for the session check (every protected request).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenHash([u8; 64]);

impl TokenHash {
    pub(crate) fn of(token: &str) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = Sha256::digest(token.as_bytes());
        let mut out = [0u8; 64];
        for (pair, byte) in out.chunks_exact_mut(2).zip(digest) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        TokenHash(out)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Hex digits only.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// `now + ttl`, saturating instead of overflowing: the expiry of sessions, tokens and
/// rate-limit windows.
pub fn expires_after(now: DateTime<Utc>, ttl: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A token just issued: the plain value goes to the user (a link, a cookie), the hash and
/// the expiry to the row that stores it.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The plain token; never stored or logged.
    pub plain: String,
    /// Its hex SHA-256, stored and looked up.
    pub hash: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl Issued {
    /// A new token valid for `ttl` from now.
    pub fn new(ttl: std::time::Duration) -> Self {
        let now = Utc::now();
        let plain = new_token();
        Issued {
            hash: hash_token(&plain),
            plain,
            created_at: now,
            expires_at: expires_after(now, ttl),
        }
    }
}

/// Equal bytes, in a time that depends only on the length: for comparing a presented
/// secret (or its hash) with the stored one.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a claim (a guarded `UPDATE` or `DELETE` reporting the rows it changed) won: of
/// two concurrent uses of one token, exactly one sees `1`.
pub fn claimed(rows: u64) -> bool {
    rows == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed_to_hex() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        let h = hash_token(&a);
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let issued = Issued::new(std::time::Duration::from_secs(60));
        assert_eq!(issued.hash, hash_token(&issued.plain));
        assert!(issued.expires_at > issued.created_at);
    }
}
