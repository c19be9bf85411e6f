//! Runs one scheduled sweep. Sweeps are idempotent, so a sweep queued twice (by two worker
//! processes' schedules, or by a test) changes nothing the second time.

use crate::State;
use apalis::prelude::{BoxDynError, Data};
use domain::jobs::{RunSweep, Sweep};
use domain::services::{candidacies, course_lifecycle, housekeeping, renewals, reviews};
use futures::FutureExt as _;
use std::panic::AssertUnwindSafe;

/// How long a finished job stays in the queue's store, for an operator to look at.
const FINISHED_JOBS_KEPT: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

pub async fn handle(job: RunSweep, state: Data<State>) -> Result<(), BoxDynError> {
    let state: &State = &state;
    // A sweep has no row of its own to fail: a panic fails this run of it, the next
    // schedule runs it again, and the worker goes on with other sweeps meanwhile.
    let outcome = AssertUnwindSafe(sweep(state, job.sweep))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            let error = format!("panicked: {}", crate::panic_message(panic.as_ref()));
            tracing::error!(sweep = job.sweep.name(), %error, "sweep panicked");
            Err(format!("{}: {error}", job.sweep.name()).into())
        });
    // Whatever a sweep wrote before it stopped is committed and may have outbox rows.
    state.ctx.outbox_written();
    outcome
}

async fn sweep(state: &State, sweep: Sweep) -> Result<(), BoxDynError> {
    match sweep {
        Sweep::Housekeeping => {
            let swept = housekeeping::sweep(&state.ctx)
                .await
                .map_err(|e| format!("housekeeping: {e:?}"))?;
            let forgotten = state
                .queue
                .vacuum(FINISHED_JOBS_KEPT)
                .await
                .map_err(|e| format!("housekeeping: {e}"))?;
            tracing::info!(?swept, forgotten, "housekeeping done");
        }
        Sweep::CourseApprovals => {
            let swept = course_lifecycle::sweep(&state.ctx)
                .await
                .map_err(|e| format!("course approvals: {e:?}"))?;
            tracing::info!(?swept, "course approvals swept");
        }
        Sweep::Candidacies => {
            let swept = candidacies::sweep(&state.ctx)
                .await
                .map_err(|e| format!("candidacies: {e:?}"))?;
            tracing::info!(?swept, "candidacies swept");
        }
        Sweep::Reviews => {
            let swept = reviews::sweep(&state.ctx)
                .await
                .map_err(|e| format!("reviews: {e:?}"))?;
            tracing::info!(?swept, "reviews swept");
        }
        Sweep::Certificates => {
            let swept = renewals::sweep(&state.ctx)
                .await
                .map_err(|e| format!("certificates: {e:?}"))?;
            tracing::info!(?swept, "certificates swept");
        }
    }
    Ok(())
}
