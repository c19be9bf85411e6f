//! Whether this process may start a send now.
//!
//! A send starts only while its success can be recorded (the recorder of sent emails is
//! writing, `crate::sent_ledger`) and while this process is sure nobody has taken it for
//! dead (`crate::liveness`). A send that started before the gate closed is finished and
//! recorded; those are the only messages a fault can leave in doubt.

use crate::State;
use std::time::{Duration, Instant};

/// How often a closed gate is looked at again.
const RECHECK: Duration = Duration::from_millis(50);

/// Whether this process may take work: it can record what it does, and it is alive.
pub fn open(state: &State) -> bool {
    state.sent.healthy() && state.liveness.fresh(state.timing.stale_after)
}

/// Waits for the gate to open. Returns false if it is still closed at `deadline`.
pub async fn wait_open(state: &State, deadline: Instant) -> bool {
    wait(state, deadline, open).await
}

/// Waits until a send may start: the gate is open and the mail server is taking messages
/// (or it is this send's turn to try it, `crate::mail_health`). Returns false if that has
/// not happened by `deadline`.
pub async fn wait_to_send(state: &State, deadline: Instant) -> bool {
    wait(state, deadline, |state| {
        open(state) && state.mail_health.may_send(Instant::now())
    })
    .await
}

async fn wait(state: &State, deadline: Instant, ready: impl Fn(&State) -> bool) -> bool {
    loop {
        if ready(state) {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        tokio::time::sleep(RECHECK.min(deadline - now)).await;
    }
}

/// Runs `op` until it succeeds, waiting a little longer after each failure, for at most
/// `bound`: a statement that records what a job did must not be lost to a database that
/// is away for a few seconds. Returns the last error if it never succeeded.
pub async fn persist<T, E, F, Fut>(bound: Duration, mut op: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + bound;
    let mut wait = Duration::from_millis(50);
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if Instant::now() + wait >= deadline => return Err(e),
            Err(_) => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(1));
            }
        }
    }
}
