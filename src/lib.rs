//! Putting the system together: the API, the workers, or both in one process.
//!
//! `main.rs` is the command line; the integration tests start the same [`System`] with a
//! shifted clock and a test SMTP listener.

use domain::clock::SharedClock;
use infra::{JobQueue, Settings};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Which parts a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The API and the workers in one process (the embedded default).
    All,
    Api,
    Worker,
}

/// Start-up failed: a setting, the database, the queue or the mailer.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Settings(#[from] infra::settings::SettingsError),
    #[error(transparent)]
    Programme(#[from] domain::config::ConfigError),
    #[error("database: {0}")]
    Database(#[from] sea_orm_err::DbErr),
    #[error(transparent)]
    Queue(#[from] infra::queue::QueueError),
    #[error(transparent)]
    Documents(#[from] infra::documents::StoreError),
    #[error(transparent)]
    Key(#[from] infra::keys::KeyError),
    #[error("cannot read the competency catalogue: {0}")]
    Catalogue(String),
    #[error(transparent)]
    Mailer(#[from] worker::mailer::MailerConfigError),
    #[error(transparent)]
    Templates(#[from] worker::templates::RenderError),
    #[error(transparent)]
    Proxies(#[from] api::edge::proxies::BadProxy),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

mod sea_orm_err {
    pub use migration::DbErr;
}

/// A running system: its address (when it serves the API) and the means to stop it.
pub struct System {
    pub addr: Option<SocketAddr>,
    pub services: domain::Context,
    pub queue: JobQueue,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl System {
    /// Stops everything and waits for it to finish.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Stops at once, as a crash would: nothing is allowed to finish.
    pub fn kill(self) {
        for task in &self.tasks {
            task.abort();
        }
    }

    /// Waits until every part has stopped (after a shutdown signal).
    pub async fn wait(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Asks every part to stop.
    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Connects to the database (migrating it when asked) and the queue.
pub async fn connect(
    settings: &Settings,
    clock: SharedClock,
) -> Result<(domain::Context, JobQueue), StartError> {
    let programme = settings.programme()?;
    let db = infra::database::connect(&settings.database_url).await?;
    if settings.migrate_on_start {
        infra::database::migrate(&db).await?;
    }
    let queue = JobQueue::connect(settings).await?;
    let documents = infra::documents::open(settings)?;
    let key = infra::keys::credential_key(settings)?;
    let services = domain::Context::new(db, clock, programme, documents)
        .with_public_url(&settings.public_url)
        .with_credential_key(key)
        .with_password_gate(domain::security::PasswordGate::new(
            settings.password_hash_concurrency,
            settings.password_hash_queue,
        ))
        .with_session_cache(domain::session_cache::SessionCache::new(
            std::time::Duration::from_secs(settings.session_cache_secs),
            domain::session_cache::DEFAULT_CAPACITY,
        ));
    // Services read the catalogue inside their transactions; on SQLite's single connection
    // a first, uncached read there would wait on itself. Loading it now keeps it cached.
    domain::services::catalogue::get(&services)
        .await
        .map_err(|e| StartError::Catalogue(format!("{e:?}")))?;
    Ok((services, queue))
}

/// Starts the parts of `role`, with `timing` for the delivery machinery.
pub async fn start(
    settings: &Settings,
    clock: SharedClock,
    role: Role,
    timing: worker::Timing,
) -> Result<System, StartError> {
    let (services, queue) = connect(settings, clock).await?;
    let (shutdown, stop) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut addr = None;

    if matches!(role, Role::All | Role::Worker) {
        let mailer = match &settings.smtp_url {
            Some(url) => {
                worker::mailer::Mailer::smtp(url, timing.send_timeout(), settings.mail_concurrency)?
            }
            None => worker::mailer::Mailer::files(settings.outbox_dir())?,
        };
        let state = Arc::new(worker::WorkerState {
            ctx: services.clone(),
            queue: queue.clone(),
            mailer,
            templates: worker::templates::Templates::new(&settings.app_url, &settings.public_url)?,
            name: settings.worker_name.clone(),
            mail_from: settings.mail_from.clone(),
            mail_concurrency: settings.mail_concurrency,
            timing,
            sent: worker::sent_ledger::SentLedger::default(),
            liveness: Default::default(),
            mail_health: Default::default(),
            in_flight: Default::default(),
        });
        tasks.push(tokio::spawn(worker::run(state, stop.clone())));
    }

    if matches!(role, Role::All | Role::Api) {
        if let Some(listener) = infra::session_events::spawn(&services, stop.clone()) {
            tasks.push(listener);
        }
        let limits = api::graphql::Limits {
            max_depth: settings.max_depth,
            max_complexity: settings.max_complexity,
            introspection: settings.introspection,
        };
        let edge = api::edge::Edge::new(
            settings.edge.clone(),
            &settings.public_url,
            services.config.documents.max_bytes,
        )?;
        let state = api::AppState::new(services.clone(), queue.clone(), limits, edge);
        let bind = format!("{}:{}", settings.bind_addr, settings.port);
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .map_err(|source| StartError::Listen {
                addr: bind.clone(),
                source,
            })?;
        addr = listener.local_addr().ok();
        tasks.push(tokio::spawn(api::serve(listener, state, stop.clone())));
    }

    Ok(System {
        addr,
        services,
        queue,
        shutdown,
        tasks,
    })
}
