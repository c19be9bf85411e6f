//! Choosing which committed outbox rows to push to the queue.
//!
//! The relay pushes each due row once, stamping `pushed_at`; a row pushed but still not
//! done after `redeliver_after` is pushed again, which covers a job lost with a Redis
//! restart or held by a killed worker. Handlers claim rows before working, so a second
//! push of a row that is in fact being worked on is harmless.
//!
//! The relay keeps at most `max_outstanding` rows pushed and not yet done; the rest wait
//! in the database. Without that bound a bulk notice put every one of its messages on the
//! queue at once, and after `redeliver_after` pushed every one still waiting again: at
//! 100,000 notices the queue grew past 400,000 jobs, and the queue's per-job cost grows
//! with its length (issue 7's bulk benchmark).

use crate::context::Context;
use crate::error::DomainResult;
use chrono::Duration;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, TryGetable};

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

    /// The status a row has while a worker holds it.
    fn in_flight(self) -> &'static str {
        match self {
            Outbox::Mail => "sending",
            Outbox::Tasks => "running",
        }
    }
}

/// How many more rows the relay may push when `outstanding` are pushed and not yet done:
/// at most `limit` at a time, and never past `max_outstanding` in all.
pub fn room(limit: u64, max_outstanding: u64, outstanding: u64) -> u64 {
    std::cmp::min(limit, max_outstanding.saturating_sub(outstanding))
}

/// Rows of `outbox` pushed within `redeliver_after` and not yet done: waiting on the queue
/// (pending, due when pushed) or held by a worker. A row rescheduled after a failed attempt
/// waits in the database, not on the queue, so it does not count; nor does a row pushed
/// longer ago, which is due to be pushed again (its job may be lost).
async fn outstanding(
    ctx: &Context,
    outbox: Outbox,
    redeliver_after: Duration,
) -> DomainResult<u64> {
    let since = ctx.now() - redeliver_after;
    let query = Query::select()
        .expr(Expr::col("id").count())
        .from(outbox.table())
        .and_where(Expr::col("pushed_at").gte(since))
        .cond_where(
            Cond::any()
                .add(Expr::col("status").eq(outbox.in_flight()))
                .add(
                    Cond::all()
                        .add(Expr::col("status").eq("pending"))
                        .add(Expr::col("next_attempt_at").lte(Expr::col("pushed_at"))),
                ),
        )
        .to_owned();
    let row = ctx
        .db
        .query_one(&query)
        .await?
        .ok_or_else(|| crate::DomainError::bug("count returned no row"))?;
    let n: i64 = row.try_get_by_index(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Stamps up to `limit` due rows of `outbox` as pushed and returns their ids, oldest first,
/// keeping the rows pushed and not yet done within `max_outstanding`.
///
/// A row is due when it is `pending` and its `next_attempt_at` has come, or in flight with
/// a claim older than `lease` (its worker died); and it was never pushed, or was pushed
/// more than `redeliver_after` ago. The due test is repeated in the outer UPDATE so that
/// two relays racing on PostgreSQL cannot both stamp the same row (two relays can each
/// fill the room they counted, so several worker processes may together exceed the bound
/// by a multiple).
pub async fn claim_for_push(
    ctx: &Context,
    outbox: Outbox,
    limit: u64,
    max_outstanding: u64,
    redeliver_after: Duration,
    lease: Duration,
) -> DomainResult<Vec<i64>> {
    let limit = room(
        limit,
        max_outstanding,
        outstanding(ctx, outbox, redeliver_after).await?,
    );
    if limit == 0 {
        return Ok(Vec::new());
    }
    let now = ctx.now();
    let table = outbox.table();
    let due = || {
        Cond::all()
            .add(
                Cond::any()
                    .add(
                        Cond::all()
                            .add(Expr::col("status").eq("pending"))
                            .add(Expr::col("next_attempt_at").lte(now)),
                    )
                    .add(
                        Cond::all()
                            .add(Expr::col("status").eq(outbox.in_flight()))
                            .add(Expr::col("claimed_at").lt(now - lease)),
                    ),
            )
            .add(
                Cond::any()
                    .add(Expr::col("pushed_at").is_null())
                    .add(Expr::col("pushed_at").lt(now - redeliver_after)),
            )
    };
    let candidates = Query::select()
        .column("id")
        .from(table)
        .cond_where(due())
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    let update = Query::update()
        .table(table)
        .value("pushed_at", now)
        .and_where(Expr::col("id").in_subquery(candidates))
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
        .value("pushed_at", Option::<chrono::DateTime<chrono::Utc>>::None)
        .and_where(Expr::col("id").is_in(ids.iter().copied()))
        .to_owned();
    ctx.db.execute(&update).await?;
    Ok(())
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
