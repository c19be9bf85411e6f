//! The education an applicant declares: the diploma-or-GED eligibility rule.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The highest level an education entry attests. Any level from a high-school diploma or
/// GED up satisfies the rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EducationLevel {
    /// A high-school diploma.
    HighSchoolDiploma,
    /// A General Educational Development certificate, equivalent to the diploma.
    Ged,
    /// An associate degree.
    Associate,
    /// A bachelor's degree.
    Bachelor,
    /// A master's degree.
    Master,
    /// A doctorate.
    Doctorate,
    /// Anything else (a vocational certificate, a diploma of another school system, ...).
    Other,
}

/// One diploma or degree. Outside the US (`country` other than `US`) it goes to staff.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "education_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub application_id: i64,
    pub level: EducationLevel,
    pub institution: Option<String>,
    /// ISO 3166 alpha-2 code of the country that awarded it.
    pub country: String,
    pub completed_on: Option<Date>,
    /// Display order within the application.
    pub position: i32,
    #[sea_orm(belongs_to, from = "application_id", to = "id")]
    pub application: HasOne<super::application::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
