//! Input rules shared by every plugin: one email form, one display-name rule.

use crate::contract::error::ApiError;

/// The longest email accepted (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// The longest display name accepted, in characters (the column holds 255).
pub const MAX_DISPLAY_NAME: usize = 100;

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

/// A display name as stored: trimmed, `None` when blank; 400 `invalid_display_name` when it
/// is too long or holds control characters.
pub fn display_name(name: Option<&str>) -> Result<Option<String>, ApiError> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME || n.chars().any(char::is_control))
    {
        return Err(ApiError::bad_request(
            "invalid_display_name",
            format!(
                "a display name has at most {MAX_DISPLAY_NAME} characters and no control characters"
            ),
        ));
    }
    Ok(name.map(str::to_string))
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
