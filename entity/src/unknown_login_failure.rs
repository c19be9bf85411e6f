//! Failed sign-ins for addresses with no account, counted like `login_failure` so that
//! unknown and known addresses are throttled alike.

use sea_orm::entity::prelude::*;

/// One failed sign-in for an address that has no account.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unknown_login_failure")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 (hex) of the address as normalised for sign-in.
    pub email_hash: String,
    pub at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
