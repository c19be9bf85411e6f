//! Queued emails, for staff: what was sent, what failed and why, and retrying failures.

use super::connection::{Page, connection};
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use domain::services::notifications;
use entity::notification;

/// Where an email is in its delivery.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::notification::NotificationStatus")]
pub enum NotificationStatus {
    /// Waiting to be sent, or to be retried after a failure.
    Pending,
    /// A worker is sending it now.
    Sending,
    Sent,
    /// Every attempt failed; staff may retry it.
    Failed,
    Cancelled,
}

/// One email to one recipient. Staff only.
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The recipient's address.
    async fn to(&self) -> &str {
        &self.0.to_email
    }

    /// Which email it is (the template's name, e.g. `verify_email`).
    async fn template(&self) -> &str {
        &self.0.template
    }

    async fn status(&self) -> NotificationStatus {
        self.0.delivery_status().into()
    }

    /// Attempts made so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The last failure's reason, if any.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// When the next attempt is due (for pending emails).
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }

    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Emails, newest first, optionally of one status. Staff only.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        status: Option<NotificationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Notification, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = notifications::list(
            services(ctx),
            actor(ctx),
            status.map(Into::into),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(page, rows, |n| n.id, Notification))
    }
}

#[derive(InputObject)]
pub struct RetryNotificationInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct RetryNotificationPayload {
    pub notification: Option<Notification>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Sends a failed email again, from scratch. Staff only.
    async fn retry_notification(
        &self,
        ctx: &Context<'_>,
        input: RetryNotificationInput,
    ) -> Result<RetryNotificationPayload> {
        let id = parse_id(&input.id, "notification")?;
        let (row, user_errors) =
            payload(notifications::retry(services(ctx), actor(ctx), id).await)?;
        Ok(RetryNotificationPayload {
            notification: row.map(Notification),
            user_errors,
        })
    }
}
