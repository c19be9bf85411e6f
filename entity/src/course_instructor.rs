//! The instructors a course submission names, so the CRC can judge their qualifications.

use sea_orm::entity::prelude::*;

/// One instructor of one submission.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_instructor")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub submission_id: i64,
    pub name: String,
    /// Degrees, experience and teaching background, as the provider describes them.
    pub qualifications: String,
    /// Display order within the submission.
    pub position: i32,
    #[sea_orm(belongs_to, from = "submission_id", to = "id")]
    pub submission: HasOne<super::course_submission::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
