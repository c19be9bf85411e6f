//! Accounts: registration, verification, sign-in, passwords, roles; and `me`.

use super::connection::{Page, connection};
use super::loaders::Loaders;
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use domain::services::accounts::{self, Registration};
use entity::account;

/// What an account may do. One account may hold several roles.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::account_role::Role")]
pub enum Role {
    /// Applies, builds a record of achievements, is certified.
    Candidate,
    /// Acts for a course provider: submits courses for approval.
    ProviderMember,
    /// Assesses the portfolios assigned to them.
    Evaluator,
    /// Certification Review Committee: approves courses, selects evaluators, decides appeals.
    CrcMember,
    /// Staff: tracking, correspondence, bulk notices.
    ProgramAssistant,
    /// Staff with every power, including granting roles.
    ProgramOfficer,
}

/// A person who signs in. Visible to the account itself and to staff.
pub struct Account(pub account::Model);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    /// The name to address the person by.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// Whether the person has proven they own the email address.
    async fn email_verified(&self) -> bool {
        self.0.email_verified_at.is_some()
    }

    async fn email_verified_at(&self) -> Option<DateTime<Utc>> {
        self.0.email_verified_at
    }

    /// The roles held now, in a stable order.
    #[graphql(
        complexity = "super::cost::list(<Role as async_graphql::resolver_utils::EnumType>::items().len(), child_complexity)"
    )]
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<Role>> {
        let roles = ctx
            .data_unchecked::<Loaders>()
            .roles
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(roles.into_iter().map(Role::from).collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in account, or null when nobody is signed in.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Ok(viewer) = actor(ctx).viewer() else {
            return Ok(None);
        };
        accounts::account(services(ctx), actor(ctx), viewer.account_id)
            .await
            .gql()
            .map(|a| Some(Account(a)))
    }

    /// One account, by id. Staff, or the account itself.
    async fn account(&self, ctx: &Context<'_>, id: ID) -> Result<Account> {
        let id = parse_id(&id, "account")?;
        accounts::account(services(ctx), actor(ctx), id)
            .await
            .gql()
            .map(Account)
    }

    /// Accounts, newest first, whose email or name contains `search`. Staff only.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Account, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = accounts::find_accounts(
            services(ctx),
            actor(ctx),
            search.as_deref(),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(page, rows, |a| a.id, Account))
    }
}

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    pub email: String,
    /// At least 12 characters.
    pub password: String,
    /// The name to address the person by.
    pub display_name: String,
}

/// The answer is the same whether or not the address already had an account, so the form
/// cannot be used to find out who has one; either way an email is on its way.
#[derive(SimpleObject)]
pub struct RegisterPayload {
    /// True when the registration was accepted and a verification email is on its way.
    pub ok: bool,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct VerifyEmailInput {
    /// The token from the emailed link.
    pub token: String,
}

#[derive(SimpleObject)]
pub struct VerifyEmailPayload {
    pub account: Option<Account>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ResendVerificationInput {
    pub email: String,
}

/// Always `ok` for a well-formed address: whether it has an account is not revealed.
#[derive(SimpleObject)]
pub struct OkPayload {
    pub ok: bool,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// A sign-in. Send `token` as `Authorization: Bearer <token>` on later requests.
#[derive(SimpleObject)]
pub struct LoginPayload {
    pub token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub account: Option<Account>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    pub email: String,
}

#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The token from the emailed link.
    pub token: String,
    /// At least 12 characters.
    pub new_password: String,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

#[derive(InputObject)]
pub struct RoleInput {
    pub account_id: ID,
    pub role: Role,
}

#[derive(SimpleObject)]
pub struct RolePayload {
    /// The account with its roles as they now are.
    pub account: Option<Account>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

fn signed_in(result: domain::DomainResult<accounts::SignedIn>) -> Result<LoginPayload> {
    let (signed_in, user_errors) = payload(result)?;
    Ok(match signed_in {
        Some(s) => LoginPayload {
            token: Some(s.token),
            expires_at: Some(s.expires_at),
            account: Some(Account(s.account)),
            user_errors,
        },
        None => LoginPayload {
            token: None,
            expires_at: None,
            account: None,
            user_errors,
        },
    })
}

fn ok(result: domain::DomainResult<()>) -> Result<OkPayload> {
    let (done, user_errors) = payload(result)?;
    Ok(OkPayload {
        ok: done.is_some(),
        user_errors,
    })
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and emails a verification link.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<RegisterPayload> {
        let result = accounts::register(
            services(ctx),
            actor(ctx),
            Registration {
                email: input.email,
                password: input.password,
                display_name: input.display_name,
            },
        )
        .await;
        let (done, user_errors) = payload(result)?;
        Ok(RegisterPayload {
            ok: done.is_some(),
            user_errors,
        })
    }

    /// Proves ownership of the email address with the emailed token.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        input: VerifyEmailInput,
    ) -> Result<VerifyEmailPayload> {
        let (account, user_errors) =
            payload(accounts::verify_email(services(ctx), actor(ctx), &input.token).await)?;
        Ok(VerifyEmailPayload {
            account: account.map(Account),
            user_errors,
        })
    }

    /// Emails a new verification link to an account that is not yet verified.
    async fn resend_verification(
        &self,
        ctx: &Context<'_>,
        input: ResendVerificationInput,
    ) -> Result<OkPayload> {
        ok(accounts::resend_verification(services(ctx), actor(ctx), &input.email).await)
    }

    /// Signs in. At most 100 failed attempts per email address per hour are checked,
    /// whether or not the address has an account; later attempts fail with `RATE_LIMITED`
    /// until the hour has passed. `BUSY` means the server is at its bound for password
    /// checks: nothing happened, try again in a moment.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<LoginPayload> {
        signed_in(accounts::log_in(services(ctx), &input.email, &input.password).await)
    }

    /// Ends this sign-in: the token stops working at once.
    async fn logout(&self, ctx: &Context<'_>) -> Result<OkPayload> {
        ok(accounts::log_out(services(ctx), actor(ctx)).await)
    }

    /// Emails a password-reset link, if the address has an account.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        input: RequestPasswordResetInput,
    ) -> Result<OkPayload> {
        ok(accounts::request_password_reset(services(ctx), actor(ctx), &input.email).await)
    }

    /// Sets a new password with the emailed token. Every sign-in of the account ends.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> Result<OkPayload> {
        ok(
            accounts::reset_password(services(ctx), actor(ctx), &input.token, input.new_password)
                .await,
        )
    }

    /// Changes the signed-in account's password. Every sign-in ends, this one included;
    /// the payload carries a fresh one.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> Result<LoginPayload> {
        signed_in(
            accounts::change_password(
                services(ctx),
                actor(ctx),
                input.current_password,
                input.new_password,
            )
            .await,
        )
    }

    /// Grants a role. Program officers only.
    async fn grant_role(&self, ctx: &Context<'_>, input: RoleInput) -> Result<RolePayload> {
        let id = parse_id(&input.account_id, "account")?;
        let result = accounts::grant_role(services(ctx), actor(ctx), id, input.role.into()).await;
        role_payload(ctx, id, result).await
    }

    /// Takes a role away. Program officers only; the last officer keeps the role.
    async fn revoke_role(&self, ctx: &Context<'_>, input: RoleInput) -> Result<RolePayload> {
        let id = parse_id(&input.account_id, "account")?;
        let result = accounts::revoke_role(services(ctx), actor(ctx), id, input.role.into()).await;
        role_payload(ctx, id, result).await
    }
}

async fn role_payload<T>(
    ctx: &Context<'_>,
    id: i64,
    result: domain::DomainResult<T>,
) -> Result<RolePayload> {
    let (done, user_errors) = payload(result)?;
    let account = match done {
        Some(_) => Some(Account(
            accounts::account(services(ctx), actor(ctx), id)
                .await
                .gql()?,
        )),
        None => None,
    };
    Ok(RolePayload {
        account,
        user_errors,
    })
}
