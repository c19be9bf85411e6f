//! Providers and courses as the API meets them: a provider with its members and contact
//! address, course drafts (complete, or missing competencies), submissions, staff recording
//! the fee, the CRC's decisions; and the programme's calendar: moving to a day, and running
//! a scheduled sweep through the real queue as the cron would, then waiting until it has run.

use super::app::{APP_URL, TestApp};
use super::graphql::{User, data, user_error_codes};
use super::smtp::WAIT;
use chrono::{NaiveDate, NaiveTime};
use domain::jobs::{SWEEP_QUEUE, Sweep};
use entity::notification::{self, NotificationStatus};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::Duration;

/// What tests read of a submission.
pub const SUBMISSION: &str = "id kind revision status title feeCents paidCents \
                              decisions { decision reasons } course { id status }";

/// What tests read of a course.
pub const COURSE: &str = "id title status \
                          submissions { id kind revision status title feeCents decisions { decision reasons } } \
                          approvals { startsOn expiresOn submissionId } \
                          currentApproval { startsOn expiresOn submissionId }";

/// A provider organisation and the member who registered it.
#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    /// The contact address: not an account, but told of every decision.
    pub contact_email: String,
    pub member: User,
}

/// A course draft as a provider fills it in.
#[derive(Debug, Clone)]
pub struct Draft {
    pub set_code: String,
    pub title: String,
    pub description: String,
    pub delivery: &'static str,
    pub timing: &'static str,
    /// The competency numbers mapped to the content that teaches them.
    pub coverage: Vec<i64>,
    /// An uploaded `COURSE_CURRICULUM` document.
    pub curriculum: Option<String>,
    pub instructors: bool,
}

impl Draft {
    /// The `SaveCourseDraftInput` for a new course of `provider_id` or, with `course_id`, for
    /// that course's draft, revision or re-approval.
    pub fn input(&self, provider_id: Option<&str>, course_id: Option<&str>) -> Value {
        let instructors = if self.instructors {
            json!([{ "name": "Ida Instructor", "qualifications": "MLIS; twelve years in public libraries." }])
        } else {
            json!([])
        };
        json!({
            "providerId": provider_id,
            "courseId": course_id,
            "setCode": self.set_code,
            "title": self.title,
            "description": self.description,
            "format": "MULTI_WEEK_COURSE",
            "delivery": self.delivery,
            "timing": self.timing,
            "duration": "6 weeks",
            "durationHours": 24,
            "curriculumDocumentId": self.curriculum,
            "instructors": instructors,
            "assessmentMethod": "A graded project and a final quiz.",
            "coverage": self
                .coverage
                .iter()
                .map(|n| json!({ "competencyNumber": n, "content": format!("Module {n}") }))
                .collect::<Vec<_>>(),
        })
    }
}

/// A course with its latest submission.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub course_id: String,
    pub submission_id: String,
    pub fee_cents: i64,
}

/// The payload of `field` in a mutation response that must have neither top-level errors nor
/// `userErrors`.
pub fn ok_payload<'a>(response: &'a Value, field: &str) -> &'a Value {
    let payload = &data(response)[field];
    assert_eq!(
        user_error_codes(payload),
        Vec::<String>::new(),
        "{field}: {response}"
    );
    payload
}

/// A `NaiveDate` field of a response.
pub fn date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a date: {value}"))
}

/// A signed-up user who registers provider `name` in `state`, with the contact address
/// `courses@<slug>.example`.
pub async fn new_provider(app: &TestApp, slug: &str, name: &str, state: &str) -> Provider {
    let member = app
        .signed_up_user(
            &format!("{slug}-member@example.org"),
            &format!("{name} Member"),
        )
        .await;
    let contact_email = format!("courses@{slug}.example");
    let r = app
        .gql_as(
            &member.token,
            "mutation($input: ProviderInput!) { createProvider(input: $input) { provider { id name state } userErrors { field message code } } }",
            json!({ "input": {
                "name": name,
                "kind": "LIBRARY_SCHOOL",
                "addressLine1": "1 Library Way",
                "city": "Springfield",
                "state": state,
                "postalCode": "62701",
                "contactName": "Casey Contact",
                "contactEmail": contact_email,
            } }),
        )
        .await;
    let id = ok_payload(&r, "createProvider")["provider"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Provider {
        id,
        contact_email,
        member,
    }
}

/// `inviteProviderMember` as `by`; the whole response.
pub async fn invite_provider_member(
    app: &TestApp,
    by: &str,
    provider_id: &str,
    email: &str,
) -> Value {
    app.gql_as(
        by,
        "mutation($input: InviteProviderMemberInput!) { inviteProviderMember(input: $input) { invitation { id email expiresAt } userErrors { field message code } } }",
        json!({ "input": { "providerId": provider_id, "email": email } }),
    )
    .await
}

/// How many invitation emails `email` has received so far.
pub fn invitations_to(app: &TestApp, email: &str) -> usize {
    let prefix = format!("{APP_URL}/provider-invitation?token=");
    app.smtp
        .count(|m| m.is_to(email) && m.text.contains(&prefix))
}

/// Waits for the `nth` (from 1) invitation email to `email` and returns its link's token.
pub async fn invitation_token(app: &TestApp, email: &str, nth: usize) -> String {
    let prefix = format!("{APP_URL}/provider-invitation?token=");
    let message = app
        .smtp
        .wait_for_count(
            &format!("invitation email {nth} to {email}"),
            nth,
            WAIT,
            |m| m.is_to(email) && m.text.contains(&prefix),
        )
        .await
        .swap_remove(nth - 1);
    message
        .link_token(&prefix)
        .unwrap_or_else(|| panic!("no token in: {}", message.text))
}

/// `acceptProviderInvitation` as `token`; the whole response.
pub async fn accept_provider_invitation(app: &TestApp, token: &str, invitation: &str) -> Value {
    app.gql_as(
        token,
        "mutation($input: AcceptProviderInvitationInput!) { acceptProviderInvitation(input: $input) { provider { id name } userErrors { field message code } } }",
        json!({ "input": { "token": invitation } }),
    )
    .await
}

/// Makes `member` a member of the provider the way people do: `by` invites their
/// address, and they accept with the token from the email.
pub async fn add_provider_member(app: &TestApp, by: &User, provider_id: &str, member: &User) {
    let before = invitations_to(app, &member.email);
    let r = invite_provider_member(app, &by.token, provider_id, &member.email).await;
    ok_payload(&r, "inviteProviderMember");
    let invitation = invitation_token(app, &member.email, before + 1).await;
    let r = accept_provider_invitation(app, &member.token, &invitation).await;
    ok_payload(&r, "acceptProviderInvitation");
}

/// The competency numbers of a set, from the public catalogue.
pub async fn competency_numbers(app: &TestApp, set_code: &str) -> Vec<i64> {
    let r = app
        .gql(
            "query($code: String!) { competencySet(code: $code) { competencies { number } } }",
            json!({ "code": set_code }),
        )
        .await;
    data(&r)["competencySet"]["competencies"]
        .as_array()
        .unwrap_or_else(|| panic!("no set {set_code}: {r}"))
        .iter()
        .map(|c| c["number"].as_i64().unwrap())
        .collect()
}

/// A draft that passes every check: every competency of the set mapped, a curriculum
/// uploaded by `member`, an instructor.
pub async fn complete_draft(app: &TestApp, member: &User, set_code: &str, title: &str) -> Draft {
    Draft {
        set_code: set_code.to_owned(),
        title: title.to_owned(),
        description: format!("{title}: lectures, readings and practice."),
        delivery: "ONLINE",
        timing: "ASYNCHRONOUS",
        coverage: competency_numbers(app, set_code).await,
        curriculum: Some(
            app.upload_pdf(&member.token, "COURSE_CURRICULUM", "curriculum")
                .await,
        ),
        instructors: true,
    }
}

/// `saveCourseDraft`; returns the whole response.
pub async fn save_course_draft(
    app: &TestApp,
    token: &str,
    draft: &Draft,
    provider_id: Option<&str>,
    course_id: Option<&str>,
) -> Value {
    app.gql_as(
        token,
        &format!("mutation($input: SaveCourseDraftInput!) {{ saveCourseDraft(input: $input) {{ submission {{ {SUBMISSION} }} userErrors {{ field message code }} }} }}"),
        json!({ "input": draft.input(provider_id, course_id) }),
    )
    .await
}

/// `submitCourse`; returns the whole response.
pub async fn submit_course(app: &TestApp, token: &str, submission_id: &str) -> Value {
    app.gql_as(
        token,
        &format!("mutation($input: SubmitCourseInput!) {{ submitCourse(input: $input) {{ submission {{ {SUBMISSION} }} userErrors {{ field message code }} }} }}"),
        json!({ "input": { "submissionId": submission_id } }),
    )
    .await
}

/// `decideCourse` (`APPROVE`, `REJECT`, `REQUEST_CHANGES`); returns the whole response.
pub async fn decide_course(
    app: &TestApp,
    token: &str,
    submission_id: &str,
    decision: &str,
    reasons: &str,
) -> Value {
    app.gql_as(
        token,
        &format!("mutation($input: DecideCourseInput!) {{ decideCourse(input: $input) {{ submission {{ {SUBMISSION} }} userErrors {{ field message code }} }} }}"),
        json!({ "input": { "submissionId": submission_id, "decision": decision, "reasons": reasons } }),
    )
    .await
}

/// Staff record a payment of `cents` towards a submission's fee, dated today; returns the
/// whole response.
pub async fn record_course_fee(
    app: &TestApp,
    token: &str,
    submission_id: &str,
    cents: i64,
) -> Value {
    app.gql_as(
        token,
        "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id amountCents receiptNumber } userErrors { field message code } } }",
        json!({ "input": {
            "courseSubmissionId": submission_id,
            "amountCents": cents,
            "method": "CHECK",
            "reference": "check 1042",
            "paidOn": today(app).to_string(),
        } }),
    )
    .await
}

/// `course(id:)` as `token`; returns the whole response.
pub async fn course_query(app: &TestApp, token: &str, course_id: &str) -> Value {
    app.gql_as(
        token,
        &format!("query($id: ID!) {{ course(id: $id) {{ {COURSE} }} }}"),
        json!({ "id": course_id }),
    )
    .await
}

/// Saves `draft` as a new course of `provider` and submits it.
pub async fn submitted_course(app: &TestApp, provider: &Provider, draft: &Draft) -> Submitted {
    let token = &provider.member.token;
    let saved = save_course_draft(app, token, draft, Some(&provider.id), None).await;
    let submission = &ok_payload(&saved, "saveCourseDraft")["submission"];
    let r = submit_course(app, token, submission["id"].as_str().unwrap()).await;
    let submitted = &ok_payload(&r, "submitCourse")["submission"];
    assert_eq!(submitted["status"], json!("SUBMITTED"), "{r}");
    Submitted {
        course_id: submitted["course"]["id"].as_str().unwrap().to_owned(),
        submission_id: submitted["id"].as_str().unwrap().to_owned(),
        fee_cents: submitted["feeCents"].as_i64().unwrap(),
    }
}

/// Staff record the whole fee of a submission and the CRC approves it.
pub async fn pay_and_approve(app: &TestApp, staff: &User, crc: &User, submission: &Submitted) {
    let paid = record_course_fee(
        app,
        &staff.token,
        &submission.submission_id,
        submission.fee_cents,
    )
    .await;
    ok_payload(&paid, "recordPayment");
    let approved = decide_course(
        app,
        &crc.token,
        &submission.submission_id,
        "APPROVE",
        "Teaches the whole set.",
    )
    .await;
    let decided = &ok_payload(&approved, "decideCourse")["submission"];
    assert_eq!(decided["status"], json!("APPROVED"), "{approved}");
}

/// Saves, submits, pays for and approves a new course of `provider`.
pub async fn approved_course(
    app: &TestApp,
    provider: &Provider,
    staff: &User,
    crc: &User,
    draft: &Draft,
) -> Submitted {
    let submitted = submitted_course(app, provider, draft).await;
    pay_and_approve(app, staff, crc, &submitted).await;
    submitted
}

/// Signs `user` in again: sessions end while the calendar moves years ahead.
pub async fn signed_in_again(app: &TestApp, user: &User) -> User {
    User {
        token: app.token_for(&user.email, super::graphql::PASSWORD).await,
        ..user.clone()
    }
}

/// Today, as the system sees it.
pub fn today(app: &TestApp) -> NaiveDate {
    app.services.today()
}

/// Moves the system's calendar forward to noon (UTC) on `day`, once every email written
/// so far has been sent: a jump of months must not find a send in flight (it would look
/// abandoned). Noon, so that the test's dates hold even if it runs across midnight.
pub async fn set_today(app: &TestApp, day: NaiveDate) {
    assert!(
        day >= today(app),
        "the calendar only moves forward: {day} < {}",
        today(app)
    );
    wait_until_outbox_is_sent(app).await;
    let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
    app.clock.set(day.and_time(noon).and_utc());
    assert_eq!(today(app), day);
}

/// Waits until no email in the outbox is waiting or being sent: everything written so far
/// has reached the SMTP listener (or failed for good).
pub async fn wait_until_outbox_is_sent(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let unsent = notification::Entity::find()
            .filter(
                notification::Column::Status
                    .is_in([NotificationStatus::Pending, NotificationStatus::Sending]),
            )
            .count(app.db())
            .await
            .unwrap();
        if unsent == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {WAIT:?} waiting for {unsent} emails to be sent; the SMTP listener has {} messages",
            app.smtp.messages().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `sweep` as the cron does, by pushing it onto the sweeps queue, and waits until
/// the workers have run it: the sweeps queue holds no job waiting, running or failed.
pub async fn run_sweep(app: &TestApp, sweep: Sweep) {
    let mut settings = infra::Settings::embedded(app.config.data_dir.clone());
    settings.database_url = app.config.database_url.clone();
    settings.redis_url = app.config.redis_url.clone();
    settings.queue_prefix = app.config.queue_prefix.clone();
    let queue = infra::JobQueue::connect(&settings).await.unwrap();
    queue.push_sweep(sweep).await.unwrap();
    let queue_name = queue.queue_name(SWEEP_QUEUE);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let unfinished = match &settings.redis_url {
            Some(url) => redis_unfinished(url, &queue_name).await,
            None => sqlite_unfinished(&settings.embedded_queue_path(), &queue_name).await,
        };
        if unfinished == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {WAIT:?} waiting for the {sweep:?} sweep to run: {unfinished} sweep jobs unfinished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Jobs of the embedded queue `queue` not yet done. A failed job fails the test with the
/// job's error.
async fn sqlite_unfinished(path: &std::path::Path, queue: &str) -> usize {
    use sea_orm::sqlx::{self, Connection as _, SqliteConnection};
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .unwrap();
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT status, last_result FROM Jobs WHERE job_type = ?1 AND status NOT IN ('Done', 'Killed')",
    )
    .bind(queue)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let _ = conn.close().await;
    if let Some((_, error)) = rows.iter().find(|(status, _)| status == "Failed") {
        panic!("a job of {queue} failed: {error:?}");
    }
    rows.len()
}

/// Jobs of the Redis queue `queue` waiting (`active`), being run (`inflight`, per worker) or
/// waiting for a retry after a failure (`scheduled`). A job given up on (`dead`) fails the
/// test.
async fn redis_unfinished(url: &str, queue: &str) -> usize {
    let mut conn = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let dead: usize = redis::cmd("SCARD")
        .arg(format!("{queue}:dead"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(dead, 0, "a job of {queue} failed for good");
    let active: usize = redis::cmd("LLEN")
        .arg(format!("{queue}:active"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let retrying: usize = redis::cmd("ZCARD")
        .arg(format!("{queue}:scheduled"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut inflight = 0;
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{queue}:inflight*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .unwrap();
        for key in keys {
            let n: usize = redis::cmd("SCARD")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap();
            inflight += n;
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    active + retrying + inflight
}
