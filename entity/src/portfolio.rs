//! Portfolios: the way to achieve a competency set without an approved course.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a portfolio stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PortfolioStatus {
    /// Being written; not yet submitted, or not since the last revision request.
    Draft,
    /// A review round is open.
    UnderReview,
    /// Both evaluators found it not met: the candidate may revise and resubmit.
    RevisionRequested,
    /// The set was achieved through it.
    Achieved,
    /// Closed without achievement (the set was achieved by a course, or the candidacy
    /// ended).
    Closed,
}

/// One candidate's portfolio for one set: narratives and evidence, submitted in rounds.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portfolio")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "candidacy_set")]
    pub candidacy_id: i64,
    /// The competency set the portfolio demonstrates; one portfolio per set per candidacy.
    #[sea_orm(unique_key = "candidacy_set")]
    pub set_id: i64,
    pub status: PortfolioStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "candidacy_id", to = "id")]
    pub candidacy: HasOne<super::candidacy::Entity>,
    #[sea_orm(has_many)]
    pub narratives: HasMany<super::portfolio_narrative::Entity>,
    #[sea_orm(has_many)]
    pub documents: HasMany<super::portfolio_document::Entity>,
    #[sea_orm(has_many)]
    pub rounds: HasMany<super::review_round::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
