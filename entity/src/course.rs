//! Courses: what a provider offers to teach one entire competency set.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a course stands. Only `approved` courses are on the public list and count for
/// completions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CourseStatus {
    /// Its first submission is being prepared.
    Draft,
    /// A submission is with the CRC.
    InReview,
    /// An approval is current.
    Approved,
    /// The CRC rejected its first submission.
    Rejected,
    /// Its approval ended without re-approval; it left the public list.
    Expired,
    /// Withdrawn by the provider.
    Withdrawn,
}

/// A course of one provider for one competency set. Its content lives in its submissions;
/// its approvals say when it counted.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub provider_id: i64,
    /// The competency set the course teaches in its entirety.
    pub set_id: i64,
    /// The title of the latest submission, kept here for lists.
    pub title: String,
    pub status: CourseStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "provider_id", to = "id")]
    pub provider: HasOne<super::provider::Entity>,
    #[sea_orm(has_many)]
    pub submissions: HasMany<super::course_submission::Entity>,
    #[sea_orm(has_many)]
    pub approvals: HasMany<super::course_approval::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
