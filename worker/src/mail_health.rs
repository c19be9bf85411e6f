//! Whether the mail server is taking messages, as this process has seen it.
//!
//! A few transient failures in a row (refused sessions, `4xx` replies, timeouts) mean the
//! server, not one message, is in trouble. Each of those failures puts its email back
//! with the programme's backoff (30 s and doubling), so a 20-second refusal used to hold
//! a batch for minutes and spend an attempt of every email it touched. Instead the server
//! is taken as down: no send starts but one trial a second (`crate::gate`); the first
//! success brings it back, and the emails that failed since the trouble began are due
//! again at once.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Transient failures in a row that take the server for down.
pub const FAILURES_TO_TRIP: u32 = 3;
/// While the server is down, one send this often tries it.
pub const TRIAL_EVERY: Duration = Duration::from_secs(1);
/// Failures this long before the server was taken as down are counted as the outage's:
/// with several sends at once, its first failures and the last successes interleave.
const ONSET: Duration = Duration::from_secs(10);
/// Failures remembered; beyond it, the oldest are left to wait their backoff.
const REMEMBERED: usize = 10_000;

#[derive(Debug, Default)]
struct Inner {
    failures_in_a_row: u32,
    /// Since when the server is taken as down, and when a trial last started.
    down: Option<(Instant, Option<Instant>)>,
    /// Transient failures (when, which email) not older than [`ONSET`] or since the
    /// server went down.
    recent: VecDeque<(Instant, i64)>,
    /// When the last outage ended.
    recovered_at: Option<Instant>,
}

/// What a failure tells the caller.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// One more failure; the email waits its backoff unless an outage is found.
    Counted,
    /// This failure took the server for down.
    Tripped,
    /// The send began before the server came back from an outage: the outage, not the
    /// email, failed it, and it should be due again now.
    DuringOutage,
}

/// What a success tells the caller.
#[derive(Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing was wrong.
    None,
    /// The server was down for the given time; these emails failed meanwhile (or just
    /// before) and should be due again now.
    After(Duration, Vec<i64>),
}

#[derive(Debug, Default)]
pub struct MailHealth {
    inner: Mutex<Inner>,
}

impl MailHealth {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a send may start at `now`: always while the server is up; while it is
    /// down, one trial per [`TRIAL_EVERY`], and this call takes it.
    pub fn may_send(&self, now: Instant) -> bool {
        let mut inner = self.lock();
        match &mut inner.down {
            None => true,
            Some((_, last_trial)) => {
                if last_trial.is_none_or(|t| now.saturating_duration_since(t) >= TRIAL_EVERY) {
                    *last_trial = Some(now);
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Notes a transient failure at `now` of email `id`, whose send began at `started`.
    pub fn failed(&self, id: i64, started: Instant, now: Instant) -> Verdict {
        let mut inner = self.lock();
        if inner.down.is_none() && inner.recovered_at.is_some_and(|at| started < at) {
            return Verdict::DuringOutage;
        }
        if inner.recent.len() >= REMEMBERED {
            inner.recent.pop_front();
        }
        inner.recent.push_back((now, id));
        inner.failures_in_a_row = inner.failures_in_a_row.saturating_add(1);
        if inner.down.is_none() && inner.failures_in_a_row >= FAILURES_TO_TRIP {
            inner.down = Some((now, Some(now)));
            return Verdict::Tripped;
        }
        Verdict::Counted
    }

    /// Notes the success at `now` of a send that began at `started`. A send that began
    /// before the server was taken as down says nothing about it now.
    pub fn succeeded(&self, started: Instant, now: Instant) -> Recovery {
        let mut inner = self.lock();
        if inner.down.is_some_and(|(since, _)| started < since) {
            return Recovery::None;
        }
        inner.failures_in_a_row = 0;
        match inner.down.take() {
            Some((since, _)) => {
                let from = since.checked_sub(ONSET).unwrap_or(since);
                let failed = inner
                    .recent
                    .drain(..)
                    .filter(|(at, _)| *at >= from)
                    .map(|(_, id)| id)
                    .collect();
                inner.recovered_at = Some(now);
                Recovery::After(now.saturating_duration_since(since), failed)
            }
            None => {
                while inner
                    .recent
                    .front()
                    .is_some_and(|(at, _)| now.saturating_duration_since(*at) > ONSET)
                {
                    inner.recent.pop_front();
                }
                Recovery::None
            }
        }
    }

    /// Whether the server is taken as down.
    pub fn down(&self) -> bool {
        self.lock().down.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_few_failures_in_a_row_take_the_server_down_and_a_success_brings_it_back() {
        let t = Instant::now() + ONSET;
        let health = MailHealth::default();
        assert_eq!(health.failed(1, t, t), Verdict::Counted);
        assert_eq!(health.failed(2, t, t), Verdict::Counted);
        assert!(health.may_send(t), "two failures may be two bad messages");
        assert_eq!(health.failed(3, t, t), Verdict::Tripped);
        assert!(health.down());
        assert!(
            !health.may_send(t),
            "the trip itself counts as the first trial"
        );
        assert_eq!(health.failed(4, t, t), Verdict::Counted, "already down");
        let later = t + TRIAL_EVERY;
        assert!(health.may_send(later), "one trial a second");
        assert!(!health.may_send(later));
        assert_eq!(
            health.succeeded(t - MS, later),
            Recovery::None,
            "a send from before the trouble brings nothing back"
        );
        assert!(health.down());
        assert_eq!(
            health.succeeded(later, later + 10 * MS),
            Recovery::After(TRIAL_EVERY + 10 * MS, vec![1, 2, 3, 4])
        );
        assert!(!health.down());
        assert!(health.may_send(later));
        assert_eq!(health.succeeded(later, later), Recovery::None);
    }

    #[test]
    fn failures_interleaved_with_successes_at_the_onset_belong_to_the_outage() {
        let t = Instant::now() + ONSET;
        let health = MailHealth::default();
        health.failed(1, t, t);
        health.failed(2, t, t);
        // A send that began earlier ends well as the trouble starts.
        assert_eq!(health.succeeded(t - MS, t), Recovery::None);
        health.failed(3, t, t);
        health.failed(4, t, t);
        assert!(!health.down());
        assert_eq!(health.failed(5, t, t), Verdict::Tripped);
        let back = t + TRIAL_EVERY;
        assert_eq!(
            health.succeeded(back, back),
            Recovery::After(TRIAL_EVERY, vec![1, 2, 3, 4, 5])
        );
        // A send that began during the outage and fails after it is the outage's too.
        assert_eq!(
            health.failed(6, back - MS, back + MS),
            Verdict::DuringOutage
        );
        assert_eq!(health.failed(7, back + MS, back + MS), Verdict::Counted);
    }

    #[test]
    fn failures_long_before_an_outage_keep_their_backoff() {
        let t = Instant::now();
        let health = MailHealth::default();
        health.failed(1, t, t);
        let later = t + ONSET * 3;
        assert_eq!(health.succeeded(later, later), Recovery::None);
        health.failed(2, later, later);
        health.failed(3, later, later);
        assert_eq!(health.failed(4, later, later), Verdict::Tripped);
        assert_eq!(
            health.succeeded(later, later),
            Recovery::After(Duration::ZERO, vec![2, 3, 4])
        );
    }
}
