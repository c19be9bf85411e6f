//! How a course submission teaches each competency of its set. An approved course must
//! teach the entire set, so a complete submission has one row per competency.

use sea_orm::entity::prelude::*;

/// One competency of the set mapped to the part of the course that teaches it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_coverage")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "submission_competency")]
    pub submission_id: i64,
    #[sea_orm(unique_key = "submission_competency")]
    pub competency_id: i64,
    /// The unit or module that teaches the competency.
    pub content: String,
    #[sea_orm(belongs_to, from = "submission_id", to = "id")]
    pub submission: HasOne<super::course_submission::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
