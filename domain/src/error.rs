//! The domain's errors. Each variant but `Internal` carries a message safe to show a client;
//! the GraphQL edge maps them once, in `api::error`.

use sea_orm::DbErr;
use serde::Serialize;

/// An expected business failure: what was refused, on which input field, and why, in
/// words the person at the keyboard can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// A stable SCREAMING_SNAKE code a client can branch on, e.g. `PASSWORD_TOO_SHORT`.
    pub code: &'static str,
    /// The input field at fault (GraphQL argument path, camelCase), if any.
    pub field: Option<String>,
    pub message: String,
}

impl Violation {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
        }
    }

    pub fn on(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// Why a service refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("sign in to do this")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request broke one or more of the programme's rules; nothing was changed.
    #[error("{}", .0.first().map(|v| v.message.as_str()).unwrap_or("invalid input"))]
    Invalid(Vec<Violation>),
    #[error("too many attempts; wait and try again later")]
    RateLimited,
    /// The server is at its bound for costly work (password hashing); nothing was done,
    /// and the same request may well succeed a moment later.
    #[error("busy; try again in a moment")]
    Busy,
    /// Anything the client cannot act on: details go to the log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl DomainError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn invalid(violation: Violation) -> Self {
        Self::Invalid(vec![violation])
    }

    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }

    /// A broken invariant that should not happen; logged, never shown.
    pub fn bug(message: impl Into<String>) -> Self {
        Self::Internal(message.into().into())
    }
}

/// The statement broke a unique index: another request wrote the same row first.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        Self::internal(err)
    }
}

impl From<crate::security::PasswordWorkError> for DomainError {
    fn from(err: crate::security::PasswordWorkError) -> Self {
        match err {
            crate::security::PasswordWorkError::Busy => Self::Busy,
            crate::security::PasswordWorkError::Failed(e) => Self::internal(e),
        }
    }
}

impl From<Violation> for DomainError {
    fn from(v: Violation) -> Self {
        Self::Invalid(vec![v])
    }
}

/// Short for a service's result.
pub type DomainResult<T> = Result<T, DomainError>;
