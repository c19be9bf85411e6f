//! The competency sets a CAR share shows.

use sea_orm::entity::prelude::*;

/// One set whose achievement and evidence the grantee may see.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "car_share_grant_set")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "grant_set")]
    pub grant_id: i64,
    #[sea_orm(unique_key = "grant_set")]
    pub set_id: i64,
    #[sea_orm(belongs_to, from = "grant_id", to = "id")]
    pub grant: HasOne<super::car_share_grant::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
