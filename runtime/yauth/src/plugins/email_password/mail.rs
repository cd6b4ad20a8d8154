//! The mails of the email-password plugin.

use crate::mail::Email;

/// The first verification link, right after registering.
pub(super) fn welcome(to: String, link: &str) -> Email {
    Email {
        to,
        subject: "Verify your email".into(),
        text: format!(
            "Someone created an account with this email address. If it was you, confirm the address:\n\n{link}\n\n\
             If it was not you, ignore this email: do not open the link, and the account stays unconfirmed.\n"
        ),
    }
}

/// A new verification link (`/resend-verification`).
pub(super) fn verify_again(to: String, link: &str) -> Email {
    Email {
        to,
        subject: "Verify your email".into(),
        text: format!(
            "Confirm the email address of your account:\n\n{link}\n\n\
             If you did not create an account or sign in, ignore this email: do not open the link.\n"
        ),
    }
}

/// To the owner of an email that someone tried to register again.
pub(super) fn duplicate_notice(to: String) -> Email {
    Email {
        to,
        subject: "Someone tried to register with your email".into(),
        text: "Someone tried to create an account with this email address, which already has one. \
               If it was you, sign in or reset your password. Otherwise you can ignore this email.\n"
            .into(),
    }
}

/// A reset link (`/forgot-password`).
pub(super) fn reset(to: String, link: &str) -> Email {
    Email {
        to,
        subject: "Reset your password".into(),
        text: format!(
            "Someone asked to reset the password of this account. If it was you, choose a new one:\n\n{link}\n\nOtherwise ignore this email.\n"
        ),
    }
}

/// To the owner after a password change or reset.
pub(super) fn password_changed(to: String) -> Email {
    Email {
        to,
        subject: "Your password was changed".into(),
        text:
            "The password of your account was just changed. If it was you, there is nothing to do. \
               If it was not, reset your password now and review your account.\n"
                .into(),
    }
}
