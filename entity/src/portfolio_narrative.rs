//! The reflective narratives of a portfolio.

use sea_orm::entity::prelude::*;

/// One narrative, in which the candidate shows how their work meets some competencies.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portfolio_narrative")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub portfolio_id: i64,
    pub title: String,
    pub body: String,
    /// Display order within the portfolio.
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "portfolio_id", to = "id")]
    pub portfolio: HasOne<super::portfolio::Entity>,
    #[sea_orm(has_many)]
    pub competencies: HasMany<super::portfolio_narrative_competency::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
