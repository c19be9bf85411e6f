//! The GraphQL schema: one query and one mutation object per area, merged.

pub mod accounts;
pub mod catalogue;
pub mod connection;
pub mod loaders;
pub mod notifications;

use async_graphql::{Context, EmptySubscription, MergedObject, Schema};
use domain::Actor;

/// Every query, by area.
#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountQuery,
    catalogue::CatalogueQuery,
    notifications::NotificationQuery,
);

/// Every mutation, by area.
#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountMutation,
    notifications::NotificationMutation,
);

/// The schema type served at `/graphql`.
pub type ApiSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits that keep one request from costing the server too much.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
}

/// Builds the schema. `services` is the domain context every resolver reaches through
/// [`services`].
pub fn build(services: domain::Context, limits: Limits) -> ApiSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(services)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(16)
        .extension(crate::guard::ErrorCodes);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The SDL as checked in at `api/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}

/// The domain context.
pub fn services<'a>(ctx: &Context<'a>) -> &'a domain::Context {
    ctx.data_unchecked::<domain::Context>()
}

/// Who is asking.
pub fn actor<'a>(ctx: &Context<'a>) -> &'a Actor {
    ctx.data_opt::<Actor>().unwrap_or(&Actor::Anonymous)
}
