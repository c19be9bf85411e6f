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

pub async fn run(state: State, mut shutdown: watch::Receiver<bool>) -> Result<(), String> {
    let signal = state.ctx.outbox_signal();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        relay_once(&state.ctx, &state.queue, &state.timing, Outbox::Mail).await?;
        relay_once(&state.ctx, &state.queue, &state.timing, Outbox::Tasks).await?;
        tokio::select! {
            _ = signal.notified() => {}
            _ = tokio::time::sleep(state.timing.relay_poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Pushes every due row of `outbox`, as long as the queue has room under
/// `timing.relay_max_outstanding`. Returns how many were pushed.
pub async fn relay_once(
    ctx: &Context,
    queue: &JobQueue,
    timing: &Timing,
    outbox: Outbox,
) -> Result<usize, String> {
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
        if ids.is_empty() {
            return Ok(total);
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
        // Fewer than a batch: nothing more is due, or the bound is reached (the next pass
        // comes with the next poll or signal, once workers have taken some).
        if (ids.len() as u64) < BATCH {
            return Ok(total);
        }
    }
}
