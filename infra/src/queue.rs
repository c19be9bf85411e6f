//! The job queue: Redis in production (apalis-redis), an SQLite file when embedded
//! (apalis-sqlite). Only ids travel through it; the database is the ledger.

use crate::settings::Settings;
use apalis::prelude::TaskSink;
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqlitePool, SqliteStorage};
use domain::jobs::{MAIL_QUEUE, RunSweep, RunTask, SWEEP_QUEUE, SendEmail, Sweep, TASK_QUEUE};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How often a worker that has missed no heartbeat renews its claim on its jobs. A killed
/// worker's jobs return to the queue after `HEARTBEAT × MISSED_HEARTBEATS`. That is only a
/// backstop: the workers' own liveness checks re-drive a dead worker's emails within
/// seconds. It is longer than the longest send (60 s), since a worker whose every job
/// waits on a stalled mail server can miss the queue's heartbeats, and a worker taken for
/// dead by the queue restarts its part.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
pub const MISSED_HEARTBEATS: usize = 15;

/// A key the relay keeps in Redis: if it is gone, so is everything the queue held.
const PRESENCE_KEY: &str = "relay:present";

/// The queue could not be reached or refused a job.
#[derive(Debug, thiserror::Error)]
#[error("job queue: {0}")]
pub struct QueueError(String);

impl QueueError {
    fn from_display(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

/// The store behind the queue.
#[derive(Clone)]
pub enum Backend {
    Redis(ConnectionManager),
    Sqlite(SqlitePool),
}

/// A handle for pushing jobs and for building the workers' backends.
#[derive(Clone)]
pub struct JobQueue {
    backend: Backend,
    prefix: String,
}

impl std::fmt::Debug for JobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.backend {
            Backend::Redis(_) => "redis",
            Backend::Sqlite(_) => "sqlite",
        };
        f.debug_struct("JobQueue")
            .field("backend", &kind)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl JobQueue {
    /// Connects to Redis when `REDIS_URL` is set, else opens (and sets up) the embedded
    /// SQLite queue.
    pub async fn connect(settings: &Settings) -> Result<Self, QueueError> {
        let backend = match &settings.redis_url {
            Some(url) => Backend::Redis(
                apalis_redis::connect(url.as_str())
                    .await
                    .map_err(QueueError::from_display)?,
            ),
            None => {
                std::fs::create_dir_all(&settings.data_dir).map_err(QueueError::from_display)?;
                let path = settings.embedded_queue_path();
                let opts = apalis_sqlite::SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .busy_timeout(Duration::from_secs(30));
                let pool = apalis_sqlite::SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(opts)
                    .await
                    .map_err(QueueError::from_display)?;
                // Setting up switches the file to WAL and migrates it, which can fail at
                // once with SQLITE_BUSY, not after the busy timeout, while another handle
                // (a second process, or a CLI command) is writing: try again a while.
                let mut tries = 0;
                loop {
                    match SqliteStorage::setup(&pool).await {
                        Ok(()) => break,
                        Err(e) if tries < 100 && e.to_string().contains("database is locked") => {
                            tries += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => return Err(QueueError::from_display(e)),
                    }
                }
                Backend::Sqlite(pool)
            }
        };
        Ok(Self {
            backend,
            prefix: settings.queue_prefix.clone(),
        })
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The full name of one of `domain::jobs`' queues under this deployment's prefix.
    pub fn queue_name(&self, queue: &str) -> String {
        format!("{}:{queue}", self.prefix)
    }

    /// A Redis backend for `queue`, configured the same way for pushing and consuming.
    pub fn redis_storage<T>(&self, conn: &ConnectionManager, queue: &str) -> RedisStorage<T> {
        let config = apalis_redis::Config::default()
            .queue(self.queue_name(queue))
            .heartbeat_interval(HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS)
            // Acknowledging a job is what takes it out of the worker's in-flight set: an
            // unacknowledged job would run again whenever its worker restarts.
            .persist_results(true)
            .emit_events(false)
            .batch_size(20);
        RedisStorage::new(conn.clone()).with_config(config)
    }

    /// An embedded SQLite backend for `queue`.
    pub fn sqlite_storage<T>(&self, pool: &SqlitePool, queue: &str) -> SqliteStorage<T> {
        let config = apalis_sqlite::Config::default()
            .queue(self.queue_name(queue))
            .heartbeat_interval(HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS)
            .persist_results(true)
            .batch_size(20);
        SqliteStorage::new(pool).with_config(config)
    }

    async fn push_all<T>(&self, queue: &str, jobs: Vec<T>) -> Result<(), QueueError>
    where
        T: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static,
    {
        if jobs.is_empty() {
            return Ok(());
        }
        match &self.backend {
            Backend::Redis(conn) => self
                .redis_storage::<T>(conn, queue)
                .push_bulk(jobs)
                .await
                .map_err(QueueError::from_display),
            Backend::Sqlite(pool) => self
                .sqlite_storage::<T>(pool, queue)
                .push_bulk(jobs)
                .await
                .map_err(QueueError::from_display),
        }
    }

    /// Queues `SendEmail` jobs for the notification ids, `per_job` ids to a job.
    pub async fn push_emails(&self, ids: &[i64], per_job: usize) -> Result<(), QueueError> {
        let jobs = ids.chunks(per_job.max(1)).map(SendEmail::new).collect();
        self.push_all(MAIL_QUEUE, jobs).await
    }

    /// Queues one `RunTask` job per background-task id.
    pub async fn push_tasks(&self, ids: &[i64]) -> Result<(), QueueError> {
        let jobs = ids.iter().map(|&task_id| RunTask { task_id }).collect();
        self.push_all(TASK_QUEUE, jobs).await
    }

    /// Queues a scheduled sweep to run now.
    pub async fn push_sweep(&self, sweep: Sweep) -> Result<(), QueueError> {
        self.push_all(SWEEP_QUEUE, vec![RunSweep { sweep }]).await
    }

    /// Jobs of `queue` waiting for a worker to fetch them. The relay's bound
    /// (`domain::services::relay::room`) is on this: one round trip to the queue, where a
    /// count of the rows pushed and not yet done had to read every pending row.
    pub async fn waiting(&self, queue: &str) -> Result<u64, QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let storage = self.redis_storage::<serde_json::Value>(conn, queue);
                let config = storage.get_config();
                let mut conn = conn.clone();
                // apalis-redis files every pushed job under its run time in the scheduled
                // set; a worker's fetch moves those due to the active list, then takes
                // from it.
                let (scheduled, active): (u64, u64) = redis::pipe()
                    .zcard(config.scheduled_jobs_set())
                    .llen(config.active_jobs_list())
                    .query_async(&mut conn)
                    .await
                    .map_err(QueueError::from_display)?;
                Ok(scheduled + active)
            }
            Backend::Sqlite(pool) => {
                let n: i64 = sea_orm::sqlx::query_scalar(
                    "SELECT COUNT(*) FROM Jobs WHERE job_type = ?1 AND status = 'Pending'",
                )
                .bind(self.queue_name(queue))
                .fetch_one(pool)
                .await
                .map_err(QueueError::from_display)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }
    }

    /// Forgets the jobs of every queue that finished (done, or given up on) more than `age`
    /// ago, so that the queue's store does not grow with every email ever sent. Returns how
    /// many were forgotten.
    pub async fn vacuum(&self, age: Duration) -> Result<usize, QueueError> {
        let mut forgotten = 0;
        for queue in [MAIL_QUEUE, TASK_QUEUE, SWEEP_QUEUE] {
            forgotten += match &self.backend {
                Backend::Redis(conn) => {
                    use apalis_core::backend::Vacuum;
                    let mut storage = self.redis_storage::<serde_json::Value>(conn, queue);
                    let n = storage
                        .vacuum_before(age)
                        .await
                        .map_err(QueueError::from_display)?;
                    // The set of finished ids only feeds apalis' statistics, which we do
                    // not read; left alone it would hold every id ever run.
                    let mut conn = conn.clone();
                    redis::cmd("DEL")
                        .arg(storage.get_config().done_jobs_set())
                        .query_async::<()>(&mut conn)
                        .await
                        .map_err(QueueError::from_display)?;
                    n
                }
                Backend::Sqlite(pool) => {
                    let cutoff = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default()
                        .saturating_sub(age)
                        .as_secs() as i64;
                    sea_orm::sqlx::query(
                        "DELETE FROM Jobs WHERE job_type = ?1 AND done_at IS NOT NULL \
                         AND done_at < ?2 AND (status IN ('Done', 'Killed') \
                         OR (status = 'Failed' AND attempts >= max_attempts))",
                    )
                    .bind(self.queue_name(queue))
                    .bind(cutoff)
                    .execute(pool)
                    .await
                    .map_err(QueueError::from_display)?
                    .rows_affected() as usize
                }
            };
        }
        Ok(forgotten)
    }

    /// Marks the queue as known to the relay. Returns true if the mark was missing: the
    /// queue is new, or it lost what it held (Redis restarted without its data, or was
    /// flushed), and every job pushed and not yet taken is gone. The embedded queue is a
    /// file the worker opens at start, and cannot lose its jobs underneath a running one.
    pub async fn mark_present(&self) -> Result<bool, QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let set: Option<String> = redis::cmd("SET")
                    .arg(self.queue_name(PRESENCE_KEY))
                    .arg(1)
                    .arg("NX")
                    .query_async(&mut conn)
                    .await
                    .map_err(QueueError::from_display)?;
                Ok(set.is_some())
            }
            Backend::Sqlite(_) => Ok(false),
        }
    }

    /// Takes back [`JobQueue::mark_present`]'s mark, so that the next check reports the
    /// loss again.
    pub async fn forget_presence(&self) -> Result<(), QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                redis::cmd("DEL")
                    .arg(self.queue_name(PRESENCE_KEY))
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(QueueError::from_display)
            }
            Backend::Sqlite(_) => Ok(()),
        }
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), QueueError> {
        match &self.backend {
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .map(|_| ())
                    .map_err(QueueError::from_display)
            }
            Backend::Sqlite(pool) => sea_orm::sqlx::query("SELECT 1")
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(QueueError::from_display),
        }
    }
}
