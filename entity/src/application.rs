//! Applications to the programme: who the applicant is, where they work, how they heard of
//! the programme, and the eligibility decision that turns an accepted application into a
//! candidacy.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an application is on its way to becoming a candidacy.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// Being filled in by the applicant; nothing is decided yet.
    Draft,
    /// Sent in; the eligibility check runs on it.
    Submitted,
    /// Education from outside the US: waiting for staff to decide case by case.
    AwaitingEducationReview,
    /// Meets the work-hours and education rules; becomes accepted once the fee is paid.
    Eligible,
    /// Fails the work-hours or education rule (see `eligibility`).
    Ineligible,
    /// Eligible and paid: the candidacy started on `accepted_at`.
    Accepted,
    /// Withdrawn by the applicant before acceptance.
    Withdrawn,
}

/// How the applicant heard of the programme, for the marketing-sources report.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MarketingSource {
    /// An ALA publication (American Libraries, a division journal, ...).
    AlaPublication,
    /// A state library association.
    StateAssociation,
    /// The applicant's employer.
    Employer,
    /// A colleague.
    Colleague,
    /// A conference or workshop.
    Conference,
    /// The programme's website.
    Website,
    /// Social media.
    SocialMedia,
    /// An email discussion list.
    EmailList,
    /// A course provider.
    CourseProvider,
    /// Anything else; `marketing_source_detail` says what.
    Other,
}

/// Staff's case-by-case decision on education obtained outside the US.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EducationDecision {
    /// The foreign education counts as a high-school diploma or higher.
    Accepted,
    /// It does not; the application is ineligible.
    Refused,
}

/// One application by one account, with the contact details and consents it carries into
/// the candidacy.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "application")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The applicant's account.
    pub account_id: i64,
    pub status: ApplicationStatus,
    pub given_name: String,
    pub family_name: String,
    /// Contact email for the programme; may differ from the account's sign-in email.
    pub email: String,
    pub phone: Option<String>,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub employer_name: Option<String>,
    /// `employer_name` normalised, to detect evaluator conflicts of interest.
    pub employer_key: Option<String>,
    /// Where the award notice goes, with the holder's consent.
    pub employer_address: Option<String>,
    /// The state library that gets an award notice, with the holder's consent.
    pub state_library_name: Option<String>,
    pub state_library_address: Option<String>,
    /// ALA members pay the reduced fee.
    pub ala_member: bool,
    pub ala_member_number: Option<String>,
    pub marketing_source: Option<MarketingSource>,
    /// Free text completing `marketing_source` (which conference, which colleague, ...).
    pub marketing_source_detail: Option<String>,
    /// Consent to list the holder's name publicly once certified.
    pub consent_publish_name: bool,
    /// Consent to send an award notice to the employer and the state library.
    pub consent_award_notice: bool,
    /// The explained eligibility result: hours counted per work entry, education found.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub eligibility: Option<Json>,
    pub eligibility_decided_at: Option<DateTimeUtc>,
    /// Set only for education from outside the US, which is never decided automatically.
    pub education_decision: Option<EducationDecision>,
    /// The recorded reason the rules require for a foreign-education decision.
    pub education_decision_reason: Option<String>,
    /// The staff member who decided on foreign education.
    pub education_decided_by: Option<i64>,
    pub education_decided_at: Option<DateTimeUtc>,
    /// The fee due in cents, fixed at submission (member or non-member rate).
    pub fee_cents: Option<i64>,
    pub submitted_at: Option<DateTimeUtc>,
    pub withdrawn_at: Option<DateTimeUtc>,
    /// When it became eligible and paid; the candidacy starts that day.
    pub accepted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: HasOne<super::account::Entity>,
    #[sea_orm(has_many)]
    pub work_history: HasMany<super::work_history_entry::Entity>,
    #[sea_orm(has_many)]
    pub education: HasMany<super::education_entry::Entity>,
    #[sea_orm(has_one)]
    pub candidacy: HasOne<super::candidacy::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
