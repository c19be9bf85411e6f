//! Staff-triggered bulk notices (renewal notices to a selection of holders).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What kind of notice a batch sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
pub enum BatchKind {
    RenewalNotice,
}

/// Where a batch is in its life. Counts of queued, sent and failed messages are derived
/// from its notifications, never stored twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
pub enum BatchStatus {
    Preparing,
    Sending,
    Completed,
    Cancelled,
}

/// One bulk notice: the selection criteria and its progress.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_notice_batch")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub created_by: i64,
    pub kind: BatchKind,
    #[sea_orm(column_type = "JsonBinary")]
    pub criteria: Json,
    pub status: BatchStatus,
    pub total: i64,
    pub created_at: DateTimeUtc,
    pub prepared_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    /// Chosen by the client (m0007): the same key twice returns the first batch.
    #[sea_orm(unique)]
    pub idempotency_key: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
