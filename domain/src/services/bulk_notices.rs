//! Staff-triggered bulk renewal notices.
//!
//! Creating a batch only records the selection and queues a fan-out task, so the mutation
//! answers at once. The worker then walks the matching certificates in pages (memory stays
//! flat whatever the batch's size) and writes one outbox row per holder, keyed
//! `renewal_notice:{batch}:{certificate}`: running the fan-out twice, or resuming it after
//! a crash, writes nothing new, so each holder gets exactly one message.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Task};
use crate::rules::text::{optional, single_line_optional};
use chrono::{DateTime, NaiveDate, Utc};
use entity::bulk_notice_batch::{self, BatchKind, BatchStatus};
use entity::certificate::{self, CertificateStatus};
use entity::notification::{self, NotificationStatus};
use entity::renewal::{self, RenewalStatus};
use entity::{application, candidacy};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, InsertStatement, OnConflict, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait,
    Select,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The background task that fans a batch out.
pub const TASK_KIND: &str = "bulk_fanout";

/// Certificates read per page of the fan-out.
const PAGE: u64 = 1000;

/// Which holders a batch reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Criteria {
    /// Certificates expiring on or after this day.
    pub expiring_from: Option<NaiveDate>,
    /// Certificates expiring on or before this day.
    pub expiring_to: Option<NaiveDate>,
    /// Certificate statuses to include; active and expired when empty.
    pub statuses: Vec<CertificateStatus>,
    /// The state of the holder's address, e.g. `IL`.
    pub state: Option<String>,
    /// Leave out holders who already applied to renew (a renewal waiting for staff).
    pub not_renewed: bool,
    /// A sentence from staff added to the notice.
    pub message: Option<String>,
}

/// Where a batch stands, counted from its messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub batch: bulk_notice_batch::Model,
    pub total: i64,
    /// Written, not yet sent (waiting or being sent).
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Not yet sent, failed or cancelled: what the batch still has to do.
    pub remaining: i64,
}

fn staff(actor: &Actor) -> DomainResult<()> {
    actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("Staff send bulk notices."))?;
    Ok(())
}

/// What a request gets whose idempotency key a batch already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyUse {
    /// The same request again: it gets that batch.
    Replay,
    /// Another request under a key still in use: refused, since answering with the first
    /// batch would tell staff their new selection was sent when it was not.
    Mismatch,
    /// Held longer than the programme keeps keys: the key starts a new batch.
    Expired,
}

/// Decides a request with `criteria` (as it would be stored) whose key `batch` holds.
fn key_use(
    batch: &bulk_notice_batch::Model,
    criteria: &serde_json::Value,
    now: DateTime<Utc>,
    kept_for: chrono::Duration,
) -> KeyUse {
    if batch.created_at < now - kept_for {
        KeyUse::Expired
    } else if &batch.criteria == criteria {
        KeyUse::Replay
    } else {
        KeyUse::Mismatch
    }
}

fn key_reused() -> DomainError {
    DomainError::invalid(
        Violation::new(
            "IDEMPOTENCY_KEY_REUSED",
            "This idempotency key was already used for a batch with different criteria; use a new key for a new batch.",
        )
        .on("idempotencyKey"),
    )
}

/// Records a batch and queues its fan-out. The same `idempotency_key` with the same
/// criteria returns the first batch for `bulk_notices.idempotency_key_hours`, and with
/// other criteria is refused; after that time the key makes a new batch.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    mut criteria: Criteria,
    idempotency_key: Option<String>,
) -> DomainResult<bulk_notice_batch::Model> {
    staff(actor)?;
    let viewer = actor.viewer()?.clone();
    criteria.message = optional("message", "The message", criteria.message.as_deref(), 2_000)?;
    criteria.state = criteria
        .state
        .map(|s| s.trim().to_uppercase())
        .filter(|s| !s.is_empty());
    // The order of the statuses selects nothing different, so it must not make the same
    // request look like another to its idempotency key.
    criteria.statuses.sort_by_key(|s| s.to_value());
    criteria.statuses.dedup();
    if let (Some(from), Some(to)) = (criteria.expiring_from, criteria.expiring_to)
        && from > to
    {
        return Err(DomainError::invalid(
            Violation::new("EMPTY_RANGE", "The range ends before it starts.").on("expiringTo"),
        ));
    }
    let key = single_line_optional(
        "idempotencyKey",
        "The idempotency key",
        idempotency_key.as_deref(),
        200,
    )?;
    let criteria = serde_json::to_value(&criteria).map_err(DomainError::internal)?;
    let now = ctx.now();
    let kept_for = chrono::Duration::hours(ctx.config.bulk_notices.idempotency_key_hours);
    let txn = ctx.begin_write().await?;
    if let Some(k) = &key
        && let Some(existing) = bulk_notice_batch::Entity::find()
            .filter(bulk_notice_batch::Column::IdempotencyKey.eq(k.clone()))
            .one(&txn)
            .await?
    {
        match key_use(&existing, &criteria, now, kept_for) {
            KeyUse::Replay => {
                txn.commit().await?;
                return Ok(existing);
            }
            KeyUse::Mismatch => {
                txn.rollback().await?;
                return Err(key_reused());
            }
            // The old batch keeps its history but lets go of the key, so the unique index
            // admits the new batch. A concurrent request that released it first leaves
            // nothing to update here, and its batch then meets ours at the index below.
            KeyUse::Expired => {
                bulk_notice_batch::Entity::update_many()
                    .col_expr(
                        bulk_notice_batch::Column::IdempotencyKey,
                        Expr::value(Option::<String>::None),
                    )
                    .filter(bulk_notice_batch::Column::IdempotencyKey.eq(k.clone()))
                    .filter(bulk_notice_batch::Column::CreatedAt.lt(now - kept_for))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    let batch = bulk_notice_batch::ActiveModel {
        created_by: Set(viewer.account_id),
        kind: Set(BatchKind::RenewalNotice),
        criteria: Set(criteria.clone()),
        status: Set(BatchStatus::Preparing),
        total: Set(0),
        created_at: Set(now),
        prepared_at: Set(None),
        cancelled_at: Set(None),
        completed_at: Set(None),
        idempotency_key: Set(key.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let batch = match batch {
        Ok(batch) => batch,
        // The same key sent twice at once: the other request's batch committed between
        // our lookup and insert, and both callers get it, if they asked for the same.
        Err(e) if crate::error::is_unique_violation(&e) => {
            txn.rollback().await?;
            let k = key.ok_or_else(|| DomainError::internal(e))?;
            let winner = bulk_notice_batch::Entity::find()
                .filter(bulk_notice_batch::Column::IdempotencyKey.eq(k))
                .one(&ctx.db)
                .await?
                .ok_or(DomainError::NotFound("bulk notice batch"))?;
            return match key_use(&winner, &criteria, now, kept_for) {
                KeyUse::Replay => Ok(winner),
                KeyUse::Mismatch => Err(key_reused()),
                // It committed while we ran, so it cannot have outlived the key's time.
                KeyUse::Expired => Err(DomainError::bug(
                    "a batch written concurrently already holds an expired idempotency key",
                )),
            };
        }
        Err(e) => return Err(e.into()),
    };
    outbox::queue_task(
        &txn,
        now,
        Task {
            kind: TASK_KIND,
            key: format!("{TASK_KIND}:{}", batch.id),
            subject_id: Some(batch.id),
            payload: json!({ "batchId": batch.id }),
        },
    )
    .await?;
    AuditEntry::new("bulk_notice.create", "bulk_notice_batch", batch.id)
        .after(batch.criteria.clone())
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(batch)
}

/// The certificates a batch reaches, joined to the application that holds the address.
/// Both the page's bound and its insert read through this, so they see the same rows.
fn holders(criteria: &Criteria, statuses: &[CertificateStatus]) -> Select<certificate::Entity> {
    let mut q = certificate::Entity::find()
        .select_only()
        .join(
            sea_orm::JoinType::InnerJoin,
            certificate::Relation::Candidacy.def(),
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            candidacy::Relation::Application.def(),
        )
        .filter(certificate::Column::Status.is_in(statuses.iter().cloned()));
    if let Some(from) = criteria.expiring_from {
        q = q.filter(certificate::Column::ExpiresOn.gte(from));
    }
    if let Some(to) = criteria.expiring_to {
        q = q.filter(certificate::Column::ExpiresOn.lte(to));
    }
    if let Some(state) = &criteria.state {
        q = q.filter(application::Column::State.eq(state.clone()));
    }
    if criteria.not_renewed {
        q = q.filter(
            certificate::Column::Id.not_in_subquery(
                Query::select()
                    .column(renewal::Column::CertificateId)
                    .from(renewal::Entity)
                    .and_where(Expr::col(renewal::Column::Status).eq(RenewalStatus::Submitted))
                    .to_owned(),
            ),
        );
    }
    q
}

/// One page of the batch's messages, `after < certificate id <= upto`, written by the
/// database from the certificates themselves: `INSERT … SELECT`. Built here and sent as
/// 19 bound values a row, the same page cost the worker about as much CPU as sending it
/// (the bulk benchmark), and PostgreSQL a statement of 19,000 parameters.
fn page_insert(
    backend: DbBackend,
    batch_id: i64,
    criteria: &Criteria,
    statuses: &[CertificateStatus],
    after: i64,
    upto: i64,
    now: DateTime<Utc>,
) -> DomainResult<InsertStatement> {
    let name = Expr::col((application::Entity, application::Column::GivenName));
    let number = Expr::col((certificate::Entity, certificate::Column::Number));
    let expires_on = Expr::col((certificate::Entity, certificate::Column::ExpiresOn));
    let message = Expr::val(criteria.message.clone().unwrap_or_default());
    let params = match backend {
        DbBackend::Postgres => Expr::cust_with_exprs(
            "jsonb_build_object('name', $1, 'number', $2, 'expires_on', to_char($3, 'YYYY-MM-DD'), 'message', $4)",
            [name.clone(), number, expires_on, message],
        ),
        // SQLite keeps a date as its ISO text already. sea-query marks SQLite's places for
        // expressions `?`, PostgreSQL's `$n`.
        _ => Expr::cust_with_exprs(
            "json_object('name', ?, 'number', ?, 'expires_on', ?, 'message', ?)",
            [name.clone(), number, expires_on, message],
        ),
    };
    let source = holders(criteria, statuses)
        .expr(Expr::cust_with_exprs(
            match backend {
                DbBackend::Postgres => "$1 || CAST($2 AS TEXT)",
                _ => "? || CAST(? AS TEXT)",
            },
            [
                Expr::val(format!("renewal_notice:{batch_id}:")),
                Expr::col((certificate::Entity, certificate::Column::Id)),
            ],
        ))
        .expr(Expr::col((
            certificate::Entity,
            certificate::Column::AccountId,
        )))
        .expr(Expr::col((application::Entity, application::Column::Email)))
        .expr(name)
        .expr(Expr::val(EmailTemplate::RenewalNotice.name()))
        .expr(params)
        .expr(Expr::value(NotificationStatus::Pending))
        .expr(Expr::val(0i32))
        .expr(Expr::val(now))
        .expr(Expr::val(batch_id))
        .expr(Expr::val(now))
        .filter(certificate::Column::Id.gt(after))
        .filter(certificate::Column::Id.lte(upto))
        .into_query();
    let mut insert = Query::insert();
    insert
        .into_table(notification::Entity)
        .columns([
            notification::Column::IdempotencyKey,
            notification::Column::AccountId,
            notification::Column::ToEmail,
            notification::Column::ToName,
            notification::Column::Template,
            notification::Column::Params,
            notification::Column::Status,
            notification::Column::Attempts,
            notification::Column::NextAttemptAt,
            notification::Column::BatchId,
            notification::Column::CreatedAt,
        ])
        .select_from(source)
        .map_err(DomainError::internal)?
        .on_conflict(
            OnConflict::column(notification::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        );
    Ok(insert)
}

/// Writes the batch's messages, a page at a time, and marks it sending. Safe to run again:
/// it resumes, and writes nothing twice. Stops early if the batch was cancelled.
pub async fn fan_out(ctx: &Context, batch_id: i64) -> DomainResult<i64> {
    let Some(batch) = bulk_notice_batch::Entity::find_by_id(batch_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(0);
    };
    if batch.status != BatchStatus::Preparing {
        return Ok(batch.total);
    }
    let criteria: Criteria =
        serde_json::from_value(batch.criteria.clone()).map_err(DomainError::internal)?;
    let statuses = if criteria.statuses.is_empty() {
        vec![CertificateStatus::Active, CertificateStatus::Expired]
    } else {
        criteria.statuses.clone()
    };
    let backend = ctx.db.get_database_backend();
    let mut after = 0i64;
    let mut pages = 0u64;
    loop {
        let status_now = bulk_notice_batch::Entity::find_by_id(batch_id)
            .one(&ctx.db)
            .await?
            .map(|b| b.status);
        if status_now == Some(BatchStatus::Cancelled) {
            return Ok(0);
        }
        let txn = ctx.begin_write().await?;
        if backend == DbBackend::Postgres {
            // A page joins at most PAGE certificates to their candidacies and applications,
            // which index lookups bound. Estimating the id range, PostgreSQL preferred to
            // hash the whole candidacy table for every page instead (20 ms a page against
            // 3 ms on the bulk benchmark, 100,000 certificates).
            txn.execute_unprepared(
                "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off",
            )
            .await?;
        }
        let page: Vec<i64> = holders(&criteria, &statuses)
            .column(certificate::Column::Id)
            .filter(certificate::Column::Id.gt(after))
            .order_by_asc(certificate::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(&txn)
            .await?;
        let Some(&upto) = page.last() else {
            txn.commit().await?;
            break;
        };
        let insert = page_insert(
            backend,
            batch_id,
            &criteria,
            &statuses,
            after,
            upto,
            ctx.now(),
        )?;
        txn.execute(&insert).await?;
        txn.commit().await?;
        after = upto;
        if pages == 0 {
            refresh_statistics(ctx).await?;
        }
        pages += 1;
        ctx.outbox_written();
        if (page.len() as u64) < PAGE {
            break;
        }
    }
    if pages > 1 {
        refresh_statistics(ctx).await?;
    }
    let total = count(&ctx.db, batch_id, None).await?;
    let now = ctx.now();
    bulk_notice_batch::Entity::update_many()
        .col_expr(
            bulk_notice_batch::Column::Status,
            Expr::value(BatchStatus::Sending),
        )
        .col_expr(bulk_notice_batch::Column::Total, Expr::value(total))
        .col_expr(bulk_notice_batch::Column::PreparedAt, Expr::value(now))
        .filter(bulk_notice_batch::Column::Id.eq(batch_id))
        .filter(bulk_notice_batch::Column::Status.eq(BatchStatus::Preparing))
        .exec(&ctx.db)
        .await?;
    Ok(total)
}

/// Has the database sample `notification` again, after the fan-out's first page and after
/// its last. A bulk notice can multiply the pending rows a thousandfold within seconds,
/// long before autovacuum would notice; planned with the old figures, the workers' claim
/// of 50 rows by id became a scan of every pending row through the status index, and
/// the relay's 500-row stamp another (the bulk benchmark: 1,000 times the rows read).
async fn refresh_statistics(ctx: &Context) -> DomainResult<()> {
    ctx.db.execute_unprepared("ANALYZE notification").await?;
    Ok(())
}

async fn count<C: ConnectionTrait>(
    db: &C,
    batch_id: i64,
    status: Option<NotificationStatus>,
) -> DomainResult<i64> {
    use sea_orm::PaginatorTrait;
    let mut q = notification::Entity::find().filter(notification::Column::BatchId.eq(batch_id));
    if let Some(s) = status {
        q = q.filter(notification::Column::Status.eq(s));
    }
    Ok(q.count(db).await? as i64)
}

#[derive(Debug, FromQueryResult)]
struct StatusCount {
    status: String,
    n: i64,
}

/// Where a batch stands. Marks it completed once nothing remains.
pub async fn progress(ctx: &Context, actor: &Actor, batch_id: i64) -> DomainResult<Progress> {
    staff(actor)?;
    // The batch before its messages: the fan-out writes every message before it marks the
    // batch sending, so a batch read as sending has all its messages in the counts below.
    // Read the other way round, a count taken mid-fan-out could complete the batch early.
    let mut batch = bulk_notice_batch::Entity::find_by_id(batch_id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("bulk notice batch"))?;
    let counts = notification::Entity::find()
        .select_only()
        .column(notification::Column::Status)
        .column_as(Expr::col(notification::Column::Id).count(), "n")
        .filter(notification::Column::BatchId.eq(batch_id))
        .group_by(notification::Column::Status)
        .into_model::<StatusCount>()
        .all(&ctx.db)
        .await?;
    let of = |s: &str| {
        counts
            .iter()
            .filter(|c| c.status == s)
            .map(|c| c.n)
            .sum::<i64>()
    };
    // Pending includes the messages being sent: a claim leaves a row pending (m0009).
    let (pending, sent, failed, cancelled) =
        (of("pending"), of("sent"), of("failed"), of("cancelled"));
    let total = pending + sent + failed + cancelled;
    if batch.status == BatchStatus::Sending && pending == 0 {
        let now = ctx.now();
        bulk_notice_batch::Entity::update_many()
            .col_expr(
                bulk_notice_batch::Column::Status,
                Expr::value(BatchStatus::Completed),
            )
            .col_expr(bulk_notice_batch::Column::CompletedAt, Expr::value(now))
            .filter(bulk_notice_batch::Column::Id.eq(batch_id))
            .filter(bulk_notice_batch::Column::Status.eq(BatchStatus::Sending))
            .exec(&ctx.db)
            .await?;
        batch.status = BatchStatus::Completed;
        batch.completed_at = Some(now);
    }
    let total = if batch.status == BatchStatus::Preparing {
        total
    } else {
        std::cmp::max(batch.total, total)
    };
    Ok(Progress {
        total,
        queued: pending,
        sent,
        failed,
        cancelled,
        remaining: total - sent - failed - cancelled,
        batch,
    })
}

/// Cancels a batch: messages not yet sent are not sent.
pub async fn cancel(ctx: &Context, actor: &Actor, batch_id: i64) -> DomainResult<Progress> {
    staff(actor)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let batch = bulk_notice_batch::Entity::find_by_id(batch_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("bulk notice batch"))?;
    if matches!(
        batch.status,
        BatchStatus::Completed | BatchStatus::Cancelled
    ) {
        return Err(DomainError::invalid(Violation::new(
            "BATCH_FINISHED",
            "This batch has already finished.",
        )));
    }
    let mut am: bulk_notice_batch::ActiveModel = batch.clone().into();
    am.status = Set(BatchStatus::Cancelled);
    am.cancelled_at = Set(Some(now));
    am.update(&txn).await?;
    notification::Entity::update_many()
        .col_expr(
            notification::Column::Status,
            Expr::value(NotificationStatus::Cancelled),
        )
        .filter(notification::Column::BatchId.eq(batch_id))
        .filter(notification::Column::Status.eq(NotificationStatus::Pending))
        // A message a worker has claimed is on its way to the mail server; it is sent and
        // recorded as sent.
        .filter(notification::Column::ClaimedAt.is_null())
        .exec(&txn)
        .await?;
    AuditEntry::new("bulk_notice.cancel", "bulk_notice_batch", batch_id)
        .before(json!({ "status": batch.status }))
        .after(json!({ "status": BatchStatus::Cancelled }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    progress(ctx, actor, batch_id).await
}

/// Sends a batch's failed messages again.
pub async fn retry_failures(ctx: &Context, actor: &Actor, batch_id: i64) -> DomainResult<Progress> {
    staff(actor)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let batch = bulk_notice_batch::Entity::find_by_id(batch_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("bulk notice batch"))?;
    if batch.status == BatchStatus::Cancelled {
        return Err(DomainError::invalid(Violation::new(
            "BATCH_CANCELLED",
            "This batch was cancelled.",
        )));
    }
    let retried = crate::services::notifications::retry_from_scratch(now)
        .filter(notification::Column::BatchId.eq(batch_id))
        .filter(notification::Column::Status.eq(NotificationStatus::Failed))
        .exec(&txn)
        .await?
        .rows_affected;
    if batch.status == BatchStatus::Completed && retried > 0 {
        let mut am: bulk_notice_batch::ActiveModel = batch.clone().into();
        am.status = Set(BatchStatus::Sending);
        am.completed_at = Set(None);
        am.update(&txn).await?;
    }
    AuditEntry::new("bulk_notice.retry_failures", "bulk_notice_batch", batch_id)
        .after(json!({ "retried": retried }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    progress(ctx, actor, batch_id).await
}

/// Batches, newest first.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    limit: u64,
) -> DomainResult<Vec<bulk_notice_batch::Model>> {
    staff(actor)?;
    Ok(bulk_notice_batch::Entity::find()
        .order_by_desc(bulk_notice_batch::Column::Id)
        .limit(limit)
        .all(&ctx.db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn batch(criteria: serde_json::Value, created_at: DateTime<Utc>) -> bulk_notice_batch::Model {
        bulk_notice_batch::Model {
            id: 1,
            created_by: 1,
            kind: BatchKind::RenewalNotice,
            criteria,
            status: BatchStatus::Sending,
            total: 3,
            created_at,
            prepared_at: None,
            cancelled_at: None,
            completed_at: None,
            idempotency_key: Some("spring".to_owned()),
        }
    }

    #[test]
    fn a_key_replays_its_batch_for_the_same_criteria_until_it_expires() {
        let made = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let day = chrono::Duration::hours(24);
        let b = batch(json!({ "state": "WI", "statuses": [] }), made);
        // The same criteria, whatever order the stored JSON keeps its keys in.
        let same = json!({ "statuses": [], "state": "WI" });
        let other = json!({ "state": "IL", "statuses": [] });
        assert_eq!(key_use(&b, &same, made, day), KeyUse::Replay);
        assert_eq!(key_use(&b, &same, made + day, day), KeyUse::Replay);
        assert_eq!(key_use(&b, &other, made + day, day), KeyUse::Mismatch);
        let later = made + day + chrono::Duration::seconds(1);
        assert_eq!(key_use(&b, &same, later, day), KeyUse::Expired);
        // Once expired, the key is free whatever the new request asks for.
        assert_eq!(key_use(&b, &other, later, day), KeyUse::Expired);
    }

    #[test]
    fn a_reused_key_is_refused_on_the_key_in_words_staff_can_act_on() {
        match key_reused() {
            DomainError::Invalid(v) => {
                assert_eq!(v.len(), 1);
                assert_eq!(v[0].code, "IDEMPOTENCY_KEY_REUSED");
                assert_eq!(v[0].field.as_deref(), Some("idempotencyKey"));
                assert!(v[0].message.contains("new key"), "{}", v[0].message);
            }
            other => panic!("expected a violation, got {other:?}"),
        }
    }
}
