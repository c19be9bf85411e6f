//! The audit log: every change of state, who made it, and what it was before and after.

use sea_orm::entity::prelude::*;

/// One recorded change, written in the same transaction as the change itself.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None` for the system itself (the worker) or an anonymous caller (registration).
    pub actor_account_id: Option<i64>,
    /// A dotted verb, e.g. `account.register`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub before: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub after: Option<Json>,
    pub at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
