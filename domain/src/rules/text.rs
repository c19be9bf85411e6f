//! Checks for free-text input: present, trimmed, not absurdly long.

use crate::error::Violation;

/// A required text field: trimmed, non-empty, at most `max` characters.
pub fn required(field: &str, label: &str, value: &str, max: usize) -> Result<String, Violation> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Violation::new("REQUIRED", format!("{label} is required.")).on(field));
    }
    if v.chars().count() > max {
        return Err(Violation::new(
            "TOO_LONG",
            format!("{label} must be at most {max} characters."),
        )
        .on(field));
    }
    Ok(v.to_owned())
}

/// An optional text field: trimmed; blank becomes `None`.
pub fn optional(
    field: &str,
    label: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, Violation> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => required(field, label, v, max).map(Some),
    }
}

/// A key for comparing organisation names: lower-cased, punctuation dropped, inner
/// whitespace collapsed, so "Springfield Public Library" and "springfield  public
/// library." compare equal.
pub fn normalised_key(value: &str) -> String {
    value
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Joins numbers as people write them: "4", "4 and 7", "4, 7 and 12".
pub fn join_numbers(numbers: &[i32]) -> String {
    match numbers {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} and {last}",
            init.iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Collects violations from several checks, so a form learns every problem at once.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Violation>);

impl Problems {
    /// Keeps the value of a passed check; records a failed one.
    pub fn take<T>(&mut self, result: Result<T, Violation>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(v) => {
                self.0.push(v);
                None
            }
        }
    }

    pub fn push(&mut self, v: Violation) {
        self.0.push(v);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err` with every violation if any was recorded.
    pub fn into_result(self) -> Result<(), crate::DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::DomainError::Invalid(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        assert_eq!(required("name", "Name", "  Ada ", 10).unwrap(), "Ada");
        assert_eq!(
            required("name", "Name", "   ", 10).unwrap_err().code,
            "REQUIRED"
        );
        assert_eq!(
            required("name", "Name", "abcdefghijk", 10)
                .unwrap_err()
                .code,
            "TOO_LONG"
        );
    }

    #[test]
    fn organisation_names_compare_by_their_words() {
        assert_eq!(
            normalised_key("Springfield  Public-Library."),
            normalised_key("springfield public library")
        );
    }

    #[test]
    fn numbers_read_like_a_sentence() {
        assert_eq!(join_numbers(&[4]), "4");
        assert_eq!(join_numbers(&[4, 7]), "4 and 7");
        assert_eq!(join_numbers(&[4, 7, 12]), "4, 7 and 12");
    }
}
