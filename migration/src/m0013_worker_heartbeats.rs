//! One row per running worker process, whose counter it raises every few seconds. The
//! other workers watch the counters: a claim held by a worker whose counter has stood
//! still for longer than the staleness is released at once, where it used to wait for the
//! whole claim lease.

use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["worker_heartbeat"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableSet {
            tables: vec![(
                table("worker_heartbeat")
                    .col(text("name"))
                    .col(big_integer("beats"))
                    .col(instant("started_at"))
                    .col(instant("beat_at"))
                    .to_owned(),
                vec![index("worker_heartbeat", &["name"], true)],
            )],
        }
        .up(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableSet::down(TABLES, manager).await
    }
}
