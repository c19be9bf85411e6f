//! Portfolio evaluators: applying, the CRC's acceptance, training, expertise, capacity,
//! availability and declared conflicts. Any change that could let a waiting round be
//! staffed queues a new assignment run.

use crate::actor::{Actor, Viewer};
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::error::{DomainError, DomainResult, Violation};
use crate::rules::email_address::EmailAddress;
use crate::rules::text::{Problems, normalised_key, required, single_line, single_line_optional};
use crate::services::{accounts, assignment, catalogue};
use chrono::NaiveDate;
use entity::account_role::Role;
use entity::evaluator::{self, EvaluatorStatus};
use entity::{application, candidacy, evaluator_conflict, evaluator_expertise};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

/// An application to evaluate portfolios.
#[derive(Debug, Clone)]
pub struct EvaluatorApplication {
    pub qualifications: String,
    pub employer: String,
    pub institution: Option<String>,
    pub state: String,
    /// Codes of the sets the applicant knows.
    pub set_codes: Vec<String>,
}

/// An evaluator with their expertise.
#[derive(Debug, Clone)]
pub struct EvaluatorDetail {
    pub evaluator: evaluator::Model,
    pub set_ids: Vec<i64>,
}

/// The default number of reviews an evaluator has open at once.
const DEFAULT_CAPACITY: i32 = 3;

fn snapshot(e: &evaluator::Model) -> serde_json::Value {
    json!({
        "status": e.status, "employer": e.employer, "institution": e.institution,
        "capacity": e.capacity, "pausedUntil": e.paused_until,
        "trainingCompletedOn": e.training_completed_on,
    })
}

async fn expertise<C: ConnectionTrait>(db: &C, evaluator_id: i64) -> DomainResult<Vec<i64>> {
    Ok(evaluator_expertise::Entity::find()
        .select_only()
        .column(evaluator_expertise::Column::SetId)
        .filter(evaluator_expertise::Column::EvaluatorId.eq(evaluator_id))
        .into_tuple()
        .all(db)
        .await?)
}

async fn set_ids(ctx: &Context, codes: &[String]) -> DomainResult<Vec<i64>> {
    let cat = catalogue::get(ctx).await?;
    let mut ids = Vec::new();
    for code in codes {
        let set = cat.by_code(code).ok_or_else(|| {
            DomainError::invalid(
                Violation::new("UNKNOWN_SET", format!("There is no competency set {code}."))
                    .on("setCodes"),
            )
        })?;
        if !ids.contains(&set.set.id) {
            ids.push(set.set.id);
        }
    }
    Ok(ids)
}

async fn replace_expertise<C: ConnectionTrait>(
    db: &C,
    evaluator_id: i64,
    set_ids: &[i64],
) -> DomainResult<()> {
    evaluator_expertise::Entity::delete_many()
        .filter(evaluator_expertise::Column::EvaluatorId.eq(evaluator_id))
        .exec(db)
        .await?;
    for set_id in set_ids {
        evaluator_expertise::ActiveModel {
            evaluator_id: Set(evaluator_id),
            set_id: Set(*set_id),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The CRC selects evaluators; officers may too.
fn selects_evaluators(v: &Viewer) -> bool {
    v.has_any(&[Role::CrcMember, Role::ProgramOfficer])
}

/// Applies to be an evaluator. Anyone signed in with a verified address; one application
/// per account.
pub async fn apply(
    ctx: &Context,
    actor: &Actor,
    input: EvaluatorApplication,
) -> DomainResult<EvaluatorDetail> {
    let viewer = actor.viewer()?.clone();
    let mut p = Problems::default();
    let quals = p.take(required(
        "qualifications",
        "Your qualifications",
        &input.qualifications,
        10_000,
    ));
    let employer = p.take(single_line(
        "employer",
        "Your employer or institution",
        &input.employer,
        200,
    ));
    let institution = p.take(single_line_optional(
        "institution",
        "Your institution",
        input.institution.as_deref(),
        200,
    ));
    let state = p.take(single_line("state", "Your state", &input.state, 50));
    if input.set_codes.is_empty() {
        p.push(
            Violation::new("REQUIRED", "Name at least one competency set you know.").on("setCodes"),
        );
    }
    p.into_result()?;
    let (Some(quals), Some(employer), Some(institution), Some(state)) =
        (quals, employer, institution, state)
    else {
        return Err(DomainError::bug(
            "evaluator application checked without values",
        ));
    };
    let sets = set_ids(ctx, &input.set_codes).await?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let exists = evaluator::Entity::find()
        .filter(evaluator::Column::AccountId.eq(viewer.account_id))
        .one(&txn)
        .await?;
    if exists.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_APPLIED",
            "You have already applied to be an evaluator.",
        )));
    }
    let e = evaluator::ActiveModel {
        account_id: Set(viewer.account_id),
        status: Set(EvaluatorStatus::Applied),
        qualifications: Set(quals),
        employer_key: Set(normalised_key(&employer)),
        employer: Set(employer),
        institution_key: Set(institution.as_deref().map(normalised_key)),
        institution: Set(institution),
        state: Set(state.to_uppercase()),
        capacity: Set(DEFAULT_CAPACITY),
        paused_until: Set(None),
        training_completed_on: Set(None),
        applied_at: Set(now),
        decided_at: Set(None),
        decided_by: Set(None),
        decision_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_expertise(&txn, e.id, &sets).await?;
    AuditEntry::new("evaluator.apply", "evaluator", e.id)
        .after(json!({ "employer": e.employer, "sets": sets }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    Ok(EvaluatorDetail {
        evaluator: e,
        set_ids: sets,
    })
}

/// Loads an evaluator the caller may see: themself, staff or the CRC.
pub async fn get(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<EvaluatorDetail> {
    let viewer = actor.viewer()?;
    let e = evaluator::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("evaluator"))?;
    if e.account_id != viewer.account_id && !viewer.is_staff_or_crc() {
        return Err(DomainError::NotFound("evaluator"));
    }
    let set_ids = expertise(&ctx.db, e.id).await?;
    Ok(EvaluatorDetail {
        evaluator: e,
        set_ids,
    })
}

/// The caller's own evaluator record, if any.
pub async fn mine<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> DomainResult<Option<evaluator::Model>> {
    let viewer = actor.viewer()?;
    Ok(evaluator::Entity::find()
        .filter(evaluator::Column::AccountId.eq(viewer.account_id))
        .one(db)
        .await?)
}

/// Evaluators for staff and the CRC, newest first, optionally of one status.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    status: Option<EvaluatorStatus>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<EvaluatorDetail>> {
    let viewer = actor.viewer()?;
    if !viewer.is_staff_or_crc() {
        return Err(DomainError::forbidden(
            "Staff and the CRC see the evaluators.",
        ));
    }
    let mut q = evaluator::Entity::find().order_by_desc(evaluator::Column::Id);
    if let Some(s) = status {
        q = q.filter(evaluator::Column::Status.eq(s));
    }
    if let Some(after) = after_id {
        q = q.filter(evaluator::Column::Id.lt(after));
    }
    let rows = q.limit(limit).all(&ctx.db).await?;
    let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
    let mut sets = std::collections::HashMap::<i64, Vec<i64>>::new();
    for x in evaluator_expertise::Entity::find()
        .filter(evaluator_expertise::Column::EvaluatorId.is_in(ids))
        .all(&ctx.db)
        .await?
    {
        sets.entry(x.evaluator_id).or_default().push(x.set_id);
    }
    Ok(rows
        .into_iter()
        .map(|e| EvaluatorDetail {
            set_ids: sets.remove(&e.id).unwrap_or_default(),
            evaluator: e,
        })
        .collect())
}

/// The CRC accepts or declines an application, with a reason. Accepting grants the
/// evaluator role.
pub async fn decide(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    accept: bool,
    reason: &str,
) -> DomainResult<EvaluatorDetail> {
    let viewer = actor.viewer()?.clone();
    if !selects_evaluators(&viewer) {
        return Err(DomainError::forbidden("The CRC selects evaluators."));
    }
    let reason = required("reason", "The reason", reason, 5_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let e = evaluator::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("evaluator"))?;
    if e.status != EvaluatorStatus::Applied {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_DECIDED",
            "This application has already been decided.",
        )));
    }
    let before = snapshot(&e);
    let mut am: evaluator::ActiveModel = e.clone().into();
    am.status = Set(if accept {
        EvaluatorStatus::Active
    } else {
        EvaluatorStatus::Declined
    });
    am.decided_at = Set(Some(now));
    am.decided_by = Set(Some(viewer.account_id));
    am.decision_reason = Set(Some(reason));
    am.updated_at = Set(now);
    let decided = am.update(&txn).await?;
    if accept {
        accounts::add_role(&txn, actor, decided.account_id, Role::Evaluator, now).await?;
        assignment::request_run(&txn, ctx, "evaluator accepted").await?;
    }
    AuditEntry::new("evaluator.decide", "evaluator", id)
        .before(before)
        .after(snapshot(&decided))
        .write(&txn, actor, now)
        .await?;
    let set_ids = expertise(&txn, id).await?;
    txn.commit().await?;
    if accept {
        ctx.sessions().forget_account(decided.account_id);
    }
    ctx.outbox_written();
    Ok(EvaluatorDetail {
        evaluator: decided,
        set_ids,
    })
}

/// Records that an evaluator completed the portfolio-assessment training. Staff only.
pub async fn record_training(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    completed_on: NaiveDate,
) -> DomainResult<EvaluatorDetail> {
    actor.require_staff()?;
    if completed_on > ctx.today() {
        return Err(DomainError::invalid(
            Violation::new("FUTURE_DATE", "Training cannot be completed in the future.")
                .on("completedOn"),
        ));
    }
    update(ctx, actor, id, "evaluator.record_training", |am| {
        am.training_completed_on = Set(Some(completed_on));
        Ok(())
    })
    .await
}

/// Changes of an evaluator's own settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Open reviews at once, 1 to 20.
    pub capacity: Option<i32>,
    /// Not available for new reviews until this day; `Some(None)` clears a pause.
    pub paused_until: Option<Option<NaiveDate>>,
}

/// Changes an evaluator's capacity or availability: the evaluator themself, or staff and
/// the CRC. Expertise is not a setting: the CRC grants it ([`set_expertise`]).
pub async fn configure(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    settings: Settings,
) -> DomainResult<EvaluatorDetail> {
    if let Some(c) = settings.capacity
        && !(1..=20).contains(&c)
    {
        return Err(DomainError::invalid(
            Violation::new(
                "OUT_OF_RANGE",
                "Capacity must be between 1 and 20 open reviews.",
            )
            .on("capacity"),
        ));
    }
    update(ctx, actor, id, "evaluator.configure", |am| {
        if let Some(c) = settings.capacity {
            am.capacity = Set(c);
        }
        if let Some(p) = settings.paused_until {
            am.paused_until = Set(p);
        }
        Ok(())
    })
    .await
}

/// Replaces the sets an evaluator may assess. The CRC (or an officer): expertise decides
/// which candidates' portfolios an evaluator reads, so it is granted, never claimed. The
/// sets named when applying stand only once the CRC accepts the application.
pub async fn set_expertise(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    codes: &[String],
) -> DomainResult<EvaluatorDetail> {
    let viewer = actor.viewer()?.clone();
    if !selects_evaluators(&viewer) {
        return Err(DomainError::forbidden(
            "The CRC decides which sets an evaluator assesses.",
        ));
    }
    if codes.is_empty() {
        return Err(DomainError::invalid(
            Violation::new("REQUIRED", "Keep at least one set of expertise.").on("setCodes"),
        ));
    }
    let sets = set_ids(ctx, codes).await?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let e = evaluator::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("evaluator"))?;
    let before = expertise(&txn, id).await?;
    replace_expertise(&txn, id, &sets).await?;
    AuditEntry::new("evaluator.set_expertise", "evaluator", id)
        .before(json!({ "sets": before }))
        .after(json!({ "sets": sets }))
        .write(&txn, actor, now)
        .await?;
    assignment::request_run(&txn, ctx, "evaluator expertise changed").await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(EvaluatorDetail {
        evaluator: e,
        set_ids: sets,
    })
}

/// Applies `change` to an evaluator the caller may manage, audits it, and queues an
/// assignment run, since waiting rounds may now be staffable.
async fn update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    action: &'static str,
    change: impl FnOnce(&mut evaluator::ActiveModel) -> DomainResult<()>,
) -> DomainResult<EvaluatorDetail> {
    let viewer = actor.viewer()?.clone();
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let e = evaluator::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("evaluator"))?;
    if e.account_id != viewer.account_id && !viewer.is_staff_or_crc() {
        return Err(DomainError::NotFound("evaluator"));
    }
    let before = snapshot(&e);
    let mut am: evaluator::ActiveModel = e.into();
    change(&mut am)?;
    am.updated_at = Set(now);
    let updated = am.update(&txn).await?;
    AuditEntry::new(action, "evaluator", id)
        .before(before)
        .after(snapshot(&updated))
        .write(&txn, actor, now)
        .await?;
    assignment::request_run(&txn, ctx, action).await?;
    let set_ids = expertise(&txn, id).await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(EvaluatorDetail {
        evaluator: updated,
        set_ids,
    })
}

/// A conflict of interest an evaluator declares.
#[derive(Debug, Clone)]
pub enum DeclaredConflict {
    /// A candidate they know, named by the email address the candidate applied with.
    Candidate { email: String },
    /// An institution (employer, school) whose candidates they should not review.
    Institution { name: String },
}

/// Declares a conflict of interest. The evaluator themself, or staff and the CRC. A
/// candidate is named by email so that the evaluator learns nothing about who is a
/// candidate: the declaration is recorded either way.
pub async fn declare_conflict(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    conflict: DeclaredConflict,
) -> DomainResult<evaluator_conflict::Model> {
    let viewer = actor.viewer()?.clone();
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let e = evaluator::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("evaluator"))?;
    if e.account_id != viewer.account_id && !viewer.is_staff_or_crc() {
        return Err(DomainError::NotFound("evaluator"));
    }
    let (candidacy_id, institution, key, note) = match conflict {
        DeclaredConflict::Candidate { email } => {
            let email = EmailAddress::parse(&email).map_err(|v| v.on("candidateEmail"))?;
            let found = candidacy::Entity::find()
                .inner_join(application::Entity)
                .filter(application::Column::Email.eq(email.as_str()))
                .one(&txn)
                .await?;
            (
                found.map(|c| c.id),
                None,
                None,
                Some(email.as_str().to_owned()),
            )
        }
        DeclaredConflict::Institution { name } => {
            let name = single_line("institution", "The institution", &name, 200)?;
            let key = normalised_key(&name);
            (None, Some(name), Some(key), None)
        }
    };
    let row = evaluator_conflict::ActiveModel {
        evaluator_id: Set(id),
        candidacy_id: Set(candidacy_id),
        institution: Set(institution),
        institution_key: Set(key),
        note: Set(note),
        declared_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    AuditEntry::new("evaluator.declare_conflict", "evaluator", id)
        .after(json!({ "conflictId": row.id, "institution": row.institution }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    Ok(row)
}

/// The conflicts an evaluator declared.
pub async fn conflicts<C: ConnectionTrait>(
    db: &C,
    evaluator_id: i64,
) -> DomainResult<Vec<evaluator_conflict::Model>> {
    Ok(evaluator_conflict::Entity::find()
        .filter(evaluator_conflict::Column::EvaluatorId.eq(evaluator_id))
        .order_by_asc(evaluator_conflict::Column::Id)
        .all(db)
        .await?)
}
