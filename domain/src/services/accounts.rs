//! Accounts: registration, email verification, sign-in and sign-out, password reset and
//! change, and role grants.

use crate::actor::{Actor, Viewer};
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::email_address::EmailAddress;
use crate::rules::password::check_new_password;
use crate::security::{hash_token, issue_token};
use chrono::{DateTime, Duration, Utc};
use entity::account_role::{self, Role};
use entity::account_token::{self, TokenPurpose};
use entity::{account, login_failure, session, unknown_login_failure};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;

/// What a person gives to register.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// A new sign-in: the bearer token to hand to the client (once) and when it expires.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: account::Model,
}

fn snapshot(a: &account::Model) -> serde_json::Value {
    json!({
        "id": a.id,
        "email": a.email,
        "displayName": a.display_name,
        "emailVerifiedAt": a.email_verified_at,
        "disabledAt": a.disabled_at,
    })
}

fn display_name(raw: &str) -> Result<String, Violation> {
    crate::rules::text::no_control("displayName", "The name", raw)?;
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(
            Violation::new("NAME_REQUIRED", "Tell us the name to address you by.")
                .on("displayName"),
        );
    }
    if name.chars().count() > 200 {
        return Err(
            Violation::new("NAME_TOO_LONG", "Use at most 200 characters for the name.")
                .on("displayName"),
        );
    }
    Ok(name)
}

async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &EmailAddress,
) -> DomainResult<Option<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

/// The roles an account holds, in a stable order.
pub async fn roles_of<C: ConnectionTrait>(db: &C, account_id: i64) -> DomainResult<Vec<Role>> {
    let mut roles: Vec<Role> = account_role::Entity::find()
        .filter(account_role::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.role)
        .collect();
    roles.sort_by_key(|r| *r as u8);
    Ok(roles)
}

/// Issues a one-time token for `purpose` and queues the email that carries it.
async fn send_token_email<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    account: &account::Model,
    purpose: TokenPurpose,
) -> DomainResult<()> {
    let now = ctx.now();
    let (ttl, template) = match purpose {
        TokenPurpose::VerifyEmail => (
            Duration::hours(ctx.config.accounts.verification_ttl_hours),
            EmailTemplate::VerifyEmail,
        ),
        TokenPurpose::ResetPassword => (
            Duration::minutes(ctx.config.accounts.password_reset_ttl_minutes),
            EmailTemplate::PasswordReset,
        ),
    };
    let token = issue_token();
    let row = account_token::ActiveModel {
        account_id: Set(account.id),
        purpose: Set(purpose),
        token_hash: Set(token.hash),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    outbox::queue_email(
        db,
        now,
        Email {
            key: format!("{}:{}", template.name(), row.id),
            account_id: Some(account.id),
            to: account.email.clone(),
            to_name: Some(account.display_name.clone()),
            template,
            params: json!({
                "name": account.display_name,
                "expires_at": row.expires_at.to_rfc3339(),
            }),
            secret: Some(token.plain),
            batch_id: None,
        },
    )
    .await?;
    Ok(())
}

/// Registers an account and emails a verification link.
///
/// Registering an address that already has an account looks the same to the caller (so
/// the form cannot be used to learn who has an account); the owner of the address is told
/// by email instead, at most once a day.
pub async fn register(ctx: &Context, actor: &Actor, input: Registration) -> DomainResult<()> {
    let mut problems = Vec::new();
    let email = EmailAddress::parse(&input.email)
        .map_err(|v| problems.push(v))
        .ok();
    let name = display_name(&input.display_name)
        .map_err(|v| problems.push(v))
        .ok();
    if let Err(v) = check_password(
        ctx,
        &input.password,
        &[input.email.as_str(), input.display_name.as_str()],
    )
    .await?
    {
        problems.push(v);
    }
    let (Some(email), Some(name), true) = (email, name, problems.is_empty()) else {
        return Err(DomainError::Invalid(problems));
    };
    // Hash before looking the address up, so both answers take the same time.
    let password_hash = ctx.passwords().hash(input.password).await?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    if let Some(existing) = find_by_email(&txn, &email).await? {
        outbox::queue_email(
            &txn,
            now,
            Email {
                key: format!("account_exists:{}:{}", existing.id, now.date_naive()),
                account_id: Some(existing.id),
                to: existing.email.clone(),
                to_name: Some(existing.display_name.clone()),
                template: EmailTemplate::AccountExists,
                params: json!({ "name": existing.display_name }),
                secret: None,
                batch_id: None,
            },
        )
        .await?;
        txn.commit().await?;
        ctx.outbox_written();
        return Ok(());
    }
    let created = account::ActiveModel {
        email: Set(email.as_str().to_owned()),
        password_hash: Set(password_hash),
        display_name: Set(name),
        email_verified_at: Set(None),
        password_changed_at: Set(now),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let created = match created {
        Ok(created) => created,
        // A registration for the same address committed between our lookup and insert:
        // the same answer as for an existing account, which that one now is.
        Err(e) if crate::error::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    send_token_email(&txn, ctx, &created, TokenPurpose::VerifyEmail).await?;
    AuditEntry::new("account.register", "account", created.id)
        .after(snapshot(&created))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(())
}

/// Sends a fresh verification link to an unverified account. Always succeeds from the
/// caller's point of view, for the same reason as [`register`].
pub async fn resend_verification(ctx: &Context, actor: &Actor, email: &str) -> DomainResult<()> {
    let email = EmailAddress::parse(email)?;
    let txn = ctx.begin_write().await?;
    let Some(account) = find_by_email(&txn, &email).await? else {
        return Ok(());
    };
    if account.email_verified_at.is_some()
        || !may_send_token_email(&txn, ctx, &account, TokenPurpose::VerifyEmail).await?
    {
        return Ok(());
    }
    send_token_email(&txn, ctx, &account, TokenPurpose::VerifyEmail).await?;
    AuditEntry::new("account.resend_verification", "account", account.id)
        .write(&txn, actor, ctx.now())
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(())
}

/// Whether another verification or reset email may go to this account now: none of the
/// same purpose in the last minute (a double click), and fewer than
/// `max_token_emails_per_hour` of either in the last hour, so that a script cannot flood
/// someone's inbox. A request refused here is answered like one that was sent, so the
/// bound tells nothing about the account.
async fn may_send_token_email<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    account: &account::Model,
    purpose: TokenPurpose,
) -> DomainResult<bool> {
    let now = ctx.now();
    let this_minute = account_token::Entity::find()
        .filter(account_token::Column::AccountId.eq(account.id))
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(account_token::Column::CreatedAt.gt(now - Duration::minutes(1)))
        .count(db)
        .await?;
    if this_minute > 0 {
        return Ok(false);
    }
    let this_hour = account_token::Entity::find()
        .filter(account_token::Column::AccountId.eq(account.id))
        .filter(account_token::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(db)
        .await?;
    Ok(this_hour < ctx.config.accounts.max_token_emails_per_hour)
}

/// Ends every reset link still outstanding for an account whose password has just been
/// set: a link mailed earlier (perhaps to someone who has since lost the mailbox, or read
/// by whoever the owner is locking out) must not undo the change.
async fn invalidate_reset_tokens<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    account_token::Entity::update_many()
        .col_expr(
            account_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(account_token::Column::AccountId.eq(account_id))
        .filter(account_token::Column::Purpose.eq(TokenPurpose::ResetPassword))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Checks a new password against the policy, about the person's own `about` (email,
/// name). It runs under the hashing bound: estimating how guessable a long password is
/// costs milliseconds of CPU, which belongs neither on the async runtime nor unbounded.
/// The outer error is the server's, the inner one the password's.
async fn check_password(
    ctx: &Context,
    password: &str,
    about: &[&str],
) -> DomainResult<Result<(), Violation>> {
    let password = password.to_owned();
    let about: Vec<String> = about.iter().map(|s| (*s).to_owned()).collect();
    let min_chars = ctx.config.accounts.password_min_length;
    Ok(ctx
        .passwords()
        .run(move || {
            let about: Vec<&str> = about.iter().map(String::as_str).collect();
            Ok(check_new_password(&password, min_chars, &about))
        })
        .await?)
}

/// Consumes a one-time token: it must exist, have the right purpose, be unused and
/// unexpired. Marks it used.
async fn consume_token<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    plain: &str,
    purpose: TokenPurpose,
) -> DomainResult<account_token::Model> {
    let invalid = || {
        DomainError::invalid(
            Violation::new(
                "TOKEN_INVALID",
                "This link is not valid. Use the newest link we emailed you, or ask for a new one.",
            )
            .on("token"),
        )
    };
    let token = account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(hash_token(plain.trim())))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if token.purpose != purpose || token.used_at.is_some() {
        return Err(invalid());
    }
    let now = ctx.now();
    if token.expires_at <= now {
        return Err(DomainError::invalid(
            Violation::new(
                "TOKEN_EXPIRED",
                "This link has expired. Ask for a new one and use it promptly.",
            )
            .on("token"),
        ));
    }
    let mut used: account_token::ActiveModel = token.clone().into();
    used.used_at = Set(Some(now));
    used.update(db).await?;
    Ok(token)
}

/// Marks the address verified, proven by the emailed token.
pub async fn verify_email(
    ctx: &Context,
    actor: &Actor,
    token: &str,
) -> DomainResult<account::Model> {
    let txn = ctx.begin_write().await?;
    let token = consume_token(&txn, ctx, token, TokenPurpose::VerifyEmail).await?;
    let account = account::Entity::find_by_id(token.account_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    let now = ctx.now();
    let before = snapshot(&account);
    let mut active: account::ActiveModel = account.into();
    if active.email_verified_at.as_ref().is_none() {
        active.email_verified_at = Set(Some(now));
    }
    active.updated_at = Set(now);
    let verified = active.update(&txn).await?;
    AuditEntry::new("account.verify_email", "account", verified.id)
        .before(before)
        .after(snapshot(&verified))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    Ok(verified)
}

fn bad_credentials() -> DomainError {
    DomainError::invalid(Violation::new(
        "INVALID_CREDENTIALS",
        "That email and password do not match an account.",
    ))
}

/// Signs in with email and password.
///
/// Each attempt on an existing account is first recorded as a failure and committed, then
/// counted; only then is the password checked, and a success deletes its record. So at most
/// `max_failed_logins_per_hour` passwords are ever checked per account per hour, however
/// the attempts arrive (aliases, parallel requests). An address with no account goes
/// through the same steps, counted by a hash of the address and checked against a dummy
/// hash, so neither its answers nor their timing show that it has none.
pub async fn log_in(ctx: &Context, email: &str, password: &str) -> DomainResult<SignedIn> {
    let password = password.to_owned();
    let address = EmailAddress::parse(email).ok();
    let account = match &address {
        Some(address) => find_by_email(&ctx.db, address).await?,
        None => None,
    };
    let Some(account) = account else {
        let normalised = match &address {
            Some(address) => address.as_str().to_owned(),
            None => email.trim().to_lowercase(),
        };
        return log_in_unknown(ctx, &normalised, password).await;
    };
    let now = ctx.now();
    let attempt = {
        let txn = ctx.begin_write().await?;
        let row = login_failure::ActiveModel {
            account_id: Set(account.id),
            at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        AuditEntry::new("account.sign_in_attempt", "account", account.id)
            .write(&txn, &Actor::Anonymous, now)
            .await?;
        txn.commit().await?;
        row
    };
    let recent = login_failure::Entity::find()
        .filter(login_failure::Column::AccountId.eq(account.id))
        .filter(login_failure::Column::At.gt(now - Duration::hours(1)))
        .count(&ctx.db)
        .await?;
    if recent > ctx.config.accounts.max_failed_logins_per_hour {
        return Err(DomainError::RateLimited);
    }
    let matches = ctx
        .passwords()
        .verify(password, account.password_hash.clone())
        .await?;
    if !matches {
        return Err(bad_credentials());
    }
    if account.disabled_at.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "ACCOUNT_DISABLED",
            "This account has been disabled. Contact the programme staff.",
        )));
    }
    if account.email_verified_at.is_none() {
        return Err(DomainError::invalid(Violation::new(
            "EMAIL_NOT_VERIFIED",
            "Verify your email address first: follow the link we emailed you, or ask for a new one.",
        )));
    }
    let txn = ctx.begin_write().await?;
    login_failure::Entity::delete_by_id(attempt.id)
        .exec(&txn)
        .await?;
    let signed_in = open_session(&txn, ctx, &account).await?;
    AuditEntry::new("account.sign_in", "account", account.id)
        .write(&txn, &Actor::Anonymous, now)
        .await?;
    txn.commit().await?;
    Ok(signed_in)
}

/// [`log_in`] for an address with no account: recorded, counted and checked as for an
/// account, and always refused.
async fn log_in_unknown(
    ctx: &Context,
    normalised: &str,
    password: String,
) -> DomainResult<SignedIn> {
    let now = ctx.now();
    let email_hash = hash_token(normalised);
    {
        let txn = ctx.begin_write().await?;
        unknown_login_failure::ActiveModel {
            email_hash: Set(email_hash.clone()),
            at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
    }
    let recent = unknown_login_failure::Entity::find()
        .filter(unknown_login_failure::Column::EmailHash.eq(email_hash))
        .filter(unknown_login_failure::Column::At.gt(now - Duration::hours(1)))
        .count(&ctx.db)
        .await?;
    if recent > ctx.config.accounts.max_failed_logins_per_hour {
        return Err(DomainError::RateLimited);
    }
    let dummy = ctx.dummy_password_hash().await?.to_owned();
    ctx.passwords().verify(password, dummy).await?;
    Err(bad_credentials())
}

async fn open_session<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    account: &account::Model,
) -> DomainResult<SignedIn> {
    let now = ctx.now();
    let token = issue_token();
    let expires_at = now + Duration::hours(ctx.config.accounts.session_ttl_hours);
    session::ActiveModel {
        account_id: Set(account.id),
        token_hash: Set(token.hash),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_seen_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(SignedIn {
        token: token.plain,
        expires_at,
        account: account.clone(),
    })
}

/// One row per role of the session's account (one with no role when it has none).
#[derive(Debug, FromQueryResult)]
struct SessionRow {
    session_id: i64,
    account_id: i64,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
    role: Option<Role>,
}

/// Resolves a bearer token to the signed-in viewer. `None` when the token is unknown,
/// expired or revoked, or its account is disabled. One statement, unless the session is
/// kept in memory from an earlier request (`Context::sessions`).
pub async fn authenticate(ctx: &Context, bearer: &str) -> DomainResult<Option<Viewer>> {
    use crate::session_cache::Lookup;
    use sea_orm::sea_query::{Expr, Query};
    let now = ctx.now();
    let token_hash = hash_token(bearer.trim());
    let ticket = match ctx.sessions().lookup(&token_hash, now) {
        Lookup::Known(viewer) => return Ok(Some(viewer)),
        Lookup::Unknown(ticket) => ticket,
    };
    let query = Query::select()
        .expr_as(
            Expr::col((session::Entity, session::Column::Id)),
            "session_id",
        )
        .expr_as(
            Expr::col((session::Entity, session::Column::AccountId)),
            "account_id",
        )
        .expr_as(
            Expr::col((session::Entity, session::Column::ExpiresAt)),
            "expires_at",
        )
        .expr_as(
            Expr::col((session::Entity, session::Column::RevokedAt)),
            "revoked_at",
        )
        .expr_as(
            Expr::col((account::Entity, account::Column::DisabledAt)),
            "disabled_at",
        )
        .expr_as(
            Expr::col((account_role::Entity, account_role::Column::Role)),
            "role",
        )
        .from(session::Entity)
        .inner_join(
            account::Entity,
            Expr::col((account::Entity, account::Column::Id))
                .equals((session::Entity, session::Column::AccountId)),
        )
        .left_join(
            account_role::Entity,
            Expr::col((account_role::Entity, account_role::Column::AccountId))
                .equals((account::Entity, account::Column::Id)),
        )
        .and_where(Expr::col((session::Entity, session::Column::TokenHash)).eq(token_hash.as_str()))
        .to_owned();
    let rows = SessionRow::find_by_statement(ctx.db.get_database_backend().build(&query))
        .all(&ctx.db)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    if first.revoked_at.is_some() || first.expires_at <= now || first.disabled_at.is_some() {
        return Ok(None);
    }
    let mut roles: Vec<Role> = rows.iter().filter_map(|r| r.role).collect();
    roles.sort_by_key(|r| *r as u8);
    let viewer = Viewer {
        account_id: first.account_id,
        session_id: Some(first.session_id),
        roles,
    };
    ctx.sessions()
        .keep(ticket, &token_hash, &viewer, first.expires_at);
    Ok(Some(viewer))
}

/// Ends the caller's session.
pub async fn log_out(ctx: &Context, actor: &Actor) -> DomainResult<()> {
    let viewer = actor.viewer()?;
    let Some(session_id) = viewer.session_id else {
        return Ok(());
    };
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    session::ActiveModel {
        id: Unchanged(session_id),
        revoked_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    AuditEntry::new("session.revoke", "session", session_id)
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.sessions().forget_account(viewer.account_id);
    Ok(())
}

async fn revoke_all_sessions<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    session::Entity::update_many()
        .col_expr(
            session::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Emails a password-reset link. Succeeds whether or not the address has an account.
pub async fn request_password_reset(ctx: &Context, actor: &Actor, email: &str) -> DomainResult<()> {
    let email = EmailAddress::parse(email)?;
    let txn = ctx.begin_write().await?;
    let Some(account) = find_by_email(&txn, &email).await? else {
        return Ok(());
    };
    if !may_send_token_email(&txn, ctx, &account, TokenPurpose::ResetPassword).await? {
        return Ok(());
    }
    send_token_email(&txn, ctx, &account, TokenPurpose::ResetPassword).await?;
    AuditEntry::new("account.request_password_reset", "account", account.id)
        .write(&txn, actor, ctx.now())
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(())
}

async fn set_password<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    actor: &Actor,
    account: account::Model,
    password_hash: String,
    action: &'static str,
) -> DomainResult<account::Model> {
    let now = ctx.now();
    let before = snapshot(&account);
    let mut active: account::ActiveModel = account.into();
    active.password_hash = Set(password_hash);
    active.password_changed_at = Set(now);
    active.updated_at = Set(now);
    // Whoever can read the reset email owns the address.
    if active.email_verified_at.as_ref().is_none() {
        active.email_verified_at = Set(Some(now));
    }
    let updated = active.update(db).await?;
    revoke_all_sessions(db, updated.id, now).await?;
    invalidate_reset_tokens(db, updated.id, now).await?;
    outbox::queue_email(
        db,
        now,
        Email {
            key: format!("password_changed:{}:{}", updated.id, now.timestamp_millis()),
            account_id: Some(updated.id),
            to: updated.email.clone(),
            to_name: Some(updated.display_name.clone()),
            template: EmailTemplate::PasswordChanged,
            params: json!({ "name": updated.display_name, "changed_at": now.to_rfc3339() }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new(action, "account", updated.id)
        .before(before)
        .after(snapshot(&updated))
        .write(db, actor, now)
        .await?;
    Ok(updated)
}

/// Sets a new password with an emailed reset token. Signs out every session.
pub async fn reset_password(
    ctx: &Context,
    actor: &Actor,
    token: &str,
    new_password: String,
) -> DomainResult<()> {
    // The link's account, if any, only to judge the password against its email and name;
    // the token is checked for real, and used up, in the transaction below.
    let holder = match account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(hash_token(token.trim())))
        .one(&ctx.db)
        .await?
    {
        Some(t) => {
            account::Entity::find_by_id(t.account_id)
                .one(&ctx.db)
                .await?
        }
        None => None,
    };
    let about = holder
        .as_ref()
        .map(|a| vec![a.email.as_str(), a.display_name.as_str()])
        .unwrap_or_default();
    check_password(ctx, &new_password, &about)
        .await?
        .map_err(|v| v.on("newPassword"))?;
    let password_hash = ctx.passwords().hash(new_password).await?;
    let txn = ctx.begin_write().await?;
    let token = consume_token(&txn, ctx, token, TokenPurpose::ResetPassword).await?;
    let account = account::Entity::find_by_id(token.account_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    set_password(
        &txn,
        ctx,
        actor,
        account,
        password_hash,
        "account.reset_password",
    )
    .await?;
    txn.commit().await?;
    ctx.sessions().forget_account(token.account_id);
    ctx.outbox_written();
    Ok(())
}

/// Changes the caller's password. Every session, this one included, is signed out; the
/// caller gets a fresh sign-in in return.
pub async fn change_password(
    ctx: &Context,
    actor: &Actor,
    current_password: String,
    new_password: String,
) -> DomainResult<SignedIn> {
    let viewer = actor.viewer()?;
    let account = account::Entity::find_by_id(viewer.account_id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    check_password(
        ctx,
        &new_password,
        &[account.email.as_str(), account.display_name.as_str()],
    )
    .await?
    .map_err(|v| v.on("newPassword"))?;
    let matches = ctx
        .passwords()
        .verify(current_password, account.password_hash.clone())
        .await?;
    if !matches {
        return Err(DomainError::invalid(
            Violation::new("INVALID_CREDENTIALS", "The current password is not right.")
                .on("currentPassword"),
        ));
    }
    let password_hash = ctx.passwords().hash(new_password).await?;
    let txn = ctx.begin_write().await?;
    let updated = set_password(
        &txn,
        ctx,
        actor,
        account,
        password_hash,
        "account.change_password",
    )
    .await?;
    let signed_in = open_session(&txn, ctx, &updated).await?;
    txn.commit().await?;
    ctx.sessions().forget_account(updated.id);
    ctx.outbox_written();
    Ok(signed_in)
}

/// Grants `role` to an account. Program officers only.
pub async fn grant_role(
    ctx: &Context,
    actor: &Actor,
    account_id: i64,
    role: Role,
) -> DomainResult<Vec<Role>> {
    actor.require_officer()?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    let before = roles_of(&txn, account_id).await?;
    add_role(&txn, actor, account_id, role, now).await?;
    let after = roles_of(&txn, account_id).await?;
    AuditEntry::new("account.grant_role", "account", account_id)
        .before(json!({ "roles": before }))
        .after(json!({ "roles": after }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.sessions().forget_account(account_id);
    Ok(after)
}

/// Adds a role without a check or an audit row of its own: for services that grant a role
/// as part of a larger, audited change (accepting an evaluator, adding a provider member).
/// The caller forgets the account's kept sessions once it commits
/// (`ctx.sessions().forget_account`), so that the role counts from the next request.
pub async fn add_role<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    account_id: i64,
    role: Role,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    account_role::Entity::insert(account_role::ActiveModel {
        account_id: Set(account_id),
        role: Set(role),
        granted_by: Set(actor.account_id()),
        granted_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([account_role::Column::AccountId, account_role::Column::Role])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Takes `role` from an account. Program officers only; the last officer keeps the role,
/// so the programme is never left without someone who can grant roles.
pub async fn revoke_role(
    ctx: &Context,
    actor: &Actor,
    account_id: i64,
    role: Role,
) -> DomainResult<Vec<Role>> {
    actor.require_officer()?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let before = roles_of(&txn, account_id).await?;
    if !before.contains(&role) {
        return Err(DomainError::invalid(
            Violation::new("ROLE_NOT_HELD", "This account does not hold that role.").on("role"),
        ));
    }
    if role == Role::ProgramOfficer {
        let officers = account_role::Entity::find()
            .filter(account_role::Column::Role.eq(Role::ProgramOfficer))
            .count(&txn)
            .await?;
        if officers <= 1 {
            return Err(DomainError::invalid(
                Violation::new(
                    "LAST_OFFICER",
                    "This is the last program officer; grant the role to someone else first.",
                )
                .on("role"),
            ));
        }
    }
    account_role::Entity::delete_many()
        .filter(account_role::Column::AccountId.eq(account_id))
        .filter(account_role::Column::Role.eq(role))
        .exec(&txn)
        .await?;
    let after = roles_of(&txn, account_id).await?;
    AuditEntry::new("account.revoke_role", "account", account_id)
        .before(json!({ "roles": before }))
        .after(json!({ "roles": after }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.sessions().forget_account(account_id);
    Ok(after)
}

/// Creates the first program officer (or makes an existing account one), verified at once.
/// Run from the command line by whoever installs the system.
pub async fn create_officer(
    ctx: &Context,
    email: &str,
    display_name_raw: &str,
    password: String,
) -> DomainResult<account::Model> {
    let email = EmailAddress::parse(email)?;
    let name = display_name(display_name_raw)?;
    check_password(ctx, &password, &[email.as_str(), name.as_str()]).await??;
    let password_hash = ctx.passwords().hash(password).await?;
    let now = ctx.now();
    let actor = Actor::System;
    let txn = ctx.begin_write().await?;
    let account = match find_by_email(&txn, &email).await? {
        Some(existing) => {
            let before = snapshot(&existing);
            let mut active: account::ActiveModel = existing.into();
            active.password_hash = Set(password_hash);
            active.password_changed_at = Set(now);
            active.email_verified_at = Set(Some(now));
            active.updated_at = Set(now);
            let updated = active.update(&txn).await?;
            revoke_all_sessions(&txn, updated.id, now).await?;
            invalidate_reset_tokens(&txn, updated.id, now).await?;
            AuditEntry::new("account.make_officer", "account", updated.id)
                .before(before)
                .after(snapshot(&updated))
                .write(&txn, &actor, now)
                .await?;
            updated
        }
        None => {
            let created = account::ActiveModel {
                email: Set(email.as_str().to_owned()),
                password_hash: Set(password_hash),
                display_name: Set(name),
                email_verified_at: Set(Some(now)),
                password_changed_at: Set(now),
                disabled_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            AuditEntry::new("account.create_officer", "account", created.id)
                .after(snapshot(&created))
                .write(&txn, &actor, now)
                .await?;
            created
        }
    };
    add_role(&txn, &actor, account.id, Role::ProgramOfficer, now).await?;
    txn.commit().await?;
    ctx.sessions().forget_account(account.id);
    Ok(account)
}

/// Accounts whose email or name contains `search`, newest first, for staff who look
/// someone up to grant a role.
pub async fn find_accounts(
    ctx: &Context,
    actor: &Actor,
    search: Option<&str>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<account::Model>> {
    actor.require_staff()?;
    let mut query = account::Entity::find().order_by_desc(account::Column::Id);
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", s.to_lowercase());
        query = query.filter(
            sea_orm::Condition::any()
                .add(account::Column::Email.like(pattern.clone()))
                .add(
                    sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
                        sea_orm::sea_query::Expr::col(account::Column::DisplayName),
                    ))
                    .like(pattern),
                ),
        );
    }
    if let Some(after) = after_id {
        query = query.filter(account::Column::Id.lt(after));
    }
    Ok(sea_orm::QuerySelect::limit(query, limit)
        .all(&ctx.db)
        .await?)
}

/// The roles of several accounts in one query, for batch loading.
pub async fn roles_for<C: ConnectionTrait>(
    db: &C,
    account_ids: &[i64],
) -> DomainResult<std::collections::HashMap<i64, Vec<Role>>> {
    let mut map: std::collections::HashMap<i64, Vec<Role>> = std::collections::HashMap::new();
    let rows = account_role::Entity::find()
        .filter(account_role::Column::AccountId.is_in(account_ids.iter().copied()))
        .all(db)
        .await?;
    for row in rows {
        map.entry(row.account_id).or_default().push(row.role);
    }
    for roles in map.values_mut() {
        roles.sort_by_key(|r| *r as u8);
    }
    Ok(map)
}

/// One account, if the caller may see it: the account itself, or staff.
pub async fn account(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<account::Model> {
    let viewer = actor.viewer()?;
    if viewer.account_id != id && !viewer.is_staff_or_crc() {
        return Err(DomainError::NotFound("account"));
    }
    account::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("account"))
}
