//! Calendar arithmetic for the programme's periods: approvals, candidacies, certificates.
//!
//! A period is `[starts_on, expires_on)`: the first day it no longer holds is
//! `expires_on`. Adding years to 29 February lands on 28 February in a common year (the
//! person keeps their full term, not a day more).

use chrono::{Datelike, Months, NaiveDate};

/// `date` plus `years` calendar years.
pub fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    add_months(date, years.saturating_mul(12))
}

/// `date` plus `months` calendar months, clamped to the month's last day.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` minus `months` calendar months, clamped to the month's last day.
pub fn sub_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether `day` falls in `[starts_on, expires_on)`.
pub fn covers(starts_on: NaiveDate, expires_on: NaiveDate, day: NaiveDate) -> bool {
    starts_on <= day && day < expires_on
}

/// Which reminder is due, given reminders `thresholds` (days before the end, e.g.
/// `[90, 30, 7]`) and `days_left`: the tightest threshold not yet passed, so that a sweep
/// that missed a threshold sends the one that matters now instead of every missed one.
/// `None` when no reminder is due yet, or the period has ended.
pub fn due_threshold(thresholds: &[u32], days_left: i64) -> Option<u32> {
    if days_left < 0 {
        return None;
    }
    thresholds
        .iter()
        .copied()
        .filter(|&t| days_left <= i64::from(t))
        .min()
}

/// Whole days from `today` to `until` (negative once past).
pub fn days_between(today: NaiveDate, until: NaiveDate) -> i64 {
    (until - today).num_days()
}

/// Year of `date` (for reports).
pub fn year_of(date: NaiveDate) -> i32 {
    date.year()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn three_years_from_a_leap_day_ends_on_the_last_day_of_february() {
        assert_eq!(add_years(d("2028-02-29"), 3), d("2031-02-28"));
        assert_eq!(add_years(d("2026-03-01"), 3), d("2029-03-01"));
    }

    #[test]
    fn a_period_covers_its_first_day_but_not_its_expiry_day() {
        let (s, e) = (d("2026-01-01"), d("2029-01-01"));
        assert!(covers(s, e, d("2026-01-01")));
        assert!(covers(s, e, d("2028-12-31")));
        assert!(!covers(s, e, d("2029-01-01")));
        assert!(!covers(s, e, d("2025-12-31")));
    }

    #[test]
    fn the_tightest_passed_threshold_is_due() {
        let t = [90, 30, 7];
        assert_eq!(due_threshold(&t, 120), None);
        assert_eq!(due_threshold(&t, 90), Some(90));
        assert_eq!(due_threshold(&t, 45), Some(90));
        assert_eq!(due_threshold(&t, 30), Some(30));
        assert_eq!(due_threshold(&t, 20), Some(30));
        assert_eq!(due_threshold(&t, 7), Some(7));
        assert_eq!(due_threshold(&t, 0), Some(7));
        assert_eq!(due_threshold(&t, -1), None);
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        assert_eq!(sub_months(d("2030-03-31"), 1), d("2030-02-28"));
        assert_eq!(add_months(d("2030-01-31"), 1), d("2030-02-28"));
    }
}
