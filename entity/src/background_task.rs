//! The outbox for background work other than email (evaluator assignment, bulk fan-out).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// State of one unit of background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    Running,
    Done,
    Failed,
}

/// One unit of background work, identified by an idempotency key.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "background_task")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The task's kind, e.g. `assign_evaluators` (see `domain::jobs::TaskKind`).
    pub kind: String,
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub subject_id: Option<i64>,
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    pub status: TaskStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub pushed_at: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
    pub done_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
