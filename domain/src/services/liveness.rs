//! Which worker processes are alive, and what happens to the claims of one that is not.
//!
//! Each worker raises its own counter every few seconds ([`beat`]); each reads everyone's
//! ([`beats`]) and decides by its own monotonic clock which counters have stood still too
//! long (`worker::liveness`). Counters rather than timestamps, so that no decision depends
//! on two machines' clocks agreeing, nor on the calendar a test moves. The claims of a
//! worker found dead are given back at once ([`release_claims`]), where they used to wait
//! for the whole claim lease.

use crate::context::Context;
use crate::error::DomainResult;
use chrono::{DateTime, Utc};
use entity::background_task::{self, TaskStatus};
use entity::notification::{self, NotificationStatus};
use entity::worker_heartbeat;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};

/// Raises `worker`'s counter, creating its row on its first beat.
pub async fn beat(ctx: &Context, worker: &str) -> DomainResult<()> {
    let now = ctx.now();
    let row = worker_heartbeat::ActiveModel {
        name: Set(worker.to_owned()),
        beats: Set(1),
        started_at: Set(now),
        beat_at: Set(now),
        ..Default::default()
    };
    worker_heartbeat::Entity::insert(row)
        .on_conflict(
            OnConflict::column(worker_heartbeat::Column::Name)
                .value(
                    worker_heartbeat::Column::Beats,
                    Expr::col((worker_heartbeat::Entity, worker_heartbeat::Column::Beats)).add(1),
                )
                .value(worker_heartbeat::Column::BeatAt, Expr::value(now))
                .to_owned(),
        )
        .exec_without_returning(&ctx.db)
        .await?;
    Ok(())
}

/// Every worker's name and counter.
pub async fn beats(ctx: &Context) -> DomainResult<Vec<(String, i64)>> {
    Ok(worker_heartbeat::Entity::find()
        .select_only()
        .column(worker_heartbeat::Column::Name)
        .column(worker_heartbeat::Column::Beats)
        .into_tuple()
        .all(&ctx.db)
        .await?)
}

/// What [`release_claims`] gave back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Released {
    pub emails: u64,
    pub tasks: u64,
}

/// Gives back every claim the workers `names` hold: their emails are due again and their
/// running tasks pending again, unpushed, so the relay queues them at its next pass. With
/// `forget`, their heartbeat rows go too (they are dead; one that was not writes its row
/// again at its next beat). A worker starting under the name of a dead one releases its
/// own name's claims this way before taking work.
pub async fn release_claims(
    ctx: &Context,
    names: &[String],
    forget: bool,
) -> DomainResult<Released> {
    if names.is_empty() {
        return Ok(Released::default());
    }
    let txn = ctx.db.begin().await?;
    let emails = crate::services::notifications::unclaim()
        .filter(notification::Column::Status.eq(NotificationStatus::Pending))
        .filter(notification::Column::ClaimedAt.is_not_null())
        .filter(notification::Column::ClaimedBy.is_in(names.iter().cloned()))
        .exec(&txn)
        .await?
        .rows_affected;
    let tasks = background_task::Entity::update_many()
        .col_expr(
            background_task::Column::Status,
            Expr::value(TaskStatus::Pending),
        )
        .col_expr(
            background_task::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            background_task::Column::PushedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(background_task::Column::Status.eq(TaskStatus::Running))
        .filter(background_task::Column::ClaimedBy.is_in(names.iter().cloned()))
        .exec(&txn)
        .await?
        .rows_affected;
    if forget {
        worker_heartbeat::Entity::delete_many()
            .filter(worker_heartbeat::Column::Name.is_in(names.iter().cloned()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    if emails + tasks > 0 {
        ctx.outbox_written();
    }
    Ok(Released { emails, tasks })
}
