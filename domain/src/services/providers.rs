//! Course providers: the organisations, and the accounts that act for them.
//!
//! Staff and the CRC see every provider; a member sees only the providers they belong to;
//! the public sees providers with at least one approved course. People join a provider by
//! accepting an emailed invitation, never by being added: the inviter learns nothing about
//! whether an address has an account, and nobody acts for a provider without consent.

use crate::actor::{Actor, Viewer};
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::email_address::EmailAddress;
use crate::rules::text::{Problems, single_line, single_line_optional};
use crate::security::{hash_token, issue_token};
use crate::services::accounts;
use entity::account_role::Role;
use entity::provider::{self, ProviderKind};
use entity::{account, provider_invitation, provider_member};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
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
    let name = p.take(single_line("name", "The provider's name", &input.name, 200));
    let address_line1 = p.take(single_line(
        "addressLine1",
        "The address",
        &input.address_line1,
        200,
    ));
    let address_line2 = p.take(single_line_optional(
        "addressLine2",
        "The address",
        input.address_line2.as_deref(),
        200,
    ));
    let city = p.take(single_line("city", "The city", &input.city, 100));
    let state = p.take(single_line("state", "The state", &input.state, 50));
    let postal_code = p.take(single_line(
        "postalCode",
        "The postal code",
        &input.postal_code,
        20,
    ));
    let country = p.take(single_line_optional(
        "country",
        "The country",
        input.country.as_deref(),
        2,
    ));
    let contact_name = p.take(single_line(
        "contactName",
        "The contact's name",
        &input.contact_name,
        200,
    ));
    let contact_email =
        p.take(EmailAddress::parse(&input.contact_email).map_err(|v| v.on("contactEmail")));
    let contact_phone = p.take(single_line_optional(
        "contactPhone",
        "The phone number",
        input.contact_phone.as_deref(),
        40,
    ));
    let website = p.take(single_line_optional(
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

/// Checks the caller may decide who acts for `provider_id`: its own members and program
/// officers (or the system). The CRC and assistants oversee providers but do not choose
/// their people; anyone else is told the provider does not exist.
pub async fn require_manager<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    provider_id: i64,
) -> DomainResult<()> {
    let v = match actor {
        Actor::System => return Ok(()),
        Actor::Anonymous => return Err(DomainError::Unauthenticated),
        Actor::Account(v) => v,
    };
    if is_member(db, v.account_id, provider_id).await? {
        return Ok(());
    }
    if !oversees_providers(v) {
        return Err(DomainError::NotFound("provider"));
    }
    provider::Entity::find_by_id(provider_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("provider"))?;
    if v.has(Role::ProgramOfficer) {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "Only the provider's own members and program officers decide who acts for it.",
        ))
    }
}

/// Pending invitations a provider may have at once: enough for any real team, few enough
/// that a member cannot use the provider to mail arbitrary addresses in bulk.
pub const MAX_PENDING_INVITATIONS: u64 = 25;

fn pending(now: chrono::DateTime<chrono::Utc>) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(provider_invitation::Column::AcceptedAt.is_null())
        .add(provider_invitation::Column::RevokedAt.is_null())
        .add(provider_invitation::Column::ExpiresAt.gt(now))
}

/// Invites `email` to act for the provider, by an emailed single-use link. Members or
/// program officers. The answer is the same whether or not the address has an account,
/// and nobody becomes a member until the address's owner accepts.
pub async fn invite_member(
    ctx: &Context,
    actor: &Actor,
    provider_id: i64,
    email: &str,
) -> DomainResult<provider_invitation::Model> {
    actor.require_signed_in()?;
    let email = EmailAddress::parse(email).map_err(|v| v.on("email"))?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    require_manager(&txn, actor, provider_id).await?;
    let provider = provider::Entity::find_by_id(provider_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("provider"))?;
    // A new link replaces any earlier one to the same address, so only one works.
    provider_invitation::Entity::update_many()
        .col_expr(
            provider_invitation::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(provider_invitation::Column::ProviderId.eq(provider_id))
        .filter(provider_invitation::Column::Email.eq(email.as_str()))
        .filter(pending(now))
        .exec(&txn)
        .await?;
    let open = provider_invitation::Entity::find()
        .filter(provider_invitation::Column::ProviderId.eq(provider_id))
        .filter(pending(now))
        .count(&txn)
        .await?;
    if open >= MAX_PENDING_INVITATIONS {
        return Err(DomainError::invalid(Violation::new(
            "TOO_MANY_INVITATIONS",
            format!(
                "This provider already has {MAX_PENDING_INVITATIONS} invitations waiting; withdraw some or wait for them to be accepted."
            ),
        )));
    }
    let inviter_name = match actor.account_id() {
        Some(id) => account::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_else(|| "The programme's staff".to_owned()),
        None => "The programme's staff".to_owned(),
    };
    let token = issue_token();
    let expires_at =
        now + chrono::Duration::hours(ctx.config.accounts.provider_invitation_ttl_hours);
    let invitation = provider_invitation::ActiveModel {
        provider_id: Set(provider_id),
        email: Set(email.as_str().to_owned()),
        token_hash: Set(token.hash),
        invited_by: Set(actor.account_id()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        accepted_at: Set(None),
        accepted_by: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    outbox::queue_email(
        &txn,
        now,
        Email {
            key: format!("provider_invitation:{}", invitation.id),
            account_id: None,
            to: invitation.email.clone(),
            to_name: None,
            template: EmailTemplate::ProviderInvitation,
            params: json!({
                "provider_name": provider.name,
                "inviter_name": inviter_name,
                "expires_at": expires_at.to_rfc3339(),
            }),
            secret: Some(token.plain),
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("provider.invite_member", "provider", provider_id)
        .after(json!({ "invitationId": invitation.id, "email": invitation.email }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(invitation)
}

/// Accepts an invitation: the signed-in account whose address it was sent to becomes a
/// member. The token works once, until it expires or is withdrawn.
pub async fn accept_invitation(
    ctx: &Context,
    actor: &Actor,
    token: &str,
) -> DomainResult<provider::Model> {
    let viewer = actor.viewer()?.clone();
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let unusable = || {
        DomainError::invalid(
            Violation::new(
                "INVITATION_INVALID",
                "This invitation link does not work: it was used or withdrawn, or it expired. Ask the provider for a new one.",
            )
            .on("token"),
        )
    };
    let invitation = provider_invitation::Entity::find()
        .filter(provider_invitation::Column::TokenHash.eq(hash_token(token.trim())))
        .one(&txn)
        .await?
        .ok_or_else(unusable)?;
    if invitation.accepted_at.is_some()
        || invitation.revoked_at.is_some()
        || invitation.expires_at <= now
    {
        return Err(unusable());
    }
    let me = account::Entity::find_by_id(viewer.account_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    if !me.email.eq_ignore_ascii_case(&invitation.email) {
        return Err(DomainError::invalid(
            Violation::new(
                "INVITATION_FOR_ANOTHER_ADDRESS",
                "This invitation was sent to another email address. Sign in with that address to accept it.",
            )
            .on("token"),
        ));
    }
    add_member_row(&txn, actor, invitation.provider_id, me.id, now).await?;
    let mut am: provider_invitation::ActiveModel = invitation.clone().into();
    am.accepted_at = Set(Some(now));
    am.accepted_by = Set(Some(me.id));
    am.update(&txn).await?;
    AuditEntry::new(
        "provider.accept_invitation",
        "provider",
        invitation.provider_id,
    )
    .after(json!({ "invitationId": invitation.id, "accountId": me.id }))
    .write(&txn, actor, now)
    .await?;
    let provider = provider::Entity::find_by_id(invitation.provider_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("provider"))?;
    txn.commit().await?;
    ctx.sessions().forget_account(me.id);
    Ok(provider)
}

/// Withdraws a pending invitation. Those who may invite. Anyone else, the CRC included,
/// is told it does not exist, as they may not see invitations.
pub async fn revoke_invitation(
    ctx: &Context,
    actor: &Actor,
    id: i64,
) -> DomainResult<provider_invitation::Model> {
    actor.require_signed_in()?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let invitation = provider_invitation::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("invitation"))?;
    require_manager(&txn, actor, invitation.provider_id)
        .await
        .map_err(|e| match e {
            DomainError::NotFound(_) | DomainError::Forbidden(_) => {
                DomainError::NotFound("invitation")
            }
            other => other,
        })?;
    if invitation.accepted_at.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "INVITATION_ACCEPTED",
            "This invitation was already accepted; remove the member instead.",
        )));
    }
    if invitation.revoked_at.is_some() {
        return Ok(invitation);
    }
    let mut am: provider_invitation::ActiveModel = invitation.into();
    am.revoked_at = Set(Some(now));
    let revoked = am.update(&txn).await?;
    AuditEntry::new(
        "provider.revoke_invitation",
        "provider",
        revoked.provider_id,
    )
    .after(json!({ "invitationId": revoked.id, "email": revoked.email }))
    .write(&txn, actor, now)
    .await?;
    txn.commit().await?;
    Ok(revoked)
}

/// The invitations of a provider still waiting for an answer, oldest first. Those who may
/// invite.
pub async fn invitations(
    ctx: &Context,
    actor: &Actor,
    provider_id: i64,
) -> DomainResult<Vec<provider_invitation::Model>> {
    require_manager(&ctx.db, actor, provider_id).await?;
    Ok(provider_invitation::Entity::find()
        .filter(provider_invitation::Column::ProviderId.eq(provider_id))
        .filter(pending(ctx.now()))
        .order_by_asc(provider_invitation::Column::Id)
        .limit(MAX_PENDING_INVITATIONS)
        .all(&ctx.db)
        .await?)
}

/// Removes a member. Its members or program officers; a provider keeps at least one.
pub async fn remove_member(
    ctx: &Context,
    actor: &Actor,
    provider_id: i64,
    account_id: i64,
) -> DomainResult<()> {
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    require_manager(&txn, actor, provider_id).await?;
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

/// One person who acts for a provider, as other people see them: no roles, nothing the
/// account holds beyond its name and address.
#[derive(Debug, Clone)]
pub struct Member {
    pub account_id: i64,
    pub display_name: String,
    pub email: String,
    pub added_at: chrono::DateTime<chrono::Utc>,
}

/// The members of a provider the caller may see, in the order they joined.
pub async fn members(ctx: &Context, actor: &Actor, provider_id: i64) -> DomainResult<Vec<Member>> {
    require_access(&ctx.db, actor, provider_id).await?;
    let rows = provider_member::Entity::find()
        .filter(provider_member::Column::ProviderId.eq(provider_id))
        .order_by_asc(provider_member::Column::Id)
        .all(&ctx.db)
        .await?;
    let mut names: std::collections::HashMap<i64, account::Model> = account::Entity::find()
        .filter(account::Column::Id.is_in(rows.iter().map(|m| m.account_id)))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            names.remove(&m.account_id).map(|a| Member {
                account_id: a.id,
                display_name: a.display_name,
                email: a.email,
                added_at: m.added_at,
            })
        })
        .collect())
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
