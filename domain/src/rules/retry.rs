//! When a failed delivery is tried again.

use chrono::Duration;

/// The wait before retry number `attempt` (1 for the first retry): exponential from
/// `base_seconds`, never more than `max_seconds`.
pub fn backoff(attempt: i32, base_seconds: i64, max_seconds: i64) -> Duration {
    let exponent = attempt.clamp(1, 30) - 1;
    let factor = 1i64 << exponent;
    Duration::seconds(base_seconds.saturating_mul(factor).min(max_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_and_is_capped() {
        let waits: Vec<i64> = (1..=8)
            .map(|a| backoff(a, 30, 3600).num_seconds())
            .collect();
        assert_eq!(waits, vec![30, 60, 120, 240, 480, 960, 1920, 3600]);
        assert_eq!(backoff(100, 30, 3600).num_seconds(), 3600);
    }
}
