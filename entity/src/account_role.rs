//! The roles an account holds.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What an account may do. One account may hold several.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Candidate,
    ProviderMember,
    Evaluator,
    CrcMember,
    ProgramAssistant,
    ProgramOfficer,
}

/// One role held by one account, and who granted it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_role")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub role: Role,
    pub granted_by: Option<i64>,
    pub granted_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: HasOne<super::account::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
