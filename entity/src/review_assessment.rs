//! An evaluator's judgement on each competency of the set.

use sea_orm::entity::prelude::*;

/// Whether the portfolio shows one competency, and why.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_assessment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "review_competency")]
    pub review_id: i64,
    #[sea_orm(unique_key = "review_competency")]
    pub competency_id: i64,
    pub met: bool,
    /// The evaluator's comment, part of the feedback the candidate sees.
    pub comment: String,
    #[sea_orm(belongs_to, from = "review_id", to = "id")]
    pub review: HasOne<super::review::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
