//! Certificate renewal and revocation, and staff-triggered bulk renewal notices with live
//! progress (query and subscription).

use super::records::Certificate;
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use domain::services::bulk_notices::{self, Criteria, Progress};
use domain::services::renewals::{self, RenewalDetail};
use futures::Stream;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::renewal::RenewalStatus")]
pub enum RenewalStatus {
    Draft,
    /// Waiting for staff.
    Submitted,
    /// Returned with reasons; apply again.
    Returned,
    Approved,
    Withdrawn,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::bulk_notice_batch::BatchStatus")]
pub enum BatchStatus {
    /// Selecting holders and writing their messages.
    Preparing,
    Sending,
    Completed,
    Cancelled,
}

/// The certificate statuses a bulk notice can select.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::certificate::CertificateStatus")]
pub enum HolderCertificateStatus {
    Active,
    Expired,
    Revoked,
}

/// A continuing-education activity.
#[derive(SimpleObject)]
pub struct RenewalActivity {
    pub title: String,
    pub provider_name: Option<String>,
    pub completed_on: NaiveDate,
    pub contact_hours: i32,
    pub technology_hours: i32,
    pub document_id: Option<ID>,
}

/// An application to renew a certificate.
pub struct Renewal(pub RenewalDetail);

#[Object]
impl Renewal {
    async fn id(&self) -> ID {
        ID(self.0.renewal.id.to_string())
    }

    async fn certificate_id(&self) -> ID {
        ID(self.0.renewal.certificate_id.to_string())
    }

    async fn status(&self) -> RenewalStatus {
        self.0.renewal.status.into()
    }

    async fn contact_hours(&self) -> i32 {
        self.0.renewal.contact_hours
    }

    async fn technology_hours(&self) -> i32 {
        self.0.renewal.technology_hours
    }

    /// The renewal fee in cents.
    async fn fee_cents(&self) -> i64 {
        self.0.renewal.fee_cents
    }

    async fn paid_cents(&self) -> i64 {
        self.0.paid_cents
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::RENEWAL_ACTIVITIES, child_complexity)"
    )]
    async fn activities(&self) -> Vec<RenewalActivity> {
        self.0
            .activities
            .iter()
            .take(domain::limits::RENEWAL_ACTIVITIES)
            .map(|a| RenewalActivity {
                title: a.title.clone(),
                provider_name: a.provider_name.clone(),
                completed_on: a.completed_on,
                contact_hours: a.contact_hours,
                technology_hours: a.technology_hours,
                document_id: a.document_id.map(|d| ID(d.to_string())),
            })
            .collect()
    }

    /// Staff's reasons, when returned (or a note on approval).
    #[graphql(complexity = "super::cost::text(domain::limits::MEDIUM_TEXT_CHARS)")]
    async fn decision_reasons(&self) -> Option<&str> {
        self.0.renewal.decision_reasons.as_deref()
    }

    /// The certificate's new expiry, once approved.
    async fn new_expires_on(&self) -> Option<NaiveDate> {
        self.0.renewal.new_expires_on
    }

    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.renewal.submitted_at
    }
}

/// Where a bulk notice stands.
pub struct BulkNoticeProgress(pub Progress);

#[Object]
impl BulkNoticeProgress {
    async fn batch_id(&self) -> ID {
        ID(self.0.batch.id.to_string())
    }

    async fn status(&self) -> BatchStatus {
        self.0.batch.status.into()
    }

    /// Holders selected.
    async fn total(&self) -> i64 {
        self.0.total
    }

    /// Written, waiting or being sent.
    async fn queued(&self) -> i64 {
        self.0.queued
    }

    async fn sent(&self) -> i64 {
        self.0.sent
    }

    /// Failed after every retry; `retryBulkNoticeFailures` sends them again.
    async fn failed(&self) -> i64 {
        self.0.failed
    }

    async fn cancelled(&self) -> i64 {
        self.0.cancelled
    }

    /// Still to be sent.
    async fn remaining(&self) -> i64 {
        self.0.remaining
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.batch.created_at
    }

    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.batch.completed_at
    }
}

#[derive(Default)]
pub struct RenewalQuery;

#[Object]
impl RenewalQuery {
    /// The renewals of a certificate, newest first. The holder or staff.
    #[graphql(
        complexity = "super::cost::list(domain::limits::RENEWALS_PER_CERTIFICATE, child_complexity)"
    )]
    async fn renewals(&self, ctx: &Context<'_>, certificate_id: ID) -> Result<Vec<Renewal>> {
        let id = parse_id(&certificate_id, "certificate")?;
        Ok(renewals::of_certificate(services(ctx), actor(ctx), id)
            .await
            .gql()?
            .into_iter()
            .take(domain::limits::RENEWALS_PER_CERTIFICATE)
            .map(Renewal)
            .collect())
    }

    /// Renewals waiting for staff, oldest first.
    #[graphql(complexity = "super::cost::list(domain::limits::QUEUE_ROWS, child_complexity)")]
    async fn renewal_queue(&self, ctx: &Context<'_>) -> Result<Vec<Renewal>> {
        Ok(renewals::queue(services(ctx), actor(ctx))
            .await
            .gql()?
            .into_iter()
            .take(domain::limits::QUEUE_ROWS)
            .map(Renewal)
            .collect())
    }

    /// One bulk notice's progress. Staff only.
    async fn bulk_notice(&self, ctx: &Context<'_>, id: ID) -> Result<BulkNoticeProgress> {
        let id = parse_id(&id, "bulk notice")?;
        bulk_notices::progress(services(ctx), actor(ctx), id)
            .await
            .gql()
            .map(BulkNoticeProgress)
    }

    /// Bulk notices, newest first, with their progress. Staff only.
    #[graphql(
        complexity = "super::cost::list(super::cost::page_items(Some(first), 20, 100), child_complexity)"
    )]
    async fn bulk_notices(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<BulkNoticeProgress>> {
        let rows = bulk_notices::list(services(ctx), actor(ctx), first.clamp(0, 100) as u64)
            .await
            .gql()?;
        let mut out = Vec::with_capacity(rows.len());
        for b in rows {
            out.push(BulkNoticeProgress(
                bulk_notices::progress(services(ctx), actor(ctx), b.id)
                    .await
                    .gql()?,
            ));
        }
        Ok(out)
    }
}

#[derive(InputObject)]
pub struct RenewalActivityInput {
    pub title: String,
    pub provider_name: Option<String>,
    pub completed_on: NaiveDate,
    pub contact_hours: i32,
    /// Of the contact hours, those in technology.
    #[graphql(default)]
    pub technology_hours: i32,
    /// Evidence you uploaded, if any.
    pub document_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ApplyForRenewalInput {
    pub certificate_id: ID,
    pub activities: Vec<RenewalActivityInput>,
}

#[derive(InputObject)]
pub struct DecideRenewalInput {
    pub renewal_id: ID,
    /// Required when returning; an optional note when approving.
    pub reasons: Option<String>,
}

#[derive(SimpleObject)]
pub struct RenewalPayload {
    pub renewal: Option<Renewal>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeCertificateInput {
    pub certificate_id: ID,
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct CertificatePayload {
    pub certificate: Option<Certificate>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

/// Which holders get the notice; all optional, combined with AND.
#[derive(InputObject)]
pub struct SendRenewalNoticesInput {
    pub expiring_from: Option<NaiveDate>,
    pub expiring_to: Option<NaiveDate>,
    /// Certificate statuses; active and expired when left out.
    #[graphql(default)]
    pub statuses: Vec<HolderCertificateStatus>,
    /// The state of the holder's address.
    pub state: Option<String>,
    /// Leave out holders who already applied to renew.
    #[graphql(default)]
    pub not_renewed: bool,
    /// A sentence added to the notice.
    pub message: Option<String>,
    /// Choose one per intended batch: sending the same key again returns the first batch
    /// instead of notifying everyone twice, also when the requests arrive at once. A key
    /// is kept for the programme's `bulk_notices.idempotency_key_hours` (24 hours by
    /// default) from its batch's creation; after that it starts a new batch. Within that
    /// time, the key with different criteria is refused with `IDEMPOTENCY_KEY_REUSED`
    /// and nothing is sent: use a new key for a new batch.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct BulkNoticeIdInput {
    pub batch_id: ID,
}

#[derive(SimpleObject)]
pub struct BulkNoticePayload {
    pub batch: Option<BulkNoticeProgress>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

fn renewal_payload(r: domain::DomainResult<RenewalDetail>) -> Result<RenewalPayload> {
    let (x, user_errors) = payload(r)?;
    Ok(RenewalPayload {
        renewal: x.map(Renewal),
        user_errors,
    })
}

fn batch_payload(r: domain::DomainResult<Progress>) -> Result<BulkNoticePayload> {
    let (x, user_errors) = payload(r)?;
    Ok(BulkNoticePayload {
        batch: x.map(BulkNoticeProgress),
        user_errors,
    })
}

#[derive(Default)]
pub struct RenewalMutation;

#[Object]
impl RenewalMutation {
    /// Applies to renew your certificate with continuing-education activities.
    async fn apply_for_renewal(
        &self,
        ctx: &Context<'_>,
        input: ApplyForRenewalInput,
    ) -> Result<RenewalPayload> {
        let id = parse_id(&input.certificate_id, "certificate")?;
        let mut activities = Vec::new();
        for a in input.activities {
            activities.push(renewals::ActivityInput {
                title: a.title,
                provider_name: a.provider_name,
                completed_on: a.completed_on,
                contact_hours: a.contact_hours,
                technology_hours: a.technology_hours,
                document_id: a
                    .document_id
                    .as_ref()
                    .map(|d| parse_id(d, "document"))
                    .transpose()?,
            });
        }
        renewal_payload(renewals::apply(services(ctx), actor(ctx), id, activities).await)
    }

    /// Staff approve a renewal (its fee paid): the new period starts when the current ends.
    async fn approve_renewal(
        &self,
        ctx: &Context<'_>,
        input: DecideRenewalInput,
    ) -> Result<RenewalPayload> {
        let id = parse_id(&input.renewal_id, "renewal")?;
        renewal_payload(
            renewals::approve(services(ctx), actor(ctx), id, input.reasons.as_deref()).await,
        )
    }

    /// Staff return a renewal with reasons.
    async fn return_renewal(
        &self,
        ctx: &Context<'_>,
        input: DecideRenewalInput,
    ) -> Result<RenewalPayload> {
        let id = parse_id(&input.renewal_id, "renewal")?;
        renewal_payload(
            renewals::return_renewal(
                services(ctx),
                actor(ctx),
                id,
                input.reasons.as_deref().unwrap_or(""),
            )
            .await,
        )
    }

    /// Staff revoke a certificate with a reason; verification and the status lists say so.
    async fn revoke_certificate(
        &self,
        ctx: &Context<'_>,
        input: RevokeCertificateInput,
    ) -> Result<CertificatePayload> {
        let id = parse_id(&input.certificate_id, "certificate")?;
        let (c, user_errors) =
            payload(renewals::revoke(services(ctx), actor(ctx), id, &input.reason).await)?;
        Ok(CertificatePayload {
            certificate: c.map(Certificate),
            user_errors,
        })
    }

    /// Staff send a renewal notice to the selected holders. Returns the batch at once; the
    /// messages go out from the worker. Follow it with `bulkNotice` or the
    /// `bulkNoticeProgress` subscription.
    async fn send_renewal_notices(
        &self,
        ctx: &Context<'_>,
        input: SendRenewalNoticesInput,
    ) -> Result<BulkNoticePayload> {
        let criteria = Criteria {
            expiring_from: input.expiring_from,
            expiring_to: input.expiring_to,
            statuses: input.statuses.into_iter().map(Into::into).collect(),
            state: input.state,
            not_renewed: input.not_renewed,
            message: input.message,
        };
        let created =
            bulk_notices::create(services(ctx), actor(ctx), criteria, input.idempotency_key).await;
        match created {
            Ok(batch) => {
                batch_payload(bulk_notices::progress(services(ctx), actor(ctx), batch.id).await)
            }
            Err(e) => batch_payload(Err(e)),
        }
    }

    /// Cancels a batch: messages not yet sent are not sent.
    async fn cancel_bulk_notice(
        &self,
        ctx: &Context<'_>,
        input: BulkNoticeIdInput,
    ) -> Result<BulkNoticePayload> {
        let id = parse_id(&input.batch_id, "bulk notice")?;
        batch_payload(bulk_notices::cancel(services(ctx), actor(ctx), id).await)
    }

    /// Sends a batch's failed messages again.
    async fn retry_bulk_notice_failures(
        &self,
        ctx: &Context<'_>,
        input: BulkNoticeIdInput,
    ) -> Result<BulkNoticePayload> {
        let id = parse_id(&input.batch_id, "bulk notice")?;
        batch_payload(bulk_notices::retry_failures(services(ctx), actor(ctx), id).await)
    }
}

/// Live updates, over graphql-ws at `/graphql/ws`. Authenticate in the `connection_init`
/// payload: `{ "Authorization": "Bearer <token>" }`.
#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// A bulk notice's progress: sent now, then whenever it changes, until it completes or
    /// is cancelled. Staff only.
    async fn bulk_notice_progress(
        &self,
        ctx: &Context<'_>,
        batch_id: ID,
    ) -> Result<impl Stream<Item = Result<BulkNoticeProgress>>> {
        let id = parse_id(&batch_id, "bulk notice")?;
        let services = services(ctx).clone();
        let actor = actor(ctx).clone();
        // Check access before the stream starts, so an unauthorised caller gets an error
        // instead of an empty stream.
        let first = bulk_notices::progress(&services, &actor, id).await.gql()?;
        Ok(progress_stream(services, actor, first))
    }
}

/// Progress of `batch`, starting with `first`, then each change (polled every half
/// second), ending after the batch completes or is cancelled.
fn progress_stream(
    services: domain::Context,
    actor: domain::Actor,
    first: Progress,
) -> impl Stream<Item = Result<BulkNoticeProgress>> {
    let batch = first.batch.id;
    let state = (Some(first), None::<(i64, i64, i64, i64, i64)>, false);
    futures::stream::unfold(state, move |(mut next, last, done)| {
        let services = services.clone();
        let actor = actor.clone();
        async move {
            if done {
                return None;
            }
            loop {
                let p = match next.take() {
                    Some(p) => p,
                    None => {
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        match bulk_notices::progress(&services, &actor, batch).await {
                            Ok(p) => p,
                            Err(e) => {
                                return Some((Err(crate::error::to_gql(e)), (None, last, true)));
                            }
                        }
                    }
                };
                let key = (p.total, p.queued, p.sent, p.failed, p.cancelled);
                let finished = matches!(
                    p.batch.status,
                    entity::bulk_notice_batch::BatchStatus::Completed
                        | entity::bulk_notice_batch::BatchStatus::Cancelled
                );
                if Some(key) != last || finished {
                    return Some((Ok(BulkNoticeProgress(p)), (None, Some(key), finished)));
                }
            }
        }
    })
}
