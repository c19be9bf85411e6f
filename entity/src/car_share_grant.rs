//! Shares of a Candidate Achievement Record: the candidate lets a named person or
//! organisation read it, until the grant expires or is revoked.

use sea_orm::entity::prelude::*;

/// One grant of read-only access to a candidate's CAR, behind a secret link.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "car_share_grant")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub candidacy_id: i64,
    /// The person or organisation the CAR is shared with (an employer, a graduate school).
    pub grantee_name: String,
    pub grantee_email: String,
    /// SHA-256 hex of the link's token; the token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// `None` for a grant that lasts until revoked.
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The account that created the grant (the candidate).
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "candidacy_id", to = "id")]
    pub candidacy: HasOne<super::candidacy::Entity>,
    #[sea_orm(has_many)]
    pub sets: HasMany<super::car_share_grant_set::Entity>,
    #[sea_orm(has_many)]
    pub access_log: HasMany<super::car_access_log::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
