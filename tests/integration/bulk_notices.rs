//! Staff-triggered bulk renewal notices: the batch is returned at once, the worker fans it
//! out, and every selected holder receives exactly one message, counted at the SMTP
//! listener, whatever happens on the way: the batch triggered twice, its fan-out run twice,
//! a worker killed in the middle, a cancel, failures retried. Staff follow it by query and
//! by the `bulkNoticeProgress` subscription over graphql-ws.

use crate::support::certificates::{
    BulkHolder, GraphqlWs, Holders, eventually, insert_holders, mutate,
};
use crate::support::{
    REDELIVERY_WINDOW, Received, TestApp, WAIT, WorkerProcess, data, error_code, user_error_codes,
};
use chrono::{Duration as Days, NaiveDate};
use entity::certificate::CertificateStatus;
use entity::notification::{self, NotificationStatus};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const SEND: &str = "mutation($input: SendRenewalNoticesInput!) { sendRenewalNotices(input: $input) { batch { batchId status total queued sent failed cancelled remaining } userErrors { field message code } } }";
const PROGRESS: &str = "query($id: ID!) { bulkNotice(id: $id) { batchId status total queued sent failed cancelled remaining completedAt } }";
const CANCEL: &str = "mutation($input: BulkNoticeIdInput!) { cancelBulkNotice(input: $input) { batch { batchId status total queued sent failed cancelled remaining } userErrors { field message code } } }";
const RETRY: &str = "mutation($input: BulkNoticeIdInput!) { retryBulkNoticeFailures(input: $input) { batch { batchId status total queued sent failed cancelled remaining } userErrors { field message code } } }";
const SUBSCRIBE: &str = "subscription($id: ID!) { bulkNoticeProgress(batchId: $id) { batchId status total queued sent failed cancelled remaining } }";

/// The subject of a renewal notice.
const SUBJECT: &str = "Time to renew your certificate";

fn is_notice(m: &Received) -> bool {
    m.subject == SUBJECT
}

async fn holders(
    app: &TestApp,
    tag: &str,
    count: usize,
    expires_on: NaiveDate,
    state: &str,
    status: CertificateStatus,
) -> Vec<BulkHolder> {
    insert_holders(
        app,
        &Holders {
            tag,
            count,
            expires_on,
            state,
            status,
        },
    )
    .await
}

async fn send(app: &TestApp, token: &str, input: Value) -> Value {
    mutate(app, token, SEND, "sendRenewalNotices", input).await["batch"].clone()
}

async fn progress(app: &TestApp, token: &str, batch: &str) -> Value {
    let r = app.gql_as(token, PROGRESS, json!({ "id": batch })).await;
    data(&r)["bulkNotice"].clone()
}

/// Polls the batch until `pred` holds of its progress.
async fn wait_for_progress(
    app: &TestApp,
    token: &str,
    batch: &str,
    what: &str,
    timeout: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    eventually(what, timeout, || async {
        let p = progress(app, token, batch).await;
        pred(&p).then_some(p)
    })
    .await
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// Messages per recipient and per Message-ID among what the listener accepted.
fn tallies(messages: &[Received]) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let mut per_recipient = BTreeMap::new();
    let mut per_id = BTreeMap::new();
    for m in messages.iter().filter(|m| is_notice(m)) {
        assert_eq!(m.recipients.len(), 1, "{m:?}");
        *per_recipient
            .entry(m.recipients[0].to_lowercase())
            .or_default() += 1;
        *per_id.entry(m.message_id.clone()).or_default() += 1;
    }
    (per_recipient, per_id)
}

/// Fails unless each of `holders` received exactly one notice, nobody else any, and no
/// Message-ID arrived twice.
fn assert_exactly_one_each(app: &TestApp, holders: &[BulkHolder]) {
    let (per_recipient, per_id) = tallies(&app.smtp.messages());
    let twice: Vec<(&String, &usize)> = per_recipient.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "holders notified more than once: {twice:?}"
    );
    let expected: BTreeSet<String> = holders.iter().map(|h| h.email.to_lowercase()).collect();
    let received: BTreeSet<String> = per_recipient.keys().cloned().collect();
    let missing: Vec<&String> = expected.difference(&received).take(10).collect();
    let extra: Vec<&String> = received.difference(&expected).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, not selected but notified {extra:?}"
    );
    let repeated: Vec<(&String, &usize)> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "Message-IDs seen twice: {repeated:?}");
    assert_eq!(per_id.len(), holders.len());
}

async fn sent_rows(app: &TestApp, batch: i64) -> u64 {
    notification::Entity::find()
        .filter(notification::Column::BatchId.eq(batch))
        .filter(notification::Column::Status.eq(NotificationStatus::Sent))
        .count(app.db())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_of_thousands_of_holders_gets_one_notice_though_the_batch_is_triggered_twice_and_a_worker_is_killed_midway()
 {
    const HOLDERS: usize = 2_500;
    let app = TestApp::builder()
        .without_worker()
        .programme("[email]\nretry_base_seconds = 1\n")
        .start()
        .await;
    let officer = app.officer("olive@example.org").await;
    let today = app.today();
    let selected = holders(
        &app,
        "spring",
        HOLDERS,
        today + Days::days(120),
        "IL",
        CertificateStatus::Active,
    )
    .await;
    // Holders the selection leaves out: their certificates expire after the range.
    holders(
        &app,
        "later",
        30,
        today + Days::days(400),
        "IL",
        CertificateStatus::Active,
    )
    .await;

    let input = json!({
        "expiringFrom": today.to_string(),
        "expiringTo": (today + Days::days(180)).to_string(),
        "message": "Renew before the summer.",
        "idempotencyKey": "renewal-notices-spring",
    });
    let first = send(&app, &officer.token, input.clone()).await;
    let batch = first["batchId"].as_str().unwrap().to_owned();
    let batch_id: i64 = batch.parse().unwrap();
    assert_eq!(first["status"], json!("PREPARING"), "{first}");
    // Triggered again with the same key (a double click, a retried request): the same batch.
    let second = send(&app, &officer.token, input).await;
    assert_eq!(second["batchId"], json!(batch));
    let r = app
        .gql_as(&officer.token, "{ bulkNotices { batchId } }", json!({}))
        .await;
    assert_eq!(data(&r)["bulkNotices"], json!([{ "batchId": batch }]));

    // The fan-out run twice at once, as two workers racing on the task would, before any
    // worker exists; then once more by the worker that takes the task.
    let (a, b) = tokio::join!(
        domain::services::bulk_notices::fan_out(&app.services, batch_id),
        domain::services::bulk_notices::fan_out(&app.services, batch_id),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        [a, b].contains(&(HOLDERS as i64)),
        "the fan-outs counted {a} and {b}"
    );
    let p = progress(&app, &officer.token, &batch).await;
    assert_eq!(p["status"], json!("SENDING"), "{p}");
    assert_eq!(int(&p["total"]), HOLDERS as i64, "{p}");
    assert_eq!(int(&p["queued"]), HOLDERS as i64, "{p}");
    assert_eq!(int(&p["remaining"]), HOLDERS as i64, "{p}");

    let mut doomed = WorkerProcess::spawn(&app.config);
    app.smtp
        .wait_for_count("a third of the notices", HOLDERS / 3, WAIT * 4, is_notice)
        .await;
    // Kill the worker with sends in flight. A crash between the server's "250" and the
    // row's "sent" is the one window in which no system can know whether a message went
    // out, so the kill lands where none is: the server holds every message it is sent
    // unanswered, and the worker has recorded every message the server accepted.
    app.smtp.stall();
    app.smtp.wait_for_stalled_session().await;
    // Two looks in a row that agree: nothing was between "250" and "sent" in between.
    let stable = std::sync::Mutex::new(None);
    eventually(
        "every accepted notice to be recorded as sent",
        WAIT,
        || async {
            let now = (
                app.smtp.count(is_notice) as u64,
                sent_rows(&app, batch_id).await,
            );
            let before = stable.lock().unwrap().replace(now);
            (now.0 == now.1 && before == Some(now)).then_some(())
        },
    )
    .await;
    doomed.assert_running();
    doomed.kill();
    let before_kill = app.smtp.count(is_notice);
    assert!(
        before_kill < HOLDERS,
        "the worker was killed midway ({before_kill} sent)"
    );
    app.smtp.accept();

    let mut survivor = WorkerProcess::spawn(&app.config);
    // The fan-out task pushed again: it is done, and writes nothing.
    let task = entity::background_task::Entity::find()
        .filter(entity::background_task::Column::SubjectId.eq(batch_id))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(task.len(), 1, "{task:?}");
    app.job_queue()
        .await
        .push_tasks(&[task[0].id])
        .await
        .unwrap();

    app.smtp
        .wait_for_count("every notice", HOLDERS, WAIT * 6, is_notice)
        .await;
    app.smtp
        .assert_count_holds("notices", HOLDERS, REDELIVERY_WINDOW, is_notice)
        .await;
    survivor.assert_running();
    assert_exactly_one_each(&app, &selected);

    let done = wait_for_progress(
        &app,
        &officer.token,
        &batch,
        "the batch to complete",
        WAIT,
        |p| p["status"] == json!("COMPLETED"),
    )
    .await;
    assert_eq!(int(&done["total"]), HOLDERS as i64, "{done}");
    assert_eq!(int(&done["sent"]), HOLDERS as i64, "{done}");
    assert_eq!(int(&done["failed"]), 0, "{done}");
    assert_eq!(int(&done["remaining"]), 0, "{done}");
    assert!(done["completedAt"].is_string(), "{done}");
    let rows = notification::Entity::find()
        .filter(notification::Column::BatchId.eq(batch_id))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), HOLDERS);
    let by_worker = rows
        .iter()
        .fold(BTreeMap::<String, usize>::new(), |mut acc, r| {
            *acc.entry(r.claimed_by.clone().unwrap_or_default())
                .or_default() += 1;
            acc
        });
    assert_eq!(
        by_worker.keys().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([doomed.name.clone(), survivor.name.clone()]),
        "{by_worker:?}"
    );
    let task = entity::background_task::Entity::find_by_id(task[0].id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.status, entity::background_task::TaskStatus::Done);
    eprintln!("{HOLDERS} notices: {before_kill} before the kill; sent per worker {by_worker:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_bulk_notice_sends_no_more_and_its_sent_and_cancelled_add_up_to_the_total() {
    const HOLDERS: usize = 1_000;
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let today = app.today();
    let selected = holders(
        &app,
        "cancel",
        HOLDERS,
        today + Days::days(60),
        "IL",
        CertificateStatus::Active,
    )
    .await;
    let batch = send(
        &app,
        &officer.token,
        json!({ "expiringTo": (today + Days::days(90)).to_string() }),
    )
    .await["batchId"]
        .as_str()
        .unwrap()
        .to_owned();
    app.smtp
        .wait_for_count("the first notices", 20, WAIT, is_notice)
        .await;
    let cancelled = mutate(
        &app,
        &officer.token,
        CANCEL,
        "cancelBulkNotice",
        json!({ "batchId": batch }),
    )
    .await["batch"]
        .clone();
    assert_eq!(cancelled["status"], json!("CANCELLED"), "{cancelled}");
    assert!(int(&cancelled["cancelled"]) > 0, "{cancelled}");
    let in_flight = int(&cancelled["sent"]) + int(&cancelled["queued"]);

    let settled = wait_for_progress(
        &app,
        &officer.token,
        &batch,
        "the messages in flight to finish",
        WAIT,
        |p| int(&p["queued"]) == 0,
    )
    .await;
    let (sent, dropped) = (int(&settled["sent"]), int(&settled["cancelled"]));
    assert_eq!(int(&settled["total"]), HOLDERS as i64, "{settled}");
    assert_eq!(sent + dropped, HOLDERS as i64, "{settled}");
    assert_eq!(int(&settled["failed"]), 0, "{settled}");
    assert_eq!(int(&settled["remaining"]), 0, "{settled}");
    assert_eq!(settled["status"], json!("CANCELLED"));
    assert!(
        sent <= in_flight,
        "only what was in flight at the cancel went out: {sent} > {in_flight}"
    );
    assert!(dropped > 0 && sent > 0, "{settled}");

    // What the listener received is what the batch counts as sent, once each.
    app.smtp
        .assert_count_holds(
            "notices after the cancel",
            sent as usize,
            REDELIVERY_WINDOW,
            is_notice,
        )
        .await;
    let (per_recipient, per_id) = tallies(&app.smtp.messages());
    assert!(per_recipient.values().all(|n| *n == 1), "{per_recipient:?}");
    assert_eq!(per_id.len(), sent as usize);
    let emails: BTreeSet<String> = selected.iter().map(|h| h.email.clone()).collect();
    assert!(per_recipient.keys().all(|r| emails.contains(r)));

    let again = app
        .gql_as(
            &officer.token,
            CANCEL,
            json!({ "input": { "batchId": batch } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&again)["cancelBulkNotice"]),
        ["BATCH_FINISHED"]
    );
    let retry = app
        .gql_as(
            &officer.token,
            RETRY,
            json!({ "input": { "batchId": batch } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&retry)["retryBulkNoticeFailures"]),
        ["BATCH_CANCELLED"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_notices_failures_are_sent_once_when_staff_retry_them() {
    const HOLDERS: usize = 300;
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let today = app.today();
    let selected = holders(
        &app,
        "retry",
        HOLDERS,
        today + Days::days(30),
        "WI",
        CertificateStatus::Active,
    )
    .await;
    // The mail server refuses every recipient for good while the batch starts…
    app.smtp.reject();
    let batch = send(
        &app,
        &officer.token,
        json!({ "state": "WI", "idempotencyKey": "wisconsin" }),
    )
    .await["batchId"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for_progress(&app, &officer.token, &batch, "some failures", WAIT, |p| {
        int(&p["failed"]) >= 20
    })
    .await;
    // …then takes mail again: the rest go out, the failures stay failed.
    app.smtp.accept();
    let first_pass = wait_for_progress(
        &app,
        &officer.token,
        &batch,
        "the first pass to end",
        WAIT * 2,
        |p| p["status"] == json!("COMPLETED"),
    )
    .await;
    let failed = int(&first_pass["failed"]);
    assert!(failed >= 20, "{first_pass}");
    assert_eq!(int(&first_pass["sent"]) + failed, HOLDERS as i64);
    assert_eq!(int(&first_pass["remaining"]), 0, "{first_pass}");
    let failed_to: BTreeSet<String> = notification::Entity::find()
        .filter(notification::Column::Status.eq(NotificationStatus::Failed))
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.to_email)
        .collect();
    assert_eq!(failed_to.len() as i64, failed);
    assert_eq!(
        app.smtp
            .count(|m| is_notice(m) && failed_to.iter().any(|e| m.is_to(e))),
        0,
        "a rejected notice was not delivered"
    );
    assert_eq!(
        app.smtp.count(is_notice),
        HOLDERS - failed as usize,
        "the others were"
    );

    let retried = mutate(
        &app,
        &officer.token,
        RETRY,
        "retryBulkNoticeFailures",
        json!({ "batchId": batch }),
    )
    .await["batch"]
        .clone();
    assert_eq!(int(&retried["failed"]), 0, "{retried}");
    assert_eq!(int(&retried["remaining"]), failed, "{retried}");
    app.smtp
        .wait_for_count("every notice", HOLDERS, WAIT, is_notice)
        .await;
    let done = wait_for_progress(
        &app,
        &officer.token,
        &batch,
        "the retry to complete",
        WAIT,
        |p| p["status"] == json!("COMPLETED"),
    )
    .await;
    assert_eq!(int(&done["sent"]), HOLDERS as i64, "{done}");
    assert_eq!(int(&done["failed"]), 0, "{done}");
    app.smtp
        .assert_count_holds("notices", HOLDERS, REDELIVERY_WINDOW, is_notice)
        .await;
    assert_exactly_one_each(&app, &selected);
    // Nothing left to retry: a second retry sends nothing.
    mutate(
        &app,
        &officer.token,
        RETRY,
        "retryBulkNoticeFailures",
        json!({ "batchId": batch }),
    )
    .await;
    app.smtp
        .assert_count_holds("notices", HOLDERS, REDELIVERY_WINDOW, is_notice)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_progress_subscription_reports_a_bulk_notice_to_the_end() {
    const HOLDERS: usize = 800;
    let app = TestApp::builder().without_worker().start().await;
    let officer = app.officer("olive@example.org").await;
    let today = app.today();
    holders(
        &app,
        "live",
        HOLDERS,
        today + Days::days(100),
        "IL",
        CertificateStatus::Active,
    )
    .await;
    let batch = send(&app, &officer.token, json!({ "notRenewed": true })).await["batchId"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut ws = GraphqlWs::connect(&app, &officer.token).await;
    ws.subscribe("progress", SUBSCRIBE, json!({ "id": batch }))
        .await;
    let first = ws.next().await.unwrap();
    assert_eq!(first["type"], json!("next"), "{first}");
    assert_eq!(
        first["payload"]["data"]["bulkNoticeProgress"]["status"],
        json!("PREPARING"),
        "{first}"
    );
    // Only now does a worker start: the subscriber sees the whole run.
    let mut worker = WorkerProcess::spawn(&app.config);
    let mut events = vec![first["payload"]["data"]["bulkNoticeProgress"].clone()];
    loop {
        let message = ws
            .next()
            .await
            .expect("the subscription ends with complete");
        match message["type"].as_str() {
            Some("next") => {
                assert!(message["payload"]["errors"].is_null(), "{message}");
                events.push(message["payload"]["data"]["bulkNoticeProgress"].clone());
            }
            Some("complete") => break,
            _ => panic!("unexpected {message}"),
        }
    }
    worker.assert_running();
    let last = events.last().unwrap();
    assert_eq!(last["status"], json!("COMPLETED"), "{events:?}");
    assert_eq!(int(&last["remaining"]), 0, "{events:?}");
    assert_eq!(int(&last["queued"]), 0, "{events:?}");
    assert_eq!(int(&last["sent"]), HOLDERS as i64, "{events:?}");
    assert_eq!(int(&last["total"]), HOLDERS as i64, "{events:?}");
    let sent: Vec<i64> = events.iter().map(|e| int(&e["sent"])).collect();
    assert!(
        sent.windows(2).all(|w| w[0] <= w[1]),
        "sent only grows: {sent:?}"
    );
    let partial = events
        .iter()
        .filter(|e| e["status"] == json!("SENDING") && int(&e["sent"]) < HOLDERS as i64)
        .count();
    assert!(partial >= 1, "progress along the way: {events:?}");
    for e in &events {
        assert_eq!(e["batchId"], json!(batch));
        if e["status"] != json!("PREPARING") {
            assert_eq!(
                int(&e["sent"]) + int(&e["queued"]) + int(&e["failed"]),
                int(&e["total"]),
                "{e}"
            );
            assert_eq!(int(&e["remaining"]), int(&e["queued"]), "{e}");
        }
    }
    assert_eq!(app.smtp.count(is_notice), HOLDERS);
    eprintln!("{} progress events: sent {sent:?}", events.len());
    // The mailer keeps its connections open between messages.
    let sessions = app.smtp.sessions();
    assert!(
        sessions * 10 <= HOLDERS as u64,
        "{sessions} SMTP sessions for {HOLDERS} messages"
    );

    // Progress is for staff: another user's subscription is refused.
    let stranger = app.signed_up_user("sam@example.org", "Sam").await;
    let mut ws = GraphqlWs::connect(&app, &stranger.token).await;
    ws.subscribe("progress", SUBSCRIBE, json!({ "id": batch }))
        .await;
    // A resolver's refusal is an execution result (graphql-ws `next` with `errors` and no
    // data); a validation failure would be an `error` message. Either way no progress leaks.
    let refused = ws.next().await.unwrap();
    let errors = match refused["type"].as_str() {
        Some("next") => {
            assert!(refused["payload"]["data"].is_null(), "{refused}");
            &refused["payload"]["errors"]
        }
        Some("error") => &refused["payload"],
        _ => panic!("expected a refusal: {refused}"),
    };
    assert_eq!(
        errors[0]["extensions"]["code"],
        json!("FORBIDDEN"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_notice_reaches_the_holders_selected_by_expiry_status_state_and_renewal() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let today = app.today();
    let soon = today + Days::days(100);
    let active = CertificateStatus::Active;
    let illinois = holders(&app, "il", 6, soon, "IL", active).await;
    let wisconsin = holders(&app, "wi", 4, soon, "WI", active).await;
    let later = holders(&app, "later", 4, today + Days::days(500), "IL", active).await;
    let lapsed = holders(
        &app,
        "lapsed",
        3,
        today - Days::days(10),
        "IL",
        CertificateStatus::Expired,
    )
    .await;
    let revoked = holders(&app, "revoked", 2, soon, "IL", CertificateStatus::Revoked).await;
    // One Illinois holder has already applied to renew.
    let now = app.services.now();
    entity::renewal::Entity::insert(entity::renewal::ActiveModel {
        certificate_id: sea_orm::ActiveValue::Set(illinois[0].certificate_id),
        status: sea_orm::ActiveValue::Set(entity::renewal::RenewalStatus::Submitted),
        fee_cents: sea_orm::ActiveValue::Set(10_000),
        contact_hours: sea_orm::ActiveValue::Set(32),
        technology_hours: sea_orm::ActiveValue::Set(4),
        submitted_at: sea_orm::ActiveValue::Set(Some(now)),
        created_at: sea_orm::ActiveValue::Set(now),
        updated_at: sea_orm::ActiveValue::Set(now),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap();

    // Illinois, expiring in the next year or lapsed in the last month, active or
    // expired (the default), not already renewing.
    let batch = send(
        &app,
        &officer.token,
        json!({
            "expiringFrom": (today - Days::days(30)).to_string(),
            "expiringTo": (today + Days::days(365)).to_string(),
            "state": " il ",
            "notRenewed": true,
        }),
    )
    .await["batchId"]
        .as_str()
        .unwrap()
        .to_owned();
    let expected: Vec<BulkHolder> = illinois[1..].iter().chain(&lapsed).cloned().collect();
    let done = wait_for_progress(
        &app,
        &officer.token,
        &batch,
        "the batch to complete",
        WAIT,
        |p| p["status"] == json!("COMPLETED"),
    )
    .await;
    assert_eq!(int(&done["total"]), expected.len() as i64, "{done}");
    app.smtp
        .wait_for_count("the notices", expected.len(), WAIT, is_notice)
        .await;
    app.smtp
        .assert_count_holds("notices", expected.len(), REDELIVERY_WINDOW, is_notice)
        .await;
    assert_exactly_one_each(&app, &expected);
    let left_out: Vec<&BulkHolder> = wisconsin
        .iter()
        .chain(&later)
        .chain(&revoked)
        .chain(&illinois[..1])
        .collect();
    assert!(
        left_out
            .iter()
            .all(|h| app.smtp.count(|m| m.is_to(&h.email)) == 0)
    );
    let notice = app
        .smtp
        .wait_for("a notice", |m| m.is_to(&illinois[1].email))
        .await;
    assert!(notice.text.contains(&illinois[1].number), "{}", notice.text);

    // Revoked holders only when asked for by status.
    send(&app, &officer.token, json!({ "statuses": ["REVOKED"] })).await;
    app.smtp
        .wait_for_count(
            "the notices to revoked holders",
            expected.len() + revoked.len(),
            WAIT,
            is_notice,
        )
        .await;

    // Only staff send notices.
    let holder = app.signed_up_user("hal@example.org", "Hal").await;
    let r = app
        .gql_as(&holder.token, SEND, json!({ "input": {} }))
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN");
    let r = app
        .gql_as(
            &officer.token,
            SEND,
            json!({ "input": { "expiringFrom": today.to_string(), "expiringTo": (today - Days::days(1)).to_string() } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&r)["sendRenewalNotices"]),
        ["EMPTY_RANGE"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_idempotency_key_sent_four_times_at_once_gives_every_caller_the_same_batch() {
    let app = TestApp::builder().without_worker().start().await;
    let officer = app.officer("olive@lsscp.test").await;
    let input = json!({ "input": { "state": "WI", "idempotencyKey": "four-clicks" } });
    let answers =
        futures::future::join_all((0..4).map(|_| app.gql_as(&officer.token, SEND, input.clone())))
            .await;
    let ids: BTreeSet<String> = answers
        .iter()
        .map(|r| {
            data(r)["sendRenewalNotices"]["batch"]["batchId"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
}

async fn batches(app: &TestApp) -> u64 {
    entity::bulk_notice_batch::Entity::find()
        .count(app.db())
        .await
        .unwrap()
}

fn batch_id(batch: &Value) -> i64 {
    batch["batchId"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no batch id in {batch}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn one_idempotency_key_with_other_criteria_is_refused_on_the_key_and_makes_no_second_batch() {
    let app = TestApp::builder().without_worker().start().await;
    let officer = app.officer("olive@lsscp.test").await;
    let first = send(
        &app,
        &officer.token,
        json!({ "state": "WI", "statuses": ["ACTIVE", "EXPIRED"], "idempotencyKey": "spring" }),
    )
    .await;

    let r = app
        .gql_as(
            &officer.token,
            SEND,
            json!({ "input": { "state": "IL", "idempotencyKey": "spring" } }),
        )
        .await;
    let refused = &data(&r)["sendRenewalNotices"];
    assert_eq!(user_error_codes(refused), ["IDEMPOTENCY_KEY_REUSED"], "{r}");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!("idempotencyKey"),
        "{r}"
    );
    assert!(
        refused["userErrors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("new key")),
        "{r}"
    );
    assert_eq!(refused["batch"], Value::Null, "{r}");
    assert_eq!(batches(&app).await, 1);

    // The same selection written differently is the same request, and replays.
    let again = send(
        &app,
        &officer.token,
        json!({ "state": " wi ", "statuses": ["EXPIRED", "ACTIVE"], "idempotencyKey": "spring" }),
    )
    .await;
    assert_eq!(batch_id(&again), batch_id(&first));

    // At once, under a new key: whichever criteria win, the others are refused, nobody is
    // answered INTERNAL, and one batch is made.
    let inputs = ["WI", "IL", "WI", "IL"]
        .map(|state| json!({ "input": { "state": state, "idempotencyKey": "summer" } }));
    let answers = futures::future::join_all(
        inputs
            .iter()
            .map(|input| app.gql_as(&officer.token, SEND, input.clone())),
    )
    .await;
    let mut made = BTreeSet::new();
    let mut refusals = 0;
    for r in &answers {
        let payload = &data(r)["sendRenewalNotices"];
        match user_error_codes(payload).as_slice() {
            [] => {
                made.insert(batch_id(&payload["batch"]));
            }
            [code] if code == "IDEMPOTENCY_KEY_REUSED" => refusals += 1,
            other => panic!("unexpected user errors {other:?}: {r}"),
        }
    }
    assert_eq!(made.len(), 1, "{answers:?}");
    assert_eq!(refusals, 2, "{answers:?}");
    assert_eq!(batches(&app).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_makes_a_new_batch_once_its_day_is_over() {
    let app = TestApp::builder().without_worker().start().await;
    let officer = app.officer("olive@lsscp.test").await;
    let input = json!({ "state": "WI", "idempotencyKey": "monthly" });
    let first = batch_id(&send(&app, &officer.token, input.clone()).await);

    app.advance(chrono::Duration::hours(23));
    assert_eq!(
        batch_id(&send(&app, &officer.token, input.clone()).await),
        first
    );

    app.advance(chrono::Duration::hours(2));
    let second = batch_id(&send(&app, &officer.token, input.clone()).await);
    assert_ne!(second, first);
    assert_eq!(batches(&app).await, 2);
    // The old batch keeps its history, not the key; the key now names the new one.
    let old = entity::bulk_notice_batch::Entity::find_by_id(first)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.idempotency_key, None);
    assert_eq!(batch_id(&send(&app, &officer.token, input).await), second);
}

#[tokio::test(flavor = "multi_thread")]
async fn how_long_an_idempotency_key_holds_is_the_programmes_to_configure() {
    let app = TestApp::builder()
        .without_worker()
        .programme("[bulk_notices]\nidempotency_key_hours = 48\n")
        .start()
        .await;
    let officer = app.officer("olive@lsscp.test").await;
    let input = json!({ "state": "WI", "idempotencyKey": "fortnight" });
    let first = batch_id(&send(&app, &officer.token, input.clone()).await);
    app.advance(chrono::Duration::hours(25));
    assert_eq!(
        batch_id(&send(&app, &officer.token, input.clone()).await),
        first
    );
    app.advance(chrono::Duration::hours(24));
    assert_ne!(batch_id(&send(&app, &officer.token, input).await), first);
}
