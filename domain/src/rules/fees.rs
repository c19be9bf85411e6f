//! What the programme charges. Every amount is integer cents.

use crate::config::FeeSchedule;

/// The application fee: lower for ALA members.
pub fn candidate_fee(schedule: &FeeSchedule, ala_member: bool) -> i64 {
    if ala_member {
        schedule.candidate_ala_member_cents
    } else {
        schedule.candidate_cents
    }
}

/// Which course submission is being charged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourseFeeBasis {
    /// A course's first approval; `rank` is its place among all the provider's courses
    /// ever submitted, counting from 1.
    NewCourse { rank: u32 },
    /// A course's re-approval, whatever its rank.
    Reapproval,
}

/// The approval fee: $100 for each of a provider's first two courses, $50 for the third to
/// tenth, and the configured fees beyond ten and for re-approvals.
pub fn course_fee(schedule: &FeeSchedule, basis: CourseFeeBasis) -> i64 {
    match basis {
        CourseFeeBasis::Reapproval => schedule.course_reapproval_cents,
        CourseFeeBasis::NewCourse { rank } if rank <= 2 => schedule.course_first_two_cents,
        CourseFeeBasis::NewCourse { rank } if rank <= 10 => schedule.course_third_to_tenth_cents,
        CourseFeeBasis::NewCourse { .. } => schedule.course_beyond_tenth_cents,
    }
}

/// Formats cents as dollars for people: `$1,234.50`.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProgrammeConfig;

    fn schedule() -> FeeSchedule {
        ProgrammeConfig::defaults().unwrap().fees
    }

    #[test]
    fn members_pay_less_to_apply() {
        assert_eq!(candidate_fee(&schedule(), false), 35_000);
        assert_eq!(candidate_fee(&schedule(), true), 32_500);
    }

    #[test]
    fn course_fees_follow_the_providers_history() {
        let s = schedule();
        let fee = |rank| course_fee(&s, CourseFeeBasis::NewCourse { rank });
        let table = [
            (1, 10_000),
            (2, 10_000),
            (3, 5_000),
            (10, 5_000),
            (11, 5_000),
            (40, 5_000),
        ];
        for (rank, cents) in table {
            assert_eq!(fee(rank), cents, "course number {rank}");
        }
        assert_eq!(course_fee(&s, CourseFeeBasis::Reapproval), 5_000);
    }

    #[test]
    fn the_fee_beyond_ten_and_for_reapprovals_comes_from_configuration() {
        let s = FeeSchedule {
            course_beyond_tenth_cents: 2_500,
            course_reapproval_cents: 7_500,
            ..schedule()
        };
        assert_eq!(
            course_fee(&s, CourseFeeBasis::NewCourse { rank: 11 }),
            2_500
        );
        assert_eq!(
            course_fee(&s, CourseFeeBasis::NewCourse { rank: 10 }),
            5_000
        );
        assert_eq!(course_fee(&s, CourseFeeBasis::Reapproval), 7_500);
    }

    #[test]
    fn dollars_are_written_the_american_way() {
        assert_eq!(dollars(35_000), "$350.00");
        assert_eq!(dollars(10_700_000), "$107,000.00");
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(-1_620_000), "-$16,200.00");
    }
}
