//! The mail of the OAuth client plugin.

use crate::mail::Email;

/// A provider was linked: the owner hears of it, whoever linked it.
pub(super) fn provider_linked(to: String, provider: &str) -> Email {
    Email {
        to,
        subject: format!("{provider} can now sign in to your account"),
        text: format!(
            "A {provider} account was just linked to your account: it can sign in as you. \
             If it was you, there is nothing to do. If it was not, reset your password now: \
             that unlinks every provider and ends every session.\n"
        ),
    }
}
