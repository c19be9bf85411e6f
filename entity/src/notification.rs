//! The email outbox. Every email is first a row here, written in the same transaction as
//! the change that caused it; the worker sends it and marks it sent.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Delivery state of one email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Waiting to be sent (again, after `next_attempt_at`), or being sent: a worker's claim
    /// (`claimed_at`) is on the row. See [`Model::delivery_status`].
    Pending,
    /// Never stored since migration m0009: the status a pending row with a claim shows.
    Sending,
    Sent,
    /// Gave up after the last retry; staff can retry it.
    Failed,
    Cancelled,
}

/// One email to one recipient.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Names the event the email is about (e.g. `deadline-reminder:42:12`) so that a
    /// repeated trigger finds the existing row instead of sending twice.
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub account_id: Option<i64>,
    pub to_email: String,
    pub to_name: Option<String>,
    /// The template's name under `worker/templates/`.
    pub template: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub params: Json,
    /// A one-time token the message carries; erased once the message is sent.
    pub secret: Option<String>,
    pub status: NotificationStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub pushed_at: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub batch_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl Model {
    /// Where the email is, as people are shown it: a pending row a worker has claimed is
    /// `Sending`. The claim is not a status change in the table, so that PostgreSQL can
    /// write it in place (migration m0009).
    pub fn delivery_status(&self) -> NotificationStatus {
        match self.status {
            NotificationStatus::Pending if self.claimed_at.is_some() => NotificationStatus::Sending,
            status => status,
        }
    }
}

impl ActiveModelBehavior for ActiveModel {}
