//! Which competencies each portfolio narrative addresses, so evaluators can see that the
//! portfolio covers the whole set.

use sea_orm::entity::prelude::*;

/// One competency a narrative addresses.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portfolio_narrative_competency")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "narrative_competency")]
    pub narrative_id: i64,
    #[sea_orm(unique_key = "narrative_competency")]
    pub competency_id: i64,
    #[sea_orm(belongs_to, from = "narrative_id", to = "id")]
    pub narrative: HasOne<super::portfolio_narrative::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
