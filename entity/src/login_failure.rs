//! Failed sign-ins, counted per account over a sliding hour to stop password guessing.

use sea_orm::entity::prelude::*;

/// One failed password check against an existing account.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_failure")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: HasOne<super::account::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
