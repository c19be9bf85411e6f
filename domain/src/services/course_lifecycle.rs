//! The daily sweep over course approvals: reminders before an approval ends, and expiry
//! when it ends without a re-approval.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult};
use crate::rules::periods::{days_between, due_threshold};
use crate::services::{catalogue, courses::notify_provider};
use entity::course::{self, CourseStatus};
use entity::{course_approval, provider};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::HashMap;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Reminders newly queued (a reminder already sent is not counted again).
    pub reminders: usize,
    /// Courses that left the public list.
    pub expired: usize,
    /// Periods that ended with a successor already in place.
    pub rolled_over: usize,
}

/// Sends the reminders that are due and expires what has ended. Safe to run any number of
/// times a day: each reminder has its own idempotency key, and an expiry is recorded once.
pub async fn sweep(ctx: &Context) -> DomainResult<Swept> {
    let today = ctx.today();
    let catalogue = catalogue::get(ctx).await?;
    let open = course_approval::Entity::find()
        .filter(course_approval::Column::ExpiredAt.is_null())
        .all(&ctx.db)
        .await?;
    // The period that ends last, per course: the one that decides reminders and expiry.
    let mut last: HashMap<i64, course_approval::Model> = HashMap::new();
    for a in &open {
        let entry = last.entry(a.course_id).or_insert_with(|| a.clone());
        if a.expires_on > entry.expires_on {
            *entry = a.clone();
        }
    }
    let mut swept = Swept::default();
    for approval in &open {
        let is_last = last
            .get(&approval.course_id)
            .is_some_and(|l| l.id == approval.id);
        let days_left = days_between(today, approval.expires_on);
        if days_left <= 0 {
            expire(ctx, approval, is_last, &mut swept).await?;
            continue;
        }
        if !is_last {
            continue;
        }
        let Some(threshold) = due_threshold(&ctx.config.courses.expiry_reminder_days, days_left)
        else {
            continue;
        };
        let txn = ctx.begin_write().await?;
        let (course, provider) = course_and_provider(&txn, approval.course_id).await?;
        let before =
            crate::outbox::count_keys_with_prefix(&txn, &reminder_key(approval.id, threshold))
                .await?;
        notify_provider(&txn, ctx, &provider, EmailTemplate::CourseExpiryReminder, &reminder_key(approval.id, threshold), json!({
            "course_title": course.title,
            "set_name": catalogue.set(course.set_id).map(|s| s.set.name.clone()).unwrap_or_default(),
            "expires_on": approval.expires_on.to_string(),
            "days_left": days_left,
        }))
        .await?;
        let after =
            crate::outbox::count_keys_with_prefix(&txn, &reminder_key(approval.id, threshold))
                .await?;
        txn.commit().await?;
        swept.reminders += (after - before) as usize;
    }
    if swept.reminders > 0 || swept.expired > 0 {
        ctx.outbox_written();
    }
    Ok(swept)
}

fn reminder_key(approval_id: i64, threshold: u32) -> String {
    format!("course_expiry_reminder:{approval_id}:{threshold}")
}

async fn course_and_provider<C: sea_orm::ConnectionTrait>(
    db: &C,
    course_id: i64,
) -> DomainResult<(course::Model, provider::Model)> {
    let course = course::Entity::find_by_id(course_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("course"))?;
    let provider = provider::Entity::find_by_id(course.provider_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("provider"))?;
    Ok((course, provider))
}

async fn expire(
    ctx: &Context,
    approval: &course_approval::Model,
    is_last: bool,
    swept: &mut Swept,
) -> DomainResult<()> {
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    // Re-read under the transaction: another worker may have recorded it meanwhile.
    let Some(fresh) = course_approval::Entity::find_by_id(approval.id)
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    if fresh.expired_at.is_some() {
        return Ok(());
    }
    let mut a: course_approval::ActiveModel = fresh.clone().into();
    a.expired_at = Set(Some(now));
    a.update(&txn).await?;
    if !is_last {
        txn.commit().await?;
        swept.rolled_over += 1;
        return Ok(());
    }
    let (course, provider) = course_and_provider(&txn, approval.course_id).await?;
    let mut c: course::ActiveModel = course.clone().into();
    c.status = Set(CourseStatus::Expired);
    c.updated_at = Set(now);
    c.update(&txn).await?;
    let catalogue = catalogue::get(ctx).await?;
    notify_provider(&txn, ctx, &provider, EmailTemplate::CourseExpired, &format!("course_expired:{}", approval.id), json!({
        "course_title": course.title,
        "set_name": catalogue.set(course.set_id).map(|s| s.set.name.clone()).unwrap_or_default(),
        "expired_on": approval.expires_on.to_string(),
    }))
    .await?;
    AuditEntry::new("course.expire", "course", course.id)
        .before(json!({ "status": course.status }))
        .after(json!({ "status": CourseStatus::Expired, "approvalId": approval.id }))
        .write(&txn, &Actor::System, now)
        .await?;
    txn.commit().await?;
    swept.expired += 1;
    Ok(())
}
