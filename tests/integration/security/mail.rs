//! See the module documentation in `mod.rs`.
//!
//! No record can stop the mail. Text that goes into an email header (names of every kind,
//! titles templated into subjects) is refused at the domain edge if it holds a control
//! character; text already stored with one (planted here straight into the database) is
//! flattened where the message is built; a row that can never be built fails for good with
//! its reason while every other email goes out and the worker process keeps running. CSV
//! reports defuse cells a spreadsheet would run as formulas.

use crate::support::candidates::{self as steps, ok_payload};
use crate::support::courses::{Draft, save_course_draft};
use crate::support::reviews;
use crate::support::{
    PASSWORD, REDELIVERY_WINDOW, Received, TestApp, WAIT, WorkerProcess, data, error_code,
};
use domain::emails::EmailTemplate;
use domain::outbox::{Email, queue_email};
use entity::{account, notification};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};
use std::time::Duration;

/// Control characters of every kind a header must not carry: line breaks (CR, LF, both,
/// NEL and the Unicode separators), a tab, an escape sequence and DEL. NUL never reaches a
/// service: the edge refuses it in any string (see below).
const HOSTILE: &[&str] = &[
    "\r\nBcc: x@evil.example",
    "\nBcc: x@evil.example",
    "\rBcc: x@evil.example",
    "\u{85}Bcc: x@evil.example",
    "\u{2028}Bcc",
    "\u{2029}Bcc",
    "\tTab",
    "\u{1b}[2J",
    "\u{7f}",
];

const EVIL: &str = "x@evil.example";

fn assert_refused(payload: &Value, field: &str, what: &str) {
    let errors = payload["userErrors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e["code"] == json!("CONTROL_CHARACTERS") && e["field"] == json!(field)),
        "{what}: expected CONTROL_CHARACTERS on {field}: {payload}"
    );
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("one line"),
        "{what}: the message says what to fix: {message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_holding_control_characters_are_refused_on_every_path_that_takes_one() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@lsscp.test").await;

    // NUL, which no database column takes, is refused in any string before execution.
    let r = app
        .gql(
            "mutation($input: RegisterInput!) { register(input: $input) { ok } }",
            json!({ "input": {
                "email": "nul@example.org",
                "password": PASSWORD,
                "displayName": "Mallory\u{0}Nul",
            } }),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");

    // Registering.
    for (i, bad) in HOSTILE.iter().enumerate() {
        let r = app
            .gql(
                "mutation($input: RegisterInput!) { register(input: $input) { ok userErrors { field message code } } }",
                json!({ "input": {
                    "email": format!("reg{i}@example.org"),
                    "password": PASSWORD,
                    "displayName": format!("Mallory{bad}"),
                } }),
            )
            .await;
        assert_refused(
            &data(&r)["register"],
            "displayName",
            &format!("register {bad:?}"),
        );
    }

    // An application's names and addresses, on saving a draft.
    let applicant = app.signed_up_user("ann@example.org", "Ann").await;
    for (field, bad) in [
        ("givenName", "Ann\r\nBcc: x@evil.example"),
        ("familyName", "Lee\n"),
        ("employerName", "Metro\u{2028}Library"),
        ("addressLine1", "1 Main St\r"),
    ] {
        let mut input = steps::application_input(&app, "Ann", "Lee");
        input[field] = json!(bad);
        let payload = steps::save_application(&app, &applicant.token, input).await;
        assert_refused(&payload, field, &format!("saveApplication {field}"));
    }

    // A share grant's grantee name.
    let kim = steps::candidate(&app, &officer, "kim@example.org", "Kim", "Sharer").await;
    for bad in HOSTILE {
        let r = app
            .gql_as(
                &kim.user.token,
                "mutation($input: CreateShareGrantInput!) { createShareGrant(input: $input) { token userErrors { field message code } } }",
                json!({ "input": {
                    "granteeName": format!("Hiring Manager{bad}"),
                    "granteeEmail": "hr@metro-library.example",
                } }),
            )
            .await;
        assert_refused(
            &data(&r)["createShareGrant"],
            "granteeName",
            &format!("createShareGrant {bad:?}"),
        );
    }

    // A provider's name and contact name.
    let pat = app.signed_up_user("pat@example.org", "Pat").await;
    for (field, bad) in [
        ("contactName", "Pat\r\nBcc: x@evil.example"),
        ("contactName", "Pat\u{1b}[2J"),
        ("name", "Springfield\nLibrary School"),
    ] {
        let mut input = json!({
            "name": "Springfield Library School",
            "kind": "LIBRARY_SCHOOL",
            "addressLine1": "100 College Ave",
            "city": "Urbana",
            "state": "IL",
            "postalCode": "61801",
            "contactName": "Pat Provider",
            "contactEmail": "pat@example.org",
        });
        input[field] = json!(bad);
        let r = app
            .gql_as(
                &pat.token,
                "mutation($input: ProviderInput!) { createProvider(input: $input) { provider { id } userErrors { field message code } } }",
                json!({ "input": input }),
            )
            .await;
        assert_refused(
            &data(&r)["createProvider"],
            field,
            &format!("createProvider {field}"),
        );
    }

    // A course title, which emails carry in their subjects.
    let provider = steps::provider(&app, "casey@example.org", "Casey Library School").await;
    let draft = Draft {
        set_code: "FOUNDATIONS".to_owned(),
        title: "Cataloging\r\nBcc: x@evil.example".to_owned(),
        description: "Lectures, readings and practice.".to_owned(),
        delivery: "ONLINE",
        timing: "ASYNCHRONOUS",
        coverage: Vec::new(),
        curriculum: None,
        instructors: true,
    };
    let r = save_course_draft(
        &app,
        &provider.member.token,
        &draft,
        Some(&provider.id),
        None,
    )
    .await;
    assert_refused(
        &data(&r)["saveCourseDraft"],
        "title",
        "saveCourseDraft title",
    );

    // An evaluator's employer, which staff read in reports.
    let eve = app.signed_up_user("eve@example.org", "Eve").await;
    let r = app
        .gql_as(
            &eve.token,
            "mutation($input: ApplyAsEvaluatorInput!) { applyAsEvaluator(input: $input) { evaluator { id } userErrors { field message code } } }",
            json!({ "input": {
                "qualifications": "Twenty years of cataloguing.\nAnd reference work.",
                "employer": "Metro\rLibrary",
                "state": "OH",
                "setCodes": ["FOUNDATIONS"],
            } }),
        )
        .await;
    assert_refused(
        &data(&r)["applyAsEvaluator"],
        "employer",
        "applyAsEvaluator employer",
    );

    // Multi-line text where it belongs is still taken, and names of any script are names.
    let r = app
        .gql_as(
            &kim.user.token,
            "mutation($input: CreateShareGrantInput!) { createShareGrant(input: $input) { token userErrors { field message code } } }",
            json!({ "input": { "granteeName": "Seán Ó Rudaí, Иван", "granteeEmail": "sean@example.org" } }),
        )
        .await;
    ok_payload(&r, "createShareGrant");
    app.stop().await;
}

/// The header block of a received message, lines unfolded.
fn headers(m: &Received) -> Vec<String> {
    let head = m.raw.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        match lines.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => lines.push(line.to_owned()),
        }
    }
    lines
}

fn header_names(m: &Received) -> Vec<String> {
    headers(m)
        .iter()
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.to_ascii_lowercase()))
        .collect()
}

async fn request_reset(app: &TestApp, email: &str) {
    let r = app
        .gql(
            "mutation($email: String!) { requestPasswordReset(input: { email: $email }) { ok userErrors { code } } }",
            json!({ "email": email }),
        )
        .await;
    assert_eq!(data(&r)["requestPasswordReset"]["ok"], json!(true), "{r}");
}

fn planted(key: &str, to: &str, to_name: &str, template: EmailTemplate, params: Value) -> Email {
    Email {
        key: key.to_owned(),
        account_id: None,
        to: to.to_owned(),
        to_name: Some(to_name.to_owned()),
        template,
        params,
        secret: None,
        batch_id: None,
    }
}

async fn row_to(app: &TestApp, email: &str) -> notification::Model {
    let rows = notification::Entity::find()
        .filter(notification::Column::ToEmail.eq(email))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "rows to {email}: {rows:?}");
    rows.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poisoned_row_stops_no_other_email_and_no_worker() {
    let app = TestApp::builder().without_worker().start().await;
    let others = ["ann", "bob", "cy", "dee", "eli"].map(|n| format!("{n}@example.org"));
    app.register("mallory@example.org", "Mallory", PASSWORD)
        .await;
    for email in &others {
        app.register(email, "Reader", PASSWORD).await;
    }

    // Poison the account's name behind the service's back, as an old row or another path
    // might have it, then have the system write emails to it and to everyone else.
    let poisoned_name = "Mallory\r\nBcc: x@evil.example";
    let changed = account::Entity::update_many()
        .col_expr(account::Column::DisplayName, Expr::value(poisoned_name))
        .filter(account::Column::Email.eq("mallory@example.org"))
        .exec(app.db())
        .await
        .unwrap();
    assert_eq!(changed.rows_affected, 1);
    request_reset(&app, "mallory@example.org").await;
    for email in &others {
        request_reset(&app, email).await;
    }

    // Rows planted straight into the outbox: a hostile recipient name and subject, and a
    // row whose address no message can be built for.
    let txn = app.db().begin().await.unwrap();
    let now = app.services.now();
    for email in [
        planted(
            "poison:subject",
            "fay@example.org",
            "Fay\r\nBcc: x@evil.example\r\n",
            EmailTemplate::CourseDecision,
            json!({
                "name": "Fay\r\nBcc: x@evil.example",
                "decision": "approved",
                "course_title": "Cataloging\r\nBcc: x@evil.example\r\nSubject: pwned",
                "set_name": "Foundations",
                "starts_on": "2026-12-01",
                "expires_on": "2029-12-01",
                "reasons": "Meets every competency.",
            }),
        ),
        planted(
            "poison:address",
            "not an address\r\nBcc: x@evil.example",
            "Nobody",
            EmailTemplate::AccountExists,
            json!({ "name": "Nobody" }),
        ),
    ] {
        assert!(queue_email(&txn, now, email).await.unwrap());
    }
    txn.commit().await.unwrap();

    let mut worker = WorkerProcess::spawn(&app.config);
    let is_reset = |m: &Received, to: &str| m.is_to(to) && m.subject == "Choose a new password";
    for email in &others {
        app.smtp
            .wait_for(&format!("the reset email to {email}"), |m| {
                is_reset(m, email)
            })
            .await;
        app.smtp
            .wait_for(&format!("the verification email to {email}"), |m| {
                m.is_to(email) && m.subject == "Verify your email address"
            })
            .await;
    }

    // The poisoned recipient's email went out to them alone, its name flattened into one
    // To header; nothing reached the injected address.
    let mallory = app
        .smtp
        .wait_for("the reset email to mallory", |m| {
            is_reset(m, "mallory@example.org")
        })
        .await;
    assert_eq!(mallory.recipients, ["mallory@example.org"]);
    let fay = app
        .smtp
        .wait_for("the planted email to fay", |m| m.is_to("fay@example.org"))
        .await;
    assert_eq!(fay.recipients, ["fay@example.org"]);
    assert!(
        fay.subject.starts_with("Approved: “Cataloging"),
        "the subject is one line: {:?}",
        fay.subject
    );
    for m in [&mallory, &fay] {
        let names = header_names(m);
        assert!(
            !names.iter().any(|n| n == "bcc"),
            "an injected header: {names:?}\n{}",
            m.raw
        );
        assert_eq!(names.iter().filter(|n| *n == "to").count(), 1, "{}", m.raw);
        assert_eq!(
            names.iter().filter(|n| *n == "subject").count(),
            1,
            "{}",
            m.raw
        );
    }
    assert_eq!(app.smtp.count(|m| m.is_to(EVIL)), 0);

    // The row no message can be built for failed for good, with its reason.
    let bad = notification::Entity::find()
        .filter(notification::Column::IdempotencyKey.eq("poison:address"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let bad = wait_for_row(&app, bad.id, |r| {
        r.status == notification::NotificationStatus::Failed
    })
    .await;
    assert_eq!(bad.attempts, 1);
    assert!(
        bad.last_error
            .as_deref()
            .is_some_and(|e| e.contains("recipient")),
        "{bad:?}"
    );

    // The worker is alive and still sending.
    worker.assert_running();
    app.register("late@example.org", "Late", PASSWORD).await;
    app.smtp
        .wait_for("an email queued after the poisoned ones", |m| {
            m.is_to("late@example.org")
        })
        .await;

    // Nothing comes back when the claims' leases end: one email each, the failed row
    // still failed after one attempt, and the worker still up.
    app.smtp
        .assert_count_holds("emails to mallory", 2, REDELIVERY_WINDOW, |m| {
            m.is_to("mallory@example.org")
        })
        .await;
    let bad = wait_for_row(&app, bad.id, |_| true).await;
    assert_eq!(bad.status, notification::NotificationStatus::Failed);
    assert_eq!(bad.attempts, 1);
    assert_eq!(
        row_to(&app, "fay@example.org").await.status,
        notification::NotificationStatus::Sent
    );
    worker.assert_running();
    app.stop().await;
}

async fn wait_for_row(
    app: &TestApp,
    id: i64,
    pred: impl Fn(&notification::Model) -> bool,
) -> notification::Model {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let row = notification::Entity::find_by_id(id)
            .one(app.db())
            .await
            .unwrap()
            .unwrap();
        if pred(&row) {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting on notification {id}: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_report_defuses_a_name_a_spreadsheet_would_run() {
    let app = TestApp::start().await;
    let staff = reviews::staff(&app).await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"Open\")";
    for (email, employer) in [
        ("vic@example.org", formula),
        ("wes@example.org", "@SUM(1+1)"),
        ("xan@example.org", "-2+3"),
        ("yul@example.org", "Metro Library"),
    ] {
        reviews::evaluator(
            &app,
            &staff,
            email,
            "Evaluator",
            employer,
            &["FOUNDATIONS"],
            false,
        )
        .await;
    }
    let response = app
        .http
        .get(app.url("/reports/evaluator-load.csv"))
        .bearer_auth(&staff.officer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let csv = response.text().await.unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Open\"\")\""),
        "{csv}"
    );
    assert!(csv.contains(",'@SUM(1+1),"), "{csv}");
    assert!(csv.contains(",'-2+3,"), "{csv}");
    assert!(csv.contains(",Metro Library,"), "{csv}");
    // Every cell of every row starts harmlessly; numbers the system wrote stay numbers.
    for line in csv.lines().skip(1) {
        let employer_at = line.find(',').map(|i| i + 1).unwrap_or(0);
        let rest = line[employer_at..].trim_start_matches('"');
        assert!(!rest.starts_with(['=', '+', '-', '@']), "{line}");
        assert!(
            line.split(',').next().unwrap().parse::<i64>().is_ok(),
            "{line}"
        );
    }
    // The report itself keeps the name as it is: only the spreadsheet format needs this.
    let table = domain::services::reports::report(
        &app.services,
        &steps::officer_actor(&staff.officer),
        "evaluator-load",
    )
    .await
    .unwrap();
    assert!(
        table
            .rows
            .iter()
            .any(|row| row.contains(&domain::services::reports::Cell::Text(formula.to_owned()))),
        "{table:?}"
    );
    app.stop().await;
}
