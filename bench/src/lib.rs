//! The LSSCP benchmark (issue 7): a deterministic national-scale data generator
//! ([`generate`]) writing set-based ([`sink`]) from seeded streams ([`rng`]), and the
//! `loadbench` binary: the raw-SQL floor server and the open-loop load tester, with the
//! PostGraphile documents it sends and the normalising of their answers ([`postgraphile`]).
//!
//! None of this is part of the product; `cargo test -p bench` runs a smoke test of the
//! generator at a tiny scale and the unit tests of the PostGraphile normalising.

pub mod generate;
pub mod postgraphile;
pub mod rng;
pub mod sink;
pub mod smtp_sink;

use sha2::{Digest, Sha256};

/// The SHA-256 hex of a bearer token, as the `session` table stores it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Connects for bulk work: several connections on PostgreSQL (the COPY writers run side
/// by side), one on SQLite with foreign keys enforced.
pub async fn connect(url: &str) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
    use std::time::Duration;
    let mut opts = sea_orm::ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(600))
        // As the API's pool does (infra::database): the floor must not pay a ping per
        // checkout that the API no longer pays.
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
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
        opts.max_connections(8).min_connections(1);
    }
    sea_orm::Database::connect(opts).await
}
