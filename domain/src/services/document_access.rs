//! Who may read an uploaded document. Above both the documents and the review modules:
//! the generic capability asks the policy, and the policy reads the review rounds' frozen
//! content directly, so neither module depends on the other.

use crate::actor::{Actor, Viewer};
use crate::context::Context;
use crate::error::DomainResult;
use crate::rules::round_content::RoundContent;
use entity::account_role::Role;
use entity::document::{self, DocumentPurpose};
use entity::review::{self, ReviewStatus};
use entity::{course, course_submission, evaluator, provider_member, review_round};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

/// Whether the caller may read `doc`: its owner, staff and the CRC always; portfolio
/// evidence, the evaluators of a round it is frozen in; a course curriculum, the members
/// of the provider whose submission uses it.
pub async fn can_read(ctx: &Context, actor: &Actor, doc: &document::Model) -> DomainResult<bool> {
    let viewer = match actor {
        Actor::System => return Ok(true),
        Actor::Anonymous => return Ok(false),
        Actor::Account(v) => v,
    };
    if doc.owner_account_id == Some(viewer.account_id)
        || viewer.is_staff()
        || viewer.has(Role::CrcMember)
    {
        return Ok(true);
    }
    if doc.purpose == DocumentPurpose::PortfolioEvidence
        && viewer.has(Role::Evaluator)
        && evaluator_may_read_document(&ctx.db, viewer, doc.id).await?
    {
        return Ok(true);
    }
    if doc.purpose == DocumentPurpose::CourseCurriculum {
        let providers: Vec<i64> = course_submission::Entity::find()
            .filter(course_submission::Column::CurriculumDocumentId.eq(doc.id))
            .find_also_related(course::Entity)
            .all(&ctx.db)
            .await?
            .into_iter()
            .filter_map(|(_, c)| c.map(|c| c.provider_id))
            .collect();
        if !providers.is_empty() {
            let member = provider_member::Entity::find()
                .filter(provider_member::Column::AccountId.eq(viewer.account_id))
                .filter(provider_member::Column::ProviderId.is_in(providers))
                .count(&ctx.db)
                .await?;
            return Ok(member > 0);
        }
    }
    Ok(false)
}

/// Whether the evaluator may open document `document_id`: it is frozen in a round they
/// are (or were) assigned to.
async fn evaluator_may_read_document<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    document_id: i64,
) -> DomainResult<bool> {
    let Some(ev) = evaluator::Entity::find()
        .filter(evaluator::Column::AccountId.eq(viewer.account_id))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let rounds: Vec<i64> = review::Entity::find()
        .select_only()
        .column(review::Column::RoundId)
        .filter(review::Column::EvaluatorId.eq(ev.id))
        .filter(review::Column::Status.is_in([ReviewStatus::Assigned, ReviewStatus::Submitted]))
        .into_tuple()
        .all(db)
        .await?;
    for r in review_round::Entity::find()
        .filter(review_round::Column::Id.is_in(rounds))
        .all(db)
        .await?
    {
        if RoundContent::from_json(&r.content)?
            .documents
            .iter()
            .any(|d| d.document_id == document_id)
        {
            return Ok(true);
        }
    }
    Ok(false)
}
