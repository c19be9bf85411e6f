//! Portfolio review: evaluators with their expertise and conflicts; portfolios with their
//! narratives and evidence; review rounds, the reviews evaluators write for them, the runs
//! of the assignment solver, and appeals to the CRC.

use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "evaluator",
    "evaluator_expertise",
    "evaluator_conflict",
    "portfolio",
    "portfolio_narrative",
    "portfolio_narrative_competency",
    "portfolio_document",
    "review_round",
    "review",
    "review_assessment",
    "review_recommended_course",
    "assignment_run",
    "appeal",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};
        TableSet {
            tables: vec![
                (
                    table("evaluator")
                        .col(reference("account_id"))
                        .col(text("status"))
                        .col(text("qualifications"))
                        .col(text("employer"))
                        .col(text("employer_key"))
                        .col(text_null("institution"))
                        .col(text_null("institution_key"))
                        .col(text("state"))
                        .col(integer("capacity"))
                        .col(date_null("paused_until"))
                        .col(date_null("training_completed_on"))
                        .col(instant("applied_at"))
                        .col(instant_null("decided_at"))
                        .col(reference_null("decided_by"))
                        .col(text_null("decision_reason"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk("evaluator", "account_id", "account", Restrict))
                        .foreign_key(&mut fk("evaluator", "decided_by", "account", Restrict))
                        .to_owned(),
                    vec![
                        index("evaluator", &["account_id"], true),
                        index("evaluator", &["status"], false),
                    ],
                ),
                (
                    table("evaluator_expertise")
                        .col(reference("evaluator_id"))
                        .col(reference("set_id"))
                        .foreign_key(&mut fk(
                            "evaluator_expertise",
                            "evaluator_id",
                            "evaluator",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "evaluator_expertise",
                            "set_id",
                            "competency_set",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![
                        index("evaluator_expertise", &["evaluator_id", "set_id"], true),
                        index("evaluator_expertise", &["set_id"], false),
                    ],
                ),
                (
                    table("evaluator_conflict")
                        .col(reference("evaluator_id"))
                        .col(reference_null("candidacy_id"))
                        .col(text_null("institution"))
                        .col(text_null("institution_key"))
                        .col(text_null("note"))
                        .col(instant("declared_at"))
                        .foreign_key(&mut fk(
                            "evaluator_conflict",
                            "evaluator_id",
                            "evaluator",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "evaluator_conflict",
                            "candidacy_id",
                            "candidacy",
                            Cascade,
                        ))
                        .to_owned(),
                    vec![
                        index("evaluator_conflict", &["evaluator_id"], false),
                        index("evaluator_conflict", &["candidacy_id"], false),
                    ],
                ),
                (
                    table("portfolio")
                        .col(reference("candidacy_id"))
                        .col(reference("set_id"))
                        .col(text("status"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk("portfolio", "candidacy_id", "candidacy", Restrict))
                        .foreign_key(&mut fk("portfolio", "set_id", "competency_set", Restrict))
                        .to_owned(),
                    vec![index("portfolio", &["candidacy_id", "set_id"], true)],
                ),
                (
                    table("portfolio_narrative")
                        .col(reference("portfolio_id"))
                        .col(text("title"))
                        .col(text("body"))
                        .col(integer("position"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk(
                            "portfolio_narrative",
                            "portfolio_id",
                            "portfolio",
                            Cascade,
                        ))
                        .to_owned(),
                    vec![index("portfolio_narrative", &["portfolio_id"], false)],
                ),
                (
                    table("portfolio_narrative_competency")
                        .col(reference("narrative_id"))
                        .col(reference("competency_id"))
                        .foreign_key(&mut fk(
                            "portfolio_narrative_competency",
                            "narrative_id",
                            "portfolio_narrative",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "portfolio_narrative_competency",
                            "competency_id",
                            "competency",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index(
                        "portfolio_narrative_competency",
                        &["narrative_id", "competency_id"],
                        true,
                    )],
                ),
                (
                    table("portfolio_document")
                        .col(reference("portfolio_id"))
                        .col(reference("document_id"))
                        .col(text_null("caption"))
                        .col(instant("added_at"))
                        .foreign_key(&mut fk(
                            "portfolio_document",
                            "portfolio_id",
                            "portfolio",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "portfolio_document",
                            "document_id",
                            "document",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index(
                        "portfolio_document",
                        &["portfolio_id", "document_id"],
                        true,
                    )],
                ),
                (
                    table("review_round")
                        .col(reference("portfolio_id"))
                        .col(integer("number"))
                        .col(text("status"))
                        .col(json_binary("content"))
                        .col(instant("submitted_at"))
                        .col(text_null("outcome"))
                        .col(instant_null("decided_at"))
                        .col(text_null("unstaffed_reason"))
                        .col(instant_null("unstaffed_since"))
                        // Not a declared foreign key: `appeal` references `review_round`.
                        .col(big_integer_null("ordered_by_appeal_id"))
                        .col(instant("created_at"))
                        .col(instant("updated_at"))
                        .foreign_key(&mut fk(
                            "review_round",
                            "portfolio_id",
                            "portfolio",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![
                        index("review_round", &["portfolio_id", "number"], true),
                        index("review_round", &["status"], false),
                    ],
                ),
                (
                    table("review")
                        .col(reference("round_id"))
                        .col(reference("evaluator_id"))
                        .col(integer("slot"))
                        .col(text("status"))
                        .col(text("assigned_by"))
                        .col(instant("assigned_at"))
                        .col(date("due_on"))
                        .col(instant_null("submitted_at"))
                        .col(boolean_null("overall_met"))
                        .col(text_null("feedback"))
                        .col(instant_null("ended_at"))
                        .col(text_null("end_reason"))
                        .col(instant("created_at"))
                        .foreign_key(&mut fk("review", "round_id", "review_round", Cascade))
                        .foreign_key(&mut fk("review", "evaluator_id", "evaluator", Restrict))
                        .to_owned(),
                    vec![
                        index("review", &["round_id"], false),
                        index("review", &["evaluator_id", "status"], false),
                    ],
                ),
                (
                    table("review_assessment")
                        .col(reference("review_id"))
                        .col(reference("competency_id"))
                        .col(boolean("met"))
                        .col(text("comment"))
                        .foreign_key(&mut fk("review_assessment", "review_id", "review", Cascade))
                        .foreign_key(&mut fk(
                            "review_assessment",
                            "competency_id",
                            "competency",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index(
                        "review_assessment",
                        &["review_id", "competency_id"],
                        true,
                    )],
                ),
                (
                    table("review_recommended_course")
                        .col(reference("review_id"))
                        .col(reference("course_id"))
                        .foreign_key(&mut fk(
                            "review_recommended_course",
                            "review_id",
                            "review",
                            Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "review_recommended_course",
                            "course_id",
                            "course",
                            Restrict,
                        ))
                        .to_owned(),
                    vec![index(
                        "review_recommended_course",
                        &["review_id", "course_id"],
                        true,
                    )],
                ),
                (
                    table("assignment_run")
                        .col(big_integer("seed"))
                        .col(text("mode"))
                        .col(integer("rounds_considered"))
                        .col(integer("rounds_assigned"))
                        .col(big_integer("total_cost"))
                        .col(json_binary("details"))
                        .col(instant("created_at"))
                        .to_owned(),
                    vec![index("assignment_run", &["created_at"], false)],
                ),
                (
                    table("appeal")
                        .col(reference("round_id"))
                        .col(reference("candidacy_id"))
                        .col(text("reason"))
                        .col(text("status"))
                        .col(instant("filed_at"))
                        .col(instant_null("decided_at"))
                        .col(reference_null("decided_by"))
                        .col(text_null("decision_reason"))
                        .col(reference_null("new_round_id"))
                        .foreign_key(&mut fk("appeal", "round_id", "review_round", Restrict))
                        .foreign_key(&mut fk("appeal", "candidacy_id", "candidacy", Restrict))
                        .foreign_key(&mut fk("appeal", "decided_by", "account", Restrict))
                        .foreign_key(&mut fk("appeal", "new_round_id", "review_round", Restrict))
                        .to_owned(),
                    vec![
                        index("appeal", &["round_id"], false),
                        index("appeal", &["status"], false),
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
