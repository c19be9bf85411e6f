//! Real worker processes (`lsscp worker`), joined to a test's database, queue and SMTP
//! listener, that a test can kill like a crash would.

use super::app::{
    APP_URL, AppConfig, CLAIM_LEASE, HEARTBEAT, MAIL_FROM, QUEUE_POLL, REDELIVER_AFTER, RELAY_POLL,
    STALE_AFTER,
};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A running `lsscp worker`. Dropping it kills it.
pub struct WorkerProcess {
    pub name: String,
    child: Child,
    log: PathBuf,
}

impl WorkerProcess {
    /// Starts `lsscp worker` with the environment of `app`'s system and the tests' short
    /// timing. Its output goes to a log file in the test's directory.
    pub fn spawn(app: &AppConfig) -> Self {
        Self::spawn_with(app, &[])
    }

    /// Starts `lsscp worker` like [`WorkerProcess::spawn`], with `overrides` laid over its
    /// environment (e.g. a claim lease long enough that only the liveness checks can
    /// explain a quick recovery).
    pub fn spawn_with(app: &AppConfig, overrides: &[(&str, String)]) -> Self {
        let name = format!(
            "test-{}-worker-{}",
            app.name,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let log = app.data_dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_lsscp"));
        command
            .arg("worker")
            // Nothing of the developer's environment (a DATABASE_URL, a REDIS_URL) leaks in.
            .env_clear()
            .env("RUST_LOG", "info,sqlx=warn,sea_orm=warn")
            .env("DATA_DIR", &app.data_dir)
            .env("DATABASE_URL", &app.database_url)
            .env("QUEUE_PREFIX", &app.queue_prefix)
            .env("SMTP_URL", &app.smtp_url)
            .env("MAIL_FROM", MAIL_FROM)
            .env("APP_URL", APP_URL)
            .env("PUBLIC_URL", "http://api.lsscp.test")
            .env("WORKER_NAME", &name)
            .env("MAIL_CONCURRENCY", "4")
            .env("MIGRATE_ON_START", "false")
            .env("WORKER_RELAY_POLL_MS", RELAY_POLL.as_millis().to_string())
            .env("WORKER_QUEUE_POLL_MS", QUEUE_POLL.as_millis().to_string())
            .env(
                "WORKER_REDELIVER_SECS",
                REDELIVER_AFTER.as_secs().to_string(),
            )
            .env("WORKER_CLAIM_LEASE_SECS", CLAIM_LEASE.as_secs().to_string())
            .env("WORKER_HEARTBEAT_MS", HEARTBEAT.as_millis().to_string())
            .env("WORKER_STALE_AFTER_MS", STALE_AFTER.as_millis().to_string())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        if let Some(url) = &app.redis_url {
            command.env("REDIS_URL", url);
        }
        if let Some(path) = &app.programme_config {
            command.env("LSSCP_PROGRAMME_CONFIG", path);
        }
        for (name, value) in overrides {
            command.env(name, value);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", env!("CARGO_BIN_EXE_lsscp")));
        Self { name, child, log }
    }

    /// Kills the process with SIGKILL, as a crash or an OOM killer would, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Panics, with the log, if the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("worker {} exited ({status}):\n{}", self.name, self.log());
        }
    }

    /// Everything the process has written.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("--- log of worker {} ---\n{}", self.name, self.log());
        }
    }
}
