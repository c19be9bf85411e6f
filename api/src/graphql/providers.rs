//! Course providers: registration, members, and the public list of providers.

use super::connection::{Page, connection};
use super::flat;
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::parser::types::SelectionSet;
use async_graphql::{
    Context, Enum, ID, InputObject, InputType, Object, Positioned, Result, SimpleObject, Value,
};
use chrono::{DateTime, Utc};
use domain::services::{courses, providers};
use entity::{provider, provider_invitation};

/// What kind of organisation a provider is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::provider::ProviderKind")]
pub enum ProviderKind {
    LibrarySchool,
    /// A Library Technical Assistant programme.
    LtaProgram,
    StateLibrary,
    StateAssociation,
    ConsortiumOrSystem,
    AlaDivision,
    Vendor,
    IndependentTrainer,
    Other,
}

/// An organisation that offers courses. Its contact details and members are visible to
/// its members, staff and the CRC; the public sees its name, kind, place and website.
pub struct Provider(pub provider::Model);

impl Provider {
    /// The answer to a plain `selection` of `provider`'s public fields (see [`flat`]), or
    /// `None`; `contact` always goes through the executor, which checks who may see it.
    pub fn flat(provider: &provider::Model, selection: &Positioned<SelectionSet>) -> Option<Value> {
        flat::object(selection, |field| {
            Some(match field.node.name.node.as_str() {
                "__typename" => Value::String("Provider".to_owned()),
                "id" => Value::String(provider.id.to_string()),
                "name" => Value::String(provider.name.clone()),
                "kind" => ProviderKind::from(provider.kind).to_value(),
                "city" => Value::String(provider.city.clone()),
                "state" => Value::String(provider.state.clone()),
                "country" => Value::String(provider.country.clone()),
                "website" => provider.website.clone().map_or(Value::Null, Value::String),
                _ => return None,
            })
        })
    }
}

#[Object]
impl Provider {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> ProviderKind {
        self.0.kind.into()
    }

    async fn city(&self) -> &str {
        &self.0.city
    }

    /// The state (or region), upper-case, e.g. `IL`.
    async fn state(&self) -> &str {
        &self.0.state
    }

    /// ISO country code.
    async fn country(&self) -> &str {
        &self.0.country
    }

    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// The full address and contact. Members, staff and the CRC only.
    async fn contact(&self, ctx: &Context<'_>) -> Result<ProviderContact> {
        providers::get(services(ctx), actor(ctx), self.0.id)
            .await
            .gql()?;
        Ok(ProviderContact {
            address_line1: self.0.address_line1.clone(),
            address_line2: self.0.address_line2.clone(),
            postal_code: self.0.postal_code.clone(),
            contact_name: self.0.contact_name.clone(),
            contact_email: self.0.contact_email.clone(),
            contact_phone: self.0.contact_phone.clone(),
        })
    }

    /// The people who act for the provider. Members, staff and the CRC only.
    #[graphql(complexity = "super::cost::list(domain::limits::PROVIDER_MEMBERS, child_complexity)")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<ProviderMember>> {
        let rows = providers::members(services(ctx), actor(ctx), self.0.id)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .take(domain::limits::PROVIDER_MEMBERS)
            .map(ProviderMember)
            .collect())
    }

    /// Invitations still waiting for an answer. Members and program officers only.
    #[graphql(
        complexity = "super::cost::list(providers::MAX_PENDING_INVITATIONS as usize, child_complexity)"
    )]
    async fn invitations(&self, ctx: &Context<'_>) -> Result<Vec<ProviderInvitation>> {
        let rows = providers::invitations(services(ctx), actor(ctx), self.0.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(ProviderInvitation).collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Someone who acts for a provider: their name and address, nothing else of their account.
pub struct ProviderMember(pub providers::Member);

#[Object]
impl ProviderMember {
    /// The member's account id (for `removeProviderMember`).
    async fn account_id(&self) -> ID {
        ID(self.0.account_id.to_string())
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn added_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }
}

/// An invitation to act for a provider, waiting for the invited address's owner.
pub struct ProviderInvitation(pub provider_invitation::Model);

#[Object]
impl ProviderInvitation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn provider_id(&self) -> ID {
        ID(self.0.provider_id.to_string())
    }

    /// The invited address.
    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A provider's address and contact person.
#[derive(SimpleObject)]
pub struct ProviderContact {
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub postal_code: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
}

#[derive(Default)]
pub struct ProviderQuery;

#[Object]
impl ProviderQuery {
    /// One provider. Its members, staff and the CRC.
    async fn provider(&self, ctx: &Context<'_>, id: ID) -> Result<Provider> {
        let id = parse_id(&id, "provider")?;
        providers::get(services(ctx), actor(ctx), id)
            .await
            .gql()
            .map(Provider)
    }

    /// Providers, newest first: all of them for staff and the CRC, your own for members.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn providers(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Provider, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = providers::list(
            services(ctx),
            actor(ctx),
            search.as_deref(),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(page, rows, |p| p.id, Provider))
    }

    /// Public: providers with at least one course approved today, optionally in one state.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn approved_providers(
        &self,
        ctx: &Context<'_>,
        state: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Provider, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = courses::approved_providers(
            services(ctx),
            state.as_deref(),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(page, rows, |p| p.id, Provider))
    }
}

/// A provider's details.
#[derive(InputObject)]
pub struct ProviderInput {
    pub name: String,
    pub kind: ProviderKind,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    /// ISO country code; `US` when omitted.
    pub country: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
}

impl From<ProviderInput> for providers::ProviderInput {
    fn from(i: ProviderInput) -> Self {
        Self {
            name: i.name,
            kind: i.kind.into(),
            address_line1: i.address_line1,
            address_line2: i.address_line2,
            city: i.city,
            state: i.state,
            postal_code: i.postal_code,
            country: i.country,
            contact_name: i.contact_name,
            contact_email: i.contact_email,
            contact_phone: i.contact_phone,
            website: i.website,
        }
    }
}

#[derive(InputObject)]
pub struct UpdateProviderInput {
    pub id: ID,
    pub details: ProviderInput,
}

#[derive(InputObject)]
pub struct InviteProviderMemberInput {
    pub provider_id: ID,
    /// Where to send the invitation; it need not have an account yet.
    pub email: String,
}

#[derive(InputObject)]
pub struct AcceptProviderInvitationInput {
    /// The token from the invitation email's link.
    pub token: String,
}

#[derive(InputObject)]
pub struct RevokeProviderInvitationInput {
    pub invitation_id: ID,
}

#[derive(SimpleObject)]
pub struct ProviderInvitationPayload {
    pub invitation: Option<ProviderInvitation>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RemoveProviderMemberInput {
    pub provider_id: ID,
    pub account_id: ID,
}

#[derive(SimpleObject)]
pub struct ProviderPayload {
    pub provider: Option<Provider>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ProviderMutation;

#[Object]
impl ProviderMutation {
    /// Registers a provider organisation; you become its first member (staff registering
    /// a provider on its behalf do not).
    async fn create_provider(
        &self,
        ctx: &Context<'_>,
        input: ProviderInput,
    ) -> Result<ProviderPayload> {
        let (p, user_errors) =
            payload(providers::create(services(ctx), actor(ctx), input.into()).await)?;
        Ok(ProviderPayload {
            provider: p.map(Provider),
            user_errors,
        })
    }

    /// Changes a provider's details. Its members or staff.
    async fn update_provider(
        &self,
        ctx: &Context<'_>,
        input: UpdateProviderInput,
    ) -> Result<ProviderPayload> {
        let id = parse_id(&input.id, "provider")?;
        let (p, user_errors) =
            payload(providers::update(services(ctx), actor(ctx), id, input.details.into()).await)?;
        Ok(ProviderPayload {
            provider: p.map(Provider),
            user_errors,
        })
    }

    /// Emails an invitation to act for the provider. Its members or program officers. The
    /// answer does not say whether the address has an account; nobody joins until they
    /// accept.
    async fn invite_provider_member(
        &self,
        ctx: &Context<'_>,
        input: InviteProviderMemberInput,
    ) -> Result<ProviderInvitationPayload> {
        let id = parse_id(&input.provider_id, "provider")?;
        let (invitation, user_errors) =
            payload(providers::invite_member(services(ctx), actor(ctx), id, &input.email).await)?;
        Ok(ProviderInvitationPayload {
            invitation: invitation.map(ProviderInvitation),
            user_errors,
        })
    }

    /// Accepts an invitation, signed in with the address it was sent to: you become a
    /// member of the provider.
    async fn accept_provider_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptProviderInvitationInput,
    ) -> Result<ProviderPayload> {
        let (p, user_errors) =
            payload(providers::accept_invitation(services(ctx), actor(ctx), &input.token).await)?;
        Ok(ProviderPayload {
            provider: p.map(Provider),
            user_errors,
        })
    }

    /// Withdraws an invitation not yet accepted. Those who may invite.
    async fn revoke_provider_invitation(
        &self,
        ctx: &Context<'_>,
        input: RevokeProviderInvitationInput,
    ) -> Result<ProviderInvitationPayload> {
        let id = parse_id(&input.invitation_id, "invitation")?;
        let (invitation, user_errors) =
            payload(providers::revoke_invitation(services(ctx), actor(ctx), id).await)?;
        Ok(ProviderInvitationPayload {
            invitation: invitation.map(ProviderInvitation),
            user_errors,
        })
    }

    /// Removes a member; a provider keeps at least one. Its members or program officers.
    async fn remove_provider_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveProviderMemberInput,
    ) -> Result<ProviderPayload> {
        let id = parse_id(&input.provider_id, "provider")?;
        let account = parse_id(&input.account_id, "account")?;
        let result = providers::remove_member(services(ctx), actor(ctx), id, account).await;
        provider_after(ctx, id, result).await
    }
}

async fn provider_after<T>(
    ctx: &Context<'_>,
    id: i64,
    result: domain::DomainResult<T>,
) -> Result<ProviderPayload> {
    let (done, user_errors) = payload(result)?;
    let provider = match done {
        Some(_) => Some(Provider(
            providers::get(services(ctx), actor(ctx), id).await.gql()?,
        )),
        None => None,
    };
    Ok(ProviderPayload {
        provider,
        user_errors,
    })
}
