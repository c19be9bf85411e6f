//! Choosing which committed outbox rows to push to the queue.
//!
//! The relay pushes each due row once, stamping `pushed_at`; a row pushed but still not
//! done after `redeliver_after` is pushed again, which covers a job lost with a Redis
//! restart or held by a killed worker. Handlers claim rows before working, so a second
//! push of a row that is in fact being worked on is harmless.
//!
//! The relay keeps at most `max_outstanding` rows waiting on the queue ([`room`]); the rest
//! wait in the database. Without that bound a bulk notice put every one of its messages on
//! the queue at once, and after `redeliver_after` pushed every one still waiting again: at
//! 100,000 notices the queue grew past 400,000 jobs, and the queue's per-job cost grows
//! with its length. The queue itself says how many wait
//! (`infra::queue::JobQueue::waiting`); counting pushed rows in the database read every
//! pending row on each pass.

use crate::context::Context;
use crate::error::DomainResult;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, TryGetable};

/// The two outbox tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbox {
    /// `notification`: emails.
    Mail,
    /// `background_task`: other work.
    Tasks,
}

impl Outbox {
    fn table(self) -> &'static str {
        match self {
            Outbox::Mail => "notification",
            Outbox::Tasks => "background_task",
        }
    }

    /// Rows a worker may take at `now`: due, and held by no live worker.
    fn workable(self, now: DateTime<Utc>, lease: Duration) -> Cond {
        match self {
            Outbox::Mail => crate::services::notifications::claimable(now, lease),
            Outbox::Tasks => Cond::any()
                .add(
                    Cond::all()
                        .add(Expr::col("status").eq("pending"))
                        .add(Expr::col("next_attempt_at").lte(now)),
                )
                .add(
                    Cond::all()
                        .add(Expr::col("status").eq("running"))
                        .add(Expr::col("claimed_at").lt(now - lease)),
                ),
        }
    }
}

/// How many more rows the relay may push when `waiting` are on the queue: at most `limit`
/// at a time, and never past `max_outstanding` in all.
pub fn room(limit: u64, max_outstanding: u64, waiting: u64) -> u64 {
    std::cmp::min(limit, max_outstanding.saturating_sub(waiting))
}

/// Stamps up to `limit` due rows of `outbox` as pushed, those due longest first, and returns
/// their ids in id order.
///
/// A row is due when a worker may take it (its `next_attempt_at` has come, and it is held
/// by nobody or by a claim older than `lease`, whose worker died); and it was never pushed,
/// or was pushed more than `redeliver_after` ago. The due test is repeated in the outer
/// UPDATE so that two relays racing on PostgreSQL cannot both stamp the same row (two
/// relays can each fill the room they found, so several worker processes may together
/// exceed the bound by a multiple).
pub async fn claim_for_push(
    ctx: &Context,
    outbox: Outbox,
    limit: u64,
    redeliver_after: Duration,
    lease: Duration,
) -> DomainResult<Vec<i64>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let now = ctx.now();
    let table = outbox.table();
    let due = || {
        Cond::all().add(outbox.workable(now, lease)).add(
            Cond::any()
                .add(Expr::col("pushed_at").is_null())
                .add(Expr::col("pushed_at").lt(now - redeliver_after)),
        )
    };
    let candidates = Query::select()
        .column("id")
        .from(table)
        .cond_where(due())
        // In the order of the status index (`status`, `next_attempt_at`), so that PostgreSQL
        // walks it from the longest-due rows and stops at `limit`. In id order it read
        // every sent row before the first pending one; by (`next_attempt_at`, `id`), which
        // no index gives, it read and sorted every pending row.
        .order_by("next_attempt_at", Order::Asc)
        .limit(limit)
        .to_owned();
    let chosen = match ctx.db.get_database_backend() {
        // As an array computed first, the chosen ids are looked up by primary key. As
        // `IN (subquery)`, PostgreSQL could join them against every pending row.
        DbBackend::Postgres => Expr::cust_with_expr(
            r#""id" = ANY(ARRAY($1))"#,
            Expr::SubQuery(None, Box::new(candidates.into())),
        ),
        _ => Expr::col("id").in_subquery(candidates),
    };
    let update = Query::update()
        .table(table)
        .value("pushed_at", now)
        .and_where(chosen)
        .cond_where(due())
        .returning_col("id")
        .to_owned();
    let rows = ctx.db.query_all(&update).await?;
    let mut ids = rows
        .iter()
        .map(|row| i64::try_get_by(row, "id"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| crate::DomainError::bug(format!("relay returned no id: {e:?}")))?;
    ids.sort_unstable();
    Ok(ids)
}

/// Takes back the `pushed_at` stamp of rows whose push failed, so the next pass retries
/// them at once instead of after the redelivery delay.
pub async fn unstamp(ctx: &Context, outbox: Outbox, ids: &[i64]) -> DomainResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let update = Query::update()
        .table(outbox.table())
        .value("pushed_at", Option::<DateTime<Utc>>::None)
        .and_where(Expr::col("id").is_in(ids.iter().copied()))
        .to_owned();
    ctx.db.execute(&update).await?;
    Ok(())
}

/// Takes back the `pushed_at` stamp of every row that waits for a worker and is held by
/// none, so the relay pushes them all again at its next pass. For when the jobs that carry
/// them may be gone: the queue lost its data, or a worker died holding jobs it had fetched
/// and not yet started (which rows those were, nobody knows). Rows still on the queue
/// then have two jobs; the second finds them claimed or done and does nothing. Returns
/// how many rows of each outbox will be pushed again.
pub async fn redrive(ctx: &Context) -> DomainResult<(u64, u64)> {
    let mut counts = [0u64; 2];
    for (i, outbox) in [Outbox::Mail, Outbox::Tasks].into_iter().enumerate() {
        let mut update = Query::update();
        update
            .table(outbox.table())
            .value("pushed_at", Option::<DateTime<Utc>>::None)
            .and_where(Expr::col("status").eq("pending"))
            .and_where(Expr::col("pushed_at").is_not_null());
        if outbox == Outbox::Mail {
            update.and_where(Expr::col("claimed_at").is_null());
        }
        counts[i] = ctx.db.execute(&update).await?.rows_affected();
    }
    Ok((counts[0], counts[1]))
}

#[cfg(test)]
mod tests {
    use super::room;

    #[test]
    fn the_relay_pushes_only_into_the_room_left_under_the_bound() {
        assert_eq!(room(500, 2000, 0), 500);
        assert_eq!(room(500, 2000, 1700), 300);
        assert_eq!(room(500, 2000, 2000), 0);
        assert_eq!(room(500, 2000, 2600), 0, "several relays may overshoot");
    }
}
