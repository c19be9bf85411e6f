//! The audit log: one row per change of state, written by the service that makes the change
//! in the same transaction, so the log can never disagree with the data.

use crate::actor::Actor;
use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};
use serde_json::Value;

/// One change to record. Snapshots are chosen fields, never whole rows, so secrets such as
/// password hashes never reach the log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEntry {
    pub fn new(action: &'static str, entity_type: &'static str, entity_id: i64) -> Self {
        Self {
            action,
            entity_type,
            entity_id: Some(entity_id),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, snapshot: Value) -> Self {
        self.before = Some(snapshot);
        self
    }

    pub fn after(mut self, snapshot: Value) -> Self {
        self.after = Some(snapshot);
        self
    }

    /// Writes the entry through `db`, which should be the change's own transaction.
    pub async fn write<C: ConnectionTrait>(
        self,
        db: &C,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        audit_log::ActiveModel {
            actor_account_id: Set(actor.account_id()),
            action: Set(self.action.to_owned()),
            entity_type: Set(self.entity_type.to_owned()),
            entity_id: Set(self.entity_id),
            before: Set(self.before),
            after: Set(self.after),
            at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }
}
