//! What a new password must be.

use crate::error::Violation;

/// Long passwords cost argon2 time and memory; beyond this they add nothing.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks a new password against the policy: long enough, not absurdly long, not blank.
/// Length is counted in characters, so a passphrase in any script counts fairly.
pub fn check_new_password(password: &str, min_chars: usize) -> Result<(), Violation> {
    let chars = password.chars().count();
    if chars < min_chars {
        return Err(Violation::new(
            "PASSWORD_TOO_SHORT",
            format!("Use at least {min_chars} characters; this password has {chars}."),
        )
        .on("password"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(Violation::new(
            "PASSWORD_TOO_LONG",
            format!("Use at most {MAX_PASSWORD_CHARS} characters."),
        )
        .on("password"));
    }
    if password.trim().is_empty() {
        return Err(
            Violation::new("PASSWORD_BLANK", "A password cannot be only spaces.").on("password"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_characters_is_enough_and_eleven_is_not() {
        assert!(check_new_password("abcdefghijkl", 12).is_ok());
        let v = check_new_password("abcdefghijk", 12).unwrap_err();
        assert_eq!(v.code, "PASSWORD_TOO_SHORT");
        assert!(v.message.contains("12"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(check_new_password("ééééééééééé", 12).is_err());
        assert!(check_new_password("éééééééééééé", 12).is_ok());
    }

    #[test]
    fn blank_and_huge_passwords_are_refused() {
        assert_eq!(
            check_new_password(&" ".repeat(20), 12).unwrap_err().code,
            "PASSWORD_BLANK"
        );
        assert_eq!(
            check_new_password(&"x".repeat(300), 12).unwrap_err().code,
            "PASSWORD_TOO_LONG"
        );
    }
}
