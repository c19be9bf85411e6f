//! The evidence documents attached to a portfolio.

use sea_orm::entity::prelude::*;

/// One uploaded document offered as evidence in a portfolio.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portfolio_document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "portfolio_document")]
    pub portfolio_id: i64,
    #[sea_orm(unique_key = "portfolio_document")]
    pub document_id: i64,
    /// What the document shows, in the candidate's words.
    pub caption: Option<String>,
    pub added_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "portfolio_id", to = "id")]
    pub portfolio: HasOne<super::portfolio::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
