//! The mail of the magic-link plugin.

use crate::mail::Email;

/// The sign-in link.
pub(super) fn sign_in_link(to: String, link: &str, minutes: u64) -> Email {
    Email {
        to,
        subject: "Your sign-in link".into(),
        text: format!(
            "Someone asked to sign in with this email address. If it was you, open this link \
             within {minutes} minutes:\n\n{link}\n\n\
             If it was not you, ignore this email: nobody can sign in without the link.\n"
        ),
    }
}
