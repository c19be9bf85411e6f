//! The life of a background task after it is written: claimed by one worker at a time,
//! done, or failed and retried with backoff (see `notifications` for the same on emails).

use crate::context::Context;
use crate::error::DomainResult;
use crate::rules::retry::backoff;
use chrono::Duration;
use entity::background_task::{self, TaskStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

/// Claims task `id` for `worker` if it is due and nobody else holds it.
pub async fn claim(
    ctx: &Context,
    id: i64,
    worker: &str,
    lease: Duration,
) -> DomainResult<Option<background_task::Model>> {
    let now = ctx.now();
    let claimable = Condition::any()
        .add(
            Condition::all()
                .add(background_task::Column::Status.eq(TaskStatus::Pending))
                .add(background_task::Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(background_task::Column::Status.eq(TaskStatus::Running))
                .add(background_task::Column::ClaimedAt.lt(now - lease)),
        );
    let claimed = background_task::Entity::update_many()
        .col_expr(
            background_task::Column::Status,
            Expr::value(TaskStatus::Running),
        )
        .col_expr(background_task::Column::ClaimedBy, Expr::value(worker))
        .col_expr(background_task::Column::ClaimedAt, Expr::value(now))
        .filter(background_task::Column::Id.eq(id))
        .filter(claimable)
        .exec_with_returning(&ctx.db)
        .await?;
    Ok(claimed.into_iter().next())
}

/// Records a task as done.
pub async fn mark_done(ctx: &Context, id: i64, worker: &str) -> DomainResult<()> {
    background_task::Entity::update_many()
        .col_expr(
            background_task::Column::Status,
            Expr::value(TaskStatus::Done),
        )
        .col_expr(background_task::Column::DoneAt, Expr::value(ctx.now()))
        .col_expr(
            background_task::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(background_task::Column::Id.eq(id))
        .filter(background_task::Column::ClaimedBy.eq(worker))
        .exec(&ctx.db)
        .await?;
    Ok(())
}

/// Records a failed attempt: pending again after a backoff, or failed for good once the
/// attempts are used up.
pub async fn mark_failed(
    ctx: &Context,
    task: &background_task::Model,
    worker: &str,
    error: &str,
) -> DomainResult<()> {
    record_failure(ctx, task, worker, error, false).await
}

/// Records a failure that trying again would only repeat (the task panicked): failed for
/// good, for staff to look at.
pub async fn mark_failed_for_good(
    ctx: &Context,
    task: &background_task::Model,
    worker: &str,
    error: &str,
) -> DomainResult<()> {
    record_failure(ctx, task, worker, error, true).await
}

async fn record_failure(
    ctx: &Context,
    task: &background_task::Model,
    worker: &str,
    error: &str,
    for_good: bool,
) -> DomainResult<()> {
    let attempts = task.attempts + 1;
    let rules = &ctx.config.email;
    let status = if for_good || attempts >= rules.max_attempts {
        TaskStatus::Failed
    } else {
        TaskStatus::Pending
    };
    background_task::Entity::update_many()
        .col_expr(background_task::Column::Status, Expr::value(status))
        .col_expr(background_task::Column::Attempts, Expr::value(attempts))
        .col_expr(
            background_task::Column::NextAttemptAt,
            Expr::value(
                ctx.now() + backoff(attempts, rules.retry_base_seconds, rules.retry_max_seconds),
            ),
        )
        .col_expr(
            background_task::Column::PushedAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(
            background_task::Column::LastError,
            Expr::value(error.chars().take(2000).collect::<String>()),
        )
        .filter(background_task::Column::Id.eq(task.id))
        .filter(background_task::Column::ClaimedBy.eq(worker))
        .exec(&ctx.db)
        .await?;
    Ok(())
}
