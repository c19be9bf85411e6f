//! Staff reports, graph-ready, and the business plan. Each report is also downloadable as
//! CSV at `GET /reports/{name}.csv` with the same bearer token.

use super::{actor, services};
use crate::error::{GqlResult, UserError, payload};
use async_graphql::{Context, Enum, InputObject, Json, Object, Result, SimpleObject};
use domain::rules::business_plan::{PlanInputs, YearInputs};
use domain::services::reports::{self, Table};

/// The reports.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ReportName {
    /// Applied, eligible, accepted, each set achieved, certified, renewed, lapsed.
    Funnel,
    /// Candidacies by month of acceptance, and how each cohort stands.
    Cohorts,
    /// Achievements per set and by method.
    Achievements,
    /// Open and submitted reviews per active evaluator, against capacity.
    EvaluatorLoad,
    /// Days from assignment to assessment, median and 90th percentile, by month.
    ReviewTurnaround,
    /// Course approvals, re-approvals and expiries, by month.
    Courses,
    /// How applicants heard of the programme.
    MarketingSources,
    /// Certificate periods ending, and renewals approved, by month.
    Renewals,
    /// Recorded payments by year and kind.
    Revenue,
    /// The business plan's projection against actual figures.
    BusinessPlan,
}

impl ReportName {
    pub fn slug(self) -> &'static str {
        match self {
            ReportName::Funnel => "funnel",
            ReportName::Cohorts => "cohorts",
            ReportName::Achievements => "achievements",
            ReportName::EvaluatorLoad => "evaluator-load",
            ReportName::ReviewTurnaround => "review-turnaround",
            ReportName::Courses => "courses",
            ReportName::MarketingSources => "marketing-sources",
            ReportName::Renewals => "renewals",
            ReportName::Revenue => "revenue",
            ReportName::BusinessPlan => "business-plan",
        }
    }
}

/// A report: its columns, and its rows as objects keyed by column (numbers as numbers,
/// money in dollars), ready for a chart.
pub struct Report(pub Table);

#[Object]
impl Report {
    async fn name(&self) -> &str {
        self.0.name
    }

    async fn title(&self) -> &str {
        self.0.title
    }

    #[graphql(complexity = "super::cost::list(domain::limits::REPORT_COLUMNS, child_complexity)")]
    async fn columns(&self) -> Vec<&str> {
        self.0.columns.clone()
    }

    /// `[{"month": "2027-01", "applications": 12, …}, …]`: the first 500 rows; the CSV has
    /// them all.
    #[graphql(
        complexity = "super::cost::list(domain::limits::REPORT_ROWS, domain::limits::REPORT_COLUMNS)"
    )]
    async fn records(&self) -> Json<serde_json::Value> {
        let mut records = self.0.records();
        if let serde_json::Value::Array(rows) = &mut records {
            rows.truncate(domain::limits::REPORT_ROWS);
        }
        Json(records)
    }

    /// Where to download it as CSV (with your bearer token).
    async fn csv_url(&self) -> String {
        format!("/reports/{}.csv", self.0.name)
    }
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// A report. Staff only.
    async fn report(&self, ctx: &Context<'_>, name: ReportName) -> Result<Report> {
        reports::report(services(ctx), actor(ctx), name.slug())
            .await
            .gql()
            .map(Report)
    }

    /// The business plan's inputs as saved (the 2009 spreadsheet's until changed). Staff.
    async fn business_plan_inputs(&self, ctx: &Context<'_>) -> Result<BusinessPlan> {
        actor(ctx).require_staff().map_err(crate::error::to_gql)?;
        Ok(BusinessPlan(
            reports::saved_plan(services(ctx)).await.gql()?,
        ))
    }

    /// The projection of the given inputs (or the saved ones), with actual figures beside
    /// it. Staff only.
    async fn business_plan(
        &self,
        ctx: &Context<'_>,
        inputs: Option<BusinessPlanInput>,
    ) -> Result<Report> {
        actor(ctx).require_staff().map_err(crate::error::to_gql)?;
        let inputs = inputs.map(PlanInputs::from);
        if let Some(i) = &inputs {
            domain::rules::business_plan::check(i).map_err(|v| crate::error::to_gql(v.into()))?;
        }
        reports::business_plan_report(services(ctx), inputs)
            .await
            .gql()
            .map(Report)
    }
}

/// A plan's inputs, one entry per year (money in cents).
pub struct BusinessPlan(pub PlanInputs);

#[Object]
impl BusinessPlan {
    async fn first_year(&self) -> i32 {
        self.0.first_year
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::BUSINESS_PLAN_YEARS, child_complexity)"
    )]
    async fn years(&self) -> Vec<BusinessPlanYear> {
        self.0.years.iter().cloned().map(BusinessPlanYear).collect()
    }
}

/// One year of a plan's inputs.
pub struct BusinessPlanYear(pub YearInputs);

#[Object]
impl BusinessPlanYear {
    async fn candidates(&self) -> i64 {
        self.0.candidates
    }
    async fn candidate_fee_cents(&self) -> i64 {
        self.0.candidate_fee_cents
    }
    async fn courses(&self) -> i64 {
        self.0.courses
    }
    async fn course_fee_cents(&self) -> i64 {
        self.0.course_fee_cents
    }
    async fn salaries_cents(&self) -> i64 {
        self.0.salaries_cents
    }
    async fn benefits_cents(&self) -> i64 {
        self.0.benefits_cents
    }
    async fn travel_cents(&self) -> i64 {
        self.0.travel_cents
    }
    async fn equipment_cents(&self) -> i64 {
        self.0.equipment_cents
    }
    async fn supplies_cents(&self) -> i64 {
        self.0.supplies_cents
    }
    async fn furniture_cents(&self) -> i64 {
        self.0.furniture_cents
    }
    async fn website_cents(&self) -> i64 {
        self.0.website_cents
    }
    async fn marketing_cents(&self) -> i64 {
        self.0.marketing_cents
    }
    async fn portfolio_per_candidate_cents(&self) -> i64 {
        self.0.portfolio_per_candidate_cents
    }
}

#[derive(InputObject, Clone)]
pub struct BusinessPlanYearInput {
    pub candidates: i64,
    pub candidate_fee_cents: i64,
    pub courses: i64,
    pub course_fee_cents: i64,
    pub salaries_cents: i64,
    pub benefits_cents: i64,
    #[graphql(default)]
    pub travel_cents: i64,
    #[graphql(default)]
    pub equipment_cents: i64,
    #[graphql(default)]
    pub supplies_cents: i64,
    #[graphql(default)]
    pub furniture_cents: i64,
    #[graphql(default)]
    pub website_cents: i64,
    #[graphql(default)]
    pub marketing_cents: i64,
    pub portfolio_per_candidate_cents: i64,
}

#[derive(InputObject, Clone)]
pub struct BusinessPlanInput {
    pub first_year: i32,
    pub years: Vec<BusinessPlanYearInput>,
}

impl From<BusinessPlanInput> for PlanInputs {
    fn from(i: BusinessPlanInput) -> Self {
        PlanInputs {
            first_year: i.first_year,
            years: i
                .years
                .into_iter()
                .map(|y| YearInputs {
                    candidates: y.candidates,
                    candidate_fee_cents: y.candidate_fee_cents,
                    courses: y.courses,
                    course_fee_cents: y.course_fee_cents,
                    salaries_cents: y.salaries_cents,
                    benefits_cents: y.benefits_cents,
                    travel_cents: y.travel_cents,
                    equipment_cents: y.equipment_cents,
                    supplies_cents: y.supplies_cents,
                    furniture_cents: y.furniture_cents,
                    website_cents: y.website_cents,
                    marketing_cents: y.marketing_cents,
                    portfolio_per_candidate_cents: y.portfolio_per_candidate_cents,
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject)]
pub struct BusinessPlanPayload {
    pub plan: Option<BusinessPlan>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Saves the business plan's inputs. Program officers only.
    async fn save_business_plan(
        &self,
        ctx: &Context<'_>,
        input: BusinessPlanInput,
    ) -> Result<BusinessPlanPayload> {
        let (p, user_errors) =
            payload(reports::save_plan(services(ctx), actor(ctx), input.into()).await)?;
        Ok(BusinessPlanPayload {
            plan: p.map(BusinessPlan),
            user_errors,
        })
    }
}
