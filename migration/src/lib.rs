//! Schema migrations for SQLite and PostgreSQL, and the competency-catalogue seed.
//!
//! Migrations name tables and columns with strings and never import `entity`: a migration
//! is a fixed historical fact, while entities follow the latest schema.

pub use sea_orm_migration::prelude::*;

pub mod catalogue;
mod m0001_accounts_and_infrastructure;
mod m0002_catalogue;
mod m0003_candidates;
mod m0004_providers_and_courses;
mod m0005_portfolio_review;
mod m0006_records_and_money;
mod m0007_batch_idempotency;
mod m0008_outbox_pushed_at;
mod m0009_notification_claims_in_place;
mod m0010_session_change_notifications;
mod m0011_provider_invitations;
mod m0012_unknown_login_failures;
mod m0013_worker_heartbeats;
mod schema_helpers;

/// Runs the migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_accounts_and_infrastructure::Migration),
            Box::new(m0002_catalogue::Migration),
            Box::new(m0003_candidates::Migration),
            Box::new(m0004_providers_and_courses::Migration),
            Box::new(m0005_portfolio_review::Migration),
            Box::new(m0006_records_and_money::Migration),
            Box::new(m0007_batch_idempotency::Migration),
            Box::new(m0008_outbox_pushed_at::Migration),
            Box::new(m0009_notification_claims_in_place::Migration),
            Box::new(m0010_session_change_notifications::Migration),
            Box::new(m0011_provider_invitations::Migration),
            Box::new(m0012_unknown_login_failures::Migration),
            Box::new(m0013_worker_heartbeats::Migration),
        ]
    }
}
