//! Failed sign-ins for addresses that have no account, so that they are throttled exactly
//! like addresses that have one and the two cannot be told apart. The address is kept
//! only as a SHA-256 of its normalised form: the table is a counter, not a list of who
//! tried what.

use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["unknown_login_failure"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableSet {
            tables: vec![(
                table("unknown_login_failure")
                    .col(text("email_hash"))
                    .col(instant("at"))
                    .to_owned(),
                vec![
                    index("unknown_login_failure", &["email_hash", "at"], false),
                    index("unknown_login_failure", &["at"], false),
                ],
            )],
        }
        .up(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableSet::down(TABLES, manager).await
    }
}
