//! Candidacies: the four-year clock, extensions, reminders and lapses.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::periods::{days_between, due_threshold, sub_months};
use crate::rules::text::required;
use chrono::NaiveDate;
use entity::candidacy::{self, CandidacyStatus};
use entity::{application, deadline_extension};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;

/// The candidacy, if the caller may see it: the candidate, or staff. Anyone else is told
/// it does not exist.
pub async fn visible<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
) -> DomainResult<candidacy::Model> {
    actor.require_signed_in()?;
    let c = candidacy::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("candidacy"))?;
    match actor {
        Actor::System => Ok(c),
        Actor::Anonymous => Err(DomainError::Unauthenticated),
        Actor::Account(v) if v.account_id == c.account_id || v.is_staff_or_crc() => Ok(c),
        Actor::Account(_) => Err(DomainError::NotFound("candidacy")),
    }
}

async fn applicant<C: ConnectionTrait>(
    db: &C,
    c: &candidacy::Model,
) -> DomainResult<application::Model> {
    application::Entity::find_by_id(c.application_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("application"))
}

/// Moves a candidacy's deadline later, with a reason. Staff only. A lapsed candidacy
/// extended past today becomes active again.
pub async fn extend_deadline(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    new_deadline: NaiveDate,
    reason: &str,
) -> DomainResult<candidacy::Model> {
    let viewer = actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("Staff extend deadlines."))?
        .clone();
    let reason = required("reason", "The reason for the extension", reason, 5_000)?;
    let now = ctx.now();
    let today = ctx.today();
    let txn = ctx.begin_write().await?;
    let c = visible(&txn, actor, id).await?;
    if matches!(
        c.status,
        CandidacyStatus::Certified | CandidacyStatus::Withdrawn
    ) {
        return Err(DomainError::invalid(Violation::new(
            "CANDIDACY_CLOSED",
            "A certified or withdrawn candidacy has no deadline to extend.",
        )));
    }
    if new_deadline <= c.deadline_on || new_deadline <= today {
        return Err(DomainError::invalid(
            Violation::new(
                "NOT_LATER",
                format!(
                    "The new deadline must be after the current one ({}) and after today.",
                    c.deadline_on
                ),
            )
            .on("newDeadline"),
        ));
    }
    deadline_extension::ActiveModel {
        candidacy_id: Set(c.id),
        previous_deadline_on: Set(c.deadline_on),
        new_deadline_on: Set(new_deadline),
        reason: Set(reason.clone()),
        granted_by: Set(viewer.account_id),
        granted_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let before = json!({ "deadlineOn": c.deadline_on, "status": c.status });
    let mut am: candidacy::ActiveModel = c.clone().into();
    am.deadline_on = Set(new_deadline);
    if c.status == CandidacyStatus::Lapsed {
        am.status = Set(CandidacyStatus::Active);
        am.lapsed_at = Set(None);
    }
    am.updated_at = Set(now);
    let extended = am.update(&txn).await?;
    let app = applicant(&txn, &extended).await?;
    outbox::queue_email(
        &txn,
        now,
        Email {
            key: format!("deadline_extended:{}:{}", extended.id, new_deadline),
            account_id: Some(extended.account_id),
            to: app.email.clone(),
            to_name: Some(app.given_name.clone()),
            template: EmailTemplate::DeadlineExtended,
            params: json!({
                "name": app.given_name,
                "previous_deadline_on": c.deadline_on.to_string(),
                "deadline_on": new_deadline.to_string(),
                "reason": reason,
            }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("candidacy.extend_deadline", "candidacy", id)
        .before(before)
        .after(json!({ "deadlineOn": extended.deadline_on, "status": extended.status, "reason": reason }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(extended)
}

/// The deadline extensions of a candidacy, oldest first.
pub async fn extensions(
    ctx: &Context,
    actor: &Actor,
    id: i64,
) -> DomainResult<Vec<deadline_extension::Model>> {
    visible(&ctx.db, actor, id).await?;
    Ok(deadline_extension::Entity::find()
        .filter(deadline_extension::Column::CandidacyId.eq(id))
        .order_by_asc(deadline_extension::Column::Id)
        .all(&ctx.db)
        .await?)
}

/// Which deadline reminder is due, given thresholds in months before the deadline: the
/// tightest whose date has come. `None` before the first, and once the deadline is here.
pub fn due_month_threshold(
    thresholds: &[u32],
    deadline: NaiveDate,
    today: NaiveDate,
) -> Option<u32> {
    if today >= deadline {
        return None;
    }
    thresholds
        .iter()
        .copied()
        .filter(|&m| today >= sub_months(deadline, m))
        .min()
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub deadline_reminders: usize,
    pub lapsed: usize,
    pub car_reminders: usize,
}

/// Sends due deadline and record-subscription reminders, and lapses candidacies whose
/// deadline has come without certification. Idempotent: every reminder has a key naming
/// its candidacy, threshold and date, and a lapse is recorded once.
pub async fn sweep(ctx: &Context) -> DomainResult<Swept> {
    let today = ctx.today();
    let mut swept = Swept::default();
    let active = candidacy::Entity::find()
        .filter(candidacy::Column::Status.eq(CandidacyStatus::Active))
        .all(&ctx.db)
        .await?;
    for c in &active {
        if c.deadline_on <= today {
            lapse(ctx, c, &mut swept).await?;
            continue;
        }
        if let Some(months) = due_month_threshold(
            &ctx.config.candidacy.deadline_reminder_months,
            c.deadline_on,
            today,
        ) {
            let key = format!("deadline_reminder:{}:{}:{}", c.id, months, c.deadline_on);
            if remind(
                ctx,
                c,
                EmailTemplate::DeadlineReminder,
                key,
                json!({
                    "months": months,
                    "deadline_on": c.deadline_on.to_string(),
                    "days_left": days_between(today, c.deadline_on),
                }),
            )
            .await?
            {
                swept.deadline_reminders += 1;
            }
        }
    }
    // The record subscription runs on for certified candidates too.
    let subscribed = candidacy::Entity::find()
        .filter(
            candidacy::Column::Status.is_in([CandidacyStatus::Active, CandidacyStatus::Certified]),
        )
        .filter(candidacy::Column::CarExpiresOn.gt(today))
        .all(&ctx.db)
        .await?;
    for c in &subscribed {
        let days_left = days_between(today, c.car_expires_on);
        if let Some(days) = due_threshold(&ctx.config.candidacy.car_reminder_days, days_left) {
            let key = format!(
                "car_subscription_reminder:{}:{}:{}",
                c.id, days, c.car_expires_on
            );
            if remind(
                ctx,
                c,
                EmailTemplate::CarSubscriptionReminder,
                key,
                json!({
                    "days_left": days_left,
                    "car_expires_on": c.car_expires_on.to_string(),
                }),
            )
            .await?
            {
                swept.car_reminders += 1;
            }
        }
    }
    if swept != Swept::default() {
        ctx.outbox_written();
    }
    Ok(swept)
}

/// Queues one reminder to the candidate; returns whether it was new.
async fn remind(
    ctx: &Context,
    c: &candidacy::Model,
    template: EmailTemplate,
    key: String,
    mut params: serde_json::Value,
) -> DomainResult<bool> {
    let app = applicant(&ctx.db, c).await?;
    if let Some(obj) = params.as_object_mut() {
        obj.insert("name".into(), json!(app.given_name));
    }
    Ok(outbox::queue_email(
        &ctx.db,
        ctx.now(),
        Email {
            key,
            account_id: Some(c.account_id),
            to: app.email,
            to_name: Some(app.given_name),
            template,
            params,
            secret: None,
            batch_id: None,
        },
    )
    .await?)
}

async fn lapse(ctx: &Context, c: &candidacy::Model, swept: &mut Swept) -> DomainResult<()> {
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let Some(fresh) = candidacy::Entity::find_by_id(c.id).one(&txn).await? else {
        return Ok(());
    };
    if fresh.status != CandidacyStatus::Active || fresh.deadline_on > ctx.today() {
        return Ok(());
    }
    let mut am: candidacy::ActiveModel = fresh.clone().into();
    am.status = Set(CandidacyStatus::Lapsed);
    am.lapsed_at = Set(Some(now));
    am.updated_at = Set(now);
    am.update(&txn).await?;
    let app = applicant(&txn, &fresh).await?;
    outbox::queue_email(
        &txn,
        now,
        Email {
            key: format!("candidacy_lapsed:{}:{}", fresh.id, fresh.deadline_on),
            account_id: Some(fresh.account_id),
            to: app.email.clone(),
            to_name: Some(app.given_name.clone()),
            template: EmailTemplate::CandidacyLapsed,
            params: json!({ "name": app.given_name, "deadline_on": fresh.deadline_on.to_string() }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("candidacy.lapse", "candidacy", fresh.id)
        .before(json!({ "status": fresh.status }))
        .after(json!({ "status": CandidacyStatus::Lapsed, "deadlineOn": fresh.deadline_on }))
        .write(&txn, &Actor::System, now)
        .await?;
    txn.commit().await?;
    swept.lapsed += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_tightest_monthly_reminder_whose_day_has_come_is_due() {
        let deadline = d("2030-06-15");
        let t = [12, 6, 3, 1];
        assert_eq!(due_month_threshold(&t, deadline, d("2029-06-14")), None);
        assert_eq!(due_month_threshold(&t, deadline, d("2029-06-15")), Some(12));
        assert_eq!(due_month_threshold(&t, deadline, d("2029-12-15")), Some(6));
        assert_eq!(due_month_threshold(&t, deadline, d("2030-03-15")), Some(3));
        assert_eq!(due_month_threshold(&t, deadline, d("2030-05-15")), Some(1));
        assert_eq!(due_month_threshold(&t, deadline, d("2030-06-14")), Some(1));
        assert_eq!(due_month_threshold(&t, deadline, d("2030-06-15")), None);
    }
}
