//! The LSSCP database as sea-orm entities: one module per table, data only.
//!
//! The tables and their meaning are described in `docs/data-model.md`; rules live in the
//! `domain` crate.

// m0001: accounts and infrastructure
pub mod account;
pub mod account_role;
pub mod account_token;
pub mod audit_log;
pub mod background_task;
pub mod bulk_notice_batch;
pub mod document;
pub mod login_failure;
pub mod notification;
pub mod session;

// m0002: the competency catalogue
pub mod competency;
pub mod competency_set;

// m0003: applicants and candidacies
pub mod application;
pub mod candidacy;
pub mod deadline_extension;
pub mod education_entry;
pub mod work_history_entry;

// m0004: providers and courses
pub mod course;
pub mod course_approval;
pub mod course_coverage;
pub mod course_decision;
pub mod course_instructor;
pub mod course_submission;
pub mod provider;
pub mod provider_invitation;
pub mod provider_member;

// m0005: evaluators, portfolios, review rounds, reviews, appeals
pub mod appeal;
pub mod assignment_run;
pub mod evaluator;
pub mod evaluator_conflict;
pub mod evaluator_expertise;
pub mod portfolio;
pub mod portfolio_document;
pub mod portfolio_narrative;
pub mod portfolio_narrative_competency;
pub mod review;
pub mod review_assessment;
pub mod review_recommended_course;
pub mod review_round;

// m0006: evidence, achievements, certificates, renewals, payments, CAR sharing, plans
pub mod achievement;
pub mod business_plan;
pub mod car_access_log;
pub mod car_share_grant;
pub mod car_share_grant_set;
pub mod certificate;
pub mod certificate_period;
pub mod course_completion;
pub mod payment;
pub mod renewal;
pub mod renewal_activity;

// m0012: failed sign-ins for addresses with no account
pub mod unknown_login_failure;

// m0013: worker liveness
pub mod worker_heartbeat;
