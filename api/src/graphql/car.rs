//! Sharing the Candidate Achievement Record: grants, the grantee's read-only view, and the
//! log of every view.

use super::applications::{EducationEntry, WorkHistoryEntry};
use super::catalogue::CompetencySet;
use super::loaders::{Loaders, many};
use super::records::{Achievement, Certificate};
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use domain::services::car::{self, Grant};
use domain::services::catalogue;
use entity::car_access_log;

/// Who called, for the access log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A share of the record with a named person or organisation.
pub struct ShareGrant(pub Grant);

#[Object]
impl ShareGrant {
    async fn id(&self) -> ID {
        ID(self.0.grant.id.to_string())
    }

    async fn grantee_name(&self) -> &str {
        &self.0.grant.grantee_name
    }

    async fn grantee_email(&self) -> &str {
        &self.0.grant.grantee_email
    }

    /// Null: until revoked.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.grant.expires_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.grant.revoked_at
    }

    /// Whether the grantee can read the record now.
    async fn active(&self, ctx: &Context<'_>) -> bool {
        let now = services(ctx).now();
        self.0.grant.revoked_at.is_none() && self.0.grant.expires_at.is_none_or(|e| e > now)
    }

    /// The sets shared; empty means the whole record.
    #[graphql(complexity = "super::cost::list(domain::limits::COMPETENCY_SETS, child_complexity)")]
    async fn competency_sets(&self, ctx: &Context<'_>) -> Result<Vec<CompetencySet>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(self
            .0
            .set_ids
            .iter()
            .filter_map(|id| cat.set(*id).cloned().map(CompetencySet))
            .collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.grant.created_at
    }

    /// Every view by the grantee, newest first.
    #[graphql(complexity = "super::cost::list(domain::limits::ACCESS_LOG_ROWS, child_complexity)")]
    async fn access_log(&self, ctx: &Context<'_>) -> Result<Vec<AccessLogEntry>> {
        let rows = car::access_log(services(ctx), actor(ctx), self.0.grant.id)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .take(domain::limits::ACCESS_LOG_ROWS)
            .map(AccessLogEntry)
            .collect())
    }
}

/// One view of a shared record.
pub struct AccessLogEntry(pub car_access_log::Model);

#[Object]
impl AccessLogEntry {
    async fn viewed_at(&self) -> DateTime<Utc> {
        self.0.viewed_at
    }

    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }

    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
}

/// A candidate's record as a grantee reads it: read-only, limited to the shared sets.
pub struct SharedRecord(pub car::SharedView);

impl SharedRecord {
    fn shows(&self, set_id: i64) -> bool {
        self.0.grant.set_ids.is_empty() || self.0.grant.set_ids.contains(&set_id)
    }
}

#[Object]
impl SharedRecord {
    async fn candidate_name(&self) -> String {
        format!(
            "{} {}",
            self.0.application.given_name, self.0.application.family_name
        )
    }

    async fn candidate_email(&self) -> &str {
        &self.0.application.email
    }

    async fn city(&self) -> &str {
        &self.0.application.city
    }

    async fn state(&self) -> &str {
        &self.0.application.state
    }

    /// Who the record was shared with, and until when.
    async fn grantee_name(&self) -> &str {
        &self.0.grant.grant.grantee_name
    }

    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.grant.grant.expires_at
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::WORK_HISTORY_ENTRIES, child_complexity)"
    )]
    async fn work_history(&self, ctx: &Context<'_>) -> Result<Vec<WorkHistoryEntry>> {
        let rows = many(
            &ctx.data_unchecked::<Loaders>().work_history,
            self.0.application.id,
        )
        .await?;
        Ok(rows
            .into_iter()
            .take(domain::limits::WORK_HISTORY_ENTRIES)
            .map(WorkHistoryEntry)
            .collect())
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::EDUCATION_ENTRIES, child_complexity)"
    )]
    async fn education(&self, ctx: &Context<'_>) -> Result<Vec<EducationEntry>> {
        let rows = many(
            &ctx.data_unchecked::<Loaders>().education,
            self.0.application.id,
        )
        .await?;
        Ok(rows
            .into_iter()
            .take(domain::limits::EDUCATION_ENTRIES)
            .map(EducationEntry)
            .collect())
    }

    /// Achievements in the shared sets.
    #[graphql(complexity = "super::cost::list(domain::limits::COMPETENCY_SETS, child_complexity)")]
    async fn achievements(&self, ctx: &Context<'_>) -> Result<Vec<Achievement>> {
        let rows = many(
            &ctx.data_unchecked::<Loaders>().achievements,
            self.0.candidacy.id,
        )
        .await?;
        Ok(rows
            .into_iter()
            .filter(|a| self.shows(a.set_id))
            .map(Achievement)
            .collect())
    }

    /// The certificate, when the whole record is shared.
    async fn certificate(&self, ctx: &Context<'_>) -> Result<Option<Certificate>> {
        if !self.0.grant.set_ids.is_empty() {
            return Ok(None);
        }
        let rows = many(
            &ctx.data_unchecked::<Loaders>().certificates,
            self.0.candidacy.id,
        )
        .await?;
        Ok(rows.into_iter().next().map(Certificate))
    }
}

#[derive(Default)]
pub struct CarQuery;

#[Object]
impl CarQuery {
    /// The share grants of a candidacy, newest first. The candidate or staff.
    #[graphql(
        complexity = "super::cost::list(domain::limits::SHARE_GRANTS_PER_CANDIDACY, child_complexity)"
    )]
    async fn share_grants(&self, ctx: &Context<'_>, candidacy_id: ID) -> Result<Vec<ShareGrant>> {
        let id = parse_id(&candidacy_id, "candidacy")?;
        let rows = car::grants(services(ctx), actor(ctx), id).await.gql()?;
        Ok(rows
            .into_iter()
            .take(domain::limits::SHARE_GRANTS_PER_CANDIDACY)
            .map(ShareGrant)
            .collect())
    }

    /// Public, with the link token a candidate sent: the shared record, read-only. Each
    /// call is logged for the candidate. Fails with `SHARE_NOT_AVAILABLE` once the grant
    /// expired or was revoked.
    async fn shared_record(&self, ctx: &Context<'_>, token: String) -> Result<SharedRecord> {
        let client = ctx.data_opt::<ClientInfo>().cloned().unwrap_or_default();
        car::open_shared(services(ctx), &token, client.ip, client.user_agent)
            .await
            .gql()
            .map(SharedRecord)
    }
}

#[derive(InputObject)]
pub struct CreateShareGrantInput {
    pub grantee_name: String,
    pub grantee_email: String,
    /// Leave out for a grant that lasts until revoked.
    pub expires_at: Option<DateTime<Utc>>,
    /// Limit the grant to these sets (codes); the whole record when empty.
    #[graphql(default)]
    pub set_codes: Vec<String>,
}

#[derive(SimpleObject)]
pub struct CreateShareGrantPayload {
    pub grant: Option<ShareGrant>,
    /// The link token, shown this once (the grantee is also emailed the link).
    pub token: Option<String>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeShareGrantInput {
    pub grant_id: ID,
}

#[derive(SimpleObject)]
pub struct ShareGrantPayload {
    pub grant: Option<ShareGrant>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CarMutation;

#[Object]
impl CarMutation {
    /// Shares your record and emails the grantee a link.
    async fn create_share_grant(
        &self,
        ctx: &Context<'_>,
        input: CreateShareGrantInput,
    ) -> Result<CreateShareGrantPayload> {
        let (created, user_errors) = payload(
            car::create_grant(
                services(ctx),
                actor(ctx),
                car::GrantInput {
                    grantee_name: input.grantee_name,
                    grantee_email: input.grantee_email,
                    expires_at: input.expires_at,
                    set_codes: input.set_codes,
                },
            )
            .await,
        )?;
        Ok(match created {
            Some(c) => CreateShareGrantPayload {
                grant: Some(ShareGrant(c.grant)),
                token: Some(c.token),
                user_errors,
            },
            None => CreateShareGrantPayload {
                grant: None,
                token: None,
                user_errors,
            },
        })
    }

    /// Ends a grant at once.
    async fn revoke_share_grant(
        &self,
        ctx: &Context<'_>,
        input: RevokeShareGrantInput,
    ) -> Result<ShareGrantPayload> {
        let id = parse_id(&input.grant_id, "share grant")?;
        let (g, user_errors) = payload(car::revoke_grant(services(ctx), actor(ctx), id).await)?;
        Ok(ShareGrantPayload {
            grant: g.map(ShareGrant),
            user_errors,
        })
    }
}
