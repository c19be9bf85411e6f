//! Review rounds: each submission of a portfolio, frozen, and the outcome its evaluators
//! reached.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a review round stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    /// Submitted; waiting for two eligible evaluators (see `unstaffed_reason`).
    AwaitingAssignment,
    /// Two evaluators are assessing it.
    InReview,
    /// The two disagreed; a third evaluator decides.
    AwaitingThird,
    /// Decided: the set is achieved.
    Met,
    /// Decided: revision requested.
    NotMet,
    /// Stopped without an outcome (the candidacy ended, or an appeal replaced it).
    Cancelled,
}

/// The decision a round reached.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RoundOutcome {
    /// Both evaluators, or the third, found the set met.
    Met,
    /// Both evaluators, or the third, found it not met: the candidate may revise.
    NotMet,
}

/// One submission of a portfolio for review.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review_round")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "portfolio_number")]
    pub portfolio_id: i64,
    /// 1 for the first submission of the portfolio, then + 1 per resubmission.
    #[sea_orm(unique_key = "portfolio_number")]
    pub number: i32,
    pub status: RoundStatus,
    /// The narratives and document references as submitted, so later edits to the
    /// portfolio do not change what the evaluators assess.
    #[sea_orm(column_type = "JsonBinary")]
    pub content: Json,
    pub submitted_at: DateTimeUtc,
    pub outcome: Option<RoundOutcome>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why no eligible evaluator could be found, shown to staff.
    pub unstaffed_reason: Option<String>,
    /// Since when the round has waited for evaluators.
    pub unstaffed_since: Option<DateTimeUtc>,
    /// The appeal that ordered this round. Not a declared foreign key, because `appeal`
    /// references `review_round`.
    pub ordered_by_appeal_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "portfolio_id", to = "id")]
    pub portfolio: HasOne<super::portfolio::Entity>,
    #[sea_orm(has_many)]
    pub reviews: HasMany<super::review::Entity>,
    #[sea_orm(has_many)]
    pub appeals: HasMany<super::appeal::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
