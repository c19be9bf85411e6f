//! Worker liveness: this process's heartbeat, and the release of a dead worker's claims.
//!
//! Every `timing.heartbeat` the process raises its counter in the database and reads every
//! other worker's (`domain::services::liveness`). A worker whose counter has not moved for
//! `timing.stale_after`, by this process's monotonic clock, is dead, and its claims are
//! given back at once, so its emails move on in seconds, not after the claim lease.
//!
//! Two rules keep a live worker from being taken for dead:
//! - A process judges others only after its own beats have succeeded for a whole
//!   `stale_after`: after a database outage everyone's counters stood still, and nobody
//!   may call the others dead before they had the time to beat again.
//! - A process whose own last successful beat is older than half of `stale_after` sends
//!   nothing new (`crate::gate`): if it is cut off from the database while others are
//!   not, it stops before they may release its claims.

use crate::State;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What this process has seen of everyone's counters; pure, so that the rules are tested
/// without a database or a clock.
#[derive(Debug, Default)]
pub struct Watch {
    /// Each other worker's counter, and when this process last saw it change.
    seen: HashMap<String, (i64, Instant)>,
    /// Since when this process's own beats have all succeeded.
    healthy_since: Option<Instant>,
}

impl Watch {
    /// Notes this process's own beat at `now`.
    pub fn own_beat(&mut self, succeeded: bool, now: Instant) {
        if !succeeded {
            self.healthy_since = None;
        } else if self.healthy_since.is_none() {
            self.healthy_since = Some(now);
        }
    }

    /// Takes in everyone's counters read at `now` and returns the workers other than `me`
    /// that are dead: their counter has not moved for `stale_after` while this process was
    /// healthy the whole time.
    pub fn dead(
        &mut self,
        me: &str,
        counters: &[(String, i64)],
        now: Instant,
        stale_after: Duration,
    ) -> Vec<String> {
        self.seen
            .retain(|name, _| counters.iter().any(|(n, _)| n == name));
        let mut dead = Vec::new();
        let judging = self
            .healthy_since
            .is_some_and(|since| now.saturating_duration_since(since) >= stale_after);
        for (name, beats) in counters {
            if name == me {
                continue;
            }
            let entry = self.seen.entry(name.clone()).or_insert((*beats, now));
            if entry.0 != *beats {
                *entry = (*beats, now);
            } else if judging && now.saturating_duration_since(entry.1) >= stale_after {
                dead.push(name.clone());
            }
        }
        dead
    }

    /// Forgets workers whose claims were released.
    pub fn forget(&mut self, names: &[String]) {
        for name in names {
            self.seen.remove(name);
        }
    }
}

/// This process's liveness, shared by its parts.
#[derive(Debug, Default)]
pub struct Liveness {
    watch: Mutex<Watch>,
    last_beat: Mutex<Option<Instant>>,
}

impl Liveness {
    /// Whether this process's last successful beat is recent enough for it to start a send.
    pub fn fresh(&self, stale_after: Duration) -> bool {
        let last = *self.last_beat.lock().unwrap_or_else(|e| e.into_inner());
        last.is_some_and(|at| at.elapsed() < stale_after / 2)
    }

    fn beat_result(&self, succeeded: bool, now: Instant) {
        if succeeded {
            *self.last_beat.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
        }
        self.watch
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .own_beat(succeeded, now);
    }
}

/// Beats, watches and releases until `shutdown`. The first beat is made before any part
/// takes work (`crate::run`).
pub async fn run(state: State, mut shutdown: watch::Receiver<bool>) -> Result<(), String> {
    let timing = &state.timing;
    loop {
        beat_once(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(timing.heartbeat) => {}
            _ = shutdown.changed() => return Ok(()),
        }
    }
}

/// Beats, then releases the claims of whoever is dead. Returns whether the beat succeeded.
pub async fn beat_once(state: &State) -> bool {
    let ctx = &state.ctx;
    let beat = domain::services::liveness::beat(ctx, &state.name).await;
    let now = Instant::now();
    state.liveness.beat_result(beat.is_ok(), now);
    if let Err(e) = beat {
        tracing::warn!(worker = %state.name, error = ?e, "heartbeat not recorded");
        return false;
    }
    let counters = match domain::services::liveness::beats(ctx).await {
        Ok(counters) => counters,
        Err(e) => {
            tracing::warn!(error = ?e, "cannot read the workers' heartbeats");
            return true;
        }
    };
    let dead = state
        .liveness
        .watch
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .dead(&state.name, &counters, now, state.timing.stale_after);
    if dead.is_empty() {
        return true;
    }
    match domain::services::liveness::release_claims(ctx, &dead, true).await {
        Ok(released) => {
            // The dead may also have fetched jobs they had not started on; which rows
            // those carried is unknown, so everything not held is pushed again.
            if let Err(e) = domain::services::relay::redrive(ctx).await {
                tracing::warn!(error = ?e, "cannot re-drive the outbox");
            }
            state
                .liveness
                .watch
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .forget(&dead);
            tracing::warn!(
                workers = ?dead,
                emails = released.emails,
                tasks = released.tasks,
                stale_after_ms = state.timing.stale_after.as_millis() as u64,
                "workers stopped beating; their claims are released"
            );
        }
        Err(e) => tracing::warn!(workers = ?dead, error = ?e, "cannot release claims"),
    }
    true
}

/// Before a restarted process under a fixed `WORKER_NAME` takes work, the claims its name
/// still holds are those of its previous life, which died with it: they are given back
/// now. Retries until the database answers or `shutdown`.
pub async fn start(state: &State, shutdown: &watch::Receiver<bool>) {
    let mut wait = Duration::from_millis(100);
    loop {
        match domain::services::liveness::release_claims(
            &state.ctx,
            std::slice::from_ref(&state.name),
            false,
        )
        .await
        {
            Ok(released) => {
                if released.emails + released.tasks > 0 {
                    tracing::warn!(
                        emails = released.emails,
                        tasks = released.tasks,
                        "claims left by this worker's previous run released"
                    );
                }
                if beat_once(state).await {
                    return;
                }
            }
            Err(e) => tracing::warn!(error = ?e, "cannot reach the database to start"),
        }
        if *shutdown.borrow() {
            return;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALE: Duration = Duration::from_secs(10);

    fn counters(list: &[(&str, i64)]) -> Vec<(String, i64)> {
        list.iter().map(|(n, b)| ((*n).to_owned(), *b)).collect()
    }

    #[test]
    fn a_worker_whose_counter_stands_still_for_the_staleness_is_dead() {
        let t0 = Instant::now();
        let mut watch = Watch::default();
        watch.own_beat(true, t0);
        assert!(
            watch
                .dead("me", &counters(&[("me", 1), ("a", 1), ("b", 1)]), t0, STALE)
                .is_empty()
        );
        let t1 = t0 + Duration::from_secs(5);
        watch.own_beat(true, t1);
        assert!(
            watch
                .dead("me", &counters(&[("me", 2), ("a", 2), ("b", 1)]), t1, STALE)
                .is_empty()
        );
        let t2 = t0 + STALE;
        watch.own_beat(true, t2);
        assert_eq!(
            watch.dead("me", &counters(&[("me", 3), ("a", 3), ("b", 1)]), t2, STALE),
            vec!["b".to_owned()],
            "b stood still for 10 s; a moved 5 s ago"
        );
    }

    #[test]
    fn nobody_is_judged_before_this_process_has_beaten_for_the_whole_staleness() {
        let t0 = Instant::now();
        let mut watch = Watch::default();
        // Seen standing still for a long time, but this process was cut off meanwhile.
        assert!(
            watch
                .dead("me", &counters(&[("a", 1)]), t0, STALE)
                .is_empty()
        );
        watch.own_beat(false, t0 + STALE);
        let back = t0 + STALE * 2;
        watch.own_beat(true, back);
        assert!(
            watch
                .dead("me", &counters(&[("a", 1)]), back, STALE)
                .is_empty(),
            "just back: a had no chance to beat"
        );
        let later = back + STALE;
        watch.own_beat(true, later);
        assert_eq!(
            watch.dead("me", &counters(&[("a", 1)]), later, STALE),
            vec!["a".to_owned()]
        );
    }

    #[test]
    fn a_failed_own_beat_restarts_the_wait_and_never_judges_oneself() {
        let t0 = Instant::now();
        let mut watch = Watch::default();
        watch.own_beat(true, t0);
        watch.dead("me", &counters(&[("me", 1), ("a", 1)]), t0, STALE);
        watch.own_beat(false, t0 + Duration::from_secs(9));
        let t = t0 + STALE;
        watch.own_beat(true, t);
        assert!(
            watch
                .dead("me", &counters(&[("me", 1), ("a", 1)]), t, STALE)
                .is_empty()
        );
        let t = t + STALE;
        watch.own_beat(true, t);
        assert_eq!(
            watch.dead("me", &counters(&[("me", 1), ("a", 1)]), t, STALE),
            vec!["a".to_owned()],
            "never itself, whatever its own counter reads"
        );
    }

    #[test]
    fn a_released_worker_is_forgotten_and_judged_afresh_if_it_comes_back() {
        let t0 = Instant::now();
        let mut watch = Watch::default();
        watch.own_beat(true, t0);
        watch.dead("me", &counters(&[("a", 1)]), t0, STALE);
        let t = t0 + STALE;
        assert_eq!(
            watch.dead("me", &counters(&[("a", 1)]), t, STALE),
            vec!["a".to_owned()]
        );
        watch.forget(&["a".to_owned()]);
        assert!(
            watch
                .dead("me", &counters(&[("a", 1)]), t, STALE)
                .is_empty()
        );
        // A row that disappeared (released by another worker) is dropped from memory.
        watch.dead("me", &counters(&[]), t, STALE);
        assert!(watch.seen.is_empty());
    }
}
