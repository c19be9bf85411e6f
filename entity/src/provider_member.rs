//! Which accounts act for which provider.

use sea_orm::entity::prelude::*;

/// One account allowed to submit and follow the provider's courses.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_member")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "provider_account")]
    pub provider_id: i64,
    #[sea_orm(unique_key = "provider_account")]
    pub account_id: i64,
    pub added_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "provider_id", to = "id")]
    pub provider: HasOne<super::provider::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
