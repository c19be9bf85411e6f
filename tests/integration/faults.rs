//! An operator's bad day: a fault in the middle of a batch of a few hundred emails, sent by
//! real worker processes to a slow real SMTP listener that counts every copy.
//!
//! Each scenario asserts the delivery guarantee of `docs/decisions.md`: nothing is lost;
//! no copy is sent beyond the messages in flight when the fault struck (at most one per
//! mail job); and the batch ends within a few seconds of what it would take without the
//! fault plus the fault's own length. The workers get a claim lease and a redelivery
//! delay of a minute, so that a quick end can only come from the mechanisms under test
//! (liveness, the relay's re-drive, the held records), not from a lapsing lease.

use crate::support::app::MAIL_FROM;
use crate::support::{PostgresCluster, TestApp, WorkerProcess};
use domain::emails::EmailTemplate;
use domain::outbox::{Email, Task, queue_email, queue_task};
use entity::background_task::{self, TaskStatus};
use entity::notification::{self, NotificationStatus};
use entity::worker_heartbeat;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryFilter, TransactionTrait};
use sea_orm::{ColumnTrait, PaginatorTrait};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Emails in a batch.
const BATCH: usize = 400;
/// The SMTP listener's delay before answering each message.
const PACE: Duration = Duration::from_millis(40);
/// Connections per worker (`MAIL_CONCURRENCY` of `WorkerProcess`).
const CONNECTIONS: usize = 4;
/// Mail jobs a worker runs at once, each with at most one send in flight.
const JOBS_PER_WORKER: usize = CONNECTIONS * 2;
/// Room for a busy two-core machine running other tests beside these.
const SLACK: Duration = Duration::from_secs(12);

/// How long a finished batch is watched for late copies.
const SETTLE: Duration = Duration::from_secs(3);

/// A lease and a redelivery delay that cannot explain a recovery within [`SLACK`].
fn slow_backstops() -> Vec<(&'static str, String)> {
    vec![
        ("WORKER_CLAIM_LEASE_SECS", "60".to_owned()),
        ("WORKER_REDELIVER_SECS", "60".to_owned()),
        ("MAIL_CONCURRENCY", CONNECTIONS.to_string()),
    ]
}

/// A batch under way, and how long it would take without a fault, measured on its first
/// quarter: from its first message to its `BATCH / 4`-th, scaled to the whole.
struct Run {
    first: Instant,
    no_fault: Duration,
}

impl Run {
    /// Waits for the first quarter of `tag`'s batch.
    async fn first_quarter(app: &TestApp, tag: &str) -> Self {
        wait_for_recipients(
            app,
            tag,
            1,
            Instant::now() + crate::support::WAIT,
            "the first",
        )
        .await;
        let first = Instant::now();
        let quarter = BATCH / 4;
        wait_for_recipients(app, tag, quarter, first + crate::support::WAIT, "a quarter").await;
        let per_message = first.elapsed() / (quarter as u32 - 1);
        Self {
            first,
            no_fault: per_message * BATCH as u32,
        }
    }

    /// Waits for the whole batch, allowing the no-fault time, the fault's own length and
    /// [`SLACK`] from its first message.
    async fn finish(&self, app: &TestApp, tag: &str, fault: Duration) {
        let bound = self.no_fault + fault + SLACK;
        wait_for_recipients(app, tag, BATCH, self.first + bound, "the whole batch").await;
        eprintln!(
            "{tag}: done in {:?}; without the fault about {:?}, the fault {:?}",
            self.first.elapsed(),
            self.no_fault,
            fault
        );
    }
}

/// Worker processes sending a batch to the paced listener, its first quarter done.
struct Scenario {
    tag: &'static str,
    workers: Vec<WorkerProcess>,
    recipients: Vec<String>,
    run: Run,
}

impl Scenario {
    /// Starts `workers` worker processes with [`slow_backstops`] and `settings` over them,
    /// queues the batch `tag`, and waits for its first quarter.
    async fn start(
        app: &TestApp,
        tag: &'static str,
        workers: usize,
        settings: &[(&'static str, String)],
    ) -> Self {
        app.smtp.pace(PACE);
        let mut environment = slow_backstops();
        environment.extend_from_slice(settings);
        let workers = (0..workers)
            .map(|_| WorkerProcess::spawn_with(&app.config, &environment))
            .collect();
        let recipients = queue_batch(app, tag).await;
        let run = Run::first_quarter(app, tag).await;
        Self {
            tag,
            workers,
            recipients,
            run,
        }
    }

    /// Kills (SIGKILL) the first worker still in the scenario.
    fn kill_one(&mut self) {
        self.workers.remove(0).kill();
    }

    /// Asserts the guarantee once the fault, lasting `fault`, is over: the batch ends in
    /// time, nothing more arrives over [`SETTLE`], the workers left still run, and the
    /// copies are as [`assert_delivered`] requires.
    async fn ends_well(&mut self, app: &TestApp, fault: Duration, in_flight: usize) {
        self.run.finish(app, self.tag, fault).await;
        // Anything sent twice by a mechanism that fires late would arrive now.
        tokio::time::sleep(SETTLE).await;
        for worker in &mut self.workers {
            worker.assert_running();
        }
        assert_delivered(app, self.tag, &self.recipients, in_flight).await;
    }

    /// Whether the log of the first worker still in the scenario has `line`.
    fn logged(&self, line: &str) -> bool {
        self.workers[0].log().contains(line)
    }

    fn log(&self) -> String {
        self.workers[0].log()
    }
}

fn recipient(tag: &str, i: usize) -> String {
    format!("{tag}{i}@example.org")
}

/// Writes `BATCH` emails to `tag0@…`, `tag1@…`, … in one transaction.
async fn queue_batch(app: &TestApp, tag: &str) -> Vec<String> {
    let txn = app.db().begin().await.unwrap();
    let mut recipients = Vec::with_capacity(BATCH);
    for i in 0..BATCH {
        let to = recipient(tag, i);
        let email = Email {
            key: format!("fault:{tag}:{i}"),
            account_id: None,
            to: to.clone(),
            to_name: Some("Reader".to_owned()),
            template: EmailTemplate::AccountExists,
            params: json!({ "name": "Reader" }),
            secret: None,
            batch_id: None,
        };
        assert!(queue_email(&txn, app.services.now(), email).await.unwrap());
        recipients.push(to);
    }
    txn.commit().await.unwrap();
    recipients
}

/// Copies received per recipient of the batch `tag`.
fn copies(app: &TestApp, tag: &str) -> BTreeMap<String, usize> {
    let mut per = BTreeMap::new();
    for m in app.smtp.messages() {
        for r in &m.recipients {
            if r.starts_with(tag) {
                *per.entry(r.clone()).or_default() += 1;
            }
        }
    }
    per
}

/// Waits until `n` distinct recipients of `tag` have their email; fails at `deadline`.
async fn wait_for_recipients(app: &TestApp, tag: &str, n: usize, deadline: Instant, what: &str) {
    loop {
        let got = copies(app, tag).len();
        if got >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {got} of {n} recipients reached by the deadline"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The guarantee, once the batch is done: every recipient has exactly one copy but for at
/// most `in_flight` second copies, each with the Message-ID of the first; every row is
/// recorded sent.
async fn assert_delivered(app: &TestApp, tag: &str, recipients: &[String], in_flight: usize) {
    let per = copies(app, tag);
    let missing: Vec<&String> = recipients
        .iter()
        .filter(|r| !per.contains_key(*r))
        .collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
    let extra: usize = per.values().map(|c| c - 1).sum();
    eprintln!("{tag}: {} recipients, {extra} extra copies", per.len());
    assert!(
        extra <= in_flight,
        "{extra} extra copies, more than the {in_flight} sends that can be in flight: {:?}",
        per.iter().filter(|(_, c)| **c > 1).collect::<Vec<_>>()
    );
    // A second copy carries the first's Message-ID, so a receiving server can drop it.
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in app.smtp.messages() {
        if let Some(r) = m.recipients.iter().find(|r| r.starts_with(tag)) {
            ids.entry(r.clone()).or_default().push(m.message_id.clone());
        }
    }
    for (r, list) in &ids {
        assert!(list.iter().all(|id| id == &list[0]), "{r}: {list:?}");
    }
    let rows = notification::Entity::find()
        .filter(notification::Column::IdempotencyKey.starts_with(format!("fault:{tag}:")))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), recipients.len());
    for row in &rows {
        assert_eq!(row.status, NotificationStatus::Sent, "{row:?}");
        assert_eq!(
            ids.get(&row.to_email).map(|l| l[0].clone()),
            Some(domain::outbox::message_id(row, MAIL_FROM))
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_batch_hands_its_emails_to_another_within_seconds() {
    let app = TestApp::builder().without_worker().start().await;
    let mut batch = Scenario::start(&app, "killed", 2, &[]).await;
    batch.kill_one();
    // The fault lasts until the survivor may take the dead worker for dead.
    batch
        .ends_well(&app, crate::support::app::STALE_AFTER, JOBS_PER_WORKER)
        .await;
    assert!(
        batch.logged("their claims are released"),
        "the survivor found the dead worker by its heartbeat:\n{}",
        batch.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_worker_killed_mid_batch_and_one_started_again_resumes_within_seconds() {
    let app = TestApp::builder().without_worker().start().await;
    let mut batch = Scenario::start(&app, "massacre", 2, &[]).await;
    batch.kill_one();
    batch.kill_one();
    let killed_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    batch
        .workers
        .push(WorkerProcess::spawn_with(&app.config, &slow_backstops()));
    // The newcomer must beat for a whole staleness before it may judge the others.
    let fault = killed_at.elapsed() + crate::support::app::STALE_AFTER * 2;
    batch.ends_well(&app, fault, 2 * JOBS_PER_WORKER).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queue_that_loses_its_jobs_mid_batch_is_filled_again_at_once() {
    let app = TestApp::builder().without_worker().start().await;
    let Some(redis_url) = app.config.redis_url.clone() else {
        eprintln!("skipped: the embedded queue is a file that cannot lose jobs under a worker");
        return;
    };
    // Small jobs, so that most of the batch waits on the queue, not in running jobs.
    let small_jobs = [("WORKER_MAIL_PER_JOB", "5".to_owned())];
    let mut batch = Scenario::start(&app, "flushed", 1, &small_jobs).await;
    // As Redis restarted without its data would leave it: every key of the deployment gone.
    crate::support::backend::delete_queues(&redis_url, &app.config.queue_prefix)
        .await
        .unwrap();
    batch.ends_well(&app, Duration::ZERO, JOBS_PER_WORKER).await;
    assert!(
        batch.logged("the queue lost its jobs"),
        "the relay noticed the loss:\n{}",
        batch.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_stopped_mid_batch_sends_nothing_twice() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |v| v.trim().is_empty()) {
        eprintln!("skipped: runs with the PostgreSQL backend (TEST_DATABASE_URL)");
        return;
    }
    let cluster = PostgresCluster::start()
        .await
        .expect("the PostgreSQL backend's tests need the server's binaries to start their own");
    let app = TestApp::builder()
        .without_worker()
        .database_url(cluster.url())
        .start()
        .await;
    let mut batch = Scenario::start(&app, "outage", 1, &[]).await;
    cluster.stop_immediately().await;
    let stopped_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let during = copies(&app, batch.tag).len();
    cluster.restart().await;
    let outage = stopped_at.elapsed();
    eprintln!("database down for {outage:?}; {during} recipients reached by then");
    // What was in flight when the database went is held and recorded: no copy at all.
    batch.ends_well(&app, outage, 0).await;
    assert!(
        batch.logged("cannot record sent emails"),
        "the worker held its records through the outage:\n{}",
        batch.log()
    );
    drop(batch);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_server_that_defers_everything_for_a_while_holds_the_batch_only_that_long() {
    // A deferred email waits its backoff unless the worker knows better: two minutes here,
    // longer than the whole test may take.
    let app = TestApp::builder()
        .without_worker()
        .programme("[email]\nretry_base_seconds = 120\n")
        .start()
        .await;
    let mut batch = Scenario::start(&app, "deferred", 1, &[]).await;
    app.smtp.defer();
    let trouble = Duration::from_secs(5);
    tokio::time::sleep(trouble).await;
    app.smtp.accept();
    batch.ends_well(&app, trouble, 0).await;
    let log = batch.log();
    assert!(log.contains("sending paused"), "the worker paused:\n{log}");
    assert!(log.contains("takes messages again"), "and resumed:\n{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_server_that_stalls_for_a_while_holds_the_batch_only_that_long() {
    let app = TestApp::builder().without_worker().start().await;
    let mut batch = Scenario::start(&app, "stalled", 1, &[]).await;
    app.smtp.stall();
    let stall = Duration::from_secs(5);
    tokio::time::sleep(stall).await;
    // The server was only slow: every held message is answered.
    app.smtp.accept_including_stalled();
    batch.ends_well(&app, stall, 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_server_that_drops_connections_after_taking_messages_costs_at_most_those_messages() {
    let app = TestApp::builder()
        .without_worker()
        .programme("[email]\nretry_base_seconds = 120\n")
        .start()
        .await;
    let mut batch = Scenario::start(&app, "dropped", 1, &[]).await;
    // The server takes five messages and never says so: each is sent again, with its
    // Message-ID, and that is the whole cost.
    let dropped = 5;
    app.smtp.drop_after_data(dropped);
    batch
        .ends_well(&app, Duration::ZERO, dropped as usize)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_held_by_a_dead_worker_is_run_by_another_within_seconds() {
    let app = TestApp::builder().without_worker().start().await;
    let now = app.services.now();
    // A worker that beat once, claimed a bulk fan-out, and died.
    worker_heartbeat::ActiveModel {
        name: Set("ghost".to_owned()),
        beats: Set(7),
        started_at: Set(now),
        beat_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    let txn = app.db().begin().await.unwrap();
    queue_task(
        &txn,
        now,
        Task {
            kind: domain::services::bulk_notices::TASK_KIND,
            key: "fault:ghost-fan-out".to_owned(),
            subject_id: Some(i64::MAX),
            payload: json!({ "batchId": i64::MAX }),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    background_task::Entity::update_many()
        .col_expr(
            background_task::Column::Status,
            sea_orm::sea_query::Expr::value(TaskStatus::Running),
        )
        .col_expr(
            background_task::Column::ClaimedBy,
            sea_orm::sea_query::Expr::value("ghost"),
        )
        .col_expr(
            background_task::Column::ClaimedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .exec(app.db())
        .await
        .unwrap();

    let mut worker = WorkerProcess::spawn_with(&app.config, &slow_backstops());
    let started = Instant::now();
    let bound = crate::support::app::STALE_AFTER + SLACK;
    let task = loop {
        let task = background_task::Entity::find()
            .one(app.db())
            .await
            .unwrap()
            .unwrap();
        if task.status == TaskStatus::Done {
            break task;
        }
        assert!(
            started.elapsed() < bound,
            "the dead worker's task still waits after {bound:?}: {task:?}\n{}",
            worker.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "the ghost's task ran {:?} after a worker started",
        started.elapsed()
    );
    assert_eq!(task.claimed_by.as_deref(), Some(worker.name.as_str()));
    worker.assert_running();
    let ghosts = worker_heartbeat::Entity::find()
        .filter(worker_heartbeat::Column::Name.eq("ghost"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(ghosts, 0, "a dead worker's heartbeat is forgotten");
}
