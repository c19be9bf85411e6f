//! A database and a queue namespace of its own for every test.
//!
//! - Default: an SQLite file in the test's temporary directory, and the embedded SQLite
//!   queue beside it.
//! - `TEST_DATABASE_URL=postgres://…/postgres`: a fresh PostgreSQL database per test,
//!   copied (`CREATE DATABASE … TEMPLATE`) from a template migrated once per build of the
//!   test binary. Creating the template is serialised by an advisory lock, so it is safe
//!   whether the tests run as threads (`cargo test`) or as processes (`cargo nextest`).
//! - `TEST_REDIS_URL=redis://…`: the Redis queue, under a prefix of the test's own.
//! - A database the test brings (`TestAppBuilder::database_url`, e.g. a
//!   `PostgresCluster` it stops and starts): used as it is, and left to the test.
//!
//! Cleanup is best effort: the test database is dropped and the queue keys deleted when
//! the test ends; what a killed test process leaves behind is removed by a later run.

use sea_orm::sqlx::{self, Connection as _, PgConnection};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Serialises template creation and database copies across test processes.
const TEMPLATE_LOCK: i64 = 0x4c53_5343_5054_4d50; // "LSSCPTMP"
const TEMPLATE_PREFIX: &str = "lsscp_tmpl_";
const TEST_DB_PREFIX: &str = "lsscp_test_";
const QUEUE_PREFIX: &str = "lsscp_test_";

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A name unique to this test in this process, and traceable to the process (its pid
/// comes first, so leftovers of a dead process can be recognised).
pub fn unique_name() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Where one test keeps its data.
#[derive(Debug)]
pub struct Backend {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub queue_prefix: String,
    postgres: Option<PgDatabase>,
}

#[derive(Debug)]
struct PgDatabase {
    admin_url: String,
    name: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Backend {
    /// Provisions a database and a queue namespace for a test whose files live in `dir`.
    pub async fn provision(dir: &Path, name: &str) -> Self {
        let (redis_url, queue_prefix) = provision_queue(name).await;
        match env("TEST_DATABASE_URL") {
            Some(admin_url) => {
                let db_name = format!("{TEST_DB_PREFIX}{name}");
                create_test_database(&admin_url, &db_name).await;
                Self {
                    database_url: with_database(&admin_url, &db_name),
                    redis_url,
                    queue_prefix,
                    postgres: Some(PgDatabase {
                        admin_url,
                        name: db_name,
                    }),
                }
            }
            None => Self {
                database_url: format!("sqlite://{}/lsscp.db?mode=rwc", dir.display()),
                redis_url,
                queue_prefix,
                postgres: None,
            },
        }
    }

    /// A queue namespace as [`provision`](Self::provision) makes, with a database the
    /// test brings (an empty one: the system migrates it on start). The database is the
    /// test's to remove, not the clean-up's.
    pub async fn provision_with_database(name: &str, database_url: String) -> Self {
        let (redis_url, queue_prefix) = provision_queue(name).await;
        Self {
            database_url,
            redis_url,
            queue_prefix,
            postgres: None,
        }
    }

    /// Drops the test database and deletes the queue keys. Errors are reported, not
    /// raised: a test's verdict does not depend on its cleanup.
    pub async fn clean_up(&self) {
        if let Some(pg) = &self.postgres {
            let dropped = async {
                let mut admin = PgConnection::connect(&pg.admin_url).await?;
                sqlx::query(ddl(format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    pg.name
                )))
                .execute(&mut admin)
                .await?;
                admin.close().await
            }
            .await;
            if let Err(e) = dropped {
                eprintln!("cleanup: cannot drop database {}: {e}", pg.name);
            }
        }
        if let Some(url) = &self.redis_url
            && let Err(e) = delete_queues(url, &self.queue_prefix).await
        {
            eprintln!(
                "cleanup: cannot delete Redis keys {}:*: {e}",
                self.queue_prefix
            );
        }
    }

    /// [`clean_up`](Self::clean_up) from synchronous code (a `Drop`), on a runtime of its
    /// own in a thread of its own, so it works inside or outside a test's runtime.
    pub fn clean_up_blocking(&self) {
        if self.postgres.is_none() && self.redis_url.is_none() {
            return;
        }
        std::thread::scope(|scope| {
            scope.spawn(|| {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(self.clean_up()),
                    Err(e) => eprintln!("cleanup: no runtime: {e}"),
                }
            });
        });
    }
}

/// The Redis URL, if the queue is Redis (else it is the embedded one, in the test's
/// directory), and the test's prefix in it.
async fn provision_queue(name: &str) -> (Option<String>, String) {
    let redis_url = env("TEST_REDIS_URL");
    if let Some(url) = &redis_url {
        remove_dead_processes_queues(url).await;
    }
    (redis_url, format!("{QUEUE_PREFIX}{name}"))
}

/// `postgres://user@host:port/postgres?x=y` with the database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// Names the template after this build of the test binary and the migrations it carries,
/// so a rebuild (new migrations included) gets a new template and stale ones are dropped.
fn template_name() -> String {
    use migration::MigratorTrait as _;
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    if let Ok(meta) = std::env::current_exe().and_then(std::fs::metadata) {
        meta.len().hash(&mut hasher);
        if let Ok(modified) = meta.modified() {
            modified.hash(&mut hasher);
        }
    }
    for m in migration::Migrator::migrations() {
        m.name().hash(&mut hasher);
    }
    format!("{TEMPLATE_PREFIX}{:016x}", hasher.finish())
}

/// A statement built from names this harness made up, never from input (identifiers
/// cannot be bound as parameters).
fn ddl(statement: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(statement)
}

async fn database_names(admin: &mut PgConnection, like: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>("SELECT datname FROM pg_database WHERE datname LIKE $1")
        .bind(like)
        .fetch_all(admin)
        .await
        .unwrap()
}

/// Whether the process that made a `lsscp_test_<pid>_<n>` name is gone.
fn owner_is_dead(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.split('_').next())
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
}

/// Creates database `name` as a copy of the migrated template, creating the template
/// first if this build has none yet.
async fn create_test_database(admin_url: &str, name: &str) {
    let mut admin = PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin_url}: {e}"));
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .unwrap();
    let template = template_name();
    let existing = database_names(&mut admin, &format!("{TEMPLATE_PREFIX}%")).await;
    if !existing.contains(&template) {
        for stale in existing {
            // Another build's template, or one whose migration was interrupted.
            let _ = sqlx::query(ddl(format!("ALTER DATABASE \"{stale}\" IS_TEMPLATE false")))
                .execute(&mut admin)
                .await;
            let _ = sqlx::query(ddl(format!(
                "DROP DATABASE IF EXISTS \"{stale}\" WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
        // Migrated under a temporary name and renamed when complete, so a template that
        // exists is always a complete one.
        let building = format!("{template}_building");
        sqlx::query(ddl(format!("CREATE DATABASE \"{building}\"")))
            .execute(&mut admin)
            .await
            .unwrap();
        let db = infra::database::connect(&with_database(admin_url, &building))
            .await
            .unwrap();
        infra::database::migrate(&db).await.unwrap();
        db.close().await.unwrap();
        for statement in [
            format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\""),
            format!("ALTER DATABASE \"{template}\" IS_TEMPLATE true ALLOW_CONNECTIONS false"),
        ] {
            sqlx::query(ddl(statement))
                .execute(&mut admin)
                .await
                .unwrap();
        }
    }
    for leftover in database_names(&mut admin, &format!("{TEST_DB_PREFIX}%")).await {
        if owner_is_dead(&leftover, TEST_DB_PREFIX) {
            let _ = sqlx::query(ddl(format!(
                "DROP DATABASE IF EXISTS \"{leftover}\" WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
    }
    // The copy is made under the lock too: PostgreSQL refuses to copy a template that
    // another session is connected to, and a concurrent build of it would be one.
    let mut attempt = 0;
    loop {
        match sqlx::query(ddl(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        )))
        .execute(&mut admin)
        .await
        {
            Ok(_) => break,
            Err(e) if attempt < 20 && e.to_string().contains("being accessed by other users") => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot create test database {name}: {e}"),
        }
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .unwrap();
    let _ = admin.close().await;
}

async fn redis_connection(url: &str) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await
}

/// Where apalis lists every queue that has had a worker, across prefixes.
const APALIS_QUEUES: &str = "core:apalis:queues:list";

/// Deletes every key matching `prefix:*`, and the prefix's queues from apalis's list.
pub async fn delete_queues(url: &str, prefix: &str) -> redis::RedisResult<()> {
    let mut conn = redis_connection(url).await?;
    let listed: Vec<String> = redis::cmd("ZRANGE")
        .arg(APALIS_QUEUES)
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await?;
    let ours: Vec<&String> = listed
        .iter()
        .filter(|q| q.starts_with(&format!("{prefix}:")))
        .collect();
    if !ours.is_empty() {
        redis::cmd("ZREM")
            .arg(APALIS_QUEUES)
            .arg(&ours)
            .query_async::<()>(&mut conn)
            .await?;
    }
    delete_keys(&mut conn, &format!("{prefix}:*")).await
}

/// Deletes every key matching `pattern`.
async fn delete_keys(
    conn: &mut redis::aio::MultiplexedConnection,
    pattern: &str,
) -> redis::RedisResult<()> {
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await?;
        if !keys.is_empty() {
            redis::cmd("DEL").arg(&keys).query_async::<()>(conn).await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// Deletes the queue keys of test processes that are gone, once per process.
async fn remove_dead_processes_queues(url: &str) {
    static ONCE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let Ok(mut conn) = redis_connection(url).await else {
            return;
        };
        let mut names: Vec<String> = redis::cmd("ZRANGE")
            .arg(APALIS_QUEUES)
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .unwrap_or_default();
        let mut cursor: u64 = 0;
        loop {
            let Ok((next, keys)) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{QUEUE_PREFIX}*"))
                .arg("COUNT")
                .arg(1000)
                .query_async::<(u64, Vec<String>)>(&mut conn)
                .await
            else {
                return;
            };
            names.extend(keys);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        let prefixes: std::collections::BTreeSet<&str> = names
            .iter()
            .filter_map(|name| name.split_once(':').map(|(prefix, _)| prefix))
            .filter(|prefix| owner_is_dead(prefix, QUEUE_PREFIX))
            .collect();
        for prefix in prefixes {
            let _ = delete_queues(url, prefix).await;
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_in_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "y"),
            "postgres://u:p@h/y?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "z"), "postgres://h:1/z");
    }

    #[test]
    fn names_of_this_process_are_not_taken_for_leftovers() {
        let mine = format!("{TEST_DB_PREFIX}{}", unique_name());
        assert!(!owner_is_dead(&mine, TEST_DB_PREFIX));
        assert!(owner_is_dead("lsscp_test_4294967295_1", TEST_DB_PREFIX));
    }
}
