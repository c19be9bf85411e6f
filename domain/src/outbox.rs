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

/// The `Message-ID` of the email in `row`, sent from `mail_from`: the same on every
/// retry of the row (so a receiving server can drop a second copy), and unique across
/// deployments and restored databases, since row ids alone repeat (the hash covers the
/// row's key and the instant it was written, under the sender's own domain).
pub fn message_id(row: &notification::Model, mail_from: &str) -> String {
    use sha2::{Digest, Sha256};
    let domain = mail_from
        .rsplit_once('@')
        .map(|(_, d)| d.trim().trim_end_matches('>').trim())
        .filter(|d| {
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        })
        .unwrap_or("lsscp.invalid");
    let mut hash = Sha256::new();
    hash.update(row.id.to_be_bytes());
    hash.update(row.idempotency_key.as_bytes());
    hash.update(
        row.created_at
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_be_bytes(),
    );
    let digest = hex::encode(hash.finalize());
    format!("<notification-{}.{}@{domain}>", row.id, &digest[..20])
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(id: i64, key: &str, nanos: u32) -> notification::Model {
        notification::Model {
            id,
            idempotency_key: key.to_owned(),
            account_id: None,
            to_email: "a@example.org".to_owned(),
            to_name: None,
            template: "verify_email".to_owned(),
            params: serde_json::json!({}),
            secret: None,
            status: NotificationStatus::Pending,
            attempts: 0,
            next_attempt_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            pushed_at: None,
            claimed_by: None,
            claimed_at: None,
            sent_at: None,
            last_error: None,
            batch_id: None,
            created_at: Utc.timestamp_opt(1_700_000_000, nanos).unwrap(),
        }
    }

    #[test]
    fn a_message_id_is_stable_for_a_row_and_differs_between_deployments() {
        let from = "LSSCP <no-reply@lsscp.example.org>";
        let a = message_id(&row(7, "verify:1", 5), from);
        assert_eq!(a, message_id(&row(7, "verify:1", 5), from));
        assert!(
            a.starts_with("<notification-7.") && a.ends_with("@lsscp.example.org>"),
            "{a}"
        );
        // Another deployment's row 7 was written at another instant, or for another event.
        assert_ne!(a, message_id(&row(7, "verify:1", 6), from));
        assert_ne!(a, message_id(&row(7, "verify:2", 5), from));
        // A sender without a usable domain still gives a valid id.
        assert!(message_id(&row(7, "k", 5), "nobody").ends_with("@lsscp.invalid>"));
        assert!(message_id(&row(7, "k", 5), "x@bad domain\r\n").ends_with("@lsscp.invalid>"));
    }
}
