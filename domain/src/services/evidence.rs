//! Course-completion evidence: the candidate sends in an official document; staff verify
//! it (which records the achievement) or reject it with a reason.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::text::required;
use crate::services::achievements::{self, Proof, Recorded};
use crate::services::{catalogue, courses, documents};
use chrono::NaiveDate;
use entity::achievement;
use entity::candidacy::{self, CandidacyStatus};
use entity::course_completion::{self, CompletionStatus};
use entity::document::DocumentPurpose;
use entity::{application, course};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

/// The candidacy of the signed-in candidate.
pub async fn own_candidacy<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> DomainResult<candidacy::Model> {
    let viewer = actor.viewer()?;
    candidacy::Entity::find()
        .filter(candidacy::Column::AccountId.eq(viewer.account_id))
        .order_by_desc(candidacy::Column::Id)
        .one(db)
        .await?
        .ok_or_else(not_a_candidate)
}

/// Why an actor without a candidacy cannot do what only a candidate can.
pub(crate) fn not_a_candidate() -> DomainError {
    DomainError::invalid(Violation::new(
        "NOT_A_CANDIDATE",
        "You are not a candidate yet: apply, and once you are eligible and have paid, your candidacy starts.",
    ))
}

/// Sends in evidence of completing an approved course. The course's set is the set it
/// counts for; the document must be one the candidate uploaded.
pub async fn submit(
    ctx: &Context,
    actor: &Actor,
    course_id: i64,
    completed_on: NaiveDate,
    document_id: i64,
) -> DomainResult<course_completion::Model> {
    let now = ctx.now();
    if completed_on > ctx.today() {
        return Err(DomainError::invalid(
            Violation::new(
                "FUTURE_DATE",
                "The completion date cannot be in the future.",
            )
            .on("completedOn"),
        ));
    }
    let txn = ctx.begin_write().await?;
    let candidacy = own_candidacy(&txn, actor).await?;
    if candidacy.status != CandidacyStatus::Active {
        return Err(DomainError::invalid(Violation::new(
            "CANDIDACY_NOT_ACTIVE",
            "Your candidacy is not active, so no more evidence can be recorded.",
        )));
    }
    let course = course::Entity::find_by_id(course_id)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            DomainError::invalid(
                Violation::new("UNKNOWN_COURSE", "There is no such course.").on("courseId"),
            )
        })?;
    let doc = documents::owned(&txn, actor, document_id)
        .await
        .map_err(|_| {
            DomainError::invalid(
                Violation::new(
                    "DOCUMENT_NOT_FOUND",
                    "Upload the official completion document first, then give its id.",
                )
                .on("documentId"),
            )
        })?;
    if doc.purpose != DocumentPurpose::CourseCompletion {
        return Err(DomainError::invalid(
            Violation::new(
                "WRONG_DOCUMENT",
                "Upload the document with the purpose COURSE_COMPLETION.",
            )
            .on("documentId"),
        ));
    }
    let achieved = achievement::Entity::find()
        .filter(achievement::Column::CandidacyId.eq(candidacy.id))
        .filter(achievement::Column::SetId.eq(course.set_id))
        .one(&txn)
        .await?;
    if achieved.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_ACHIEVED",
            "You have already achieved this course's competency set.",
        )));
    }
    let pending = course_completion::Entity::find()
        .filter(course_completion::Column::CandidacyId.eq(candidacy.id))
        .filter(course_completion::Column::SetId.eq(course.set_id))
        .filter(course_completion::Column::Status.eq(CompletionStatus::Submitted))
        .one(&txn)
        .await?;
    if pending.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_SUBMITTED",
            "Evidence for this set is already waiting for staff to verify it.",
        )));
    }
    let row = course_completion::ActiveModel {
        candidacy_id: Set(candidacy.id),
        course_id: Set(course.id),
        set_id: Set(course.set_id),
        completed_on: Set(completed_on),
        document_id: Set(doc.id),
        status: Set(CompletionStatus::Submitted),
        decision_reason: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        submitted_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    AuditEntry::new("course_completion.submit", "course_completion", row.id)
        .after(json!({ "courseId": course.id, "setId": course.set_id, "completedOn": completed_on, "documentId": doc.id }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    Ok(row)
}

async fn pending<C: ConnectionTrait>(db: &C, id: i64) -> DomainResult<course_completion::Model> {
    let row = course_completion::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("course completion"))?;
    if row.status != CompletionStatus::Submitted {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_DECIDED",
            "This evidence has already been verified or rejected.",
        )));
    }
    Ok(row)
}

/// Verifies evidence: the course must have been approved for the set on the completion
/// date. Records the achievement (and the certificate, if it was the last set needed).
pub async fn verify(
    ctx: &Context,
    actor: &Actor,
    id: i64,
) -> DomainResult<(course_completion::Model, Recorded)> {
    let viewer = actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("Staff verify evidence."))?
        .clone();
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let row = pending(&txn, id).await?;
    if !courses::approved_on(&txn, row.course_id, row.set_id, row.completed_on).await? {
        let catalogue = catalogue::get(ctx).await?;
        let set = catalogue
            .set(row.set_id)
            .map(|s| s.set.name.clone())
            .unwrap_or_default();
        return Err(DomainError::invalid(Violation::new(
            "COURSE_NOT_APPROVED_ON_DATE",
            format!(
                "The course was not approved for {set} on {}, the completion date, so it cannot count. Reject the evidence with that reason.",
                row.completed_on.format("%-d %B %Y")
            ),
        )));
    }
    let candidacy = candidacy::Entity::find_by_id(row.candidacy_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("candidacy"))?;
    let mut am: course_completion::ActiveModel = row.clone().into();
    am.status = Set(CompletionStatus::Verified);
    am.decided_by = Set(Some(viewer.account_id));
    am.decided_at = Set(Some(now));
    let verified = am.update(&txn).await?;
    AuditEntry::new("course_completion.verify", "course_completion", id)
        .before(json!({ "status": row.status }))
        .after(json!({ "status": verified.status }))
        .write(&txn, actor, now)
        .await?;
    let recorded = achievements::record(
        &txn,
        ctx,
        actor,
        &candidacy,
        row.set_id,
        Proof::Course {
            completion_id: row.id,
        },
        row.completed_on,
    )
    .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok((verified, recorded))
}

/// Rejects evidence with a reason the candidate is told.
pub async fn reject(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> DomainResult<course_completion::Model> {
    let viewer = actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("Staff verify evidence."))?
        .clone();
    let reason = required("reason", "The reason", reason, 5_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let row = pending(&txn, id).await?;
    let mut am: course_completion::ActiveModel = row.clone().into();
    am.status = Set(CompletionStatus::Rejected);
    am.decision_reason = Set(Some(reason.clone()));
    am.decided_by = Set(Some(viewer.account_id));
    am.decided_at = Set(Some(now));
    let rejected = am.update(&txn).await?;
    let candidacy = candidacy::Entity::find_by_id(row.candidacy_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("candidacy"))?;
    let app = application::Entity::find_by_id(candidacy.application_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("application"))?;
    let course = course::Entity::find_by_id(row.course_id).one(&txn).await?;
    outbox::queue_email(
        &txn,
        now,
        Email {
            key: format!("completion_rejected:{}", rejected.id),
            account_id: Some(candidacy.account_id),
            to: app.email.clone(),
            to_name: Some(app.given_name.clone()),
            template: EmailTemplate::CompletionRejected,
            params: json!({
                "name": app.given_name,
                "course_title": course.map(|c| c.title).unwrap_or_default(),
                "completed_on": row.completed_on.to_string(),
                "reason": reason,
            }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("course_completion.reject", "course_completion", id)
        .before(json!({ "status": row.status }))
        .after(json!({ "status": rejected.status, "reason": rejected.decision_reason }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(rejected)
}

/// Evidence for staff to work through, oldest first, optionally of one status.
pub async fn queue(
    ctx: &Context,
    actor: &Actor,
    status: Option<CompletionStatus>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<course_completion::Model>> {
    actor.require_staff()?;
    let mut q = course_completion::Entity::find().order_by_asc(course_completion::Column::Id);
    if let Some(s) = status {
        q = q.filter(course_completion::Column::Status.eq(s));
    }
    if let Some(after) = after_id {
        q = q.filter(course_completion::Column::Id.gt(after));
    }
    Ok(q.limit(limit).all(&ctx.db).await?)
}
