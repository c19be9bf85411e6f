//! Applicants and candidates: the application with its work history and education, the
//! candidacy that an accepted application starts, and staff extensions of its deadline.
//!
//! `payment` is created in m0006, once every table it can pay for exists.

use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "application",
    "work_history_entry",
    "education_entry",
    "candidacy",
    "deadline_extension",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};
        TableSet {
            tables: vec![
                (
                    table("application")
                        .col(reference("account_id"))
                        .col(text("status"))
                        .col(text("given_name"))
                        .col(text("family_name"))
                        .col(text("email"))
                        .col(text_null("phone"))
                        .col(text("address_line1"))
                        .col(text_null("address_line2"))
                        .col(text("city"))
                        .col(text("state"))
                        .col(text("postal_code"))
                        .col(text("country"))
                        .col(text_null("employer_name"))
                        .col(text_null("employer_key"))
                        .col(text_null("employer_address"))
                        .col(text_null("state_library_name"))
                        .col(text_null("state_library_address"))
                        .col(boolean("ala_member"))
                        .col(text_null("ala_member_number"))
                        .col(text_null("marketing_source"))
                        .col(text_null("marketing_source_detail"))
                        .col(boolean("consent_publish_name"))
                        .col(boolean("consent_award_notice"))
                        .col(json_binary_null("eligibility"))
                        .col(instant_null("eligibility_decided_at"))
                        .col(text_null("education_decision"))
                        .col(text_null("education_decision_reason"))
                        .col(reference_null("education_decided_by"))
                        .col(instant_null("education_decided_at"))
                        .col(big_integer_null("fee_cents"))
                        .col(instant_null("submitted_at"))
                        .col(instant_null("withdrawn_at"))
                        .col(instant_null("accepted_at"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk("application", "account_id", "account", Restrict))
                        .foreign_key(&mut fk(
                            "application",
                            "education_decided_by",
                            "account",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![
                        index("application", &["account_id"], false),
                        index("application", &["status"], false),
                    ],
                ),
                (
                    table("work_history_entry")
                        .col(reference("application_id"))
                        .col(text("library_name"))
                        .col(text("library_type"))
                        .col(text_null("position_title"))
                        .col(boolean("paid"))
                        .col(date("started_on"))
                        .col(date_null("ended_on"))
                        .col(integer("hours"))
                        .col(integer("position"))
                        .foreign_key(&mut fk(
                            "work_history_entry",
                            "application_id",
                            "application",
                            Cascade,
                        ))
                        .to_owned(),
                    vec![index("work_history_entry", &["application_id"], false)],
                ),
                (
                    table("education_entry")
                        .col(reference("application_id"))
                        .col(text("level"))
                        .col(text_null("institution"))
                        .col(text("country"))
                        .col(date_null("completed_on"))
                        .col(integer("position"))
                        .foreign_key(&mut fk(
                            "education_entry",
                            "application_id",
                            "application",
                            Cascade,
                        ))
                        .to_owned(),
                    vec![index("education_entry", &["application_id"], false)],
                ),
                (
                    table("candidacy")
                        .col(reference("application_id"))
                        .col(reference("account_id"))
                        .col(text("number"))
                        .col(text("pseudonym"))
                        .col(text("status"))
                        .col(date("started_on"))
                        .col(date("deadline_on"))
                        .col(date("car_expires_on"))
                        .col(instant_null("lapsed_at"))
                        .col(instant_null("certified_at"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk(
                            "candidacy",
                            "application_id",
                            "application",
                            Restrict,
                        ))
                        .foreign_key(&mut fk("candidacy", "account_id", "account", Restrict))
                        .to_owned(),
                    vec![
                        index("candidacy", &["application_id"], true),
                        index("candidacy", &["number"], true),
                        index("candidacy", &["pseudonym"], true),
                        index("candidacy", &["account_id"], false),
                        index("candidacy", &["status", "deadline_on"], false),
                    ],
                ),
                (
                    table("deadline_extension")
                        .col(reference("candidacy_id"))
                        .col(date("previous_deadline_on"))
                        .col(date("new_deadline_on"))
                        .col(text("reason"))
                        .col(reference("granted_by"))
                        .col(instant("granted_at"))
                        .foreign_key(&mut fk(
                            "deadline_extension",
                            "candidacy_id",
                            "candidacy",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "deadline_extension",
                            "granted_by",
                            "account",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index("deadline_extension", &["candidacy_id"], false)],
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
