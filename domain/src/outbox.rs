//! Writing background work into the database, in the caller's transaction.
//!
//! A push to the queue cannot join a database transaction, so work is first a row here,
//! committed with the change that caused it; the worker's relay moves committed rows to
//! the queue. Each row has an idempotency key naming the event it is about: writing the
//! same key twice leaves one row, which is how a repeated trigger never sends twice.

use crate::emails::EmailTemplate;
use chrono::{DateTime, Utc};
use entity::background_task::{self, TaskStatus};
use entity::notification::{self, NotificationStatus};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde_json::Value;

/// An email to queue.
#[derive(Debug, Clone)]
pub struct Email {
    /// Names the event, e.g. `verify-email:{token_id}`; one email per key, ever.
    pub key: String,
    pub account_id: Option<i64>,
    pub to: String,
    pub to_name: Option<String>,
    pub template: EmailTemplate,
    /// What the template shows (names, dates, amounts); no secrets.
    pub params: Value,
    /// A one-time token the message carries; erased once sent.
    pub secret: Option<String>,
    pub batch_id: Option<i64>,
}

/// Queues `email` unless an email with its key already exists. Returns whether it was new.
pub async fn queue_email<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    email: Email,
) -> Result<bool, DbErr> {
    let row = notification::ActiveModel {
        idempotency_key: Set(email.key),
        account_id: Set(email.account_id),
        to_email: Set(email.to),
        to_name: Set(email.to_name),
        template: Set(email.template.name().to_owned()),
        params: Set(email.params),
        secret: Set(email.secret),
        status: Set(NotificationStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        pushed_at: Set(None),
        claimed_by: Set(None),
        claimed_at: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
        batch_id: Set(email.batch_id),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = notification::Entity::insert(row)
        .on_conflict(
            OnConflict::column(notification::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// A background task to queue.
#[derive(Debug, Clone)]
pub struct Task {
    pub kind: &'static str,
    pub key: String,
    pub subject_id: Option<i64>,
    pub payload: Value,
}

/// Queues `task` unless a task with its key already exists. Returns whether it was new.
pub async fn queue_task<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    task: Task,
) -> Result<bool, DbErr> {
    let row = background_task::ActiveModel {
        kind: Set(task.kind.to_owned()),
        idempotency_key: Set(task.key),
        subject_id: Set(task.subject_id),
        payload: Set(task.payload),
        status: Set(TaskStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        pushed_at: Set(None),
        claimed_by: Set(None),
        claimed_at: Set(None),
        done_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = background_task::Entity::insert(row)
        .on_conflict(
            OnConflict::column(background_task::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// How many emails have keys starting with `prefix` (one event's emails to several
/// recipients share a prefix), for counting what a sweep newly queued.
pub async fn count_keys_with_prefix<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    notification::Entity::find()
        .filter(notification::Column::IdempotencyKey.starts_with(format!("{prefix}:")))
        .count(db)
        .await
}
