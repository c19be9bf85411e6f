//! The one place domain errors become GraphQL errors.
//!
//! Expected business failures (a rule refused the input) go into a payload's `userErrors`;
//! everything else is a top-level error with `extensions.code`. Internal details are logged
//! under a reference the client can quote, and never sent.

use async_graphql::{ErrorExtensions, SimpleObject};
use domain::{DomainError, DomainResult, Violation};

/// A business rule refused part of the input. Nothing was changed.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// The input field at fault, as a dotted path of argument names (e.g.
    /// `workHistory.2.hours`), or null when the whole request is at fault.
    pub field: Option<String>,
    /// What went wrong and how to put it right, for the person at the keyboard.
    pub message: String,
    /// A stable code for the client to branch on, e.g. `PASSWORD_TOO_SHORT`.
    pub code: String,
}

impl From<Violation> for UserError {
    fn from(v: Violation) -> Self {
        Self {
            field: v.field,
            message: v.message,
            code: v.code.to_owned(),
        }
    }
}

fn coded(code: &'static str, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// A short reference for an internal error, logged beside it, that a person can quote.
fn incident_reference() -> String {
    domain::security::readable_code(8)
}

/// Maps a domain error to a top-level GraphQL error.
pub fn to_gql(err: DomainError) -> async_graphql::Error {
    match err {
        DomainError::Unauthenticated => coded("UNAUTHENTICATED", "Sign in to do this."),
        DomainError::Forbidden(message) => coded("FORBIDDEN", message),
        DomainError::NotFound(what) => coded(
            "NOT_FOUND",
            format!("There is no such {what}, or you may not see it."),
        ),
        DomainError::Invalid(violations) => {
            let message = violations
                .iter()
                .map(|v| v.message.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            async_graphql::Error::new(message).extend_with(|_, e| {
                e.set("code", "BAD_USER_INPUT");
                e.set(
                    "violations",
                    async_graphql::Value::List(
                        violations
                            .iter()
                            .map(|v| {
                                let mut m = async_graphql::indexmap::IndexMap::new();
                                m.insert(
                                    async_graphql::Name::new("code"),
                                    async_graphql::Value::from(v.code),
                                );
                                m.insert(
                                    async_graphql::Name::new("field"),
                                    v.field
                                        .clone()
                                        .map(async_graphql::Value::from)
                                        .unwrap_or(async_graphql::Value::Null),
                                );
                                async_graphql::Value::Object(m)
                            })
                            .collect(),
                    ),
                );
            })
        }
        DomainError::RateLimited => coded(
            "RATE_LIMITED",
            "Too many attempts. Wait an hour and try again, or reset your password.",
        ),
        DomainError::Busy => coded(
            "BUSY",
            "The server is busy checking other passwords. Nothing was changed; try again in a moment.",
        ),
        DomainError::Internal(source) => internal(&*source),
    }
}

/// Logs an internal error and returns what the client may see of it.
pub fn internal(source: &dyn std::fmt::Debug) -> async_graphql::Error {
    let reference = incident_reference();
    tracing::error!(%reference, error = ?source, "internal error");
    coded(
        "INTERNAL",
        format!("Something went wrong on our side. It has been logged as {reference}."),
    )
}

/// Converts a service's result for a resolver, mapping errors once.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for DomainResult<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_gql)
    }
}

/// Splits a service's result for a mutation payload: a rule's refusal becomes
/// `userErrors`; anything else is a top-level error.
pub fn payload<T>(result: DomainResult<T>) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        // The payload is priced at this many errors (see `graphql::cost`); a form with more
        // problems than that learns the rest once these are fixed.
        Err(DomainError::Invalid(violations)) => Ok((
            None,
            violations
                .into_iter()
                .take(crate::graphql::cost::USER_ERRORS)
                .map(UserError::from)
                .collect(),
        )),
        Err(other) => Err(to_gql(other)),
    }
}

/// Parses a GraphQL `ID` argument as a row id.
pub fn parse_id(id: &async_graphql::ID, what: &'static str) -> async_graphql::Result<i64> {
    id.parse::<i64>().map_err(|_| {
        coded(
            "BAD_USER_INPUT",
            format!("“{}” is not a valid {what} id.", id.as_str()),
        )
    })
}
