//! Portfolios: a candidate's reflective narratives and evidence for one set, submitted for
//! review as rounds whose content is frozen at submission.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::error::{DomainError, DomainResult, Violation};
use crate::limits;
use crate::rules::text::{join_numbers, optional, required, single_line};
use crate::services::{assignment, catalogue, documents, evidence};
use entity::candidacy::{self, CandidacyStatus};
use entity::document::{self, DocumentPurpose};
use entity::portfolio::{self, PortfolioStatus};
use entity::review_round::{self, RoundStatus};
use entity::{
    achievement, portfolio_document, portfolio_narrative, portfolio_narrative_competency,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use std::collections::BTreeSet;

pub use crate::rules::round_content::{FrozenDocument, FrozenNarrative, RoundContent};

/// A portfolio with what it holds now.
#[derive(Debug, Clone)]
pub struct PortfolioDetail {
    pub portfolio: portfolio::Model,
    pub narratives: Vec<(portfolio_narrative::Model, Vec<i32>)>,
    pub documents: Vec<(portfolio_document::Model, document::Model)>,
    pub rounds: Vec<review_round::Model>,
}

/// The portfolio, if it belongs to the caller (or the caller is staff or the CRC).
async fn load<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
) -> DomainResult<(portfolio::Model, candidacy::Model)> {
    let viewer = actor.viewer()?;
    let p = portfolio::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("portfolio"))?;
    let c = candidacy::Entity::find_by_id(p.candidacy_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("portfolio"))?;
    let staff_or_crc = viewer.is_staff_or_crc();
    if c.account_id != viewer.account_id && !staff_or_crc {
        return Err(DomainError::NotFound("portfolio"));
    }
    Ok((p, c))
}

/// The portfolio, if the caller owns it and may still edit it.
async fn editable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
) -> DomainResult<(portfolio::Model, candidacy::Model)> {
    let (p, c) = load(db, actor, id).await?;
    if c.account_id != actor.viewer()?.account_id {
        return Err(DomainError::forbidden(
            "Only the candidate edits their portfolio.",
        ));
    }
    if c.status != CandidacyStatus::Active {
        return Err(DomainError::invalid(Violation::new(
            "CANDIDACY_NOT_ACTIVE",
            "Your candidacy is not active.",
        )));
    }
    match p.status {
        PortfolioStatus::Draft | PortfolioStatus::RevisionRequested => Ok((p, c)),
        PortfolioStatus::UnderReview => Err(DomainError::invalid(Violation::new(
            "UNDER_REVIEW",
            "This portfolio is being reviewed. Changes can be made once the evaluators have decided.",
        ))),
        PortfolioStatus::Achieved | PortfolioStatus::Closed => {
            Err(DomainError::invalid(Violation::new(
                "PORTFOLIO_CLOSED",
                "This portfolio's set is achieved or the portfolio is closed.",
            )))
        }
    }
}

/// Reads a portfolio's current content.
pub async fn detail<C: ConnectionTrait>(
    db: &C,
    p: portfolio::Model,
) -> DomainResult<PortfolioDetail> {
    let narratives = portfolio_narrative::Entity::find()
        .filter(portfolio_narrative::Column::PortfolioId.eq(p.id))
        .order_by_asc(portfolio_narrative::Column::Position)
        .order_by_asc(portfolio_narrative::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = narratives.iter().map(|n| n.id).collect();
    let links = portfolio_narrative_competency::Entity::find()
        .filter(portfolio_narrative_competency::Column::NarrativeId.is_in(ids))
        .all(db)
        .await?;
    let comps = entity::competency::Entity::find().all(db).await?;
    let number_of = |cid: i64| comps.iter().find(|c| c.id == cid).map(|c| c.number);
    let narratives = narratives
        .into_iter()
        .map(|n| {
            let mut numbers: Vec<i32> = links
                .iter()
                .filter(|l| l.narrative_id == n.id)
                .filter_map(|l| number_of(l.competency_id))
                .collect();
            numbers.sort_unstable();
            (n, numbers)
        })
        .collect();
    let attached = portfolio_document::Entity::find()
        .filter(portfolio_document::Column::PortfolioId.eq(p.id))
        .order_by_asc(portfolio_document::Column::Id)
        .all(db)
        .await?;
    let docs: std::collections::HashMap<i64, document::Model> = document::Entity::find()
        .filter(document::Column::Id.is_in(attached.iter().map(|a| a.document_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let documents = attached
        .into_iter()
        .filter_map(|pd| docs.get(&pd.document_id).cloned().map(|d| (pd, d)))
        .collect();
    let rounds = review_round::Entity::find()
        .filter(review_round::Column::PortfolioId.eq(p.id))
        .order_by_asc(review_round::Column::Number)
        .all(db)
        .await?;
    Ok(PortfolioDetail {
        portfolio: p,
        narratives,
        documents,
        rounds,
    })
}

/// Starts (or returns) the caller's portfolio for a set.
pub async fn start(ctx: &Context, actor: &Actor, set_code: &str) -> DomainResult<PortfolioDetail> {
    let cat = catalogue::get(ctx).await?;
    let set = cat.by_code(set_code).ok_or_else(|| {
        DomainError::invalid(
            Violation::new(
                "UNKNOWN_SET",
                format!("There is no competency set {set_code}."),
            )
            .on("setCode"),
        )
    })?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let c = evidence::own_candidacy(&txn, actor).await?;
    if c.status != CandidacyStatus::Active {
        return Err(DomainError::invalid(Violation::new(
            "CANDIDACY_NOT_ACTIVE",
            "Your candidacy is not active.",
        )));
    }
    if let Some(p) = portfolio::Entity::find()
        .filter(portfolio::Column::CandidacyId.eq(c.id))
        .filter(portfolio::Column::SetId.eq(set.set.id))
        .one(&txn)
        .await?
    {
        let d = detail(&txn, p).await?;
        txn.commit().await?;
        return Ok(d);
    }
    let achieved = achievement::Entity::find()
        .filter(achievement::Column::CandidacyId.eq(c.id))
        .filter(achievement::Column::SetId.eq(set.set.id))
        .one(&txn)
        .await?;
    if achieved.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_ACHIEVED",
            format!("You have already achieved {}.", set.set.name),
        )));
    }
    let p = portfolio::ActiveModel {
        candidacy_id: Set(c.id),
        set_id: Set(set.set.id),
        status: Set(PortfolioStatus::Draft),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    AuditEntry::new("portfolio.start", "portfolio", p.id)
        .after(json!({ "set": set.set.code }))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, p).await?;
    txn.commit().await?;
    Ok(d)
}

/// A narrative as the candidate writes it.
#[derive(Debug, Clone)]
pub struct NarrativeInput {
    /// `None` to add a narrative.
    pub narrative_id: Option<i64>,
    pub title: String,
    pub body: String,
    /// The numbers of the set's competencies it addresses.
    pub competencies: Vec<i32>,
}

/// Adds or edits a narrative.
pub async fn save_narrative(
    ctx: &Context,
    actor: &Actor,
    portfolio_id: i64,
    input: NarrativeInput,
) -> DomainResult<PortfolioDetail> {
    let title = single_line(
        "title",
        "The narrative's title",
        &input.title,
        limits::NARRATIVE_TITLE_CHARS,
    )?;
    let body = required(
        "body",
        "The narrative",
        &input.body,
        limits::NARRATIVE_BODY_CHARS,
    )?;
    let cat = catalogue::get(ctx).await?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let (p, _) = editable(&txn, actor, portfolio_id).await?;
    let set = cat
        .set(p.set_id)
        .ok_or_else(|| DomainError::bug("portfolio set not in catalogue"))?;
    let numbers: BTreeSet<i32> = input.competencies.iter().copied().collect();
    let unknown: Vec<i32> = numbers
        .iter()
        .copied()
        .filter(|n| !set.competencies.iter().any(|c| c.number == *n))
        .collect();
    if !unknown.is_empty() {
        return Err(DomainError::invalid(
            Violation::new(
                "UNKNOWN_COMPETENCY",
                format!(
                    "{} has no competency numbered {}.",
                    set.set.name,
                    join_numbers(&unknown)
                ),
            )
            .on("competencies"),
        ));
    }
    let narrative = match input.narrative_id {
        Some(id) => {
            let n = portfolio_narrative::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .filter(|n| n.portfolio_id == p.id)
                .ok_or(DomainError::NotFound("narrative"))?;
            let mut am: portfolio_narrative::ActiveModel = n.into();
            am.title = Set(title);
            am.body = Set(body);
            am.updated_at = Set(now);
            am.update(&txn).await?
        }
        None => {
            let existing = portfolio_narrative::Entity::find()
                .filter(portfolio_narrative::Column::PortfolioId.eq(p.id))
                .count(&txn)
                .await?;
            if existing >= limits::NARRATIVES_PER_PORTFOLIO as u64 {
                return Err(DomainError::invalid(Violation::new(
                    "TOO_MANY_NARRATIVES",
                    format!(
                        "A portfolio holds at most {} narratives; edit or remove one.",
                        limits::NARRATIVES_PER_PORTFOLIO
                    ),
                )));
            }
            let position = existing as i32 + 1;
            portfolio_narrative::ActiveModel {
                portfolio_id: Set(p.id),
                title: Set(title),
                body: Set(body),
                position: Set(position),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    portfolio_narrative_competency::Entity::delete_many()
        .filter(portfolio_narrative_competency::Column::NarrativeId.eq(narrative.id))
        .exec(&txn)
        .await?;
    for n in &numbers {
        if let Some(c) = set.competencies.iter().find(|c| c.number == *n) {
            portfolio_narrative_competency::ActiveModel {
                narrative_id: Set(narrative.id),
                competency_id: Set(c.id),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    touch(&txn, &p, now).await?;
    AuditEntry::new("portfolio.save_narrative", "portfolio", p.id)
        .after(json!({ "narrativeId": narrative.id, "competencies": numbers }))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, p).await?;
    txn.commit().await?;
    Ok(d)
}

/// Removes a narrative.
pub async fn delete_narrative(
    ctx: &Context,
    actor: &Actor,
    portfolio_id: i64,
    narrative_id: i64,
) -> DomainResult<PortfolioDetail> {
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let (p, _) = editable(&txn, actor, portfolio_id).await?;
    let deleted = portfolio_narrative::Entity::delete_many()
        .filter(portfolio_narrative::Column::Id.eq(narrative_id))
        .filter(portfolio_narrative::Column::PortfolioId.eq(p.id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::NotFound("narrative"));
    }
    touch(&txn, &p, now).await?;
    AuditEntry::new("portfolio.delete_narrative", "portfolio", p.id)
        .before(json!({ "narrativeId": narrative_id }))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, p).await?;
    txn.commit().await?;
    Ok(d)
}

/// Attaches an uploaded evidence document (purpose `portfolio_evidence`).
pub async fn attach_document(
    ctx: &Context,
    actor: &Actor,
    portfolio_id: i64,
    document_id: i64,
    caption: Option<String>,
) -> DomainResult<PortfolioDetail> {
    let caption = optional("caption", "The caption", caption.as_deref(), 500)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let (p, _) = editable(&txn, actor, portfolio_id).await?;
    let doc = documents::owned(&txn, actor, document_id)
        .await
        .map_err(|_| {
            DomainError::invalid(
                Violation::new(
                    "DOCUMENT_NOT_FOUND",
                    "Upload the document first, then attach the id you got back.",
                )
                .on("documentId"),
            )
        })?;
    if doc.purpose != DocumentPurpose::PortfolioEvidence {
        return Err(DomainError::invalid(
            Violation::new(
                "WRONG_DOCUMENT",
                "Upload evidence with the purpose PORTFOLIO_EVIDENCE.",
            )
            .on("documentId"),
        ));
    }
    let exists = portfolio_document::Entity::find()
        .filter(portfolio_document::Column::PortfolioId.eq(p.id))
        .filter(portfolio_document::Column::DocumentId.eq(doc.id))
        .one(&txn)
        .await?;
    if exists.is_none() {
        let attached = portfolio_document::Entity::find()
            .filter(portfolio_document::Column::PortfolioId.eq(p.id))
            .count(&txn)
            .await?;
        if attached >= limits::DOCUMENTS_PER_PORTFOLIO as u64 {
            return Err(DomainError::invalid(
                Violation::new(
                    "TOO_MANY_DOCUMENTS",
                    format!(
                        "A portfolio holds at most {} documents; detach one first.",
                        limits::DOCUMENTS_PER_PORTFOLIO
                    ),
                )
                .on("documentId"),
            ));
        }
        portfolio_document::ActiveModel {
            portfolio_id: Set(p.id),
            document_id: Set(doc.id),
            caption: Set(caption),
            added_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    touch(&txn, &p, now).await?;
    AuditEntry::new("portfolio.attach_document", "portfolio", p.id)
        .after(json!({ "documentId": doc.id }))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, p).await?;
    txn.commit().await?;
    Ok(d)
}

/// Detaches a document (the upload itself stays, and so do earlier rounds that froze it).
pub async fn detach_document(
    ctx: &Context,
    actor: &Actor,
    portfolio_id: i64,
    document_id: i64,
) -> DomainResult<PortfolioDetail> {
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let (p, _) = editable(&txn, actor, portfolio_id).await?;
    portfolio_document::Entity::delete_many()
        .filter(portfolio_document::Column::PortfolioId.eq(p.id))
        .filter(portfolio_document::Column::DocumentId.eq(document_id))
        .exec(&txn)
        .await?;
    touch(&txn, &p, now).await?;
    AuditEntry::new("portfolio.detach_document", "portfolio", p.id)
        .before(json!({ "documentId": document_id }))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, p).await?;
    txn.commit().await?;
    Ok(d)
}

async fn touch<C: ConnectionTrait>(
    db: &C,
    p: &portfolio::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    portfolio::Entity::update_many()
        .col_expr(portfolio::Column::UpdatedAt, Expr::value(now))
        .filter(portfolio::Column::Id.eq(p.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Freezes a portfolio's current content into a new review round waiting for evaluators.
pub(crate) async fn open_round<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    d: &PortfolioDetail,
    ordered_by_appeal: Option<i64>,
) -> DomainResult<review_round::Model> {
    let now = ctx.now();
    let content = RoundContent {
        narratives: d
            .narratives
            .iter()
            .map(|(n, numbers)| FrozenNarrative {
                title: n.title.clone(),
                body: n.body.clone(),
                competencies: numbers.clone(),
            })
            .collect(),
        documents: d
            .documents
            .iter()
            .map(|(pd, doc)| FrozenDocument {
                document_id: doc.id,
                filename: doc.filename.clone(),
                content_type: doc.content_type.clone(),
                sha256: doc.sha256.clone(),
                caption: pd.caption.clone(),
            })
            .collect(),
    };
    let number = d.rounds.iter().map(|r| r.number).max().unwrap_or(0) + 1;
    let round = review_round::ActiveModel {
        portfolio_id: Set(d.portfolio.id),
        number: Set(number),
        status: Set(RoundStatus::AwaitingAssignment),
        content: Set(serde_json::to_value(&content).map_err(DomainError::internal)?),
        submitted_at: Set(now),
        outcome: Set(None),
        decided_at: Set(None),
        unstaffed_reason: Set(None),
        unstaffed_since: Set(None),
        ordered_by_appeal_id: Set(ordered_by_appeal),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut am: portfolio::ActiveModel = d.portfolio.clone().into();
    am.status = Set(PortfolioStatus::UnderReview);
    am.updated_at = Set(now);
    am.update(db).await?;
    assignment::request_run(db, ctx, "round submitted").await?;
    Ok(round)
}

/// Submits the portfolio for review: every competency of the set must be addressed by a
/// narrative. The content is frozen in a new round; later edits belong to the next round.
pub async fn submit(
    ctx: &Context,
    actor: &Actor,
    portfolio_id: i64,
) -> DomainResult<(PortfolioDetail, review_round::Model)> {
    let cat = catalogue::get(ctx).await?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let (p, _) = editable(&txn, actor, portfolio_id).await?;
    let d = detail(&txn, p).await?;
    let set = cat
        .set(d.portfolio.set_id)
        .ok_or_else(|| DomainError::bug("portfolio set not in catalogue"))?;
    if d.narratives.is_empty() {
        return Err(DomainError::invalid(
            Violation::new("REQUIRED", "Write at least one reflective narrative.").on("narratives"),
        ));
    }
    let addressed: BTreeSet<i32> = d
        .narratives
        .iter()
        .flat_map(|(_, ns)| ns.iter().copied())
        .collect();
    let missing: Vec<i32> = set
        .competencies
        .iter()
        .map(|c| c.number)
        .filter(|n| !addressed.contains(n))
        .collect();
    if !missing.is_empty() {
        return Err(DomainError::invalid(
            Violation::new(
                "MISSING_COMPETENCIES",
                format!(
                    "Every competency of {} must be addressed by a narrative; {} {} not yet.",
                    set.set.name,
                    join_numbers(&missing),
                    if missing.len() == 1 { "is" } else { "are" }
                ),
            )
            .on("narratives"),
        ));
    }
    let round = open_round(&txn, ctx, &d, None).await?;
    AuditEntry::new("portfolio.submit", "review_round", round.id)
        .after(json!({ "portfolioId": d.portfolio.id, "round": round.number }))
        .write(&txn, actor, now)
        .await?;
    // `open_round` moved the portfolio under review: show it as it is now.
    let p = portfolio::Entity::find_by_id(d.portfolio.id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("portfolio"))?;
    let d = detail(&txn, p).await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok((d, round))
}

/// One portfolio the caller may see (the candidate, staff, the CRC).
pub async fn get(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<PortfolioDetail> {
    let (p, _) = load(&ctx.db, actor, id).await?;
    detail(&ctx.db, p).await
}

/// The caller's portfolios.
pub async fn mine(ctx: &Context, actor: &Actor) -> DomainResult<Vec<PortfolioDetail>> {
    let c = evidence::own_candidacy(&ctx.db, actor).await?;
    let rows = portfolio::Entity::find()
        .filter(portfolio::Column::CandidacyId.eq(c.id))
        .order_by_asc(portfolio::Column::Id)
        .limit(100)
        .all(&ctx.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        out.push(detail(&ctx.db, p).await?);
    }
    Ok(out)
}
