//! Course providers and their members; courses, each submission of a course for (re)approval
//! with its instructors and competency coverage, the CRC's decisions, and the three-year
//! approvals that put a course on the public list.

use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "provider",
    "provider_member",
    "course",
    "course_submission",
    "course_instructor",
    "course_coverage",
    "course_decision",
    "course_approval",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        TableSet {
            tables: vec![
                (
                    table("provider")
                        .col(text("name"))
                        .col(text("kind"))
                        .col(text("address_line1"))
                        .col(text_null("address_line2"))
                        .col(text("city"))
                        .col(text("state"))
                        .col(text("postal_code"))
                        .col(text("country"))
                        .col(text("contact_name"))
                        .col(text("contact_email"))
                        .col(text_null("contact_phone"))
                        .col(text_null("website"))
                        .col(reference_null("created_by"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk("provider", "created_by", "account", SetNull))
                        .to_owned(),
                    vec![
                        index("provider", &["state"], false),
                        index("provider", &["name"], false),
                    ],
                ),
                (
                    table("provider_member")
                        .col(reference("provider_id"))
                        .col(reference("account_id"))
                        .col(instant("added_at"))
                        .foreign_key(&mut fk(
                            "provider_member",
                            "provider_id",
                            "provider",
                            Cascade,
                        ))
                        .foreign_key(&mut fk("provider_member", "account_id", "account", Cascade))
                        .to_owned(),
                    vec![
                        index("provider_member", &["provider_id", "account_id"], true),
                        index("provider_member", &["account_id"], false),
                    ],
                ),
                (
                    table("course")
                        .col(reference("provider_id"))
                        .col(reference("set_id"))
                        .col(text("title"))
                        .col(text("status"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk("course", "provider_id", "provider", Restrict))
                        .foreign_key(&mut fk("course", "set_id", "competency_set", Restrict))
                        .to_owned(),
                    vec![
                        index("course", &["provider_id"], false),
                        index("course", &["set_id", "status"], false),
                    ],
                ),
                (
                    table("course_submission")
                        .col(reference("course_id"))
                        .col(text("kind"))
                        .col(integer("revision"))
                        .col(text("status"))
                        .col(text("title"))
                        .col(text("description"))
                        .col(text("format"))
                        .col(text("delivery"))
                        .col(text("timing"))
                        .col(text("duration"))
                        .col(integer_null("duration_hours"))
                        .col(reference_null("curriculum_document_id"))
                        .col(text("assessment_method"))
                        .col(big_integer_null("fee_cents"))
                        .col(instant_null("submitted_at"))
                        .col(instant_null("decided_at"))
                        .col(reference_null("created_by"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk("course_submission", "course_id", "course", Cascade))
                        .foreign_key(&mut fk(
                            "course_submission",
                            "curriculum_document_id",
                            "document",
                            Restrict,
                        ))
                        .foreign_key(&mut fk(
                            "course_submission",
                            "created_by",
                            "account",
                            SetNull,
                        ))
                        .to_owned(),
                    vec![index("course_submission", &["course_id"], false)],
                ),
                (
                    table("course_instructor")
                        .col(reference("submission_id"))
                        .col(text("name"))
                        .col(text("qualifications"))
                        .col(integer("position"))
                        .foreign_key(&mut fk(
                            "course_instructor",
                            "submission_id",
                            "course_submission",
                            Cascade,
                        ))
                        .to_owned(),
                    vec![index("course_instructor", &["submission_id"], false)],
                ),
                (
                    table("course_coverage")
                        .col(reference("submission_id"))
                        .col(reference("competency_id"))
                        .col(text("content"))
                        .foreign_key(&mut fk(
                            "course_coverage",
                            "submission_id",
                            "course_submission",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "course_coverage",
                            "competency_id",
                            "competency",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index(
                        "course_coverage",
                        &["submission_id", "competency_id"],
                        true,
                    )],
                ),
                (
                    table("course_decision")
                        .col(reference("submission_id"))
                        .col(text("decision"))
                        .col(text("reasons"))
                        .col(reference("decided_by"))
                        .col(instant("decided_at"))
                        .foreign_key(&mut fk(
                            "course_decision",
                            "submission_id",
                            "course_submission",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "course_decision",
                            "decided_by",
                            "account",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index("course_decision", &["submission_id"], false)],
                ),
                (
                    table("course_approval")
                        .col(reference("course_id"))
                        .col(reference("submission_id"))
                        .col(date("starts_on"))
                        .col(date("expires_on"))
                        .col(instant_null("expired_at"))
                        .col(instant("created_at"))
                        .foreign_key(&mut fk("course_approval", "course_id", "course", Cascade))
                        .foreign_key(&mut fk(
                            "course_approval",
                            "submission_id",
                            "course_submission",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![
                        index("course_approval", &["course_id", "starts_on"], false),
                        index("course_approval", &["expires_on"], false),
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
