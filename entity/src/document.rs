//! Uploaded files: their metadata here, their bytes in the configured object store.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Why a document was uploaded; decides who may read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
pub enum DocumentPurpose {
    PortfolioEvidence,
    CourseCompletion,
    CourseCurriculum,
    RenewalEvidence,
    Other,
}

/// An uploaded file's metadata and checksum.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_account_id: Option<i64>,
    pub purpose: DocumentPurpose,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes, checked when they are read back.
    pub sha256: String,
    #[sea_orm(unique)]
    pub storage_key: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
