//! A client-chosen idempotency key on bulk-notice batches, so that the same request made
//! twice (a double click, a client retry) creates one batch, not two.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("bulk_notice_batch")
                    .add_column(text_null("idempotency_key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_bulk_notice_batch_idempotency_key")
                    .table("bulk_notice_batch")
                    .col("idempotency_key")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_bulk_notice_batch_idempotency_key")
                    .table("bulk_notice_batch")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("bulk_notice_batch")
                    .drop_column("idempotency_key")
                    .to_owned(),
            )
            .await
    }
}
