//! Portfolio evaluators: trained librarians and library educators whom the CRC selects to
//! assess portfolios in the sets they know.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an evaluator stands with the CRC. Only `active` evaluators who completed training
/// are assigned reviews.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EvaluatorStatus {
    /// Applied; waiting for the CRC to select or decline.
    Applied,
    /// Selected by the CRC and available for assignment.
    Active,
    /// Not selected by the CRC.
    Declined,
    /// No longer assessing; open reviews stay as they are.
    Inactive,
}

/// One evaluator: qualifications, employer (for conflicts of interest) and capacity.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluator")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The evaluator's account; one evaluator record per account.
    #[sea_orm(unique)]
    pub account_id: i64,
    pub status: EvaluatorStatus,
    /// Education and experience, as the CRC judged them.
    pub qualifications: String,
    pub employer: String,
    /// `employer` normalised: evaluators of one round never share it, nor with the
    /// candidate.
    pub employer_key: String,
    pub institution: Option<String>,
    /// `institution` normalised, compared with the candidate's for conflicts of interest.
    pub institution_key: Option<String>,
    pub state: String,
    /// How many reviews the evaluator takes on at once.
    pub capacity: i32,
    /// No new assignments until this day (a holiday, a busy month).
    pub paused_until: Option<Date>,
    /// The day the evaluator completed the CRC's training; `None` means not yet assignable.
    pub training_completed_on: Option<Date>,
    pub applied_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    /// The CRC member who selected or declined the evaluator.
    pub decided_by: Option<i64>,
    pub decision_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: HasOne<super::account::Entity>,
    #[sea_orm(has_many)]
    pub expertise: HasMany<super::evaluator_expertise::Entity>,
    #[sea_orm(has_many)]
    pub conflicts: HasMany<super::evaluator_conflict::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
