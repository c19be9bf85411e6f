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

/// A character that breaks, ends or bends a line, or steers a terminal: the C0 controls
/// (tab, line feed and carriage return among them), DEL, the C1 controls, and the Unicode
/// line and paragraph separators.
pub fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Refuses `value` if it holds a control character (see [`is_control`]). Names and titles
/// end up in email headers, where a line break starts a new header.
pub fn no_control(field: &str, label: &str, value: &str) -> Result<(), Violation> {
    if value.chars().any(is_control) {
        return Err(Violation::new(
            "CONTROL_CHARACTERS",
            format!(
                "{label} must be one line of text, without line breaks, tabs or control characters."
            ),
        )
        .on(field));
    }
    Ok(())
}

/// A required one-line text field (a name, a title, an address line): as [`required`],
/// and free of control characters.
pub fn single_line(field: &str, label: &str, value: &str, max: usize) -> Result<String, Violation> {
    no_control(field, label, value)?;
    required(field, label, value, max)
}

/// An optional one-line text field: as [`optional`], and free of control characters.
pub fn single_line_optional(
    field: &str,
    label: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, Violation> {
    if let Some(v) = value {
        no_control(field, label, v)?;
    }
    optional(field, label, value, max)
}

/// Stored text made fit for one line (an email header, a CSV cell meant as a name): each
/// run of control characters and whitespace becomes one space, and the ends are trimmed.
/// For text written before [`single_line`] was enforced, or by a path that skipped it.
pub fn flatten(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut gap = false;
    for c in value.chars() {
        if is_control(c) || c.is_whitespace() {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push(' ');
                gap = false;
            }
            out.push(c);
        }
    }
    out
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
    fn one_line_text_refuses_every_kind_of_control_character() {
        for bad in [
            "Ada\nLovelace",
            "Ada\r\nBcc: x@evil.example",
            "Ada\rLovelace",
            "Ada\tLovelace",
            "Ada\u{0}",
            "Ada\u{1b}[31m",
            "Ada\u{7f}",
            "Ada\u{85}",
            "Ada\u{9b}",
            "Ada\u{2028}Lovelace",
            "Ada\u{2029}Lovelace",
        ] {
            let err = single_line("givenName", "Your given name", bad, 200).unwrap_err();
            assert_eq!(err.code, "CONTROL_CHARACTERS", "{bad:?}");
            assert_eq!(err.field.as_deref(), Some("givenName"));
            assert_eq!(
                single_line_optional("x", "X", Some(bad), 200)
                    .unwrap_err()
                    .code,
                "CONTROL_CHARACTERS"
            );
        }
    }

    #[test]
    fn one_line_text_keeps_letters_of_every_script() {
        for good in [
            "Ada Lovelace",
            "Seán Ó Rudaí",
            "Иван",
            "李小龙",
            "O'Brien-Smith",
            "🦆",
        ] {
            assert_eq!(single_line("n", "N", good, 200).unwrap(), good);
        }
        assert_eq!(single_line("n", "N", "  Ada  ", 200).unwrap(), "Ada");
        assert_eq!(
            single_line("n", "N", " ", 200).unwrap_err().code,
            "REQUIRED"
        );
        assert_eq!(
            single_line_optional("n", "N", Some(" "), 200).unwrap(),
            None
        );
        assert_eq!(single_line_optional("n", "N", None, 200).unwrap(), None);
    }

    #[test]
    fn flattened_text_is_one_line_with_its_words() {
        assert_eq!(
            flatten("Ada\r\nBcc: x@evil.example"),
            "Ada Bcc: x@evil.example"
        );
        assert_eq!(flatten("\t Ada\u{2028}\u{0}Lovelace \n"), "Ada Lovelace");
        assert_eq!(flatten("\u{1b}"), "");
        assert_eq!(flatten("Seán Ó Rudaí"), "Seán Ó Rudaí");
        for s in ["a\u{85}b", "a\u{7f}b", "x\u{2029}y"] {
            assert!(!flatten(s).chars().any(is_control), "{s:?}");
        }
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
