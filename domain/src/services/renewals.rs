//! Certificate renewal, expiry and revocation.
//!
//! A holder applies to renew with continuing-education evidence against the configured
//! requirement and pays the renewal fee; staff approve (the new period starts when the
//! current one ends) or return it with reasons. The daily sweep reminds holders before
//! expiry and expires certificates not renewed.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::fees::dollars;
use crate::rules::periods::{add_years, days_between, due_threshold};
use crate::rules::text::{Problems, optional, required, single_line, single_line_optional};
use crate::services::{achievements, certificates, documents};
use chrono::NaiveDate;
use entity::certificate::{self, CertificateStatus};
use entity::payment::{self, PaymentKind};
use entity::renewal::{self, RenewalStatus};
use entity::{application, candidacy, certificate_period, renewal_activity};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

/// One continuing-education activity.
#[derive(Debug, Clone)]
pub struct ActivityInput {
    pub title: String,
    pub provider_name: Option<String>,
    pub completed_on: NaiveDate,
    pub contact_hours: i32,
    /// Of the contact hours, those in technology.
    pub technology_hours: i32,
    pub document_id: Option<i64>,
}

/// A renewal with its activities and what has been paid.
#[derive(Debug, Clone)]
pub struct RenewalDetail {
    pub renewal: renewal::Model,
    pub activities: Vec<renewal_activity::Model>,
    pub paid_cents: i64,
}

async fn paid<C: ConnectionTrait>(db: &C, renewal_id: i64) -> DomainResult<i64> {
    Ok(payment::Entity::find()
        .filter(payment::Column::RenewalId.eq(renewal_id))
        .filter(payment::Column::Kind.eq(PaymentKind::RenewalFee))
        .all(db)
        .await?
        .iter()
        .map(|p| p.amount_cents)
        .sum())
}

async fn detail<C: ConnectionTrait>(
    db: &C,
    renewal: renewal::Model,
) -> DomainResult<RenewalDetail> {
    let activities = renewal_activity::Entity::find()
        .filter(renewal_activity::Column::RenewalId.eq(renewal.id))
        .order_by_asc(renewal_activity::Column::Position)
        .all(db)
        .await?;
    let paid_cents = paid(db, renewal.id).await?;
    Ok(RenewalDetail {
        renewal,
        activities,
        paid_cents,
    })
}

async fn holder<C: ConnectionTrait>(
    db: &C,
    cert: &certificate::Model,
) -> DomainResult<application::Model> {
    let c = candidacy::Entity::find_by_id(cert.candidacy_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("candidacy"))?;
    application::Entity::find_by_id(c.application_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("application"))
}

/// Applies to renew the caller's certificate with continuing-education evidence.
pub async fn apply(
    ctx: &Context,
    actor: &Actor,
    certificate_id: i64,
    activities: Vec<ActivityInput>,
) -> DomainResult<RenewalDetail> {
    let viewer = actor.viewer()?.clone();
    let rules = &ctx.config.renewal;
    let mut p = Problems::default();
    let mut contact = 0i32;
    let mut technology = 0i32;
    for (i, a) in activities.iter().enumerate() {
        p.take(single_line(
            &format!("activities.{i}.title"),
            "The activity",
            &a.title,
            300,
        ));
        p.take(single_line_optional(
            &format!("activities.{i}.providerName"),
            "The provider",
            a.provider_name.as_deref(),
            200,
        ));
        if a.contact_hours <= 0 || a.contact_hours > 1000 {
            p.push(
                Violation::new("OUT_OF_RANGE", "Contact hours must be between 1 and 1,000.")
                    .on(format!("activities.{i}.contactHours")),
            );
        }
        if a.technology_hours < 0 || a.technology_hours > a.contact_hours {
            p.push(
                Violation::new(
                    "OUT_OF_RANGE",
                    "Technology hours are part of the contact hours: between 0 and those.",
                )
                .on(format!("activities.{i}.technologyHours")),
            );
        }
        if a.completed_on > ctx.today() {
            p.push(
                Violation::new(
                    "FUTURE_DATE",
                    "An activity cannot be completed in the future.",
                )
                .on(format!("activities.{i}.completedOn")),
            );
        }
        contact = contact.saturating_add(a.contact_hours.max(0));
        technology = technology.saturating_add(a.technology_hours.max(0));
    }
    if contact < rules.min_contact_hours {
        p.push(Violation::new(
            "TOO_FEW_HOURS",
            format!("Renewal needs {} contact hours of continuing education; these activities have {contact}.", rules.min_contact_hours),
        ).on("activities"));
    }
    if technology < rules.min_technology_hours {
        p.push(Violation::new(
            "TOO_FEW_TECHNOLOGY_HOURS",
            format!("Renewal needs {} of the hours in technology; these activities have {technology}.", rules.min_technology_hours),
        ).on("activities"));
    }
    p.into_result()?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let cert = certificate::Entity::find_by_id(certificate_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    certificates::check_visible(actor, &cert)?;
    if cert.account_id != viewer.account_id {
        return Err(DomainError::forbidden(
            "Only the holder applies to renew a certificate.",
        ));
    }
    if cert.status == CertificateStatus::Revoked {
        return Err(DomainError::invalid(Violation::new(
            "REVOKED",
            "A revoked certificate cannot be renewed.",
        )));
    }
    let open = renewal::Entity::find()
        .filter(renewal::Column::CertificateId.eq(cert.id))
        .filter(renewal::Column::Status.eq(RenewalStatus::Submitted))
        .one(&txn)
        .await?;
    if open.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_SUBMITTED",
            "A renewal of this certificate is already waiting for staff.",
        )));
    }
    for (i, a) in activities.iter().enumerate() {
        if let Some(doc) = a.document_id {
            documents::owned(&txn, actor, doc).await.map_err(|_| {
                DomainError::invalid(
                    Violation::new(
                        "DOCUMENT_NOT_FOUND",
                        "Upload the evidence first, then give its id.",
                    )
                    .on(format!("activities.{i}.documentId")),
                )
            })?;
        }
    }
    let r = renewal::ActiveModel {
        certificate_id: Set(cert.id),
        status: Set(RenewalStatus::Submitted),
        fee_cents: Set(ctx.config.fees.renewal_cents),
        contact_hours: Set(contact),
        technology_hours: Set(technology),
        submitted_at: Set(Some(now)),
        decided_at: Set(None),
        decided_by: Set(None),
        decision_reasons: Set(None),
        new_expires_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (i, a) in activities.into_iter().enumerate() {
        renewal_activity::ActiveModel {
            renewal_id: Set(r.id),
            title: Set(a.title.trim().to_owned()),
            provider_name: Set(a
                .provider_name
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())),
            completed_on: Set(a.completed_on),
            contact_hours: Set(a.contact_hours),
            technology_hours: Set(a.technology_hours),
            document_id: Set(a.document_id),
            position: Set(i as i32 + 1),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    AuditEntry::new("renewal.apply", "renewal", r.id)
        .after(json!({ "certificateId": cert.id, "contactHours": contact, "technologyHours": technology, "feeCents": r.fee_cents }))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, r).await?;
    txn.commit().await?;
    Ok(d)
}

/// Staff approve a renewal (its fee must be paid): a new period starting when the current
/// one ends. The credential of the old period becomes superseded.
pub async fn approve(
    ctx: &Context,
    actor: &Actor,
    renewal_id: i64,
    reasons: Option<&str>,
) -> DomainResult<RenewalDetail> {
    let viewer = actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("Staff decide renewals."))?
        .clone();
    let reasons = optional("reasons", "The reasons", reasons, 10_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let r = renewal::Entity::find_by_id(renewal_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("renewal"))?;
    if r.status != RenewalStatus::Submitted {
        return Err(DomainError::invalid(Violation::new(
            "NOT_SUBMITTED",
            "Only a submitted renewal can be decided.",
        )));
    }
    let paid_cents = paid(&txn, r.id).await?;
    if paid_cents < r.fee_cents {
        return Err(DomainError::invalid(Violation::new(
            "FEE_UNPAID",
            format!(
                "The renewal fee of {} is not paid yet ({} recorded).",
                dollars(r.fee_cents),
                dollars(paid_cents)
            ),
        )));
    }
    let cert = certificate::Entity::find_by_id(r.certificate_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    let starts_on = cert.expires_on;
    let expires_on = add_years(starts_on, ctx.config.certificates.validity_years);
    certificate_period::ActiveModel {
        certificate_id: Set(cert.id),
        starts_on: Set(starts_on),
        expires_on: Set(expires_on),
        renewal_id: Set(Some(r.id)),
        status_list_index: Set(achievements::next_status_index(&txn).await?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut cm: certificate::ActiveModel = cert.clone().into();
    cm.expires_on = Set(expires_on);
    if cert.status == CertificateStatus::Expired {
        cm.status = Set(CertificateStatus::Active);
        cm.expired_at = Set(None);
    }
    cm.updated_at = Set(now);
    cm.update(&txn).await?;
    let mut rm: renewal::ActiveModel = r.clone().into();
    rm.status = Set(RenewalStatus::Approved);
    rm.decided_at = Set(Some(now));
    rm.decided_by = Set(Some(viewer.account_id));
    rm.decision_reasons = Set(reasons.clone());
    rm.new_expires_on = Set(Some(expires_on));
    rm.updated_at = Set(now);
    let approved = rm.update(&txn).await?;
    let app = holder(&txn, &cert).await?;
    outbox::queue_email(&txn, now, Email {
        key: format!("renewal_decided:{}", r.id),
        account_id: Some(cert.account_id),
        to: app.email,
        to_name: Some(app.given_name.clone()),
        template: EmailTemplate::RenewalDecided,
        params: json!({ "name": app.given_name, "approved": true, "number": cert.number, "expires_on": expires_on.to_string(), "reasons": reasons }),
        secret: None,
        batch_id: None,
    })
    .await?;
    AuditEntry::new("renewal.approve", "renewal", r.id)
        .before(json!({ "certificateExpiresOn": cert.expires_on }))
        .after(json!({ "certificateExpiresOn": expires_on }))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, approved).await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(d)
}

/// Staff return a renewal with reasons; the holder may apply again.
pub async fn return_renewal(
    ctx: &Context,
    actor: &Actor,
    renewal_id: i64,
    reasons: &str,
) -> DomainResult<RenewalDetail> {
    let viewer = actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("Staff decide renewals."))?
        .clone();
    let reasons = required("reasons", "The reasons", reasons, 10_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let r = renewal::Entity::find_by_id(renewal_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("renewal"))?;
    if r.status != RenewalStatus::Submitted {
        return Err(DomainError::invalid(Violation::new(
            "NOT_SUBMITTED",
            "Only a submitted renewal can be decided.",
        )));
    }
    let cert = certificate::Entity::find_by_id(r.certificate_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    let mut rm: renewal::ActiveModel = r.clone().into();
    rm.status = Set(RenewalStatus::Returned);
    rm.decided_at = Set(Some(now));
    rm.decided_by = Set(Some(viewer.account_id));
    rm.decision_reasons = Set(Some(reasons.clone()));
    rm.updated_at = Set(now);
    let returned = rm.update(&txn).await?;
    let app = holder(&txn, &cert).await?;
    outbox::queue_email(&txn, now, Email {
        key: format!("renewal_decided:{}", r.id),
        account_id: Some(cert.account_id),
        to: app.email,
        to_name: Some(app.given_name.clone()),
        template: EmailTemplate::RenewalDecided,
        params: json!({ "name": app.given_name, "approved": false, "number": cert.number, "expires_on": cert.expires_on.to_string(), "reasons": reasons }),
        secret: None,
        batch_id: None,
    })
    .await?;
    AuditEntry::new("renewal.return", "renewal", r.id)
        .after(json!({ "reasons": reasons }))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, returned).await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(d)
}

/// Staff revoke a certificate, with a reason; `verifyCertificate` and the status list say so.
pub async fn revoke(
    ctx: &Context,
    actor: &Actor,
    certificate_id: i64,
    reason: &str,
) -> DomainResult<certificate::Model> {
    let viewer = actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("Staff revoke certificates."))?
        .clone();
    let reason = required("reason", "The reason", reason, 5_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let cert = certificate::Entity::find_by_id(certificate_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    if cert.status == CertificateStatus::Revoked {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_REVOKED",
            "This certificate is already revoked.",
        )));
    }
    let mut cm: certificate::ActiveModel = cert.clone().into();
    cm.status = Set(CertificateStatus::Revoked);
    cm.revoked_at = Set(Some(now));
    cm.revoked_reason = Set(Some(reason.clone()));
    cm.revoked_by = Set(Some(viewer.account_id));
    cm.updated_at = Set(now);
    let revoked = cm.update(&txn).await?;
    AuditEntry::new("certificate.revoke", "certificate", cert.id)
        .before(json!({ "status": cert.status }))
        .after(json!({ "status": CertificateStatus::Revoked, "reason": reason }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    Ok(revoked)
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub reminders: usize,
    pub expired: usize,
}

/// Reminds holders before expiry and expires certificates not renewed. Idempotent.
pub async fn sweep(ctx: &Context) -> DomainResult<Swept> {
    let today = ctx.today();
    let now = ctx.now();
    let mut swept = Swept::default();
    let active = certificate::Entity::find()
        .filter(certificate::Column::Status.eq(CertificateStatus::Active))
        .all(&ctx.db)
        .await?;
    for cert in active {
        let days_left = days_between(today, cert.expires_on);
        if days_left <= 0 {
            let txn = ctx.begin_write().await?;
            let n = certificate::Entity::update_many()
                .col_expr(
                    certificate::Column::Status,
                    sea_orm::sea_query::Expr::value(CertificateStatus::Expired),
                )
                .col_expr(
                    certificate::Column::ExpiredAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .col_expr(
                    certificate::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(certificate::Column::Id.eq(cert.id))
                .filter(certificate::Column::Status.eq(CertificateStatus::Active))
                .filter(certificate::Column::ExpiresOn.lte(today))
                .exec(&txn)
                .await?
                .rows_affected;
            if n > 0 {
                let app = holder(&txn, &cert).await?;
                outbox::queue_email(&txn, now, Email {
                    key: format!("certificate_expired:{}:{}", cert.id, cert.expires_on),
                    account_id: Some(cert.account_id),
                    to: app.email,
                    to_name: Some(app.given_name.clone()),
                    template: EmailTemplate::CertificateExpired,
                    params: json!({ "name": app.given_name, "number": cert.number, "expires_on": cert.expires_on.to_string() }),
                    secret: None,
                    batch_id: None,
                })
                .await?;
                AuditEntry::new("certificate.expire", "certificate", cert.id)
                    .after(json!({ "expiresOn": cert.expires_on }))
                    .write(&txn, &Actor::System, now)
                    .await?;
                swept.expired += 1;
            }
            txn.commit().await?;
            continue;
        }
        if let Some(d) = due_threshold(&ctx.config.certificates.expiry_reminder_days, days_left) {
            let app = holder(&ctx.db, &cert).await?;
            if outbox::queue_email(&ctx.db, now, Email {
                key: format!("certificate_reminder:{}:{d}:{}", cert.id, cert.expires_on),
                account_id: Some(cert.account_id),
                to: app.email,
                to_name: Some(app.given_name.clone()),
                template: EmailTemplate::CertificateReminder,
                params: json!({ "name": app.given_name, "number": cert.number, "expires_on": cert.expires_on.to_string(), "days_left": days_left }),
                secret: None,
                batch_id: None,
            })
            .await?
            {
                swept.reminders += 1;
            }
        }
    }
    if swept != Swept::default() {
        ctx.outbox_written();
    }
    Ok(swept)
}

/// The renewals of a certificate the caller may see, newest first.
pub async fn of_certificate(
    ctx: &Context,
    actor: &Actor,
    certificate_id: i64,
) -> DomainResult<Vec<RenewalDetail>> {
    actor.require_signed_in()?;
    let cert = certificate::Entity::find_by_id(certificate_id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    certificates::check_visible(actor, &cert)?;
    let rows = renewal::Entity::find()
        .filter(renewal::Column::CertificateId.eq(certificate_id))
        .order_by_desc(renewal::Column::Id)
        .limit(100)
        .all(&ctx.db)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(detail(&ctx.db, r).await?);
    }
    Ok(out)
}

/// Renewals waiting for staff, oldest first.
pub async fn queue(ctx: &Context, actor: &Actor) -> DomainResult<Vec<RenewalDetail>> {
    actor.require_staff()?;
    let rows = renewal::Entity::find()
        .filter(renewal::Column::Status.eq(RenewalStatus::Submitted))
        .order_by_asc(renewal::Column::Id)
        .limit(500)
        .all(&ctx.db)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(detail(&ctx.db, r).await?);
    }
    Ok(out)
}

/// For payments: the renewal a fee is paid towards, and who holds the certificate.
pub(crate) async fn fee_target<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> DomainResult<(renewal::Model, application::Model, certificate::Model)> {
    let r = renewal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("renewal"))?;
    let cert = certificate::Entity::find_by_id(r.certificate_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    let app = holder(db, &cert).await?;
    Ok((r, app, cert))
}
