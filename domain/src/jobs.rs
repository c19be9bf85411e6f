//! Job payloads carried by the queue, and the queues' names.
//!
//! A payload is only an id: the database row is the truth, and the job handler re-reads it
//! (and does nothing if the work is already done). Queue names are explicit and stable;
//! apalis would otherwise name a queue after the Rust type path, and a rename would strand
//! the jobs already queued.

use serde::{Deserialize, Serialize};

/// Emails to send: one job per run of up to `WORKER_MAIL_PER_JOB` `notification` rows.
pub const MAIL_QUEUE: &str = "mail";
/// Background tasks: one job per `background_task` row.
pub const TASK_QUEUE: &str = "tasks";
/// Scheduled sweeps (reminders, expiries, housekeeping), pushed by the cron schedules.
pub const SWEEP_QUEUE: &str = "sweeps";

/// Send the emails in these `notification` rows.
///
/// One job carries many rows so that a bulk notice costs one queue job and one claim per
/// run of rows rather than per message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SendEmail {
    #[serde(default)]
    pub notification_ids: Vec<i64>,
    /// The one row of a job queued before jobs carried several, still read so that an
    /// upgrade does not strand the jobs already queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<i64>,
}

impl SendEmail {
    /// A job for `ids`.
    pub fn new(ids: &[i64]) -> Self {
        Self {
            notification_ids: ids.to_vec(),
            notification_id: None,
        }
    }

    /// Every row the job names, without repeats, in ascending order.
    pub fn ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .notification_ids
            .iter()
            .copied()
            .chain(self.notification_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
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

#[cfg(test)]
mod tests {
    use super::SendEmail;

    #[test]
    fn a_mail_job_names_its_rows_once_each_in_order() {
        assert_eq!(SendEmail::new(&[9, 3, 9, 4]).ids(), vec![3, 4, 9]);
    }

    #[test]
    fn a_mail_job_queued_before_jobs_carried_several_rows_is_still_read() {
        let old: SendEmail = serde_json::from_str(r#"{"notification_id":42}"#).unwrap();
        assert_eq!(old.ids(), vec![42]);
        let new: SendEmail =
            serde_json::from_str(&serde_json::to_string(&SendEmail::new(&[1, 2])).unwrap())
                .unwrap();
        assert_eq!(new.ids(), vec![1, 2]);
    }
}
