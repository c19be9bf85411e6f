//! Achieved competency sets. Once recorded, an achievement is final; three required and
//! three elective achievements make a certificate.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How a set was achieved.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AchievementMethod {
    /// By a verified completion of an approved course (`course_completion_id`).
    Course,
    /// By a portfolio round found met (`review_round_id`).
    Portfolio,
}

/// One set achieved by one candidacy; at most one per set.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "achievement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "candidacy_set")]
    pub candidacy_id: i64,
    #[sea_orm(unique_key = "candidacy_set")]
    pub set_id: i64,
    pub method: AchievementMethod,
    /// The verified completion, when achieved by course.
    pub course_completion_id: Option<i64>,
    /// The round found met, when achieved by portfolio.
    pub review_round_id: Option<i64>,
    pub achieved_on: Date,
    /// The staff member who recorded it; `None` when the system recorded it.
    pub recorded_by: Option<i64>,
    pub recorded_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "candidacy_id", to = "id")]
    pub candidacy: HasOne<super::candidacy::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
