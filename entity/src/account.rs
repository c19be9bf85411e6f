//! A person who signs in. One account may hold several roles.

use sea_orm::entity::prelude::*;

/// A sign-in identity: email, password hash and verification state.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stored lower-case so that look-ups are exact.
    #[sea_orm(unique)]
    pub email: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub display_name: String,
    pub email_verified_at: Option<DateTimeUtc>,
    pub password_changed_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(has_many)]
    pub roles: HasMany<super::account_role::Entity>,
    #[sea_orm(has_many)]
    pub sessions: HasMany<super::session::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
