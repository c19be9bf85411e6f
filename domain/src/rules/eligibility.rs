//! Who may become a candidate: at least 1,820 hours of library work within the five years
//! before the decision, and a high-school diploma, a GED or higher.
//!
//! A work entry straddling the window counts pro rata to its days inside the window; an
//! ongoing entry runs to the day of the decision. Education from outside the US is never
//! decided here: it goes to staff.

use chrono::{Months, NaiveDate};
use entity::education_entry::EducationLevel;
use serde::{Deserialize, Serialize};

/// One period of library work, as the applicant states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    pub started_on: NaiveDate,
    /// `None` while the work goes on.
    pub ended_on: Option<NaiveDate>,
    /// Hours worked over the whole entry.
    pub hours: i64,
}

/// One qualification, as the applicant states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Education {
    pub level: EducationLevel,
    /// ISO 3166 alpha-2, e.g. `US`.
    pub country: String,
}

/// What the rule is asked to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub decided_on: NaiveDate,
    pub min_hours: i64,
    pub window_years: u32,
    pub work: Vec<Work>,
    pub education: Vec<Education>,
    /// Staff's decision on education from outside the US, once made.
    pub foreign_education_accepted: Option<bool>,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Eligible,
    Ineligible,
    /// Enough hours, but the education is from outside the US: staff decide.
    NeedsEducationReview,
}

/// How much of one work entry counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryCount {
    /// The entry's position in the application, from 0.
    pub index: usize,
    pub days_in_window: i64,
    pub total_days: i64,
    pub hours: i64,
    /// `hours × days_in_window / total_days`.
    pub counted_hours: f64,
}

/// A requirement not met, and by how much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "requirement", rename_all = "snake_case")]
pub enum Shortfall {
    /// Too few hours in the window.
    WorkHours {
        required: i64,
        counted: f64,
        short_by: f64,
    },
    /// No high-school diploma, GED or higher.
    Education,
    /// Staff did not accept the education from outside the US.
    ForeignEducationRefused,
}

/// The decision with its workings, stored on the application and shown to the applicant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub outcome: Outcome,
    pub decided_on: NaiveDate,
    pub window_starts_on: NaiveDate,
    pub window_ends_on: NaiveDate,
    pub required_hours: i64,
    pub counted_hours: f64,
    pub entries: Vec<EntryCount>,
    /// The highest qualification found, if any.
    pub education_found: Option<EducationLevel>,
    pub education_outside_us: bool,
    pub shortfalls: Vec<Shortfall>,
}

fn qualifies(level: EducationLevel) -> bool {
    !matches!(level, EducationLevel::Other)
}

fn rank(level: EducationLevel) -> u8 {
    match level {
        EducationLevel::Other => 0,
        EducationLevel::Ged => 1,
        EducationLevel::HighSchoolDiploma => 2,
        EducationLevel::Associate => 3,
        EducationLevel::Bachelor => 4,
        EducationLevel::Master => 5,
        EducationLevel::Doctorate => 6,
    }
}

/// The first day of the window: the same calendar day `window_years` earlier.
pub fn window_start(decided_on: NaiveDate, window_years: u32) -> NaiveDate {
    decided_on
        .checked_sub_months(Months::new(window_years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MIN)
}

/// Hours of `work` inside `[window_start, decided_on]` (both days included).
fn count(index: usize, work: &Work, window_start: NaiveDate, decided_on: NaiveDate) -> EntryCount {
    let end = work
        .ended_on
        .unwrap_or(decided_on)
        .min(decided_on.max(work.started_on));
    let total_days = (end - work.started_on).num_days() + 1;
    let from = work.started_on.max(window_start);
    let to = end.min(decided_on);
    let days_in_window = ((to - from).num_days() + 1).max(0);
    let counted_hours = if total_days <= 0 || work.hours <= 0 {
        0.0
    } else {
        work.hours as f64 * days_in_window as f64 / total_days as f64
    };
    EntryCount {
        index,
        days_in_window,
        total_days: total_days.max(0),
        hours: work.hours,
        counted_hours,
    }
}

/// Decides eligibility and explains it.
pub fn decide(req: &Request) -> Explanation {
    let window_starts_on = window_start(req.decided_on, req.window_years);
    let entries: Vec<EntryCount> = req
        .work
        .iter()
        .enumerate()
        .map(|(i, w)| count(i, w, window_starts_on, req.decided_on))
        .collect();
    let counted: f64 = entries.iter().map(|e| e.counted_hours).sum();
    // Pro-rata shares are fractions; a hair of tolerance keeps an exact 1,820 exact.
    let hours_met = counted + 1e-9 >= req.min_hours as f64;

    let best = |us_only: bool| {
        req.education
            .iter()
            .filter(|e| !us_only || e.country.eq_ignore_ascii_case("US"))
            .map(|e| e.level)
            .max_by_key(|l| rank(*l))
    };
    let us_qualifies = best(true).is_some_and(qualifies);
    let outside_us = req
        .education
        .iter()
        .any(|e| !e.country.eq_ignore_ascii_case("US"));
    let education_found = best(false);

    let mut shortfalls = Vec::new();
    if !hours_met {
        shortfalls.push(Shortfall::WorkHours {
            required: req.min_hours,
            counted: round2(counted),
            short_by: round2(req.min_hours as f64 - counted),
        });
    }
    let outcome = if us_qualifies {
        if hours_met {
            Outcome::Eligible
        } else {
            Outcome::Ineligible
        }
    } else if outside_us {
        match req.foreign_education_accepted {
            Some(true) if hours_met => Outcome::Eligible,
            Some(true) => Outcome::Ineligible,
            Some(false) => {
                shortfalls.push(Shortfall::ForeignEducationRefused);
                Outcome::Ineligible
            }
            None if hours_met => Outcome::NeedsEducationReview,
            None => Outcome::Ineligible,
        }
    } else {
        shortfalls.push(Shortfall::Education);
        Outcome::Ineligible
    };
    Explanation {
        outcome,
        decided_on: req.decided_on,
        window_starts_on,
        window_ends_on: req.decided_on,
        required_hours: req.min_hours,
        counted_hours: round2(counted),
        entries,
        education_found,
        education_outside_us: outside_us,
        shortfalls,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn us(level: EducationLevel) -> Education {
        Education {
            level,
            country: "US".into(),
        }
    }

    fn req(work: Vec<Work>, education: Vec<Education>) -> Request {
        Request {
            decided_on: d("2026-06-30"),
            min_hours: 1820,
            window_years: 5,
            work,
            education,
            foreign_education_accepted: None,
        }
    }

    fn job(from: &str, to: Option<&str>, hours: i64) -> Work {
        Work {
            started_on: d(from),
            ended_on: to.map(d),
            hours,
        }
    }

    #[test]
    fn exactly_1820_hours_inside_the_window_is_enough() {
        let e = decide(&req(
            vec![job("2024-01-01", Some("2024-12-31"), 1820)],
            vec![us(EducationLevel::HighSchoolDiploma)],
        ));
        assert_eq!(e.outcome, Outcome::Eligible);
        assert_eq!(e.counted_hours, 1820.0);
        assert!(e.shortfalls.is_empty());
    }

    #[test]
    fn one_hour_short_is_explained_with_the_shortfall() {
        let e = decide(&req(
            vec![job("2024-01-01", Some("2024-12-31"), 1819)],
            vec![us(EducationLevel::Ged)],
        ));
        assert_eq!(e.outcome, Outcome::Ineligible);
        assert_eq!(
            e.shortfalls,
            vec![Shortfall::WorkHours {
                required: 1820,
                counted: 1819.0,
                short_by: 1.0
            }]
        );
    }

    #[test]
    fn the_window_runs_five_years_back_from_the_decision() {
        let e = decide(&req(vec![], vec![us(EducationLevel::Ged)]));
        assert_eq!(e.window_starts_on, d("2021-06-30"));
        assert_eq!(e.window_ends_on, d("2026-06-30"));
    }

    #[test]
    fn an_entry_straddling_the_window_counts_pro_rata_to_its_days_inside() {
        // 2020-06-30 .. 2022-06-29 is 730 days; 2021-06-30 .. 2022-06-29 (365 days) is inside.
        let e = decide(&req(
            vec![job("2020-06-30", Some("2022-06-29"), 3640)],
            vec![us(EducationLevel::Ged)],
        ));
        assert_eq!(e.entries[0].total_days, 730);
        assert_eq!(e.entries[0].days_in_window, 365);
        assert_eq!(e.counted_hours, 1820.0);
        assert_eq!(e.outcome, Outcome::Eligible);
    }

    #[test]
    fn an_entry_ending_before_the_window_counts_nothing() {
        let e = decide(&req(
            vec![job("2015-01-01", Some("2021-06-29"), 10_000)],
            vec![us(EducationLevel::Ged)],
        ));
        assert_eq!(e.entries[0].days_in_window, 0);
        assert_eq!(e.outcome, Outcome::Ineligible);
    }

    #[test]
    fn an_ongoing_entry_runs_to_the_decision_day() {
        let e = decide(&req(
            vec![job("2025-07-01", None, 2000)],
            vec![us(EducationLevel::Bachelor)],
        ));
        assert_eq!(e.entries[0].days_in_window, e.entries[0].total_days);
        assert_eq!(e.outcome, Outcome::Eligible);
    }

    #[test]
    fn a_ged_is_enough_education_and_none_is_not() {
        let w = vec![job("2024-01-01", Some("2024-12-31"), 2000)];
        assert_eq!(
            decide(&req(w.clone(), vec![us(EducationLevel::Ged)])).outcome,
            Outcome::Eligible
        );
        let none = decide(&req(w.clone(), vec![]));
        assert_eq!(none.outcome, Outcome::Ineligible);
        assert_eq!(none.shortfalls, vec![Shortfall::Education]);
        assert_eq!(
            decide(&req(w, vec![us(EducationLevel::Other)])).shortfalls,
            vec![Shortfall::Education]
        );
    }

    #[test]
    fn education_from_outside_the_us_goes_to_staff_and_their_decision_counts() {
        let w = vec![job("2024-01-01", Some("2024-12-31"), 2000)];
        let abroad = vec![Education {
            level: EducationLevel::Bachelor,
            country: "FR".into(),
        }];
        let mut r = req(w, abroad);
        assert_eq!(decide(&r).outcome, Outcome::NeedsEducationReview);
        r.foreign_education_accepted = Some(true);
        assert_eq!(decide(&r).outcome, Outcome::Eligible);
        r.foreign_education_accepted = Some(false);
        let e = decide(&r);
        assert_eq!(e.outcome, Outcome::Ineligible);
        assert_eq!(e.shortfalls, vec![Shortfall::ForeignEducationRefused]);
    }

    #[test]
    fn a_us_qualification_settles_education_even_with_one_from_abroad() {
        let w = vec![job("2024-01-01", Some("2024-12-31"), 2000)];
        let both = vec![
            us(EducationLevel::HighSchoolDiploma),
            Education {
                level: EducationLevel::Master,
                country: "CA".into(),
            },
        ];
        assert_eq!(decide(&req(w, both)).outcome, Outcome::Eligible);
    }

    #[test]
    fn too_few_hours_with_foreign_education_is_ineligible_without_review() {
        let abroad = vec![Education {
            level: EducationLevel::Bachelor,
            country: "FR".into(),
        }];
        assert_eq!(decide(&req(vec![], abroad)).outcome, Outcome::Ineligible);
    }

    proptest! {
        /// Adding hours to an entry never makes an eligible applicant ineligible.
        #[test]
        fn more_hours_never_hurt(hours in 0i64..5000, extra in 0i64..5000, start in 0i64..4000, len in 0i64..2000) {
            let from = d("2016-01-01") + chrono::Duration::days(start);
            let to = from + chrono::Duration::days(len);
            let base = req(vec![Work { started_on: from, ended_on: Some(to), hours }], vec![us(EducationLevel::Ged)]);
            let more = req(vec![Work { started_on: from, ended_on: Some(to), hours: hours + extra }], vec![us(EducationLevel::Ged)]);
            let (a, b) = (decide(&base), decide(&more));
            prop_assert!(b.counted_hours + 1e-9 >= a.counted_hours);
            if a.outcome == Outcome::Eligible {
                prop_assert_eq!(b.outcome, Outcome::Eligible);
            }
        }

        /// Counted hours never exceed the hours stated.
        #[test]
        fn counted_hours_are_bounded_by_stated_hours(hours in 0i64..100_000, start in 0i64..4000, len in 0i64..4000) {
            let from = d("2016-01-01") + chrono::Duration::days(start);
            let e = decide(&req(vec![Work { started_on: from, ended_on: Some(from + chrono::Duration::days(len)), hours }], vec![]));
            prop_assert!(e.counted_hours <= hours as f64 + 1e-6);
        }
    }
}
