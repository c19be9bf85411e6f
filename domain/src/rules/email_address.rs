//! Email addresses, parsed once at the edge of the domain.

use crate::error::Violation;
use std::fmt;

/// A syntactically plausible email address, trimmed and lower-cased so that one mailbox
/// maps to one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts what a person would type as an address; refuses what could not be one.
    /// Deliverability is proven by the verification email, not here.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let bad = |why: &str| {
            Violation::new(
                "INVALID_EMAIL",
                format!("“{raw}” is not an email address: {why}"),
            )
            .on("email")
        };
        let s = raw.trim().to_lowercase();
        if s.len() > 254 {
            return Err(bad("it is longer than 254 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains spaces"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(bad("it has no @"));
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(bad("the part before the @ is missing or malformed"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        {
            return Err(bad("the domain after the @ is malformed"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        let e = EmailAddress::parse("  Ada.Lovelace@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace@example.org");
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        for raw in [
            "",
            "plainaddress",
            "@example.org",
            "a@b",
            "a b@example.org",
            "a@-example.org",
            "a@example..org",
        ] {
            let v = EmailAddress::parse(raw).unwrap_err();
            assert_eq!(v.code, "INVALID_EMAIL", "{raw}");
            assert_eq!(v.field.as_deref(), Some("email"));
        }
    }
}
