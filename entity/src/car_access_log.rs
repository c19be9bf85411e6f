//! Every view of a shared CAR, which the candidate can review.

use sea_orm::entity::prelude::*;

/// One view through one grant.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "car_access_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub grant_id: i64,
    pub viewed_at: DateTimeUtc,
    /// The viewer's IP address, as the server saw it.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[sea_orm(belongs_to, from = "grant_id", to = "id")]
    pub grant: HasOne<super::car_share_grant::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
