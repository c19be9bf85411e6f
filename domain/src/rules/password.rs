//! What a new password must be.
//!
//! Long enough, and hard to guess: zxcvbn (Dropbox's estimator, with its bundled lists of
//! common and breached passwords, words, names and keyboard patterns) must expect at
//! least 10^10 guesses (its score 3), counting the person's own email and name as words
//! an attacker would try first.

use crate::error::Violation;
use zxcvbn::Score;

/// Long passwords cost argon2 time and memory; beyond this they add nothing.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// zxcvbn's "safely unguessable": about 10^10 guesses, beyond an online attack and costly
/// offline against argon2id.
const MIN_SCORE: Score = Score::Three;

/// Checks a new password against the policy: long enough, not absurdly long, not blank,
/// and not guessable from common passwords or from `about` (the person's email and name).
/// Length is counted in characters, so a passphrase in any script counts fairly.
pub fn check_new_password(
    password: &str,
    min_chars: usize,
    about: &[&str],
) -> Result<(), Violation> {
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
    check_guessable(password, about)
}

/// Refuses a password that is common or built only from guessable parts.
fn check_guessable(password: &str, about: &[&str]) -> Result<(), Violation> {
    let words = words_about(about);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &words);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    let why = estimate
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| format!("{w} "))
        .unwrap_or_default();
    Err(Violation::new(
        "PASSWORD_TOO_COMMON",
        format!(
            "{why}This password is too easy to guess: common passwords, single words, names, \
             dates, repeats and keyboard patterns are refused (so are “password1234” and \
             “aaaaaaaaaaaa”), and so is your own name or email address. Try a phrase of four \
             or more unrelated words."
        ),
    )
    .on("password"))
}

/// The pieces of an email address and a name an attacker would try first: the whole of
/// each, and each part of them.
fn words_about(about: &[&str]) -> Vec<String> {
    let mut words = vec!["lsscp".to_owned()];
    for text in about {
        let text = text.trim().to_lowercase();
        if text.is_empty() {
            continue;
        }
        words.extend(
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 3)
                .map(str::to_owned),
        );
        if let Some((local, _)) = text.split_once('@') {
            words.push(local.to_owned());
        }
        words.push(text);
    }
    words.sort();
    words.dedup();
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_characters_is_enough_and_eleven_is_not() {
        assert!(check_new_password("tqbf-jotl-zq8", 12, &[]).is_ok());
        let v = check_new_password("abcdefghijk", 12, &[]).unwrap_err();
        assert_eq!(v.code, "PASSWORD_TOO_SHORT");
        assert!(v.message.contains("12"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let v = check_new_password("ñøþ∂éµ¬ß˚πåœ", 12, &[]);
        assert!(v.is_ok(), "{v:?}");
        let v = check_new_password("ñøþ∂éµ¬ß˚πå", 12, &[]).unwrap_err();
        assert_eq!(v.code, "PASSWORD_TOO_SHORT");
    }

    #[test]
    fn blank_and_huge_passwords_are_refused() {
        assert_eq!(
            check_new_password(&" ".repeat(20), 12, &[])
                .unwrap_err()
                .code,
            "PASSWORD_BLANK"
        );
        assert_eq!(
            check_new_password(&"x".repeat(300), 12, &[])
                .unwrap_err()
                .code,
            "PASSWORD_TOO_LONG"
        );
    }

    #[test]
    fn common_and_patterned_passwords_are_refused_with_a_reason() {
        for weak in [
            "password1234",
            "aaaaaaaaaaaa",
            "qwertyuiopas",
            "123456789012",
            "iloveyou2024",
            "Password123!",
            "abcabcabcabc",
            "football1990",
        ] {
            let v = check_new_password(weak, 12, &[]).unwrap_err();
            assert_eq!(v.code, "PASSWORD_TOO_COMMON", "{weak}");
            assert!(v.message.contains("password1234"), "{}", v.message);
        }
    }

    #[test]
    fn the_persons_own_email_and_name_count_as_guessable() {
        let about = ["rosalind.franklin@example.org", "Rosalind Franklin"];
        assert!(check_new_password("rosalind.franklin@example.org", 12, &[]).is_ok());
        for weak in [
            "Rosalind Franklin",
            "rosalind.franklin",
            "rosalind.franklin@example.org",
        ] {
            assert_eq!(
                check_new_password(weak, 12, &about).unwrap_err().code,
                "PASSWORD_TOO_COMMON",
                "{weak}"
            );
        }
    }

    #[test]
    fn unrelated_words_and_random_strings_pass() {
        for strong in [
            "correct horse battery staple",
            "violet kettle grammar orbit",
            "n8#Vq2!xLp0@",
        ] {
            assert!(check_new_password(strong, 12, &[]).is_ok(), "{strong}");
        }
    }
}
