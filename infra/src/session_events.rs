//! Keeps the API's signed-in sessions (`domain::session_cache`) in step with the database:
//! listens on the channel that the schema's triggers notify whenever a session, an
//! account's roles or its standing changes (migration m0010).
//!
//! Only PostgreSQL can tell; on SQLite no listener starts and every request looks its
//! session up. The cache keeps sessions only while this listener is connected: when the
//! connection drops it forgets everything and keeps nothing until it listens again.
//!
//! The listener runs even when the cache keeps nothing: what it hears is also announced to
//! open WebSockets, which must learn of a sign-out made by another process.

use domain::Context;
use domain::session_cache::{SessionCache, apply_notification};
use sea_orm::DbBackend;
use sea_orm::sqlx::PgPool;
use sea_orm::sqlx::postgres::PgListener;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The channel the triggers notify.
pub const CHANNEL: &str = "lsscp_sessions";

/// How long to wait before listening again after the connection was lost.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Starts the listener when the database can notify; returns its task, which ends when
/// `stop` turns true.
pub fn spawn(ctx: &Context, stop: watch::Receiver<bool>) -> Option<JoinHandle<()>> {
    if ctx.db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let pool = ctx.db.get_postgres_connection_pool().clone();
    let ctx = ctx.clone();
    Some(tokio::spawn(run(ctx, pool, stop)))
}

async fn run(ctx: Context, pool: PgPool, mut stop: watch::Receiver<bool>) {
    let cache = ctx.sessions();
    loop {
        let lost = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            lost = listen(cache, &pool) => lost,
        };
        cache.stop_listening();
        tracing::warn!(
            error = %lost,
            "lost the session-change listener; sessions are looked up in the database until it is back"
        );
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            () = tokio::time::sleep(RETRY_AFTER) => {}
        }
    }
    cache.stop_listening();
}

/// Listens until the connection fails for good; returns why.
async fn listen(cache: &SessionCache, pool: &PgPool) -> sea_orm::sqlx::Error {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(e) => return e,
    };
    if let Err(e) = listener.listen(CHANNEL).await {
        return e;
    }
    cache.start_listening();
    tracing::debug!("keeping signed-in sessions in memory");
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => apply_notification(cache, notification.payload()),
            // The connection dropped and is listening again; what changed meanwhile went
            // unheard.
            Ok(None) => cache.forget_all(),
            Err(e) => return e,
        }
    }
}
