//! Signed-in sessions behind opaque bearer tokens.

use sea_orm::entity::prelude::*;

/// A bearer token's server side. Only the token's SHA-256 is kept, so a leaked table
/// grants nothing.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_seen_at: Option<DateTimeUtc>,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: HasOne<super::account::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
