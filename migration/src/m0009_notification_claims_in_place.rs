//! A claimed email keeps its `pending` status, and PostgreSQL updates its row in place.
//!
//! Every email's row used to be written four times on its way out (fan-out, push stamp,
//! claim, sent), each time as a new row version entered in all six of its indexes, because
//! the push stamp changed the indexed `pushed_at` and the claim the indexed `status`. That
//! was most of PostgreSQL's work in a bulk notice. Now only `sent` (or `failed`)
//! changes the status; a claim is `claimed_by`/`claimed_at`, and `pushed_at` loses its
//! index. With no indexed column changed and room left on the page (fill factor 50),
//! PostgreSQL writes the stamp and the claim as heap-only (HOT) updates and touches no
//! index.
//!
//! Rows a worker holds while this runs are `sending`; they become `pending` with their
//! claim kept, which is how a held row looks from now on.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_notification_pushed_at")
                    .table("notification")
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE notification SET status = 'pending' WHERE status = 'sending'",
        )
        .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Applies to pages written from now on; existing full pages fill as before.
            db.execute_unprepared("ALTER TABLE notification SET (fillfactor = 50)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE notification RESET (fillfactor)")
                .await?;
        }
        db.execute_unprepared(
            "UPDATE notification SET status = 'sending' \
             WHERE status = 'pending' AND claimed_at IS NOT NULL",
        )
        .await?;
        manager
            .create_index(index("notification", &["pushed_at"], false))
            .await
    }
}
