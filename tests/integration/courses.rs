//! Providers and courses: submissions checked against the whole competency set, fees from
//! the provider's history, the CRC's decisions, three-year approvals, re-approval without a
//! gap, reminders and expiry run by the sweep from the real queue, the approved-on-date
//! question, the public lists, and who may see what. Emails are read at the SMTP listener.

use crate::support::courses::{
    Draft, Provider, Submitted, add_provider_member, approved_course, complete_draft, course_query,
    date, decide_course, new_provider, ok_payload, pay_and_approve, record_course_fee, run_sweep,
    save_course_draft, set_today, signed_in_again, submit_course, submitted_course, today,
    wait_until_outbox_is_sent,
};
use crate::support::graphql::User;
use crate::support::{Received, TestApp, data, error_code, user_error_codes};
use chrono::{Days, Months, NaiveDate};
use domain::jobs::Sweep;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// An officer (staff: records payments) and a CRC member (decides courses).
async fn staff_and_crc(app: &TestApp) -> (User, User) {
    let officer = app.officer("officer@example.org").await;
    let crc = app
        .user_with_role(&officer, "crc@example.org", "Cora Committee", "CRC_MEMBER")
        .await;
    (officer, crc)
}

/// Everyone a provider's course emails go to: its contact address and its members.
fn recipients(provider: &Provider, more_members: &[&User]) -> Vec<String> {
    let mut all = vec![
        provider.contact_email.clone(),
        provider.member.email.clone(),
    ];
    all.extend(more_members.iter().map(|u| u.email.clone()));
    all
}

/// Waits for an email whose subject is `subject` at each of `to`, then, once everything
/// written so far has been sent, checks each received exactly one. Returns them.
async fn each_emailed_once(app: &TestApp, to: &[String], subject: &str) -> Vec<Received> {
    let mut received = Vec::new();
    for address in to {
        received.push(
            app.smtp
                .wait_for(&format!("“{subject}” to {address}"), |m| {
                    m.is_to(address) && m.subject == subject
                })
                .await,
        );
    }
    wait_until_outbox_is_sent(app).await;
    for address in to {
        assert_eq!(
            app.smtp.count(|m| m.is_to(address) && m.subject == subject),
            1,
            "“{subject}” to {address}"
        );
    }
    received
}

/// How many emails with `subject` the SMTP listener has received, once everything written
/// so far has been sent.
async fn emails_with_subject(app: &TestApp, subject: &str) -> usize {
    wait_until_outbox_is_sent(app).await;
    app.smtp.count(|m| m.subject == subject)
}

/// The numbers a message names, in order.
fn numbers_in(message: &str) -> Vec<i64> {
    message
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

fn three_years_after(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(36)).unwrap()
}

/// `courseApprovedOn`, asked without signing in.
async fn approved_on(app: &TestApp, course_id: &str, set_code: &str, day: NaiveDate) -> bool {
    let r = app
        .gql(
            "query($id: ID!, $set: String!, $date: NaiveDate!) { courseApprovedOn(courseId: $id, setCode: $set, date: $date) }",
            json!({ "id": course_id, "set": set_code, "date": day.to_string() }),
        )
        .await;
    data(&r)["courseApprovedOn"].as_bool().unwrap()
}

const APPROVED_FIELDS: &str = "id title description format delivery timing duration competencySet { code } \
     provider { id name kind city state country website } approval { startsOn expiresOn submissionId } __typename";

/// The public list, without signing in, with `filter`.
///
/// Asked twice: with plain fields, which the API answers directly, and through a
/// fragment, which goes through the GraphQL executor; the two must agree (issue 7).
async fn approved_courses(app: &TestApp, filter: Value) -> Vec<Value> {
    let plain = format!(
        "query($filter: ApprovedCourseFilter) {{ approvedCourses(filter: $filter, first: 100) {{ nodes {{ {APPROVED_FIELDS} }} }} }}"
    );
    let spread = format!(
        "query($filter: ApprovedCourseFilter) {{ approvedCourses(filter: $filter, first: 100) {{ nodes {{ ...Line }} }} }} \
         fragment Line on ApprovedCourse {{ {APPROVED_FIELDS} }}"
    );
    let r = app.gql(&plain, json!({ "filter": filter })).await;
    let through_executor = app.gql(&spread, json!({ "filter": filter })).await;
    let nodes = data(&r)["approvedCourses"]["nodes"].clone();
    assert_eq!(
        nodes,
        data(&through_executor)["approvedCourses"]["nodes"],
        "the same list however it is asked"
    );
    nodes.as_array().unwrap().clone()
}

/// The titles in the public list with `filter`.
async fn approved_titles(app: &TestApp, filter: Value) -> BTreeSet<String> {
    approved_courses(app, filter)
        .await
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect()
}

/// The names of the public list of providers, in `state` if given.
async fn approved_provider_names(app: &TestApp, state: Option<&str>) -> BTreeSet<String> {
    let r = app
        .gql(
            "query($state: String) { approvedProviders(state: $state, first: 100) { nodes { name state } } }",
            json!({ "state": state }),
        )
        .await;
    data(&r)["approvedProviders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

fn set_of(titles: &[&str]) -> BTreeSet<String> {
    titles.iter().map(|t| (*t).to_owned()).collect()
}

/// `course(id:)` as `user`, which must succeed.
async fn course_as(app: &TestApp, user: &User, course_id: &str) -> Value {
    let r = course_query(app, &user.token, course_id).await;
    data(&r)["course"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_submission_missing_one_competency_is_refused_with_its_number_and_drafts_save_incomplete()
{
    let app = TestApp::start().await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let token = &provider.member.token;
    let complete = complete_draft(
        &app,
        &provider.member,
        "TECHNOLOGY",
        "Library Technology Essentials",
    )
    .await;
    assert!(complete.coverage.contains(&7), "{:?}", complete.coverage);

    // A draft saves with next to nothing in it, and stays a draft without a fee.
    let bare = Draft {
        description: String::new(),
        coverage: Vec::new(),
        curriculum: None,
        instructors: false,
        ..complete.clone()
    };
    let r = save_course_draft(&app, token, &bare, Some(&provider.id), None).await;
    let draft = ok_payload(&r, "saveCourseDraft")["submission"].clone();
    assert_eq!(draft["status"], json!("DRAFT"));
    assert_eq!(draft["kind"], json!("INITIAL"));
    assert_eq!(draft["revision"], json!(1));
    assert_eq!(draft["feeCents"], Value::Null);
    assert_eq!(draft["course"]["status"], json!("DRAFT"));
    let course_id = draft["course"]["id"].as_str().unwrap().to_owned();
    let submission_id = draft["id"].as_str().unwrap().to_owned();

    // Submitting it lists every problem, every competency of the set among them.
    let r = submit_course(&app, token, &submission_id).await;
    let payload = &data(&r)["submitCourse"];
    assert_eq!(payload["submission"], Value::Null, "{r}");
    let codes = user_error_codes(payload);
    assert!(codes.contains(&"MISSING_COMPETENCIES".to_owned()), "{r}");
    assert!(codes.contains(&"REQUIRED".to_owned()), "{r}");
    let missing = payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == json!("MISSING_COMPETENCIES"))
        .unwrap();
    assert_eq!(
        numbers_in(missing["message"].as_str().unwrap()),
        (1..=13).collect::<Vec<_>>(),
        "{missing}"
    );

    // Everything but competency 7: refused, naming 7 and only 7.
    let mut without_seven = complete.clone();
    without_seven.coverage.retain(|&n| n != 7);
    let r = save_course_draft(&app, token, &without_seven, None, Some(&course_id)).await;
    let saved = &ok_payload(&r, "saveCourseDraft")["submission"];
    assert_eq!(
        saved["id"],
        json!(submission_id),
        "the same draft is edited"
    );
    let r = submit_course(&app, token, &submission_id).await;
    let payload = &data(&r)["submitCourse"];
    assert_eq!(user_error_codes(payload), ["MISSING_COMPETENCIES"], "{r}");
    let error = &payload["userErrors"][0];
    assert_eq!(error["field"], json!("coverage"));
    let message = error["message"].as_str().unwrap();
    assert_eq!(numbers_in(message), [7], "{message}");
    assert!(message.contains("competency 7 of"), "{message}");
    assert_eq!(payload["submission"], Value::Null);
    let course = course_as(&app, &provider.member, &course_id).await;
    assert_eq!(course["status"], json!("DRAFT"));
    assert_eq!(course["submissions"].as_array().map(Vec::len), Some(1));
    assert_eq!(course["submissions"][0]["status"], json!("DRAFT"));
    assert_eq!(course["submissions"][0]["feeCents"], Value::Null);

    // Complete, the same draft is submitted, with its fee, and the provider is told.
    let r = save_course_draft(&app, token, &complete, None, Some(&course_id)).await;
    ok_payload(&r, "saveCourseDraft");
    let r = submit_course(&app, token, &submission_id).await;
    let submitted = &ok_payload(&r, "submitCourse")["submission"];
    assert_eq!(submitted["id"], json!(submission_id));
    assert_eq!(submitted["status"], json!("SUBMITTED"));
    assert_eq!(submitted["feeCents"], json!(10_000));
    assert_eq!(submitted["course"]["status"], json!("IN_REVIEW"));
    let received = each_emailed_once(
        &app,
        &recipients(&provider, &[]),
        "Received: “Library Technology Essentials” for approval",
    )
    .await;
    assert!(
        received[0].text.contains("The approval fee is $100.00"),
        "{}",
        received[0].text
    );

    // Once submitted it is no longer a draft.
    let r = submit_course(&app, token, &submission_id).await;
    assert_eq!(user_error_codes(&data(&r)["submitCourse"]), ["NOT_A_DRAFT"]);
    app.stop().await;
}

/// Submits `n` new courses of `provider`; a draft first (never submitted, so not counted).
async fn submit_courses(app: &TestApp, provider: &Provider, n: usize) -> Vec<Submitted> {
    let never = complete_draft(app, &provider.member, "TECHNOLOGY", "Never Submitted").await;
    let r = save_course_draft(
        app,
        &provider.member.token,
        &never,
        Some(&provider.id),
        None,
    )
    .await;
    ok_payload(&r, "saveCourseDraft");
    let mut out = Vec::new();
    for i in 1..=n {
        let draft =
            complete_draft(app, &provider.member, "FOUNDATIONS", &format!("Course {i}")).await;
        out.push(submitted_course(app, provider, &draft).await);
    }
    out
}

/// Saves and submits a re-approval of `course_id`; returns the submitted submission.
async fn submit_reapproval(
    app: &TestApp,
    provider: &Provider,
    course_id: &str,
    title: &str,
) -> Value {
    let token = &provider.member.token;
    let draft = complete_draft(app, &provider.member, "FOUNDATIONS", title).await;
    let r = save_course_draft(app, token, &draft, None, Some(course_id)).await;
    let saved = ok_payload(&r, "saveCourseDraft")["submission"].clone();
    assert_eq!(saved["kind"], json!("REAPPROVAL"), "{r}");
    assert_eq!(saved["status"], json!("DRAFT"));
    assert_eq!(saved["feeCents"], Value::Null);
    let r = submit_course(app, token, saved["id"].as_str().unwrap()).await;
    ok_payload(&r, "submitCourse")["submission"].clone()
}

/// The text of the “Received” email to the provider's contact about `title`.
async fn received_email(app: &TestApp, provider: &Provider, title: &str) -> String {
    let subject = format!("Received: “{title}” for approval");
    app.smtp
        .wait_for(&subject, |m| {
            m.is_to(&provider.contact_email) && m.subject == subject
        })
        .await
        .text
}

#[tokio::test(flavor = "multi_thread")]
async fn a_providers_first_two_courses_cost_100_the_third_to_eleventh_50_and_a_reapproval_50() {
    let app = TestApp::start().await;
    let (officer, crc) = staff_and_crc(&app).await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;

    let courses = submit_courses(&app, &provider, 11).await;
    let fees: Vec<i64> = courses.iter().map(|c| c.fee_cents).collect();
    assert_eq!(
        [fees[0], fees[1], fees[2], fees[9], fees[10]],
        [10_000, 10_000, 5_000, 5_000, 5_000],
        "1st, 2nd, 3rd, 10th, 11th: {fees:?}"
    );
    assert_eq!(
        fees,
        [
            10_000, 10_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000
        ]
    );
    assert!(
        received_email(&app, &provider, "Course 2")
            .await
            .contains("The approval fee is $100.00")
    );
    assert!(
        received_email(&app, &provider, "Course 3")
            .await
            .contains("The approval fee is $50.00")
    );

    // Re-approving the first course costs $50, not its first-course $100.
    pay_and_approve(&app, &officer, &crc, &courses[0]).await;
    let reapproval = submit_reapproval(&app, &provider, &courses[0].course_id, "Course 1").await;
    assert_eq!(reapproval["kind"], json!("REAPPROVAL"));
    assert_eq!(reapproval["status"], json!("SUBMITTED"));
    assert_eq!(reapproval["feeCents"], json!(5_000));

    // The history is the provider's own: another provider's first course costs $100.
    let other = new_provider(&app, "cascade", "Cascade Library Consortium", "WA").await;
    let draft = complete_draft(&app, &other.member, "FOUNDATIONS", "Cascade Course 1").await;
    assert_eq!(
        submitted_course(&app, &other, &draft).await.fee_cents,
        10_000
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fee_beyond_the_tenth_course_and_for_a_reapproval_comes_from_the_programme_configuration()
 {
    let app = TestApp::builder()
        .programme("[fees]\ncourse_beyond_tenth_cents = 2500\ncourse_reapproval_cents = 7500\n")
        .start()
        .await;
    let (officer, crc) = staff_and_crc(&app).await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;

    let courses = submit_courses(&app, &provider, 11).await;
    let fees: Vec<i64> = courses.iter().map(|c| c.fee_cents).collect();
    assert_eq!(
        fees,
        [
            10_000, 10_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 2_500
        ]
    );
    assert!(
        received_email(&app, &provider, "Course 11")
            .await
            .contains("The approval fee is $25.00")
    );

    pay_and_approve(&app, &officer, &crc, &courses[10]).await;
    let reapproval = submit_reapproval(&app, &provider, &courses[10].course_id, "Course 11").await;
    assert_eq!(reapproval["feeCents"], json!(7_500));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_crc_approves_a_course_once_staff_have_recorded_its_whole_fee_and_the_provider_is_emailed()
 {
    let app = TestApp::start().await;
    let (officer, crc) = staff_and_crc(&app).await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let bob = app.signed_up_user("bob@example.org", "Bob Member").await;
    add_provider_member(&app, &provider.member, &provider.id, &bob).await;
    let to = recipients(&provider, &[&bob]);
    let title = "Library Technology Essentials";
    let draft = complete_draft(&app, &provider.member, "TECHNOLOGY", title).await;
    let submitted = submitted_course(&app, &provider, &draft).await;
    assert_eq!(submitted.fee_cents, 10_000);
    let id = submitted.submission_id.as_str();
    each_emailed_once(&app, &to, &format!("Received: “{title}” for approval")).await;

    // Unpaid, approval is refused.
    let r = decide_course(&app, &crc.token, id, "APPROVE", "Fine.").await;
    assert_eq!(
        user_error_codes(&data(&r)["decideCourse"]),
        ["FEE_UNPAID"],
        "{r}"
    );
    // Reasons are required.
    let r = decide_course(&app, &crc.token, id, "APPROVE", "   ").await;
    let payload = &data(&r)["decideCourse"];
    assert_eq!(user_error_codes(payload), ["REQUIRED"], "{r}");
    assert_eq!(payload["userErrors"][0]["field"], json!("reasons"));
    // Half the fee is not the fee.
    let r = record_course_fee(&app, &officer.token, id, 5_000).await;
    ok_payload(&r, "recordPayment");
    let r = decide_course(&app, &crc.token, id, "APPROVE", "Fine.").await;
    let payload = &data(&r)["decideCourse"];
    assert_eq!(user_error_codes(payload), ["FEE_UNPAID"], "{r}");
    let message = payload["userErrors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("$100.00") && message.contains("$50.00"),
        "{message}"
    );
    let course = course_as(&app, &crc, &submitted.course_id).await;
    assert_eq!(course["status"], json!("IN_REVIEW"));
    assert_eq!(course["submissions"][0]["status"], json!("SUBMITTED"));
    assert_eq!(course["approvals"], json!([]));

    let r = record_course_fee(&app, &officer.token, id, 5_000).await;
    ok_payload(&r, "recordPayment");
    let reasons = "Every technology competency is taught, with hands-on labs.";
    let r = decide_course(&app, &crc.token, id, "APPROVE", reasons).await;
    let decided = &ok_payload(&r, "decideCourse")["submission"];
    assert_eq!(decided["status"], json!("APPROVED"));
    assert_eq!(decided["paidCents"], json!(10_000));
    assert_eq!(
        decided["decisions"],
        json!([{ "decision": "APPROVED", "reasons": reasons }])
    );

    let course = course_as(&app, &provider.member, &submitted.course_id).await;
    assert_eq!(course["status"], json!("APPROVED"));
    let today = today(&app);
    let period = json!({
        "startsOn": today.to_string(),
        "expiresOn": three_years_after(today).to_string(),
        "submissionId": id,
    });
    assert_eq!(course["approvals"], json!([period]));
    assert_eq!(course["currentApproval"], period);

    let emails = each_emailed_once(&app, &to, &format!("Approved: “{title}”")).await;
    for email in &emails {
        assert!(email.text.contains(reasons), "{}", email.text);
    }
    let listed = approved_courses(&app, json!({})).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], json!(submitted.course_id));

    // Decided once.
    let r = decide_course(&app, &crc.token, id, "REJECT", "Changed our minds.").await;
    assert_eq!(
        user_error_codes(&data(&r)["decideCourse"]),
        ["NOT_IN_REVIEW"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_crc_rejects_a_course_with_reasons_and_the_provider_is_emailed() {
    let app = TestApp::start().await;
    let (_, crc) = staff_and_crc(&app).await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let bob = app.signed_up_user("bob@example.org", "Bob Member").await;
    add_provider_member(&app, &provider.member, &provider.id, &bob).await;
    let title = "Storytime Basics";
    let draft = complete_draft(&app, &provider.member, "TECHNOLOGY", title).await;
    let submitted = submitted_course(&app, &provider, &draft).await;
    let id = submitted.submission_id.as_str();

    let r = decide_course(&app, &crc.token, id, "REJECT", "").await;
    assert_eq!(user_error_codes(&data(&r)["decideCourse"]), ["REQUIRED"]);
    let reasons = "The modules do not teach technology; they teach storytelling.";
    let r = decide_course(&app, &crc.token, id, "REJECT", reasons).await;
    let decided = &ok_payload(&r, "decideCourse")["submission"];
    assert_eq!(decided["status"], json!("REJECTED"));
    assert_eq!(decided["course"]["status"], json!("REJECTED"));
    assert_eq!(
        decided["decisions"],
        json!([{ "decision": "REJECTED", "reasons": reasons }])
    );
    let emails = each_emailed_once(
        &app,
        &recipients(&provider, &[&bob]),
        &format!("Not approved: “{title}”"),
    )
    .await;
    for email in &emails {
        assert!(email.text.contains(reasons), "{}", email.text);
    }
    assert_eq!(approved_courses(&app, json!({})).await, Vec::<Value>::new());
    let course = course_as(&app, &provider.member, &submitted.course_id).await;
    assert_eq!(course["approvals"], json!([]));

    // A rejected course is not reopened.
    let r = save_course_draft(
        &app,
        &provider.member.token,
        &draft,
        None,
        Some(&submitted.course_id),
    )
    .await;
    assert_eq!(
        user_error_codes(&data(&r)["saveCourseDraft"]),
        ["COURSE_REJECTED"]
    );
    let r = decide_course(&app, &crc.token, id, "APPROVE", "On reflection.").await;
    assert_eq!(
        user_error_codes(&data(&r)["decideCourse"]),
        ["NOT_IN_REVIEW"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_for_changes_is_answered_by_a_new_revision_and_the_earlier_submission_stays_with_its_decision()
 {
    let app = TestApp::start().await;
    let (officer, crc) = staff_and_crc(&app).await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let bob = app.signed_up_user("bob@example.org", "Bob Member").await;
    add_provider_member(&app, &provider.member, &provider.id, &bob).await;
    let to = recipients(&provider, &[&bob]);
    let title = "Library Technology Essentials";
    let mut draft = complete_draft(&app, &provider.member, "TECHNOLOGY", title).await;
    let first = submitted_course(&app, &provider, &draft).await;
    // The provider pays on submission, before the CRC looks at it.
    let r = record_course_fee(&app, &officer.token, &first.submission_id, first.fee_cents).await;
    ok_payload(&r, "recordPayment");

    let r = decide_course(
        &app,
        &crc.token,
        &first.submission_id,
        "REQUEST_CHANGES",
        " ",
    )
    .await;
    assert_eq!(user_error_codes(&data(&r)["decideCourse"]), ["REQUIRED"]);
    let reasons = "Competency 7 is only a reading; teach it in a module with practice.";
    let r = decide_course(
        &app,
        &crc.token,
        &first.submission_id,
        "REQUEST_CHANGES",
        reasons,
    )
    .await;
    let decided = &ok_payload(&r, "decideCourse")["submission"];
    assert_eq!(decided["status"], json!("CHANGES_REQUESTED"));
    assert_eq!(decided["course"]["status"], json!("IN_REVIEW"));
    let emails = each_emailed_once(&app, &to, &format!("Changes requested: “{title}”")).await;
    for email in &emails {
        assert!(email.text.contains(reasons), "{}", email.text);
    }
    let r = submit_course(&app, &provider.member.token, &first.submission_id).await;
    assert_eq!(user_error_codes(&data(&r)["submitCourse"]), ["NOT_A_DRAFT"]);

    // The revision is a new submission; the first stays as it was.
    draft.description = "Now with a practical module on competency 7.".to_owned();
    let r = save_course_draft(
        &app,
        &provider.member.token,
        &draft,
        None,
        Some(&first.course_id),
    )
    .await;
    let revision = ok_payload(&r, "saveCourseDraft")["submission"].clone();
    assert_ne!(revision["id"], json!(first.submission_id));
    assert_eq!(revision["revision"], json!(2));
    assert_eq!(revision["kind"], json!("INITIAL"));
    assert_eq!(revision["status"], json!("DRAFT"));
    let revision_id = revision["id"].as_str().unwrap().to_owned();
    let r = submit_course(&app, &provider.member.token, &revision_id).await;
    let resubmitted = &ok_payload(&r, "submitCourse")["submission"];
    assert_eq!(resubmitted["status"], json!("SUBMITTED"));
    assert_eq!(
        resubmitted["feeCents"],
        json!(first.fee_cents),
        "the same fee"
    );
    let emails = each_emailed_once(
        &app,
        &to,
        &format!("Received: “{title}” (revision 2) for approval"),
    )
    .await;
    assert!(
        emails.iter().all(|e| e.text.contains("(revision 2)")),
        "{}",
        emails[0].text
    );

    // The fee paid with the first submission is the fee of the revision: approval needs no
    // second payment.
    let approval = "The practical module covers competency 7.";
    let r = decide_course(&app, &crc.token, &revision_id, "APPROVE", approval).await;
    let approved = &ok_payload(&r, "decideCourse")["submission"];
    assert_eq!(approved["status"], json!("APPROVED"));
    each_emailed_once(&app, &to, &format!("Approved: “{title}”")).await;

    let course = course_as(&app, &provider.member, &first.course_id).await;
    assert_eq!(course["status"], json!("APPROVED"));
    let history: Vec<Value> = course["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!([s["id"], s["revision"], s["status"], s["decisions"]]))
        .collect();
    assert_eq!(
        history,
        [
            json!([revision_id, 2, "APPROVED", [{ "decision": "APPROVED", "reasons": approval }]]),
            json!([first.submission_id, 1, "CHANGES_REQUESTED", [{ "decision": "CHANGES_REQUESTED", "reasons": reasons }]]),
        ]
    );
    assert_eq!(course["approvals"][0]["submissionId"], json!(revision_id));
    app.stop().await;
}

/// The subject of the expiry reminder `days` before the end.
fn reminder_subject(title: &str, days: u64) -> String {
    format!("“{title}” stops being approved in {days} days")
}

fn expired_subject(title: &str) -> String {
    format!("“{title}” is no longer an approved course")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reapproval_granted_before_expiry_starts_when_the_old_period_ends_so_the_course_never_leaves_the_list()
 {
    let app = TestApp::start().await;
    set_today(&app, today(&app) + Days::new(1)).await;
    let (officer, crc) = staff_and_crc(&app).await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let title = "Foundations of Library Service";
    let draft = complete_draft(&app, &provider.member, "FOUNDATIONS", title).await;
    let first = approved_course(&app, &provider, &officer, &crc, &draft).await;
    let start = today(&app);
    let end = three_years_after(start);
    let course = course_as(&app, &provider.member, &first.course_id).await;
    assert_eq!(date(&course["approvals"][0]["expiresOn"]), end);

    // Ten days before the end, the provider seeks re-approval and gets it.
    set_today(&app, end - Days::new(10)).await;
    let provider = Provider {
        member: signed_in_again(&app, &provider.member).await,
        ..provider
    };
    let (officer, crc) = (
        signed_in_again(&app, &officer).await,
        signed_in_again(&app, &crc).await,
    );
    let reapproval = submit_reapproval(&app, &provider, &first.course_id, title).await;
    assert_eq!(reapproval["feeCents"], json!(5_000));
    let second = Submitted {
        course_id: first.course_id.clone(),
        submission_id: reapproval["id"].as_str().unwrap().to_owned(),
        fee_cents: 5_000,
    };
    pay_and_approve(&app, &officer, &crc, &second).await;
    let course = course_as(&app, &provider.member, &first.course_id).await;
    assert_eq!(course["status"], json!("APPROVED"));
    assert_eq!(
        course["approvals"],
        json!([
            { "startsOn": start.to_string(), "expiresOn": end.to_string(), "submissionId": first.submission_id },
            { "startsOn": end.to_string(), "expiresOn": three_years_after(end).to_string(), "submissionId": second.submission_id },
        ])
    );
    assert_eq!(date(&course["currentApproval"]["startsOn"]), start);

    // A course already re-approved is not reminded that its old period ends.
    set_today(&app, end - Days::new(7)).await;
    run_sweep(&app, Sweep::CourseApprovals).await;
    assert_eq!(
        emails_with_subject(&app, &reminder_subject(title, 7)).await,
        0
    );

    // On the old period's expiry day and after, the sweep leaves it listed, in its new period.
    for day in [end, end + Days::new(1)] {
        set_today(&app, day).await;
        run_sweep(&app, Sweep::CourseApprovals).await;
        let listed = approved_courses(&app, json!({})).await;
        assert_eq!(listed.len(), 1, "on {day}: {listed:?}");
        assert_eq!(listed[0]["id"], json!(first.course_id));
        assert_eq!(
            listed[0]["approval"],
            json!({ "startsOn": end.to_string(), "expiresOn": three_years_after(end).to_string(), "submissionId": second.submission_id })
        );
        let course = course_as(&app, &provider.member, &first.course_id).await;
        assert_eq!(course["status"], json!("APPROVED"), "on {day}");
        assert_eq!(date(&course["currentApproval"]["startsOn"]), end);
    }
    assert!(approved_on(&app, &first.course_id, "FOUNDATIONS", end - Days::new(1)).await);
    assert!(approved_on(&app, &first.course_id, "FOUNDATIONS", end).await);
    assert_eq!(emails_with_subject(&app, &expired_subject(title)).await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_is_reminded_90_30_and_7_days_before_it_ends_once_each_then_expires_once() {
    let app = TestApp::start().await;
    set_today(&app, today(&app) + Days::new(1)).await;
    let (officer, crc) = staff_and_crc(&app).await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let bob = app.signed_up_user("bob@example.org", "Bob Member").await;
    add_provider_member(&app, &provider.member, &provider.id, &bob).await;
    let to = recipients(&provider, &[&bob]);
    let title = "Library Technology Essentials";
    let draft = complete_draft(&app, &provider.member, "TECHNOLOGY", title).await;
    let course = approved_course(&app, &provider, &officer, &crc, &draft).await;
    let start = today(&app);
    let end = three_years_after(start);
    each_emailed_once(&app, &to, &format!("Approved: “{title}”")).await;

    // Counts of reminders per recipient, for each threshold.
    let reminders = |days: u64| {
        to.iter()
            .map(|address| {
                app.smtp
                    .count(|m| m.is_to(address) && m.subject == reminder_subject(title, days))
            })
            .collect::<Vec<_>>()
    };
    let mut sent: Vec<u64> = Vec::new();
    for (days, threshold) in [
        (91, None),
        (90, Some(90)),
        (60, None),
        (30, Some(30)),
        (7, Some(7)),
    ] {
        set_today(&app, end - Days::new(days)).await;
        run_sweep(&app, Sweep::CourseApprovals).await;
        if let Some(threshold) = threshold {
            for address in &to {
                app.smtp
                    .wait_for(&format!("the {threshold}-day reminder to {address}"), |m| {
                        m.is_to(address) && m.subject == reminder_subject(title, threshold)
                    })
                    .await;
            }
            sent.push(threshold);
        }
        // The cron runs it again the same day: nothing more is sent.
        run_sweep(&app, Sweep::CourseApprovals).await;
        wait_until_outbox_is_sent(&app).await;
        for threshold in [90, 30, 7] {
            let expected = usize::from(sent.contains(&threshold));
            assert_eq!(
                reminders(threshold),
                vec![expected; to.len()],
                "{threshold}-day reminders to {to:?}, {days} days before the end"
            );
        }
        assert_eq!(
            app.smtp
                .count(|m| m.subject.contains("stops being approved")),
            sent.len() * to.len(),
            "{days} days before the end"
        );
        assert_eq!(approved_titles(&app, json!({})).await, set_of(&[title]));
    }

    // The day the approval ends, the course leaves the list, expires, and the provider is
    // told once however often the sweep runs.
    set_today(&app, end).await;
    assert_eq!(approved_titles(&app, json!({})).await, BTreeSet::new());
    run_sweep(&app, Sweep::CourseApprovals).await;
    for address in &to {
        app.smtp
            .wait_for(&format!("the expiry email to {address}"), |m| {
                m.is_to(address) && m.subject == expired_subject(title)
            })
            .await;
    }
    run_sweep(&app, Sweep::CourseApprovals).await;
    set_today(&app, end + Days::new(1)).await;
    run_sweep(&app, Sweep::CourseApprovals).await;
    wait_until_outbox_is_sent(&app).await;
    for address in &to {
        assert_eq!(
            app.smtp
                .count(|m| m.is_to(address) && m.subject == expired_subject(title)),
            1,
            "expiry emails to {address}"
        );
    }
    assert_eq!(
        app.smtp
            .count(|m| m.subject.contains("stops being approved")),
        3 * to.len(),
        "no reminder after the end"
    );

    let member = signed_in_again(&app, &provider.member).await;
    let expired = course_as(&app, &member, &course.course_id).await;
    assert_eq!(expired["status"], json!("EXPIRED"));
    assert_eq!(expired["currentApproval"], Value::Null);
    assert_eq!(
        expired["approvals"],
        json!([{ "startsOn": start.to_string(), "expiresOn": end.to_string(), "submissionId": course.submission_id }]),
        "the period stays on record"
    );
    assert_eq!(approved_courses(&app, json!({})).await, Vec::<Value>::new());
    assert_eq!(approved_provider_names(&app, None).await, BTreeSet::new());
    assert!(approved_on(&app, &course.course_id, "TECHNOLOGY", end - Days::new(1)).await);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_course_is_approved_from_its_first_day_to_the_day_before_it_expires_and_only_for_its_set()
{
    let app = TestApp::start().await;
    set_today(&app, today(&app) + Days::new(1)).await;
    let (officer, crc) = staff_and_crc(&app).await;
    let provider = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let draft = complete_draft(
        &app,
        &provider.member,
        "TECHNOLOGY",
        "Library Technology Essentials",
    )
    .await;
    let approved = approved_course(&app, &provider, &officer, &crc, &draft).await;
    let course = course_as(&app, &provider.member, &approved.course_id).await;
    let starts = date(&course["approvals"][0]["startsOn"]);
    let expires = date(&course["approvals"][0]["expiresOn"]);
    assert_eq!(starts, today(&app));
    assert_eq!(expires, three_years_after(starts));

    let id = approved.course_id.as_str();
    let on = |set: &'static str, day: NaiveDate| approved_on(&app, id, set, day);
    assert!(on("TECHNOLOGY", starts).await, "on its first day");
    assert!(
        on("TECHNOLOGY", expires - Days::new(1)).await,
        "on its last day"
    );
    assert!(!on("TECHNOLOGY", expires).await, "on its expiry day");
    assert!(
        !on("TECHNOLOGY", starts - Days::new(1)).await,
        "the day before it starts"
    );
    assert!(!on("FOUNDATIONS", starts).await, "for another set");
    assert!(!on("NO_SUCH_SET", starts).await, "for no set");

    // A course submitted but not approved never was.
    let other = complete_draft(&app, &provider.member, "TECHNOLOGY", "Pending Course").await;
    let pending = submitted_course(&app, &provider, &other).await;
    assert!(!approved_on(&app, &pending.course_id, "TECHNOLOGY", starts).await);

    // Once it has expired, the answer for the days it was approved is unchanged.
    set_today(&app, expires + Days::new(1)).await;
    run_sweep(&app, Sweep::CourseApprovals).await;
    let member = signed_in_again(&app, &provider.member).await;
    assert_eq!(
        course_as(&app, &member, id).await["status"],
        json!("EXPIRED")
    );
    assert!(on("TECHNOLOGY", starts).await);
    assert!(on("TECHNOLOGY", expires - Days::new(1)).await);
    assert!(!on("TECHNOLOGY", expires).await);
    app.stop().await;
}

/// A draft of `set_code` with the given delivery, timing and description.
async fn listed_draft(
    app: &TestApp,
    provider: &Provider,
    set_code: &str,
    title: &str,
    delivery: &'static str,
    timing: &'static str,
    description: &str,
) -> Draft {
    Draft {
        delivery,
        timing,
        description: description.to_owned(),
        ..complete_draft(app, &provider.member, set_code, title).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_lists_show_approved_courses_by_each_filter_and_only_providers_with_one() {
    let app = TestApp::start().await;
    let (officer, crc) = staff_and_crc(&app).await;
    let prairie = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let cascade = new_provider(&app, "cascade", "Cascade Library Consortium", "WA").await;
    let coastal = new_provider(&app, "coastal", "Coastal Trainers", "OR").await;

    for (provider, set, title, delivery, timing, description) in [
        (
            &prairie,
            "TECHNOLOGY",
            "Library Technology Essentials",
            "ONLINE",
            "ASYNCHRONOUS",
            "Integrated library systems and digital tools.",
        ),
        (
            &prairie,
            "FOUNDATIONS",
            "Foundations of Library Service",
            "IN_PERSON",
            "SYNCHRONOUS",
            "Values and ethics of library work.",
        ),
        (
            &cascade,
            "TECHNOLOGY",
            "Technology Workshop Series",
            "MIXED",
            "SYNCHRONOUS",
            "Makerspaces, 3D printing and coding clubs.",
        ),
        (
            &cascade,
            "REFERENCE_INFORMATION",
            "Reference Interview Clinic",
            "ONLINE",
            "SYNCHRONOUS",
            "Question negotiation practice.",
        ),
    ] {
        let draft = listed_draft(&app, provider, set, title, delivery, timing, description).await;
        approved_course(&app, provider, &officer, &crc, &draft).await;
    }
    // Not approved: submitted, rejected, a draft.
    let draft = listed_draft(
        &app,
        &coastal,
        "TECHNOLOGY",
        "Coastal Technology Course",
        "ONLINE",
        "ASYNCHRONOUS",
        "Makerspaces too.",
    )
    .await;
    submitted_course(&app, &coastal, &draft).await;
    let draft = listed_draft(
        &app,
        &coastal,
        "TECHNOLOGY",
        "Rejected Technology Course",
        "ONLINE",
        "ASYNCHRONOUS",
        "Makerspaces again.",
    )
    .await;
    let rejected = submitted_course(&app, &coastal, &draft).await;
    let r = decide_course(
        &app,
        &crc.token,
        &rejected.submission_id,
        "REJECT",
        "Not the set.",
    )
    .await;
    ok_payload(&r, "decideCourse");
    let draft = listed_draft(
        &app,
        &prairie,
        "TECHNOLOGY",
        "Unfinished Draft Course",
        "ONLINE",
        "ASYNCHRONOUS",
        "Makerspaces later.",
    )
    .await;
    let r = save_course_draft(&app, &prairie.member.token, &draft, Some(&prairie.id), None).await;
    ok_payload(&r, "saveCourseDraft");

    let all = [
        "Library Technology Essentials",
        "Foundations of Library Service",
        "Technology Workshop Series",
        "Reference Interview Clinic",
    ];
    assert_eq!(approved_titles(&app, json!({})).await, set_of(&all));
    assert_eq!(approved_titles(&app, Value::Null).await, set_of(&all));
    for (filter, expected) in [
        (json!({ "setCode": "TECHNOLOGY" }), vec![all[0], all[2]]),
        (json!({ "setCode": "FOUNDATIONS" }), vec![all[1]]),
        (json!({ "setCode": "NO_SUCH_SET" }), vec![]),
        (json!({ "delivery": "ONLINE" }), vec![all[0], all[3]]),
        (json!({ "delivery": "IN_PERSON" }), vec![all[1]]),
        (json!({ "delivery": "MIXED" }), vec![all[2]]),
        (
            json!({ "timing": "SYNCHRONOUS" }),
            vec![all[1], all[2], all[3]],
        ),
        (json!({ "timing": "ASYNCHRONOUS" }), vec![all[0]]),
        (json!({ "providerId": cascade.id }), vec![all[2], all[3]]),
        (json!({ "providerId": coastal.id }), vec![]),
        (json!({ "providerState": "WA" }), vec![all[2], all[3]]),
        (json!({ "providerState": "il" }), vec![all[0], all[1]]),
        (json!({ "providerState": "OR" }), vec![]),
        (json!({ "search": "makerspace" }), vec![all[2]]),
        (json!({ "search": "REFERENCE" }), vec![all[3]]),
        (json!({ "search": "library" }), vec![all[0], all[1]]),
        (
            json!({ "setCode": "TECHNOLOGY", "timing": "SYNCHRONOUS" }),
            vec![all[2]],
        ),
        (
            json!({ "providerState": "IL", "delivery": "ONLINE", "search": "systems" }),
            vec![all[0]],
        ),
    ] {
        assert_eq!(
            approved_titles(&app, filter.clone()).await,
            set_of(&expected),
            "filter {filter}"
        );
    }

    // Each with its provider and approval period.
    let listed = approved_courses(&app, json!({ "search": "Workshop" })).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let workshop = &listed[0];
    assert_eq!(workshop["competencySet"]["code"], json!("TECHNOLOGY"));
    assert_eq!(workshop["delivery"], json!("MIXED"));
    assert_eq!(workshop["timing"], json!("SYNCHRONOUS"));
    assert_eq!(
        workshop["description"],
        json!("Makerspaces, 3D printing and coding clubs.")
    );
    let provider = &workshop["provider"];
    assert_eq!(
        [&provider["id"], &provider["name"], &provider["state"]],
        [
            &json!(cascade.id),
            &json!("Cascade Library Consortium"),
            &json!("WA")
        ]
    );
    assert_eq!(date(&workshop["approval"]["startsOn"]), today(&app));
    assert_eq!(
        date(&workshop["approval"]["expiresOn"]),
        three_years_after(today(&app))
    );

    assert_eq!(
        approved_provider_names(&app, None).await,
        set_of(&["Prairie Library School", "Cascade Library Consortium"])
    );
    assert_eq!(
        approved_provider_names(&app, Some("WA")).await,
        set_of(&["Cascade Library Consortium"])
    );
    assert_eq!(
        approved_provider_names(&app, Some("OR")).await,
        BTreeSet::new()
    );
    app.stop().await;
}

/// The ids in a connection's `nodes`.
fn node_ids(response: &Value, field: &str) -> BTreeSet<String> {
    data(response)[field]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} nodes: {response}"))
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

const COURSES: &str = "{ courses(first: 100) { nodes { id } } }";
const SUBMISSIONS: &str = "{ courseSubmissions(first: 100) { nodes { id } } }";
const PROVIDERS: &str = "{ providers(first: 100) { nodes { id } } }";

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_member_can_neither_see_nor_change_another_providers_courses_nor_decide_any() {
    let app = TestApp::start().await;
    let (officer, crc) = staff_and_crc(&app).await;
    let prairie = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let cascade = new_provider(&app, "cascade", "Cascade Library Consortium", "WA").await;
    let alice = &prairie.member;

    let own_draft = complete_draft(&app, alice, "TECHNOLOGY", "Prairie Technology").await;
    let own = submitted_course(&app, &prairie, &own_draft).await;
    let theirs_draft =
        complete_draft(&app, &cascade.member, "TECHNOLOGY", "Cascade Technology").await;
    let theirs = submitted_course(&app, &cascade, &theirs_draft).await;
    let r = save_course_draft(
        &app,
        &cascade.member.token,
        &Draft {
            title: "Cascade Draft".into(),
            ..theirs_draft.clone()
        },
        Some(&cascade.id),
        None,
    )
    .await;
    let their_draft = ok_payload(&r, "saveCourseDraft")["submission"].clone();
    let their_draft_id = their_draft["id"].as_str().unwrap();
    let their_draft_course = their_draft["course"]["id"].as_str().unwrap();

    // The CRC sees both providers' courses: what the member is refused exists.
    assert!(
        course_query(&app, &crc.token, &theirs.course_id)
            .await
            .get("errors")
            .is_none()
    );
    assert_eq!(
        node_ids(&app.gql_as(&crc.token, COURSES, json!({})).await, "courses").len(),
        3
    );

    // Alice sees only her provider's.
    for (query, id) in [
        (
            "query($id: ID!) { course(id: $id) { id } }",
            theirs.course_id.as_str(),
        ),
        (
            "query($id: ID!) { courseSubmission(id: $id) { id } }",
            theirs.submission_id.as_str(),
        ),
        (
            "query($id: ID!) { courseSubmission(id: $id) { id } }",
            their_draft_id,
        ),
        (
            "query($id: ID!) { provider(id: $id) { id } }",
            cascade.id.as_str(),
        ),
    ] {
        let r = app.gql_as(&alice.token, query, json!({ "id": id })).await;
        assert_eq!(error_code(&r), "NOT_FOUND", "{query} {id}: {r}");
    }
    let r = course_query(&app, &alice.token, &own.course_id).await;
    assert_eq!(data(&r)["course"]["id"], json!(own.course_id));
    assert_eq!(
        node_ids(
            &app.gql_as(&alice.token, COURSES, json!({})).await,
            "courses"
        ),
        set_of(&[own.course_id.as_str()])
    );
    assert_eq!(
        node_ids(
            &app.gql_as(&alice.token, SUBMISSIONS, json!({})).await,
            "courseSubmissions"
        ),
        set_of(&[own.submission_id.as_str()])
    );
    assert_eq!(
        node_ids(
            &app.gql_as(&alice.token, PROVIDERS, json!({})).await,
            "providers"
        ),
        set_of(&[prairie.id.as_str()])
    );

    // Nor change them: edit their draft, start a course for them, submit their draft.
    let r = save_course_draft(
        &app,
        &alice.token,
        &own_draft,
        None,
        Some(their_draft_course),
    )
    .await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let r = save_course_draft(
        &app,
        &alice.token,
        &own_draft,
        None,
        Some(&theirs.course_id),
    )
    .await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let r = save_course_draft(&app, &alice.token, &own_draft, Some(&cascade.id), None).await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let r = submit_course(&app, &alice.token, their_draft_id).await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let unchanged = course_as(&app, &cascade.member, their_draft_course).await;
    assert_eq!(unchanged["title"], json!("Cascade Draft"));
    assert_eq!(unchanged["status"], json!("DRAFT"));
    assert_eq!(
        node_ids(&app.gql_as(&crc.token, COURSES, json!({})).await, "courses").len(),
        3,
        "no course was started for cascade"
    );

    // Nor decide courses, theirs or her own, nor record fees.
    for id in [&theirs.submission_id, &own.submission_id] {
        let r = decide_course(&app, &alice.token, id, "APPROVE", "Looks good to me.").await;
        assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    }
    let r = record_course_fee(&app, &alice.token, &own.submission_id, own.fee_cents).await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    let course = course_as(&app, &officer, &own.course_id).await;
    assert_eq!(course["submissions"][0]["status"], json!("SUBMITTED"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidate_without_roles_lists_no_providers_courses_and_sees_none_by_id() {
    let app = TestApp::start().await;
    let (_, crc) = staff_and_crc(&app).await;
    let prairie = new_provider(&app, "prairie", "Prairie Library School", "IL").await;
    let draft = complete_draft(&app, &prairie.member, "TECHNOLOGY", "Prairie Technology").await;
    let course = submitted_course(&app, &prairie, &draft).await;
    let candidate = app.signed_up_user("cam@example.org", "Cam Candidate").await;
    assert_eq!(
        data(&app.me(&candidate.token).await)["me"]["roles"],
        json!([])
    );

    assert_eq!(
        node_ids(
            &app.gql_as(&candidate.token, COURSES, json!({})).await,
            "courses"
        ),
        BTreeSet::new()
    );
    assert_eq!(
        node_ids(
            &app.gql_as(&candidate.token, SUBMISSIONS, json!({})).await,
            "courseSubmissions"
        ),
        BTreeSet::new()
    );
    assert_eq!(
        node_ids(
            &app.gql_as(&candidate.token, PROVIDERS, json!({})).await,
            "providers"
        ),
        BTreeSet::new()
    );
    let r = course_query(&app, &candidate.token, &course.course_id).await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let r = decide_course(
        &app,
        &candidate.token,
        &course.submission_id,
        "APPROVE",
        "Why not.",
    )
    .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    // Without signing in, not at all.
    for query in [COURSES, SUBMISSIONS, PROVIDERS] {
        assert_eq!(
            error_code(&app.gql(query, json!({})).await),
            "UNAUTHENTICATED",
            "{query}"
        );
    }
    // The CRC does see it.
    assert_eq!(
        node_ids(&app.gql_as(&crc.token, COURSES, json!({})).await, "courses"),
        set_of(&[course.course_id.as_str()])
    );
    app.stop().await;
}
