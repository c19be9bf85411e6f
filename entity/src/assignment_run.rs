//! Runs of the evaluator-assignment solver, kept so that every assignment can be explained
//! and reproduced.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How the solver chose among equally good assignments.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMode {
    /// The minimum-cost assignment, ties broken deterministically.
    Optimal,
    /// Ties broken at random from `seed`, to spread the load.
    Randomised,
}

/// One solver run over the rounds waiting for evaluators.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assignment_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The random seed, so the run can be replayed.
    pub seed: i64,
    pub mode: AssignmentMode,
    pub rounds_considered: i32,
    pub rounds_assigned: i32,
    /// The solver's objective value for the chosen assignment.
    pub total_cost: i64,
    /// Per round: the candidates considered, why some were excluded, and who was chosen.
    #[sea_orm(column_type = "JsonBinary")]
    pub details: Json,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
