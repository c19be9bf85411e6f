//! The LSSCP background workers.
//!
//! One process runs: the outbox relay (database rows → queue), one apalis worker per queue
//! (`jobs/`), and the cron schedules that queue the periodic sweeps (`schedules`). [`run`]
//! is the single registration point. Any number of worker processes may share a queue;
//! each needs a unique name.

pub mod gate;
pub mod jobs;
pub mod liveness;
pub mod mail_health;
pub mod mailer;
pub mod relay;
pub mod schedules;
pub mod sent_ledger;
pub mod smtp_pool;
pub mod templates;

use domain::Context;
use infra::JobQueue;
use mailer::Mailer;
use std::sync::Arc;
use std::time::Duration;
use templates::Templates;
use tokio::sync::watch;

/// Timing of the delivery machinery. The defaults suit production; tests shorten them.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How often the relay looks for committed rows when nobody tells it.
    pub relay_poll: Duration,
    /// A row pushed to the queue but still not done after this long is pushed again.
    pub redeliver_after: Duration,
    /// At most this many rows of each outbox waiting on the queue (counted as full jobs);
    /// the rest wait in the database. Keep it below what the workers take within
    /// `redeliver_after`, or rows still waiting on the queue are pushed again; and above
    /// what they take within 50 ms, since a relay that has found the queue full looks
    /// again only then, so the bound divided by 50 ms caps the rate.
    pub relay_max_outstanding: u64,
    /// How long a worker's claim on a row holds; after it, another worker may take the row
    /// (its claimant is presumed dead). Longer than any send can take.
    pub claim_lease: Duration,
    /// How often an idle apalis worker looks at its queue.
    pub queue_poll: Duration,
    /// Emails per queue job: a job's rows are claimed in one statement and sent one after
    /// another, so this trades queue and database work per message against how long one
    /// job holds its rows.
    pub mail_per_job: usize,
    /// How often the process raises its heartbeat counter (`liveness`).
    pub heartbeat: Duration,
    /// A worker whose counter has not moved for this long is dead and its claims are
    /// released. At least three heartbeats: a beat can be late on a busy machine.
    pub stale_after: Duration,
    /// How long a stopping process waits for the jobs it is running to finish.
    pub shutdown_grace: Duration,
}

impl Timing {
    /// The defaults, with any of `WORKER_RELAY_POLL_MS`, `WORKER_REDELIVER_SECS`,
    /// `WORKER_RELAY_MAX_OUTSTANDING`, `WORKER_CLAIM_LEASE_SECS`, `WORKER_QUEUE_POLL_MS` and
    /// `WORKER_MAIL_PER_JOB`, `WORKER_HEARTBEAT_MS`, `WORKER_STALE_AFTER_MS` and
    /// `WORKER_SHUTDOWN_GRACE_SECS` that are set.
    pub fn from_env() -> Result<Self, String> {
        fn read(
            name: &str,
            unit: fn(u64) -> Duration,
            default: Duration,
        ) -> Result<Duration, String> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse::<u64>()
                    .map(unit)
                    .map_err(|e| format!("environment variable {name}: “{v}”: {e}")),
                _ => Ok(default),
            }
        }
        fn count(name: &str, default: u64) -> Result<u64, String> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => match v.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(format!(
                        "environment variable {name}: “{v}”: a whole number, at least 1"
                    )),
                },
                _ => Ok(default),
            }
        }
        let d = Self::default();
        Self {
            relay_poll: read("WORKER_RELAY_POLL_MS", Duration::from_millis, d.relay_poll)?,
            redeliver_after: read(
                "WORKER_REDELIVER_SECS",
                Duration::from_secs,
                d.redeliver_after,
            )?,
            relay_max_outstanding: count("WORKER_RELAY_MAX_OUTSTANDING", d.relay_max_outstanding)?,
            claim_lease: read(
                "WORKER_CLAIM_LEASE_SECS",
                Duration::from_secs,
                d.claim_lease,
            )?,
            queue_poll: read("WORKER_QUEUE_POLL_MS", Duration::from_millis, d.queue_poll)?,
            mail_per_job: usize::try_from(count("WORKER_MAIL_PER_JOB", d.mail_per_job as u64)?)
                .unwrap_or(usize::MAX),
            heartbeat: read("WORKER_HEARTBEAT_MS", Duration::from_millis, d.heartbeat)?,
            stale_after: read(
                "WORKER_STALE_AFTER_MS",
                Duration::from_millis,
                d.stale_after,
            )?,
            shutdown_grace: read(
                "WORKER_SHUTDOWN_GRACE_SECS",
                Duration::from_secs,
                d.shutdown_grace,
            )?,
        }
        .checked()
    }

    /// Refuses settings under which a live worker could be taken for dead.
    pub fn checked(self) -> Result<Self, String> {
        if self.heartbeat.is_zero() || self.stale_after < self.heartbeat * 3 {
            return Err(format!(
                "WORKER_STALE_AFTER_MS ({} ms) must be at least three heartbeats \
                 (WORKER_HEARTBEAT_MS, {} ms, at least 1)",
                self.stale_after.as_millis(),
                self.heartbeat.as_millis()
            ));
        }
        if self.claim_lease <= self.stale_after {
            return Err(format!(
                "WORKER_CLAIM_LEASE_SECS ({} s) must be longer than WORKER_STALE_AFTER_MS \
                 ({} ms): the lease is the backstop for a worker that cannot beat",
                self.claim_lease.as_secs(),
                self.stale_after.as_millis()
            ));
        }
        Ok(self)
    }
}

impl Timing {
    /// How long one SMTP send may take before it is abandoned (and retried later): well
    /// inside the claim lease, so that no other worker takes the row while it runs.
    pub fn send_timeout(&self) -> Duration {
        (self.claim_lease / 2).min(Duration::from_secs(60))
    }
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            relay_poll: Duration::from_millis(500),
            redeliver_after: Duration::from_secs(60),
            relay_max_outstanding: 5000,
            claim_lease: Duration::from_secs(120),
            queue_poll: Duration::from_millis(250),
            mail_per_job: 50,
            heartbeat: Duration::from_secs(2),
            stale_after: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Everything a job handler needs.
pub struct WorkerState {
    pub ctx: Context,
    pub queue: JobQueue,
    pub mailer: Mailer,
    pub templates: Templates,
    /// This process's unique name; also the `claimed_by` of the rows it holds.
    pub name: String,
    pub mail_from: String,
    pub mail_concurrency: usize,
    pub timing: Timing,
    /// Records the sends of all of this process's mail jobs.
    pub sent: sent_ledger::SentLedger,
    /// This process's heartbeat and its view of the others'.
    pub liveness: liveness::Liveness,
    /// Whether the mail server is taking messages.
    pub mail_health: mail_health::MailHealth,
    /// The jobs running now. They run as tasks of their own, so that a part of the worker
    /// that fails and restarts (Redis restarted, a missed queue heartbeat) does not drop
    /// a send the server may have accepted before it is recorded.
    pub in_flight: tokio_util::task::TaskTracker,
}

impl WorkerState {
    /// Runs `job` as a task of its own (see `in_flight`) and waits for it. If the caller
    /// is dropped, the job still runs to its end.
    pub async fn detached<T, Fut>(&self, job: Fut) -> Result<T, String>
    where
        Fut: std::future::Future<Output = Result<T, String>> + Send + 'static,
        T: Send + 'static,
    {
        self.in_flight
            .spawn(job)
            .await
            .map_err(|e| format!("the job's task ended abnormally: {e}"))?
    }
}

/// A shared handle to the worker's state.
pub type State = Arc<WorkerState>;

/// Runs every worker of this process until `shutdown` turns true.
///
/// Each part is supervised: if it stops on an error (Redis restarted, a connection
/// dropped), it is started again after a pause, so a passing outage never leaves a
/// process that is alive but idle.
pub async fn run(state: State, shutdown: watch::Receiver<bool>) {
    liveness::start(&state, &shutdown).await;
    let mut parts = tokio::task::JoinSet::new();
    parts.spawn(supervise("liveness", shutdown.clone(), {
        let state = state.clone();
        move |stop| liveness::run(state.clone(), stop)
    }));
    parts.spawn(supervise("relay", shutdown.clone(), {
        let state = state.clone();
        move |stop| relay::run(state.clone(), stop)
    }));
    parts.spawn(supervise("mail", shutdown.clone(), {
        let state = state.clone();
        move |stop| jobs::run_mail_worker(state.clone(), stop)
    }));
    parts.spawn(supervise("tasks", shutdown.clone(), {
        let state = state.clone();
        move |stop| jobs::run_task_worker(state.clone(), stop)
    }));
    parts.spawn(supervise("sweeps", shutdown.clone(), {
        let state = state.clone();
        move |stop| jobs::run_sweep_worker(state.clone(), stop)
    }));
    for sweep in domain::jobs::Sweep::ALL {
        let sweep = *sweep;
        parts.spawn(supervise(sweep.name(), shutdown.clone(), {
            let state = state.clone();
            move |stop| schedules::run(state.clone(), sweep, stop)
        }));
    }
    while parts.join_next().await.is_some() {}
    state.in_flight.close();
    if !state.in_flight.is_empty() {
        tracing::info!(
            jobs = state.in_flight.len(),
            grace_secs = state.timing.shutdown_grace.as_secs(),
            "waiting for running jobs to finish"
        );
    }
    if tokio::time::timeout(state.timing.shutdown_grace, state.in_flight.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            jobs = state.in_flight.len(),
            "running jobs did not finish within the grace period; their claims are released"
        );
    }
    // Whatever this process still holds goes back now, and its heartbeat with it, so
    // that nobody waits for it to be found dead.
    if let Err(e) = domain::services::liveness::release_claims(
        &state.ctx,
        std::slice::from_ref(&state.name),
        true,
    )
    .await
    {
        tracing::warn!(error = ?e, "cannot release this worker's claims on the way out");
    }
    tracing::info!(worker = %state.name, "worker stopped");
}

/// How long a part that ended waits before it starts again, unless it ran a good while
/// and only lost its queue registration.
const RESTART_PAUSE: Duration = Duration::from_secs(1);

/// Restarts `part` whenever it ends before shutdown, a panic included: a part that died
/// with its task would leave the process alive but idle.
async fn supervise<F, Fut>(what: &'static str, shutdown: watch::Receiver<bool>, part: F)
where
    F: Fn(watch::Receiver<bool>) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    use futures::FutureExt as _;
    loop {
        let started = std::time::Instant::now();
        let result = std::panic::AssertUnwindSafe(part(shutdown.clone()))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_message(panic.as_ref()))));
        if *shutdown.borrow() {
            return;
        }
        let pause = match result {
            Ok(()) => {
                tracing::warn!(part = what, "worker part ended; restarting");
                RESTART_PAUSE
            }
            // Redis restarted empty or flushed: the queue forgot this worker, and apalis
            // ends the part instead of registering again. Its running jobs are tasks of
            // their own and go on; the part registers anew at once.
            Err(e) if e.contains("worker not registered") && started.elapsed() > RESTART_PAUSE => {
                tracing::warn!(
                    part = what,
                    error = %e,
                    "the queue forgot this worker (Redis restarted or flushed); registering again"
                );
                Duration::ZERO
            }
            Err(e) => {
                tracing::error!(part = what, error = %e, "worker part failed; restarting");
                RESTART_PAUSE
            }
        };
        let mut stop = shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// What a caught panic said, to record as the reason its row failed.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// A future that completes when `shutdown` turns true, in the shape apalis's
/// `run_until` wants.
pub(crate) async fn stopped(mut shutdown: watch::Receiver<bool>) -> Result<(), std::io::Error> {
    let _ = shutdown.wait_for(|s| *s).await;
    Ok(())
}
