//! Courses: drafts, submissions, the CRC's decisions, approval periods, and the public list
//! of approved courses.

use super::catalogue::{Competency, CompetencySet};
use super::connection::{Page, connection};
use super::documents::Document;
use super::flat;
use super::loaders::{Loaders, many, one};
use super::providers::Provider;
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::parser::types::SelectionSet;
use async_graphql::{
    Context, ContextSelectionSet, Enum, ID, InputObject, InputType, Object, Positioned, Result,
    SimpleObject, Value,
};
use chrono::{DateTime, NaiveDate, Utc};
use domain::services::{catalogue, courses};
use entity::{course, course_approval, course_coverage, course_decision, course_submission};

/// Where a course stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::course::CourseStatus")]
pub enum CourseStatus {
    /// Being written; never submitted.
    Draft,
    /// With the CRC, or back with the provider for changes, and not yet approved.
    InReview,
    /// Approved today: in the public list.
    Approved,
    Rejected,
    /// Its approval ended without re-approval.
    Expired,
    Withdrawn,
}

/// A first approval or a re-approval.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::course_submission::SubmissionKind")]
pub enum SubmissionKind {
    Initial,
    Reapproval,
}

/// Where a submission stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::course_submission::SubmissionStatus")]
pub enum SubmissionStatus {
    Draft,
    /// Awaiting the CRC's decision.
    Submitted,
    /// The CRC asked for changes; the provider's revision is a new submission.
    ChangesRequested,
    Approved,
    Rejected,
    Withdrawn,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::course_submission::CourseFormat")]
pub enum CourseFormat {
    Workshop,
    Institute,
    MultiWeekCourse,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::course_submission::Delivery")]
pub enum Delivery {
    Online,
    InPerson,
    Mixed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::course_submission::Timing")]
pub enum Timing {
    Synchronous,
    Asynchronous,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::course_decision::CourseDecisionKind")]
pub enum CourseDecisionKind {
    Approved,
    Rejected,
    ChangesRequested,
}

/// What the CRC decides.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CourseDecisionInputKind {
    Approve,
    Reject,
    RequestChanges,
}

/// A period a course is approved for: from `startsOn` until the day before `expiresOn`.
pub struct ApprovalPeriod(pub course_approval::Model);

#[Object]
impl ApprovalPeriod {
    /// The first day the course is approved.
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }

    /// The first day it is no longer approved.
    async fn expires_on(&self) -> NaiveDate {
        self.0.expires_on
    }

    /// The submission this period approved.
    async fn submission_id(&self) -> ID {
        ID(self.0.submission_id.to_string())
    }
}

/// A course a provider offers for one competency set. Visible to its provider's members,
/// staff and the CRC.
pub struct Course(pub course::Model);

#[Object]
impl Course {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The title of its latest approved submission (or of its draft).
    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn status(&self) -> CourseStatus {
        self.0.status.into()
    }

    /// The competency set the course teaches in full.
    async fn competency_set(&self, ctx: &Context<'_>) -> Result<Option<CompetencySet>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(cat.set(self.0.set_id).cloned().map(CompetencySet))
    }

    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<Provider>> {
        Ok(one(
            &ctx.data_unchecked::<Loaders>().providers,
            self.0.provider_id,
        )
        .await?
        .map(Provider))
    }

    /// Every submission, newest first: drafts, revisions and re-approvals, with their
    /// decisions. The history is never overwritten.
    #[graphql(
        complexity = "super::cost::list(domain::limits::SUBMISSIONS_PER_COURSE, child_complexity)"
    )]
    async fn submissions(&self, ctx: &Context<'_>) -> Result<Vec<CourseSubmission>> {
        let mut rows = many(
            &ctx.data_unchecked::<Loaders>().submissions_of_course,
            self.0.id,
        )
        .await?;
        rows.reverse();
        Ok(rows
            .into_iter()
            .take(domain::limits::SUBMISSIONS_PER_COURSE)
            .map(CourseSubmission)
            .collect())
    }

    /// Every approval period, oldest first.
    #[graphql(
        complexity = "super::cost::list(domain::limits::APPROVALS_PER_COURSE, child_complexity)"
    )]
    async fn approvals(&self, ctx: &Context<'_>) -> Result<Vec<ApprovalPeriod>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().approvals, self.0.id).await?;
        Ok(rows
            .into_iter()
            .take(domain::limits::APPROVALS_PER_COURSE)
            .map(ApprovalPeriod)
            .collect())
    }

    /// The period covering today, if the course is approved today.
    async fn current_approval(&self, ctx: &Context<'_>) -> Result<Option<ApprovalPeriod>> {
        let today = services(ctx).today();
        let rows = many(&ctx.data_unchecked::<Loaders>().approvals, self.0.id).await?;
        Ok(rows
            .into_iter()
            .find(|a| a.starts_on <= today && today < a.expires_on)
            .map(ApprovalPeriod))
    }
}

/// One submission of a course: its content frozen once submitted.
pub struct CourseSubmission(pub course_submission::Model);

#[Object]
impl CourseSubmission {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn course(&self, ctx: &Context<'_>) -> Result<Option<Course>> {
        Ok(
            one(&ctx.data_unchecked::<Loaders>().courses, self.0.course_id)
                .await?
                .map(Course),
        )
    }

    async fn kind(&self) -> SubmissionKind {
        self.0.kind.into()
    }

    /// 1 for a first submission; +1 for each revision the CRC asked for.
    async fn revision(&self) -> i32 {
        self.0.revision
    }

    async fn status(&self) -> SubmissionStatus {
        self.0.status.into()
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    async fn format(&self) -> CourseFormat {
        self.0.format.into()
    }

    async fn delivery(&self) -> Delivery {
        self.0.delivery.into()
    }

    async fn timing(&self) -> Timing {
        self.0.timing.into()
    }

    /// As the provider describes it, e.g. "6 weeks".
    async fn duration(&self) -> &str {
        &self.0.duration
    }

    async fn duration_hours(&self) -> Option<i32> {
        self.0.duration_hours
    }

    #[graphql(complexity = "super::cost::text(domain::limits::LONG_TEXT_CHARS)")]
    async fn assessment_method(&self) -> &str {
        &self.0.assessment_method
    }

    async fn curriculum_document(&self, ctx: &Context<'_>) -> Result<Option<Document>> {
        match self.0.curriculum_document_id {
            None => Ok(None),
            Some(id) => Ok(one(&ctx.data_unchecked::<Loaders>().documents, id)
                .await?
                .map(Document)),
        }
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::INSTRUCTORS_PER_SUBMISSION, child_complexity)"
    )]
    async fn instructors(&self, ctx: &Context<'_>) -> Result<Vec<Instructor>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().instructors, self.0.id).await?;
        Ok(rows
            .into_iter()
            .take(domain::limits::INSTRUCTORS_PER_SUBMISSION)
            .map(|r| Instructor {
                name: r.name,
                qualifications: r.qualifications,
            })
            .collect())
    }

    /// Which content teaches each competency of the set.
    #[graphql(
        complexity = "super::cost::list(domain::limits::COMPETENCIES_PER_SET, child_complexity)"
    )]
    async fn coverage(&self, ctx: &Context<'_>) -> Result<Vec<CoverageEntry>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().coverage, self.0.id).await?;
        Ok(rows
            .into_iter()
            .take(domain::limits::COMPETENCIES_PER_SET)
            .map(CoverageEntry)
            .collect())
    }

    /// The CRC's decisions on this submission, oldest first.
    #[graphql(
        complexity = "super::cost::list(domain::limits::DECISIONS_PER_SUBMISSION, child_complexity)"
    )]
    async fn decisions(&self, ctx: &Context<'_>) -> Result<Vec<CourseDecision>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().decisions, self.0.id).await?;
        Ok(rows
            .into_iter()
            .take(domain::limits::DECISIONS_PER_SUBMISSION)
            .map(CourseDecision)
            .collect())
    }

    /// The approval fee, in cents, assessed when first submitted.
    async fn fee_cents(&self) -> Option<i64> {
        self.0.fee_cents
    }

    /// What has been paid towards the fee, in cents.
    async fn paid_cents(&self, ctx: &Context<'_>) -> Result<i64> {
        let rows = many(&ctx.data_unchecked::<Loaders>().course_payments, self.0.id).await?;
        Ok(rows.iter().map(|p| p.amount_cents).sum())
    }

    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
}

/// An instructor and their qualifications.
#[derive(SimpleObject)]
pub struct Instructor {
    pub name: String,
    #[graphql(complexity = "super::cost::text(domain::limits::REASON_CHARS)")]
    pub qualifications: String,
}

/// The content that teaches one competency.
pub struct CoverageEntry(pub course_coverage::Model);

#[Object]
impl CoverageEntry {
    async fn competency(&self, ctx: &Context<'_>) -> Result<Option<Competency>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(cat
            .sets
            .iter()
            .flat_map(|s| s.competencies.iter())
            .find(|c| c.id == self.0.competency_id)
            .cloned()
            .map(Competency))
    }

    #[graphql(complexity = "super::cost::text(domain::limits::REASON_CHARS)")]
    async fn content(&self) -> &str {
        &self.0.content
    }
}

/// A decision of the CRC, with its reasons.
pub struct CourseDecision(pub course_decision::Model);

#[Object]
impl CourseDecision {
    async fn decision(&self) -> CourseDecisionKind {
        self.0.decision.into()
    }

    #[graphql(complexity = "super::cost::text(domain::limits::LONG_TEXT_CHARS)")]
    async fn reasons(&self) -> &str {
        &self.0.reasons
    }

    async fn decided_at(&self) -> DateTime<Utc> {
        self.0.decided_at
    }
}

/// An approved course, as the public list shows it.
pub struct ApprovedCourse(pub courses::ApprovedCourse);

#[Object]
impl ApprovedCourse {
    /// The course's id.
    async fn id(&self) -> ID {
        ID(self.0.course.id.to_string())
    }

    async fn title(&self) -> &str {
        &self.0.submission.title
    }

    async fn description(&self) -> &str {
        &self.0.submission.description
    }

    async fn competency_set(&self, ctx: &Context<'_>) -> Result<Option<CompetencySet>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(cat.set(self.0.course.set_id).cloned().map(CompetencySet))
    }

    async fn provider(&self) -> Provider {
        Provider(self.0.provider.clone())
    }

    async fn format(&self) -> CourseFormat {
        self.0.submission.format.into()
    }

    async fn delivery(&self) -> Delivery {
        self.0.submission.delivery.into()
    }

    async fn timing(&self) -> Timing {
        self.0.submission.timing.into()
    }

    async fn duration(&self) -> &str {
        &self.0.submission.duration
    }

    /// The approval period covering today.
    async fn approval(&self) -> ApprovalPeriod {
        ApprovalPeriod(self.0.approval.clone())
    }
}

/// The public list is read by the page: its plain course lines are answered directly
/// (see [`flat`]).
impl flat::Direct for ApprovedCourse {
    async fn direct(&self, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let cat = CompetencySet::catalogue_for_flat(ctx).await?;
        let c = &self.0;
        flat::object(ctx.item, |field| {
            Some(match field.node.name.node.as_str() {
                "__typename" => Value::String("ApprovedCourse".to_owned()),
                "id" => Value::String(c.course.id.to_string()),
                "title" => Value::String(c.submission.title.clone()),
                "description" => Value::String(c.submission.description.clone()),
                "competencySet" => {
                    CompetencySet::flat_of(&cat, c.course.set_id, &field.node.selection_set)?
                }
                "provider" => Provider::flat(&c.provider, &field.node.selection_set)?,
                "format" => CourseFormat::from(c.submission.format).to_value(),
                "delivery" => Delivery::from(c.submission.delivery).to_value(),
                "timing" => Timing::from(c.submission.timing).to_value(),
                "duration" => Value::String(c.submission.duration.clone()),
                "approval" => ApprovalPeriod::flat(&c.approval, &field.node.selection_set)?,
                _ => return None,
            })
        })
    }
}

impl ApprovalPeriod {
    /// The answer to a plain `selection` of `approval` (see [`flat`]), or `None`.
    fn flat(
        approval: &course_approval::Model,
        selection: &Positioned<SelectionSet>,
    ) -> Option<Value> {
        flat::object(selection, |field| {
            Some(match field.node.name.node.as_str() {
                "__typename" => Value::String("ApprovalPeriod".to_owned()),
                "startsOn" => approval.starts_on.to_value(),
                "expiresOn" => approval.expires_on.to_value(),
                "submissionId" => Value::String(approval.submission_id.to_string()),
                _ => return None,
            })
        })
    }
}

/// Filters of the public list; all optional, combined with AND.
#[derive(InputObject, Default)]
pub struct ApprovedCourseFilter {
    /// A competency set's code, e.g. `TECHNOLOGY`.
    pub set_code: Option<String>,
    pub delivery: Option<Delivery>,
    pub timing: Option<Timing>,
    pub provider_id: Option<ID>,
    /// The provider's state, e.g. `IL`.
    pub provider_state: Option<String>,
    /// Words in the title or description.
    pub search: Option<String>,
}

#[derive(Default)]
pub struct CourseQuery;

#[Object]
impl CourseQuery {
    /// Public: courses approved today, newest first.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn approved_courses(
        &self,
        ctx: &Context<'_>,
        filter: Option<ApprovedCourseFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, flat::Flat<ApprovedCourse>, EmptyFields, EmptyFields>>
    {
        let page = Page::parse(first, after)?;
        let f = filter.unwrap_or_default();
        let filter = courses::ApprovedFilter {
            set_code: f.set_code,
            delivery: f.delivery.map(Into::into),
            timing: f.timing.map(Into::into),
            provider_id: f
                .provider_id
                .as_ref()
                .map(|id| parse_id(id, "provider"))
                .transpose()?,
            provider_state: f.provider_state,
            search: f.search,
        };
        let rows =
            courses::approved_courses(services(ctx), &filter, page.after_id, page.fetch_limit())
                .await
                .gql()?;
        Ok(connection(
            page,
            rows,
            |c| c.course.id,
            |c| flat::Flat(ApprovedCourse(c)),
        ))
    }

    /// Public: whether a course was approved for a competency set on a given day.
    async fn course_approved_on(
        &self,
        ctx: &Context<'_>,
        course_id: ID,
        set_code: String,
        date: NaiveDate,
    ) -> Result<bool> {
        let course_id = parse_id(&course_id, "course")?;
        let cat = catalogue::get(services(ctx)).await.gql()?;
        let Some(set) = cat.by_code(&set_code) else {
            return Ok(false);
        };
        courses::approved_on(&services(ctx).db, course_id, set.set.id, date)
            .await
            .gql()
    }

    /// One course. Its provider's members, staff and the CRC.
    async fn course(&self, ctx: &Context<'_>, id: ID) -> Result<Course> {
        let id = parse_id(&id, "course")?;
        let (course, _, _) = courses::course(services(ctx), actor(ctx), id).await.gql()?;
        Ok(Course(course))
    }

    /// Courses you may see, newest first.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn courses(
        &self,
        ctx: &Context<'_>,
        provider_id: Option<ID>,
        status: Option<CourseStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Course, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let provider_id = provider_id
            .as_ref()
            .map(|id| parse_id(id, "provider"))
            .transpose()?;
        let rows = courses::courses(
            services(ctx),
            actor(ctx),
            provider_id,
            status.map(Into::into),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(page, rows, |c| c.id, Course))
    }

    /// One submission. Its provider's members, staff and the CRC.
    async fn course_submission(&self, ctx: &Context<'_>, id: ID) -> Result<CourseSubmission> {
        let id = parse_id(&id, "course submission")?;
        let detail = courses::submission(services(ctx), actor(ctx), id)
            .await
            .gql()?;
        Ok(CourseSubmission(detail.submission))
    }

    /// Submissions you may see, newest first; the CRC's queue is `status: SUBMITTED`.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn course_submissions(
        &self,
        ctx: &Context<'_>,
        status: Option<SubmissionStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, CourseSubmission, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = courses::submissions(
            services(ctx),
            actor(ctx),
            status.map(Into::into),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(page, rows, |s| s.id, CourseSubmission))
    }
}

#[derive(InputObject)]
pub struct InstructorInput {
    pub name: String,
    pub qualifications: String,
}

#[derive(InputObject)]
pub struct CoverageInput {
    /// The competency's number within the course's set.
    pub competency_number: i32,
    /// The unit, module or session that teaches it.
    pub content: String,
}

/// A course draft. Saving replaces the draft's instructors and coverage with these lists.
/// Leave `courseId` out to start a new course (then `providerId` is required); give it to
/// edit the draft, start the revision the CRC asked for, or start a re-approval.
#[derive(InputObject)]
pub struct SaveCourseDraftInput {
    pub course_id: Option<ID>,
    pub provider_id: Option<ID>,
    /// The competency set's code, e.g. `TECHNOLOGY`.
    pub set_code: String,
    pub title: String,
    #[graphql(default)]
    pub description: String,
    pub format: CourseFormat,
    pub delivery: Delivery,
    pub timing: Timing,
    #[graphql(default)]
    pub duration: String,
    pub duration_hours: Option<i32>,
    /// A document you uploaded with `uploadDocument`.
    pub curriculum_document_id: Option<ID>,
    #[graphql(default)]
    pub instructors: Vec<InstructorInput>,
    #[graphql(default)]
    pub assessment_method: String,
    #[graphql(default)]
    pub coverage: Vec<CoverageInput>,
}

#[derive(InputObject)]
pub struct SubmitCourseInput {
    pub submission_id: ID,
}

#[derive(InputObject)]
pub struct DecideCourseInput {
    pub submission_id: ID,
    pub decision: CourseDecisionInputKind,
    /// Always required: the provider is told the reasons.
    pub reasons: String,
}

#[derive(SimpleObject)]
pub struct CourseSubmissionPayload {
    pub submission: Option<CourseSubmission>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

fn submission_payload(
    result: domain::DomainResult<courses::SubmissionDetail>,
) -> Result<CourseSubmissionPayload> {
    let (detail, user_errors) = payload(result)?;
    Ok(CourseSubmissionPayload {
        submission: detail.map(|d| CourseSubmission(d.submission)),
        user_errors,
    })
}

#[derive(Default)]
pub struct CourseMutation;

#[Object]
impl CourseMutation {
    /// Saves a course draft. The provider's members (or staff).
    async fn save_course_draft(
        &self,
        ctx: &Context<'_>,
        input: SaveCourseDraftInput,
    ) -> Result<CourseSubmissionPayload> {
        let draft = courses::CourseDraftInput {
            course_id: input
                .course_id
                .as_ref()
                .map(|id| parse_id(id, "course"))
                .transpose()?,
            provider_id: input
                .provider_id
                .as_ref()
                .map(|id| parse_id(id, "provider"))
                .transpose()?,
            set_code: input.set_code,
            title: input.title,
            description: input.description,
            format: input.format.into(),
            delivery: input.delivery.into(),
            timing: input.timing.into(),
            duration: input.duration,
            duration_hours: input.duration_hours,
            curriculum_document_id: input
                .curriculum_document_id
                .as_ref()
                .map(|id| parse_id(id, "document"))
                .transpose()?,
            instructors: input
                .instructors
                .into_iter()
                .map(|i| courses::InstructorInput {
                    name: i.name,
                    qualifications: i.qualifications,
                })
                .collect(),
            assessment_method: input.assessment_method,
            coverage: input
                .coverage
                .into_iter()
                .map(|c| courses::CoverageInput {
                    competency_number: c.competency_number,
                    content: c.content,
                })
                .collect(),
        };
        submission_payload(courses::save_draft(services(ctx), actor(ctx), draft).await)
    }

    /// Submits a draft to the CRC. Refused with every problem listed when something is
    /// missing, e.g. `MISSING_COMPETENCIES` naming the numbers not covered.
    async fn submit_course(
        &self,
        ctx: &Context<'_>,
        input: SubmitCourseInput,
    ) -> Result<CourseSubmissionPayload> {
        let id = parse_id(&input.submission_id, "course submission")?;
        submission_payload(courses::submit(services(ctx), actor(ctx), id).await)
    }

    /// The CRC approves, rejects, or asks for changes, with reasons. Approval needs the fee
    /// paid. The provider is emailed.
    async fn decide_course(
        &self,
        ctx: &Context<'_>,
        input: DecideCourseInput,
    ) -> Result<CourseSubmissionPayload> {
        let id = parse_id(&input.submission_id, "course submission")?;
        let decision = match input.decision {
            CourseDecisionInputKind::Approve => courses::Decision::Approve,
            CourseDecisionInputKind::Reject => courses::Decision::Reject,
            CourseDecisionInputKind::RequestChanges => courses::Decision::RequestChanges,
        };
        submission_payload(
            courses::decide(services(ctx), actor(ctx), id, decision, &input.reasons).await,
        )
    }
}
