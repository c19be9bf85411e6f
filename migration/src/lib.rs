//! Schema migrations for SQLite and PostgreSQL, and the competency-catalogue seed.
//!
//! Migrations name tables and columns with strings and never import `entity`: a migration
//! is a fixed historical fact, while entities follow the latest schema.

pub use sea_orm_migration::prelude::*;

mod m0001_accounts_and_infrastructure;
mod schema_helpers;

/// Runs the migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_accounts_and_infrastructure::Migration)]
    }
}
