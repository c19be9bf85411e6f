//! Evidence that a candidate completed an approved course: the way to achieve a set without
//! a portfolio.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a completion stands with staff.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CompletionStatus {
    /// Sent in by the candidate; waiting for staff to verify it.
    Submitted,
    /// Verified: the course was approved for the set on the completion date, and the set
    /// was achieved.
    Verified,
    /// Not accepted (see `decision_reason`).
    Rejected,
}

/// One completed course offered as evidence for one set.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_completion")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub candidacy_id: i64,
    pub course_id: i64,
    /// The set claimed: the course's set, kept so that reports need no join.
    pub set_id: i64,
    /// The course must have been approved on this day.
    pub completed_on: Date,
    /// The official evidence of successful completion.
    pub document_id: i64,
    pub status: CompletionStatus,
    pub decision_reason: Option<String>,
    /// The staff member who verified or rejected it.
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub submitted_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "candidacy_id", to = "id")]
    pub candidacy: HasOne<super::candidacy::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
