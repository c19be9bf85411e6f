//! The candidate's record and the money: course-completion evidence, achieved sets,
//! certificates with their renewals and validity periods, every fee paid, CAR sharing with
//! its access log, and the business plans that revenue is measured against.

use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "course_completion",
    "achievement",
    "certificate",
    "renewal",
    "renewal_activity",
    "certificate_period",
    "payment",
    "car_share_grant",
    "car_share_grant_set",
    "car_access_log",
    "business_plan",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};
        TableSet {
            tables: vec![
                (
                    table("course_completion")
                        .col(reference("candidacy_id"))
                        .col(reference("course_id"))
                        .col(reference("set_id"))
                        .col(date("completed_on"))
                        .col(reference("document_id"))
                        .col(text("status"))
                        .col(text_null("decision_reason"))
                        .col(reference_null("decided_by"))
                        .col(instant_null("decided_at"))
                        .col(instant("submitted_at"))
                        .foreign_key(&mut fk(
                            "course_completion",
                            "candidacy_id",
                            "candidacy",
                            Restrict,
                        ))
                        .foreign_key(&mut fk(
                            "course_completion",
                            "course_id",
                            "course",
                            Restrict,
                        ))
                        .foreign_key(&mut fk(
                            "course_completion",
                            "set_id",
                            "competency_set",
                            Restrict,
                        ))
                        .foreign_key(&mut fk(
                            "course_completion",
                            "document_id",
                            "document",
                            Restrict,
                        ))
                        .foreign_key(&mut fk(
                            "course_completion",
                            "decided_by",
                            "account",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![
                        index("course_completion", &["candidacy_id"], false),
                        index("course_completion", &["status"], false),
                    ],
                ),
                (
                    table("achievement")
                        .col(reference("candidacy_id"))
                        .col(reference("set_id"))
                        .col(text("method"))
                        .col(reference_null("course_completion_id"))
                        .col(reference_null("review_round_id"))
                        .col(date("achieved_on"))
                        .col(reference_null("recorded_by"))
                        .col(instant("recorded_at"))
                        .foreign_key(&mut fk(
                            "achievement",
                            "candidacy_id",
                            "candidacy",
                            Restrict,
                        ))
                        .foreign_key(&mut fk("achievement", "set_id", "competency_set", Restrict))
                        .foreign_key(&mut fk(
                            "achievement",
                            "course_completion_id",
                            "course_completion",
                            Restrict,
                        ))
                        .foreign_key(&mut fk(
                            "achievement",
                            "review_round_id",
                            "review_round",
                            Restrict,
                        ))
                        .foreign_key(&mut fk("achievement", "recorded_by", "account", Restrict))
                        .to_owned(),
                    vec![
                        index("achievement", &["candidacy_id", "set_id"], true),
                        index("achievement", &["set_id", "achieved_on"], false),
                    ],
                ),
                (
                    table("certificate")
                        .col(reference("candidacy_id"))
                        .col(reference("account_id"))
                        .col(text("number"))
                        .col(text("verification_code"))
                        .col(big_integer("sequence"))
                        .col(text("holder_name"))
                        .col(date("issued_on"))
                        .col(date("expires_on"))
                        .col(text("status"))
                        .col(instant_null("expired_at"))
                        .col(instant_null("revoked_at"))
                        .col(text_null("revoked_reason"))
                        .col(reference_null("revoked_by"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk(
                            "certificate",
                            "candidacy_id",
                            "candidacy",
                            Restrict,
                        ))
                        .foreign_key(&mut fk("certificate", "account_id", "account", Restrict))
                        .foreign_key(&mut fk("certificate", "revoked_by", "account", Restrict))
                        .to_owned(),
                    vec![
                        index("certificate", &["candidacy_id"], true),
                        index("certificate", &["number"], true),
                        index("certificate", &["verification_code"], true),
                        index("certificate", &["sequence"], true),
                        index("certificate", &["status", "expires_on"], false),
                    ],
                ),
                (
                    table("renewal")
                        .col(reference("certificate_id"))
                        .col(text("status"))
                        .col(big_integer("fee_cents"))
                        .col(integer("contact_hours"))
                        .col(integer("technology_hours"))
                        .col(instant_null("submitted_at"))
                        .col(instant_null("decided_at"))
                        .col(reference_null("decided_by"))
                        .col(text_null("decision_reasons"))
                        .col(date_null("new_expires_on"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk(
                            "renewal",
                            "certificate_id",
                            "certificate",
                            Restrict,
                        ))
                        .foreign_key(&mut fk("renewal", "decided_by", "account", Restrict))
                        .to_owned(),
                    vec![
                        index("renewal", &["certificate_id"], false),
                        index("renewal", &["status"], false),
                    ],
                ),
                (
                    table("renewal_activity")
                        .col(reference("renewal_id"))
                        .col(text("title"))
                        .col(text_null("provider_name"))
                        .col(date("completed_on"))
                        .col(integer("contact_hours"))
                        .col(integer("technology_hours"))
                        .col(reference_null("document_id"))
                        .col(integer("position"))
                        .foreign_key(&mut fk(
                            "renewal_activity",
                            "renewal_id",
                            "renewal",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "renewal_activity",
                            "document_id",
                            "document",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index("renewal_activity", &["renewal_id"], false)],
                ),
                (
                    table("certificate_period")
                        .col(reference("certificate_id"))
                        .col(date("starts_on"))
                        .col(date("expires_on"))
                        .col(reference_null("renewal_id"))
                        .col(big_integer("status_list_index"))
                        .col(instant("created_at"))
                        .foreign_key(&mut fk(
                            "certificate_period",
                            "certificate_id",
                            "certificate",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "certificate_period",
                            "renewal_id",
                            "renewal",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![
                        index("certificate_period", &["status_list_index"], true),
                        index("certificate_period", &["certificate_id"], false),
                    ],
                ),
                (
                    table("payment")
                        .col(text("kind"))
                        .col(big_integer("amount_cents"))
                        .col(text("method"))
                        .col(text_null("reference"))
                        .col(date("paid_on"))
                        .col(reference("recorded_by"))
                        .col(reference_null("application_id"))
                        .col(reference_null("course_submission_id"))
                        .col(reference_null("renewal_id"))
                        .col(instant("created_at"))
                        .foreign_key(&mut fk("payment", "recorded_by", "account", Restrict))
                        .foreign_key(&mut fk(
                            "payment",
                            "application_id",
                            "application",
                            Restrict,
                        ))
                        .foreign_key(&mut fk(
                            "payment",
                            "course_submission_id",
                            "course_submission",
                            Restrict,
                        ))
                        .foreign_key(&mut fk("payment", "renewal_id", "renewal", Restrict))
                        .to_owned(),
                    vec![
                        index("payment", &["kind", "paid_on"], false),
                        index("payment", &["application_id"], false),
                        index("payment", &["course_submission_id"], false),
                        index("payment", &["renewal_id"], false),
                    ],
                ),
                (
                    table("car_share_grant")
                        .col(reference("candidacy_id"))
                        .col(text("grantee_name"))
                        .col(text("grantee_email"))
                        .col(text("token_hash"))
                        .col(instant_null("expires_at"))
                        .col(instant_null("revoked_at"))
                        .col(reference("created_by"))
                        .col(instant("created_at"))
                        .foreign_key(&mut fk(
                            "car_share_grant",
                            "candidacy_id",
                            "candidacy",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "car_share_grant",
                            "created_by",
                            "account",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![
                        index("car_share_grant", &["token_hash"], true),
                        index("car_share_grant", &["candidacy_id"], false),
                    ],
                ),
                (
                    table("car_share_grant_set")
                        .col(reference("grant_id"))
                        .col(reference("set_id"))
                        .foreign_key(&mut fk(
                            "car_share_grant_set",
                            "grant_id",
                            "car_share_grant",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "car_share_grant_set",
                            "set_id",
                            "competency_set",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index("car_share_grant_set", &["grant_id", "set_id"], true)],
                ),
                (
                    table("car_access_log")
                        .col(reference("grant_id"))
                        .col(instant("viewed_at"))
                        .col(text_null("ip"))
                        .col(text_null("user_agent"))
                        .foreign_key(&mut fk(
                            "car_access_log",
                            "grant_id",
                            "car_share_grant",
                            Cascade,
                        ))
                        .to_owned(),
                    vec![index("car_access_log", &["grant_id", "viewed_at"], false)],
                ),
                (
                    table("business_plan")
                        .col(text("name"))
                        .col(json_binary("inputs"))
                        .col(reference_null("created_by"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk("business_plan", "created_by", "account", Restrict))
                        .to_owned(),
                    vec![index("business_plan", &["name"], true)],
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
