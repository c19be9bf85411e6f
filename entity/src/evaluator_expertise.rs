//! The competency sets each evaluator may assess.

use sea_orm::entity::prelude::*;

/// One set an evaluator has expertise in; only such evaluators are assigned its portfolios.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluator_expertise")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "evaluator_set")]
    pub evaluator_id: i64,
    #[sea_orm(unique_key = "evaluator_set")]
    pub set_id: i64,
    #[sea_orm(belongs_to, from = "evaluator_id", to = "id")]
    pub evaluator: HasOne<super::evaluator::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
