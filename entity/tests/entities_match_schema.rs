//! The entities agree with the migrations: every entity reads from a freshly migrated
//! database (a column named in an entity but missing from its table fails), and a
//! representative chain of rows written through the ActiveModels reads back unchanged
//! (dates, instants, JSON, enums and booleans map to the column types the migrations
//! create). On SQLite always; on PostgreSQL too when `TEST_DATABASE_URL` is set.

// The helpers below are test code too: like the tests, they fail by panicking.
#![allow(clippy::expect_used)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::*;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    QueryOrder, Statement,
};
use serde_json::json;

/// Reads every row of every entity, naming the entity that fails.
macro_rules! read_every_entity {
    ($db:expr; $($module:ident),* $(,)?) => {
        $(
            if let Err(err) = $module::Entity::find().all($db).await {
                panic!("entity `{}` does not match its table: {err}", stringify!($module));
            }
        )*
    };
}

async fn every_entity_reads(db: &DatabaseConnection) {
    read_every_entity!(db;
        // m0001
        account,
        account_role,
        account_token,
        audit_log,
        background_task,
        bulk_notice_batch,
        document,
        login_failure,
        notification,
        session,
        // m0002
        competency,
        competency_set,
        // m0003
        application,
        candidacy,
        deadline_extension,
        education_entry,
        work_history_entry,
        // m0004
        course,
        course_approval,
        course_coverage,
        course_decision,
        course_instructor,
        course_submission,
        provider,
        provider_member,
        // m0005
        appeal,
        assignment_run,
        evaluator,
        evaluator_conflict,
        evaluator_expertise,
        portfolio,
        portfolio_document,
        portfolio_narrative,
        portfolio_narrative_competency,
        review,
        review_assessment,
        review_recommended_course,
        review_round,
        // m0006
        achievement,
        business_plan,
        car_access_log,
        car_share_grant,
        car_share_grant_set,
        certificate,
        certificate_period,
        course_completion,
        payment,
        renewal,
        renewal_activity,
        // m0012
        unknown_login_failure,
    );
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// Whole seconds, so that the value survives PostgreSQL's microsecond precision as is.
fn instant(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid instant")
}

async fn new_account(db: &DatabaseConnection, email: &str, name: &str) -> account::Model {
    let at = instant(2026, 1, 5, 14, 0);
    account::ActiveModel {
        email: Set(email.to_owned()),
        password_hash: Set("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        display_name: Set(name.to_owned()),
        email_verified_at: Set(Some(at)),
        password_changed_at: Set(at),
        disabled_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("account inserts")
}

/// Writes account → application → candidacy → portfolio → review_round → review, then
/// provider → course → course_submission → course_approval, then a certificate, and
/// checks that each row reads back exactly as written.
async fn representative_rows_round_trip(db: &DatabaseConnection) {
    let first_set = competency_set::Entity::find()
        .order_by_asc(competency_set::Column::Position)
        .one(db)
        .await
        .expect("competency sets read")
        .expect("the catalogue is seeded");

    // Candidate side.
    let candidate = new_account(db, "maria.lopez@example.org", "María López").await;
    let eligibility = json!({
        "eligible": true,
        "hours_in_window": 5120,
        "window": { "from": "2021-03-02", "to": "2026-03-02" },
        "education": "high_school_diploma",
    });
    let application = application::ActiveModel {
        account_id: Set(candidate.id),
        status: Set(application::ApplicationStatus::Accepted),
        given_name: Set("María".to_owned()),
        family_name: Set("López".to_owned()),
        email: Set("maria.lopez@example.org".to_owned()),
        phone: Set(Some("+1 505 555 0142".to_owned())),
        address_line1: Set("12 Cerrillos Road".to_owned()),
        address_line2: Set(None),
        city: Set("Santa Fe".to_owned()),
        state: Set("NM".to_owned()),
        postal_code: Set("87501".to_owned()),
        country: Set("US".to_owned()),
        employer_name: Set(Some("Santa Fe Public Library".to_owned())),
        employer_key: Set(Some("santa fe public library".to_owned())),
        employer_address: Set(Some("145 Washington Ave, Santa Fe, NM 87501".to_owned())),
        state_library_name: Set(Some("New Mexico State Library".to_owned())),
        state_library_address: Set(None),
        ala_member: Set(true),
        ala_member_number: Set(Some("1234567".to_owned())),
        marketing_source: Set(Some(application::MarketingSource::StateAssociation)),
        marketing_source_detail: Set(Some("NMLA newsletter".to_owned())),
        consent_publish_name: Set(true),
        consent_award_notice: Set(false),
        eligibility: Set(Some(eligibility.clone())),
        eligibility_decided_at: Set(Some(instant(2026, 3, 1, 10, 0))),
        education_decision: Set(Some(application::EducationDecision::Accepted)),
        education_decision_reason: Set(Some("Mexican bachillerato, verified".to_owned())),
        education_decided_by: Set(None),
        education_decided_at: Set(None),
        fee_cents: Set(Some(32_500)),
        submitted_at: Set(Some(instant(2026, 2, 27, 16, 45))),
        withdrawn_at: Set(None),
        accepted_at: Set(Some(instant(2026, 3, 2, 9, 0))),
        created_at: Set(instant(2026, 2, 20, 8, 0)),
        updated_at: Set(instant(2026, 3, 2, 9, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("application inserts");
    let back = application::Entity::find_by_id(application.id)
        .one(db)
        .await
        .expect("application reads")
        .expect("application exists");
    assert_eq!(back, application);
    assert_eq!(back.eligibility, Some(eligibility));
    assert_eq!(
        back.marketing_source,
        Some(application::MarketingSource::StateAssociation)
    );
    assert_eq!(back.accepted_at, Some(instant(2026, 3, 2, 9, 0)));

    let work = work_history_entry::ActiveModel {
        application_id: Set(application.id),
        library_name: Set("Santa Fe Public Library".to_owned()),
        library_type: Set(work_history_entry::LibraryType::Public),
        position_title: Set(Some("Circulation assistant".to_owned())),
        paid: Set(true),
        started_on: Set(day(2019, 9, 1)),
        ended_on: Set(None),
        hours: Set(9_600),
        position: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("work history entry inserts");
    let back = work_history_entry::Entity::find_by_id(work.id)
        .one(db)
        .await
        .expect("work history reads")
        .expect("work history exists");
    assert_eq!(back, work);
    assert_eq!(back.started_on, day(2019, 9, 1));

    let candidacy = candidacy::ActiveModel {
        application_id: Set(application.id),
        account_id: Set(candidate.id),
        number: Set("LSS-000123".to_owned()),
        pseudonym: Set("Candidate Heron 17".to_owned()),
        status: Set(candidacy::CandidacyStatus::Certified),
        started_on: Set(day(2026, 3, 2)),
        deadline_on: Set(day(2030, 3, 2)),
        car_expires_on: Set(day(2031, 3, 2)),
        lapsed_at: Set(None),
        certified_at: Set(Some(instant(2027, 6, 30, 12, 0))),
        created_at: Set(instant(2026, 3, 2, 9, 0)),
        updated_at: Set(instant(2027, 6, 30, 12, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("candidacy inserts");
    let back = candidacy::Entity::find_by_id(candidacy.id)
        .one(db)
        .await
        .expect("candidacy reads")
        .expect("candidacy exists");
    assert_eq!(back, candidacy);
    assert_eq!(back.deadline_on, day(2030, 3, 2));
    assert_eq!(back.status, candidacy::CandidacyStatus::Certified);

    let portfolio = portfolio::ActiveModel {
        candidacy_id: Set(candidacy.id),
        set_id: Set(first_set.id),
        status: Set(portfolio::PortfolioStatus::UnderReview),
        created_at: Set(instant(2026, 4, 1, 9, 0)),
        updated_at: Set(instant(2026, 5, 1, 9, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("portfolio inserts");
    let back = portfolio::Entity::find_by_id(portfolio.id)
        .one(db)
        .await
        .expect("portfolio reads")
        .expect("portfolio exists");
    assert_eq!(back, portfolio);

    let content = json!({
        "narratives": [{ "title": "Serving every patron", "body": "…", "competencies": [1, 2] }],
        "documents": [{ "document_id": 7, "caption": "Programme flyer" }],
    });
    let round = review_round::ActiveModel {
        portfolio_id: Set(portfolio.id),
        number: Set(1),
        status: Set(review_round::RoundStatus::InReview),
        content: Set(content.clone()),
        submitted_at: Set(instant(2026, 5, 1, 9, 0)),
        outcome: Set(None),
        decided_at: Set(None),
        unstaffed_reason: Set(None),
        unstaffed_since: Set(None),
        ordered_by_appeal_id: Set(None),
        created_at: Set(instant(2026, 5, 1, 9, 0)),
        updated_at: Set(instant(2026, 5, 1, 9, 5)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("review round inserts");
    let back = review_round::Entity::find_by_id(round.id)
        .one(db)
        .await
        .expect("review round reads")
        .expect("review round exists");
    assert_eq!(back, round);
    assert_eq!(back.content, content);

    let evaluator_account = new_account(db, "j.okafor@example.edu", "Joy Okafor").await;
    let evaluator = evaluator::ActiveModel {
        account_id: Set(evaluator_account.id),
        status: Set(evaluator::EvaluatorStatus::Active),
        qualifications: Set("MLIS; 12 years in public services".to_owned()),
        employer: Set("Albuquerque Community College".to_owned()),
        employer_key: Set("albuquerque community college".to_owned()),
        institution: Set(None),
        institution_key: Set(None),
        state: Set("NM".to_owned()),
        capacity: Set(3),
        paused_until: Set(Some(day(2026, 8, 15))),
        training_completed_on: Set(Some(day(2026, 1, 20))),
        applied_at: Set(instant(2025, 12, 1, 10, 0)),
        decided_at: Set(Some(instant(2026, 1, 10, 10, 0))),
        decided_by: Set(None),
        decision_reason: Set(None),
        created_at: Set(instant(2025, 12, 1, 10, 0)),
        updated_at: Set(instant(2026, 1, 20, 10, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("evaluator inserts");

    let review = review::ActiveModel {
        round_id: Set(round.id),
        evaluator_id: Set(evaluator.id),
        slot: Set(1),
        status: Set(review::ReviewStatus::Submitted),
        assigned_by: Set(review::AssignedBy::TieBreak),
        assigned_at: Set(instant(2026, 5, 1, 9, 5)),
        due_on: Set(day(2026, 5, 31)),
        submitted_at: Set(Some(instant(2026, 5, 20, 17, 30))),
        overall_met: Set(Some(true)),
        feedback: Set(Some("Clear, well-evidenced narratives.".to_owned())),
        ended_at: Set(None),
        end_reason: Set(None),
        created_at: Set(instant(2026, 5, 1, 9, 5)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("review inserts");
    let back = review::Entity::find_by_id(review.id)
        .one(db)
        .await
        .expect("review reads")
        .expect("review exists");
    assert_eq!(back, review);
    assert_eq!(back.due_on, day(2026, 5, 31));
    assert_eq!(back.overall_met, Some(true));
    assert_eq!(back.assigned_by, review::AssignedBy::TieBreak);

    // Provider side.
    let provider = provider::ActiveModel {
        name: Set("Central New Mexico Community College".to_owned()),
        kind: Set(provider::ProviderKind::LtaProgram),
        address_line1: Set("525 Buena Vista Dr SE".to_owned()),
        address_line2: Set(None),
        city: Set("Albuquerque".to_owned()),
        state: Set("NM".to_owned()),
        postal_code: Set("87106".to_owned()),
        country: Set("US".to_owned()),
        contact_name: Set("Dana Whitehorse".to_owned()),
        contact_email: Set("library.tech@example.edu".to_owned()),
        contact_phone: Set(None),
        website: Set(Some("https://example.edu/lta".to_owned())),
        created_by: Set(None),
        created_at: Set(instant(2026, 1, 8, 9, 0)),
        updated_at: Set(instant(2026, 1, 8, 9, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("provider inserts");

    let course = course::ActiveModel {
        provider_id: Set(provider.id),
        set_id: Set(first_set.id),
        title: Set("Foundations of Library Service".to_owned()),
        status: Set(course::CourseStatus::Approved),
        created_at: Set(instant(2026, 1, 9, 9, 0)),
        updated_at: Set(instant(2026, 2, 15, 9, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("course inserts");
    let back = course::Entity::find_by_id(course.id)
        .one(db)
        .await
        .expect("course reads")
        .expect("course exists");
    assert_eq!(back, course);

    let submission = course_submission::ActiveModel {
        course_id: Set(course.id),
        kind: Set(course_submission::SubmissionKind::Initial),
        revision: Set(2),
        status: Set(course_submission::SubmissionStatus::Approved),
        title: Set("Foundations of Library Service".to_owned()),
        description: Set("Library history, ethics and service to every community.".to_owned()),
        format: Set(course_submission::CourseFormat::MultiWeekCourse),
        delivery: Set(course_submission::Delivery::Mixed),
        timing: Set(course_submission::Timing::Asynchronous),
        duration: Set("8 weeks".to_owned()),
        duration_hours: Set(Some(45)),
        curriculum_document_id: Set(None),
        assessment_method: Set("Weekly assignments and a final project.".to_owned()),
        fee_cents: Set(Some(10_000)),
        submitted_at: Set(Some(instant(2026, 2, 1, 9, 0))),
        decided_at: Set(Some(instant(2026, 2, 15, 9, 0))),
        created_by: Set(None),
        created_at: Set(instant(2026, 1, 9, 9, 0)),
        updated_at: Set(instant(2026, 2, 15, 9, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("course submission inserts");
    let back = course_submission::Entity::find_by_id(submission.id)
        .one(db)
        .await
        .expect("course submission reads")
        .expect("course submission exists");
    assert_eq!(back, submission);
    assert_eq!(
        back.format,
        course_submission::CourseFormat::MultiWeekCourse
    );
    assert_eq!(back.delivery, course_submission::Delivery::Mixed);

    let approval = course_approval::ActiveModel {
        course_id: Set(course.id),
        submission_id: Set(submission.id),
        starts_on: Set(day(2026, 2, 15)),
        expires_on: Set(day(2029, 2, 15)),
        expired_at: Set(None),
        created_at: Set(instant(2026, 2, 15, 9, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("course approval inserts");
    let back = course_approval::Entity::find_by_id(approval.id)
        .one(db)
        .await
        .expect("course approval reads")
        .expect("course approval exists");
    assert_eq!(back, approval);
    assert_eq!(back.expires_on, day(2029, 2, 15));

    // The certificate.
    let certificate = certificate::ActiveModel {
        candidacy_id: Set(candidacy.id),
        account_id: Set(candidate.id),
        number: Set("LSSCP-2027-000001".to_owned()),
        verification_code: Set("7QX4-M2KD-9HVA".to_owned()),
        sequence: Set(1),
        holder_name: Set("María López".to_owned()),
        issued_on: Set(day(2027, 6, 30)),
        expires_on: Set(day(2032, 6, 30)),
        status: Set(certificate::CertificateStatus::Active),
        expired_at: Set(None),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        revoked_by: Set(None),
        created_at: Set(instant(2027, 6, 30, 12, 0)),
        updated_at: Set(instant(2027, 6, 30, 12, 0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("certificate inserts");
    let back = certificate::Entity::find_by_id(certificate.id)
        .one(db)
        .await
        .expect("certificate reads")
        .expect("certificate exists");
    assert_eq!(back, certificate);
    assert_eq!(back.issued_on, day(2027, 6, 30));
    assert_eq!(back.sequence, 1);
}

async fn check(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("migrations go up");
    every_entity_reads(db).await;
    representative_rows_round_trip(db).await;
    every_entity_reads(db).await;
}

#[tokio::test]
async fn entities_match_the_schema_on_sqlite() {
    let db = Database::connect("sqlite::memory:")
        .await
        .expect("sqlite connects");
    db.execute_unprepared("PRAGMA foreign_keys = ON")
        .await
        .expect("pragma");
    check(&db).await;
}

#[tokio::test]
async fn entities_match_the_schema_on_postgres() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL half skipped");
        return;
    };
    let admin = Database::connect(&url).await.expect("postgres connects");
    let name = format!("lsscp_entity_{}", std::process::id());
    let backend = admin.get_database_backend();
    admin
        .execute_raw(Statement::from_string(
            backend,
            format!("DROP DATABASE IF EXISTS {name}"),
        ))
        .await
        .expect("drop a leftover database");
    admin
        .execute_raw(Statement::from_string(
            backend,
            format!("CREATE DATABASE {name}"),
        ))
        .await
        .expect("create the test database");
    let base = url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .expect("url names a database");
    let db = Database::connect(format!("{base}/{name}"))
        .await
        .expect("fresh database connects");
    check(&db).await;
    db.close().await.expect("close");
    admin
        .execute_raw(Statement::from_string(
            backend,
            format!("DROP DATABASE {name}"),
        ))
        .await
        .expect("drop the test database");
}
