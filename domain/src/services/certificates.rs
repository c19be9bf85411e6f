//! Certificates: public verification and the public list of consenting holders.

use crate::actor::Actor;
use crate::context::Context;
use crate::error::{DomainError, DomainResult};
use chrono::NaiveDate;
use entity::application;
use entity::candidacy;
use entity::certificate::{self, CertificateStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait};

/// What anyone may learn from a verification code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub holder_name: String,
    pub number: String,
    /// As of today: an active certificate past its expiry date reads as expired even
    /// before the daily sweep records it.
    pub status: CertificateStatus,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

/// Looks a certificate up by its public verification code (case and spaces ignored).
pub async fn verify(ctx: &Context, code: &str) -> DomainResult<Option<Verification>> {
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    if code.is_empty() || code.len() > 32 {
        return Ok(None);
    }
    let Some(cert) = certificate::Entity::find()
        .filter(certificate::Column::VerificationCode.eq(code))
        .one(&ctx.db)
        .await?
    else {
        return Ok(None);
    };
    let status = match cert.status {
        CertificateStatus::Active if cert.expires_on <= ctx.today() => CertificateStatus::Expired,
        other => other,
    };
    Ok(Some(Verification {
        holder_name: cert.holder_name,
        number: cert.number,
        status,
        issued_on: cert.issued_on,
        expires_on: cert.expires_on,
    }))
}

/// The certificate of a candidacy, for the holder or staff.
pub async fn of_candidacy(
    ctx: &Context,
    actor: &Actor,
    candidacy_id: i64,
) -> DomainResult<Option<certificate::Model>> {
    crate::services::candidacies::visible(&ctx.db, actor, candidacy_id).await?;
    Ok(certificate::Entity::find()
        .filter(certificate::Column::CandidacyId.eq(candidacy_id))
        .one(&ctx.db)
        .await?)
}

/// The public list of certificate holders: active certificates of holders who consented
/// to be listed, by certificate number.
pub async fn public_holders(
    ctx: &Context,
    state: Option<&str>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<(certificate::Model, String)>> {
    let mut q = certificate::Entity::find()
        .join(
            sea_orm::JoinType::InnerJoin,
            certificate::Relation::Candidacy.def(),
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            candidacy::Relation::Application.def(),
        )
        .filter(application::Column::ConsentPublishName.eq(true))
        .filter(certificate::Column::Status.eq(CertificateStatus::Active))
        .filter(certificate::Column::ExpiresOn.gt(ctx.today()))
        .order_by_desc(certificate::Column::Id);
    if let Some(s) = state.map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(application::Column::State.eq(s.to_uppercase()));
    }
    if let Some(after) = after_id {
        q = q.filter(certificate::Column::Id.lt(after));
    }
    let rows: Vec<(certificate::Model, String)> = q
        .select_also(application::Entity)
        .limit(limit)
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|(c, a)| {
            let state = a.map(|a| a.state).unwrap_or_default();
            (c, state)
        })
        .collect();
    Ok(rows)
}

/// Fails unless the caller may see `cert`: its holder, or staff.
pub fn check_visible(actor: &Actor, cert: &certificate::Model) -> DomainResult<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Anonymous => Err(DomainError::Unauthenticated),
        Actor::Account(v) if v.account_id == cert.account_id || v.is_staff() => Ok(()),
        Actor::Account(_) => Err(DomainError::NotFound("certificate")),
    }
}
