//! The emails the programme sends. Each variant names a template pair under
//! `worker/templates/` (`<name>.txt` with a `Subject:` first line, and `<name>.html`); a
//! worker test checks that every variant has both.

use serde::{Deserialize, Serialize};

/// Every kind of email, by template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailTemplate {
    /// A link that proves the registrant owns the address.
    VerifyEmail,
    /// Someone tried to register an address that already has an account.
    AccountExists,
    /// A link to choose a new password.
    PasswordReset,
    /// The password was changed; every session was signed out.
    PasswordChanged,
}

impl EmailTemplate {
    pub const ALL: &'static [EmailTemplate] = &[
        EmailTemplate::VerifyEmail,
        EmailTemplate::AccountExists,
        EmailTemplate::PasswordReset,
        EmailTemplate::PasswordChanged,
    ];

    /// The template's file stem, also stored in `notification.template`.
    pub fn name(self) -> &'static str {
        match self {
            EmailTemplate::VerifyEmail => "verify_email",
            EmailTemplate::AccountExists => "account_exists",
            EmailTemplate::PasswordReset => "password_reset",
            EmailTemplate::PasswordChanged => "password_changed",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in EmailTemplate::ALL {
            assert_eq!(EmailTemplate::from_name(t.name()), Some(*t));
        }
    }
}
