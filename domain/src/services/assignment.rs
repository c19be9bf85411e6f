//! Blind evaluator assignment against the database: builds the solver's input from the
//! rounds waiting and the evaluators, applies its output, and records every run with its
//! seed so it can be reproduced. The solver itself is [`crate::rules::assignment`].

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult};
use crate::outbox::{self, Email, Task};
use crate::rules::assignment::{self as solver, Conflict, Params, Unstaffable};
use crate::services::catalogue;
use chrono::Duration;
use entity::account_role::{self, Role};
use entity::assignment_run::{self, AssignmentMode};
use entity::background_task::{self, TaskStatus};
use entity::evaluator::{self, EvaluatorStatus};
use entity::review::{self, AssignedBy, ReviewStatus};
use entity::review_round::{self, RoundStatus};
use entity::{account, application, candidacy, evaluator_conflict, evaluator_expertise, portfolio};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// The background task that runs an assignment.
pub const TASK_KIND: &str = "assign_evaluators";

/// How far back "recent reviews" look when preferring less-used evaluators.
const RECENT_DAYS: i64 = 90;

/// Queues an assignment run, unless one is already waiting to start: a waiting run will
/// see whatever changed, so one is enough.
pub async fn request_run<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    reason: &str,
) -> DomainResult<()> {
    let waiting = background_task::Entity::find()
        .filter(background_task::Column::Kind.eq(TASK_KIND))
        .filter(background_task::Column::Status.eq(TaskStatus::Pending))
        .count(db)
        .await?;
    if waiting > 0 {
        return Ok(());
    }
    let mut nonce = [0u8; 8];
    rand::rng().fill_bytes(&mut nonce);
    outbox::queue_task(
        db,
        ctx.now(),
        Task {
            kind: TASK_KIND,
            key: format!(
                "{TASK_KIND}:{}:{}",
                ctx.now().timestamp_millis(),
                hex::encode(nonce)
            ),
            subject_id: None,
            payload: json!({ "reason": reason }),
        },
    )
    .await?;
    Ok(())
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: Option<i64>,
    pub considered: usize,
    pub staffed: usize,
    pub unstaffed: Vec<(i64, &'static str)>,
}

/// Serialises assignment runs on PostgreSQL (SQLite has one writer anyway).
async fn lock<C: ConnectionTrait>(db: &C) -> DomainResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(7140001)".to_owned(),
        ))
        .await?;
    }
    Ok(())
}

/// The solver's view of every active evaluator, as of today.
async fn evaluators<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    rounds: &[solver::Round],
    candidate_emails: &HashMap<i64, String>,
) -> DomainResult<Vec<solver::Evaluator>> {
    let today = ctx.today();
    let rows = evaluator::Entity::find()
        .filter(evaluator::Column::Status.eq(EvaluatorStatus::Active))
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
    let mut sets: HashMap<i64, Vec<i64>> = HashMap::new();
    for x in evaluator_expertise::Entity::find()
        .filter(evaluator_expertise::Column::EvaluatorId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        sets.entry(x.evaluator_id).or_default().push(x.set_id);
    }
    let mut open: HashMap<i64, u32> = HashMap::new();
    let mut recent: HashMap<i64, u32> = HashMap::new();
    let since = ctx.now() - Duration::days(RECENT_DAYS);
    for r in review::Entity::find()
        .filter(review::Column::EvaluatorId.is_in(ids.clone()))
        .filter(
            sea_orm::Condition::any()
                .add(review::Column::Status.eq(ReviewStatus::Assigned))
                .add(review::Column::AssignedAt.gte(since)),
        )
        .all(db)
        .await?
    {
        if r.status == ReviewStatus::Assigned {
            *open.entry(r.evaluator_id).or_default() += 1;
        }
        if r.assigned_at >= since {
            *recent.entry(r.evaluator_id).or_default() += 1;
        }
    }
    let mut conflicts: HashMap<i64, Vec<Conflict>> = HashMap::new();
    for c in evaluator_conflict::Entity::find()
        .filter(evaluator_conflict::Column::EvaluatorId.is_in(ids))
        .all(db)
        .await?
    {
        let list = conflicts.entry(c.evaluator_id).or_default();
        if let Some(id) = c.candidacy_id {
            list.push(Conflict::Candidacy(id));
        }
        if let Some(key) = c.institution_key {
            list.push(Conflict::Organisation(key));
        }
        // A candidate named by an email that had no candidacy when declared: match it
        // against the rounds in this run.
        if let Some(email) = c.note {
            for r in rounds {
                if candidate_emails
                    .get(&r.candidacy_id)
                    .is_some_and(|e| *e == email)
                {
                    list.push(Conflict::Candidacy(r.candidacy_id));
                }
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|e| solver::Evaluator {
            id: e.id,
            account_id: e.account_id,
            employer_key: e.employer_key,
            institution_key: e.institution_key,
            active: true,
            trained: e.training_completed_on.is_some_and(|d| d <= today),
            available: e.paused_until.is_none_or(|d| d <= today),
            sets: sets.remove(&e.id).unwrap_or_default(),
            capacity: u32::try_from(e.capacity).unwrap_or(0),
            open_reviews: open.get(&e.id).copied().unwrap_or(0),
            recent_reviews: recent.get(&e.id).copied().unwrap_or(0),
            declared_conflicts: conflicts.remove(&e.id).unwrap_or_default(),
        })
        .collect())
}

/// The solver's view of a round: its candidate, and who may not review it.
async fn solver_round<C: ConnectionTrait>(
    db: &C,
    round: &review_round::Model,
    needed: u32,
) -> DomainResult<(solver::Round, String)> {
    let p = portfolio::Entity::find_by_id(round.portfolio_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("portfolio"))?;
    let c = candidacy::Entity::find_by_id(p.candidacy_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("candidacy"))?;
    let app = application::Entity::find_by_id(c.application_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("application"))?;
    let on_round = review::Entity::find()
        .filter(review::Column::RoundId.eq(round.id))
        .all(db)
        .await?;
    let mut excluded: HashSet<i64> = on_round.iter().map(|r| r.evaluator_id).collect();
    if round.ordered_by_appeal_id.is_some() {
        // A round ordered on appeal gets evaluators who have not seen the portfolio.
        let earlier: Vec<i64> = review_round::Entity::find()
            .filter(review_round::Column::PortfolioId.eq(p.id))
            .filter(review_round::Column::Id.ne(round.id))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        for r in review::Entity::find()
            .filter(review::Column::RoundId.is_in(earlier))
            .all(db)
            .await?
        {
            excluded.insert(r.evaluator_id);
        }
    }
    let active_ids: Vec<i64> = on_round
        .iter()
        .filter(|r| matches!(r.status, ReviewStatus::Assigned | ReviewStatus::Submitted))
        .map(|r| r.evaluator_id)
        .collect();
    let taken_employers = evaluator::Entity::find()
        .filter(evaluator::Column::Id.is_in(active_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.employer_key)
        .collect();
    let mut excluded: Vec<i64> = excluded.into_iter().collect();
    excluded.sort_unstable();
    Ok((
        solver::Round {
            id: round.id,
            set_id: p.set_id,
            candidacy_id: c.id,
            candidate_account_id: c.account_id,
            candidate_employer_key: app.employer_key.clone(),
            candidate_institution_key: None,
            needed,
            excluded_evaluators: excluded,
            taken_employers,
        },
        app.email,
    ))
}

fn params(ctx: &Context, seed: u64) -> Params {
    Params {
        seed,
        max_probability: ctx.config.reviews.randomised_max_probability,
        ..Params::default()
    }
}

/// Runs the solver over every round waiting for evaluators and applies the result: the
/// assigned evaluators are emailed (without the candidate's name); rounds that cannot be
/// staffed keep waiting, and staff are told why, once per round and reason.
pub async fn run(ctx: &Context) -> DomainResult<RunSummary> {
    let now = ctx.now();
    let today = ctx.today();
    let txn = ctx.begin_write().await?;
    lock(&txn).await?;
    let waiting = review_round::Entity::find()
        .filter(review_round::Column::Status.eq(RoundStatus::AwaitingAssignment))
        .order_by_asc(review_round::Column::Id)
        .all(&txn)
        .await?;
    if waiting.is_empty() {
        txn.commit().await?;
        return Ok(RunSummary::default());
    }
    let per_round = ctx.config.reviews.evaluators_per_round;
    let mut rounds = Vec::with_capacity(waiting.len());
    let mut emails = HashMap::new();
    for r in &waiting {
        let active = review::Entity::find()
            .filter(review::Column::RoundId.eq(r.id))
            .filter(review::Column::Status.is_in([ReviewStatus::Assigned, ReviewStatus::Submitted]))
            .count(&txn)
            .await? as u32;
        let needed = per_round.saturating_sub(active);
        let (sr, email) = solver_round(&txn, r, needed).await?;
        emails.insert(sr.candidacy_id, email);
        rounds.push(sr);
    }
    let pool = evaluators(&txn, ctx, &rounds, &emails).await?;
    let seed = rand::rng().next_u64();
    let p = params(ctx, seed);
    let solution = solver::solve(&rounds, &pool, &p).map_err(DomainError::internal)?;
    let by_round: HashMap<i64, &review_round::Model> = waiting.iter().map(|r| (r.id, r)).collect();
    let mut staffed: HashSet<i64> = HashSet::new();
    for &(round_id, evaluator_id) in &solution.assignments {
        let Some(round) = by_round.get(&round_id) else {
            continue;
        };
        let slot = review::Entity::find()
            .filter(review::Column::RoundId.eq(round_id))
            .count(&txn)
            .await? as i32
            + 1;
        let rv = insert_review(&txn, ctx, round, evaluator_id, slot, AssignedBy::Solver).await?;
        notify_assigned(&txn, ctx, &rv, round).await?;
        staffed.insert(round_id);
    }
    for round_id in &staffed {
        review_round::Entity::update_many()
            .col_expr(
                review_round::Column::Status,
                sea_orm::sea_query::Expr::value(RoundStatus::InReview),
            )
            .col_expr(
                review_round::Column::UnstaffedReason,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .col_expr(
                review_round::Column::UnstaffedSince,
                sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .col_expr(
                review_round::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(review_round::Column::Id.eq(*round_id))
            .exec(&txn)
            .await?;
    }
    let mut unstaffed = Vec::new();
    for &(round_id, reason) in &solution.unstaffed {
        let Some(round) = by_round.get(&round_id) else {
            continue;
        };
        mark_unstaffed(&txn, ctx, round, reason).await?;
        unstaffed.push((round_id, reason.as_str()));
    }
    let run = assignment_run::ActiveModel {
        seed: Set(seed as i64),
        mode: Set(if p.max_probability.is_some() { AssignmentMode::Randomised } else { AssignmentMode::Optimal }),
        rounds_considered: Set(rounds.len() as i32),
        rounds_assigned: Set(staffed.len() as i32),
        total_cost: Set(solution.total_cost),
        details: Set(json!({
            "assignments": solution.assignments,
            "unstaffed": unstaffed.iter().map(|(r, why)| json!({ "round": r, "reason": why })).collect::<Vec<_>>(),
            "provenOptimal": solution.proven_optimal,
            "provenMaximum": solution.proven_maximum,
            "certified": solution.certify(),
            "potentials": {
                "source": solution.potentials.source,
                "sink": solution.potentials.sink,
                "rounds": solution.potentials.rounds,
                "evaluators": solution.potentials.evaluators,
            },
            "today": today,
        })),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    AuditEntry::new("assignment.run", "assignment_run", run.id)
        .after(json!({ "seed": run.seed, "considered": run.rounds_considered, "assigned": run.rounds_assigned }))
        .write(&txn, &Actor::System, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(RunSummary {
        run_id: Some(run.id),
        considered: rounds.len(),
        staffed: staffed.len(),
        unstaffed,
    })
}

async fn insert_review<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    round: &review_round::Model,
    evaluator_id: i64,
    slot: i32,
    by: AssignedBy,
) -> DomainResult<review::Model> {
    let now = ctx.now();
    Ok(review::ActiveModel {
        round_id: Set(round.id),
        evaluator_id: Set(evaluator_id),
        slot: Set(slot),
        status: Set(ReviewStatus::Assigned),
        assigned_by: Set(by),
        assigned_at: Set(now),
        due_on: Set(ctx.today() + Duration::days(i64::from(ctx.config.reviews.due_days))),
        submitted_at: Set(None),
        overall_met: Set(None),
        feedback: Set(None),
        ended_at: Set(None),
        end_reason: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Tells an evaluator about a new review: the set, the due date and the candidate's
/// pseudonym, never their name.
async fn notify_assigned<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    rv: &review::Model,
    round: &review_round::Model,
) -> DomainResult<()> {
    let Some(ev) = evaluator::Entity::find_by_id(rv.evaluator_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(acct) = account::Entity::find_by_id(ev.account_id).one(db).await? else {
        return Ok(());
    };
    let p = portfolio::Entity::find_by_id(round.portfolio_id)
        .one(db)
        .await?;
    let c = match &p {
        Some(p) => {
            candidacy::Entity::find_by_id(p.candidacy_id)
                .one(db)
                .await?
        }
        None => None,
    };
    let cat = catalogue::get(ctx).await?;
    let set_name = p
        .as_ref()
        .and_then(|p| cat.set(p.set_id))
        .map(|s| s.set.name.clone())
        .unwrap_or_default();
    outbox::queue_email(
        db,
        ctx.now(),
        Email {
            key: format!("review_assigned:{}", rv.id),
            account_id: Some(acct.id),
            to: acct.email,
            to_name: Some(acct.display_name.clone()),
            template: EmailTemplate::ReviewAssigned,
            params: json!({
                "name": acct.display_name,
                "set_name": set_name,
                "pseudonym": c.map(|c| c.pseudonym).unwrap_or_default(),
                "due_on": rv.due_on.to_string(),
                "third": rv.assigned_by == AssignedBy::TieBreak,
            }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    Ok(())
}

/// Records that a round cannot be staffed, and tells staff once per round and reason.
async fn mark_unstaffed<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    round: &review_round::Model,
    reason: Unstaffable,
) -> DomainResult<()> {
    let now = ctx.now();
    review_round::Entity::update_many()
        .col_expr(
            review_round::Column::UnstaffedReason,
            sea_orm::sea_query::Expr::value(reason.as_str()),
        )
        .col_expr(
            review_round::Column::UnstaffedSince,
            sea_orm::sea_query::Expr::value(round.unstaffed_since.unwrap_or(now)),
        )
        .col_expr(
            review_round::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(review_round::Column::Id.eq(round.id))
        .exec(db)
        .await?;
    let cat = catalogue::get(ctx).await?;
    let p = portfolio::Entity::find_by_id(round.portfolio_id)
        .one(db)
        .await?;
    let set_name = p
        .as_ref()
        .and_then(|p| cat.set(p.set_id))
        .map(|s| s.set.name.clone())
        .unwrap_or_default();
    let staff = account::Entity::find()
        .inner_join(account_role::Entity)
        .filter(account_role::Column::Role.is_in([Role::ProgramOfficer, Role::ProgramAssistant]))
        .all(db)
        .await?;
    let mut seen = HashSet::new();
    for s in staff {
        if !seen.insert(s.id) {
            continue;
        }
        outbox::queue_email(
            db,
            now,
            Email {
                key: format!("round_unstaffed:{}:{}:{}", round.id, reason.as_str(), s.id),
                account_id: Some(s.id),
                to: s.email,
                to_name: Some(s.display_name.clone()),
                template: EmailTemplate::RoundUnstaffed,
                params: json!({
                    "name": s.display_name,
                    "round_id": round.id,
                    "set_name": set_name,
                    "reason": reason.as_str(),
                }),
                secret: None,
                batch_id: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// Assigns one more evaluator to a round without moving anyone already on it: the third
/// evaluator after a disagreement, or a replacement. `Ok(None)` when nobody eligible is
/// left; the round is then marked with the reason and staff are told.
pub async fn assign_additional<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    round: &review_round::Model,
    by: AssignedBy,
) -> DomainResult<Option<review::Model>> {
    let (sr, email) = solver_round(db, round, 1).await?;
    let emails = HashMap::from([(sr.candidacy_id, email)]);
    let pool = evaluators(db, ctx, std::slice::from_ref(&sr), &emails).await?;
    let seed = rand::rng().next_u64();
    match solver::assign_one(&sr, &pool, &params(ctx, seed)) {
        Ok(evaluator_id) => {
            let slot = review::Entity::find()
                .filter(review::Column::RoundId.eq(round.id))
                .count(db)
                .await? as i32
                + 1;
            let rv = insert_review(db, ctx, round, evaluator_id, slot, by).await?;
            notify_assigned(db, ctx, &rv, round).await?;
            Ok(Some(rv))
        }
        Err(reason) => {
            mark_unstaffed(db, ctx, round, reason).await?;
            Ok(None)
        }
    }
}

/// Checks that a named evaluator may take one more slot on a round (the CRC's manual
/// replacement obeys the same rules as the solver), and assigns them.
pub async fn assign_named<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    round: &review_round::Model,
    evaluator_id: i64,
) -> DomainResult<Result<review::Model, solver::Ineligible>> {
    let (sr, email) = solver_round(db, round, 1).await?;
    let emails = HashMap::from([(sr.candidacy_id, email)]);
    let pool = evaluators(db, ctx, std::slice::from_ref(&sr), &emails).await?;
    let Some(ev) = pool.iter().find(|e| e.id == evaluator_id) else {
        return Ok(Err(solver::Ineligible::Inactive));
    };
    if let Err(why) = solver::eligibility(&sr, ev) {
        return Ok(Err(why));
    }
    let slot = review::Entity::find()
        .filter(review::Column::RoundId.eq(round.id))
        .count(db)
        .await? as i32
        + 1;
    let rv = insert_review(db, ctx, round, evaluator_id, slot, AssignedBy::Crc).await?;
    notify_assigned(db, ctx, &rv, round).await?;
    Ok(Ok(rv))
}

/// Runs of the solver, newest first, for staff.
pub async fn runs(
    ctx: &Context,
    actor: &Actor,
    limit: u64,
) -> DomainResult<Vec<assignment_run::Model>> {
    let v = actor.viewer()?;
    if !v.is_staff_or_crc() {
        return Err(DomainError::forbidden(
            "Staff and the CRC see assignment runs.",
        ));
    }
    Ok(sea_orm::QuerySelect::limit(
        assignment_run::Entity::find().order_by_desc(assignment_run::Column::Id),
        limit,
    )
    .all(&ctx.db)
    .await?)
}

/// Rounds waiting for evaluators, with the reason they cannot be staffed if known.
pub async fn waiting_rounds(
    ctx: &Context,
    actor: &Actor,
) -> DomainResult<Vec<review_round::Model>> {
    let v = actor.viewer()?;
    if !v.is_staff_or_crc() {
        return Err(DomainError::forbidden(
            "Staff and the CRC see the rounds waiting.",
        ));
    }
    Ok(review_round::Entity::find()
        .filter(
            review_round::Column::Status
                .is_in([RoundStatus::AwaitingAssignment, RoundStatus::AwaitingThird]),
        )
        .order_by_asc(review_round::Column::Id)
        .all(&ctx.db)
        .await?)
}
