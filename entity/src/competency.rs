//! The numbered competencies of each set: what evaluators assess a portfolio against and
//! what an approved course must show it teaches.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether a competency is knowledge or a skill. The programme lists the two apart in
/// every set, and portfolios and course submissions present them the same way.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CompetencyKind {
    /// Listed under "Library Support Staff will know:".
    WillKnow,
    /// Listed under "Library Support Staff will be able to:".
    WillBeAbleTo,
}

/// One competency of one set. People cite it by its set and `number`, which is why that
/// pair is unique and never reused.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "competency")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub set_id: i64,
    /// 1-based within the set, as the programme numbers it.
    pub number: i32,
    pub kind: CompetencyKind,
    /// The named part of the set, for the two sets the programme divides into parts
    /// (Communication / Team Work and Decision-Making; Supervision / Management).
    pub part: Option<String>,
    /// The competency's full text, as the programme document writes it.
    pub text: String,
    /// Display order within the set; equal to `number` for the seeded catalogue.
    pub position: i32,
    #[sea_orm(belongs_to, from = "set_id", to = "id")]
    pub set: HasOne<super::competency_set::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
