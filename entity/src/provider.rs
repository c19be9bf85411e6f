//! Course providers: the organisations that submit courses for approval.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What kind of organisation a provider is, as the programme lists them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// A graduate library school.
    LibrarySchool,
    /// A library technical assistant (LTA) programme, usually at a community college.
    LtaProgram,
    /// A state library.
    StateLibrary,
    /// A state library association.
    StateAssociation,
    /// A library consortium or regional library system.
    ConsortiumOrSystem,
    /// A division of the ALA.
    AlaDivision,
    /// A vendor.
    Vendor,
    /// An independent trainer or consultant.
    IndependentTrainer,
    /// Anything else.
    Other,
}

/// A course provider, listed publicly with its approved courses.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: ProviderKind,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    /// The public list of providers is searchable by state.
    pub state: String,
    pub postal_code: String,
    pub country: String,
    /// Whom the programme writes to about approvals and expiries.
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
    /// The account that registered the provider, if it still exists.
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(has_many)]
    pub members: HasMany<super::provider_member::Entity>,
    #[sea_orm(has_many)]
    pub courses: HasMany<super::course::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
