//! What a review round's evaluators assess: a portfolio as it was when submitted, kept
//! in the round as JSON. Plain data, so that both the portfolios that write it and the
//! document-access policy that reads it can use it without depending on each other.

use crate::error::{DomainError, DomainResult};
use serde::{Deserialize, Serialize};

/// A narrative as frozen in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenNarrative {
    pub title: String,
    pub body: String,
    /// The numbers of the competencies it addresses.
    pub competencies: Vec<i32>,
}

/// A document as frozen in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenDocument {
    pub document_id: i64,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub caption: Option<String>,
}

/// What a round's evaluators assess: the portfolio as it was when submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundContent {
    pub narratives: Vec<FrozenNarrative>,
    pub documents: Vec<FrozenDocument>,
}

impl RoundContent {
    pub fn from_json(value: &serde_json::Value) -> DomainResult<Self> {
        serde_json::from_value(value.clone()).map_err(DomainError::internal)
    }
}
