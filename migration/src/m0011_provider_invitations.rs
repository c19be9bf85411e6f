//! Invitations to act for a provider. A manager names an email address; the person behind
//! it accepts with the single-use token the invitation email carries. Only the token's
//! SHA-256 is stored, so a copy of the database cannot be used to join a provider.

use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["provider_invitation"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        TableSet {
            tables: vec![(
                table("provider_invitation")
                    .col(reference("provider_id"))
                    .col(text("email"))
                    .col(text("token_hash"))
                    .col(reference_null("invited_by"))
                    .col(instant("created_at"))
                    .col(instant("expires_at"))
                    .col(instant_null("accepted_at"))
                    .col(reference_null("accepted_by"))
                    .col(instant_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "provider_invitation",
                        "provider_id",
                        "provider",
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "provider_invitation",
                        "invited_by",
                        "account",
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "provider_invitation",
                        "accepted_by",
                        "account",
                        SetNull,
                    ))
                    .to_owned(),
                vec![
                    index("provider_invitation", &["token_hash"], true),
                    index("provider_invitation", &["provider_id"], false),
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
