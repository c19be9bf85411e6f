//! Verifiable certificates: each certificate period exported as an Open Badges 3.0
//! credential signed with the programme's key, and the two public status lists a verifier
//! reads to learn of expiry, revocation or supersession without calling our API.

use crate::actor::Actor;
use crate::context::Context;
use crate::error::{DomainError, DomainResult};
use crate::services::catalogue;
use credentials::{CertificateFacts, CredentialStatus, StatusList, StatusPurpose};
use entity::certificate::{self, CertificateStatus};
use entity::{achievement, certificate_period};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use std::collections::HashMap;

/// The URL of a status list.
pub fn status_list_url(ctx: &Context, purpose: StatusPurpose) -> String {
    format!("{}/credentials/status/{}", ctx.public_url, purpose.as_str())
}

/// A period's status as of today.
fn status_of(
    cert: &certificate::Model,
    period: &certificate_period::Model,
    latest: &certificate_period::Model,
    today: chrono::NaiveDate,
) -> CredentialStatus {
    if cert.status == CertificateStatus::Revoked {
        CredentialStatus::Revoked
    } else if period.id != latest.id {
        CredentialStatus::Superseded
    } else if period.expires_on <= today || cert.status == CertificateStatus::Expired {
        CredentialStatus::Expired
    } else {
        CredentialStatus::Active
    }
}

/// The credential of a certificate's current period, signed. The holder or staff.
pub async fn export(ctx: &Context, actor: &Actor, certificate_id: i64) -> DomainResult<Value> {
    actor.require_signed_in()?;
    let cert = certificate::Entity::find_by_id(certificate_id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    crate::services::certificates::check_visible(actor, &cert)?;
    let period = certificate_period::Entity::find()
        .filter(certificate_period::Column::CertificateId.eq(cert.id))
        .order_by_desc(certificate_period::Column::StartsOn)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("certificate period"))?;
    let cat = catalogue::get(ctx).await?;
    let mut sets: Vec<(bool, i32, String)> = achievement::Entity::find()
        .filter(achievement::Column::CandidacyId.eq(cert.candidacy_id))
        .all(&ctx.db)
        .await?
        .into_iter()
        .filter_map(|a| {
            cat.set(a.set_id)
                .map(|s| (!s.set.required, s.set.position, s.set.name.clone()))
        })
        .collect();
    sets.sort();
    let facts = CertificateFacts {
        number: cert.number.clone(),
        holder_name: cert.holder_name.clone(),
        verification_code: cert.verification_code.clone(),
        awarded_on: cert.issued_on,
        period_start: period.starts_on,
        period_expiry: period.expires_on,
        achieved_sets: sets.into_iter().map(|(_, _, name)| name).collect(),
        credential_id: format!(
            "{}/credentials/{}/{}",
            ctx.public_url, cert.number, period.id
        ),
        achievement_id: format!(
            "{}/achievements/certified-library-support-staff",
            ctx.public_url
        ),
        revocation_list_url: status_list_url(ctx, StatusPurpose::Revocation),
        message_list_url: status_list_url(ctx, StatusPurpose::Message),
        status_index: usize::try_from(period.status_list_index).map_err(DomainError::internal)?,
    };
    credentials::certificate_credential(&ctx.credential_key, &facts, ctx.now())
        .map_err(DomainError::internal)
}

/// The signed status list credential for `purpose`, as of now: public.
pub async fn status_list(ctx: &Context, purpose: StatusPurpose) -> DomainResult<Value> {
    let today = ctx.today();
    let certs: HashMap<i64, certificate::Model> = certificate::Entity::find()
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let periods = certificate_period::Entity::find()
        .order_by_asc(certificate_period::Column::StartsOn)
        .all(&ctx.db)
        .await?;
    let mut latest: HashMap<i64, certificate_period::Model> = HashMap::new();
    for p in &periods {
        let entry = latest.entry(p.certificate_id).or_insert_with(|| p.clone());
        if p.starts_on >= entry.starts_on {
            *entry = p.clone();
        }
    }
    let mut list = StatusList::for_purpose(purpose);
    let needed = periods
        .iter()
        .map(|p| p.status_list_index as usize + 1)
        .max()
        .unwrap_or(0);
    if needed > list.capacity() {
        // Grow in whole minimum-size steps, so the list's length says nothing about how
        // many certificates exist beyond that.
        let step = credentials::MIN_STATUS_LIST_ENTRIES;
        let entries = needed.div_ceil(step) * step;
        let size = purpose.status_size();
        list = StatusList::new(entries * usize::from(size), size).map_err(DomainError::internal)?;
    }
    for p in &periods {
        let (Some(cert), Some(last)) =
            (certs.get(&p.certificate_id), latest.get(&p.certificate_id))
        else {
            continue;
        };
        let status = status_of(cert, p, last, today);
        let value = match purpose {
            StatusPurpose::Revocation => status.revocation_bit(),
            StatusPurpose::Message => status.message_code(),
        };
        list.set(p.status_list_index as usize, value)
            .map_err(DomainError::internal)?;
    }
    credentials::status_list_credential(
        &ctx.credential_key,
        &status_list_url(ctx, purpose),
        purpose,
        &list,
        ctx.now(),
    )
    .map_err(DomainError::internal)
}
