//! Runs one scheduled sweep. Sweeps are idempotent, so a sweep queued twice (by two worker
//! processes' schedules, or by a test) changes nothing the second time.

use crate::State;
use apalis::prelude::{BoxDynError, Data};
use domain::jobs::{RunSweep, Sweep};
use domain::services::housekeeping;

pub async fn handle(job: RunSweep, state: Data<State>) -> Result<(), BoxDynError> {
    let state: &State = &state;
    match job.sweep {
        Sweep::Housekeeping => {
            let swept = housekeeping::sweep(&state.ctx)
                .await
                .map_err(|e| format!("housekeeping: {e:?}"))?;
            tracing::info!(?swept, "housekeeping done");
        }
    }
    state.ctx.outbox_written();
    Ok(())
}
