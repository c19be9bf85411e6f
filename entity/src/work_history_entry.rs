//! The library work an applicant declares: the basis of the 1,820-hours-in-five-years
//! eligibility rule.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The kind of library worked in. Any type counts towards eligibility; it is recorded for
/// reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LibraryType {
    /// A public library.
    Public,
    /// A college or university library.
    Academic,
    /// A school library.
    School,
    /// A special library (corporate, medical, law, ...).
    Special,
    /// A government library.
    Government,
    /// Anything else.
    Other,
}

/// One period of library work, paid or unpaid. An entry that straddles the five-year
/// window counts pro rata to the days inside it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_history_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub application_id: i64,
    pub library_name: String,
    pub library_type: LibraryType,
    pub position_title: Option<String>,
    /// Unpaid (volunteer) work counts as well; recorded for reports.
    pub paid: bool,
    pub started_on: Date,
    /// `None` while the work is ongoing.
    pub ended_on: Option<Date>,
    /// Hours worked over the whole entry, not per week.
    pub hours: i32,
    /// Display order within the application.
    pub position: i32,
    #[sea_orm(belongs_to, from = "application_id", to = "id")]
    pub application: HasOne<super::application::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
