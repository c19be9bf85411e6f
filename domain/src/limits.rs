//! How many of a thing there can be, and how long a text can grow.
//!
//! The API prices a request before running it by what it could return at most (see
//! `api::graphql::cost`), so each bound here is one the domain keeps: either it refuses to
//! store more (a user error with a code), or it reads at most that many (the list says so).
//! A bound raised here raises the price of every query that can reach it.

/// The competency sets: the catalogue is seeded by migration and checked against these
/// bounds when it is loaded.
pub const COMPETENCY_SETS: usize = 10;
/// Competencies in one set (the largest seeded set has 22).
pub const COMPETENCIES_PER_SET: usize = 25;
/// A set's description or a competency's text (the longest seeded is 551 characters).
pub const CATALOGUE_TEXT_CHARS: usize = 1_000;

/// Work-history entries on an application: five years of work in as many jobs as anyone
/// plausibly holds, with room to spare.
pub const WORK_HISTORY_ENTRIES: usize = 30;
/// Education entries on an application.
pub const EDUCATION_ENTRIES: usize = 10;

/// Narratives in one portfolio: one per competency of the largest set.
pub const NARRATIVES_PER_PORTFOLIO: usize = COMPETENCIES_PER_SET;
/// A narrative's title.
pub const NARRATIVE_TITLE_CHARS: usize = 300;
/// A narrative's body: several pages of prose. Every copy of it (the portfolio and each
/// round's frozen content) is priced at this length, so it is kept to what one
/// competency's reflection needs.
pub const NARRATIVE_BODY_CHARS: usize = 20_000;
/// Evidence documents attached to one portfolio.
pub const DOCUMENTS_PER_PORTFOLIO: usize = 25;
/// Review rounds of one portfolio: submissions after revision requests and appeals.
pub const ROUNDS_PER_PORTFOLIO: usize = 6;

/// Reviews listed for one round (the evaluators, the tie-breaker and their replacements).
pub const REVIEWS_PER_ROUND: usize = 20;
/// Submitted assessments of one round: the evaluators and the tie-breaker, with room
/// for one more evaluator than the programme's two.
pub const ASSESSMENTS_PER_ROUND: usize = 4;
/// An evaluator's comment on one competency.
pub const COMPETENCY_COMMENT_CHARS: usize = 1_000;
/// The longest free texts: an evaluator's feedback, appeals and their decisions, a
/// course's description and assessment method, the CRC's reasons on a course.
pub const LONG_TEXT_CHARS: usize = 20_000;
/// Qualifications an evaluator describes; the reasons for a renewal decision.
pub const MEDIUM_TEXT_CHARS: usize = 10_000;
/// Reasons for other decisions (applications, evidence, evaluators, extensions), an
/// instructor's qualifications, what teaches a competency.
pub const REASON_CHARS: usize = 5_000;
/// Courses an evaluator may recommend in one assessment.
pub const RECOMMENDED_COURSES: usize = 10;

/// Course completions one candidacy may submit (rejected ones included).
pub const COURSE_COMPLETIONS_PER_CANDIDACY: usize = 30;
/// Deadline extensions granted to one candidacy.
pub const DEADLINE_EXTENSIONS_PER_CANDIDACY: usize = 10;
/// Share grants of one candidacy's record (revoked and expired ones included).
pub const SHARE_GRANTS_PER_CANDIDACY: usize = 50;
/// Views of a shared record listed in its access log, newest first.
pub const ACCESS_LOG_ROWS: usize = 200;

/// Accounts acting for one provider.
pub const PROVIDER_MEMBERS: usize = 50;
/// Instructors named on one course submission.
pub const INSTRUCTORS_PER_SUBMISSION: usize = 20;
/// Submissions of one course listed, newest first (drafts, revisions and re-approvals).
pub const SUBMISSIONS_PER_COURSE: usize = 50;
/// Approval periods of one course listed, oldest first.
pub const APPROVALS_PER_COURSE: usize = 50;
/// CRC decisions listed for one submission, oldest first. A decision closes its
/// submission (changes are asked for on a new revision), so one is the norm.
pub const DECISIONS_PER_SUBMISSION: usize = 5;

/// Conflicts of interest one evaluator may declare.
pub const CONFLICTS_PER_EVALUATOR: usize = 100;

/// Activities claimed in one renewal.
pub const RENEWAL_ACTIVITIES: usize = 50;
/// Renewals of one certificate listed, newest first.
pub const RENEWALS_PER_CERTIFICATE: usize = 20;

/// Rows a work queue (reviews, rounds waiting, appeals, renewals) lists at once, oldest
/// first: the ones to act on now. What lies beyond appears as the head is dealt with.
pub const QUEUE_ROWS: usize = 200;
/// Months of the statistics page's series, the newest.
pub const STATISTICS_MONTHS: usize = 120;
/// Rows of a report answered over GraphQL; the CSV download has them all.
pub const REPORT_ROWS: usize = 500;
/// Columns of a report.
pub const REPORT_COLUMNS: usize = 10;
/// Years a business plan covers.
pub const BUSINESS_PLAN_YEARS: usize = 10;
