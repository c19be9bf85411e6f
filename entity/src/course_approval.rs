//! Course approvals: the three-year periods in which a course counts for the set it
//! teaches and appears on the public list.

use sea_orm::entity::prelude::*;

/// One approval period `[starts_on, expires_on)`, granted by one approved submission. A
/// completion counts when its date falls inside a period of the course.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_approval")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub course_id: i64,
    /// The approved submission that granted this period.
    pub submission_id: i64,
    pub starts_on: Date,
    /// The first day the course is no longer approved (three years after `starts_on`).
    pub expires_on: Date,
    /// When the worker recorded the end of the period.
    pub expired_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "course_id", to = "id")]
    pub course: HasOne<super::course::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
