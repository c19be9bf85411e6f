//! Who is calling: the bearer token, resolved to an [`Actor`].

use axum::http::HeaderMap;
use domain::services::accounts;
use domain::{Actor, DomainResult};

/// What the `Authorization` header says about the caller.
#[derive(Debug)]
pub enum Caller {
    /// A valid token, or no token at all.
    Known(Actor),
    /// A token that is unknown, expired or revoked: the client must sign in again rather
    /// than silently continue as anonymous.
    Rejected,
}

/// Longer than any token this server issues: refused before it is hashed or looked up.
const MAX_TOKEN_LEN: usize = 512;

/// The bearer token, if the header carries one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// Resolves the caller from the request headers.
pub async fn caller(services: &domain::Context, headers: &HeaderMap) -> DomainResult<Caller> {
    let Some(token) = bearer(headers).filter(|t| t.len() <= MAX_TOKEN_LEN) else {
        if headers.contains_key(axum::http::header::AUTHORIZATION) {
            return Ok(Caller::Rejected);
        }
        return Ok(Caller::Known(Actor::Anonymous));
    };
    Ok(match accounts::authenticate(services, token).await? {
        Some(viewer) => Caller::Known(Actor::Account(viewer)),
        None => Caller::Rejected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}
