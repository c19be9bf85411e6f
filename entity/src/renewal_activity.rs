//! The continuing-education activities a renewal claims.

use sea_orm::entity::prelude::*;

/// One activity: what, from whom, when, and its contact hours.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renewal_activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub renewal_id: i64,
    pub title: String,
    pub provider_name: Option<String>,
    pub completed_on: Date,
    pub contact_hours: i32,
    /// The part of `contact_hours` spent on technology.
    pub technology_hours: i32,
    /// Evidence of the activity, if uploaded.
    pub document_id: Option<i64>,
    /// Display order within the renewal.
    pub position: i32,
    #[sea_orm(belongs_to, from = "renewal_id", to = "id")]
    pub renewal: HasOne<super::renewal::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
