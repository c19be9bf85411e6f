//! Per-request DataLoaders: every relation a list can fan out to is fetched in one query
//! per list, not one per row.

use crate::error::to_gql;
use async_graphql::dataloader::{DataLoader, Loader};
use domain::services::accounts;
use entity::account_role::Role;
use std::collections::HashMap;

/// An account's roles, by account id.
pub struct RolesLoader {
    services: domain::Context,
}

impl Loader<i64> for RolesLoader {
    type Value = Vec<Role>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        accounts::roles_for(&self.services.db, keys)
            .await
            .map_err(to_gql)
    }
}

/// The loaders of one request.
pub struct Loaders {
    pub roles: DataLoader<RolesLoader>,
}

impl Loaders {
    pub fn new(services: &domain::Context) -> Self {
        Self {
            roles: DataLoader::new(
                RolesLoader {
                    services: services.clone(),
                },
                tokio::spawn,
            ),
        }
    }
}
