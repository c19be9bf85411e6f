//! An index on the outboxes' `pushed_at`, so that the relay can count the rows it has
//! pushed recently (its backpressure: see `domain::services::relay`) by reading only those.

use sea_orm_migration::prelude::*;

use crate::schema_helpers::index;

const TABLES: [&str; 2] = ["notification", "background_task"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .create_index(index(table, &["pushed_at"], false))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_pushed_at"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
