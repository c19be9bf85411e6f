//! The programme statistics page, served from a snapshot shared by every request of this
//! process. Computing them scans the whole programme (at national scale about a second of
//! database time), while the page is read far more often than its numbers move; so a
//! reader gets the snapshot while it is younger than `reports.statistics_max_age_seconds`,
//! and a reader who finds it older gets it too while one refresh runs in the background.
//! Staff who need the numbers of this instant ask for a fresh computation. Exports
//! (`services::reports`) always compute afresh.

use crate::actor::Actor;
use crate::context::Context;
use crate::error::DomainResult;
use crate::services::progress::{self, Statistics};
use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, RwLock};
use tokio::sync::Mutex;

/// Statistics as they were at `as_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub as_of: DateTime<Utc>,
    pub statistics: Statistics,
}

/// The process's snapshot, and the lock that makes refreshes one at a time.
#[derive(Debug, Default)]
pub struct SnapshotCache {
    current: RwLock<Option<Arc<Snapshot>>>,
    refreshing: Arc<Mutex<()>>,
}

/// What a reader may do with the snapshot it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Young enough: serve it.
    Fresh,
    /// Too old: serve it, and refresh it in the background.
    Stale,
    /// None yet: compute one now.
    Missing,
}

/// How old a snapshot taken at `as_of` is, at `now`, against `max_age`. A snapshot from the
/// future (the clock was set back) is stale: its numbers belong to another time.
pub fn freshness(as_of: Option<DateTime<Utc>>, now: DateTime<Utc>, max_age: Duration) -> Freshness {
    match as_of {
        None => Freshness::Missing,
        Some(at) if at <= now && now - at < max_age => Freshness::Fresh,
        Some(_) => Freshness::Stale,
    }
}

impl SnapshotCache {
    fn get(&self) -> Option<Arc<Snapshot>> {
        // A poisoned lock only means a panic elsewhere while replacing an `Arc`; the value
        // inside is whole either way.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, snapshot: Arc<Snapshot>) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(snapshot);
    }
}

/// Computes a snapshot now and keeps it. The caller holds the refresh lock.
async fn compute_and_keep(ctx: &Context) -> DomainResult<Arc<Snapshot>> {
    let as_of = ctx.now();
    let statistics = progress::statistics(ctx, &Actor::System).await?;
    let snapshot = Arc::new(Snapshot { as_of, statistics });
    ctx.statistics_cache().set(snapshot.clone());
    Ok(snapshot)
}

/// A snapshot taken at `since` or later: the one another reader computed while this one
/// waited for the lock, or a new one.
async fn refresh(ctx: &Context, since: DateTime<Utc>) -> DomainResult<Arc<Snapshot>> {
    let cache = ctx.statistics_cache();
    let _one_at_a_time = cache.refreshing.lock().await;
    match cache.get() {
        Some(current) if current.as_of >= since => Ok(current),
        _ => compute_and_keep(ctx).await,
    }
}

/// The programme statistics for the staff page: the shared snapshot, or with `fresh`
/// numbers computed now (which also replace the snapshot). Staff only.
pub async fn current(ctx: &Context, actor: &Actor, fresh: bool) -> DomainResult<Arc<Snapshot>> {
    actor.require_staff()?;
    let now = ctx.now();
    let max_age = Duration::seconds(ctx.config.reports.statistics_max_age_seconds);
    // A maximum age of zero turns the snapshot off: every reader gets numbers of its own.
    if fresh || max_age <= Duration::zero() {
        return refresh(ctx, now).await;
    }
    let cache = ctx.statistics_cache();
    let found = cache.get();
    match (
        freshness(found.as_ref().map(|s| s.as_of), now, max_age),
        found,
    ) {
        (Freshness::Fresh, Some(snapshot)) => Ok(snapshot),
        (Freshness::Stale, Some(snapshot)) => {
            // One background refresh at a time; readers meanwhile get the old numbers.
            if let Ok(guard) = cache.refreshing.clone().try_lock_owned() {
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    let _one_at_a_time = guard;
                    if let Err(e) = compute_and_keep(&ctx).await {
                        tracing::warn!(error = %e, "refreshing the programme statistics failed");
                    }
                });
            }
            Ok(snapshot)
        }
        // Nothing to serve yet: the first reader computes, the others wait for it.
        _ => refresh(ctx, now).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, h, m, s)
            .single()
            .expect("a valid instant")
    }

    #[test]
    fn a_snapshot_is_fresh_until_its_age_reaches_the_maximum() {
        let max = Duration::seconds(60);
        assert_eq!(freshness(None, at(12, 0, 0), max), Freshness::Missing);
        assert_eq!(
            freshness(Some(at(12, 0, 0)), at(12, 0, 0), max),
            Freshness::Fresh
        );
        assert_eq!(
            freshness(Some(at(12, 0, 0)), at(12, 0, 59), max),
            Freshness::Fresh
        );
        assert_eq!(
            freshness(Some(at(12, 0, 0)), at(12, 1, 0), max),
            Freshness::Stale
        );
        assert_eq!(
            freshness(Some(at(12, 0, 0)), at(13, 0, 0), max),
            Freshness::Stale
        );
    }

    #[test]
    fn a_snapshot_from_the_future_is_stale() {
        let max = Duration::seconds(60);
        assert_eq!(
            freshness(Some(at(12, 0, 30)), at(12, 0, 0), max),
            Freshness::Stale
        );
    }

    #[test]
    fn a_zero_maximum_age_never_serves_a_snapshot_as_fresh() {
        assert_eq!(
            freshness(Some(at(12, 0, 0)), at(12, 0, 0), Duration::zero()),
            Freshness::Stale
        );
    }
}
