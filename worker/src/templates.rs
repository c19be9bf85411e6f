//! Email templates (`worker/templates/`), compiled into the binary.
//!
//! Each email is a pair: `<name>.txt`, whose first line is `Subject: …`, and `<name>.html`,
//! which extends `layout.html`. HTML is auto-escaped; text is not. A template sees the
//! notification's `params`, its one-time `secret` (if any), `app_url`, `public_url` and
//! `programme`.

use crate::mailer::Rendered;
use domain::emails::EmailTemplate;
use domain::rules::text::flatten;
use minijinja::{Environment, Value, context};

/// Both files of each email template, by name.
macro_rules! email_templates {
    ($($name:literal),* $(,)?) => {
        &[$(
            (concat!($name, ".txt"), include_str!(concat!("../templates/", $name, ".txt"))),
            (concat!($name, ".html"), include_str!(concat!("../templates/", $name, ".html"))),
        )*]
    };
}

/// Every email's templates. A test checks each `EmailTemplate` has its pair here.
const EMAILS: &[(&str, &str)] = email_templates![
    "verify_email",
    "account_exists",
    "password_reset",
    "password_changed",
    "provider_invitation",
    "course_submitted",
    "course_decision",
    "course_expiry_reminder",
    "course_expired",
    "payment_receipt",
    "application_submitted",
    "education_decided",
    "candidacy_accepted",
    "deadline_extended",
    "deadline_reminder",
    "candidacy_lapsed",
    "car_subscription_reminder",
    "completion_rejected",
    "achievement_recorded",
    "certified",
    "award_notice",
    "certificate_milestone",
    "share_grant_created",
    "review_assigned",
    "round_unstaffed",
    "review_reminder",
    "review_reassigned",
    "revision_requested",
    "appeal_decided",
    "renewal_decided",
    "certificate_reminder",
    "certificate_expired",
    "renewal_notice",
];

/// What the email templates include or extend.
const SHARED: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("footer.txt", include_str!("../templates/footer.txt")),
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
        for (name, source) in SHARED.iter().chain(EMAILS) {
            env.add_template(name, source).map_err(|e| RenderError {
                template: (*name).to_owned(),
                message: e.to_string(),
            })?;
        }
        // The subject line is a template of its own: rendered as part of the text, a value
        // holding a line break would end the subject there and spill the rest into the body.
        for (name, source) in EMAILS {
            let Some(stem) = name.strip_suffix(".txt") else {
                continue;
            };
            let (subject, body) = source.split_once('\n').unwrap_or((source, ""));
            for (part, source) in [("subject", subject), ("body", body)] {
                env.add_template_owned(format!("{stem}.{part}"), source)
                    .map_err(|e| RenderError {
                        template: (*name).to_owned(),
                        message: e.to_string(),
                    })?;
            }
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
        let render = |name: String| {
            self.env
                .get_template(&name)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| fail(format!("{e:#}")))
        };
        let first = render(format!("{template}.subject"))?;
        let text = render(format!("{template}.body"))?;
        let html = render(format!("{template}.html"))?;
        let subject = first
            .strip_prefix("Subject:")
            .map(flatten)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| fail("the .txt template must start with a `Subject:` line".into()))?;
        Ok(Rendered {
            subject,
            text: text.trim_start_matches('\n').to_owned(),
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
                assert!(EMAILS.iter().any(|(n, _)| *n == file), "missing {file}");
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
    fn a_line_break_in_a_subject_value_stays_in_one_subject_line() {
        let r = templates()
            .render(
                "course_decision",
                &json!({
                    "name": "Ada", "decision": "approved", "set_name": "Cataloging",
                    "starts_on": "2026-12-01", "expires_on": "2029-12-01",
                    "course_title": "Cataloging\r\nBcc: x@evil.example\r\nSubject: pwned",
                    "reasons": "Meets every competency.\nWell organised.",
                }),
                None,
            )
            .unwrap();
        assert_eq!(
            r.subject,
            "Approved: “Cataloging Bcc: x@evil.example Subject: pwned”"
        );
        assert!(r.text.starts_with("Hello Ada,"), "{}", r.text);
        assert!(
            r.text.contains("Meets every competency.\nWell organised."),
            "the body keeps its lines: {}",
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

#[cfg(test)]
mod every_template {
    use super::*;
    use serde_json::json;

    /// Parameters covering every email, as the services write them.
    fn sample() -> serde_json::Value {
        let common = json!({
            "name": "Ada", "provider_name": "Springfield Library School",
            "course_title": "Cataloging Basics", "set_name": "Cataloging and Classification",
            "expires_at": "2026-12-01T00:00:00Z", "changed_at": "2026-12-01T00:00:00Z",
            "kind": "initial", "revision": 2, "fee": "$100.00", "fee_due": "$100.00",
            "decision": "approved", "reasons": "Meets every competency.",
            "starts_on": "2026-12-01", "expires_on": "2029-12-01", "days_left": 30,
            "expired_on": "2029-12-01", "amount": "$100.00", "what": "the approval fee",
            "method": "bank_transfer", "reference": "INV-1", "paid_on": "2026-12-01",
            "receipt_number": "R-000001", "inviter_name": "Casey Contact",
        });
        let more = json!({
            "outcome": "ineligible", "counted_hours": 1200.5, "required_hours": 1820,
            "window_starts_on": "2021-06-30", "window_ends_on": "2026-06-30",
            "shortfalls": [{"requirement": "work_hours", "required": 1820, "counted": 1200.5, "short_by": 619.5}, {"requirement": "education"}],
            "accepted": true, "reason": "Equivalent to a diploma.", "number": "LSS-000001",
            "deadline_on": "2030-06-30", "started_on": "2026-06-30", "previous_deadline_on": "2030-01-01", "car_expires_on": "2031-06-30",
            "months": 6, "completed_on": "2027-01-01", "method": "course",
            "required_achieved": 3, "required_total": 3, "electives_achieved": 3, "electives_needed": 3,
            "complete": true, "holder_name": "Ada Lovelace", "verification_code": "ABCDEFGH23",
            "issued_on": "2027-01-01", "organisation": "Springfield Library", "to_whom": "employer",
            "sequence": 100, "candidate_name": "Ada Lovelace", "sets": ["Technology"],
            "pseudonym": "Candidate 7KX2QZ", "due_on": "2027-02-01", "third": false,
            "round_id": 12, "round": 1, "feedback": [{"label": "Evaluator 1", "text": "More on 3."}],
            "courses": ["Cataloging Basics"], "appeal_days": 30,
            "approved": true, "reasons": "Well documented.", "message": "Renew before it expires.",
        });
        let (mut common, serde_json::Value::Object(more)) = (common, more) else {
            unreachable!("json! of an object is an object")
        };
        if let Some(obj) = common.as_object_mut() {
            obj.extend(more);
        }
        common
    }

    #[test]
    fn every_template_renders_with_its_parameters() {
        let t = Templates::new("https://app.example.org", "https://api.example.org").unwrap();
        for template in EmailTemplate::ALL {
            let r = t
                .render(template.name(), &sample(), Some("secret"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!r.subject.is_empty() && !r.text.is_empty() && !r.html.is_empty());
            assert!(!r.subject.contains("{{"), "{}", r.subject);
        }
    }
}
