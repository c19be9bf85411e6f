//! The validity periods of a certificate: the first from issue, then one per approved
//! renewal.

use sea_orm::entity::prelude::*;

/// One period `[starts_on, expires_on)` in which the certificate holds.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate_period")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub certificate_id: i64,
    pub starts_on: Date,
    pub expires_on: Date,
    /// The approved renewal that opened the period; `None` for the first.
    pub renewal_id: Option<i64>,
    /// The period's position in the certificate status list, unique across all
    /// certificates, so a period's status can be published without naming its holder.
    #[sea_orm(unique)]
    pub status_list_index: i64,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "certificate_id", to = "id")]
    pub certificate: HasOne<super::certificate::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
