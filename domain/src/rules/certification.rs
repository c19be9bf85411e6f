//! When a candidate is certified: every required set and three electives achieved.

use serde::{Deserialize, Serialize};

/// A candidate's standing towards certification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub required_achieved: u32,
    pub required_total: u32,
    pub electives_achieved: u32,
    pub electives_needed: u32,
}

impl Standing {
    /// Counts achievements. `achieved` holds, for each achieved set, whether it is
    /// required; `required_total` is the number of required sets in the catalogue.
    pub fn of(achieved: &[bool], required_total: u32, electives_needed: u32) -> Self {
        let required_achieved = achieved.iter().filter(|r| **r).count() as u32;
        let electives_achieved = achieved.iter().filter(|r| !**r).count() as u32;
        Self {
            required_achieved,
            required_total,
            electives_achieved,
            electives_needed,
        }
    }

    /// Every required set and enough electives.
    pub fn is_complete(&self) -> bool {
        self.required_achieved >= self.required_total
            && self.electives_achieved >= self.electives_needed
    }

    /// Sets still to achieve: the missing required ones plus the electives still needed.
    pub fn remaining(&self) -> u32 {
        self.required_total.saturating_sub(self.required_achieved)
            + self
                .electives_needed
                .saturating_sub(self.electives_achieved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_required_and_three_electives_certify() {
        let s = Standing::of(&[true, true, true, false, false, false], 3, 3);
        assert!(s.is_complete());
        assert_eq!(s.remaining(), 0);
    }

    #[test]
    fn six_electives_without_every_required_set_do_not_certify() {
        let s = Standing::of(&[true, true, false, false, false, false, false], 3, 3);
        assert!(!s.is_complete());
        assert_eq!(s.remaining(), 1);
    }

    #[test]
    fn three_required_and_two_electives_do_not_certify() {
        let s = Standing::of(&[true, true, true, false, false], 3, 3);
        assert!(!s.is_complete());
        assert_eq!(s.remaining(), 1);
    }

    #[test]
    fn extra_electives_still_certify() {
        assert!(Standing::of(&[true, true, true, false, false, false, false], 3, 3).is_complete());
    }
}
