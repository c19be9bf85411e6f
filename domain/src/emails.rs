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
    /// An invitation to act for a provider, with the link that accepts it.
    ProviderInvitation,
    /// A provider's course submission was received; the fee is due.
    CourseSubmitted,
    /// The CRC approved, rejected or asked for changes to a course submission.
    CourseDecision,
    /// A course approval ends soon; seek re-approval.
    CourseExpiryReminder,
    /// A course approval ended without re-approval; the course left the public list.
    CourseExpired,
    /// A payment was recorded.
    PaymentReceipt,
    /// An application was submitted: its eligibility outcome and what comes next.
    ApplicationSubmitted,
    /// Staff decided on education from outside the US.
    EducationDecided,
    /// Eligible and paid: the candidacy has started.
    CandidacyAccepted,
    /// Staff extended a candidacy's deadline.
    DeadlineExtended,
    /// The candidacy's deadline is approaching.
    DeadlineReminder,
    /// The deadline passed without certification.
    CandidacyLapsed,
    /// The Candidate Achievement Record subscription ends soon.
    CarSubscriptionReminder,
    /// Course-completion evidence was not accepted.
    CompletionRejected,
    /// A competency set was achieved.
    AchievementRecorded,
    /// The candidate is certified.
    Certified,
    /// With the holder's consent: an award notice to their employer or state library.
    AwardNotice,
    /// Staff: the programme's first or hundredth (and so on) certificate.
    CertificateMilestone,
    /// A candidate shared their record: the grantee's link.
    ShareGrantCreated,
    /// Evaluator: a portfolio round to review (the candidate's pseudonym only).
    ReviewAssigned,
    /// Staff: a round cannot be staffed, and which constraint fails.
    RoundUnstaffed,
    /// Evaluator: a review is due soon, or today.
    ReviewReminder,
    /// Evaluator: an overdue or replaced review was given to someone else.
    ReviewReassigned,
    /// Candidate: the evaluators found the portfolio not yet met, with their feedback.
    RevisionRequested,
    /// Candidate: the CRC decided an appeal.
    AppealDecided,
    /// Holder: staff approved or returned a renewal.
    RenewalDecided,
    /// Holder: the certificate expires soon; renew it.
    CertificateReminder,
    /// Holder: the certificate expired without renewal.
    CertificateExpired,
    /// Holder: a staff-sent bulk renewal notice.
    RenewalNotice,
}

impl EmailTemplate {
    pub const ALL: &'static [EmailTemplate] = &[
        EmailTemplate::VerifyEmail,
        EmailTemplate::AccountExists,
        EmailTemplate::PasswordReset,
        EmailTemplate::PasswordChanged,
        EmailTemplate::ProviderInvitation,
        EmailTemplate::CourseSubmitted,
        EmailTemplate::CourseDecision,
        EmailTemplate::CourseExpiryReminder,
        EmailTemplate::CourseExpired,
        EmailTemplate::PaymentReceipt,
        EmailTemplate::ApplicationSubmitted,
        EmailTemplate::EducationDecided,
        EmailTemplate::CandidacyAccepted,
        EmailTemplate::DeadlineExtended,
        EmailTemplate::DeadlineReminder,
        EmailTemplate::CandidacyLapsed,
        EmailTemplate::CarSubscriptionReminder,
        EmailTemplate::CompletionRejected,
        EmailTemplate::AchievementRecorded,
        EmailTemplate::Certified,
        EmailTemplate::AwardNotice,
        EmailTemplate::CertificateMilestone,
        EmailTemplate::ShareGrantCreated,
        EmailTemplate::ReviewAssigned,
        EmailTemplate::RoundUnstaffed,
        EmailTemplate::ReviewReminder,
        EmailTemplate::ReviewReassigned,
        EmailTemplate::RevisionRequested,
        EmailTemplate::AppealDecided,
        EmailTemplate::RenewalDecided,
        EmailTemplate::CertificateReminder,
        EmailTemplate::CertificateExpired,
        EmailTemplate::RenewalNotice,
    ];

    /// The template's file stem, also stored in `notification.template`.
    pub fn name(self) -> &'static str {
        match self {
            EmailTemplate::VerifyEmail => "verify_email",
            EmailTemplate::AccountExists => "account_exists",
            EmailTemplate::PasswordReset => "password_reset",
            EmailTemplate::PasswordChanged => "password_changed",
            EmailTemplate::ProviderInvitation => "provider_invitation",
            EmailTemplate::CourseSubmitted => "course_submitted",
            EmailTemplate::CourseDecision => "course_decision",
            EmailTemplate::CourseExpiryReminder => "course_expiry_reminder",
            EmailTemplate::CourseExpired => "course_expired",
            EmailTemplate::PaymentReceipt => "payment_receipt",
            EmailTemplate::ApplicationSubmitted => "application_submitted",
            EmailTemplate::EducationDecided => "education_decided",
            EmailTemplate::CandidacyAccepted => "candidacy_accepted",
            EmailTemplate::DeadlineExtended => "deadline_extended",
            EmailTemplate::DeadlineReminder => "deadline_reminder",
            EmailTemplate::CandidacyLapsed => "candidacy_lapsed",
            EmailTemplate::CarSubscriptionReminder => "car_subscription_reminder",
            EmailTemplate::CompletionRejected => "completion_rejected",
            EmailTemplate::AchievementRecorded => "achievement_recorded",
            EmailTemplate::Certified => "certified",
            EmailTemplate::AwardNotice => "award_notice",
            EmailTemplate::CertificateMilestone => "certificate_milestone",
            EmailTemplate::ShareGrantCreated => "share_grant_created",
            EmailTemplate::ReviewAssigned => "review_assigned",
            EmailTemplate::RoundUnstaffed => "round_unstaffed",
            EmailTemplate::ReviewReminder => "review_reminder",
            EmailTemplate::ReviewReassigned => "review_reassigned",
            EmailTemplate::RevisionRequested => "revision_requested",
            EmailTemplate::AppealDecided => "appeal_decided",
            EmailTemplate::RenewalDecided => "renewal_decided",
            EmailTemplate::CertificateReminder => "certificate_reminder",
            EmailTemplate::CertificateExpired => "certificate_expired",
            EmailTemplate::RenewalNotice => "renewal_notice",
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
