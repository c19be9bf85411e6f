//! The outbox relay: moves committed rows to the queue.
//!
//! It wakes when the in-process API says it wrote something, and otherwise polls. Each
//! pass claims due rows (stamping `pushed_at`) and pushes their ids; if the push fails,
//! the stamp is taken back so the next pass tries again.

use crate::State;
use domain::services::relay::{Outbox, claim_for_push, unstamp};
use tokio::sync::watch;

/// Rows moved per claim; a pass repeats until fewer than this are due.
const BATCH: u64 = 500;

pub async fn run(state: State, mut shutdown: watch::Receiver<bool>) -> Result<(), String> {
    let signal = state.ctx.outbox_signal();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        relay_once(&state, Outbox::Mail).await?;
        relay_once(&state, Outbox::Tasks).await?;
        tokio::select! {
            _ = signal.notified() => {}
            _ = tokio::time::sleep(state.timing.relay_poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Pushes every due row of `outbox`. Returns how many were pushed.
pub async fn relay_once(state: &State, outbox: Outbox) -> Result<usize, String> {
    let chrono_of = |d: std::time::Duration| {
        chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::minutes(1))
    };
    let mut total = 0;
    loop {
        let ids = claim_for_push(
            &state.ctx,
            outbox,
            BATCH,
            state.timing.relay_max_outstanding,
            chrono_of(state.timing.redeliver_after),
            chrono_of(state.timing.claim_lease),
        )
        .await
        .map_err(|e| format!("relay claim: {e:?}"))?;
        if ids.is_empty() {
            return Ok(total);
        }
        let pushed = match outbox {
            Outbox::Mail => {
                state
                    .queue
                    .push_emails(&ids, state.timing.mail_per_job)
                    .await
            }
            Outbox::Tasks => state.queue.push_tasks(&ids).await,
        };
        if let Err(e) = pushed {
            unstamp(&state.ctx, outbox, &ids)
                .await
                .map_err(|e| format!("relay unstamp: {e:?}"))?;
            return Err(e.to_string());
        }
        total += ids.len();
        // Fewer than a batch: nothing more is due, or the bound is reached (the next pass
        // comes with the next poll or signal, once workers have done some).
        if (ids.len() as u64) < BATCH {
            return Ok(total);
        }
    }
}
