//! What every service needs: the database, the clock, the programme's rules.

use crate::clock::SharedClock;
use crate::config::ProgrammeConfig;
use crate::security;
use crate::services::catalogue::Catalogue;
use crate::services::statistics::SnapshotCache;
use crate::session_cache::SessionCache;
use chrono::{DateTime, NaiveDate, Utc};
use object_store::ObjectStore;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::sync::Arc;
use tokio::sync::{Notify, OnceCell};

/// Shared by the API and the worker; cheap to clone.
#[derive(Clone, Debug)]
pub struct Context {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub config: Arc<ProgrammeConfig>,
    /// Where uploaded documents' bytes live (local disk or S3-compatible storage).
    pub documents: Arc<dyn ObjectStore>,
    /// Where this API is reachable from outside, for URLs in credentials.
    pub public_url: Arc<str>,
    /// The programme's credential-signing key (Ed25519).
    pub credential_key: Arc<credentials::SigningKey>,
    outbox_written: Arc<Notify>,
    dummy_hash: Arc<OnceCell<String>>,
    passwords: Arc<security::PasswordGate>,
    catalogue: Arc<OnceCell<Arc<Catalogue>>>,
    statistics: Arc<SnapshotCache>,
    sessions: Arc<SessionCache>,
}

impl Context {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        config: ProgrammeConfig,
        documents: Arc<dyn ObjectStore>,
    ) -> Self {
        Self {
            db,
            clock,
            config: Arc::new(config),
            documents,
            public_url: Arc::from("http://localhost:8000"),
            credential_key: Arc::new(credentials::SigningKey::generate()),
            outbox_written: Arc::new(Notify::new()),
            dummy_hash: Arc::new(OnceCell::new()),
            passwords: Arc::new(security::PasswordGate::for_this_machine()),
            catalogue: Arc::new(OnceCell::new()),
            statistics: Arc::new(SnapshotCache::default()),
            sessions: Arc::new(SessionCache::default()),
        }
    }

    /// Sets the public URL used in credentials and links to the API.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    /// Sets the credential-signing key (otherwise a fresh key, good for one process only).
    pub fn with_credential_key(mut self, key: credentials::SigningKey) -> Self {
        self.credential_key = Arc::new(key);
        self
    }

    /// Sets how signed-in sessions are kept between requests (see [`SessionCache`]).
    pub fn with_session_cache(mut self, cache: SessionCache) -> Self {
        self.sessions = Arc::new(cache);
        self
    }

    /// Sets the bound on password hashing (see [`security::PasswordGate`]).
    pub fn with_password_gate(mut self, gate: security::PasswordGate) -> Self {
        self.passwords = Arc::new(gate);
        self
    }

    /// Where every password is hashed and checked, under the process's bound.
    pub fn passwords(&self) -> &security::PasswordGate {
        &self.passwords
    }

    /// Signed-in sessions kept between requests. Off until a listener hears every change
    /// to sessions and roles.
    pub fn sessions(&self) -> &SessionCache {
        &self.sessions
    }

    /// Starts a transaction that will write.
    ///
    /// On SQLite it takes the write lock at `BEGIN` (`BEGIN IMMEDIATE`): a deferred
    /// transaction that reads first and then writes cannot wait for a writer in another
    /// process (the worker beside the API) and fails with `SQLITE_BUSY` at once, whatever
    /// the busy timeout. PostgreSQL ignores the mode.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Tells an in-process relay that committed outbox rows are waiting, so that email
    /// leaves at once instead of at the relay's next poll. Harmless when no relay listens.
    pub fn outbox_written(&self) {
        self.outbox_written.notify_one();
    }

    /// What an in-process relay waits on.
    pub fn outbox_signal(&self) -> Arc<Notify> {
        self.outbox_written.clone()
    }

    /// A real argon2id hash of nothing anyone knows. Checking a password against it when an
    /// email is unknown makes that answer take as long as a known email's.
    pub async fn dummy_password_hash(&self) -> Result<&str, security::PasswordWorkError> {
        self.dummy_hash
            .get_or_try_init(|| self.passwords.hash(security::issue_token().plain))
            .await
            .map(String::as_str)
    }

    /// Where the catalogue is cached (see `services::catalogue::get`).
    pub(crate) fn catalogue_cache(&self) -> &OnceCell<Arc<Catalogue>> {
        &self.catalogue
    }

    /// Where the programme statistics' snapshot is kept (see `services::statistics`).
    pub(crate) fn statistics_cache(&self) -> &SnapshotCache {
        &self.statistics
    }
}
