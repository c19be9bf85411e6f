//! Certificates: awarded automatically once six sets are achieved, and renewed at the end
//! of every period.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether a certificate currently holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Valid until `expires_on`.
    Active,
    /// Not renewed in time.
    Expired,
    /// Withdrawn by staff (see `revoked_reason`).
    Revoked,
}

/// The certificate a candidacy earned.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// One certificate per candidacy.
    #[sea_orm(unique)]
    pub candidacy_id: i64,
    /// The holder's account.
    pub account_id: i64,
    /// The certificate number printed on it.
    #[sea_orm(unique)]
    pub number: String,
    /// The code anyone can use to verify the certificate publicly.
    #[sea_orm(unique)]
    pub verification_code: String,
    /// 1 for the programme's first certificate; the 1st and every 100th are milestones.
    #[sea_orm(unique)]
    pub sequence: i64,
    /// The name printed on it, as it stood on the day of issue.
    pub holder_name: String,
    pub issued_on: Date,
    /// The first day the current period no longer holds.
    pub expires_on: Date,
    pub status: CertificateStatus,
    pub expired_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<String>,
    /// The staff member who revoked it.
    pub revoked_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "candidacy_id", to = "id")]
    pub candidacy: HasOne<super::candidacy::Entity>,
    #[sea_orm(has_many)]
    pub renewals: HasMany<super::renewal::Entity>,
    #[sea_orm(has_many)]
    pub periods: HasMany<super::certificate_period::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
