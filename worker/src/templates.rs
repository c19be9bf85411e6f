//! Email templates (`worker/templates/`), compiled into the binary.
//!
//! Each email is a pair: `<name>.txt`, whose first line is `Subject: …`, and `<name>.html`,
//! which extends `layout.html`. HTML is auto-escaped; text is not. A template sees the
//! notification's `params`, its one-time `secret` (if any), `app_url`, `public_url` and
//! `programme`.

use crate::mailer::Rendered;
use domain::emails::EmailTemplate;
use minijinja::{Environment, Value, context};

/// Every template file, by name. A test checks each `EmailTemplate` has its pair here.
const FILES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("footer.txt", include_str!("../templates/footer.txt")),
    (
        "verify_email.txt",
        include_str!("../templates/verify_email.txt"),
    ),
    (
        "verify_email.html",
        include_str!("../templates/verify_email.html"),
    ),
    (
        "account_exists.txt",
        include_str!("../templates/account_exists.txt"),
    ),
    (
        "account_exists.html",
        include_str!("../templates/account_exists.html"),
    ),
    (
        "password_reset.txt",
        include_str!("../templates/password_reset.txt"),
    ),
    (
        "password_reset.html",
        include_str!("../templates/password_reset.html"),
    ),
    (
        "password_changed.txt",
        include_str!("../templates/password_changed.txt"),
    ),
    (
        "password_changed.html",
        include_str!("../templates/password_changed.html"),
    ),
];

/// The programme's name as it appears in every email.
pub const PROGRAMME: &str = "Library Support Staff Certification Program";

/// A template failed to render; the notification can never be sent as it stands.
#[derive(Debug, thiserror::Error)]
#[error("template {template}: {message}")]
pub struct RenderError {
    pub template: String,
    pub message: String,
}

/// The compiled templates and the links they need.
pub struct Templates {
    env: Environment<'static>,
    app_url: String,
    public_url: String,
}

impl Templates {
    pub fn new(app_url: &str, public_url: &str) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_formatter(escape_html_but_not_slashes);
        env.add_filter("date", format_date);
        env.add_filter("datetime", format_datetime);
        for (name, source) in FILES {
            env.add_template(name, source).map_err(|e| RenderError {
                template: (*name).to_owned(),
                message: e.to_string(),
            })?;
        }
        Ok(Self {
            env,
            app_url: app_url.to_owned(),
            public_url: public_url.to_owned(),
        })
    }

    /// Renders `template` with the notification's params and secret.
    pub fn render(
        &self,
        template: &str,
        params: &serde_json::Value,
        secret: Option<&str>,
    ) -> Result<Rendered, RenderError> {
        let fail = |message: String| RenderError {
            template: template.to_owned(),
            message,
        };
        if EmailTemplate::from_name(template).is_none() {
            return Err(fail("no such template".to_owned()));
        }
        let ctx = context! {
            params => Value::from_serialize(params),
            secret => secret,
            app_url => &self.app_url,
            public_url => &self.public_url,
            programme => PROGRAMME,
        };
        let text = self
            .env
            .get_template(&format!("{template}.txt"))
            .and_then(|t| t.render(&ctx))
            .map_err(|e| fail(format!("{e:#}")))?;
        let html = self
            .env
            .get_template(&format!("{template}.html"))
            .and_then(|t| t.render(&ctx))
            .map_err(|e| fail(format!("{e:#}")))?;
        let (first, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        let subject = first
            .strip_prefix("Subject:")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| fail("the .txt template must start with a `Subject:` line".into()))?;
        Ok(Rendered {
            subject: subject.to_owned(),
            text: body.trim_start_matches('\n').to_owned(),
            html,
        })
    }
}

/// minijinja's HTML escaping also escapes `/`, which turns every link into `http:&#x2f;&#x2f;…`
/// and trips some mail clients' link detection; escaping the five characters that matter
/// in HTML text and attributes is enough.
fn escape_html_but_not_slashes(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if matches!(state.auto_escape(), minijinja::AutoEscape::None) || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    out.write_str(&escaped).map_err(minijinja::Error::from)
}

/// `2026-12-01` or an RFC 3339 instant → `1 December 2026`.
fn format_date(value: String) -> String {
    parse_day(&value)
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or(value)
}

/// An RFC 3339 instant → `1 December 2026 at 14:05 UTC`.
fn format_datetime(value: String) -> String {
    chrono::DateTime::parse_from_rfc3339(&value)
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .format("%-d %B %Y at %H:%M UTC")
                .to_string()
        })
        .unwrap_or(value)
}

fn parse_day(value: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(value)
                .ok()
                .map(|d| d.with_timezone(&chrono::Utc).date_naive())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn templates() -> Templates {
        Templates::new("https://app.example.org", "https://api.example.org").unwrap()
    }

    #[test]
    fn every_email_kind_has_a_text_and_an_html_template() {
        for t in EmailTemplate::ALL {
            for ext in ["txt", "html"] {
                let file = format!("{}.{ext}", t.name());
                assert!(FILES.iter().any(|(n, _)| *n == file), "missing {file}");
            }
        }
    }

    #[test]
    fn the_verification_email_carries_its_link_in_both_parts() {
        let r = templates()
            .render(
                "verify_email",
                &json!({ "name": "Ada <Lovelace>", "expires_at": "2026-12-01T00:00:00Z" }),
                Some("tok123"),
            )
            .unwrap();
        assert_eq!(r.subject, "Verify your email address");
        assert!(
            r.text
                .contains("https://app.example.org/verify-email?token=tok123")
        );
        assert!(
            r.html
                .contains("https://app.example.org/verify-email?token=tok123")
        );
        assert!(r.text.contains("Ada <Lovelace>"), "text is not escaped");
        assert!(r.html.contains("Ada &lt;Lovelace&gt;"), "html is escaped");
        assert!(
            r.text.contains("1 December 2026 at 00:00 UTC"),
            "{}",
            r.text
        );
    }

    #[test]
    fn a_missing_parameter_is_an_error_not_a_blank() {
        let err = templates()
            .render("verify_email", &json!({}), Some("t"))
            .unwrap_err();
        assert_eq!(err.template, "verify_email");
    }

    #[test]
    fn an_unknown_template_is_refused() {
        assert!(templates().render("nope", &json!({}), None).is_err());
    }
}
