//! Where a candidate stands in each competency set, from the records of their candidacy.

use chrono::NaiveDate;
use entity::achievement::AchievementMethod;
use entity::course_completion::CompletionStatus;
use entity::portfolio::PortfolioStatus;
use serde::Serialize;

/// A set's status for one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetStatus {
    /// Nothing done yet.
    NotStarted,
    /// Work under way: a portfolio being written or revised, or evidence rejected.
    InProgress,
    /// Waiting on someone else: evidence to verify, a portfolio round being reviewed.
    UnderReview,
    Achieved,
}

/// What is known about one set for one candidate.
#[derive(Debug, Clone, Default)]
pub struct SetRecords {
    /// The achievement, if any: how and when.
    pub achieved: Option<(AchievementMethod, NaiveDate)>,
    /// Course-completion evidence, every status.
    pub completions: Vec<CompletionStatus>,
    /// The portfolio's status, if one was started.
    pub portfolio: Option<PortfolioStatus>,
}

/// The status of one set.
pub fn status(records: &SetRecords) -> SetStatus {
    if records.achieved.is_some() {
        return SetStatus::Achieved;
    }
    let evidence_waiting = records.completions.contains(&CompletionStatus::Submitted);
    let portfolio_waiting = records.portfolio == Some(PortfolioStatus::UnderReview);
    if evidence_waiting || portfolio_waiting {
        return SetStatus::UnderReview;
    }
    let started = !records.completions.is_empty()
        || matches!(
            records.portfolio,
            Some(PortfolioStatus::Draft | PortfolioStatus::RevisionRequested)
        );
    if started {
        SetStatus::InProgress
    } else {
        SetStatus::NotStarted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
    }

    #[test]
    fn an_achievement_settles_the_set_whatever_else_there_is() {
        let r = SetRecords {
            achieved: Some((AchievementMethod::Course, d())),
            completions: vec![CompletionStatus::Rejected, CompletionStatus::Verified],
            portfolio: Some(PortfolioStatus::Draft),
        };
        assert_eq!(status(&r), SetStatus::Achieved);
    }

    #[test]
    fn waiting_evidence_or_a_portfolio_in_review_is_under_review() {
        let evidence = SetRecords {
            completions: vec![CompletionStatus::Submitted],
            ..Default::default()
        };
        assert_eq!(status(&evidence), SetStatus::UnderReview);
        let portfolio = SetRecords {
            portfolio: Some(PortfolioStatus::UnderReview),
            ..Default::default()
        };
        assert_eq!(status(&portfolio), SetStatus::UnderReview);
    }

    #[test]
    fn a_draft_revision_or_rejected_evidence_is_in_progress() {
        for r in [
            SetRecords {
                portfolio: Some(PortfolioStatus::Draft),
                ..Default::default()
            },
            SetRecords {
                portfolio: Some(PortfolioStatus::RevisionRequested),
                ..Default::default()
            },
            SetRecords {
                completions: vec![CompletionStatus::Rejected],
                ..Default::default()
            },
        ] {
            assert_eq!(status(&r), SetStatus::InProgress);
        }
    }

    #[test]
    fn nothing_is_not_started() {
        assert_eq!(status(&SetRecords::default()), SetStatus::NotStarted);
    }
}
