//! The second factor's codes: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, what
//! authenticator apps read from an `otpauth://` URL) and backup codes.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use totp_rs::{Algorithm, Builder, Secret};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::kit::token::{constant_time_eq, hash_token};

/// Digits of a TOTP code.
pub(super) const DIGITS: usize = 6;
/// Seconds of a TOTP step.
pub(super) const STEP: u64 = 30;
/// Bytes of a TOTP secret: 160 bits, the HMAC-SHA1 block RFC 4226 recommends.
const SECRET_LEN: usize = 20;
/// Characters of a backup code (Crockford's base32: 5 bits each, 60 bits in all).
const BACKUP_LEN: usize = 12;
/// Crockford's base32 alphabet: no I, L, O or U, so codes read back without confusion.
const BACKUP_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh random TOTP secret.
pub(super) fn new_secret() -> Zeroizing<Vec<u8>> {
    let mut secret = Zeroizing::new(vec![0u8; SECRET_LEN]);
    getrandom::fill(&mut secret).expect("the operating system provides randomness");
    secret
}

/// The secret in base32 without padding, as authenticator apps take it typed in.
pub(super) fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret)
        .to_base32()
        .trim_end_matches('=')
        .to_owned()
}

/// The `otpauth://totp/…` URL of Google Authenticator's key-URI format: the label is
/// `issuer:account`, and the parameters spell out SHA1, 6 digits and 30 seconds.
pub(super) fn otpauth_url(secret: &[u8], issuer: &str, account: &str) -> String {
    let issuer_enc = utf8_percent_encode(issuer, NON_ALPHANUMERIC);
    let account_enc = utf8_percent_encode(account, NON_ALPHANUMERIC);
    format!(
        "otpauth://totp/{issuer_enc}:{account_enc}?secret={}&issuer={issuer_enc}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        secret_base32(secret)
    )
}

/// The time step of a Unix time.
pub(super) fn step_at(unix_seconds: u64) -> u64 {
    unix_seconds / STEP
}

/// The code of `step` for `secret`.
fn code_at(secret: &[u8], step: u64) -> Option<String> {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_step_duration(STEP)
        .with_secret(secret)
        .build()
        .ok()?;
    Some(totp.generate(step.checked_mul(STEP)?).to_string())
}

/// The step, among `now`'s and its two neighbours (±1, for clocks that drift), whose code is
/// `code`; the latest one when several match. Compared in constant time.
pub(super) fn matching_step(secret: &[u8], code: &str, now_step: u64) -> Option<u64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut found = None;
    for step in [now_step.saturating_sub(1), now_step, now_step + 1] {
        if let Some(expected) = code_at(secret, step)
            && constant_time_eq(expected.as_bytes(), code.as_bytes())
        {
            found = Some(step);
        }
    }
    found
}

/// Whether `code` is shaped like a TOTP code (six digits, spaces ignored) rather than a
/// backup code.
pub(super) fn as_totp(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A fresh backup code, shown as `XXXX-XXXX-XXXX`.
pub(super) fn new_backup_code() -> String {
    let mut bytes = [0u8; BACKUP_LEN];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    let mut out = String::with_capacity(BACKUP_LEN + 2);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 256 is a multiple of 32: the low five bits are uniform.
        out.push(char::from(BACKUP_ALPHABET[usize::from(byte & 31)]));
    }
    out
}

/// A backup code as typed, in its canonical form: dashes and spaces dropped, upper case,
/// and the letters people confuse with digits read as those digits (Crockford). `None` for
/// anything that cannot be a backup code.
pub(super) fn canonical_backup_code(code: &str) -> Option<String> {
    let mut out = String::with_capacity(BACKUP_LEN);
    for c in code.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        };
        if !BACKUP_ALPHABET.contains(&u8::try_from(c).ok()?) {
            return None;
        }
        out.push(c);
        if out.len() > BACKUP_LEN {
            return None;
        }
    }
    (out.len() == BACKUP_LEN).then_some(out)
}

/// What `backup_codes.code_hash` stores: the hex SHA-256 of the user id and the canonical
/// code, so equal codes of two users differ and a table dump holds no code.
pub(super) fn backup_code_hash(user_id: Uuid, canonical: &str) -> String {
    hash_token(&format!("backup code\0{user_id}\0{canonical}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA1, truncated to 6 digits.
    #[test]
    fn totp_codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, step_at(time)).unwrap(), code, "t={time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_not_two() {
        let secret = new_secret();
        let now: u64 = 1_000_000;
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let step = now.checked_add_signed(offset).unwrap();
            let code = code_at(&secret, step).unwrap();
            assert_eq!(
                matching_step(&secret, &code, now).is_some(),
                accepted,
                "offset {offset}"
            );
        }
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "12345a", now), None);
    }

    #[test]
    fn backup_codes_carry_60_bits_and_read_back_forgivingly() {
        let code = new_backup_code();
        assert_eq!(code.len(), 14);
        let canonical = canonical_backup_code(&code).unwrap();
        assert_eq!(canonical.len(), 12);
        assert_eq!(
            canonical_backup_code(&code.to_lowercase().replace('-', " ")).as_deref(),
            Some(canonical.as_str())
        );
        assert_eq!(
            canonical_backup_code("ABCD-EFGH-JKMO").as_deref(),
            Some("ABCDEFGHJKM0")
        );
        assert_eq!(canonical_backup_code("ABCD-EFGH-JKM"), None);
        assert_eq!(canonical_backup_code("ABCD-EFGH-JKMNP"), None);
        assert_eq!(canonical_backup_code("ABCD-EFGH-JKM!"), None);
        let user = Uuid::now_v7();
        assert_ne!(
            backup_code_hash(user, &canonical),
            backup_code_hash(Uuid::now_v7(), &canonical)
        );
        assert_ne!(new_backup_code(), code);
    }

    #[test]
    fn the_otpauth_url_names_the_algorithm_digits_and_period() {
        let url = otpauth_url(b"12345678901234567890", "Acme Inc", "a@b.example");
        assert_eq!(
            url,
            "otpauth://totp/Acme%20Inc:a%40b%2Eexample?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Inc&algorithm=SHA1&digits=6&period=30"
        );
    }
}
