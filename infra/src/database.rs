//! The database connection: PostgreSQL in production, SQLite embedded.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// How long a pooled connection may sit idle before it is pinged on checkout.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

/// Connects to `url`, creating an SQLite file's directory if needed.
///
/// SQLite gets a single connection: it has one writer at a time anyway, and a single
/// connection turns would-be `SQLITE_BUSY` failures between our own transactions into
/// orderly waits. WAL lets readers in other processes (a second worker) proceed.
///
/// A pooled connection is pinged before use only after it has sat idle for
/// [`PING_IF_IDLE_FOR`]. sqlx's default pings on every checkout: a blocking round trip
/// before each statement, which doubled the round trips of a request. sqlx still
/// pings each connection as it goes back to the pool, off the request's path, so a
/// connection broken mid-use is dropped there; the idle ping covers one dropped by the
/// server or a proxy while it waited.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:")
        && let Some(dir) = sqlite_dir(url)
    {
        std::fs::create_dir_all(&dir)
            .map_err(|e| DbErr::Custom(format!("cannot create {dir}: {e}")))?;
    }
    Database::connect(options(url)).await
}

/// The pool's settings for `url`, as [`connect`] describes them.
pub fn options(url: &str) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    if url.starts_with("sqlite:") {
        opts.max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
            });
    } else {
        opts.max_connections(20).min_connections(1);
    }
    opts
}

/// The directory of an SQLite file URL, if it names a file.
fn sqlite_dir(url: &str) -> Option<String> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?;
    let s = parent.to_string_lossy().into_owned();
    (!s.is_empty()).then_some(s)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// A cheap round trip, for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_connections_are_not_pinged_on_every_checkout() {
        for url in [
            "postgres://db.example/lsscp",
            "sqlite://./var/lsscp.db?mode=rwc",
        ] {
            let opts = options(url);
            assert!(!opts.get_test_before_acquire(), "{url}");
            assert_eq!(
                opts.get_test_before_acquire_if_idle_for(),
                Some(PING_IF_IDLE_FOR),
                "{url}"
            );
        }
    }

    #[test]
    fn sqlite_urls_name_their_directory() {
        assert_eq!(
            sqlite_dir("sqlite://./var/lsscp.db?mode=rwc").as_deref(),
            Some("./var")
        );
        assert_eq!(sqlite_dir("sqlite:/tmp/x/y.db").as_deref(), Some("/tmp/x"));
        assert_eq!(sqlite_dir("sqlite::memory:"), None);
    }
}
