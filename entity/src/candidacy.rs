//! Candidacies: the four years an accepted applicant has to achieve six competency sets.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a candidacy stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CandidacyStatus {
    /// Working towards six sets before `deadline_on`.
    Active,
    /// Three required and three elective sets achieved: a certificate was issued.
    Certified,
    /// The deadline passed before certification.
    Lapsed,
    /// Given up by the candidate.
    Withdrawn,
}

/// A candidate's run through the programme, started by an accepted application.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "candidacy")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The accepted application that started it; one candidacy per application.
    #[sea_orm(unique)]
    pub application_id: i64,
    /// The candidate's account.
    pub account_id: i64,
    /// The public candidate number, e.g. `LSS-000123`.
    #[sea_orm(unique)]
    pub number: String,
    /// The name evaluators see instead of the candidate's, for double-blind review.
    #[sea_orm(unique)]
    pub pseudonym: String,
    pub status: CandidacyStatus,
    pub started_on: Date,
    /// Four years after `started_on`, later if staff granted an extension.
    pub deadline_on: Date,
    /// End of the five-year CAR subscription the application fee includes.
    pub car_expires_on: Date,
    pub lapsed_at: Option<DateTimeUtc>,
    pub certified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "application_id", to = "id")]
    pub application: HasOne<super::application::Entity>,
    #[sea_orm(has_many)]
    pub deadline_extensions: HasMany<super::deadline_extension::Entity>,
    #[sea_orm(has_many)]
    pub portfolios: HasMany<super::portfolio::Entity>,
    #[sea_orm(has_many)]
    pub course_completions: HasMany<super::course_completion::Entity>,
    #[sea_orm(has_many)]
    pub achievements: HasMany<super::achievement::Entity>,
    #[sea_orm(has_one)]
    pub certificate: HasOne<super::certificate::Entity>,
    #[sea_orm(has_many)]
    pub share_grants: HasMany<super::car_share_grant::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
