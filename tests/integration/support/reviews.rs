//! Setup for the portfolio-review tests: staff, candidates (applied, eligible, paid),
//! evaluators (applied, accepted by the CRC, trained), portfolios ready to submit, an
//! approved course, assessments, and the Reviews sweep pushed onto the test's real queue.
//!
//! Everything goes through GraphQL except creating evaluators' accounts, which are
//! written directly (already verified) so that a test can have many evaluators quickly.

use super::app::TestApp;
pub use super::courses::competency_numbers;
use super::graphql::{PASSWORD, User, data, user_error_codes};
use super::smtp::{Received, WAIT};
use domain::Actor;
use domain::actor::Viewer;
use entity::account_role::Role;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The set most tests use: ten competencies.
pub const SET: &str = "CATALOGING_CLASSIFICATION";
pub const SET_NAME: &str = "Cataloging and Classification";
/// A second set, for rounds that must not compete with [`SET`]'s evaluators.
pub const OTHER_SET: &str = "REFERENCE_INFORMATION";

/// How often [`eventually`] looks again.
const POLL: Duration = Duration::from_millis(50);

/// Waits until `check` returns something, looking every 50 ms; fails after [`WAIT`] with
/// `what`.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {WAIT:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The program officer and a CRC member.
pub struct Staff {
    pub officer: User,
    pub crc: User,
}

/// A candidate whose application was accepted.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub user: User,
    pub given_name: String,
    pub family_name: String,
    pub employer: String,
    pub application_id: String,
    pub candidacy_id: String,
}

/// An accepted evaluator, signed in.
#[derive(Debug, Clone)]
pub struct Evaluator {
    /// The account (its `id` is the account's).
    pub user: User,
    pub name: String,
    /// The evaluator record's id.
    pub id: String,
    pub employer: String,
}

/// A portfolio ready to submit: narratives covering every competency and one document.
#[derive(Debug, Clone)]
pub struct Portfolio {
    pub id: String,
    /// The narratives' ids, in order.
    pub narratives: Vec<String>,
    /// The evidence document attached.
    pub document_id: String,
}

/// Whether `m` tells `email` about a review assigned to them.
pub fn is_review_assigned(m: &Received, email: &str) -> bool {
    m.is_to(email) && m.subject.starts_with("A portfolio to review:")
}

/// Whether `m` tells `email` that their review was given to someone else.
pub fn is_review_reassigned(m: &Received, email: &str) -> bool {
    m.is_to(email) && m.subject == "A portfolio review was given to another evaluator"
}

/// Whether `m` reminds `email` of a review due in 7 days (`Some(7)`) or today (`Some(0)`).
pub fn is_reminder(m: &Received, email: &str, days: u32) -> bool {
    let subject = if days == 0 {
        "A portfolio review is due today".to_owned()
    } else {
        format!("A portfolio review is due in {days} days")
    };
    m.is_to(email) && m.subject == subject
}

/// An evaluator's reviews: `$all` includes the submitted ones.
const MY_REVIEWS: &str =
    "query($all: Boolean!) { myReviews(includeFinished: $all) { id status roundNumber } }";

/// An officer and a CRC member, both signed in.
pub async fn staff(app: &TestApp) -> Staff {
    let officer = app.officer("olive.officer@example.org").await;
    let crc = app
        .user_with_role(
            &officer,
            "cora.crc@example.org",
            "Cora Committee",
            "CRC_MEMBER",
        )
        .await;
    Staff { officer, crc }
}

/// Signs up, applies with 4,000 hours of current library work and a US diploma,
/// and is accepted once the officer records the fee.
pub async fn candidate(
    app: &TestApp,
    officer: &User,
    email: &str,
    given_name: &str,
    family_name: &str,
    employer: &str,
) -> Candidate {
    let user = app
        .signed_up_user(email, &format!("{given_name} {family_name}"))
        .await;
    let today = app.services.today();
    let started = today - chrono::Duration::days(3 * 365);
    let r = app
        .gql_as(
            &user.token,
            "mutation($input: SaveApplicationInput!) { saveApplication(input: $input) { application { id } userErrors { field message code } } }",
            json!({ "input": {
                "givenName": given_name,
                "familyName": family_name,
                "addressLine1": "1 Library Lane",
                "city": "Springfield",
                "state": "IL",
                "postalCode": "62701",
                "employerName": employer,
                "marketingSource": "WEBSITE",
                "workHistory": [{
                    "libraryName": employer,
                    "libraryType": "PUBLIC",
                    "paid": true,
                    "startedOn": started.to_string(),
                    "hours": 4000,
                }],
                "education": [{ "level": "HIGH_SCHOOL_DIPLOMA", "country": "US" }],
            } }),
        )
        .await;
    let payload = &data(&r)["saveApplication"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    let application_id = payload["application"]["id"].as_str().unwrap().to_owned();
    let r = app
        .gql_as(
            &user.token,
            "mutation($input: ApplicationIdInput!) { submitApplication(input: $input) { application { status feeCents } userErrors { field message code } } }",
            json!({ "input": { "applicationId": application_id } }),
        )
        .await;
    let submitted = &data(&r)["submitApplication"]["application"];
    assert_eq!(submitted["status"], json!("ELIGIBLE"), "{r}");
    let r = app
        .gql_as(
            &officer.token,
            "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } userErrors { field message code } } }",
            json!({ "input": {
                "applicationId": application_id,
                "amountCents": submitted["feeCents"],
                "method": "CHECK",
                "paidOn": today.to_string(),
            } }),
        )
        .await;
    let payload = &data(&r)["recordPayment"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    let r = app
        .gql_as(&user.token, "{ myCandidacy { id status } }", json!({}))
        .await;
    let candidacy = &data(&r)["myCandidacy"];
    assert_eq!(candidacy["status"], json!("ACTIVE"), "{r}");
    Candidate {
        candidacy_id: candidacy["id"].as_str().unwrap().to_owned(),
        user,
        given_name: given_name.to_owned(),
        family_name: family_name.to_owned(),
        employer: employer.to_owned(),
        application_id,
    }
}

/// An evaluator of `employer`, expert in `sets`, accepted by the CRC and, when
/// `trained`, with training recorded today. The account is written directly (verified);
/// the application, decision and training go through GraphQL.
pub async fn evaluator(
    app: &TestApp,
    staff: &Staff,
    email: &str,
    name: &str,
    employer: &str,
    sets: &[&str],
    trained: bool,
) -> Evaluator {
    let user = verified_account(app, email, name).await;
    let r = app
        .gql_as(
            &user.token,
            "mutation($input: ApplyAsEvaluatorInput!) { applyAsEvaluator(input: $input) { evaluator { id status } userErrors { field message code } } }",
            json!({ "input": {
                "qualifications": "Twenty years of cataloguing and reference work.",
                "employer": employer,
                "state": "OH",
                "setCodes": sets,
            } }),
        )
        .await;
    let payload = &data(&r)["applyAsEvaluator"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    let id = payload["evaluator"]["id"].as_str().unwrap().to_owned();
    let r = app
        .gql_as(
            &staff.crc.token,
            "mutation($input: DecideEvaluatorInput!) { decideEvaluator(input: $input) { evaluator { status } userErrors { field message code } } }",
            json!({ "input": { "evaluatorId": id, "accept": true, "reason": "Well qualified." } }),
        )
        .await;
    assert_eq!(
        data(&r)["decideEvaluator"]["evaluator"]["status"],
        json!("ACTIVE"),
        "{r}"
    );
    let evaluator = Evaluator {
        user,
        name: name.to_owned(),
        id,
        employer: employer.to_owned(),
    };
    if trained {
        let r = record_training(app, &staff.officer, &evaluator).await;
        assert_eq!(
            user_error_codes(&data(&r)["recordEvaluatorTraining"]),
            Vec::<String>::new(),
            "{r}"
        );
    }
    evaluator
}

/// `recordEvaluatorTraining` as `staff`, completed today; the whole response.
pub async fn record_training(app: &TestApp, staff: &User, evaluator: &Evaluator) -> Value {
    app.gql_as(
        &staff.token,
        "mutation($input: RecordTrainingInput!) { recordEvaluatorTraining(input: $input) { evaluator { trainingCompletedOn } userErrors { field message code } } }",
        json!({ "input": {
            "evaluatorId": evaluator.id,
            "completedOn": app.services.today().to_string(),
        } }),
    )
    .await
}

/// A verified account written directly, signed in through GraphQL.
async fn verified_account(app: &TestApp, email: &str, name: &str) -> User {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    static HASH: OnceCell<String> = OnceCell::const_new();
    let hash = HASH
        .get_or_init(|| async {
            domain::security::hash_password(PASSWORD.to_owned())
                .await
                .unwrap()
        })
        .await;
    let now = app.services.now();
    let account = entity::account::ActiveModel {
        email: Set(email.to_owned()),
        password_hash: Set(hash.clone()),
        display_name: Set(name.to_owned()),
        email_verified_at: Set(Some(now)),
        password_changed_at: Set(now),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    User {
        id: account.id.to_string(),
        email: email.to_owned(),
        token: app.token_for(email, PASSWORD).await,
    }
}

/// Starts `candidate`'s portfolio for `set_code`, writes two narratives that together
/// address every competency, and attaches one evidence document.
pub async fn portfolio(app: &TestApp, candidate: &Candidate, set_code: &str) -> Portfolio {
    let token = &candidate.user.token;
    let r = app
        .gql_as(
            token,
            "mutation($input: StartPortfolioInput!) { startPortfolio(input: $input) { portfolio { id status } userErrors { field message code } } }",
            json!({ "input": { "setCode": set_code } }),
        )
        .await;
    let payload = &data(&r)["startPortfolio"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    let id = payload["portfolio"]["id"].as_str().unwrap().to_owned();
    let numbers = competency_numbers(app, set_code).await;
    let (first, second) = numbers.split_at(numbers.len() / 2);
    let mut narratives = Vec::new();
    for (i, part) in [first, second].into_iter().enumerate() {
        let r = save_narrative(
            app,
            candidate,
            &id,
            None,
            &format!("Reflection {}", i + 1),
            &format!("What I learned, part {}: the first version.", i + 1),
            part,
        )
        .await;
        let payload = &data(&r)["saveNarrative"];
        assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
        let all = payload["portfolio"]["narratives"].as_array().unwrap();
        narratives.push(all.last().unwrap()["id"].as_str().unwrap().to_owned());
    }
    let document_id = app
        .upload_pdf(token, "PORTFOLIO_EVIDENCE", "catalogue-records")
        .await;
    let r = attach_document(app, candidate, &id, &document_id).await;
    let payload = &data(&r)["attachPortfolioDocument"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    Portfolio {
        id,
        narratives,
        document_id,
    }
}

/// `saveNarrative` as the candidate; the whole response.
pub async fn save_narrative(
    app: &TestApp,
    candidate: &Candidate,
    portfolio_id: &str,
    narrative_id: Option<&str>,
    title: &str,
    body: &str,
    competencies: &[i64],
) -> Value {
    app.gql_as(
        &candidate.user.token,
        "mutation($input: SaveNarrativeInput!) { saveNarrative(input: $input) { portfolio { id narratives { id title body competencies } } userErrors { field message code } } }",
        json!({ "input": {
            "portfolioId": portfolio_id,
            "narrativeId": narrative_id,
            "title": title,
            "body": body,
            "competencies": competencies,
        } }),
    )
    .await
}

/// `attachPortfolioDocument` as the candidate; the whole response.
pub async fn attach_document(
    app: &TestApp,
    candidate: &Candidate,
    portfolio_id: &str,
    document_id: &str,
) -> Value {
    app.gql_as(
        &candidate.user.token,
        "mutation($input: PortfolioDocumentInput!) { attachPortfolioDocument(input: $input) { portfolio { id } userErrors { field message code } } }",
        json!({ "input": { "portfolioId": portfolio_id, "documentId": document_id, "caption": "Records I catalogued" } }),
    )
    .await
}

/// Submits the portfolio; returns the new round's id.
pub async fn submit_portfolio(app: &TestApp, candidate: &Candidate, portfolio_id: &str) -> String {
    let r = app
        .gql_as(
            &candidate.user.token,
            "mutation($input: PortfolioIdInput!) { submitPortfolio(input: $input) { portfolio { status rounds { id number } } userErrors { field message code } } }",
            json!({ "input": { "portfolioId": portfolio_id } }),
        )
        .await;
    let payload = &data(&r)["submitPortfolio"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    assert_eq!(payload["portfolio"]["status"], json!("UNDER_REVIEW"), "{r}");
    let rounds = payload["portfolio"]["rounds"].as_array().unwrap();
    rounds.last().unwrap()["id"].as_str().unwrap().to_owned()
}

/// The portfolio as its candidate sees it, with every round's status, content and
/// feedback.
pub async fn candidate_portfolio(
    app: &TestApp,
    candidate: &Candidate,
    portfolio_id: &str,
) -> Value {
    let r = app
        .gql_as(
            &candidate.user.token,
            "query($id: ID!) { portfolio(id: $id) {
                id status
                narratives { id title body competencies }
                rounds {
                  id number status decidedAt
                  content { narratives { title body competencies } documents { caption document { id } } }
                  feedback { label overallMet feedback competencies { number met comment } recommendedCourses { id title } }
                }
            } }",
            json!({ "id": portfolio_id }),
        )
        .await;
    data(&r)["portfolio"].clone()
}

/// A round as `staff` sees it: status, reason, and every review with its evaluator.
pub async fn staff_round(app: &TestApp, staff: &User, round_id: &str) -> Value {
    let r = app
        .gql_as(
            &staff.token,
            "query($id: ID!) { reviewRound(id: $id) {
                id number status unstaffedReason
                reviews { id slot status assignedBy dueOn endReason evaluator { id employer } assessment { label overallMet } }
            } }",
            json!({ "id": round_id }),
        )
        .await;
    data(&r)["reviewRound"].clone()
}

/// The evaluator ids of a round's reviews that count (assigned or submitted).
pub async fn round_evaluators(app: &TestApp, staff: &User, round_id: &str) -> Vec<String> {
    let round = staff_round(app, staff, round_id).await;
    round["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == json!("ASSIGNED") || r["status"] == json!("SUBMITTED"))
        .map(|r| r["evaluator"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until `round_id` has `n` reviews that count; returns their evaluator ids.
pub async fn wait_for_reviewers(
    app: &TestApp,
    staff: &User,
    round_id: &str,
    n: usize,
) -> Vec<String> {
    eventually(&format!("{n} evaluators on round {round_id}"), async || {
        let ids = round_evaluators(app, staff, round_id).await;
        (ids.len() >= n).then_some(ids)
    })
    .await
}

/// The id of `evaluator`'s review in round `number` (open or finished).
pub async fn review_id(app: &TestApp, evaluator: &Evaluator, round_number: i64) -> String {
    let r = app
        .gql_as(&evaluator.user.token, MY_REVIEWS, json!({ "all": true }))
        .await;
    data(&r)["myReviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["roundNumber"] == json!(round_number))
        .unwrap_or_else(|| {
            panic!(
                "{} has no review of round {round_number}: {r}",
                evaluator.name
            )
        })["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The ids of `evaluator`'s open reviews.
pub async fn open_reviews(app: &TestApp, evaluator: &Evaluator) -> Vec<String> {
    let r = app
        .gql_as(&evaluator.user.token, MY_REVIEWS, json!({ "all": false }))
        .await;
    data(&r)["myReviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `submitAssessment` of every competency of `set_code` as `met`, with `feedback`;
/// the whole response.
pub async fn assess(
    app: &TestApp,
    evaluator: &Evaluator,
    review_id: &str,
    set_code: &str,
    met: bool,
    feedback: &str,
    recommended: &[&str],
) -> Value {
    let competencies: Vec<Value> = competency_numbers(app, set_code)
        .await
        .into_iter()
        .map(|n| json!({ "number": n, "met": met, "comment": format!("Competency {n}: {}", if met { "shown" } else { "not yet shown" }) }))
        .collect();
    app.gql_as(
        &evaluator.user.token,
        "mutation($input: SubmitAssessmentInput!) { submitAssessment(input: $input) {
            review { id status myAssessment { label overallMet } otherAssessments { label overallMet feedback } }
            userErrors { field message code }
        } }",
        json!({ "input": {
            "reviewId": review_id,
            "competencies": competencies,
            "overallMet": met,
            "feedback": feedback,
            "recommendedCourseIds": recommended,
        } }),
    )
    .await
}

/// [`assess`] the evaluator's review of round `round_number`, which
/// must be accepted.
pub async fn assess_round(
    app: &TestApp,
    evaluator: &Evaluator,
    round_number: i64,
    set_code: &str,
    met: bool,
    feedback: &str,
) -> Value {
    let review = review_id(app, evaluator, round_number).await;
    let r = assess(app, evaluator, &review, set_code, met, feedback, &[]).await;
    let payload = &data(&r)["submitAssessment"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    r
}

/// The round's status as its candidate sees it.
pub async fn round_status(
    app: &TestApp,
    candidate: &Candidate,
    portfolio_id: &str,
    number: i64,
) -> String {
    let p = candidate_portfolio(app, candidate, portfolio_id).await;
    p["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == json!(number))
        .unwrap_or_else(|| panic!("no round {number}: {p}"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An approved course for `set_code` titled `title`, made through the domain
/// services as the officer: provider, draft mapping every competency, submission, fee
/// and the approval. Returns its id.
pub async fn approved_course(app: &TestApp, officer: &User, set_code: &str, title: &str) -> String {
    use domain::services::{courses, documents, payments, providers};
    use entity::course_submission::{CourseFormat, Delivery, Timing};
    let ctx = &app.services;
    let actor = Actor::Account(Viewer {
        account_id: officer.id.parse().unwrap(),
        session_id: None,
        roles: vec![Role::ProgramOfficer],
    });
    let provider = providers::create(
        ctx,
        &actor,
        providers::ProviderInput {
            name: "Prairie Library School".into(),
            kind: entity::provider::ProviderKind::LibrarySchool,
            address_line1: "2 College Road".into(),
            address_line2: None,
            city: "Urbana".into(),
            state: "IL".into(),
            postal_code: "61801".into(),
            country: None,
            contact_name: "Pat Provider".into(),
            contact_email: "pat.provider@example.org".into(),
            contact_phone: None,
            website: None,
        },
    )
    .await
    .unwrap();
    let curriculum = documents::upload(
        ctx,
        &actor,
        documents::Upload {
            purpose: entity::document::DocumentPurpose::CourseCurriculum,
            filename: "curriculum.pdf".into(),
            content_type: Some("application/pdf".into()),
            bytes: super::uploads::pdf_bytes("curriculum").into(),
        },
    )
    .await
    .unwrap();
    let coverage = competency_numbers(app, set_code)
        .await
        .into_iter()
        .map(|n| courses::CoverageInput {
            competency_number: n as i32,
            content: format!("Unit {n}"),
        })
        .collect();
    let draft = courses::save_draft(
        ctx,
        &actor,
        courses::CourseDraftInput {
            course_id: None,
            provider_id: Some(provider.id),
            set_code: set_code.into(),
            title: title.into(),
            description: "Every competency of the set, taught in ten units.".into(),
            format: CourseFormat::MultiWeekCourse,
            delivery: Delivery::Online,
            timing: Timing::Asynchronous,
            duration: "Ten weeks".into(),
            duration_hours: Some(40),
            curriculum_document_id: Some(curriculum.id),
            instructors: vec![courses::InstructorInput {
                name: "Ida Instructor".into(),
                qualifications: "MLIS, cataloguer for 15 years.".into(),
            }],
            assessment_method: "A graded cataloguing project.".into(),
            coverage,
        },
    )
    .await
    .unwrap();
    let submitted = courses::submit(ctx, &actor, draft.submission.id)
        .await
        .unwrap();
    payments::record(
        ctx,
        &actor,
        payments::PaymentInput {
            paid_for: payments::PaymentFor::CourseSubmission(submitted.submission.id),
            amount_cents: submitted.submission.fee_cents.unwrap(),
            method: entity::payment::PaymentMethod::Check,
            reference: None,
            paid_on: app.services.today(),
        },
    )
    .await
    .unwrap();
    courses::decide(
        ctx,
        &actor,
        submitted.submission.id,
        courses::Decision::Approve,
        "Teaches the whole set.",
    )
    .await
    .unwrap();
    submitted.course.id.to_string()
}

/// Pushes the Reviews sweep onto this test's queue, as the hourly schedule does.
pub async fn push_reviews_sweep(app: &TestApp) {
    let mut settings = infra::Settings::embedded(app.config.data_dir.clone());
    settings.redis_url = app.config.redis_url.clone();
    settings.queue_prefix = app.config.queue_prefix.clone();
    let queue = infra::queue::JobQueue::connect(&settings).await.unwrap();
    queue
        .push_sweep(domain::jobs::Sweep::Reviews)
        .await
        .unwrap();
}

/// How many assignment runs have been recorded (each sweep that finds rounds waiting
/// starts one, so this tells a test that a sweep has finished).
pub async fn assignment_runs(app: &TestApp, staff: &User) -> usize {
    let r = app
        .gql_as(
            &staff.token,
            "{ assignmentRuns(first: 100) { id } }",
            json!({}),
        )
        .await;
    data(&r)["assignmentRuns"].as_array().unwrap().len()
}

/// Pushes the Reviews sweep and waits until it has run: it must start an assignment
/// run, so a round must be waiting for evaluators.
pub async fn run_reviews_sweep(app: &TestApp, staff: &User) {
    let before = assignment_runs(app, staff).await;
    push_reviews_sweep(app).await;
    eventually("the Reviews sweep to finish", async || {
        (assignment_runs(app, staff).await > before).then_some(())
    })
    .await;
}
