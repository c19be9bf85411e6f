//! Reviews: one evaluator's assignment to one review round and the assessment they write.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a review stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// The evaluator is assessing; due on `due_on`.
    Assigned,
    /// The assessment is in.
    Submitted,
    /// Taken away (overdue, or by the CRC) and given to another evaluator.
    Reassigned,
    /// Ended without an assessment (the round was cancelled, or the evaluator withdrew).
    Withdrawn,
}

/// Who put the evaluator on the round.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AssignedBy {
    /// The assignment solver, when the round was submitted.
    Solver,
    /// Automatically, as the third evaluator after a disagreement.
    TieBreak,
    /// A CRC member, overriding the solver.
    Crc,
    /// As a replacement for a reassigned review.
    Reassignment,
}

/// One evaluator's review of one round. Evaluators do not see each other's identity or
/// assessment until both are in.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub round_id: i64,
    pub evaluator_id: i64,
    /// 1 and 2 for the two evaluators, 3 for the tie-breaker.
    pub slot: i32,
    pub status: ReviewStatus,
    pub assigned_by: AssignedBy,
    pub assigned_at: DateTimeUtc,
    /// The day the assessment is due (30 days after assignment by default).
    pub due_on: Date,
    pub submitted_at: Option<DateTimeUtc>,
    /// The evaluator's verdict on the whole set: met or not met.
    pub overall_met: Option<bool>,
    /// Feedback for the candidate, shown without the evaluator's identity.
    pub feedback: Option<String>,
    /// When the review stopped counting (reassigned or withdrawn).
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<String>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "round_id", to = "id")]
    pub round: HasOne<super::review_round::Entity>,
    #[sea_orm(has_many)]
    pub assessments: HasMany<super::review_assessment::Entity>,
    #[sea_orm(has_many)]
    pub recommended_courses: HasMany<super::review_recommended_course::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
