//! Applications: the applicant's draft and submission, the explained eligibility decision,
//! staff review of education from outside the US, and withdrawal.

use super::candidates::Candidacy;
use super::connection::{Page, connection};
use super::loaders::{Loaders, many, one};
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::rules::access::{self, ApplicationView};
use domain::rules::eligibility::{Explanation, Outcome, Shortfall};
use domain::services::applications::{self, ApplicationDetail};
use entity::{application, education_entry, work_history_entry};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::application::ApplicationStatus")]
pub enum ApplicationStatus {
    Draft,
    Submitted,
    /// Enough hours; education from outside the US waits for staff.
    AwaitingEducationReview,
    /// Eligible; waiting for the fee.
    Eligible,
    Ineligible,
    /// Eligible and paid: the candidacy has started.
    Accepted,
    Withdrawn,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::work_history_entry::LibraryType")]
pub enum LibraryType {
    Public,
    Academic,
    School,
    Special,
    Government,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::education_entry::EducationLevel")]
pub enum EducationLevel {
    HighSchoolDiploma,
    /// General Educational Development credential.
    Ged,
    Associate,
    Bachelor,
    Master,
    Doctorate,
    Other,
}

/// How the applicant heard of the programme.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::application::MarketingSource")]
pub enum MarketingSource {
    AlaPublication,
    StateAssociation,
    Employer,
    Colleague,
    Conference,
    Website,
    SocialMedia,
    EmailList,
    CourseProvider,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EligibilityOutcome {
    Eligible,
    Ineligible,
    /// Staff decide on education from outside the US.
    NeedsEducationReview,
}

impl From<Outcome> for EligibilityOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Eligible => Self::Eligible,
            Outcome::Ineligible => Self::Ineligible,
            Outcome::NeedsEducationReview => Self::NeedsEducationReview,
        }
    }
}

/// Which requirement is not met.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Requirement {
    WorkHours,
    Education,
    ForeignEducationRefused,
}

/// A requirement not met, and by how much.
#[derive(SimpleObject)]
pub struct EligibilityShortfall {
    pub requirement: Requirement,
    /// For work hours: the hours still missing.
    pub short_by_hours: Option<f64>,
}

/// How much of one work entry counted.
#[derive(SimpleObject)]
pub struct CountedEntry {
    /// The entry's position in the application's work history, from 0.
    pub index: i32,
    pub days_in_window: i64,
    pub total_days: i64,
    pub hours: i64,
    pub counted_hours: f64,
}

/// The eligibility decision with its workings.
#[derive(SimpleObject)]
pub struct Eligibility {
    pub outcome: EligibilityOutcome,
    pub decided_on: NaiveDate,
    /// The five-year window the hours were counted in.
    pub window_starts_on: NaiveDate,
    pub window_ends_on: NaiveDate,
    pub required_hours: i64,
    pub counted_hours: f64,
    #[graphql(
        complexity = "super::cost::list(domain::limits::WORK_HISTORY_ENTRIES, child_complexity)"
    )]
    pub entries: Vec<CountedEntry>,
    pub education_found: Option<EducationLevel>,
    pub education_outside_us: bool,
    #[graphql(
        complexity = "super::cost::list(<Requirement as async_graphql::resolver_utils::EnumType>::items().len(), child_complexity)"
    )]
    pub shortfalls: Vec<EligibilityShortfall>,
}

impl From<Explanation> for Eligibility {
    fn from(e: Explanation) -> Self {
        Self {
            outcome: e.outcome.into(),
            decided_on: e.decided_on,
            window_starts_on: e.window_starts_on,
            window_ends_on: e.window_ends_on,
            required_hours: e.required_hours,
            counted_hours: e.counted_hours,
            entries: e
                .entries
                .into_iter()
                .map(|c| CountedEntry {
                    index: c.index as i32,
                    days_in_window: c.days_in_window,
                    total_days: c.total_days,
                    hours: c.hours,
                    counted_hours: (c.counted_hours * 100.0).round() / 100.0,
                })
                .collect(),
            education_found: e.education_found.map(Into::into),
            education_outside_us: e.education_outside_us,
            shortfalls: e
                .shortfalls
                .into_iter()
                .map(|s| match s {
                    Shortfall::WorkHours { short_by, .. } => EligibilityShortfall {
                        requirement: Requirement::WorkHours,
                        short_by_hours: Some(short_by),
                    },
                    Shortfall::Education => EligibilityShortfall {
                        requirement: Requirement::Education,
                        short_by_hours: None,
                    },
                    Shortfall::ForeignEducationRefused => EligibilityShortfall {
                        requirement: Requirement::ForeignEducationRefused,
                        short_by_hours: None,
                    },
                })
                .collect(),
        }
    }
}

/// An application to the programme. Its applicant and staff see all of it; the CRC sees
/// who applied and with what, but not how to reach them (the contact fields are null).
pub struct Application(pub application::Model, pub ApplicationView);

impl Application {
    /// The application as `actor` may see it, by the one rule for every path that reaches
    /// an application; `None` when they may not see it at all.
    pub fn for_actor(actor: &domain::Actor, model: application::Model) -> Option<Self> {
        access::application_view(actor, &model).map(|view| Self(model, view))
    }

    /// `value` when the view shows contact details.
    fn contact<T>(&self, value: T) -> Option<T> {
        self.1.shows_contact().then_some(value)
    }
}

#[Object]
impl Application {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn status(&self) -> ApplicationStatus {
        self.0.status.into()
    }

    async fn given_name(&self) -> &str {
        &self.0.given_name
    }

    async fn family_name(&self) -> &str {
        &self.0.family_name
    }

    /// Contact details: null for the CRC.
    async fn email(&self) -> Option<&str> {
        self.contact(self.0.email.as_str())
    }

    async fn phone(&self) -> Option<&str> {
        self.contact(self.0.phone.as_deref()).flatten()
    }

    async fn address_line1(&self) -> Option<&str> {
        self.contact(self.0.address_line1.as_str())
    }

    async fn address_line2(&self) -> Option<&str> {
        self.contact(self.0.address_line2.as_deref()).flatten()
    }

    async fn city(&self) -> Option<&str> {
        self.contact(self.0.city.as_str())
    }

    async fn state(&self) -> &str {
        &self.0.state
    }

    async fn postal_code(&self) -> Option<&str> {
        self.contact(self.0.postal_code.as_str())
    }

    async fn country(&self) -> &str {
        &self.0.country
    }

    async fn employer_name(&self) -> Option<&str> {
        self.0.employer_name.as_deref()
    }

    /// Where the award notice to the employer goes.
    async fn employer_notice_email(&self) -> Option<&str> {
        self.contact(self.0.employer_address.as_deref()).flatten()
    }

    async fn state_library_name(&self) -> Option<&str> {
        self.0.state_library_name.as_deref()
    }

    /// Where the award notice to the state library goes.
    async fn state_library_notice_email(&self) -> Option<&str> {
        self.contact(self.0.state_library_address.as_deref())
            .flatten()
    }

    async fn ala_member(&self) -> bool {
        self.0.ala_member
    }

    async fn ala_member_number(&self) -> Option<&str> {
        self.contact(self.0.ala_member_number.as_deref()).flatten()
    }

    async fn marketing_source(&self) -> Option<MarketingSource> {
        self.0.marketing_source.map(Into::into)
    }

    async fn marketing_source_detail(&self) -> Option<&str> {
        self.0.marketing_source_detail.as_deref()
    }

    /// Consent to publish the name in the public list of certificate holders.
    async fn consent_publish_name(&self) -> bool {
        self.0.consent_publish_name
    }

    /// Consent to send award notices to the employer and the state library.
    async fn consent_award_notice(&self) -> bool {
        self.0.consent_award_notice
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::WORK_HISTORY_ENTRIES, child_complexity)"
    )]
    async fn work_history(&self, ctx: &Context<'_>) -> Result<Vec<WorkHistoryEntry>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().work_history, self.0.id).await?;
        Ok(rows.into_iter().map(WorkHistoryEntry).collect())
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::EDUCATION_ENTRIES, child_complexity)"
    )]
    async fn education(&self, ctx: &Context<'_>) -> Result<Vec<EducationEntry>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().education, self.0.id).await?;
        Ok(rows.into_iter().map(EducationEntry).collect())
    }

    /// The eligibility decision and its workings, once submitted.
    async fn eligibility(&self) -> Option<Eligibility> {
        self.0
            .eligibility
            .clone()
            .and_then(|v| serde_json::from_value::<Explanation>(v).ok())
            .map(Into::into)
    }

    /// Staff's reason when they decided on education from outside the US.
    #[graphql(complexity = "super::cost::text(domain::limits::REASON_CHARS)")]
    async fn education_decision_reason(&self) -> Option<&str> {
        self.0.education_decision_reason.as_deref()
    }

    /// The fee in cents, fixed at submission ($350, or $325 for ALA members).
    async fn fee_cents(&self) -> Option<i64> {
        self.0.fee_cents
    }

    async fn paid_cents(&self, ctx: &Context<'_>) -> Result<i64> {
        let rows = many(
            &ctx.data_unchecked::<Loaders>().application_payments,
            self.0.id,
        )
        .await?;
        Ok(rows.iter().map(|p| p.amount_cents).sum())
    }

    /// The candidacy this application started, once accepted.
    async fn candidacy(&self, ctx: &Context<'_>) -> Result<Option<Candidacy>> {
        let rows = many(
            &ctx.data_unchecked::<Loaders>().candidacy_of_application,
            self.0.id,
        )
        .await?;
        Ok(rows.into_iter().next().map(Candidacy))
    }

    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One period of library work.
pub struct WorkHistoryEntry(pub work_history_entry::Model);

#[Object]
impl WorkHistoryEntry {
    async fn library_name(&self) -> &str {
        &self.0.library_name
    }

    async fn library_type(&self) -> LibraryType {
        self.0.library_type.into()
    }

    async fn position_title(&self) -> Option<&str> {
        self.0.position_title.as_deref()
    }

    async fn paid(&self) -> bool {
        self.0.paid
    }

    async fn started_on(&self) -> NaiveDate {
        self.0.started_on
    }

    /// Null while the work goes on.
    async fn ended_on(&self) -> Option<NaiveDate> {
        self.0.ended_on
    }

    /// Hours worked over the whole entry.
    async fn hours(&self) -> i32 {
        self.0.hours
    }
}

/// One qualification.
pub struct EducationEntry(pub education_entry::Model);

#[Object]
impl EducationEntry {
    async fn level(&self) -> EducationLevel {
        self.0.level.into()
    }

    async fn institution(&self) -> Option<&str> {
        self.0.institution.as_deref()
    }

    /// ISO 3166 alpha-2.
    async fn country(&self) -> &str {
        &self.0.country
    }

    async fn completed_on(&self) -> Option<NaiveDate> {
        self.0.completed_on
    }
}

#[derive(Default)]
pub struct ApplicationQuery;

#[Object]
impl ApplicationQuery {
    /// Your latest application, if any.
    async fn my_application(&self, ctx: &Context<'_>) -> Result<Option<Application>> {
        Ok(applications::mine(services(ctx), actor(ctx))
            .await
            .gql()?
            .and_then(|d| Application::for_actor(actor(ctx), d.application)))
    }

    /// One application. Its applicant and staff; the CRC without contact details.
    async fn application(&self, ctx: &Context<'_>, id: ID) -> Result<Application> {
        let id = parse_id(&id, "application")?;
        let d = applications::get(services(ctx), actor(ctx), id)
            .await
            .gql()?;
        Application::for_actor(actor(ctx), d.application)
            .ok_or_else(|| crate::error::to_gql(domain::DomainError::NotFound("application")))
    }

    /// Applications, newest first. Staff only; the education review queue is
    /// `status: AWAITING_EDUCATION_REVIEW`.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn applications(
        &self,
        ctx: &Context<'_>,
        status: Option<ApplicationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Application, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = applications::list(
            services(ctx),
            actor(ctx),
            status.map(Into::into),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        let rows: Vec<Application> = rows
            .into_iter()
            .filter_map(|a| Application::for_actor(actor(ctx), a))
            .collect();
        Ok(connection(page, rows, |a| a.0.id, |a| a))
    }
}

#[derive(InputObject)]
pub struct WorkInput {
    pub library_name: String,
    pub library_type: LibraryType,
    pub position_title: Option<String>,
    pub paid: bool,
    pub started_on: NaiveDate,
    /// Leave out while the work goes on.
    pub ended_on: Option<NaiveDate>,
    /// Hours worked over the whole entry (not per week).
    pub hours: i32,
}

#[derive(InputObject)]
pub struct EducationInput {
    pub level: EducationLevel,
    pub institution: Option<String>,
    /// ISO 3166 alpha-2; `US` when left out.
    pub country: Option<String>,
    pub completed_on: Option<NaiveDate>,
}

/// Your application. Saving replaces the work history and education with these lists.
#[derive(InputObject)]
pub struct SaveApplicationInput {
    pub given_name: String,
    pub family_name: String,
    /// Where we write to you; your account's email when left out.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: Option<String>,
    pub employer_name: Option<String>,
    #[graphql(default)]
    pub ala_member: bool,
    pub ala_member_number: Option<String>,
    pub marketing_source: Option<MarketingSource>,
    pub marketing_source_detail: Option<String>,
    #[graphql(default)]
    pub consent_publish_name: bool,
    #[graphql(default)]
    pub consent_award_notice: bool,
    /// The email address the award notice to your employer should go to.
    pub employer_notice_email: Option<String>,
    pub state_library_name: Option<String>,
    /// The email address the award notice to your state library should go to.
    pub state_library_notice_email: Option<String>,
    #[graphql(default)]
    pub work_history: Vec<WorkInput>,
    #[graphql(default)]
    pub education: Vec<EducationInput>,
}

#[derive(InputObject)]
pub struct ApplicationIdInput {
    pub application_id: ID,
}

#[derive(InputObject)]
pub struct DecideEducationInput {
    pub application_id: ID,
    /// Whether the education is accepted as a high-school diploma or higher.
    pub accept: bool,
    /// Always required: it is recorded and sent to the applicant.
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct ApplicationPayload {
    pub application: Option<Application>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

fn application_payload(
    ctx: &Context<'_>,
    result: domain::DomainResult<ApplicationDetail>,
) -> Result<ApplicationPayload> {
    let (d, user_errors) = payload(result)?;
    Ok(ApplicationPayload {
        application: d.and_then(|d| Application::for_actor(actor(ctx), d.application)),
        user_errors,
    })
}

#[derive(Default)]
pub struct ApplicationMutation;

#[Object]
impl ApplicationMutation {
    /// Saves your draft application (created on first save). Come back to it any time
    /// before submitting.
    async fn save_application(
        &self,
        ctx: &Context<'_>,
        input: SaveApplicationInput,
    ) -> Result<ApplicationPayload> {
        let i = input;
        let domain_input = applications::ApplicationInput {
            given_name: i.given_name,
            family_name: i.family_name,
            email: i.email,
            phone: i.phone,
            address_line1: i.address_line1,
            address_line2: i.address_line2,
            city: i.city,
            state: i.state,
            postal_code: i.postal_code,
            country: i.country,
            employer_name: i.employer_name,
            ala_member: i.ala_member,
            ala_member_number: i.ala_member_number,
            marketing_source: i.marketing_source.map(Into::into),
            marketing_source_detail: i.marketing_source_detail,
            consent_publish_name: i.consent_publish_name,
            consent_award_notice: i.consent_award_notice,
            employer_notice_email: i.employer_notice_email,
            state_library_name: i.state_library_name,
            state_library_notice_email: i.state_library_notice_email,
            work: i
                .work_history
                .into_iter()
                .map(|w| applications::WorkInput {
                    library_name: w.library_name,
                    library_type: w.library_type.into(),
                    position_title: w.position_title,
                    paid: w.paid,
                    started_on: w.started_on,
                    ended_on: w.ended_on,
                    hours: w.hours,
                })
                .collect(),
            education: i
                .education
                .into_iter()
                .map(|e| applications::EducationInput {
                    level: e.level.into(),
                    institution: e.institution,
                    country: e.country,
                    completed_on: e.completed_on,
                })
                .collect(),
        };
        application_payload(
            ctx,
            applications::save(services(ctx), actor(ctx), domain_input).await,
        )
    }

    /// Submits your application: eligibility is decided at once and explained (education
    /// from outside the US goes to staff), and the fee is set.
    async fn submit_application(
        &self,
        ctx: &Context<'_>,
        input: ApplicationIdInput,
    ) -> Result<ApplicationPayload> {
        let id = parse_id(&input.application_id, "application")?;
        application_payload(
            ctx,
            applications::submit(services(ctx), actor(ctx), id).await,
        )
    }

    /// Withdraws an application not yet accepted.
    async fn withdraw_application(
        &self,
        ctx: &Context<'_>,
        input: ApplicationIdInput,
    ) -> Result<ApplicationPayload> {
        let id = parse_id(&input.application_id, "application")?;
        application_payload(
            ctx,
            applications::withdraw(services(ctx), actor(ctx), id).await,
        )
    }

    /// Staff decide on education from outside the US, with a reason.
    async fn decide_education(
        &self,
        ctx: &Context<'_>,
        input: DecideEducationInput,
    ) -> Result<ApplicationPayload> {
        let id = parse_id(&input.application_id, "application")?;
        application_payload(
            ctx,
            applications::decide_education(
                services(ctx),
                actor(ctx),
                id,
                input.accept,
                &input.reason,
            )
            .await,
        )
    }
}

/// Loads an application through the request's loader (for nested fields), as the caller
/// may see it: null when they may not.
pub async fn load(ctx: &Context<'_>, id: i64) -> Result<Option<Application>> {
    Ok(one(&ctx.data_unchecked::<Loaders>().applications, id)
        .await?
        .and_then(|a| Application::for_actor(actor(ctx), a)))
}
