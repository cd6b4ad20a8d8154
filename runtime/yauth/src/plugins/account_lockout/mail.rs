//! The mail of the account-lockout plugin.

use crate::mail::Email;

/// The unlock link.
pub(super) fn unlock_link(to: String, link: &str, minutes: u64) -> Email {
    Email {
        to,
        subject: "Unlock your account".into(),
        text: format!(
            "Signing in with a password to the account of this email address is locked after \
             too many failed attempts. If you asked for this link, open it within {minutes} \
             minutes to unlock it:\n\n{link}\n\n\
             If you did not ask for it, someone may be guessing your password: consider \
             changing it. The lock also lifts by itself after a while.\n"
        ),
    }
}
