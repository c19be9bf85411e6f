//! The GraphQL schema: one query and one mutation object per area, merged.

pub mod accounts;
pub mod applications;
pub mod candidates;
pub mod car;
pub mod catalogue;
pub mod connection;
pub mod cost;
pub mod courses;
pub mod documents;
pub mod evaluators;
pub mod flat;
pub mod loaders;
pub mod notifications;
pub mod payments;
pub mod portfolios;
pub mod providers;
pub mod records;
pub mod renewals;
pub mod reports;

use async_graphql::{Context, MergedObject, Schema};
use domain::Actor;

/// Every query, by area.
#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountQuery,
    catalogue::CatalogueQuery,
    notifications::NotificationQuery,
    providers::ProviderQuery,
    courses::CourseQuery,
    applications::ApplicationQuery,
    candidates::CandidateQuery,
    records::RecordQuery,
    car::CarQuery,
    evaluators::EvaluatorQuery,
    portfolios::PortfolioQuery,
    renewals::RenewalQuery,
    reports::ReportQuery,
);

/// Every mutation, by area.
#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountMutation,
    notifications::NotificationMutation,
    providers::ProviderMutation,
    courses::CourseMutation,
    documents::DocumentMutation,
    payments::PaymentMutation,
    applications::ApplicationMutation,
    candidates::CandidateMutation,
    records::RecordMutation,
    car::CarMutation,
    evaluators::EvaluatorMutation,
    portfolios::PortfolioMutation,
    renewals::RenewalMutation,
    reports::ReportMutation,
);

/// The schema type served at `/graphql`.
pub type ApiSchema = Schema<Query, Mutation, renewals::Subscription>;

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
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        renewals::Subscription,
    )
    .data(services)
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(64)
    .limit_directives(16);
    if !limits.introspection {
        // "Did you mean …" would name the fields that introspection hides.
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL as checked in at `api/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        renewals::Subscription,
    )
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

#[cfg(test)]
mod tests {
    /// The checked-in SDL is what clients and reviewers read; it must match the code.
    /// Regenerate with `UPDATE_SCHEMA=1 cargo test -p api schema_file`.
    #[test]
    fn schema_file_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
        let current = super::sdl();
        if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
            std::fs::write(path, &current).unwrap();
        }
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == current,
            "api/schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test -p api schema_file` and commit it"
        );
    }
}
