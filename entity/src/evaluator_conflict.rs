//! Conflicts of interest an evaluator declares, beyond the employer and institution the
//! assignment already compares.

use sea_orm::entity::prelude::*;

/// One declared conflict: with a given candidacy, or with everyone from an institution.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluator_conflict")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub evaluator_id: i64,
    /// The candidacy the evaluator must not assess.
    pub candidacy_id: Option<i64>,
    /// An institution whose candidates the evaluator must not assess.
    pub institution: Option<String>,
    /// `institution` normalised, compared with the candidate's employer and institution.
    pub institution_key: Option<String>,
    /// The evaluator's explanation.
    pub note: Option<String>,
    pub declared_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "evaluator_id", to = "id")]
    pub evaluator: HasOne<super::evaluator::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
