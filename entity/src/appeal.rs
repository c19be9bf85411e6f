//! Appeals to the CRC against the outcome of a review round.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an appeal stands, and what the CRC decided.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AppealStatus {
    /// Filed; waiting for the CRC.
    Filed,
    /// The CRC upheld the outcome.
    Upheld,
    /// The CRC overturned the outcome.
    Overturned,
    /// The CRC ordered a new review round (`new_round_id`).
    NewRoundOrdered,
}

/// One candidate's appeal against one round's outcome, filed within the appeal window.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appeal")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The round whose outcome is appealed.
    pub round_id: i64,
    pub candidacy_id: i64,
    /// The candidate's grounds.
    pub reason: String,
    pub status: AppealStatus,
    pub filed_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    /// The CRC member who recorded the decision.
    pub decided_by: Option<i64>,
    pub decision_reason: Option<String>,
    /// The round the CRC ordered, when it ordered one.
    pub new_round_id: Option<i64>,
    #[sea_orm(belongs_to, from = "round_id", to = "id")]
    pub round: HasOne<super::review_round::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
