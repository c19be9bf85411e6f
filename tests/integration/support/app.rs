//! `TestApp`: the real system, in-process, on port 0, with a database, a queue namespace
//! and an SMTP listener of its own, and a clock the test moves.

use super::backend::{Backend, unique_name};
use super::smtp::SmtpServer;
use domain::clock::{SharedClock, ShiftedClock};
use infra::Settings;
use lsscp::{Role, System};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// Worker timing for tests: fast polls, and a lease and redelivery short enough that the
/// crash tests finish in seconds. Worker processes get the same through the environment.
pub const RELAY_POLL: Duration = Duration::from_millis(50);
pub const QUEUE_POLL: Duration = Duration::from_millis(50);
pub const REDELIVER_AFTER: Duration = Duration::from_secs(2);
pub const CLAIM_LEASE: Duration = Duration::from_secs(3);
/// Worker liveness for tests: a dead worker's claims go within a few seconds. Well above
/// a beat's worst delay on a busy machine, so that no live worker is taken for dead.
pub const HEARTBEAT: Duration = Duration::from_millis(250);
pub const STALE_AFTER: Duration = Duration::from_millis(2500);

/// Long enough for every redelivery mechanism to have had its chance: a claim lease, a
/// redelivery delay and a margin for polls on a busy machine.
pub const REDELIVERY_WINDOW: Duration = Duration::from_secs(3 + 2 + 4);

pub fn timing() -> worker::Timing {
    worker::Timing {
        relay_poll: RELAY_POLL,
        redeliver_after: REDELIVER_AFTER,
        relay_max_outstanding: 2000,
        claim_lease: CLAIM_LEASE,
        queue_poll: QUEUE_POLL,
        heartbeat: HEARTBEAT,
        stale_after: STALE_AFTER,
        // Inside `TestApp::stop`'s own bound.
        shutdown_grace: Duration::from_secs(10),
        ..worker::Timing::default()
    }
}

/// Where emails' links point.
pub const APP_URL: &str = "http://app.lsscp.test";
pub const MAIL_FROM: &str = "LSSCP <no-reply@lsscp.test>";

/// What another process needs to join this test's system (see `WorkerProcess`).
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub name: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub redis_url: Option<String>,
    pub queue_prefix: String,
    pub smtp_url: String,
    pub programme_config: Option<PathBuf>,
}

/// Options for [`TestApp`].
pub struct TestAppBuilder {
    worker: bool,
    introspection: bool,
    programme: Vec<String>,
    edge: infra::settings::EdgeSettings,
    password_hashing: (usize, usize),
    database_url: Option<String>,
}

impl TestAppBuilder {
    /// Runs the system on the database at `url` (an empty one: the system migrates it on
    /// start) instead of one provisioned for the test, e.g. on a `PostgresCluster` the
    /// test stops and starts. The database is left as it is when the test ends.
    pub fn database_url(mut self, url: String) -> Self {
        self.database_url = Some(url);
        self
    }

    /// Runs only the API in-process: emails stay in the outbox until a worker (a
    /// `WorkerProcess`) takes them.
    pub fn without_worker(mut self) -> Self {
        self.worker = false;
        self
    }

    /// Turns GraphQL introspection (and GraphiQL) on or off.
    pub fn introspection(mut self, on: bool) -> Self {
        self.introspection = on;
        self
    }

    /// Changes the HTTP edge's bounds from their production defaults.
    pub fn edge(mut self, change: impl FnOnce(&mut infra::settings::EdgeSettings)) -> Self {
        change(&mut self.edge);
        self
    }

    /// Bounds password hashing to `slots` at once with `queue` more waiting.
    pub fn password_hashing(mut self, slots: usize, queue: usize) -> Self {
        self.password_hashing = (slots, queue);
        self
    }

    /// Lays `toml` over the programme's defaults, e.g. `"[email]\nretry_base_seconds = 1"`.
    pub fn programme(mut self, toml: &str) -> Self {
        self.programme.push(toml.to_owned());
        self
    }

    pub async fn start(self) -> TestApp {
        // `TEST_LOG=debug` (any filter) shows the in-process server's and worker's logs.
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let name = unique_name();
        let dir = tempfile::Builder::new()
            .prefix("lsscp-test-")
            .tempdir()
            .unwrap();
        let smtp = SmtpServer::start().await;
        let backend = match self.database_url {
            Some(url) => Backend::provision_with_database(&name, url).await,
            None => Backend::provision(dir.path(), &name).await,
        };
        let programme_config = if self.programme.is_empty() {
            None
        } else {
            let text = self.programme.join("\n");
            // Refuse a bad override here, with its reason, rather than at start-up.
            domain::config::ProgrammeConfig::from_layers(&[&text]).unwrap();
            let path = dir.path().join("programme.toml");
            std::fs::write(&path, text).unwrap();
            Some(path)
        };
        let config = AppConfig {
            name: name.clone(),
            data_dir: dir.path().to_owned(),
            database_url: backend.database_url.clone(),
            redis_url: backend.redis_url.clone(),
            queue_prefix: backend.queue_prefix.clone(),
            smtp_url: smtp.url(),
            programme_config: programme_config.clone(),
        };
        let settings = Settings {
            data_dir: config.data_dir.clone(),
            database_url: config.database_url.clone(),
            redis_url: config.redis_url.clone(),
            queue_prefix: config.queue_prefix.clone(),
            smtp_url: Some(config.smtp_url.clone()),
            mail_from: MAIL_FROM.to_owned(),
            app_url: APP_URL.to_owned(),
            public_url: "http://api.lsscp.test".to_owned(),
            bind_addr: "127.0.0.1".to_owned(),
            port: 0,
            introspection: self.introspection,
            // The production defaults (see `Settings::from_env`).
            max_depth: 15,
            max_complexity: infra::settings::DEFAULT_MAX_COMPLEXITY,
            worker_name: format!("test-{name}-in-process"),
            mail_concurrency: 4,
            migrate_on_start: true,
            session_cache_secs: domain::session_cache::DEFAULT_TTL.as_secs(),
            programme_config,
            // `<DATA_DIR>/documents`, inside the test's directory.
            document_store_url: None,
            // Generated on first start under `<DATA_DIR>`, shared with worker processes.
            credential_signing_key: None,
            password_hash_concurrency: self.password_hashing.0,
            password_hash_queue: self.password_hashing.1,
            edge: self.edge,
        };
        let clock = Arc::new(ShiftedClock::new());
        let role = if self.worker { Role::All } else { Role::Api };
        let started = lsscp::start(&settings, clock.clone() as SharedClock, role, timing()).await;
        let system = match started {
            Ok(system) => system,
            Err(e) => {
                backend.clean_up().await;
                panic!("the system did not start: {e}");
            }
        };
        TestApp {
            addr: system.addr.unwrap(),
            services: system.services.clone(),
            clock,
            smtp,
            config,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            system: Some(system),
            backend,
            _dir: dir,
        }
    }
}

/// The running system under test. Dropping it stops everything and removes its data.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The domain services, for setting up what the API cannot (the first officer) and
    /// for reading the database.
    pub services: domain::Context,
    /// The clock every part of the in-process system reads; worker processes use real time.
    pub clock: Arc<ShiftedClock>,
    pub smtp: SmtpServer,
    pub config: AppConfig,
    pub http: reqwest::Client,
    system: Option<System>,
    backend: Backend,
    _dir: TempDir,
}

impl TestApp {
    /// The API, an in-process worker, default settings.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            worker: true,
            introspection: true,
            programme: Vec::new(),
            edge: infra::settings::EdgeSettings::default(),
            password_hashing: (
                domain::security::default_hash_slots(),
                domain::security::DEFAULT_HASH_QUEUE,
            ),
            database_url: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.services.db
    }

    /// The system's job queue, for playing the relay in a test with no worker.
    pub fn queue(&self) -> &infra::JobQueue {
        &self
            .system
            .as_ref()
            .expect("the system runs until the test stops it")
            .queue
    }

    /// Moves the system's calendar forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// Stops the system gracefully, then removes its data.
    pub async fn stop(mut self) {
        if let Some(system) = self.system.take() {
            let stopped = tokio::time::timeout(Duration::from_secs(20), system.stop()).await;
            assert!(stopped.is_ok(), "the system did not stop within 20 s");
        }
        self.backend.clean_up().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(system) = self.system.take() {
            system.kill();
            self.backend.clean_up_blocking();
        }
    }
}
