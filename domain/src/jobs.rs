//! Job payloads carried by the queue, and the queues' names.
//!
//! A payload is only an id: the database row is the truth, and the job handler re-reads it
//! (and does nothing if the work is already done). Queue names are explicit and stable;
//! apalis would otherwise name a queue after the Rust type path, and a rename would strand
//! the jobs already queued.

use serde::{Deserialize, Serialize};

/// Emails to send: one job per `notification` row.
pub const MAIL_QUEUE: &str = "mail";
/// Background tasks: one job per `background_task` row.
pub const TASK_QUEUE: &str = "tasks";
/// Scheduled sweeps (reminders, expiries, housekeeping), pushed by the cron schedules.
pub const SWEEP_QUEUE: &str = "sweeps";

/// Send the email in `notification` row `notification_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEmail {
    pub notification_id: i64,
}

/// Run the task in `background_task` row `task_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTask {
    pub task_id: i64,
}

/// Run one scheduled sweep now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSweep {
    pub sweep: Sweep,
}

/// The scheduled sweeps. Each is idempotent: running one twice changes nothing the second
/// time, because every effect carries an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sweep {
    /// Deletes expired sessions and one-time tokens, and failed sign-ins older than a day.
    Housekeeping,
    /// Reminds providers before a course approval ends; expires courses not re-approved.
    CourseApprovals,
    /// Reminds candidates of their deadline and record subscription; lapses candidacies
    /// past their deadline.
    Candidacies,
    /// Reminds evaluators of due reviews, reassigns overdue ones, retries rounds waiting
    /// for evaluators.
    Reviews,
    /// Reminds holders before a certificate expires; expires certificates not renewed.
    Certificates,
}

impl Sweep {
    pub const ALL: &'static [Sweep] = &[
        Sweep::Housekeeping,
        Sweep::CourseApprovals,
        Sweep::Candidacies,
        Sweep::Reviews,
        Sweep::Certificates,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sweep::Housekeeping => "housekeeping",
            Sweep::CourseApprovals => "course_approvals",
            Sweep::Candidacies => "candidacies",
            Sweep::Reviews => "reviews",
            Sweep::Certificates => "certificates",
        }
    }
}
