//! Input rules shared by every plugin: one canonical email form, one display-name rule.

use unicode_normalization::UnicodeNormalization as _;

use yauth_entity::{ExtraColumn, ExtraType};

use crate::contract::error::ApiError;

/// The longest email accepted, after canonicalisation (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// The longest local part, in bytes (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL: usize = 64;

/// The longest display name accepted, in characters (the column holds 255).
pub const MAX_DISPLAY_NAME: usize = 100;

fn invalid_email() -> ApiError {
    ApiError::bad_request("invalid_email", "not a valid email address")
}

/// The canonical form of an email, so that equivalent spellings are one account: a strict
/// addr-spec (a dot-atom local part: no quotes, angle brackets, comments, spaces, or
/// control or format characters), NFC, the domain in IDNA ASCII form, all lower case.
/// 400 `invalid_email` otherwise.
pub fn normalize_email(email: &str) -> Result<String, ApiError> {
    // A 10,000-character input is refused before any Unicode work.
    if email.len() > 4 * MAX_EMAIL {
        return Err(invalid_email());
    }
    let email: String = email.trim().nfc().collect();
    let (local, domain) = email.split_once('@').ok_or_else(invalid_email)?;
    let local = local.to_lowercase();
    if local.is_empty()
        || local.len() > MAX_LOCAL
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || !local.chars().all(is_atext_or_dot)
    {
        return Err(invalid_email());
    }
    if domain.is_empty() || domain.chars().any(|c| forbidden_anywhere(c) || c == '@') {
        return Err(invalid_email());
    }
    let domain = idna::domain_to_ascii(domain).map_err(|_| invalid_email())?;
    let labels: Vec<&str> = domain.split('.').collect();
    let valid_domain = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid_domain {
        return Err(invalid_email());
    }
    let canonical = format!("{local}@{}", domain.to_ascii_lowercase());
    if canonical.len() > MAX_EMAIL {
        return Err(invalid_email());
    }
    Ok(canonical)
}

/// RFC 5322 `atext` (plus the dots of a dot-atom), and RFC 6531's non-ASCII characters
/// other than control, format and separator characters.
fn is_atext_or_dot(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
    } else {
        !forbidden_anywhere(c)
    }
}

/// Characters no email or display name may hold: control characters, format characters
/// (bidi overrides, zero-width joiners and spaces, …) and white space other than the space
/// itself in names.
fn forbidden_anywhere(c: char) -> bool {
    c.is_control() || is_format(c) || c.is_whitespace()
}

/// Unicode's general category Cf (format characters), which render invisibly or reorder
/// text: bidi overrides and isolates, zero-width space and joiners, the soft hyphen, tags.
pub fn is_format(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// A display name as stored: trimmed, `None` when blank; 400 `invalid_display_name` when it
/// is too long or holds control, format or line-breaking characters.
pub fn display_name(name: Option<&str>) -> Result<Option<String>, ApiError> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let bad = |c: char| c.is_control() || is_format(c) || (c.is_whitespace() && c != ' ');
    if name.is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME || n.chars().any(bad)) {
        return Err(ApiError::bad_request(
            "invalid_display_name",
            format!(
                "a display name has at most {MAX_DISPLAY_NAME} characters and no control, format or line-break characters"
            ),
        ));
    }
    Ok(name.map(str::to_string))
}

/// The longest value of a `text` extra column, in bytes (MySQL's `TEXT`).
pub const MAX_EXTRA_TEXT: usize = 65_535;

/// The values a user sent for the application's extra columns (`extra` of `POST /register`
/// and `PATCH /me`), checked against `columns`: each key names a column the user may set,
/// each value has its type (`null` only where the column is nullable; a `string` column at
/// most 255 characters, a `text` one at most [`MAX_EXTRA_TEXT`] bytes, neither with a NUL;
/// an `int` in 32 bits). 400 `invalid_extra` otherwise, naming the field. With no extra
/// columns at all, `extra` itself is refused, as any unknown field.
pub fn extra(
    columns: &[ExtraColumn],
    given: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    use serde_json::Value;
    let Some(given) = given else {
        return Ok(serde_json::Map::new());
    };
    let bad = |message: String| Err(ApiError::bad_request("invalid_extra", message));
    if columns.is_empty() {
        return bad("`extra`: this application has no extra fields".into());
    }
    for (name, value) in given {
        let Some(column) = columns.iter().find(|c| c.name == name && c.settable) else {
            // The key is named back only when it is a plausible field name.
            let named =
                name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            return bad(if named {
                format!("`extra.{name}` is not a field you may set")
            } else {
                "`extra` names a field you may not set".into()
            });
        };
        let fits = match (value, column.ty) {
            (Value::Null, _) => column.nullable,
            (Value::String(v), ExtraType::String) => v.chars().count() <= 255 && !v.contains('\0'),
            (Value::String(v), ExtraType::Text) => v.len() <= MAX_EXTRA_TEXT && !v.contains('\0'),
            (Value::Bool(_), ExtraType::Bool) => true,
            (Value::Number(n), ExtraType::Int) => {
                n.as_i64().is_some_and(|i| i32::try_from(i).is_ok())
            }
            (Value::Number(n), ExtraType::BigInt) => n.as_i64().is_some(),
            _ => false,
        };
        if !fits {
            let expected = match column.ty {
                ExtraType::String => "a string of at most 255 characters without NUL",
                ExtraType::Text => "a string of at most 65535 bytes without NUL",
                ExtraType::Bool => "true or false",
                ExtraType::Int => "a 32-bit integer",
                ExtraType::BigInt => "a 64-bit integer",
            };
            let null = if column.nullable { ", or null" } else { "" };
            return bad(format!("`extra.{name}` must be {expected}{null}"));
        }
    }
    Ok(given.clone())
}

/// The extra fields of a user who set none: each column's default, or `null`.
pub fn extra_defaults(columns: &[ExtraColumn]) -> serde_json::Map<String, serde_json::Value> {
    columns
        .iter()
        .map(|c| {
            let value = c.default.map_or(serde_json::Value::Null, |d| d.to_json());
            (c.name.to_string(), value)
        })
        .collect()
}

/// RFC 6749 §3.3: a scope is `1*( %x21 / %x23-5B / %x5D-7E )` (printable ASCII without
/// space, `"` and `\`).
pub fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// The scopes asked for, each one in `allowed` (else 400 `invalid_scope`), duplicates
/// dropped, in the order asked. The same rule for bearer tokens and API keys.
pub fn requested_scopes<'a>(
    requested: impl IntoIterator<Item = &'a str>,
    allowed: &[String],
) -> Result<Vec<String>, ApiError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested {
        if !allowed.iter().any(|a| a == scope) {
            return Err(ApiError::bad_request(
                "invalid_scope",
                "a requested scope is not granted here",
            ));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    Ok(scopes)
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
            ".a@example.com",
            "a..b@example.com",
            "a@-example.com",
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

    #[test]
    fn quoted_bracketed_and_invisible_spellings_of_an_address_are_refused() {
        for spoof in [
            "<victim@example.com>",
            "\"victim\"@example.com",
            "victim\u{200B}@example.com",
            "vic\u{202E}tim@example.com",
            "victim@exa\u{200D}mple.com",
            "victim(comment)@example.com",
            "victim\u{0}@example.com",
        ] {
            assert_eq!(
                normalize_email(spoof).unwrap_err().error,
                "invalid_email",
                "{spoof:?}"
            );
        }
    }

    #[test]
    fn scopes_are_scope_tokens_from_the_allowed_list_without_duplicates() {
        let allowed = vec!["read".to_string(), "write".to_string()];
        assert_eq!(
            requested_scopes(["write", "read", "write"], &allowed).unwrap(),
            vec!["write", "read"]
        );
        assert_eq!(
            requested_scopes(["read", "admin"], &allowed)
                .unwrap_err()
                .error,
            "invalid_scope"
        );
        assert!(is_scope_token("files:read"));
        for bad in ["", "a b", "quote\"", "back\\slash", "é", "del\u{7f}"] {
            assert!(!is_scope_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn equivalent_spellings_are_one_canonical_address() {
        // NFC: a composed and a decomposed é.
        assert_eq!(
            normalize_email("jos\u{e9}@example.com").unwrap(),
            normalize_email("jose\u{301}@example.com").unwrap()
        );
        // A Unicode domain and its punycode (IDNA ASCII) form.
        assert_eq!(
            normalize_email("anna@b\u{fc}cher.example").unwrap(),
            "anna@xn--bcher-kva.example"
        );
        assert_eq!(
            normalize_email("Anna@XN--BCHER-KVA.example").unwrap(),
            "anna@xn--bcher-kva.example"
        );
    }

    #[test]
    fn display_names_refuse_control_format_and_line_break_characters() {
        assert_eq!(
            display_name(Some("  Ada Lovelace ")).unwrap().as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(display_name(Some("   ")).unwrap(), None);
        for bad in [
            "a\u{0}b",
            "a\u{202E}b",
            "a\u{200B}b",
            "a\nb",
            "a\u{2028}b",
            "a\u{1b}[31mb",
        ] {
            assert_eq!(
                display_name(Some(bad)).unwrap_err().error,
                "invalid_display_name",
                "{bad:?}"
            );
        }
        assert!(display_name(Some(&"x".repeat(MAX_DISPLAY_NAME + 1))).is_err());
    }
}
