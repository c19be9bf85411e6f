//! Writing background work into the database, in the caller's transaction.
//!
//! A push to the queue cannot join a database transaction, so work is first a row here,
//! committed with the change that caused it; the worker's relay moves committed rows to
//! the queue. Each row has an idempotency key naming the event it is about: writing the
//! same key twice leaves one row, which is how a repeated trigger never sends twice.
//!
//! The same key with other content is not a repeat but two events given one name: the
//! second is still not written (the first may already be sent), but it is logged and
//! counted ([`idempotency_collisions`]), since it means an email or a task was lost.

use crate::emails::EmailTemplate;
use chrono::{DateTime, Utc};
use entity::background_task::{self, TaskStatus};
use entity::notification::{self, NotificationStatus};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect,
};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

static COLLISIONS: AtomicU64 = AtomicU64::new(0);

/// Emails and tasks this process did not queue because their idempotency key already
/// named a row with other content. Anything but zero is a bug in how some event names
/// its key.
pub fn idempotency_collisions() -> u64 {
    COLLISIONS.load(Ordering::Relaxed)
}

/// Logs and counts a write skipped for its key when the row holding the key differs from
/// it in `fields`; no differences is the intended dedupe of a repeated event.
fn report_collision(what: &'static str, key: &str, fields: &[&'static str]) {
    if fields.is_empty() {
        return;
    }
    COLLISIONS.fetch_add(1, Ordering::Relaxed);
    tracing::error!(
        key,
        differing = ?fields,
        "a {what} was not queued: its idempotency key names one already queued with other content"
    );
}

fn differing<const N: usize>(fields: [(&'static str, bool); N]) -> Vec<&'static str> {
    fields
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(name, _)| name)
        .collect()
}

/// What names the event an email is about, beside its key: whom it goes to and what it
/// says. The rest may rightly differ between two writes of one event (a reminder written
/// again the next day counts one day less; a name may have been corrected; a repeated
/// trigger mints another one-time secret), so comparing it would cry wolf every day.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
struct EmailContent {
    to_email: String,
    template: String,
}

impl EmailContent {
    fn differences(&self, other: &Self) -> Vec<&'static str> {
        differing([
            ("to_email", self.to_email == other.to_email),
            ("template", self.template == other.template),
        ])
    }
}

/// What names the work a task is, beside its key.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
struct TaskContent {
    kind: String,
    subject_id: Option<i64>,
}

impl TaskContent {
    fn differences(&self, other: &Self) -> Vec<&'static str> {
        differing([
            ("kind", self.kind == other.kind),
            ("subject_id", self.subject_id == other.subject_id),
        ])
    }
}

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

/// Queues `email` unless an email with its key already exists (logged and counted as a
/// collision if that one says something else). Returns whether it was new.
pub async fn queue_email<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    email: Email,
) -> Result<bool, DbErr> {
    let key = email.key.clone();
    let content = EmailContent {
        to_email: email.to.clone(),
        template: email.template.name().to_owned(),
    };
    let row = notification::ActiveModel {
        idempotency_key: Set(email.key),
        account_id: Set(email.account_id),
        to_email: Set(email.to),
        to_name: Set(email.to_name),
        template: Set(content.template.clone()),
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
    if inserted > 0 {
        return Ok(true);
    }
    use notification::Column as C;
    let existing = notification::Entity::find()
        .select_only()
        .columns([C::ToEmail, C::Template])
        .filter(C::IdempotencyKey.eq(key.as_str()))
        .into_model::<EmailContent>()
        .one(db)
        .await?;
    if let Some(existing) = existing {
        report_collision("email", &key, &existing.differences(&content));
    }
    Ok(false)
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

/// Queues `task` unless a task with its key already exists (logged and counted as a
/// collision if that one is other work). Returns whether it was new.
pub async fn queue_task<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    task: Task,
) -> Result<bool, DbErr> {
    let key = task.key.clone();
    let content = TaskContent {
        kind: task.kind.to_owned(),
        subject_id: task.subject_id,
    };
    let row = background_task::ActiveModel {
        kind: Set(content.kind.clone()),
        idempotency_key: Set(task.key),
        subject_id: Set(content.subject_id),
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
    if inserted > 0 {
        return Ok(true);
    }
    use background_task::Column as C;
    let existing = background_task::Entity::find()
        .select_only()
        .columns([C::Kind, C::SubjectId])
        .filter(C::IdempotencyKey.eq(key.as_str()))
        .into_model::<TaskContent>()
        .one(db)
        .await?;
    if let Some(existing) = existing {
        report_collision("task", &key, &existing.differences(&content));
    }
    Ok(false)
}

/// How many emails have keys starting with `prefix` (one event's emails to several
/// recipients share a prefix), for counting what a sweep newly queued.
pub async fn count_keys_with_prefix<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
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

    fn email(to: &str, template: &str) -> EmailContent {
        EmailContent {
            to_email: to.to_owned(),
            template: template.to_owned(),
        }
    }

    #[test]
    fn an_email_repeated_under_its_key_is_no_collision_and_another_names_what_differs() {
        let a = email("ann@example.org", "certificate_reminder");
        // The same reminder written again a day later: its parameters differ, and are
        // not compared.
        assert_eq!(a.differences(&a.clone()), Vec::<&str>::new());
        assert_eq!(
            a.differences(&email("bob@example.org", "certificate_reminder")),
            ["to_email"]
        );
        assert_eq!(
            a.differences(&email("bob@example.org", "account_exists")),
            ["to_email", "template"]
        );
    }

    #[test]
    fn a_task_repeated_under_its_key_is_no_collision_and_another_names_what_differs() {
        let a = TaskContent {
            kind: "bulk_fanout".to_owned(),
            subject_id: Some(3),
        };
        assert_eq!(a.differences(&a.clone()), Vec::<&str>::new());
        let b = TaskContent {
            subject_id: Some(4),
            ..a.clone()
        };
        assert_eq!(a.differences(&b), ["subject_id"]);
        let c = TaskContent {
            kind: "assign_evaluators".to_owned(),
            ..a.clone()
        };
        assert_eq!(a.differences(&c), ["kind"]);
    }

    #[test]
    fn a_differing_write_is_counted_in_the_process_wide_total() {
        let before = idempotency_collisions();
        report_collision("email", "test:other", &["params"]);
        // Other tests in this process may count too, so only growth is certain.
        assert!(idempotency_collisions() > before);
    }
}
