//! Courses: drafts and submissions, fees, the CRC's decisions, approval periods, and the
//! public list of approved courses.
//!
//! A course is submitted for one competency set and must teach all of it. Each submission
//! is a row of its own: a request for changes leaves the submission as it was, with its
//! decision, and the provider's revision is a new submission (`revision + 1`), so the
//! history is never overwritten. An approval is a period `[starts_on, expires_on)`; a
//! re-approval granted before the current period ends starts when it ends, so the course
//! never leaves the list.

use crate::actor::{Actor, Viewer};
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::fees::{CourseFeeBasis, course_fee, dollars};
use crate::rules::periods::add_years;
use crate::rules::text::{Problems, join_numbers, optional, required, single_line};
use crate::services::{catalogue, documents, providers};
use chrono::NaiveDate;
use entity::account_role::Role;
use entity::course::{self, CourseStatus};
use entity::course_decision::{self, CourseDecisionKind};
use entity::course_submission::{
    self, CourseFormat, Delivery, SubmissionKind, SubmissionStatus, Timing,
};
use entity::payment::{self, PaymentKind};
use entity::{course_approval, course_coverage, course_instructor, provider, provider_member};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sea_orm::{ExprTrait, RelationTrait};
use serde_json::json;
use std::collections::BTreeSet;

/// One instructor and why they can teach the course.
#[derive(Debug, Clone)]
pub struct InstructorInput {
    pub name: String,
    pub qualifications: String,
}

/// Where the course teaches one competency of its set.
#[derive(Debug, Clone)]
pub struct CoverageInput {
    pub competency_number: i32,
    pub content: String,
}

/// A course draft as the provider edits it. Saving replaces the draft's instructors and
/// coverage with these lists.
#[derive(Debug, Clone)]
pub struct CourseDraftInput {
    /// `None` to start a new course.
    pub course_id: Option<i64>,
    /// Required for a new course.
    pub provider_id: Option<i64>,
    pub set_code: String,
    pub title: String,
    pub description: String,
    pub format: CourseFormat,
    pub delivery: Delivery,
    pub timing: Timing,
    pub duration: String,
    pub duration_hours: Option<i32>,
    pub curriculum_document_id: Option<i64>,
    pub instructors: Vec<InstructorInput>,
    pub assessment_method: String,
    pub coverage: Vec<CoverageInput>,
}

/// A submission with what it consists of.
#[derive(Debug, Clone)]
pub struct SubmissionDetail {
    pub submission: course_submission::Model,
    pub course: course::Model,
    pub instructors: Vec<course_instructor::Model>,
    pub coverage: Vec<course_coverage::Model>,
    pub decisions: Vec<course_decision::Model>,
    pub paid_cents: i64,
}

/// An approved course as the public sees it.
#[derive(Debug, Clone)]
pub struct ApprovedCourse {
    pub course: course::Model,
    pub provider: provider::Model,
    pub approval: course_approval::Model,
    pub submission: PublicSubmission,
}

/// What the public list shows of the submission an approval granted: six of its columns.
/// Reading the whole submission (24 columns, each decoded under a prefix) was a third of
/// the public list's decoding work for fields nobody outside the provider sees.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct PublicSubmission {
    pub title: String,
    pub description: String,
    pub format: CourseFormat,
    pub delivery: Delivery,
    pub timing: Timing,
    pub duration: String,
}

impl PublicSubmission {
    /// The columns [`PublicSubmission`] is read from, under their own names: none of them
    /// is also a column of `course_approval`, whose columns the list selects unprefixed.
    const COLUMNS: [course_submission::Column; 6] = [
        course_submission::Column::Title,
        course_submission::Column::Description,
        course_submission::Column::Format,
        course_submission::Column::Delivery,
        course_submission::Column::Timing,
        course_submission::Column::Duration,
    ];
}

/// Filters of the public list.
#[derive(Debug, Clone, Default)]
pub struct ApprovedFilter {
    pub set_code: Option<String>,
    pub delivery: Option<Delivery>,
    pub timing: Option<Timing>,
    pub provider_id: Option<i64>,
    pub provider_state: Option<String>,
    pub search: Option<String>,
}

fn submission_snapshot(s: &course_submission::Model) -> serde_json::Value {
    json!({
        "courseId": s.course_id, "kind": s.kind, "revision": s.revision, "status": s.status,
        "title": s.title, "format": s.format, "delivery": s.delivery, "timing": s.timing,
        "feeCents": s.fee_cents,
    })
}

/// Who decides on courses: the CRC, and program officers (who may do anything).
fn decides_courses(viewer: &Viewer) -> bool {
    viewer.has_any(&[Role::CrcMember, Role::ProgramOfficer])
}

async fn load_course<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
) -> DomainResult<course::Model> {
    actor.require_signed_in()?;
    let course = course::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("course"))?;
    providers::require_access(db, actor, course.provider_id)
        .await
        .map_err(|e| match e {
            DomainError::NotFound(_) => DomainError::NotFound("course"),
            other => other,
        })?;
    Ok(course)
}

async fn latest_submission<C: ConnectionTrait>(
    db: &C,
    course_id: i64,
) -> DomainResult<Option<course_submission::Model>> {
    Ok(course_submission::Entity::find()
        .filter(course_submission::Column::CourseId.eq(course_id))
        .order_by_desc(course_submission::Column::Id)
        .one(db)
        .await?)
}

/// The approval period covering `day`, if any.
pub async fn approval_on<C: ConnectionTrait>(
    db: &C,
    course_id: i64,
    day: NaiveDate,
) -> DomainResult<Option<course_approval::Model>> {
    Ok(course_approval::Entity::find()
        .filter(course_approval::Column::CourseId.eq(course_id))
        .filter(course_approval::Column::StartsOn.lte(day))
        .filter(course_approval::Column::ExpiresOn.gt(day))
        .order_by_desc(course_approval::Column::StartsOn)
        .one(db)
        .await?)
}

/// The last approval period of a course (the one that ends latest).
async fn last_approval<C: ConnectionTrait>(
    db: &C,
    course_id: i64,
) -> DomainResult<Option<course_approval::Model>> {
    Ok(course_approval::Entity::find()
        .filter(course_approval::Column::CourseId.eq(course_id))
        .order_by_desc(course_approval::Column::ExpiresOn)
        .one(db)
        .await?)
}

/// Whether course `course_id` was approved for set `set_id` on `day`: the question
/// course-completion evidence asks. One query.
pub async fn approved_on<C: ConnectionTrait>(
    db: &C,
    course_id: i64,
    set_id: i64,
    day: NaiveDate,
) -> DomainResult<bool> {
    let count = course_approval::Entity::find()
        .inner_join(course::Entity)
        .filter(course_approval::Column::CourseId.eq(course_id))
        .filter(course::Column::SetId.eq(set_id))
        .filter(course_approval::Column::StartsOn.lte(day))
        .filter(course_approval::Column::ExpiresOn.gt(day))
        .count(db)
        .await?;
    Ok(count > 0)
}

/// Saves a course draft: starts a new course, edits the current draft, starts the revision
/// asked for by the CRC, or starts a re-approval of an approved course.
pub async fn save_draft(
    ctx: &Context,
    actor: &Actor,
    input: CourseDraftInput,
) -> DomainResult<SubmissionDetail> {
    let viewer = actor.viewer()?.clone();
    let catalogue = catalogue::get(ctx).await?;
    let set = catalogue.by_code(&input.set_code).ok_or_else(|| {
        DomainError::invalid(
            Violation::new(
                "UNKNOWN_SET",
                format!(
                    "There is no competency set with the code {}.",
                    input.set_code
                ),
            )
            .on("setCode"),
        )
    })?;
    let mut p = Problems::default();
    let title = p
        .take(single_line("title", "The title", &input.title, 300))
        .unwrap_or_default();
    let description = p
        .take(optional(
            "description",
            "The description",
            Some(&input.description),
            20_000,
        ))
        .flatten()
        .unwrap_or_default();
    let duration = p
        .take(optional(
            "duration",
            "The duration",
            Some(&input.duration),
            200,
        ))
        .flatten()
        .unwrap_or_default();
    let assessment = p
        .take(optional(
            "assessmentMethod",
            "How learning is assessed",
            Some(&input.assessment_method),
            20_000,
        ))
        .flatten()
        .unwrap_or_default();
    if let Some(h) = input.duration_hours
        && !(1..=10_000).contains(&h)
    {
        p.push(
            Violation::new(
                "OUT_OF_RANGE",
                "The duration in hours must be between 1 and 10,000.",
            )
            .on("durationHours"),
        );
    }
    let mut instructors = Vec::new();
    for (i, ins) in input.instructors.iter().enumerate() {
        let name = p.take(single_line(
            &format!("instructors.{i}.name"),
            "The instructor's name",
            &ins.name,
            200,
        ));
        let quals = p.take(required(
            &format!("instructors.{i}.qualifications"),
            "The instructor's qualifications",
            &ins.qualifications,
            5_000,
        ));
        if let (Some(name), Some(quals)) = (name, quals) {
            instructors.push((name, quals));
        }
    }
    let mut coverage: Vec<(i64, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut unknown = Vec::new();
    for (i, c) in input.coverage.iter().enumerate() {
        let Some(competency) = set
            .competencies
            .iter()
            .find(|x| x.number == c.competency_number)
        else {
            unknown.push(c.competency_number);
            continue;
        };
        if !seen.insert(c.competency_number) {
            p.push(
                Violation::new(
                    "DUPLICATE_COMPETENCY",
                    format!(
                        "Competency {} is mapped twice; map each once.",
                        c.competency_number
                    ),
                )
                .on(format!("coverage.{i}")),
            );
            continue;
        }
        if let Some(content) = p.take(required(
            &format!("coverage.{i}.content"),
            &format!("What teaches competency {}", c.competency_number),
            &c.content,
            5_000,
        )) {
            coverage.push((competency.id, content));
        }
    }
    if !unknown.is_empty() {
        p.push(
            Violation::new(
                "UNKNOWN_COMPETENCY",
                format!(
                    "{} has no competency numbered {}.",
                    set.set.name,
                    join_numbers(&unknown)
                ),
            )
            .on("coverage"),
        );
    }
    p.into_result()?;

    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    if let Some(doc_id) = input.curriculum_document_id {
        documents::owned(&txn, actor, doc_id).await.map_err(|_| {
            DomainError::invalid(
                Violation::new(
                    "DOCUMENT_NOT_FOUND",
                    "Upload the curriculum first, then attach the document id you got back.",
                )
                .on("curriculumDocumentId"),
            )
        })?;
    }
    let (course, draft) = match input.course_id {
        None => {
            let provider_id = input.provider_id.ok_or_else(|| {
                DomainError::invalid(
                    Violation::new("REQUIRED", "Say which provider offers the course.")
                        .on("providerId"),
                )
            })?;
            providers::require_access(&txn, actor, provider_id).await?;
            if !viewer.is_staff()
                && !providers::is_member(&txn, viewer.account_id, provider_id).await?
            {
                return Err(DomainError::forbidden(
                    "Only the provider's members (or staff) submit its courses.",
                ));
            }
            let course = course::ActiveModel {
                provider_id: Set(provider_id),
                set_id: Set(set.set.id),
                title: Set(title.clone()),
                status: Set(CourseStatus::Draft),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            (course, None)
        }
        Some(id) => {
            let course = load_course(&txn, actor, id).await?;
            if !viewer.is_staff()
                && !providers::is_member(&txn, viewer.account_id, course.provider_id).await?
            {
                return Err(DomainError::forbidden(
                    "Only the provider's members (or staff) edit its courses.",
                ));
            }
            if course.set_id != set.set.id {
                return Err(DomainError::invalid(Violation::new(
                    "SET_FIXED",
                    "A course is approved for one set; to teach another set, submit a new course.",
                ).on("setCode")));
            }
            let latest = latest_submission(&txn, course.id).await?;
            let has_approval = last_approval(&txn, course.id).await?.is_some();
            let draft = match latest {
                Some(s) if s.status == SubmissionStatus::Draft => Some(s),
                Some(s) if s.status == SubmissionStatus::Submitted => {
                    return Err(DomainError::invalid(Violation::new(
                        "IN_REVIEW",
                        "This course is with the CRC; wait for its decision before editing.",
                    )));
                }
                Some(s) if s.status == SubmissionStatus::ChangesRequested => {
                    // The revision the CRC asked for: a new submission, same kind and fee.
                    Some(
                        new_submission(
                            &txn,
                            &course,
                            s.kind,
                            s.revision + 1,
                            s.fee_cents,
                            viewer.account_id,
                            now,
                        )
                        .await?,
                    )
                }
                Some(s) if s.status == SubmissionStatus::Rejected && !has_approval => {
                    return Err(DomainError::invalid(Violation::new(
                        "COURSE_REJECTED",
                        "The CRC rejected this course. To try again, submit it as a new course.",
                    )));
                }
                _ if has_approval => Some(
                    new_submission(
                        &txn,
                        &course,
                        SubmissionKind::Reapproval,
                        1,
                        None,
                        viewer.account_id,
                        now,
                    )
                    .await?,
                ),
                _ => Some(
                    new_submission(
                        &txn,
                        &course,
                        SubmissionKind::Initial,
                        1,
                        None,
                        viewer.account_id,
                        now,
                    )
                    .await?,
                ),
            };
            (course, draft)
        }
    };
    let draft = match draft {
        Some(d) => d,
        None => {
            new_submission(
                &txn,
                &course,
                SubmissionKind::Initial,
                1,
                None,
                viewer.account_id,
                now,
            )
            .await?
        }
    };
    let mut active: course_submission::ActiveModel = draft.into();
    active.title = Set(title.clone());
    active.description = Set(description);
    active.format = Set(input.format);
    active.delivery = Set(input.delivery);
    active.timing = Set(input.timing);
    active.duration = Set(duration);
    active.duration_hours = Set(input.duration_hours);
    active.curriculum_document_id = Set(input.curriculum_document_id);
    active.assessment_method = Set(assessment);
    active.updated_at = Set(now);
    let draft = active.update(&txn).await?;
    course_instructor::Entity::delete_many()
        .filter(course_instructor::Column::SubmissionId.eq(draft.id))
        .exec(&txn)
        .await?;
    for (i, (name, quals)) in instructors.into_iter().enumerate() {
        course_instructor::ActiveModel {
            submission_id: Set(draft.id),
            name: Set(name),
            qualifications: Set(quals),
            position: Set(i as i32 + 1),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    course_coverage::Entity::delete_many()
        .filter(course_coverage::Column::SubmissionId.eq(draft.id))
        .exec(&txn)
        .await?;
    for (competency_id, content) in coverage {
        course_coverage::ActiveModel {
            submission_id: Set(draft.id),
            competency_id: Set(competency_id),
            content: Set(content),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    if course.status == CourseStatus::Draft && course.title != title {
        let mut c: course::ActiveModel = course.clone().into();
        c.title = Set(title);
        c.updated_at = Set(now);
        c.update(&txn).await?;
    }
    AuditEntry::new("course.save_draft", "course_submission", draft.id)
        .after(submission_snapshot(&draft))
        .write(&txn, actor, now)
        .await?;
    let detail = detail_in(&txn, draft).await?;
    txn.commit().await?;
    Ok(detail)
}

async fn new_submission<C: ConnectionTrait>(
    db: &C,
    course: &course::Model,
    kind: SubmissionKind,
    revision: i32,
    fee_cents: Option<i64>,
    created_by: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<course_submission::Model> {
    Ok(course_submission::ActiveModel {
        course_id: Set(course.id),
        kind: Set(kind),
        revision: Set(revision),
        status: Set(SubmissionStatus::Draft),
        title: Set(course.title.clone()),
        description: Set(String::new()),
        format: Set(CourseFormat::Other),
        delivery: Set(Delivery::Online),
        timing: Set(Timing::Asynchronous),
        duration: Set(String::new()),
        duration_hours: Set(None),
        curriculum_document_id: Set(None),
        assessment_method: Set(String::new()),
        fee_cents: Set(fee_cents),
        submitted_at: Set(None),
        decided_at: Set(None),
        created_by: Set(Some(created_by)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

async fn detail_in<C: ConnectionTrait>(
    db: &C,
    submission: course_submission::Model,
) -> DomainResult<SubmissionDetail> {
    let course = course::Entity::find_by_id(submission.course_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("course"))?;
    let instructors = course_instructor::Entity::find()
        .filter(course_instructor::Column::SubmissionId.eq(submission.id))
        .order_by_asc(course_instructor::Column::Position)
        .all(db)
        .await?;
    let coverage = course_coverage::Entity::find()
        .filter(course_coverage::Column::SubmissionId.eq(submission.id))
        .order_by_asc(course_coverage::Column::CompetencyId)
        .all(db)
        .await?;
    let decisions = course_decision::Entity::find()
        .filter(course_decision::Column::SubmissionId.eq(submission.id))
        .order_by_asc(course_decision::Column::Id)
        .all(db)
        .await?;
    let paid_cents = paid_for(db, &submission).await?;
    Ok(SubmissionDetail {
        submission,
        course,
        instructors,
        coverage,
        decisions,
        paid_cents,
    })
}

/// What has been paid towards `submission`'s fee. A revision the CRC asked for carries the
/// fee of the submission it revises, so payments recorded against any revision of the same
/// cycle count: revisions are numbered from 1 in each cycle, so the cycle is the last
/// `revision` submissions of the course up to this one.
async fn paid_for<C: ConnectionTrait>(
    db: &C,
    submission: &course_submission::Model,
) -> DomainResult<i64> {
    let cycle: Vec<i64> = course_submission::Entity::find()
        .filter(course_submission::Column::CourseId.eq(submission.course_id))
        .filter(course_submission::Column::Id.lte(submission.id))
        .order_by_desc(course_submission::Column::Id)
        .limit(u64::try_from(Ord::max(submission.revision, 1)).unwrap_or(1))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    Ok(payment::Entity::find()
        .filter(payment::Column::CourseSubmissionId.is_in(cycle))
        .filter(payment::Column::Kind.eq(PaymentKind::CourseFee))
        .all(db)
        .await?
        .iter()
        .map(|p| p.amount_cents)
        .sum())
}

/// The fee a submission owes, from the provider's history: the course's rank among the
/// provider's courses, counted by when each was first submitted.
async fn assess_fee<C: ConnectionTrait>(
    ctx: &Context,
    db: &C,
    course: &course::Model,
    submission: &course_submission::Model,
) -> DomainResult<i64> {
    if let Some(fee) = submission.fee_cents {
        return Ok(fee);
    }
    let basis = match submission.kind {
        SubmissionKind::Reapproval => CourseFeeBasis::Reapproval,
        SubmissionKind::Initial => {
            let earlier = course_submission::Entity::find()
                .select_only()
                .column(course_submission::Column::CourseId)
                .distinct()
                .inner_join(course::Entity)
                .filter(course::Column::ProviderId.eq(course.provider_id))
                .filter(course_submission::Column::CourseId.ne(course.id))
                .filter(course_submission::Column::Kind.eq(SubmissionKind::Initial))
                .filter(course_submission::Column::SubmittedAt.is_not_null())
                .into_tuple::<i64>()
                .all(db)
                .await?
                .len();
            CourseFeeBasis::NewCourse {
                rank: earlier as u32 + 1,
            }
        }
    };
    Ok(course_fee(&ctx.config.fees, basis))
}

/// Submits a draft to the CRC. Refused, with every problem listed, if anything is
/// missing; in particular every competency of the set must be mapped to content.
pub async fn submit(
    ctx: &Context,
    actor: &Actor,
    submission_id: i64,
) -> DomainResult<SubmissionDetail> {
    let viewer = actor.viewer()?.clone();
    let catalogue = catalogue::get(ctx).await?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let submission = course_submission::Entity::find_by_id(submission_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("course submission"))?;
    // Told in the words a missing submission gets, so the answer cannot tell them apart.
    let course = load_course(&txn, actor, submission.course_id)
        .await
        .map_err(|e| match e {
            DomainError::NotFound(_) => DomainError::NotFound("course submission"),
            other => other,
        })?;
    if !viewer.is_staff()
        && !providers::is_member(&txn, viewer.account_id, course.provider_id).await?
    {
        return Err(DomainError::forbidden(
            "Only the provider's members (or staff) submit its courses.",
        ));
    }
    if submission.status != SubmissionStatus::Draft {
        return Err(DomainError::invalid(Violation::new(
            "NOT_A_DRAFT",
            "Only a draft can be submitted; this one already was.",
        )));
    }
    let detail = detail_in(&txn, submission).await?;
    let set = catalogue
        .set(course.set_id)
        .ok_or_else(|| DomainError::bug("course set missing from catalogue"))?;
    let mut p = Problems::default();
    let s = &detail.submission;
    for (field, label, value) in [
        ("title", "The title", &s.title),
        ("description", "The description", &s.description),
        ("duration", "The duration", &s.duration),
        (
            "assessmentMethod",
            "How learning is assessed",
            &s.assessment_method,
        ),
    ] {
        if value.trim().is_empty() {
            p.push(Violation::new("REQUIRED", format!("{label} is required to submit.")).on(field));
        }
    }
    if s.curriculum_document_id.is_none() {
        p.push(
            Violation::new("REQUIRED", "Attach the curriculum document to submit.")
                .on("curriculumDocumentId"),
        );
    }
    if detail.instructors.is_empty() {
        p.push(
            Violation::new(
                "REQUIRED",
                "Name at least one instructor and their qualifications.",
            )
            .on("instructors"),
        );
    }
    let covered: BTreeSet<i64> = detail.coverage.iter().map(|c| c.competency_id).collect();
    let missing: Vec<i32> = set
        .competencies
        .iter()
        .filter(|c| !covered.contains(&c.id))
        .map(|c| c.number)
        .collect();
    if !missing.is_empty() {
        p.push(Violation::new(
            "MISSING_COMPETENCIES",
            format!(
                "An approved course must teach the whole set. Map {} {} of {} to the content that teaches {}.",
                if missing.len() == 1 { "competency" } else { "competencies" },
                join_numbers(&missing),
                set.set.name,
                if missing.len() == 1 { "it" } else { "them" },
            ),
        ).on("coverage"));
    }
    p.into_result()?;
    let fee = assess_fee(ctx, &txn, &course, &detail.submission).await?;
    let mut active: course_submission::ActiveModel = detail.submission.clone().into();
    active.status = Set(SubmissionStatus::Submitted);
    active.submitted_at = Set(Some(now));
    active.fee_cents = Set(Some(fee));
    active.updated_at = Set(now);
    let submitted = active.update(&txn).await?;
    if course.status != CourseStatus::Approved {
        let mut c: course::ActiveModel = course.clone().into();
        c.status = Set(CourseStatus::InReview);
        c.updated_at = Set(now);
        c.update(&txn).await?;
    }
    let provider = provider::Entity::find_by_id(course.provider_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("provider"))?;
    let paid = detail.paid_cents;
    notify_provider(
        &txn,
        ctx,
        &provider,
        EmailTemplate::CourseSubmitted,
        &format!("course_submitted:{}", submitted.id),
        json!({
            "course_title": submitted.title,
            "set_name": set.set.name,
            "kind": submitted.kind,
            "revision": submitted.revision,
            "fee": dollars(fee),
            "fee_due": dollars(std::cmp::max(fee - paid, 0)),
        }),
    )
    .await?;
    AuditEntry::new("course.submit", "course_submission", submitted.id)
        .before(submission_snapshot(&detail.submission))
        .after(submission_snapshot(&submitted))
        .write(&txn, actor, now)
        .await?;
    let detail = detail_in(&txn, submitted).await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(detail)
}

/// Queues `template` to everyone at the provider, one email per address.
pub(crate) async fn notify_provider<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    provider: &provider::Model,
    template: EmailTemplate,
    key: &str,
    mut params: serde_json::Value,
) -> DomainResult<()> {
    if let Some(obj) = params.as_object_mut() {
        obj.insert("provider_name".into(), json!(provider.name));
    }
    for (email, name, account_id) in providers::recipients(db, provider).await? {
        let mut p = params.clone();
        if let Some(obj) = p.as_object_mut() {
            obj.insert("name".into(), json!(name));
        }
        outbox::queue_email(
            db,
            ctx.now(),
            Email {
                key: format!("{key}:{email}"),
                account_id,
                to: email,
                to_name: Some(name),
                template,
                params: p,
                secret: None,
                batch_id: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// The CRC's decision on a submitted course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    RequestChanges,
}

/// Records the CRC's decision, with reasons, and tells the provider. Approval needs the
/// fee paid; it opens a three-year period, which for a re-approval granted in time starts
/// when the current one ends.
pub async fn decide(
    ctx: &Context,
    actor: &Actor,
    submission_id: i64,
    decision: Decision,
    reasons: &str,
) -> DomainResult<SubmissionDetail> {
    let viewer = actor.viewer()?;
    if !decides_courses(viewer) {
        return Err(DomainError::forbidden(
            "Only the CRC (or a program officer) decides on courses.",
        ));
    }
    let reasons = required("reasons", "The reasons for the decision", reasons, 20_000)?;
    let catalogue = catalogue::get(ctx).await?;
    let now = ctx.now();
    let today = ctx.today();
    let txn = ctx.begin_write().await?;
    let submission = course_submission::Entity::find_by_id(submission_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("course submission"))?;
    if submission.status != SubmissionStatus::Submitted {
        return Err(DomainError::invalid(Violation::new(
            "NOT_IN_REVIEW",
            "Only a submitted course awaiting a decision can be decided.",
        )));
    }
    let course = course::Entity::find_by_id(submission.course_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("course"))?;
    let fee = submission.fee_cents.unwrap_or(0);
    let paid = paid_for(&txn, &submission).await?;
    let current = approval_on(&txn, course.id, today).await?;
    let (status, kind) = match decision {
        Decision::Approve => (SubmissionStatus::Approved, CourseDecisionKind::Approved),
        Decision::Reject => (SubmissionStatus::Rejected, CourseDecisionKind::Rejected),
        Decision::RequestChanges => (
            SubmissionStatus::ChangesRequested,
            CourseDecisionKind::ChangesRequested,
        ),
    };
    let mut period = None;
    if decision == Decision::Approve {
        if paid < fee {
            return Err(DomainError::invalid(Violation::new(
                "FEE_UNPAID",
                format!(
                    "The approval fee of {} is not paid yet ({} recorded). Staff record the payment first.",
                    dollars(fee),
                    dollars(paid)
                ),
            )));
        }
        let last = last_approval(&txn, course.id).await?;
        let starts_on = match (&current, &last) {
            (Some(_), Some(last)) if last.expires_on > today => last.expires_on,
            _ => today,
        };
        let expires_on = add_years(starts_on, ctx.config.courses.approval_years);
        period = Some(
            course_approval::ActiveModel {
                course_id: Set(course.id),
                submission_id: Set(submission.id),
                starts_on: Set(starts_on),
                expires_on: Set(expires_on),
                expired_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?,
        );
    }
    let mut active: course_submission::ActiveModel = submission.clone().into();
    active.status = Set(status);
    active.decided_at = Set(Some(now));
    active.updated_at = Set(now);
    let decided = active.update(&txn).await?;
    course_decision::ActiveModel {
        submission_id: Set(decided.id),
        decision: Set(kind),
        reasons: Set(reasons.clone()),
        decided_by: Set(viewer.account_id),
        decided_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let course_status = match decision {
        Decision::Approve => CourseStatus::Approved,
        _ if current.is_some() => CourseStatus::Approved,
        Decision::Reject => CourseStatus::Rejected,
        Decision::RequestChanges => CourseStatus::InReview,
    };
    let mut c: course::ActiveModel = course.clone().into();
    c.status = Set(course_status);
    if decision == Decision::Approve {
        c.title = Set(decided.title.clone());
    }
    c.updated_at = Set(now);
    c.update(&txn).await?;
    let provider = provider::Entity::find_by_id(course.provider_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("provider"))?;
    let set_name = catalogue
        .set(course.set_id)
        .map(|s| s.set.name.clone())
        .unwrap_or_default();
    notify_provider(
        &txn,
        ctx,
        &provider,
        EmailTemplate::CourseDecision,
        &format!("course_decision:{}", decided.id),
        json!({
            "course_title": decided.title,
            "set_name": set_name,
            "decision": kind,
            "reasons": reasons,
            "starts_on": period.as_ref().map(|p| p.starts_on.to_string()),
            "expires_on": period.as_ref().map(|p| p.expires_on.to_string()),
        }),
    )
    .await?;
    AuditEntry::new("course.decide", "course_submission", decided.id)
        .before(submission_snapshot(&submission))
        .after(json!({
            "decision": kind, "reasons": reasons,
            "period": period.as_ref().map(|p| json!({ "startsOn": p.starts_on, "expiresOn": p.expires_on })),
        }))
        .write(&txn, actor, now)
        .await?;
    let detail = detail_in(&txn, decided).await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(detail)
}

/// One submission the caller may see (its provider's members, staff, the CRC).
pub async fn submission(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<SubmissionDetail> {
    actor.require_signed_in()?;
    let submission = course_submission::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("course submission"))?;
    load_course(&ctx.db, actor, submission.course_id)
        .await
        .map_err(|e| match e {
            DomainError::NotFound(_) => DomainError::NotFound("course submission"),
            other => other,
        })?;
    detail_in(&ctx.db, submission).await
}

/// One course the caller may see, with its submissions (newest first) and approval periods.
pub async fn course(
    ctx: &Context,
    actor: &Actor,
    id: i64,
) -> DomainResult<(
    course::Model,
    Vec<course_submission::Model>,
    Vec<course_approval::Model>,
)> {
    let course = load_course(&ctx.db, actor, id).await?;
    let submissions = course_submission::Entity::find()
        .filter(course_submission::Column::CourseId.eq(id))
        .order_by_desc(course_submission::Column::Id)
        .all(&ctx.db)
        .await?;
    let approvals = course_approval::Entity::find()
        .filter(course_approval::Column::CourseId.eq(id))
        .order_by_asc(course_approval::Column::StartsOn)
        .all(&ctx.db)
        .await?;
    Ok((course, submissions, approvals))
}

/// Courses the caller may see, newest first: a provider's members see their providers'
/// courses; staff and the CRC see all.
pub async fn courses(
    ctx: &Context,
    actor: &Actor,
    provider_id: Option<i64>,
    status: Option<CourseStatus>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<course::Model>> {
    let viewer = actor.viewer()?;
    let mut q = course::Entity::find().order_by_desc(course::Column::Id);
    if !providers::oversees_providers(viewer) {
        let mine: Vec<i64> = provider_member::Entity::find()
            .filter(provider_member::Column::AccountId.eq(viewer.account_id))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|m| m.provider_id)
            .collect();
        q = q.filter(course::Column::ProviderId.is_in(mine));
    }
    if let Some(p) = provider_id {
        q = q.filter(course::Column::ProviderId.eq(p));
    }
    if let Some(s) = status {
        q = q.filter(course::Column::Status.eq(s));
    }
    if let Some(after) = after_id {
        q = q.filter(course::Column::Id.lt(after));
    }
    Ok(q.limit(limit).all(&ctx.db).await?)
}

/// Submissions awaiting (or past) a decision, oldest first within a status, for the CRC
/// and staff; members see their own providers' submissions.
pub async fn submissions(
    ctx: &Context,
    actor: &Actor,
    status: Option<SubmissionStatus>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<course_submission::Model>> {
    let viewer = actor.viewer()?;
    let mut q = course_submission::Entity::find().order_by_desc(course_submission::Column::Id);
    if !providers::oversees_providers(viewer) {
        let mine: Vec<i64> = provider_member::Entity::find()
            .filter(provider_member::Column::AccountId.eq(viewer.account_id))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|m| m.provider_id)
            .collect();
        q = q
            .inner_join(course::Entity)
            .filter(course::Column::ProviderId.is_in(mine));
    }
    if let Some(s) = status {
        q = q.filter(course_submission::Column::Status.eq(s));
    }
    if let Some(after) = after_id {
        q = q.filter(course_submission::Column::Id.lt(after));
    }
    Ok(q.limit(limit).all(&ctx.db).await?)
}

/// The public list: courses approved today, with their provider, the current approval
/// period and the submission it approved. Newest course first.
pub async fn approved_courses(
    ctx: &Context,
    filter: &ApprovedFilter,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<ApprovedCourse>> {
    let today = ctx.today();
    let catalogue = catalogue::get(ctx).await?;
    let mut q = course_approval::Entity::find()
        .filter(course_approval::Column::StartsOn.lte(today))
        .filter(course_approval::Column::ExpiresOn.gt(today))
        .inner_join(course::Entity)
        .join(
            sea_orm::JoinType::InnerJoin,
            course::Relation::Provider.def(),
        )
        .order_by_desc(course_approval::Column::CourseId);
    if let Some(code) = &filter.set_code {
        let set_id = catalogue.by_code(code).map(|s| s.set.id).unwrap_or(-1);
        q = q.filter(course::Column::SetId.eq(set_id));
    }
    if let Some(p) = filter.provider_id {
        q = q.filter(course::Column::ProviderId.eq(p));
    }
    if let Some(state) = filter
        .provider_state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        q = q.filter(provider::Column::State.eq(state.to_uppercase()));
    }
    if filter.delivery.is_some() || filter.timing.is_some() || filter.search.is_some() {
        let mut sub = Query::select()
            .column(course_submission::Column::Id)
            .from(course_submission::Entity)
            .to_owned();
        if let Some(d) = filter.delivery {
            sub.and_where(Expr::col(course_submission::Column::Delivery).eq(d));
        }
        if let Some(t) = filter.timing {
            sub.and_where(Expr::col(course_submission::Column::Timing).eq(t));
        }
        if let Some(s) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            sub.cond_where(
                Condition::any()
                    .add(crate::services::search::contains(
                        course_submission::Column::Title,
                        s,
                    ))
                    .add(crate::services::search::contains(
                        course_submission::Column::Description,
                        s,
                    )),
            );
        }
        q = q.filter(course_approval::Column::SubmissionId.in_subquery(sub));
    }
    if let Some(after) = after_id {
        q = q.filter(course_approval::Column::CourseId.lt(after));
    }
    let submission = course_approval::Entity::belongs_to(course_submission::Entity)
        .from(course_approval::Column::SubmissionId)
        .to(course_submission::Column::Id)
        .into();
    let q = q.join(sea_orm::JoinType::InnerJoin, submission);
    let q = with_prefixed_columns::<course::Entity, _>(q, "c_");
    let q = with_prefixed_columns::<provider::Entity, _>(q, "p_");
    let q = PublicSubmission::COLUMNS
        .into_iter()
        .fold(q, |q, col| q.column(col));
    Ok(q.limit(limit)
        .into_model::<ApprovedRow>()
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|r| ApprovedCourse {
            course: r.course,
            provider: r.provider,
            approval: r.approval,
            submission: r.submission,
        })
        .collect())
}

/// One line of the public list, read in one statement: the approval's own columns, the
/// course's and provider's under their prefixes, then the submission's public ones.
#[derive(Debug, FromQueryResult)]
struct ApprovedRow {
    #[sea_orm(nested)]
    approval: course_approval::Model,
    #[sea_orm(nested(prefix = "c_"))]
    course: course::Model,
    #[sea_orm(nested(prefix = "p_"))]
    provider: provider::Model,
    #[sea_orm(nested)]
    submission: PublicSubmission,
}

/// `q` also selecting every column of the joined entity `F`, each named `prefix` + column.
fn with_prefixed_columns<F: EntityTrait, S: QuerySelect>(mut q: S, prefix: &str) -> S {
    use sea_orm::{ColumnTrait as _, IdenStatic, Iterable};
    for col in F::Column::iter() {
        q = q.column_as(
            col.select_as(col.into_expr()),
            format!("{prefix}{}", col.as_str()),
        );
    }
    q
}

/// The public list of providers: those with at least one course approved today.
pub async fn approved_providers(
    ctx: &Context,
    state: Option<&str>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<provider::Model>> {
    let today = ctx.today();
    let with_approved = Query::select()
        .column((course::Entity, course::Column::ProviderId))
        .from(course_approval::Entity)
        .inner_join(
            course::Entity,
            Expr::col((course::Entity, course::Column::Id))
                .equals((course_approval::Entity, course_approval::Column::CourseId)),
        )
        .and_where(
            Expr::col((course_approval::Entity, course_approval::Column::StartsOn)).lte(today),
        )
        .and_where(
            Expr::col((course_approval::Entity, course_approval::Column::ExpiresOn)).gt(today),
        )
        .to_owned();
    let mut q = provider::Entity::find()
        .filter(provider::Column::Id.in_subquery(with_approved))
        .order_by_desc(provider::Column::Id);
    if let Some(s) = state.map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(provider::Column::State.eq(s.to_uppercase()));
    }
    if let Some(after) = after_id {
        q = q.filter(provider::Column::Id.lt(after));
    }
    Ok(q.limit(limit).all(&ctx.db).await?)
}

/// Records that a course's fee was paid, for [`crate::services::payments`].
pub(crate) async fn fee_target<C: ConnectionTrait>(
    db: &C,
    submission_id: i64,
) -> DomainResult<(course_submission::Model, provider::Model)> {
    let submission = course_submission::Entity::find_by_id(submission_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("course submission"))?;
    let course = course::Entity::find_by_id(submission.course_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("course"))?;
    let provider = provider::Entity::find_by_id(course.provider_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("provider"))?;
    Ok((submission, provider))
}
