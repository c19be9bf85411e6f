//! The outbox relay: moves committed rows to the queue.
//!
//! It wakes when the in-process API says it wrote something, and otherwise polls. Each
//! pass claims due rows (stamping `pushed_at`) and pushes their ids; if the push fails,
//! the stamp is taken back so the next pass tries again. Public so that tests can play the
//! relay with no worker taking jobs.

use crate::{State, Timing};
use domain::Context;
use domain::jobs::{MAIL_QUEUE, TASK_QUEUE};
use domain::services::relay::{Outbox, claim_for_push, room, unstamp};
use infra::JobQueue;
use tokio::sync::watch;

/// Rows moved per claim; a pass repeats until fewer than this are due.
const BATCH: u64 = 500;

/// How soon a relay that found the queue full looks again. Looking is one round trip to
/// the queue; waiting for the next poll instead capped a worker at the bound divided by
/// the poll (5,000 rows in 500 ms), which the bulk path reaches.
const FULL_QUEUE_RECHECK: std::time::Duration = std::time::Duration::from_millis(50);

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub pushed: usize,
    /// The pass stopped at the bound: rows may still be due.
    pub queue_full: bool,
}

pub async fn run(state: State, mut shutdown: watch::Receiver<bool>) -> Result<(), String> {
    let signal = state.ctx.outbox_signal();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        match state.queue.mark_present().await {
            Ok(false) => {}
            Ok(true) => match domain::services::relay::redrive(&state.ctx).await {
                Ok((emails, tasks)) => {
                    if emails + tasks > 0 {
                        tracing::warn!(
                            emails,
                            tasks,
                            "the queue lost its jobs (restarted empty or flushed); \
                             everything waiting is pushed again"
                        );
                    }
                }
                Err(e) => {
                    // Marked present but not re-driven: take the mark back to try again.
                    tracing::error!(error = ?e, "cannot re-drive the outbox");
                    let _ = state.queue.forget_presence().await;
                }
            },
            Err(e) => tracing::warn!(error = %e, "cannot reach the queue"),
        }
        // Each outbox on its own: a failure in one (a statement that cannot run, a row
        // that cannot be pushed) must not hold back the other's rows.
        let mut queue_full = false;
        for outbox in [Outbox::Mail, Outbox::Tasks] {
            match relay_once(&state.ctx, &state.queue, &state.timing, outbox).await {
                Ok(pass) => queue_full |= pass.queue_full,
                Err(e) => tracing::error!(
                    ?outbox,
                    error = %e,
                    "relay pass failed; trying again at the next poll"
                ),
            }
        }
        let wait = if queue_full {
            FULL_QUEUE_RECHECK.min(state.timing.relay_poll)
        } else {
            state.timing.relay_poll
        };
        tokio::select! {
            _ = signal.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Pushes every due row of `outbox`, as long as the queue has room under
/// `timing.relay_max_outstanding`.
pub async fn relay_once(
    ctx: &Context,
    queue: &JobQueue,
    timing: &Timing,
    outbox: Outbox,
) -> Result<Pass, String> {
    let chrono_of = |d: std::time::Duration| {
        chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::minutes(1))
    };
    // Rows per job: a full job is assumed, so the bound errs on the short side.
    let (queue_name, per_job) = match outbox {
        Outbox::Mail => (MAIL_QUEUE, timing.mail_per_job.max(1) as u64),
        Outbox::Tasks => (TASK_QUEUE, 1),
    };
    let mut total = 0;
    loop {
        let waiting = queue
            .waiting(queue_name)
            .await
            .map_err(|e| format!("relay: {e}"))?;
        let limit = room(
            BATCH,
            timing.relay_max_outstanding,
            waiting.saturating_mul(per_job),
        );
        let ids = claim_for_push(
            ctx,
            outbox,
            limit,
            chrono_of(timing.redeliver_after),
            chrono_of(timing.claim_lease),
        )
        .await
        .map_err(|e| format!("relay claim: {e:?}"))?;
        let queue_full = limit < BATCH && ids.len() as u64 == limit;
        if ids.is_empty() {
            return Ok(Pass {
                pushed: total,
                queue_full,
            });
        }
        let pushed = match outbox {
            Outbox::Mail => queue.push_emails(&ids, timing.mail_per_job).await,
            Outbox::Tasks => queue.push_tasks(&ids).await,
        };
        if let Err(e) = pushed {
            unstamp(ctx, outbox, &ids)
                .await
                .map_err(|e| format!("relay unstamp: {e:?}"))?;
            return Err(e.to_string());
        }
        total += ids.len();
        // Fewer than a batch: nothing more is due, or the bound is reached.
        if (ids.len() as u64) < BATCH {
            return Ok(Pass {
                pushed: total,
                queue_full,
            });
        }
    }
}
