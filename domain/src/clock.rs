//! The one source of "now".
//!
//! Every rule that depends on the date (deadlines, expiries, reminders, token lifetimes)
//! asks a [`Clock`], never the system directly, so that tests can jump years ahead and the
//! whole system, API and workers alike, sees the same jump.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Tells the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Today's calendar date in UTC: the programme's dates are all UTC days.
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time shifted by an adjustable offset. Time keeps flowing (timeouts, token
/// lifetimes and retries behave normally) while tests move the calendar at will.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset_ms: AtomicI64,
}

impl ShiftedClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// Makes `now()` return `at` at this moment; time flows on from there.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = at - Utc::now();
        self.offset_ms
            .store(offset.num_milliseconds(), Ordering::SeqCst);
    }

    /// The current shift from real time.
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_four_years_moves_today_by_four_years() {
        let clock = ShiftedClock::new();
        let before = clock.today();
        clock.advance(Duration::days(4 * 365 + 1));
        assert_eq!((clock.today() - before).num_days(), 4 * 365 + 1);
    }

    #[test]
    fn set_clock_reports_the_chosen_instant() {
        let clock = ShiftedClock::new();
        let at = DateTime::parse_from_rfc3339("2030-02-01T12:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap();
        clock.set(at);
        let drift = (clock.now() - at).num_milliseconds().abs();
        assert!(drift < 1000, "drift {drift} ms");
    }
}
