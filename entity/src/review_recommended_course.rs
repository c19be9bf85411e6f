//! Approved courses an evaluator recommends to a candidate whose portfolio fell short.

use sea_orm::entity::prelude::*;

/// One course recommended in one review.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_recommended_course")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "review_course")]
    pub review_id: i64,
    #[sea_orm(unique_key = "review_course")]
    pub course_id: i64,
    #[sea_orm(belongs_to, from = "review_id", to = "id")]
    pub review: HasOne<super::review::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
