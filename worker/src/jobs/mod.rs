//! One apalis worker per queue, and one file per job.

pub mod run_sweep;
pub mod run_task;
pub mod send_email;

use crate::State;
use apalis::prelude::*;
use domain::jobs::{MAIL_QUEUE, RunSweep, RunTask, SWEEP_QUEUE, SendEmail, TASK_QUEUE};
use infra::queue::Backend;
use tokio::sync::watch;

/// Counts the runs of the process's apalis workers, to name each run apart.
static PART_RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Builds and runs an apalis worker for `$queue` on whichever backend the queue uses.
/// A macro rather than a generic function: the two backends' worker types differ in ways
/// that would need a page of trait bounds to abstract.
macro_rules! run_queue_worker {
    ($state:expr, $queue:expr, $args:ty, $handler:expr, $concurrency:expr, $shutdown:expr) => {{
        let state: State = $state;
        // A name of its own for every run of the part: a part restarted after an error
        // would otherwise be refused by the queue ("still active") until its previous
        // registration timed out. What the previous run had fetched and not finished is
        // re-driven by the relay and the liveness checks, not by the queue.
        let name = format!(
            "{}:{}:{}",
            state.name,
            $queue,
            PART_RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let poll = state.timing.queue_poll;
        let result = match state.queue.backend() {
            Backend::Redis(conn) => {
                let backend = state
                    .queue
                    .redis_storage::<$args>(conn, $queue)
                    .poll_with_interval(poll);
                WorkerBuilder::new(name)
                    .backend(backend)
                    .data(state.clone())
                    .concurrency($concurrency)
                    .build($handler)
                    .run_until(crate::stopped($shutdown))
                    .await
            }
            Backend::Sqlite(pool) => {
                let backend = state
                    .queue
                    .sqlite_storage::<$args>(pool, $queue)
                    .poll_with_interval(poll);
                WorkerBuilder::new(name)
                    .backend(backend)
                    .data(state.clone())
                    .concurrency($concurrency)
                    .build($handler)
                    .run_until(crate::stopped($shutdown))
                    .await
            }
        };
        result.map_err(|e| e.to_string())
    }};
}

/// Sends emails: `MAIL_CONCURRENCY` at once (the SMTP pool's connections), from twice as
/// many jobs. A job claims its rows before its first send and waits for the record of its
/// last (2.3 and 3.2 ms of a 47 ms job on the bulk benchmark); with one job per
/// connection, the connection stood idle through both. The spare jobs claim and record
/// while the others send.
pub async fn run_mail_worker(state: State, shutdown: watch::Receiver<bool>) -> Result<(), String> {
    let concurrency = state.mail_concurrency.max(1).saturating_mul(2);
    run_queue_worker!(
        state,
        MAIL_QUEUE,
        SendEmail,
        send_email::handle,
        concurrency,
        shutdown
    )
}

/// Runs scheduled sweeps, one at a time.
pub async fn run_sweep_worker(state: State, shutdown: watch::Receiver<bool>) -> Result<(), String> {
    run_queue_worker!(state, SWEEP_QUEUE, RunSweep, run_sweep::handle, 1, shutdown)
}

/// Runs background tasks (evaluator assignment), one at a time per process: an assignment
/// run takes a lock anyway, and running several at once would only queue on it.
pub async fn run_task_worker(state: State, shutdown: watch::Receiver<bool>) -> Result<(), String> {
    run_queue_worker!(state, TASK_QUEUE, RunTask, run_task::handle, 1, shutdown)
}
