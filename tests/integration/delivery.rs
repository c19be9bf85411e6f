//! The outbox and the workers: every email is delivered, once, whatever happens to the
//! workers and the mail server on the way. Emails are counted where they land, at the SMTP
//! listener, by recipient and Message-ID.

use crate::support::{
    PASSWORD, REDELIVERY_WINDOW, Refusal, TestApp, WAIT, WorkerProcess, data, user_error_codes,
};
use domain::emails::EmailTemplate;
use domain::outbox::{Email, queue_email};
use entity::notification::{self, NotificationStatus};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// The one notification row addressed to `email`.
async fn notification_to(app: &TestApp, email: &str) -> notification::Model {
    let rows = notification::Entity::find()
        .filter(notification::Column::ToEmail.eq(email))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "notifications to {email}: {rows:?}");
    rows.into_iter().next().unwrap()
}

/// Polls the row addressed to `email` until `pred` holds.
async fn wait_for_notification(
    app: &TestApp,
    email: &str,
    what: &str,
    pred: impl Fn(&notification::Model) -> bool,
) -> notification::Model {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let row = notification_to(app, email).await;
        if pred(&row) {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {WAIT:?} waiting for the email to {email} to be {what}: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn message_id(row: &notification::Model) -> String {
    domain::outbox::message_id(row, crate::support::app::MAIL_FROM)
}

fn plain_email(key: &str, to: &str) -> Email {
    Email {
        key: key.to_owned(),
        account_id: None,
        to: to.to_owned(),
        to_name: Some("Reader".to_owned()),
        template: EmailTemplate::AccountExists,
        params: json!({ "name": "Reader" }),
        secret: None,
        batch_id: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_written_while_no_worker_runs_is_sent_once_when_a_worker_starts() {
    let app = TestApp::builder().without_worker().start().await;
    app.register("ann@example.org", "Ann", PASSWORD).await;
    let row = notification_to(&app, "ann@example.org").await;
    assert_eq!(row.status, NotificationStatus::Pending);
    assert_eq!(row.pushed_at, None);

    let mut worker = WorkerProcess::spawn(&app.config);
    let email = app
        .smtp
        .wait_for("the verification email", |m| m.is_to("ann@example.org"))
        .await;
    assert_eq!(email.message_id, message_id(&row));
    app.smtp
        .assert_count_holds("emails to ann", 1, REDELIVERY_WINDOW, |m| {
            m.is_to("ann@example.org")
        })
        .await;
    worker.assert_running();
    let row = notification_to(&app, "ann@example.org").await;
    assert_eq!(row.status, NotificationStatus::Sent);
    assert_eq!(row.attempts, 1);
    assert_eq!(row.claimed_by.as_deref(), Some(worker.name.as_str()));
    assert_eq!(row.secret, None, "the one-time token is erased once sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_in_the_middle_of_a_send_leaves_the_email_to_another_which_sends_it_once() {
    let app = TestApp::builder().without_worker().start().await;
    app.smtp.stall();
    app.register("bea@example.org", "Bea", PASSWORD).await;

    let mut first = WorkerProcess::spawn(&app.config);
    app.smtp.wait_for_stalled_session().await;
    let row = notification_to(&app, "bea@example.org").await;
    assert_eq!(row.delivery_status(), NotificationStatus::Sending);
    assert_eq!(
        row.status,
        NotificationStatus::Pending,
        "a claim is not a status change in the table (m0009)"
    );
    assert_eq!(row.claimed_by.as_deref(), Some(first.name.as_str()));
    // Staff see it as sending, under that filter and not under pending.
    let officer = app.officer("olive@lsscp.test").await;
    let listed = |status: &'static str| {
        let (app, token) = (&app, officer.token.clone());
        async move {
            let query = format!(
                "{{ notifications(status: {status}) {{ edges {{ node {{ to status }} }} }} }}"
            );
            let r = app.gql_as(&token, &query, json!({})).await;
            data(&r)["notifications"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["node"]["to"] == json!("bea@example.org"))
                .map(|e| e["node"]["status"].clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("SENDING").await, vec![json!("SENDING")]);
    assert!(listed("PENDING").await.is_empty());
    first.kill();

    app.smtp.accept();
    let mut second = WorkerProcess::spawn(&app.config);
    let email = app
        .smtp
        .wait_for("the verification email", |m| m.is_to("bea@example.org"))
        .await;
    assert_eq!(email.message_id, message_id(&row));
    app.smtp
        .assert_count_holds("emails to bea", 1, REDELIVERY_WINDOW, |m| {
            m.is_to("bea@example.org")
        })
        .await;
    second.assert_running();
    let row = notification_to(&app, "bea@example.org").await;
    assert_eq!(row.status, NotificationStatus::Sent);
    assert_eq!(row.claimed_by.as_deref(), Some(second.name.as_str()));
    assert_eq!(app.smtp.stalled_total(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_sharing_a_queue_send_every_email_exactly_once() {
    let app = TestApp::builder().without_worker().start().await;
    let recipients: Vec<String> = (1..=40).map(|i| format!("reader{i}@example.org")).collect();
    let txn = app.db().begin().await.unwrap();
    for (i, to) in recipients.iter().enumerate() {
        let new = queue_email(
            &txn,
            app.services.now(),
            plain_email(&format!("test:{i}"), to),
        )
        .await
        .unwrap();
        assert!(new);
    }
    txn.commit().await.unwrap();

    let mut one = WorkerProcess::spawn(&app.config);
    let mut two = WorkerProcess::spawn(&app.config);
    let is_reader =
        |m: &crate::support::Received| m.recipients.iter().any(|r| r.starts_with("reader"));
    app.smtp
        .wait_for_count("40 emails", 40, WAIT * 2, is_reader)
        .await;
    app.smtp
        .assert_count_holds("emails to readers", 40, REDELIVERY_WINDOW, is_reader)
        .await;
    one.assert_running();
    two.assert_running();

    let messages = app.smtp.messages();
    let mut per_recipient: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_id: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &messages {
        assert_eq!(m.recipients.len(), 1, "{m:?}");
        *per_recipient.entry(m.recipients[0].as_str()).or_default() += 1;
        *per_id.entry(m.message_id.as_str()).or_default() += 1;
    }
    for to in &recipients {
        assert_eq!(
            per_recipient.get(to.as_str()),
            Some(&1),
            "{to}: {per_recipient:?}"
        );
    }
    assert_eq!(per_id.len(), 40, "{per_id:?}");
    let rows = notification::Entity::find().all(app.db()).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.status == NotificationStatus::Sent && r.attempts == 1),
        "{rows:?}"
    );
    let by_worker = rows
        .iter()
        .fold(BTreeMap::<String, usize>::new(), |mut acc, r| {
            *acc.entry(r.claimed_by.clone().unwrap_or_default())
                .or_default() += 1;
            acc
        });
    eprintln!("emails sent per worker: {by_worker:?}");
}

/// The mail server turns away the first three sessions; the email is retried, with the
/// programme's backoff, until it goes through, and is delivered once.
async fn refused_then_accepted(how: Refusal) {
    let app = TestApp::builder()
        .programme("[email]\nretry_base_seconds = 1\n")
        .start()
        .await;
    app.smtp.refuse_next(3, how);
    app.register("cal@example.org", "Cal", PASSWORD).await;

    let email = app
        .smtp
        .wait_for("the verification email", |m| m.is_to("cal@example.org"))
        .await;
    assert_eq!(app.smtp.refused_sessions(), 3);
    app.smtp
        .assert_count_holds("emails to cal", 1, REDELIVERY_WINDOW, |m| {
            m.is_to("cal@example.org")
        })
        .await;
    let row = notification_to(&app, "cal@example.org").await;
    assert_eq!(email.message_id, message_id(&row));
    assert_eq!(row.status, NotificationStatus::Sent);
    assert_eq!(row.attempts, 4, "three refusals, then the send: {row:?}");
    assert_eq!(row.last_error, None);
    // The link in the email that finally went out still works.
    let token = app.verification_token("cal@example.org").await;
    let r = app.verify_email(&token).await;
    assert_eq!(
        data(&r)["verifyEmail"]["account"]["emailVerified"],
        json!(true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_refused_at_the_greeting_for_a_while_is_retried_and_delivered_once() {
    refused_then_accepted(Refusal::Greeting421).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_refused_at_mail_from_for_a_while_is_retried_and_delivered_once() {
    refused_then_accepted(Refusal::MailFrom451).await;
}

const FAILED: &str = "{ notifications(status: FAILED) { edges { node { id to template status attempts lastError } } } }";
const RETRY: &str = "mutation($input: RetryNotificationInput!) { retryNotification(input: $input) { notification { id status attempts } userErrors { code } } }";

/// Staff see the failed email, retry it once the server takes mail again, and it arrives
/// once, with a link that works.
async fn staff_retry_delivers(app: &TestApp, officer_token: &str, row: &notification::Model) {
    let failed = app.gql_as(officer_token, FAILED, json!({})).await;
    let listed = &data(&failed)["notifications"]["edges"];
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{failed}");
    let node = &listed[0]["node"];
    assert_eq!(node["id"], json!(row.id.to_string()));
    assert_eq!(node["to"], json!(row.to_email));
    assert_eq!(node["template"], json!("verify_email"));
    assert_eq!(node["status"], json!("FAILED"));
    assert!(
        node["lastError"].as_str().is_some_and(|e| !e.is_empty()),
        "{node}"
    );
    assert_eq!(
        app.smtp.count(|m| m.is_to(&row.to_email)),
        0,
        "nothing was delivered before the retry"
    );

    app.smtp.accept();
    // A double click: both requests at once, one retry.
    let input = json!({ "input": { "id": row.id.to_string() } });
    let (first, second) = futures::join!(
        app.gql_as(officer_token, RETRY, input.clone()),
        app.gql_as(officer_token, RETRY, input.clone()),
    );
    let mut codes: Vec<Vec<String>> = [&first, &second]
        .iter()
        .map(|r| user_error_codes(&data(r)["retryNotification"]))
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [vec![], vec!["NOT_FAILED".to_owned()]],
        "{first} {second}"
    );
    let retried = if user_error_codes(&data(&first)["retryNotification"]).is_empty() {
        first
    } else {
        second
    };
    let payload = &data(&retried)["retryNotification"];
    assert_eq!(payload["notification"]["status"], json!("PENDING"));

    let token = app.verification_token(&row.to_email).await;
    app.smtp
        .assert_count_holds("emails after the retry", 1, REDELIVERY_WINDOW, |m| {
            m.is_to(&row.to_email)
        })
        .await;
    let r = app.verify_email(&token).await;
    assert_eq!(
        data(&r)["verifyEmail"]["account"]["emailVerified"],
        json!(true)
    );
    let sent = notification_to(app, &row.to_email).await;
    assert_eq!(sent.status, NotificationStatus::Sent);
    let again = app
        .gql_as(
            officer_token,
            RETRY,
            json!({ "input": { "id": row.id.to_string() } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&again)["retryNotification"]),
        ["NOT_FAILED"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_the_server_rejects_for_good_fails_at_once_and_staff_can_retry_it() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    app.smtp.reject();
    app.register("dee@example.org", "Dee", PASSWORD).await;

    let row = wait_for_notification(&app, "dee@example.org", "failed", |r| {
        r.status == NotificationStatus::Failed
    })
    .await;
    assert_eq!(
        row.attempts, 1,
        "a permanent failure is not retried: {row:?}"
    );
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("550")),
        "{row:?}"
    );
    // Only staff see the outbox.
    let anonymous = app.gql(FAILED, json!({})).await;
    assert_eq!(crate::support::error_code(&anonymous), "UNAUTHENTICATED");

    staff_retry_delivers(&app, &officer.token, &row).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_that_uses_up_its_attempts_fails_and_staff_can_retry_it() {
    let app = TestApp::builder()
        .programme("[email]\nmax_attempts = 2\nretry_base_seconds = 1\n")
        .start()
        .await;
    let officer = app.officer("olive@example.org").await;
    app.smtp.refuse(Refusal::Greeting421);
    app.register("eve@example.org", "Eve", PASSWORD).await;

    let row = wait_for_notification(&app, "eve@example.org", "failed", |r| {
        r.status == NotificationStatus::Failed
    })
    .await;
    assert_eq!(row.attempts, 2, "{row:?}");
    assert_eq!(app.smtp.refused_sessions(), 2);

    staff_retry_delivers(&app, &officer.token, &row).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_queued_twice_under_one_idempotency_key_is_one_row_and_one_message() {
    let app = TestApp::start().await;
    let email = plain_email("test:the-same-event", "fred@example.org");
    let first = queue_email(app.db(), app.services.now(), email.clone())
        .await
        .unwrap();
    let second = queue_email(app.db(), app.services.now(), email.clone())
        .await
        .unwrap();
    assert!(first && !second, "first {first}, second {second}");
    app.services.outbox_written();

    app.smtp
        .wait_for("the email", |m| m.is_to("fred@example.org"))
        .await;
    // The event happening again after the email went out changes nothing either.
    let third = queue_email(app.db(), app.services.now(), email)
        .await
        .unwrap();
    assert!(!third);
    app.services.outbox_written();
    app.smtp
        .assert_count_holds("emails to fred", 1, REDELIVERY_WINDOW, |m| {
            m.is_to("fred@example.org")
        })
        .await;
    let rows = notification::Entity::find()
        .filter(notification::Column::IdempotencyKey.eq("test:the-same-event"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

/// Two different emails given one key are two events under one name: still one row and
/// one message (the first may be out already), but counted as a collision, not dropped
/// in silence.
#[tokio::test(flavor = "multi_thread")]
async fn an_email_queued_under_a_key_taken_by_another_is_not_sent_and_counted_as_a_collision() {
    let app = TestApp::start().await;
    let key = "test:one-name-two-events";
    let gina = plain_email(key, "gina@example.org");
    let hank = Email {
        to: "hank@example.org".to_owned(),
        to_name: Some("Hank".to_owned()),
        params: json!({ "name": "Hank" }),
        ..gina.clone()
    };
    let before = domain::outbox::idempotency_collisions();
    assert!(
        queue_email(app.db(), app.services.now(), gina.clone())
            .await
            .unwrap()
    );
    assert!(
        !queue_email(app.db(), app.services.now(), hank)
            .await
            .unwrap()
    );
    // Tests in other threads may count their own collisions too.
    assert!(
        domain::outbox::idempotency_collisions() > before,
        "the collision was not counted"
    );
    // The first email again is the intended dedupe (whether it counts cannot be told from
    // other tests' counts here; the domain's unit tests show it does not).
    assert!(
        !queue_email(app.db(), app.services.now(), gina)
            .await
            .unwrap()
    );
    app.services.outbox_written();

    app.smtp
        .wait_for("the first email", |m| m.is_to("gina@example.org"))
        .await;
    app.smtp
        .assert_count_holds("emails under the key", 1, REDELIVERY_WINDOW, |m| {
            m.is_to("gina@example.org") || m.is_to("hank@example.org")
        })
        .await;
    let rows = notification::Entity::find()
        .filter(notification::Column::IdempotencyKey.eq(key))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].to_email, "gina@example.org");
}

/// The worker sends `MAIL`, `RCPT` and `DATA` together only to a server that offers
/// PIPELINING, and one at a time to any other; both get every email once.
#[tokio::test(flavor = "multi_thread")]
async fn the_worker_pipelines_commands_only_to_a_server_that_offers_it() {
    for offered in [true, false] {
        let app = TestApp::builder().without_worker().start().await;
        if !offered {
            app.smtp.without_pipelining();
        }
        let to: Vec<String> = (0..3)
            .map(|i| format!("pipe-{offered}-{i}@example.org"))
            .collect();
        for address in &to {
            let key = format!("test:pipelining:{address}");
            queue_email(app.db(), app.services.now(), plain_email(&key, address))
                .await
                .unwrap();
        }
        let mut worker = WorkerProcess::spawn(&app.config);
        for address in &to {
            app.smtp.wait_for("the email", |m| m.is_to(address)).await;
        }
        app.smtp
            .assert_count_holds("the emails", 3, Duration::from_secs(1), |m| {
                to.iter().any(|a| m.is_to(a))
            })
            .await;
        worker.assert_running();
        let pipelined = app.smtp.pipelined_commands();
        if offered {
            // Each message's MAIL arrived with its RCPT and DATA behind it.
            assert!(pipelined >= 3, "pipelined commands: {pipelined}");
        } else {
            assert_eq!(
                pipelined, 0,
                "commands pipelined to a server that did not offer it"
            );
        }
    }
}

/// A worker must give up on a send the server never answers before its claim on the row
/// runs out; otherwise the relay hands the row to a worker again while the first send is
/// still open, and a server that was only slow receives the email twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_send_the_server_never_answers_is_given_up_before_its_claim_runs_out() {
    let app = TestApp::builder()
        .programme("[email]\nretry_base_seconds = 1\n")
        .start()
        .await;
    app.smtp.stall();
    app.register("gil@example.org", "Gil", PASSWORD).await;
    app.smtp.wait_for_stalled_session().await;

    // Past the lease and a redelivery, in real time: the worker's own timers are at stake.
    app.smtp
        .assert_count_holds(
            "emails to gil while the server stalls",
            0,
            REDELIVERY_WINDOW,
            |m| m.is_to("gil@example.org"),
        )
        .await;
    app.smtp.accept_including_stalled();
    let row = wait_for_notification(&app, "gil@example.org", "sent", |r| {
        r.status == NotificationStatus::Sent
    })
    .await;
    app.smtp
        .assert_count_holds("emails to gil", 1, REDELIVERY_WINDOW, |m| {
            m.message_id == message_id(&row)
        })
        .await;
    assert_eq!(
        app.smtp.stalled_max(),
        1,
        "sends of one email were open at the same time"
    );
}

/// Emails queued together travel in one job. When the server stalls, the job must stop
/// starting sends that could outlast its claim and hand the rest back; otherwise another
/// worker takes them over when the claim runs out while the first job still sends them,
/// and a server that was only slow receives them twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_of_several_emails_the_server_stalls_hands_back_what_its_claim_cannot_cover() {
    let app = TestApp::builder()
        .programme("[email]\nretry_base_seconds = 1\n")
        .start()
        .await;
    app.smtp.stall();
    let recipients: Vec<String> = (1..=6).map(|i| format!("run{i}@example.org")).collect();
    let txn = app.db().begin().await.unwrap();
    for (i, to) in recipients.iter().enumerate() {
        queue_email(
            &txn,
            app.services.now(),
            plain_email(&format!("run:{i}"), to),
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
    app.smtp.wait_for_stalled_session().await;
    let is_run = |m: &crate::support::Received| m.recipients.iter().any(|r| r.starts_with("run"));

    // Two leases and a redelivery, in real time: the worker's own timers are at stake.
    app.smtp
        .assert_count_holds(
            "emails while the server stalls",
            0,
            REDELIVERY_WINDOW * 2,
            is_run,
        )
        .await;
    app.smtp.accept_including_stalled();
    app.smtp.wait_for_count("6 emails", 6, WAIT, is_run).await;
    app.smtp
        .assert_count_holds("emails of the run", 6, REDELIVERY_WINDOW, is_run)
        .await;
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for m in app.smtp.messages().iter().filter(|m| is_run(m)) {
        *per_id.entry(m.message_id.clone()).or_default() += 1;
    }
    assert_eq!(per_id.len(), 6, "{per_id:?}");
    let rows = notification::Entity::find().all(app.db()).await.unwrap();
    assert!(
        rows.iter().all(|r| r.status == NotificationStatus::Sent),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relay_keeps_at_most_its_bound_of_emails_waiting_on_the_queue() {
    use domain::jobs::MAIL_QUEUE;
    use domain::services::relay::Outbox;
    use worker::relay::{Pass, relay_once};

    // No worker takes jobs at first: the test plays the relay.
    let app = TestApp::builder().without_worker().start().await;
    let ctx = &app.services;
    let recipients: Vec<String> = (0..30).map(|i| format!("holder{i}@example.org")).collect();
    for (i, to) in recipients.iter().enumerate() {
        queue_email(&ctx.db, ctx.now(), plain_email(&format!("bound-{i}"), to))
            .await
            .unwrap();
    }
    let timing = worker::Timing {
        relay_max_outstanding: 10,
        mail_per_job: 5,
        ..crate::support::app::timing()
    };
    let relay = async || {
        relay_once(ctx, app.queue(), &timing, Outbox::Mail)
            .await
            .unwrap()
    };

    let first = relay().await;
    assert_eq!(first.pushed, 10, "no more than the bound at once");
    assert!(first.queue_full, "{first:?}");
    assert_eq!(
        app.queue().waiting(MAIL_QUEUE).await.unwrap(),
        2,
        "two jobs of five"
    );
    assert_eq!(
        relay().await,
        Pass {
            pushed: 0,
            queue_full: true
        },
        "the bound is reached"
    );
    let pushed = notification::Entity::find()
        .filter(notification::Column::PushedAt.is_not_null())
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(pushed, 10, "the rest wait in the database");

    // Jobs still on the queue are not lost: past the redelivery delay, their rows are not
    // pushed again while the queue is full.
    app.advance(chrono::Duration::seconds(61));
    assert_eq!(relay().await.pushed, 0, "a full queue is not a lost job");

    // A worker takes the jobs; its relay fills the room they leave, and every email is sent
    // once.
    let mut worker = WorkerProcess::spawn(&app.config);
    let is_holder =
        |m: &crate::support::Received| m.recipients.iter().any(|r| r.starts_with("holder"));
    app.smtp
        .wait_for_count("30 emails", 30, WAIT * 2, is_holder)
        .await;
    app.smtp
        .assert_count_holds("emails to holders", 30, REDELIVERY_WINDOW, is_holder)
        .await;
    worker.assert_running();
    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for m in app.smtp.messages().iter().filter(|m| is_holder(m)) {
        *per_recipient.entry(m.recipients[0].clone()).or_default() += 1;
    }
    assert_eq!(per_recipient.len(), 30, "{per_recipient:?}");
    assert!(per_recipient.values().all(|&n| n == 1), "{per_recipient:?}");
    app.stop().await;
}
