//! The programme's configurable rules (`config/programme.toml`).
//!
//! The defaults are compiled in from that file, so the file is the one place a reader
//! finds them. `LSSCP_PROGRAMME_CONFIG` names a TOML file whose keys are laid over the
//! defaults, so a deployment states only what it changes.

use serde::{Deserialize, Serialize};
use std::path::Path;

const DEFAULTS: &str = include_str!("../../config/programme.toml");

/// Everything about the programme that may change without a code change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeConfig {
    pub accounts: AccountRules,
    pub eligibility: EligibilityRules,
    pub fees: FeeSchedule,
    pub candidacy: CandidacyRules,
    pub courses: CourseRules,
    pub reviews: ReviewRules,
    pub certificates: CertificateRules,
    pub renewal: RenewalRules,
    pub email: EmailRules,
    pub bulk_notices: BulkNoticeRules,
    pub documents: DocumentRules,
    pub reports: ReportRules,
}

/// Sign-in and password policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRules {
    pub password_min_length: usize,
    pub session_ttl_hours: i64,
    pub verification_ttl_hours: i64,
    pub password_reset_ttl_minutes: i64,
    pub provider_invitation_ttl_hours: i64,
    pub max_failed_logins_per_hour: u64,
    pub max_token_emails_per_hour: u64,
}

/// Who may become a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityRules {
    pub min_work_hours: i64,
    pub work_window_years: u32,
}

/// Every fee the programme charges, in cents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeSchedule {
    pub candidate_cents: i64,
    pub candidate_ala_member_cents: i64,
    pub course_first_two_cents: i64,
    pub course_third_to_tenth_cents: i64,
    pub course_beyond_tenth_cents: i64,
    pub course_reapproval_cents: i64,
    pub renewal_cents: i64,
}

/// The candidacy's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidacyRules {
    pub years_to_complete: u32,
    pub electives_required: u32,
    pub car_subscription_years: u32,
    pub deadline_reminder_months: Vec<u32>,
    pub car_reminder_days: Vec<u32>,
}

/// Course approval lifetime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseRules {
    pub approval_years: u32,
    pub expiry_reminder_days: Vec<u32>,
}

/// Portfolio review timing and appeals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRules {
    pub evaluators_per_round: u32,
    pub due_days: u32,
    pub reminder_days_before_due: Vec<u32>,
    pub overdue_grace_days: u32,
    pub appeal_window_days: u32,
    #[serde(default)]
    pub randomised_max_probability: Option<f64>,
}

/// Certificate lifetime and milestones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateRules {
    pub validity_years: u32,
    pub expiry_reminder_days: Vec<u32>,
    pub milestone_every: i64,
}

/// What a renewal application must show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalRules {
    pub min_contact_hours: i32,
    pub min_technology_hours: i32,
}

/// Email delivery retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRules {
    pub max_attempts: i32,
    pub retry_base_seconds: i64,
    pub retry_max_seconds: i64,
}

/// Staff-triggered bulk notices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkNoticeRules {
    /// How long a request's idempotency key keeps returning the batch it made; after that
    /// the key starts a new batch.
    pub idempotency_key_hours: i64,
}

/// What may be uploaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRules {
    pub max_bytes: u64,
    pub allowed_types: Vec<String>,
}

/// How reports are served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRules {
    /// How old the statistics page's shared snapshot may be before a reader starts a
    /// refresh; 0 computes them for every reader.
    pub statistics_max_age_seconds: i64,
}

/// Why the programme configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid programme configuration: {0}")]
    Invalid(String),
}

impl ProgrammeConfig {
    /// The compiled-in defaults.
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::from_layers(&[])
    }

    /// The defaults with the TOML file at `path` laid over them.
    pub fn load_overrides(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_layers(&[&text])
    }

    /// The defaults with each TOML text laid over them in turn.
    pub fn from_layers(layers: &[&str]) -> Result<Self, ConfigError> {
        let mut merged = parse(DEFAULTS)?;
        for layer in layers {
            overlay(&mut merged, parse(layer)?);
        }
        let config: Self = merged
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.accounts.password_min_length < 12 {
            return bad("accounts.password_min_length must be at least 12");
        }
        if self.accounts.max_failed_logins_per_hour < 1
            || self.accounts.max_token_emails_per_hour < 1
        {
            return bad(
                "accounts.max_failed_logins_per_hour and max_token_emails_per_hour must be at least 1",
            );
        }
        if self.reviews.evaluators_per_round < 2 {
            return bad("reviews.evaluators_per_round must be at least 2");
        }
        if let Some(p) = self.reviews.randomised_max_probability
            && !(p > 0.0 && p <= 1.0)
        {
            return bad("reviews.randomised_max_probability must be in (0, 1]");
        }
        if self.email.max_attempts < 1 {
            return bad("email.max_attempts must be at least 1");
        }
        // The upper bound keeps `now - hours` within the calendar the clock can name.
        if !(1..=87_600).contains(&self.bulk_notices.idempotency_key_hours) {
            return bad(
                "bulk_notices.idempotency_key_hours must be at least 1 and at most 87600 (ten years)",
            );
        }
        if self.certificates.milestone_every < 1 {
            return bad("certificates.milestone_every must be at least 1");
        }
        if self.reports.statistics_max_age_seconds < 0 {
            return bad("reports.statistics_max_age_seconds must not be negative");
        }
        Ok(())
    }
}

fn parse(text: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Invalid(e.to_string()))
}

/// Lays `top` over `base`, table by table, so an override file names only what it changes.
fn overlay(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => overlay(b, t),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_the_specification_values() {
        let c = ProgrammeConfig::defaults().unwrap();
        assert_eq!(c.eligibility.min_work_hours, 1820);
        assert_eq!(c.eligibility.work_window_years, 5);
        assert_eq!(c.fees.candidate_cents, 35_000);
        assert_eq!(c.fees.candidate_ala_member_cents, 32_500);
        assert_eq!(c.fees.course_first_two_cents, 10_000);
        assert_eq!(c.fees.course_third_to_tenth_cents, 5_000);
        assert_eq!(c.candidacy.years_to_complete, 4);
        assert_eq!(c.candidacy.car_subscription_years, 5);
        assert_eq!(c.courses.approval_years, 3);
        assert_eq!(c.certificates.validity_years, 5);
        assert_eq!(c.reviews.evaluators_per_round, 2);
        assert_eq!(c.reviews.due_days, 30);
        assert_eq!(c.reviews.appeal_window_days, 30);
        assert!(c.accounts.password_min_length >= 12);
    }

    #[test]
    fn an_override_changes_only_the_keys_it_names() {
        let c = ProgrammeConfig::from_layers(&["[certificates]\nvalidity_years = 4\n"]).unwrap();
        assert_eq!(c.certificates.validity_years, 4);
        assert_eq!(c.certificates.milestone_every, 100);
        assert_eq!(c.fees.candidate_cents, 35_000);
    }

    #[test]
    fn unknown_keys_are_refused_so_typos_do_not_pass_silently() {
        let err = ProgrammeConfig::from_layers(&["[fees]\ncandiate_cents = 1\n"]).unwrap_err();
        assert!(err.to_string().contains("candiate_cents"), "{err}");
    }

    #[test]
    fn a_bulk_notice_key_is_kept_a_day_unless_configured_and_never_less_than_an_hour() {
        let c = ProgrammeConfig::defaults().unwrap();
        assert_eq!(c.bulk_notices.idempotency_key_hours, 24);
        let c = ProgrammeConfig::from_layers(&["[bulk_notices]\nidempotency_key_hours = 48\n"])
            .unwrap();
        assert_eq!(c.bulk_notices.idempotency_key_hours, 48);
        for hours in [0, -1, 87_601, i64::MAX] {
            let layer = format!("[bulk_notices]\nidempotency_key_hours = {hours}\n");
            let err = ProgrammeConfig::from_layers(&[&layer]).unwrap_err();
            assert!(err.to_string().contains("idempotency_key_hours"), "{err}");
        }
    }

    #[test]
    fn a_password_minimum_below_twelve_is_refused() {
        assert!(ProgrammeConfig::from_layers(&["[accounts]\npassword_min_length = 8\n"]).is_err());
    }
}
