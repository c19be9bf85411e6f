//! The life of one queued email after it is written: claimed by a worker, sent or failed,
//! retried by staff.
//!
//! Sending is at-least-once by nature (a worker can die between the SMTP server's "250 OK"
//! and our "sent" mark); the claim below makes that the only window. A row is claimed by
//! one worker at a time: another worker skips it unless the claim is older than the
//! lease, which only happens when the claimant died.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::error::{DomainError, DomainResult, Violation};
use crate::rules::retry::backoff;
use chrono::{DateTime, Duration, Utc};
use entity::notification::{self, NotificationStatus};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

/// Claims the notifications `ids` for `worker`, those that are due and held by nobody else,
/// in one statement. Returns the rows to send in id order; a row left out has nothing to
/// do (already sent, cancelled, failed, not yet due, or held by a live worker).
///
/// A claim writes only `claimed_by` and `claimed_at`; the row stays `pending` (shown as
/// sending, [`notification::Model::delivery_status`]). No indexed column changes, so
/// PostgreSQL writes the claim in place (migration m0009).
pub async fn claim_for_sending(
    ctx: &Context,
    ids: &[i64],
    worker: &str,
    lease: Duration,
) -> DomainResult<Vec<notification::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let now = ctx.now();
    let mut claimed = notification::Entity::update_many()
        .col_expr(notification::Column::ClaimedBy, Expr::value(worker))
        .col_expr(notification::Column::ClaimedAt, Expr::value(now))
        .filter(id_among(ctx.db.get_database_backend(), ids))
        .filter(claimable(now, lease))
        .exec_with_returning(&ctx.db)
        .await?;
    claimed.sort_unstable_by_key(|row| row.id);
    Ok(claimed)
}

/// `id` is one of `ids`. On PostgreSQL the ids go as one array value, so the statement's
/// text is the same whatever their number: as `IN ($1, …, $n)`, every count was a statement
/// of its own, parsed, planned and cached apart on each connection (the recorder of sent
/// emails wrote 130 of them in the bulk benchmark, more than the connection's
/// statement cache holds).
fn id_among(backend: DbBackend, ids: &[i64]) -> Expr {
    match backend {
        DbBackend::Postgres => {
            let mut array = String::with_capacity(ids.len() * 8 + 2);
            array.push('{');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    array.push(',');
                }
                array.push_str(&id.to_string());
            }
            array.push('}');
            Expr::cust_with_exprs(
                r#""notification"."id" = ANY(CAST($1 AS bigint[]))"#,
                [Expr::val(array)],
            )
        }
        _ => notification::Column::Id.is_in(ids.iter().copied()),
    }
}

/// Rows a worker may take at `now`: pending, due, and held by no live worker (never
/// claimed, given back, or claimed more than `lease` ago by a worker that must have died).
pub fn claimable(now: DateTime<Utc>, lease: Duration) -> Condition {
    Condition::all()
        .add(notification::Column::Status.eq(NotificationStatus::Pending))
        .add(notification::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(notification::Column::ClaimedAt.is_null())
                .add(notification::Column::ClaimedAt.lt(now - lease)),
        )
}

/// Records successful sends, in one statement, and erases the one-time secrets the
/// messages carried.
///
/// Any pending row among `ids` is marked, whoever holds it now: the server accepted the
/// message, and that is true even if the claim was given back meanwhile (a database
/// outage outlasted the claim, or another worker took this one for dead). Forgetting the
/// send would only have it sent again.
pub async fn mark_sent(ctx: &Context, ids: &[i64]) -> DomainResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    notification::Entity::update_many()
        .col_expr(
            notification::Column::Status,
            Expr::value(NotificationStatus::Sent),
        )
        .col_expr(notification::Column::SentAt, Expr::value(ctx.now()))
        .col_expr(
            notification::Column::Secret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::Attempts,
            Expr::col(notification::Column::Attempts).add(1),
        )
        .filter(id_among(ctx.db.get_database_backend(), ids))
        .filter(notification::Column::Status.eq(NotificationStatus::Pending))
        .exec(&ctx.db)
        .await?;
    Ok(())
}

/// The rows among `ids` that `worker` has claimed and not yet finished.
fn held_by(backend: DbBackend, ids: &[i64], worker: &str) -> Condition {
    Condition::all()
        .add(id_among(backend, ids))
        .add(notification::Column::ClaimedBy.eq(worker))
        .add(notification::Column::ClaimedAt.is_not_null())
        .add(notification::Column::Status.eq(NotificationStatus::Pending))
}

/// Gives back claims `worker` holds on rows it will not send after all (its job ran out of
/// lease before reaching them): they are due again at once and the relay pushes them anew.
pub async fn release(ctx: &Context, ids: &[i64], worker: &str) -> DomainResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    unclaim()
        .filter(held_by(ctx.db.get_database_backend(), ids, worker))
        .exec(&ctx.db)
        .await?;
    Ok(())
}

/// An update that gives rows back: held by nobody, not pushed, so the relay pushes them
/// at its next pass. The caller filters which.
pub(crate) fn unclaim() -> sea_orm::UpdateMany<notification::Entity> {
    notification::Entity::update_many()
        .col_expr(
            notification::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            notification::Column::PushedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// Makes the pending rows among `ids` that nobody holds due now, for the relay to push at
/// its next pass. Returns how many.
pub async fn due_now(ctx: &Context, ids: &[i64]) -> DomainResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let due = notification::Entity::update_many()
        .col_expr(notification::Column::NextAttemptAt, Expr::value(ctx.now()))
        .col_expr(
            notification::Column::PushedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(id_among(ctx.db.get_database_backend(), ids))
        .filter(notification::Column::Status.eq(NotificationStatus::Pending))
        .filter(notification::Column::ClaimedAt.is_null())
        .exec(&ctx.db)
        .await?
        .rows_affected;
    if due > 0 {
        ctx.outbox_written();
    }
    Ok(due)
}

/// How a failed send should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth trying again later (connection refused, 4xx from the server).
    Transient,
    /// Will never work (malformed address, 5xx rejection, unknown template).
    Permanent,
}

/// Records a failed attempt: back to `pending` with an exponential wait, or `failed` once
/// the attempts are used up or the failure is permanent. Returns the new status.
pub async fn mark_attempt_failed(
    ctx: &Context,
    row: &notification::Model,
    worker: &str,
    error: &str,
    failure: Failure,
) -> DomainResult<NotificationStatus> {
    let now = ctx.now();
    let attempts = row.attempts + 1;
    let rules = &ctx.config.email;
    let give_up = failure == Failure::Permanent || attempts >= rules.max_attempts;
    let status = if give_up {
        NotificationStatus::Failed
    } else {
        NotificationStatus::Pending
    };
    let next = now + backoff(attempts, rules.retry_base_seconds, rules.retry_max_seconds);
    notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(status))
        .col_expr(notification::Column::Attempts, Expr::value(attempts))
        .col_expr(notification::Column::NextAttemptAt, Expr::value(next))
        .col_expr(
            notification::Column::PushedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        // The claim ends with the attempt; `claimed_by` stays, naming who tried last.
        .col_expr(
            notification::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            notification::Column::LastError,
            Expr::value(truncate(error, 2000)),
        )
        .filter(held_by(ctx.db.get_database_backend(), &[row.id], worker))
        .exec(&ctx.db)
        .await?;
    Ok(status)
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Sends a failed email again, from scratch. Staff only.
pub async fn retry(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<notification::Model> {
    actor.require_staff()?;
    let now = ctx.now();
    let row = notification::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("notification"))?;
    if row.status != NotificationStatus::Failed {
        return Err(DomainError::invalid(
            Violation::new(
                "NOT_FAILED",
                "Only a failed email can be retried; this one has not failed.",
            )
            .on("id"),
        ));
    }
    let txn = ctx.begin_write().await?;
    // The status is checked again by the update itself: of two clicks at once, one turns
    // the row back to pending and the other is told it has not failed.
    let reset = retry_from_scratch(now)
        .col_expr(
            notification::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .filter(notification::Column::Id.eq(row.id))
        .filter(notification::Column::Status.eq(NotificationStatus::Failed))
        .exec(&txn)
        .await?;
    if reset.rows_affected == 0 {
        return Err(DomainError::invalid(
            Violation::new(
                "NOT_FAILED",
                "Only a failed email can be retried; this one has not failed.",
            )
            .on("id"),
        ));
    }
    let updated = notification::Entity::find_by_id(row.id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("notification"))?;
    AuditEntry::new("notification.retry", "notification", id)
        .before(json!({ "status": "failed" }))
        .after(json!({ "status": "pending" }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(updated)
}

/// An update that makes failed rows new again: pending, no attempts, due `now`, not pushed
/// and held by nobody. The caller filters which.
pub(crate) fn retry_from_scratch(now: DateTime<Utc>) -> sea_orm::UpdateMany<notification::Entity> {
    notification::Entity::update_many()
        .col_expr(
            notification::Column::Status,
            Expr::value(NotificationStatus::Pending),
        )
        .col_expr(notification::Column::Attempts, Expr::value(0))
        .col_expr(notification::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            notification::Column::PushedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            notification::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// Emails for staff to inspect, newest first, optionally of one status.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    status: Option<NotificationStatus>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<notification::Model>> {
    actor.require_staff()?;
    let mut q = notification::Entity::find().order_by_desc(notification::Column::Id);
    q = match status {
        None => q,
        // A row being sent is a pending row with a claim (`Model::delivery_status`).
        Some(NotificationStatus::Sending) => q
            .filter(notification::Column::Status.eq(NotificationStatus::Pending))
            .filter(notification::Column::ClaimedAt.is_not_null()),
        Some(NotificationStatus::Pending) => q
            .filter(notification::Column::Status.eq(NotificationStatus::Pending))
            .filter(notification::Column::ClaimedAt.is_null()),
        Some(s) => q.filter(notification::Column::Status.eq(s)),
    };
    if let Some(after) = after_id {
        q = q.filter(notification::Column::Id.lt(after));
    }
    Ok(q.limit(limit).all(&ctx.db).await?)
}
