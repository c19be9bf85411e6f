//! The competency sets of the catalogue: the units a candidate achieves, by course or by
//! portfolio, on the way to certification. Seeded by m0002 and never edited.

use sea_orm::entity::prelude::*;

/// One of the ten competency sets. `required` decides how it counts towards certification
/// (all required sets plus three electives); `position` is the order the programme lists
/// them in, required first.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "competency_set")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// A stable identifier for code and fixtures (e.g. `FOUNDATIONS`), so nothing depends
    /// on ids or on the wording of names.
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub required: bool,
    /// The set's introductory paragraph, as the programme document writes it.
    pub description: String,
    /// Which revision of the programme text the set comes from, as the document writes it
    /// (e.g. `revised July 21, 2008`).
    pub revision_note: String,
    pub position: i32,
    #[sea_orm(has_many)]
    pub competencies: HasMany<super::competency::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
