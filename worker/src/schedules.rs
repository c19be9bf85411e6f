//! When each sweep runs. A schedule only queues the sweep; the sweeps queue runs it, so a
//! sweep is never run inside the scheduler itself and survives a restart mid-way.

use crate::State;
use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use domain::jobs::Sweep;
use std::str::FromStr;
use tokio::sync::watch;

/// The cron expression (seconds first, UTC) for each sweep.
pub fn cron_of(sweep: Sweep) -> &'static str {
    match sweep {
        // Daily, at a quiet hour in every US time zone.
        Sweep::Housekeeping => "0 15 9 * * *",
        // Reminders and expiries are by calendar day; run early (UTC) and again at midday
        // so a missed run is made up the same day.
        Sweep::CourseApprovals => "0 5 6,12 * * *",
        Sweep::Candidacies => "0 20 6,12 * * *",
        // Reviews also retry rounds waiting for evaluators, so hourly.
        Sweep::Reviews => "0 35 * * * *",
        Sweep::Certificates => "0 50 6,12 * * *",
    }
}

pub async fn run(
    state: State,
    sweep: Sweep,
    shutdown: watch::Receiver<bool>,
) -> Result<(), String> {
    let schedule = cron::Schedule::from_str(cron_of(sweep)).map_err(|e| e.to_string())?;
    let name = format!("{}:schedule:{}", state.name, sweep.name());
    WorkerBuilder::new(name)
        .backend(CronScheduler::new(schedule))
        .data(state.clone())
        .data(sweep)
        .build(queue_sweep)
        .run_until(crate::stopped(shutdown))
        .await
        .map_err(|e| e.to_string())
}

async fn queue_sweep(
    _tick: Tick,
    state: Data<State>,
    sweep: Data<Sweep>,
) -> Result<(), BoxDynError> {
    state.queue.push_sweep(*sweep).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sweep_has_a_valid_schedule() {
        for sweep in Sweep::ALL {
            assert!(
                cron::Schedule::from_str(cron_of(*sweep)).is_ok(),
                "{sweep:?}"
            );
        }
    }
}
