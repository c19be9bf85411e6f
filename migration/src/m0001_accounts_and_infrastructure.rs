//! Accounts, roles, sessions and tokens; the audit log; documents; and the outbox tables
//! that carry every email and background task.

use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "account",
    "account_role",
    "session",
    "account_token",
    "login_failure",
    "audit_log",
    "document",
    "bulk_notice_batch",
    "notification",
    "background_task",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        TableSet {
            tables: vec![
                (
                    table("account")
                        .col(text("email"))
                        .col(text("password_hash"))
                        .col(text("display_name"))
                        .col(instant_null("email_verified_at"))
                        .col(instant("password_changed_at"))
                        .col(instant_null("disabled_at"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .to_owned(),
                    vec![index("account", &["email"], true)],
                ),
                (
                    table("account_role")
                        .col(reference("account_id"))
                        .col(text("role"))
                        .col(reference_null("granted_by"))
                        .col(instant("granted_at"))
                        .foreign_key(&mut fk("account_role", "account_id", "account", Cascade))
                        .foreign_key(&mut fk("account_role", "granted_by", "account", SetNull))
                        .to_owned(),
                    vec![index("account_role", &["account_id", "role"], true)],
                ),
                (
                    table("session")
                        .col(reference("account_id"))
                        .col(text("token_hash"))
                        .col(instant("created_at"))
                        .col(instant("expires_at"))
                        .col(instant_null("revoked_at"))
                        .col(instant_null("last_seen_at"))
                        .foreign_key(&mut fk("session", "account_id", "account", Cascade))
                        .to_owned(),
                    vec![
                        index("session", &["token_hash"], true),
                        index("session", &["account_id"], false),
                    ],
                ),
                (
                    table("account_token")
                        .col(reference("account_id"))
                        .col(text("purpose"))
                        .col(text("token_hash"))
                        .col(instant("created_at"))
                        .col(instant("expires_at"))
                        .col(instant_null("used_at"))
                        .foreign_key(&mut fk("account_token", "account_id", "account", Cascade))
                        .to_owned(),
                    vec![
                        index("account_token", &["token_hash"], true),
                        index("account_token", &["account_id", "purpose"], false),
                    ],
                ),
                (
                    table("login_failure")
                        .col(reference("account_id"))
                        .col(instant("at"))
                        .foreign_key(&mut fk("login_failure", "account_id", "account", Cascade))
                        .to_owned(),
                    vec![index("login_failure", &["account_id", "at"], false)],
                ),
                (
                    table("audit_log")
                        .col(reference_null("actor_account_id"))
                        .col(text("action"))
                        .col(text("entity_type"))
                        .col(big_integer_null("entity_id"))
                        .col(json_binary_null("before"))
                        .col(json_binary_null("after"))
                        .col(instant("at"))
                        .foreign_key(&mut fk("audit_log", "actor_account_id", "account", SetNull))
                        .to_owned(),
                    vec![
                        index("audit_log", &["entity_type", "entity_id"], false),
                        index("audit_log", &["actor_account_id"], false),
                        index("audit_log", &["at"], false),
                    ],
                ),
                (
                    table("document")
                        .col(reference_null("owner_account_id"))
                        .col(text("purpose"))
                        .col(text("filename"))
                        .col(text("content_type"))
                        .col(big_integer("size_bytes"))
                        .col(text("sha256"))
                        .col(text("storage_key"))
                        .col(instant("created_at"))
                        .foreign_key(&mut fk("document", "owner_account_id", "account", SetNull))
                        .to_owned(),
                    vec![
                        index("document", &["storage_key"], true),
                        index("document", &["owner_account_id"], false),
                    ],
                ),
                (
                    table("bulk_notice_batch")
                        .col(reference("created_by"))
                        .col(text("kind"))
                        .col(json_binary("criteria"))
                        .col(text("status"))
                        .col(big_integer("total"))
                        .col(instant("created_at"))
                        .col(instant_null("prepared_at"))
                        .col(instant_null("cancelled_at"))
                        .col(instant_null("completed_at"))
                        .foreign_key(&mut fk(
                            "bulk_notice_batch",
                            "created_by",
                            "account",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index("bulk_notice_batch", &["status"], false)],
                ),
                (
                    table("notification")
                        .col(text("idempotency_key"))
                        .col(reference_null("account_id"))
                        .col(text("to_email"))
                        .col(text_null("to_name"))
                        .col(text("template"))
                        .col(json_binary("params"))
                        .col(text_null("secret"))
                        .col(text("status"))
                        .col(integer("attempts"))
                        .col(instant("next_attempt_at"))
                        .col(instant_null("pushed_at"))
                        .col(text_null("claimed_by"))
                        .col(instant_null("claimed_at"))
                        .col(instant_null("sent_at"))
                        .col(text_null("last_error"))
                        .col(reference_null("batch_id"))
                        .col(instant("created_at"))
                        .foreign_key(&mut fk("notification", "account_id", "account", SetNull))
                        .foreign_key(&mut fk(
                            "notification",
                            "batch_id",
                            "bulk_notice_batch",
                            Cascade,
                        ))
                        .to_owned(),
                    vec![
                        index("notification", &["idempotency_key"], true),
                        index("notification", &["status", "next_attempt_at"], false),
                        index("notification", &["batch_id", "status"], false),
                        index("notification", &["account_id"], false),
                    ],
                ),
                (
                    table("background_task")
                        .col(text("kind"))
                        .col(text("idempotency_key"))
                        .col(big_integer_null("subject_id"))
                        .col(json_binary("payload"))
                        .col(text("status"))
                        .col(integer("attempts"))
                        .col(instant("next_attempt_at"))
                        .col(instant_null("pushed_at"))
                        .col(text_null("claimed_by"))
                        .col(instant_null("claimed_at"))
                        .col(instant_null("done_at"))
                        .col(text_null("last_error"))
                        .col(instant("created_at"))
                        .to_owned(),
                    vec![
                        index("background_task", &["idempotency_key"], true),
                        index("background_task", &["status", "next_attempt_at"], false),
                    ],
                ),
            ],
        }
        .up(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableSet::down(TABLES, manager).await
    }
}
