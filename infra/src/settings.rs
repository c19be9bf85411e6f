//! Operational settings, read once from the environment.
//!
//! Nothing is required: with no variables set, everything runs embedded under `./var`
//! (SQLite database, SQLite job queue, emails written as `.eml` files). Production sets
//! `DATABASE_URL`, `REDIS_URL` and `SMTP_URL`. The README's configuration table lists
//! every variable.

use std::path::PathBuf;
use std::time::Duration;

/// The costliest GraphQL request accepted, where a list costs its most items times their
/// selection and a long text its longest length (see `api::graphql::cost`). The heaviest
/// page a client asks, a candidate's portfolio with every round's content and feedback,
/// is priced about 25,000 at the domain's maxima; a page of 50 candidates with their
/// progress about 3,300.
pub const DEFAULT_MAX_COMPLEXITY: usize = 60_000;

/// Every environment-derived setting of the API and the worker.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where embedded state lives (`DATA_DIR`, default `./var`).
    pub data_dir: PathBuf,
    /// `DATABASE_URL`; defaults to `sqlite://<DATA_DIR>/lsscp.db?mode=rwc`.
    pub database_url: String,
    /// `REDIS_URL`; when unset, the embedded SQLite queue at `<DATA_DIR>/queue.db`.
    pub redis_url: Option<String>,
    /// `QUEUE_PREFIX` (default `lsscp`): namespaces the queues, so several deployments
    /// (or test runs) can share one Redis.
    pub queue_prefix: String,
    /// `SMTP_URL`, e.g. `smtp://user:pass@mail.example.org:587?tls=required`; when
    /// unset, emails are written to `<DATA_DIR>/outbox/`.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM` (default `LSSCP <no-reply@lsscp.local>`).
    pub mail_from: String,
    /// `APP_URL` (default `http://localhost:8000`): the client application that email
    /// links open.
    pub app_url: String,
    /// `PUBLIC_URL` (default `http://localhost:<PORT>`): where this API is reachable, for
    /// links that point at the API itself (status lists, credentials).
    pub public_url: String,
    /// `BIND_ADDR` (default `0.0.0.0`) and `PORT` (default `8000`).
    pub bind_addr: String,
    pub port: u16,
    /// `GRAPHQL_INTROSPECTION` (default `true`): schema introspection and GraphiQL.
    pub introspection: bool,
    /// `GRAPHQL_MAX_DEPTH` (default 15) and `GRAPHQL_MAX_COMPLEXITY` (default
    /// [`DEFAULT_MAX_COMPLEXITY`]).
    pub max_depth: usize,
    pub max_complexity: usize,
    /// `WORKER_NAME`: must be unique per worker process (default: host name and pid).
    pub worker_name: String,
    /// `MAIL_CONCURRENCY` (default 8): emails one worker sends at once.
    pub mail_concurrency: usize,
    /// `MIGRATE_ON_START` (default `true`): apply pending migrations when starting.
    pub migrate_on_start: bool,
    /// How long the API uses a signed-in session from memory before it reads it again
    /// (`API_SESSION_CACHE_SECS`; 0 reads it on every request). PostgreSQL only: changes
    /// reach every API process at once through a notification.
    pub session_cache_secs: u64,
    /// `LSSCP_PROGRAMME_CONFIG`: a TOML file laid over `config/programme.toml`.
    pub programme_config: Option<PathBuf>,
    /// `DOCUMENT_STORE_URL`: `s3://bucket[/prefix]` or `file:///path`; when unset,
    /// `<DATA_DIR>/documents`.
    pub document_store_url: Option<String>,
    /// `CREDENTIAL_SIGNING_KEY`: the Ed25519 seed (base64url) credentials are signed with;
    /// when unset, one is generated on first start and kept in
    /// `<DATA_DIR>/credential-signing-key`.
    pub credential_signing_key: Option<String>,
    /// `PASSWORD_HASH_CONCURRENCY` (default: the number of cores): password hashes run at
    /// once, each holding argon2's 19 MiB.
    pub password_hash_concurrency: usize,
    /// `PASSWORD_HASH_QUEUE` (default 64): requests that may wait for a hashing slot;
    /// beyond them a request is refused at once with `BUSY`.
    pub password_hash_queue: usize,
    /// What the HTTP edge accepts before any parsing (see [`EdgeSettings`]).
    pub edge: EdgeSettings,
}

/// Bounds on what one client may send, checked before the body or the GraphQL document
/// is parsed. Each has a README row; the defaults are far above what the client app sends.
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// `GRAPHQL_MAX_BODY_BYTES` (default 1 MiB): a JSON request body.
    pub max_body_bytes: usize,
    /// `GRAPHQL_MAX_QUERY_BYTES` (default 32 KiB): the document text.
    pub max_query_bytes: usize,
    /// `GRAPHQL_MAX_NESTING` (default 32): brackets inside brackets, in the document and
    /// in the variables, counted before the recursive parsers run.
    pub max_nesting: usize,
    /// `GRAPHQL_MAX_FIELDS` (default 1000): fields in one operation, aliases and
    /// `__typename` included, fragments counted where they are spread.
    pub max_fields: usize,
    /// `UPLOAD_MAX_FILES` (default 1): files in one multipart request.
    pub max_upload_files: usize,
    /// `REQUEST_TIMEOUT_SECS` (default 30): a request still running after this is
    /// answered `503 TIMEOUT` and dropped.
    pub request_timeout_secs: u64,
    /// `HEADER_READ_TIMEOUT_SECS` (default 10): a connection that has not sent its
    /// request headers by then is closed.
    pub header_read_timeout_secs: u64,
    /// `HTTP_MAX_CONNECTIONS` (default 1024): open connections; more wait in the
    /// kernel's backlog.
    pub max_connections: usize,
    /// `CORS_ALLOWED_ORIGINS` (comma-separated; none by default): browser origins that
    /// may call the API from another site.
    pub cors_allowed_origins: Vec<String>,
    /// `TRUSTED_PROXIES` (comma-separated addresses or CIDR blocks; none by default):
    /// peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// What one `/graphql/ws` connection may do (`WS_*`).
    pub websocket: WebSocketSettings,
}

/// Bounds of one `/graphql/ws` connection, and how often it reads its session again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebSocketSettings {
    /// `WS_MAX_OPERATIONS` (default 16): operations one connection runs at once; one more
    /// is refused.
    pub max_operations: usize,
    /// `WS_MAX_MESSAGE_BYTES` (default 64 KiB): the largest message (and frame) read; a
    /// larger one closes the connection.
    pub max_message_bytes: usize,
    /// `WS_INIT_TIMEOUT_SECS` (default 10): how long a new connection may take to send
    /// `connection_init`.
    pub init_timeout: Duration,
    /// `WS_SESSION_RECHECK_SECS` (default 15): how often an open connection reads its
    /// session again whatever it heard, which is what ends it at its session's expiry.
    pub session_recheck: Duration,
}

impl Default for WebSocketSettings {
    fn default() -> Self {
        Self {
            max_operations: 16,
            max_message_bytes: 64 * 1024,
            init_timeout: Duration::from_secs(10),
            session_recheck: Duration::from_secs(15),
        }
    }
}

impl WebSocketSettings {
    fn from_env() -> Result<Self, SettingsError> {
        let d = Self::default();
        let secs =
            |name, default: Duration| positive(name, default.as_secs()).map(Duration::from_secs);
        Ok(Self {
            max_operations: positive("WS_MAX_OPERATIONS", d.max_operations)?,
            max_message_bytes: positive("WS_MAX_MESSAGE_BYTES", d.max_message_bytes)?,
            init_timeout: secs("WS_INIT_TIMEOUT_SECS", d.init_timeout)?,
            session_recheck: secs("WS_SESSION_RECHECK_SECS", d.session_recheck)?,
        })
    }
}

impl Default for EdgeSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_query_bytes: 32 * 1024,
            max_nesting: 32,
            max_fields: 1000,
            max_upload_files: 1,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            max_connections: 1024,
            cors_allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            websocket: WebSocketSettings::default(),
        }
    }
}

impl EdgeSettings {
    fn from_env() -> Result<Self, SettingsError> {
        let d = Self::default();
        let list = |name: &str| -> Vec<String> {
            var(name)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().trim_end_matches('/').to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Self {
            max_body_bytes: parse("GRAPHQL_MAX_BODY_BYTES", d.max_body_bytes)?,
            max_query_bytes: parse("GRAPHQL_MAX_QUERY_BYTES", d.max_query_bytes)?,
            max_nesting: parse("GRAPHQL_MAX_NESTING", d.max_nesting)?,
            max_fields: parse("GRAPHQL_MAX_FIELDS", d.max_fields)?,
            max_upload_files: parse("UPLOAD_MAX_FILES", d.max_upload_files)?,
            request_timeout_secs: parse("REQUEST_TIMEOUT_SECS", d.request_timeout_secs)?,
            header_read_timeout_secs: parse(
                "HEADER_READ_TIMEOUT_SECS",
                d.header_read_timeout_secs,
            )?,
            max_connections: parse("HTTP_MAX_CONNECTIONS", d.max_connections)?.max(1),
            cors_allowed_origins: list("CORS_ALLOWED_ORIGINS"),
            trusted_proxies: list("TRUSTED_PROXIES"),
            websocket: WebSocketSettings::from_env()?,
        })
    }
}

/// A variable was set to something unusable.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {problem}")]
pub struct SettingsError {
    pub name: &'static str,
    pub problem: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|e: T::Err| SettingsError {
            name,
            problem: format!("“{raw}”: {e}"),
        }),
    }
}

/// A count or a number of seconds for which zero would refuse everything or never fire.
fn positive<T>(name: &'static str, default: T) -> Result<T, SettingsError>
where
    T: std::str::FromStr + PartialOrd + Default,
    T::Err: std::fmt::Display,
{
    let value = parse(name, default)?;
    if value <= T::default() {
        return Err(SettingsError {
            name,
            problem: "must be at least 1".to_owned(),
        });
    }
    Ok(value)
}

fn flag(name: &'static str, default: bool) -> Result<bool, SettingsError> {
    match var(name).map(|v| v.trim().to_lowercase()) {
        None => Ok(default),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(SettingsError {
            name,
            problem: format!("“{v}” is not true or false"),
        }),
    }
}

fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}

impl Settings {
    /// The embedded defaults under `data_dir`, as if no variable were set: a starting point
    /// for code (tests, tools) that builds settings without the environment.
    pub fn embedded(data_dir: PathBuf) -> Self {
        Self {
            database_url: format!("sqlite://{}/lsscp.db?mode=rwc", data_dir.display()),
            redis_url: None,
            queue_prefix: "lsscp".to_owned(),
            smtp_url: None,
            mail_from: "LSSCP <no-reply@lsscp.local>".to_owned(),
            app_url: "http://localhost:8000".to_owned(),
            public_url: "http://localhost:8000".to_owned(),
            bind_addr: "127.0.0.1".to_owned(),
            port: 8000,
            introspection: true,
            max_depth: 15,
            max_complexity: DEFAULT_MAX_COMPLEXITY,
            worker_name: default_worker_name(),
            mail_concurrency: 8,
            migrate_on_start: true,
            session_cache_secs: domain::session_cache::DEFAULT_TTL.as_secs(),
            programme_config: None,
            document_store_url: None,
            credential_signing_key: None,
            password_hash_concurrency: domain::security::default_hash_slots(),
            password_hash_queue: domain::security::DEFAULT_HASH_QUEUE,
            edge: EdgeSettings::default(),
            data_dir,
        }
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./var".to_owned()));
        let port = parse("PORT", 8000u16)?;
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}/lsscp.db?mode=rwc", data_dir.display()));
        Ok(Self {
            database_url,
            redis_url: var("REDIS_URL"),
            queue_prefix: var("QUEUE_PREFIX").unwrap_or_else(|| "lsscp".to_owned()),
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM")
                .unwrap_or_else(|| "LSSCP <no-reply@lsscp.local>".to_owned()),
            app_url: var("APP_URL")
                .unwrap_or_else(|| "http://localhost:8000".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            public_url: var("PUBLIC_URL")
                .unwrap_or_else(|| format!("http://localhost:{port}"))
                .trim_end_matches('/')
                .to_owned(),
            bind_addr: var("BIND_ADDR").unwrap_or_else(|| "0.0.0.0".to_owned()),
            port,
            introspection: flag("GRAPHQL_INTROSPECTION", true)?,
            max_depth: parse("GRAPHQL_MAX_DEPTH", 15usize)?,
            max_complexity: parse("GRAPHQL_MAX_COMPLEXITY", DEFAULT_MAX_COMPLEXITY)?,
            worker_name: var("WORKER_NAME").unwrap_or_else(default_worker_name),
            mail_concurrency: parse("MAIL_CONCURRENCY", 8usize)?,
            migrate_on_start: flag("MIGRATE_ON_START", true)?,
            session_cache_secs: parse(
                "API_SESSION_CACHE_SECS",
                domain::session_cache::DEFAULT_TTL.as_secs(),
            )?,
            programme_config: var("LSSCP_PROGRAMME_CONFIG").map(PathBuf::from),
            document_store_url: var("DOCUMENT_STORE_URL"),
            credential_signing_key: var("CREDENTIAL_SIGNING_KEY"),
            password_hash_concurrency: parse(
                "PASSWORD_HASH_CONCURRENCY",
                domain::security::default_hash_slots(),
            )?
            .max(1),
            password_hash_queue: parse(
                "PASSWORD_HASH_QUEUE",
                domain::security::DEFAULT_HASH_QUEUE,
            )?,
            edge: EdgeSettings::from_env()?,
            data_dir,
        })
    }

    /// The embedded queue's file, used when `REDIS_URL` is unset.
    pub fn embedded_queue_path(&self) -> PathBuf {
        self.data_dir.join("queue.db")
    }

    /// Where emails are written when `SMTP_URL` is unset.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The programme configuration: the defaults, with the override file if one is named.
    pub fn programme(
        &self,
    ) -> Result<domain::config::ProgrammeConfig, domain::config::ConfigError> {
        match &self.programme_config {
            Some(path) => domain::config::ProgrammeConfig::load_overrides(path),
            None => domain::config::ProgrammeConfig::defaults(),
        }
    }
}
