//! Choosing which committed outbox rows to push to the queue.
//!
//! The relay pushes each due row once, stamping `pushed_at`; a row pushed but still not
//! done after `redeliver_after` is pushed again, which covers a job lost with a Redis
//! restart or held by a killed worker. Handlers claim rows before working, so a second
//! push of a row that is in fact being worked on is harmless.

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

/// Stamps up to `limit` due rows of `outbox` as pushed and returns their ids, oldest first.
///
/// A row is due when it is `pending` and its `next_attempt_at` has come, or in flight with
/// a claim older than `lease` (its worker died); and it was never pushed, or was pushed
/// more than `redeliver_after` ago. The due test is repeated in the outer UPDATE so that
/// two relays racing on PostgreSQL cannot both stamp the same row.
pub async fn claim_for_push(
    ctx: &Context,
    outbox: Outbox,
    limit: u64,
    redeliver_after: Duration,
    lease: Duration,
) -> DomainResult<Vec<i64>> {
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
