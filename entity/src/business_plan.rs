//! Business plans: named sets of financial-projection inputs that revenue reports compare
//! against.

use sea_orm::entity::prelude::*;

/// One plan's inputs (candidates per year, fees, costs, ...); the projection is computed
/// from them, never stored.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "business_plan")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// The projection's inputs, e.g. the 2009 plan: 300 candidates at $350, 20 courses at
    /// $100, and its costs.
    #[sea_orm(column_type = "JsonBinary")]
    pub inputs: Json,
    /// The staff member who created it.
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
