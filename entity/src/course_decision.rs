//! The CRC's decisions on course submissions, with their reasons.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What the CRC decided about a submission.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CourseDecisionKind {
    /// Approved for three years.
    Approved,
    /// Rejected.
    Rejected,
    /// Sent back to the provider for changes.
    ChangesRequested,
}

/// One decision on one submission, kept even when a later revision is decided again.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_decision")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub submission_id: i64,
    pub decision: CourseDecisionKind,
    /// The reasons the provider is told.
    pub reasons: String,
    /// The CRC member who recorded the decision.
    pub decided_by: i64,
    pub decided_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "submission_id", to = "id")]
    pub submission: HasOne<super::course_submission::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
