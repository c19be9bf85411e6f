//! Helpers for the candidate's journey: applications, approved courses, course evidence,
//! sweeps pushed on the real queue, candidates made in bulk through the domain services,
//! and a second API whose database connection counts SQL statements.

use super::app::{AppConfig, TestApp};
use super::graphql::{User, data, user_error_codes};
use super::uploads::pdf_bytes;
use chrono::{Months, NaiveDate};
use domain::actor::{Actor, Viewer};
use entity::account_role::Role;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Everything the tests read of an application.
pub const APPLICATION_FIELDS: &str = "id status givenName familyName email city state \
    alaMember consentPublishName consentAwardNotice employerName employerNoticeEmail \
    stateLibraryName stateLibraryNoticeEmail marketingSource feeCents paidCents \
    educationDecisionReason submittedAt \
    workHistory { libraryName libraryType paid startedOn endedOn hours } \
    education { level country } \
    eligibility { outcome decidedOn windowStartsOn windowEndsOn requiredHours countedHours \
      entries { index daysInWindow totalDays hours countedHours } \
      educationFound educationOutsideUs shortfalls { requirement shortByHours } } \
    candidacy { id number status startedOn deadlineOn carExpiresOn }";

/// Everything the tests read of a candidacy.
pub const CANDIDACY_FIELDS: &str = "id number status startedOn deadlineOn carExpiresOn \
    certifiedAt \
    progress { sets { competencySet { code } required status method achievedOn } \
      requiredAchieved requiredTotal electivesAchieved electivesNeeded setsRemaining complete \
      daysLeft } \
    achievements { competencySet { code } method achievedOn } \
    courseCompletions { id status completedOn decisionReason competencySet { code } } \
    deadlineExtensions { previousDeadlineOn newDeadlineOn reason } \
    certificate { id number verificationCode holderName status issuedOn expiresOn } \
    timeline { kind setCode detail }";

const COMPLETION_FIELDS: &str = "completion { id status completedOn decisionReason \
    courseId courseTitle competencySet { code } document { id purpose } } \
    achievement { competencySet { code } method achievedOn } \
    certificate { id number verificationCode holderName status issuedOn expiresOn } \
    userErrors { field message code }";

/// The three required sets and three electives of the journey.
pub const SIX_SETS: [&str; 6] = [
    "COMMUNICATION_TEAMWORK",
    "FOUNDATIONS",
    "TECHNOLOGY",
    "CATALOGING_CLASSIFICATION",
    "COLLECTION_MANAGEMENT",
    "REFERENCE_INFORMATION",
];

/// `date` moved by `months` calendar months (negative: back), as the programme counts.
pub fn months_from(date: NaiveDate, months: i32) -> NaiveDate {
    if months >= 0 {
        date.checked_add_months(Months::new(months.unsigned_abs()))
            .unwrap()
    } else {
        date.checked_sub_months(Months::new(months.unsigned_abs()))
            .unwrap()
    }
}

/// A `NaiveDate` as GraphQL writes it.
pub fn day(date: NaiveDate) -> Value {
    json!(date.to_string())
}

/// Reads a `NaiveDate` of a response.
pub fn date_of(value: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("not a date: {value}")),
        "%Y-%m-%d",
    )
    .unwrap()
}

/// A work-history entry.
pub fn work(started_on: NaiveDate, ended_on: Option<NaiveDate>, hours: i64) -> Value {
    json!({
        "libraryName": "Springfield Public Library",
        "libraryType": "PUBLIC",
        "positionTitle": "Circulation assistant",
        "paid": true,
        "startedOn": day(started_on),
        "endedOn": ended_on.map(day),
        "hours": hours,
    })
}

/// An education entry.
pub fn education(level: &str, country: &str) -> Value {
    json!({ "level": level, "institution": "Central High", "country": country })
}

/// A complete application of `given family` from Illinois: 2,000 hours over the last two
/// years and a US high-school diploma, no consents. Change what a test needs.
pub fn application_input(app: &TestApp, given: &str, family: &str) -> Value {
    let today = app.services.today();
    json!({
        "givenName": given,
        "familyName": family,
        "phone": "+1 217 555 0100",
        "addressLine1": "1 Library Lane",
        "city": "Springfield",
        "state": "il",
        "postalCode": "62701",
        "employerName": "Springfield Public Library",
        "alaMember": false,
        "marketingSource": "WEBSITE",
        "workHistory": [work(months_from(today, -24), Some(today - chrono::Duration::days(1)), 2000)],
        "education": [education("HIGH_SCHOOL_DIPLOMA", "US")],
    })
}

/// A signed-in candidate with an accepted application.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub user: User,
    pub application_id: String,
    pub candidacy_id: String,
}

/// A provider organisation and the member who acts for it.
#[derive(Debug, Clone)]
pub struct Provider {
    pub member: User,
    pub id: String,
}

/// The GraphQL ID of the account of a `User`, as a number.
pub fn account_id(user: &User) -> i64 {
    user.id.parse().unwrap()
}

/// The actor of a program officer, for the domain services.
pub fn officer_actor(officer: &User) -> Actor {
    Actor::Account(Viewer {
        account_id: account_id(officer),
        session_id: None,
        roles: vec![Role::ProgramOfficer],
    })
}

/// The codes a refusal carries: the `violations` of a top-level `BAD_USER_INPUT` error.
pub fn violation_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| {
            e["extensions"]["violations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|v| v["code"].as_str().unwrap_or("<none>").to_owned())
        .collect()
}

/// A payload with no `userErrors`.
pub fn ok_payload<'a>(response: &'a Value, field: &str) -> &'a Value {
    let payload = &data(response)[field];
    assert_eq!(
        user_error_codes(payload),
        Vec::<String>::new(),
        "{field}: {response}"
    );
    payload
}

/// `saveApplication` as `token`; returns the payload.
pub async fn save_application(app: &TestApp, token: &str, input: Value) -> Value {
    let r = app
        .gql_as(
            token,
            &format!(
                "mutation($input: SaveApplicationInput!) {{ saveApplication(input: $input) {{ \
                 application {{ {APPLICATION_FIELDS} }} userErrors {{ field message code }} }} }}"
            ),
            json!({ "input": input }),
        )
        .await;
    data(&r)["saveApplication"].clone()
}

/// `submitApplication` as `token`; returns the payload.
pub async fn submit_application(app: &TestApp, token: &str, application_id: &str) -> Value {
    let r = app
        .gql_as(
            token,
            &format!(
                "mutation($input: ApplicationIdInput!) {{ submitApplication(input: $input) {{ \
                 application {{ {APPLICATION_FIELDS} }} userErrors {{ field message code }} }} }}"
            ),
            json!({ "input": { "applicationId": application_id } }),
        )
        .await;
    data(&r)["submitApplication"].clone()
}

/// Saves `input` and submits it; returns the submitted application. Panics on a
/// refusal.
pub async fn apply(app: &TestApp, token: &str, input: Value) -> Value {
    let saved = save_application(app, token, input).await;
    assert_eq!(user_error_codes(&saved), Vec::<String>::new(), "{saved}");
    let id = saved["application"]["id"].as_str().unwrap().to_owned();
    let submitted = submit_application(app, token, &id).await;
    assert_eq!(
        user_error_codes(&submitted),
        Vec::<String>::new(),
        "{submitted}"
    );
    submitted["application"].clone()
}

/// `application(id)` as `token`: the whole response.
pub async fn application(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql_as(
        token,
        &format!("query($id: ID!) {{ application(id: $id) {{ {APPLICATION_FIELDS} }} }}"),
        json!({ "id": id }),
    )
    .await
}

/// `candidacy(id)` as `token`: the whole response.
pub async fn candidacy(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql_as(
        token,
        &format!("query($id: ID!) {{ candidacy(id: $id) {{ {CANDIDACY_FIELDS} }} }}"),
        json!({ "id": id }),
    )
    .await
}

/// `myCandidacy` as `token`; panics unless there is one.
pub async fn my_candidacy(app: &TestApp, token: &str) -> Value {
    let r = app
        .gql_as(
            token,
            &format!("{{ myCandidacy {{ {CANDIDACY_FIELDS} }} }}"),
            json!({}),
        )
        .await;
    let c = data(&r)["myCandidacy"].clone();
    assert!(c.is_object(), "no candidacy: {r}");
    c
}

/// Staff record a candidate fee; returns the payload.
pub async fn pay_application(
    app: &TestApp,
    staff: &str,
    application_id: &str,
    cents: i64,
) -> Value {
    let r = app
        .gql_as(
            staff,
            "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { \
             payment { id kind amountCents method reference paidOn receiptNumber } \
             userErrors { field message code } } }",
            json!({ "input": {
                "applicationId": application_id,
                "amountCents": cents,
                "method": "CHECK",
                "reference": "CHK-1001",
                "paidOn": day(app.services.today()),
            } }),
        )
        .await;
    data(&r)["recordPayment"].clone()
}

/// A new user who applied with `input`, was found eligible and paid in full: a
/// candidate.
pub async fn candidate_with(app: &TestApp, officer: &User, email: &str, input: Value) -> Candidate {
    let name = input["givenName"]
        .as_str()
        .unwrap_or("Candidate")
        .to_owned();
    let user = app.signed_up_user(email, &name).await;
    let applied = apply(app, &user.token, input).await;
    assert_eq!(applied["status"], json!("ELIGIBLE"), "{applied}");
    let application_id = applied["id"].as_str().unwrap().to_owned();
    let fee = applied["feeCents"].as_i64().unwrap();
    let paid = pay_application(app, &officer.token, &application_id, fee).await;
    assert_eq!(user_error_codes(&paid), Vec::<String>::new(), "{paid}");
    let r = application(app, &user.token, &application_id).await;
    let application = &data(&r)["application"];
    assert_eq!(application["status"], json!("ACCEPTED"), "{r}");
    let candidacy_id = application["candidacy"]["id"].as_str().unwrap().to_owned();
    Candidate {
        user,
        application_id,
        candidacy_id,
    }
}

/// A candidate with the default application.
pub async fn candidate(
    app: &TestApp,
    officer: &User,
    email: &str,
    given: &str,
    family: &str,
) -> Candidate {
    let input = application_input(app, given, family);
    candidate_with(app, officer, email, input).await
}

/// A user who registers a provider organisation with `createProvider`.
pub async fn provider(app: &TestApp, email: &str, name: &str) -> Provider {
    let member = app.signed_up_user(email, "Pat Provider").await;
    let r = app
        .gql_as(
            &member.token,
            "mutation($input: ProviderInput!) { createProvider(input: $input) { \
             provider { id name } userErrors { field message code } } }",
            json!({ "input": {
                "name": name,
                "kind": "LIBRARY_SCHOOL",
                "addressLine1": "100 College Ave",
                "city": "Urbana",
                "state": "IL",
                "postalCode": "61801",
                "contactName": "Pat Provider",
                "contactEmail": email,
            } }),
        )
        .await;
    let payload = ok_payload(&r, "createProvider");
    Provider {
        id: payload["provider"]["id"].as_str().unwrap().to_owned(),
        member,
    }
}

/// A course for `set_code` taken through the whole approval: a draft mapping every
/// competency of the set, submitted, its fee paid, and approved by the officer (today).
/// Returns the course's id.
pub async fn approved_course(
    app: &TestApp,
    officer: &User,
    provider: &Provider,
    set_code: &str,
) -> String {
    let r = app
        .gql(
            "query($code: String!) { competencySet(code: $code) { competencies { number } } }",
            json!({ "code": set_code }),
        )
        .await;
    let coverage: Vec<Value> = data(&r)["competencySet"]["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!({ "competencyNumber": c["number"], "content": format!("Unit {}", c["number"]) }))
        .collect();
    assert!(!coverage.is_empty(), "{r}");
    let token = &provider.member.token;
    let curriculum = app
        .upload_pdf(
            token,
            "COURSE_CURRICULUM",
            &format!("curriculum-{set_code}"),
        )
        .await;
    let r = app
        .gql_as(
            token,
            "mutation($input: SaveCourseDraftInput!) { saveCourseDraft(input: $input) { \
             submission { id course { id } } userErrors { field message code } } }",
            json!({ "input": {
                "providerId": provider.id,
                "setCode": set_code,
                "title": format!("{set_code} for library support staff"),
                "description": "Six weeks, every competency of the set.",
                "format": "MULTI_WEEK_COURSE",
                "delivery": "ONLINE",
                "timing": "ASYNCHRONOUS",
                "duration": "6 weeks",
                "durationHours": 30,
                "curriculumDocumentId": curriculum,
                "instructors": [{ "name": "Dr. Ines Instructor", "qualifications": "MLIS, 20 years" }],
                "assessmentMethod": "Graded assignments and a final project",
                "coverage": coverage,
            } }),
        )
        .await;
    let draft = ok_payload(&r, "saveCourseDraft");
    let submission_id = draft["submission"]["id"].as_str().unwrap().to_owned();
    let course_id = draft["submission"]["course"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .gql_as(
            token,
            "mutation($input: SubmitCourseInput!) { submitCourse(input: $input) { \
             submission { id status feeCents } userErrors { field message code } } }",
            json!({ "input": { "submissionId": submission_id } }),
        )
        .await;
    let fee = ok_payload(&r, "submitCourse")["submission"]["feeCents"]
        .as_i64()
        .unwrap();
    let r = app
        .gql_as(
            &officer.token,
            "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { \
             payment { id } userErrors { field message code } } }",
            json!({ "input": {
                "courseSubmissionId": submission_id,
                "amountCents": fee,
                "method": "BANK_TRANSFER",
                "paidOn": day(app.services.today()),
            } }),
        )
        .await;
    ok_payload(&r, "recordPayment");
    let r = app
        .gql_as(
            &officer.token,
            "mutation($input: DecideCourseInput!) { decideCourse(input: $input) { \
             submission { id status } userErrors { field message code } } }",
            json!({ "input": {
                "submissionId": submission_id,
                "decision": "APPROVE",
                "reasons": "Covers the whole set.",
            } }),
        )
        .await;
    let decided = ok_payload(&r, "decideCourse");
    assert_eq!(decided["submission"]["status"], json!("APPROVED"), "{r}");
    course_id
}

/// Approved courses for `sets`, by set code, all from one new provider.
pub async fn approved_courses(
    app: &TestApp,
    officer: &User,
    sets: &[&str],
) -> Vec<(String, String)> {
    let provider = provider(app, "courses@provider.example", "Prairie Library School").await;
    let mut out = Vec::new();
    for set in sets {
        out.push((
            (*set).to_owned(),
            approved_course(app, officer, &provider, set).await,
        ));
    }
    out
}

/// Uploads an official completion document and submits it as evidence of completing
/// `course_id` on `completed_on`; returns the payload.
pub async fn submit_completion(
    app: &TestApp,
    token: &str,
    course_id: &str,
    completed_on: NaiveDate,
) -> Value {
    let document = app
        .upload_pdf(
            token,
            "COURSE_COMPLETION",
            &format!("completion-{course_id}"),
        )
        .await;
    let r = app
        .gql_as(
            token,
            &format!(
                "mutation($input: SubmitCourseCompletionInput!) {{ \
                 submitCourseCompletion(input: $input) {{ {COMPLETION_FIELDS} }} }}"
            ),
            json!({ "input": {
                "courseId": course_id,
                "completedOn": day(completed_on),
                "documentId": document,
            } }),
        )
        .await;
    data(&r)["submitCourseCompletion"].clone()
}

/// Staff verify evidence; returns the payload.
pub async fn verify_completion(app: &TestApp, staff: &str, completion_id: &str) -> Value {
    let r = app
        .gql_as(
            staff,
            &format!(
                "mutation($input: VerifyCourseCompletionInput!) {{ \
                 verifyCourseCompletion(input: $input) {{ {COMPLETION_FIELDS} }} }}"
            ),
            json!({ "input": { "completionId": completion_id } }),
        )
        .await;
    data(&r)["verifyCourseCompletion"].clone()
}

/// Staff reject evidence with `reason`; returns the payload.
pub async fn reject_completion(
    app: &TestApp,
    staff: &str,
    completion_id: &str,
    reason: &str,
) -> Value {
    let r = app
        .gql_as(
            staff,
            &format!(
                "mutation($input: RejectCourseCompletionInput!) {{ \
                 rejectCourseCompletion(input: $input) {{ {COMPLETION_FIELDS} }} }}"
            ),
            json!({ "input": { "completionId": completion_id, "reason": reason } }),
        )
        .await;
    data(&r)["rejectCourseCompletion"].clone()
}

/// Submits evidence for `course_id` completed today and has `staff` verify it; returns
/// the verification payload.
pub async fn achieve(app: &TestApp, candidate: &str, staff: &str, course_id: &str) -> Value {
    let submitted = submit_completion(app, candidate, course_id, app.services.today()).await;
    assert_eq!(
        user_error_codes(&submitted),
        Vec::<String>::new(),
        "{submitted}"
    );
    let id = submitted["completion"]["id"].as_str().unwrap().to_owned();
    let verified = verify_completion(app, staff, &id).await;
    assert_eq!(
        user_error_codes(&verified),
        Vec::<String>::new(),
        "{verified}"
    );
    verified
}

/// `GET path` with `token` as bearer: status and body.
pub async fn get_as(app: &TestApp, token: &str, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// Runs one operation anonymously with `user_agent`, as a grantee's browser would.
pub async fn gql_from_browser(
    app: &TestApp,
    user_agent: &str,
    query: &str,
    variables: Value,
) -> Value {
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("user-agent", user_agent)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

/// Moves the clock forward to `date`, keeping the time of day.
pub fn advance_to(app: &TestApp, date: NaiveDate) {
    let today = app.services.today();
    assert!(
        date >= today,
        "the clock only moves forward: {today} → {date}"
    );
    app.advance(chrono::Duration::days((date - today).num_days()));
}

/// Pushes sweeps on the system's real queue, as its cron schedule does.
pub struct Sweeps {
    queue: infra::JobQueue,
}

impl Sweeps {
    /// A handle on `app`'s queue (the same backend and namespace as its workers').
    pub async fn connect(app: &TestApp) -> Self {
        let settings = settings_of(&app.config);
        Self {
            queue: infra::JobQueue::connect(&settings).await.unwrap(),
        }
    }

    /// Queues `sweep` to run now.
    pub async fn push(&self, sweep: domain::jobs::Sweep) {
        self.queue.push_sweep(sweep).await.unwrap();
    }
}

/// The settings of `config`'s system, for a second process-local handle on it.
fn settings_of(config: &AppConfig) -> infra::Settings {
    let mut settings = infra::Settings::embedded(config.data_dir.clone());
    settings.database_url = config.database_url.clone();
    settings.redis_url = config.redis_url.clone();
    settings.queue_prefix = config.queue_prefix.clone();
    settings.smtp_url = Some(config.smtp_url.clone());
    settings.programme_config = config.programme_config.clone();
    settings.migrate_on_start = false;
    settings.port = 0;
    settings
}

/// A second API on the same database and queue as a `TestApp`, whose database connection
/// reports every SQL statement it runs. Statements are recorded only inside
/// [`CountingApi::counted`], so nothing else (its start-up, the test's own setup) counts.
pub struct CountingApi {
    pub addr: SocketAddr,
    /// This API's own services, with its own session cache.
    pub services: domain::Context,
    recording: Arc<AtomicBool>,
    statements: Arc<Mutex<Vec<String>>>,
    shutdown: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

impl CountingApi {
    /// Looks every session up in the database, as an API does on SQLite.
    pub async fn start(app: &TestApp) -> Self {
        Self::start_with(app, false).await
    }

    /// Keeps sessions in memory where the database can say when they change (PostgreSQL),
    /// as a production API does; returns once it is listening for those changes.
    pub async fn start_keeping_sessions(app: &TestApp) -> Self {
        Self::start_with(app, true).await
    }

    async fn start_with(app: &TestApp, keep_sessions: bool) -> Self {
        let settings = settings_of(&app.config);
        let clock: domain::clock::SharedClock = app.clock.clone();
        let (mut services, queue) = lsscp::connect(&settings, clock).await.unwrap();
        let recording = Arc::new(AtomicBool::new(false));
        let statements = Arc::new(Mutex::new(Vec::new()));
        {
            let recording = recording.clone();
            let statements = statements.clone();
            services.db.set_metric_callback(move |info| {
                if recording.load(Ordering::SeqCst) {
                    statements.lock().unwrap().push(info.statement.sql.clone());
                }
            });
        }
        let limits = api::graphql::Limits {
            max_depth: 15,
            max_complexity: infra::settings::DEFAULT_MAX_COMPLEXITY,
            introspection: true,
        };
        let (shutdown, stop) = tokio::sync::watch::channel(false);
        if keep_sessions && infra::session_events::spawn(&services, stop.clone()).is_some() {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
            while !services.sessions().is_listening() {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the session listener did not start within 10 s"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
        let edge = api::edge::Edge::new(
            infra::settings::EdgeSettings::default(),
            "http://api.lsscp.test",
            services.config.documents.max_bytes,
        )
        .unwrap();
        let state = api::AppState::new(services.clone(), queue, limits, edge);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(api::serve(listener, state, stop));
        Self {
            addr,
            services,
            recording,
            statements,
            shutdown,
            server,
        }
    }

    /// Runs one operation as `token` against this API; returns the response and the SQL
    /// statements run while it was answered.
    pub async fn counted(
        &self,
        http: &reqwest::Client,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (Value, Vec<String>) {
        self.statements.lock().unwrap().clear();
        self.recording.store(true, Ordering::SeqCst);
        let response = http
            .post(format!("http://{}/graphql", self.addr))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        self.recording.store(false, Ordering::SeqCst);
        assert_eq!(status, 200, "{body}");
        let statements = std::mem::take(&mut *self.statements.lock().unwrap());
        (body, statements)
    }

    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
    }
}

/// Creates `n` candidates directly through the domain services, as cheaply as possible:
/// accounts inserted already verified (they never sign in), then each applies, is found
/// eligible and has the fee recorded by `officer`. Every second one sends in evidence for
/// `course_id`, every fourth has it verified, every third has an extension and every fifth
/// starts a portfolio, so that each relation a progress page reads has rows.
/// Returns the candidacies' ids and how many achievements were recorded.
pub async fn seed_candidates(
    app: &TestApp,
    officer: &User,
    n: usize,
    course_id: i64,
) -> (Vec<i64>, usize) {
    use domain::services::{applications, candidacies, documents, evidence, payments, portfolios};
    use entity::{account, education_entry::EducationLevel, work_history_entry::LibraryType};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let ctx = &app.services;
    let staff = officer_actor(officer);
    let today = ctx.today();
    let mut candidacies_out = Vec::with_capacity(n);
    let mut achieved = 0;
    for i in 0..n {
        let now = ctx.now();
        let account = account::ActiveModel {
            email: Set(format!("bulk{i}@candidates.example")),
            password_hash: Set("not a password hash: this account never signs in".to_owned()),
            display_name: Set(format!("Bulk {i}")),
            email_verified_at: Set(Some(now)),
            password_changed_at: Set(now),
            disabled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap();
        let me = Actor::Account(Viewer {
            account_id: account.id,
            session_id: None,
            roles: vec![],
        });
        let input = applications::ApplicationInput {
            given_name: format!("Bulk{i}"),
            family_name: format!("Candidate{i:02}"),
            email: None,
            phone: None,
            address_line1: "2 Stack Street".to_owned(),
            address_line2: None,
            city: "Madison".to_owned(),
            state: if i % 2 == 0 { "WI" } else { "IL" }.to_owned(),
            postal_code: "53703".to_owned(),
            country: None,
            employer_name: Some("Madison Public Library".to_owned()),
            ala_member: i % 3 == 0,
            ala_member_number: None,
            marketing_source: Some(entity::application::MarketingSource::Colleague),
            marketing_source_detail: None,
            consent_publish_name: false,
            consent_award_notice: false,
            employer_notice_email: None,
            state_library_name: None,
            state_library_notice_email: None,
            work: vec![
                applications::WorkInput {
                    library_name: "Madison Public Library".to_owned(),
                    library_type: LibraryType::Public,
                    position_title: None,
                    paid: true,
                    started_on: months_from(today, -30),
                    ended_on: Some(months_from(today, -6)),
                    hours: 1500,
                },
                applications::WorkInput {
                    library_name: "UW Library".to_owned(),
                    library_type: LibraryType::Academic,
                    position_title: None,
                    paid: false,
                    started_on: months_from(today, -5),
                    ended_on: None,
                    hours: 500,
                },
            ],
            education: vec![applications::EducationInput {
                level: EducationLevel::Associate,
                institution: None,
                country: None,
                completed_on: None,
            }],
        };
        let saved = applications::save(ctx, &me, input).await.unwrap();
        let submitted = applications::submit(ctx, &me, saved.application.id)
            .await
            .unwrap();
        payments::record(
            ctx,
            &staff,
            payments::PaymentInput {
                paid_for: payments::PaymentFor::Application(submitted.application.id),
                amount_cents: submitted.application.fee_cents.unwrap(),
                method: entity::payment::PaymentMethod::Card,
                reference: None,
                paid_on: today,
            },
        )
        .await
        .unwrap();
        let candidacy = evidence::own_candidacy(&ctx.db, &me).await.unwrap();
        if i % 2 == 0 {
            let doc = documents::upload(
                ctx,
                &me,
                documents::Upload {
                    purpose: entity::document::DocumentPurpose::CourseCompletion,
                    filename: format!("bulk{i}.pdf"),
                    content_type: Some("application/pdf".to_owned()),
                    bytes: pdf_bytes(&format!("bulk {i}")).into(),
                },
            )
            .await
            .unwrap();
            let completion = evidence::submit(ctx, &me, course_id, today, doc.id)
                .await
                .unwrap();
            if i % 4 == 0 {
                evidence::verify(ctx, &staff, completion.id).await.unwrap();
                achieved += 1;
            }
        }
        if i % 3 == 0 {
            candidacies::extend_deadline(
                ctx,
                &staff,
                candidacy.id,
                candidacy.deadline_on + chrono::Duration::days(90),
                "Parental leave",
            )
            .await
            .unwrap();
        }
        if i % 5 == 0 {
            portfolios::start(ctx, &me, "YOUTH_SERVICES").await.unwrap();
        }
        candidacies_out.push(candidacy.id);
    }
    (candidacies_out, achieved)
}
