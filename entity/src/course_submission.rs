//! Submissions of a course to the CRC, for its first approval or a re-approval: the
//! course's content as the CRC judges it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether a submission seeks a first approval or extends an existing one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SubmissionKind {
    /// The course's first approval.
    Initial,
    /// Re-approval before the current three-year approval ends.
    Reapproval,
}

/// Where a submission stands with the CRC.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Being prepared by the provider.
    Draft,
    /// With the CRC for a decision.
    Submitted,
    /// The CRC asked for changes; the provider revises and resubmits (`revision` + 1).
    ChangesRequested,
    /// Approved: a course approval was recorded.
    Approved,
    /// Rejected, with reasons.
    Rejected,
    /// Withdrawn by the provider.
    Withdrawn,
}

/// The kind of educational offering, as the programme's definition of an approved course
/// names them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CourseFormat {
    /// A workshop, offered in a condensed period.
    Workshop,
    /// An institute, offered in a condensed period.
    Institute,
    /// A course offered over several weeks.
    MultiWeekCourse,
    /// Any other educational offering; `description` and `duration` say what.
    Other,
}

/// Where a course is taught.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Entirely online.
    Online,
    /// Entirely in a classroom.
    InPerson,
    /// Partly online, partly in person.
    Mixed,
}

/// Whether learners meet at the same time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// Scheduled sessions everyone attends together.
    Synchronous,
    /// Self-paced.
    Asynchronous,
}

/// One submission of a course: what the CRC approves, rejects or sends back.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_submission")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub course_id: i64,
    pub kind: SubmissionKind,
    /// 1 for the first submission, then + 1 per resubmission after changes were requested.
    pub revision: i32,
    pub status: SubmissionStatus,
    pub title: String,
    pub description: String,
    pub format: CourseFormat,
    pub delivery: Delivery,
    pub timing: Timing,
    /// The length as the provider states it, e.g. `6 weeks`.
    pub duration: String,
    /// Contact hours, when the provider gives them.
    pub duration_hours: Option<i32>,
    /// The uploaded curriculum, if any.
    pub curriculum_document_id: Option<i64>,
    /// How the course assesses that learners reached the competencies.
    pub assessment_method: String,
    /// The approval fee due in cents, by the provider's course count at submission.
    pub fee_cents: Option<i64>,
    pub submitted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    /// The provider member who prepared it, if the account still exists.
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "course_id", to = "id")]
    pub course: HasOne<super::course::Entity>,
    #[sea_orm(has_many)]
    pub instructors: HasMany<super::course_instructor::Entity>,
    #[sea_orm(has_many)]
    pub coverage: HasMany<super::course_coverage::Entity>,
    #[sea_orm(has_many)]
    pub decisions: HasMany<super::course_decision::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
