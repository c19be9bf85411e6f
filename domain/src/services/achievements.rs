//! Recording an achieved set, and certification the moment the sixth qualifying set is
//! recorded. Course evidence and portfolio review both come through here, so certification
//! follows from either the same way.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::certification::Standing;
use crate::rules::periods::add_years;
use crate::security::readable_code;
use crate::services::catalogue;
use chrono::NaiveDate;
use entity::account_role::{self, Role};
use entity::achievement::{self, AchievementMethod};
use entity::candidacy::{self, CandidacyStatus};
use entity::certificate::{self, CertificateStatus};
use entity::{account, application, certificate_period};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde_json::json;

/// How a set was achieved, with the record that proves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A verified course completion.
    Course { completion_id: i64 },
    /// A portfolio round found met.
    Portfolio { round_id: i64 },
}

/// The outcome of recording an achievement.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub achievement: achievement::Model,
    /// Issued in the same transaction when this achievement completed the requirement.
    pub certificate: Option<certificate::Model>,
}

/// Records that `candidacy` achieved set `set_id` on `achieved_on`, in the caller's
/// transaction. An achievement is final: recording a set twice is refused. If the
/// candidacy now has every required set and enough electives, the certificate is issued
/// in the same transaction.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    actor: &Actor,
    candidacy: &candidacy::Model,
    set_id: i64,
    proof: Proof,
    achieved_on: NaiveDate,
) -> DomainResult<Recorded> {
    if candidacy.status != CandidacyStatus::Active {
        return Err(DomainError::invalid(Violation::new(
            "CANDIDACY_NOT_ACTIVE",
            "This candidacy is not active (it lapsed, was withdrawn, or is already certified).",
        )));
    }
    let catalogue = catalogue::get(ctx).await?;
    let set = catalogue
        .set(set_id)
        .ok_or_else(|| DomainError::bug(format!("set {set_id} not in the catalogue")))?;
    let already = achievement::Entity::find()
        .filter(achievement::Column::CandidacyId.eq(candidacy.id))
        .filter(achievement::Column::SetId.eq(set_id))
        .one(db)
        .await?;
    if already.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_ACHIEVED",
            format!(
                "{} is already achieved; an achievement is final.",
                set.set.name
            ),
        )));
    }
    let now = ctx.now();
    let (method, completion, round) = match proof {
        Proof::Course { completion_id } => (AchievementMethod::Course, Some(completion_id), None),
        Proof::Portfolio { round_id } => (AchievementMethod::Portfolio, None, Some(round_id)),
    };
    let row = achievement::ActiveModel {
        candidacy_id: Set(candidacy.id),
        set_id: Set(set_id),
        method: Set(method),
        course_completion_id: Set(completion),
        review_round_id: Set(round),
        achieved_on: Set(achieved_on),
        recorded_by: Set(actor.account_id()),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    AuditEntry::new("achievement.record", "achievement", row.id)
        .after(json!({ "candidacyId": candidacy.id, "set": set.set.code, "method": method, "achievedOn": achieved_on }))
        .write(db, actor, now)
        .await?;

    let app = application::Entity::find_by_id(candidacy.application_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("application"))?;
    let achieved_sets: Vec<i64> = achievement::Entity::find()
        .select_only()
        .column(achievement::Column::SetId)
        .filter(achievement::Column::CandidacyId.eq(candidacy.id))
        .into_tuple()
        .all(db)
        .await?;
    let flags: Vec<bool> = achieved_sets
        .iter()
        .filter_map(|id| catalogue.set(*id).map(|s| s.set.required))
        .collect();
    let required_total = catalogue.sets.iter().filter(|s| s.set.required).count() as u32;
    let standing = Standing::of(
        &flags,
        required_total,
        ctx.config.candidacy.electives_required,
    );

    outbox::queue_email(
        db,
        now,
        Email {
            key: format!("achievement_recorded:{}", row.id),
            account_id: Some(candidacy.account_id),
            to: app.email.clone(),
            to_name: Some(app.given_name.clone()),
            template: EmailTemplate::AchievementRecorded,
            params: json!({
                "name": app.given_name,
                "set_name": set.set.name,
                "method": method,
                "required_achieved": standing.required_achieved,
                "required_total": standing.required_total,
                "electives_achieved": standing.electives_achieved,
                "electives_needed": standing.electives_needed,
                "complete": standing.is_complete(),
            }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;

    let certificate = if standing.is_complete() {
        Some(issue_certificate(db, ctx, actor, candidacy, &app).await?)
    } else {
        None
    };
    Ok(Recorded {
        achievement: row,
        certificate,
    })
}

/// Issues the certificate: a unique number, a public verification code, five years
/// (configurable) from today. Tells the holder, the employer and state library if the
/// holder consented, and staff at the first and every hundredth certificate.
async fn issue_certificate<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    actor: &Actor,
    candidacy: &candidacy::Model,
    app: &application::Model,
) -> DomainResult<certificate::Model> {
    let now = ctx.now();
    let today = ctx.today();
    let sequence: i64 = certificate::Entity::find()
        .select_only()
        .column_as(Expr::col(certificate::Column::Sequence).max(), "max")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0)
        + 1;
    let mut code = readable_code(10);
    while certificate::Entity::find()
        .filter(certificate::Column::VerificationCode.eq(code.clone()))
        .one(db)
        .await?
        .is_some()
    {
        code = readable_code(10);
    }
    let expires_on = add_years(today, ctx.config.certificates.validity_years);
    let holder_name = format!("{} {}", app.given_name, app.family_name);
    let cert = certificate::ActiveModel {
        candidacy_id: Set(candidacy.id),
        account_id: Set(candidacy.account_id),
        number: Set(format!("LSSCP-{}-{sequence:06}", today.format("%Y"))),
        verification_code: Set(code),
        sequence: Set(sequence),
        holder_name: Set(holder_name.clone()),
        issued_on: Set(today),
        expires_on: Set(expires_on),
        status: Set(CertificateStatus::Active),
        expired_at: Set(None),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        revoked_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    certificate_period::ActiveModel {
        certificate_id: Set(cert.id),
        starts_on: Set(today),
        expires_on: Set(expires_on),
        renewal_id: Set(None),
        status_list_index: Set(next_status_index(db).await?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut c: candidacy::ActiveModel = candidacy.clone().into();
    c.status = Set(CandidacyStatus::Certified);
    c.certified_at = Set(Some(now));
    c.updated_at = Set(now);
    c.update(db).await?;

    let params = json!({
        "name": app.given_name,
        "holder_name": holder_name,
        "number": cert.number,
        "verification_code": cert.verification_code,
        "issued_on": cert.issued_on.to_string(),
        "expires_on": cert.expires_on.to_string(),
    });
    outbox::queue_email(
        db,
        now,
        Email {
            key: format!("certified:{}", cert.id),
            account_id: Some(candidacy.account_id),
            to: app.email.clone(),
            to_name: Some(app.given_name.clone()),
            template: EmailTemplate::Certified,
            params: params.clone(),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    if app.consent_award_notice {
        let notices = [
            (
                "employer",
                app.employer_name.clone(),
                app.employer_address.clone(),
            ),
            (
                "state_library",
                app.state_library_name.clone(),
                app.state_library_address.clone(),
            ),
        ];
        for (to_whom, org, address) in notices {
            let (Some(org), Some(address)) = (org, address) else {
                continue;
            };
            let mut p = params.clone();
            if let Some(obj) = p.as_object_mut() {
                obj.insert("organisation".into(), json!(org));
                obj.insert("to_whom".into(), json!(to_whom));
            }
            outbox::queue_email(
                db,
                now,
                Email {
                    key: format!("award_notice:{}:{to_whom}", cert.id),
                    account_id: None,
                    to: address,
                    to_name: Some(org),
                    template: EmailTemplate::AwardNotice,
                    params: p,
                    secret: None,
                    batch_id: None,
                },
            )
            .await?;
        }
    }
    let every = ctx.config.certificates.milestone_every;
    if sequence == 1 || sequence % every == 0 {
        let staff = account::Entity::find()
            .inner_join(account_role::Entity)
            .filter(
                account_role::Column::Role.is_in([Role::ProgramOfficer, Role::ProgramAssistant]),
            )
            .distinct()
            .all(db)
            .await?;
        for member in staff {
            outbox::queue_email(db, now, Email {
                key: format!("certificate_milestone:{}:{}", cert.id, member.id),
                account_id: Some(member.id),
                to: member.email.clone(),
                to_name: Some(member.display_name.clone()),
                template: EmailTemplate::CertificateMilestone,
                params: json!({
                    "name": member.display_name,
                    "sequence": sequence,
                    "holder_name": if app.consent_publish_name { Some(cert.holder_name.clone()) } else { None },
                    "number": cert.number,
                    "issued_on": cert.issued_on.to_string(),
                }),
                secret: None,
                batch_id: None,
            })
            .await?;
        }
    }
    AuditEntry::new("certificate.issue", "certificate", cert.id)
        .after(json!({ "number": cert.number, "sequence": sequence, "issuedOn": cert.issued_on, "expiresOn": cert.expires_on }))
        .write(db, actor, now)
        .await?;
    Ok(cert)
}

/// The next free index in the credential status list: one bit per certificate period.
pub async fn next_status_index<C: ConnectionTrait>(db: &C) -> DomainResult<i64> {
    let max: Option<i64> = certificate_period::Entity::find()
        .select_only()
        .column_as(
            Expr::col(certificate_period::Column::StatusListIndex).max(),
            "max",
        )
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(max.map_or(0, |m| m + 1))
}
