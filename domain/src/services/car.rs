//! The Candidate Achievement Record (CAR): the candidate's whole record, and the share
//! grants through which they let others read it.
//!
//! A grantee holds a link token (its SHA-256 is stored), reads the record read-only while
//! the grant lives, optionally limited to some sets, and every view is logged for the
//! candidate to read.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::email_address::EmailAddress;
use crate::rules::text::single_line;
use crate::security::{hash_token, issue_token};
use crate::services::{catalogue, evidence};
use chrono::{DateTime, Utc};
use entity::{application, candidacy, car_access_log, car_share_grant, car_share_grant_set};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

/// A grant as the candidate creates it.
#[derive(Debug, Clone)]
pub struct GrantInput {
    pub grantee_name: String,
    pub grantee_email: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// Limit the grant to these sets (codes); all sets when empty.
    pub set_codes: Vec<String>,
}

/// A grant with the sets it is limited to.
#[derive(Debug, Clone)]
pub struct Grant {
    pub grant: car_share_grant::Model,
    /// Empty: the whole record.
    pub set_ids: Vec<i64>,
}

/// A new grant and its link token, shown once.
#[derive(Debug, Clone)]
pub struct CreatedGrant {
    pub grant: Grant,
    pub token: String,
}

/// What a grantee is reading: the candidacy, and the sets they may see.
#[derive(Debug, Clone)]
pub struct SharedView {
    pub grant: Grant,
    pub candidacy: candidacy::Model,
    pub application: application::Model,
}

async fn sets_of(db: &impl sea_orm::ConnectionTrait, grant_id: i64) -> DomainResult<Vec<i64>> {
    Ok(car_share_grant_set::Entity::find()
        .select_only()
        .column(car_share_grant_set::Column::SetId)
        .filter(car_share_grant_set::Column::GrantId.eq(grant_id))
        .into_tuple()
        .all(db)
        .await?)
}

/// Shares the caller's record with a named person or organisation, and emails them the link.
pub async fn create_grant(
    ctx: &Context,
    actor: &Actor,
    input: GrantInput,
) -> DomainResult<CreatedGrant> {
    let viewer = actor.viewer()?.clone();
    let name = single_line(
        "granteeName",
        "The name of who you share with",
        &input.grantee_name,
        200,
    )?;
    let email = EmailAddress::parse(&input.grantee_email).map_err(|v| v.on("granteeEmail"))?;
    let now = ctx.now();
    if input.expires_at.is_some_and(|e| e <= now) {
        return Err(DomainError::invalid(
            Violation::new("PAST_EXPIRY", "The expiry must be in the future.").on("expiresAt"),
        ));
    }
    let catalogue = catalogue::get(ctx).await?;
    let mut set_ids = Vec::new();
    for code in &input.set_codes {
        let set = catalogue.by_code(code).ok_or_else(|| {
            DomainError::invalid(
                Violation::new("UNKNOWN_SET", format!("There is no competency set {code}."))
                    .on("setCodes"),
            )
        })?;
        if !set_ids.contains(&set.set.id) {
            set_ids.push(set.set.id);
        }
    }
    let txn = ctx.begin_write().await?;
    let candidacy = evidence::own_candidacy(&txn, actor).await?;
    let app = application::Entity::find_by_id(candidacy.application_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("application"))?;
    let token = issue_token();
    let grant = car_share_grant::ActiveModel {
        candidacy_id: Set(candidacy.id),
        grantee_name: Set(name.clone()),
        grantee_email: Set(email.as_str().to_owned()),
        token_hash: Set(token.hash),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        created_by: Set(viewer.account_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for set_id in &set_ids {
        car_share_grant_set::ActiveModel {
            grant_id: Set(grant.id),
            set_id: Set(*set_id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let set_names: Vec<String> = set_ids
        .iter()
        .filter_map(|id| catalogue.set(*id).map(|s| s.set.name.clone()))
        .collect();
    outbox::queue_email(
        &txn,
        now,
        Email {
            key: format!("share_grant_created:{}", grant.id),
            account_id: None,
            to: email.as_str().to_owned(),
            to_name: Some(name.clone()),
            template: EmailTemplate::ShareGrantCreated,
            params: json!({
                "name": name,
                "candidate_name": format!("{} {}", app.given_name, app.family_name),
                "expires_at": grant.expires_at.map(|e| e.to_rfc3339()),
                "sets": set_names,
            }),
            secret: Some(token.plain.clone()),
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("car.grant", "car_share_grant", grant.id)
        .after(json!({ "grantee": grant.grantee_email, "expiresAt": grant.expires_at, "setIds": set_ids }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(CreatedGrant {
        grant: Grant { grant, set_ids },
        token: token.plain,
    })
}

async fn own_grant(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<car_share_grant::Model> {
    let viewer = actor.viewer()?;
    let grant = car_share_grant::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("share grant"))?;
    let candidacy = candidacy::Entity::find_by_id(grant.candidacy_id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("share grant"))?;
    if candidacy.account_id != viewer.account_id && !viewer.is_staff() {
        return Err(DomainError::NotFound("share grant"));
    }
    Ok(grant)
}

/// Ends a grant at once. The candidate (or staff).
pub async fn revoke_grant(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<Grant> {
    let grant = own_grant(ctx, actor, id).await?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let revoked = if grant.revoked_at.is_none() {
        let mut am: car_share_grant::ActiveModel = grant.clone().into();
        am.revoked_at = Set(Some(now));
        let r = am.update(&txn).await?;
        AuditEntry::new("car.revoke", "car_share_grant", id)
            .before(json!({ "revokedAt": null }))
            .after(json!({ "revokedAt": now }))
            .write(&txn, actor, now)
            .await?;
        r
    } else {
        grant
    };
    let set_ids = sets_of(&txn, id).await?;
    txn.commit().await?;
    Ok(Grant {
        grant: revoked,
        set_ids,
    })
}

/// The grants of a candidacy, newest first. The candidate or staff.
pub async fn grants(ctx: &Context, actor: &Actor, candidacy_id: i64) -> DomainResult<Vec<Grant>> {
    crate::services::candidacies::visible(&ctx.db, actor, candidacy_id).await?;
    let rows = car_share_grant::Entity::find()
        .filter(car_share_grant::Column::CandidacyId.eq(candidacy_id))
        .order_by_desc(car_share_grant::Column::Id)
        .all(&ctx.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for grant in rows {
        let set_ids = sets_of(&ctx.db, grant.id).await?;
        out.push(Grant { grant, set_ids });
    }
    Ok(out)
}

/// Every view of a grant, newest first. The candidate or staff.
pub async fn access_log(
    ctx: &Context,
    actor: &Actor,
    grant_id: i64,
) -> DomainResult<Vec<car_access_log::Model>> {
    own_grant(ctx, actor, grant_id).await?;
    Ok(car_access_log::Entity::find()
        .filter(car_access_log::Column::GrantId.eq(grant_id))
        .order_by_desc(car_access_log::Column::Id)
        .limit(1000)
        .all(&ctx.db)
        .await?)
}

/// Opens the record a grant shares, and logs the view. Refused once the grant is revoked
/// or expired, with a message the grantee can act on.
pub async fn open_shared(
    ctx: &Context,
    token: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> DomainResult<SharedView> {
    let now = ctx.now();
    let gone = || {
        DomainError::invalid(Violation::new(
            "SHARE_NOT_AVAILABLE",
            "This link does not open a record: it may have expired or been withdrawn. Ask the candidate for a new one.",
        ))
    };
    let grant = car_share_grant::Entity::find()
        .filter(car_share_grant::Column::TokenHash.eq(hash_token(token.trim())))
        .one(&ctx.db)
        .await?
        .ok_or_else(gone)?;
    if grant.revoked_at.is_some() || grant.expires_at.is_some_and(|e| e <= now) {
        return Err(gone());
    }
    let candidacy = candidacy::Entity::find_by_id(grant.candidacy_id)
        .one(&ctx.db)
        .await?
        .ok_or_else(gone)?;
    let application = application::Entity::find_by_id(candidacy.application_id)
        .one(&ctx.db)
        .await?
        .ok_or_else(gone)?;
    car_access_log::ActiveModel {
        grant_id: Set(grant.id),
        viewed_at: Set(now),
        ip: Set(ip.map(|s| s.chars().take(64).collect())),
        user_agent: Set(user_agent.map(|s| s.chars().take(300).collect())),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    let set_ids = sets_of(&ctx.db, grant.id).await?;
    Ok(SharedView {
        grant: Grant { grant, set_ids },
        candidacy,
        application,
    })
}
