//! Course providers: the organisations, and the accounts that act for them.
//!
//! Staff and the CRC see every provider; a member sees only the providers they belong to;
//! the public sees providers with at least one approved course.

use crate::actor::{Actor, Viewer};
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::error::{DomainError, DomainResult, Violation};
use crate::rules::email_address::EmailAddress;
use crate::rules::text::{Problems, optional, required};
use crate::services::accounts;
use entity::account_role::Role;
use entity::provider::{self, ProviderKind};
use entity::{account, provider_member};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

/// A provider's details, as entered.
#[derive(Debug, Clone)]
pub struct ProviderInput {
    pub name: String,
    pub kind: ProviderKind,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
}

/// The checked form of [`ProviderInput`].
struct Checked {
    name: String,
    address_line1: String,
    address_line2: Option<String>,
    city: String,
    state: String,
    postal_code: String,
    country: String,
    contact_name: String,
    contact_email: String,
    contact_phone: Option<String>,
    website: Option<String>,
}

fn check(input: &ProviderInput) -> DomainResult<Checked> {
    let mut p = Problems::default();
    let name = p.take(required("name", "The provider's name", &input.name, 200));
    let address_line1 = p.take(required(
        "addressLine1",
        "The address",
        &input.address_line1,
        200,
    ));
    let address_line2 = p.take(optional(
        "addressLine2",
        "The address",
        input.address_line2.as_deref(),
        200,
    ));
    let city = p.take(required("city", "The city", &input.city, 100));
    let state = p.take(required("state", "The state", &input.state, 50));
    let postal_code = p.take(required(
        "postalCode",
        "The postal code",
        &input.postal_code,
        20,
    ));
    let country = p.take(optional(
        "country",
        "The country",
        input.country.as_deref(),
        2,
    ));
    let contact_name = p.take(required(
        "contactName",
        "The contact's name",
        &input.contact_name,
        200,
    ));
    let contact_email =
        p.take(EmailAddress::parse(&input.contact_email).map_err(|v| v.on("contactEmail")));
    let contact_phone = p.take(optional(
        "contactPhone",
        "The phone number",
        input.contact_phone.as_deref(),
        40,
    ));
    let website = p.take(optional(
        "website",
        "The website",
        input.website.as_deref(),
        300,
    ));
    p.into_result()?;
    match (
        name,
        address_line1,
        address_line2,
        city,
        state,
        postal_code,
        country,
        contact_name,
        contact_email,
        contact_phone,
        website,
    ) {
        (
            Some(name),
            Some(address_line1),
            Some(address_line2),
            Some(city),
            Some(state),
            Some(postal_code),
            Some(country),
            Some(contact_name),
            Some(contact_email),
            Some(contact_phone),
            Some(website),
        ) => Ok(Checked {
            name,
            address_line1,
            address_line2,
            city,
            state: state.to_uppercase(),
            postal_code,
            country: country
                .map(|c| c.to_uppercase())
                .unwrap_or_else(|| "US".to_owned()),
            contact_name,
            contact_email: contact_email.as_str().to_owned(),
            contact_phone,
            website,
        }),
        _ => Err(DomainError::bug("provider input checked without a value")),
    }
}

pub(crate) fn snapshot(p: &provider::Model) -> serde_json::Value {
    json!({
        "name": p.name, "kind": p.kind, "city": p.city, "state": p.state,
        "contactEmail": p.contact_email, "website": p.website,
    })
}

/// Whether `account_id` acts for `provider_id`.
pub async fn is_member<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    provider_id: i64,
) -> DomainResult<bool> {
    Ok(provider_member::Entity::find()
        .filter(provider_member::Column::AccountId.eq(account_id))
        .filter(provider_member::Column::ProviderId.eq(provider_id))
        .one(db)
        .await?
        .is_some())
}

/// Staff and the CRC oversee every provider.
pub fn oversees_providers(viewer: &Viewer) -> bool {
    viewer.is_staff() || viewer.has(Role::CrcMember)
}

/// Checks the caller may see and act for `provider_id`: a member, staff or the CRC (or the
/// system). Anyone else is told the provider does not exist.
pub async fn require_access<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    provider_id: i64,
) -> DomainResult<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Anonymous => Err(DomainError::Unauthenticated),
        Actor::Account(v) if oversees_providers(v) => Ok(()),
        Actor::Account(v) => {
            if is_member(db, v.account_id, provider_id).await? {
                Ok(())
            } else {
                Err(DomainError::NotFound("provider"))
            }
        }
    }
}

/// Registers a provider organisation. The caller becomes its first member, unless the
/// caller is staff registering it on the provider's behalf.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    input: ProviderInput,
) -> DomainResult<provider::Model> {
    let viewer = actor.viewer()?;
    let c = check(&input)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let me = account::Entity::find_by_id(viewer.account_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    if me.email_verified_at.is_none() {
        return Err(DomainError::invalid(Violation::new(
            "EMAIL_NOT_VERIFIED",
            "Verify your email address before registering a provider.",
        )));
    }
    let created = provider::ActiveModel {
        name: Set(c.name),
        kind: Set(input.kind),
        address_line1: Set(c.address_line1),
        address_line2: Set(c.address_line2),
        city: Set(c.city),
        state: Set(c.state),
        postal_code: Set(c.postal_code),
        country: Set(c.country),
        contact_name: Set(c.contact_name),
        contact_email: Set(c.contact_email),
        contact_phone: Set(c.contact_phone),
        website: Set(c.website),
        created_by: Set(Some(viewer.account_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if !viewer.is_staff() {
        add_member_row(&txn, actor, created.id, viewer.account_id, now).await?;
    }
    AuditEntry::new("provider.create", "provider", created.id)
        .after(snapshot(&created))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.sessions().forget_account(viewer.account_id);
    Ok(created)
}

/// Changes a provider's details. Its members or staff.
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    input: ProviderInput,
) -> DomainResult<provider::Model> {
    let c = check(&input)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    require_access(&txn, actor, id).await?;
    if let Actor::Account(v) = actor
        && v.has(Role::CrcMember)
        && !v.is_staff()
        && !is_member(&txn, v.account_id, id).await?
    {
        return Err(DomainError::forbidden(
            "The CRC reviews providers' courses but does not edit providers.",
        ));
    }
    let existing = provider::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("provider"))?;
    let before = snapshot(&existing);
    let mut active: provider::ActiveModel = existing.into();
    active.name = Set(c.name);
    active.kind = Set(input.kind);
    active.address_line1 = Set(c.address_line1);
    active.address_line2 = Set(c.address_line2);
    active.city = Set(c.city);
    active.state = Set(c.state);
    active.postal_code = Set(c.postal_code);
    active.country = Set(c.country);
    active.contact_name = Set(c.contact_name);
    active.contact_email = Set(c.contact_email);
    active.contact_phone = Set(c.contact_phone);
    active.website = Set(c.website);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    AuditEntry::new("provider.update", "provider", id)
        .before(before)
        .after(snapshot(&updated))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    Ok(updated)
}

async fn add_member_row<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    provider_id: i64,
    account_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    if !is_member(db, account_id, provider_id).await? {
        provider_member::ActiveModel {
            provider_id: Set(provider_id),
            account_id: Set(account_id),
            added_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    accounts::add_role(db, actor, account_id, Role::ProviderMember, now).await
}

/// Adds the account with `email` as a member of the provider. Members or staff.
pub async fn add_member(
    ctx: &Context,
    actor: &Actor,
    provider_id: i64,
    email: &str,
) -> DomainResult<account::Model> {
    let email = EmailAddress::parse(email)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    require_access(&txn, actor, provider_id).await?;
    let member = account::Entity::find()
        .filter(account::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            DomainError::invalid(
                Violation::new(
                    "ACCOUNT_NOT_FOUND",
                    format!("No account uses {email}. Ask them to register first, then add them."),
                )
                .on("email"),
            )
        })?;
    add_member_row(&txn, actor, provider_id, member.id, now).await?;
    AuditEntry::new("provider.add_member", "provider", provider_id)
        .after(json!({ "accountId": member.id }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.sessions().forget_account(member.id);
    Ok(member)
}

/// Removes a member. Members or staff; a provider keeps at least one member.
pub async fn remove_member(
    ctx: &Context,
    actor: &Actor,
    provider_id: i64,
    account_id: i64,
) -> DomainResult<()> {
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    require_access(&txn, actor, provider_id).await?;
    let members = provider_member::Entity::find()
        .filter(provider_member::Column::ProviderId.eq(provider_id))
        .all(&txn)
        .await?;
    if !members.iter().any(|m| m.account_id == account_id) {
        return Err(DomainError::invalid(
            Violation::new(
                "NOT_A_MEMBER",
                "That account is not a member of this provider.",
            )
            .on("accountId"),
        ));
    }
    if members.len() == 1 {
        return Err(DomainError::invalid(Violation::new(
            "LAST_MEMBER",
            "A provider needs at least one member; add another before removing this one.",
        )));
    }
    provider_member::Entity::delete_many()
        .filter(provider_member::Column::ProviderId.eq(provider_id))
        .filter(provider_member::Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;
    AuditEntry::new("provider.remove_member", "provider", provider_id)
        .before(json!({ "accountId": account_id }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// One provider the caller may see.
pub async fn get(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<provider::Model> {
    require_access(&ctx.db, actor, id).await?;
    provider::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("provider"))
}

/// Providers the caller may see, newest first: all of them for staff and the CRC, the
/// caller's own for members.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    search: Option<&str>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<provider::Model>> {
    let viewer = actor.viewer()?;
    let mut q = provider::Entity::find().order_by_desc(provider::Column::Id);
    if !oversees_providers(viewer) {
        let mine: Vec<i64> = provider_member::Entity::find()
            .filter(provider_member::Column::AccountId.eq(viewer.account_id))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|m| m.provider_id)
            .collect();
        q = q.filter(provider::Column::Id.is_in(mine));
    }
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(crate::services::search::contains(provider::Column::Name, s));
    }
    if let Some(after) = after_id {
        q = q.filter(provider::Column::Id.lt(after));
    }
    Ok(q.limit(limit).all(&ctx.db).await?)
}

/// The member accounts of a provider the caller may see.
pub async fn members(
    ctx: &Context,
    actor: &Actor,
    provider_id: i64,
) -> DomainResult<Vec<account::Model>> {
    require_access(&ctx.db, actor, provider_id).await?;
    let ids: Vec<i64> = provider_member::Entity::find()
        .filter(provider_member::Column::ProviderId.eq(provider_id))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .order_by_asc(account::Column::Id)
        .all(&ctx.db)
        .await?)
}

/// Everyone who should hear about a provider's courses: its contact address and its
/// members, each address once.
pub async fn recipients<C: ConnectionTrait>(
    db: &C,
    provider: &provider::Model,
) -> DomainResult<Vec<(String, String, Option<i64>)>> {
    let mut out = vec![(
        provider.contact_email.clone(),
        provider.contact_name.clone(),
        None,
    )];
    let member_ids: Vec<i64> = provider_member::Entity::find()
        .filter(provider_member::Column::ProviderId.eq(provider.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    for a in account::Entity::find()
        .filter(account::Column::Id.is_in(member_ids))
        .order_by_asc(account::Column::Id)
        .all(db)
        .await?
    {
        if !out.iter().any(|(e, _, _)| *e == a.email) {
            out.push((a.email, a.display_name, Some(a.id)));
        }
    }
    Ok(out)
}
