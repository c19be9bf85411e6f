//! Recorded payments: every fee the programme receives, in integer cents, entered by staff.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::fees::dollars;
use crate::rules::text::single_line_optional;
use crate::services::{applications, courses, renewals};
use chrono::NaiveDate;
use entity::application::ApplicationStatus;
use entity::payment::{self, PaymentKind, PaymentMethod};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

/// What a payment pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentFor {
    /// A course submission's approval fee.
    CourseSubmission(i64),
    /// An application's candidate fee.
    Application(i64),
    /// A renewal's fee.
    Renewal(i64),
}

/// A payment as staff enter it.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    pub paid_for: PaymentFor,
    pub amount_cents: i64,
    pub method: PaymentMethod,
    pub reference: Option<String>,
    pub paid_on: NaiveDate,
}

/// Records a payment and emails a receipt. Staff only.
pub async fn record(
    ctx: &Context,
    actor: &Actor,
    input: PaymentInput,
) -> DomainResult<payment::Model> {
    let viewer = actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("A payment is recorded by a member of staff."))?;
    if input.amount_cents <= 0 {
        return Err(DomainError::invalid(
            Violation::new("OUT_OF_RANGE", "The amount must be more than zero.").on("amountCents"),
        ));
    }
    if input.paid_on > ctx.today() {
        return Err(DomainError::invalid(
            Violation::new("FUTURE_DATE", "A payment cannot be dated in the future.").on("paidOn"),
        ));
    }
    let reference = single_line_optional(
        "reference",
        "The reference",
        input.reference.as_deref(),
        200,
    )?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let (kind, recipients, what, row) = match input.paid_for {
        PaymentFor::CourseSubmission(id) => {
            let (submission, provider) = courses::fee_target(&txn, id).await?;
            if submission.fee_cents.is_none() {
                return Err(DomainError::invalid(Violation::new(
                    "NO_FEE_YET",
                    "This course has not been submitted, so no fee is due yet.",
                )));
            }
            let row = payment::ActiveModel {
                kind: Set(PaymentKind::CourseFee),
                amount_cents: Set(input.amount_cents),
                method: Set(input.method),
                reference: Set(reference),
                paid_on: Set(input.paid_on),
                recorded_by: Set(viewer.account_id),
                application_id: Set(None),
                course_submission_id: Set(Some(id)),
                renewal_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let recipients = crate::services::providers::recipients(&txn, &provider).await?;
            (
                PaymentKind::CourseFee,
                recipients,
                format!("the approval fee for “{}”", submission.title),
                row,
            )
        }
        PaymentFor::Application(id) => {
            let application = applications::fee_target(&txn, id).await?;
            let Some(fee) = application.fee_cents else {
                return Err(DomainError::invalid(Violation::new(
                    "NO_FEE_YET",
                    "This application has not been submitted, so no fee is due yet.",
                )));
            };
            if matches!(
                application.status,
                ApplicationStatus::Withdrawn | ApplicationStatus::Ineligible
            ) {
                return Err(DomainError::invalid(Violation::new(
                    "APPLICATION_CLOSED",
                    "This application is withdrawn or ineligible; no fee is due.",
                )));
            }
            let row = payment::ActiveModel {
                kind: Set(PaymentKind::CandidateFee),
                amount_cents: Set(input.amount_cents),
                method: Set(input.method),
                reference: Set(reference),
                paid_on: Set(input.paid_on),
                recorded_by: Set(viewer.account_id),
                application_id: Set(Some(id)),
                course_submission_id: Set(None),
                renewal_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let what = format!("the application fee ({})", dollars(fee));
            let recipients = vec![(
                application.email.clone(),
                application.given_name.clone(),
                Some(application.account_id),
            )];
            (PaymentKind::CandidateFee, recipients, what, row)
        }
        PaymentFor::Renewal(id) => {
            let (renewal, holder, cert) = renewals::fee_target(&txn, id).await?;
            let row = payment::ActiveModel {
                kind: Set(PaymentKind::RenewalFee),
                amount_cents: Set(input.amount_cents),
                method: Set(input.method),
                reference: Set(reference),
                paid_on: Set(input.paid_on),
                recorded_by: Set(viewer.account_id),
                application_id: Set(None),
                course_submission_id: Set(None),
                renewal_id: Set(Some(renewal.id)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let what = format!("the renewal fee of certificate {}", cert.number);
            let recipients = vec![(
                holder.email.clone(),
                holder.given_name.clone(),
                Some(cert.account_id),
            )];
            (PaymentKind::RenewalFee, recipients, what, row)
        }
    };
    for (email, name, account_id) in recipients {
        outbox::queue_email(
            &txn,
            now,
            Email {
                key: format!("payment_receipt:{}:{email}", row.id),
                account_id,
                to: email,
                to_name: Some(name.clone()),
                template: EmailTemplate::PaymentReceipt,
                params: json!({
                    "name": name,
                    "amount": dollars(row.amount_cents),
                    "what": what,
                    "method": row.method,
                    "reference": row.reference,
                    "paid_on": row.paid_on.to_string(),
                    "receipt_number": format!("R-{:06}", row.id),
                }),
                secret: None,
                batch_id: None,
            },
        )
        .await?;
    }
    AuditEntry::new("payment.record", "payment", row.id)
        .after(json!({
            "kind": kind, "amountCents": row.amount_cents, "method": row.method,
            "reference": row.reference, "paidOn": row.paid_on,
            "courseSubmissionId": row.course_submission_id,
            "applicationId": row.application_id,
            "renewalId": row.renewal_id,
        }))
        .write(&txn, actor, now)
        .await?;
    let mut accepted_account = None;
    if let PaymentFor::Application(id) = input.paid_for {
        let application = applications::fee_target(&txn, id).await?;
        if applications::try_accept(&txn, ctx, actor, &application)
            .await?
            .is_some()
        {
            accepted_account = Some(application.account_id);
        }
    }
    txn.commit().await?;
    if let Some(account_id) = accepted_account {
        ctx.sessions().forget_account(account_id);
    }
    ctx.outbox_written();
    Ok(row)
}

/// Payments towards one course submission, oldest first. Staff, the CRC, and the
/// provider's members.
pub async fn for_submission(
    ctx: &Context,
    actor: &Actor,
    submission_id: i64,
) -> DomainResult<Vec<payment::Model>> {
    courses::submission(ctx, actor, submission_id).await?;
    Ok(payment::Entity::find()
        .filter(payment::Column::CourseSubmissionId.eq(submission_id))
        .order_by_asc(payment::Column::Id)
        .limit(1000)
        .all(&ctx.db)
        .await?)
}
