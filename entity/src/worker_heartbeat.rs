//! The heartbeats of running worker processes (see `domain::services::liveness`).

use sea_orm::entity::prelude::*;

/// One worker process, by its unique name.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "worker_heartbeat")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// Raised by one on every beat; only its changing matters, never its value.
    pub beats: i64,
    pub started_at: DateTimeUtc,
    /// When it last beat, by its own clock: for operators to read.
    pub beat_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
