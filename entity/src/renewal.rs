//! Certificate renewals: an application with a fee and optional continuing-education
//! evidence, approved by staff.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a renewal stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RenewalStatus {
    /// Being prepared by the holder.
    Draft,
    /// Sent in; waiting for staff.
    Submitted,
    /// Sent back to the holder for more (see `decision_reasons`).
    Returned,
    /// Approved: the certificate runs until `new_expires_on`.
    Approved,
    /// Withdrawn by the holder.
    Withdrawn,
}

/// One renewal of one certificate.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renewal")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub certificate_id: i64,
    pub status: RenewalStatus,
    /// The renewal fee in cents, fixed when the renewal is created.
    pub fee_cents: i64,
    /// Continuing-education contact hours claimed, summed over the activities.
    pub contact_hours: i32,
    /// The part of `contact_hours` spent on technology.
    pub technology_hours: i32,
    pub submitted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    /// The staff member who approved or returned it.
    pub decided_by: Option<i64>,
    pub decision_reasons: Option<String>,
    /// The certificate's new expiry, set on approval.
    pub new_expires_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "certificate_id", to = "id")]
    pub certificate: HasOne<super::certificate::Entity>,
    #[sea_orm(has_many)]
    pub activities: HasMany<super::renewal_activity::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
