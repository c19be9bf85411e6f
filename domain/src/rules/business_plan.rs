//! The programme's three-year financial projection, computed from its inputs, as in the
//! business plan's spreadsheet (appendix E of the 2009 briefing document).
//!
//! Revenue is candidates × candidate fee plus courses × course fee; costs are the fixed
//! lines of each year plus the portfolio software, which is per candidate; the gain is the
//! difference. All amounts are integer cents.

use serde::{Deserialize, Serialize};

/// One year's inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct YearInputs {
    pub candidates: i64,
    pub candidate_fee_cents: i64,
    pub courses: i64,
    pub course_fee_cents: i64,
    pub salaries_cents: i64,
    pub benefits_cents: i64,
    pub travel_cents: i64,
    pub equipment_cents: i64,
    pub supplies_cents: i64,
    pub furniture_cents: i64,
    pub website_cents: i64,
    pub marketing_cents: i64,
    pub portfolio_per_candidate_cents: i64,
}

/// The inputs of a plan: its first calendar year and one entry per year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanInputs {
    pub first_year: i32,
    pub years: Vec<YearInputs>,
}

/// One year's projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearProjection {
    pub year: i32,
    pub candidate_revenue_cents: i64,
    pub course_revenue_cents: i64,
    pub revenue_cents: i64,
    pub portfolio_cents: i64,
    pub costs_cents: i64,
    pub gain_cents: i64,
}

impl PlanInputs {
    /// The inputs of the 2009 spreadsheet: 300 candidates at $350 and 20 courses at $100 a
    /// year; the Program Officer's salary and benefits; travel from year two; a computer,
    /// supplies and marketing each year; the website update in year one; portfolio software
    /// at $75 a candidate.
    pub fn seed_2009() -> Self {
        let year = |travel: i64, website: i64| YearInputs {
            candidates: 300,
            candidate_fee_cents: 35_000,
            courses: 20,
            course_fee_cents: 10_000,
            salaries_cents: 4_400_000,
            benefits_cents: 1_320_000,
            travel_cents: travel,
            equipment_cents: 40_000,
            supplies_cents: 70_000,
            furniture_cents: 0,
            website_cents: website,
            marketing_cents: 500_000,
            portfolio_per_candidate_cents: 7_500,
        };
        Self {
            first_year: 2010,
            years: vec![year(0, 500_000), year(100_000, 0), year(100_000, 0)],
        }
    }
}

/// Computes the projection, year by year. Arithmetic saturates rather than wrapping, so
/// absurd inputs give absurd but bounded figures.
pub fn project(inputs: &PlanInputs) -> Vec<YearProjection> {
    inputs
        .years
        .iter()
        .enumerate()
        .map(|(i, y)| {
            let candidate_revenue = y.candidates.saturating_mul(y.candidate_fee_cents);
            let course_revenue = y.courses.saturating_mul(y.course_fee_cents);
            let revenue = candidate_revenue.saturating_add(course_revenue);
            let portfolio = y.candidates.saturating_mul(y.portfolio_per_candidate_cents);
            let costs = [
                y.salaries_cents,
                y.benefits_cents,
                y.travel_cents,
                y.equipment_cents,
                y.supplies_cents,
                y.furniture_cents,
                y.website_cents,
                y.marketing_cents,
                portfolio,
            ]
            .iter()
            .fold(0i64, |a, b| a.saturating_add(*b));
            YearProjection {
                year: inputs.first_year + i as i32,
                candidate_revenue_cents: candidate_revenue,
                course_revenue_cents: course_revenue,
                revenue_cents: revenue,
                portfolio_cents: portfolio,
                costs_cents: costs,
                gain_cents: revenue.saturating_sub(costs),
            }
        })
        .collect()
}

/// Checks inputs for what would make the projection meaningless.
pub fn check(inputs: &PlanInputs) -> Result<(), crate::Violation> {
    if inputs.years.is_empty() || inputs.years.len() > 10 {
        return Err(
            crate::Violation::new("OUT_OF_RANGE", "A plan covers one to ten years.").on("years"),
        );
    }
    for (i, y) in inputs.years.iter().enumerate() {
        let all = [
            y.candidates,
            y.candidate_fee_cents,
            y.courses,
            y.course_fee_cents,
            y.salaries_cents,
            y.benefits_cents,
            y.travel_cents,
            y.equipment_cents,
            y.supplies_cents,
            y.furniture_cents,
            y.website_cents,
            y.marketing_cents,
            y.portfolio_per_candidate_cents,
        ];
        if all.iter().any(|v| *v < 0) {
            return Err(crate::Violation::new(
                "NEGATIVE",
                "Counts and amounts cannot be negative.",
            )
            .on(format!("years.{i}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2009_spreadsheet_is_reproduced_exactly() {
        let p = project(&PlanInputs::seed_2009());
        let revenue: Vec<i64> = p.iter().map(|y| y.revenue_cents).collect();
        let costs: Vec<i64> = p.iter().map(|y| y.costs_cents).collect();
        let gains: Vec<i64> = p.iter().map(|y| y.gain_cents).collect();
        assert_eq!(revenue, vec![10_700_000; 3]);
        assert_eq!(costs, vec![9_080_000, 8_680_000, 8_680_000]);
        assert_eq!(gains, vec![1_620_000, 2_020_000, 2_020_000]);
        assert_eq!(p[0].portfolio_cents, 2_250_000);
        assert_eq!(p[0].candidate_revenue_cents, 10_500_000);
        assert_eq!(p[0].course_revenue_cents, 200_000);
    }

    #[test]
    fn portfolio_costs_follow_the_number_of_candidates() {
        let mut inputs = PlanInputs::seed_2009();
        inputs.years[0].candidates = 400;
        let p = project(&inputs);
        assert_eq!(p[0].portfolio_cents, 3_000_000);
        assert_eq!(p[0].revenue_cents, 400 * 35_000 + 200_000);
    }

    #[test]
    fn negative_inputs_are_refused() {
        let mut inputs = PlanInputs::seed_2009();
        inputs.years[1].marketing_cents = -1;
        assert_eq!(check(&inputs).unwrap_err().code, "NEGATIVE");
    }
}
