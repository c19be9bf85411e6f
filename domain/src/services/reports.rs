//! Staff reports, graph-ready: each is a table of named columns, served as GraphQL and as
//! CSV from the same rows.

use crate::actor::Actor;
use crate::context::Context;
use crate::error::{DomainError, DomainResult};
use crate::rules::business_plan::{PlanInputs, project};
use crate::services::catalogue;
use chrono::NaiveDate;
use entity::business_plan;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, Statement,
};
use std::collections::{BTreeMap, HashMap};

/// A report: column names and rows of cells, in display order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: &'static str,
    pub title: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// One cell of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Money, in cents; written as dollars in CSV.
    Cents(i64),
    Num(f64),
    Empty,
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => defuse_formula(s),
            Cell::Int(n) => n.to_string(),
            Cell::Cents(c) => format!(
                "{}{}.{:02}",
                if *c < 0 { "-" } else { "" },
                c.unsigned_abs() / 100,
                c.unsigned_abs() % 100
            ),
            Cell::Num(x) => format!("{x:.2}"),
            Cell::Empty => String::new(),
        }
    }
}

/// Text a spreadsheet would read as a formula gets a leading `'`, which makes it plain text
/// (OWASP's advice on CSV injection). Only text cells: numbers the system computes are
/// typed cells, written as they are, so a negative amount stays a number.
fn defuse_formula(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

impl Cell {
    /// The cell as JSON, for charts: numbers stay numbers, money in dollars.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => serde_json::Value::from(s.clone()),
            Cell::Int(n) => serde_json::Value::from(*n),
            Cell::Cents(c) => serde_json::Value::from(*c as f64 / 100.0),
            Cell::Num(x) => serde_json::Value::from((x * 100.0).round() / 100.0),
            Cell::Empty => serde_json::Value::Null,
        }
    }
}

impl Table {
    /// The rows as objects keyed by column, the shape charting libraries take.
    pub fn records(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    serde_json::Value::Object(
                        self.columns
                            .iter()
                            .zip(row)
                            .map(|(c, v)| ((*c).to_owned(), v.json()))
                            .collect(),
                    )
                })
                .collect(),
        )
    }

    /// The table as RFC 4180 CSV with a header row.
    pub fn to_csv(&self) -> String {
        let mut out = self
            .columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(",");
        out.push_str("\r\n");
        for row in &self.rows {
            out.push_str(
                &row.iter()
                    .map(|c| quote(&c.csv()))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push_str("\r\n");
        }
        out
    }
}

/// Every report, by name.
pub const NAMES: &[&str] = &[
    "funnel",
    "cohorts",
    "achievements",
    "evaluator-load",
    "review-turnaround",
    "courses",
    "marketing-sources",
    "renewals",
    "revenue",
    "business-plan",
];

fn staff(actor: &Actor) -> DomainResult<()> {
    actor.require_staff()?;
    Ok(())
}

async fn rows<T: FromQueryResult, C: ConnectionTrait>(db: &C, sql: String) -> DomainResult<Vec<T>> {
    Ok(
        T::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?,
    )
}

#[derive(Debug, FromQueryResult)]
struct KeyCount {
    key: Option<String>,
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct KeyKeyCount {
    key: Option<String>,
    key2: Option<String>,
    n: i64,
}

/// Builds the report called `name`. Staff only.
pub async fn report(ctx: &Context, actor: &Actor, name: &str) -> DomainResult<Table> {
    staff(actor)?;
    match name {
        "funnel" => funnel(ctx).await,
        "cohorts" => cohorts(ctx).await,
        "achievements" => achievements(ctx).await,
        "evaluator-load" => evaluator_load(ctx).await,
        "review-turnaround" => review_turnaround(ctx).await,
        "courses" => courses(ctx).await,
        "marketing-sources" => marketing_sources(ctx).await,
        "renewals" => renewals(ctx).await,
        "revenue" => revenue(ctx).await,
        "business-plan" => business_plan_report(ctx, None).await,
        _ => Err(DomainError::NotFound("report")),
    }
}

async fn funnel(ctx: &Context) -> DomainResult<Table> {
    let s = crate::services::progress::statistics(ctx, &Actor::System).await?;
    let cat = catalogue::get(ctx).await?;
    let mut rows = vec![
        vec![Cell::Text("applied".into()), Cell::Int(s.funnel.applied)],
        vec![Cell::Text("eligible".into()), Cell::Int(s.funnel.eligible)],
        vec![Cell::Text("accepted".into()), Cell::Int(s.funnel.accepted)],
    ];
    for set in &s.per_set {
        let name = cat
            .set(set.set_id)
            .map(|x| x.set.name.clone())
            .unwrap_or_default();
        rows.push(vec![
            Cell::Text(format!("achieved: {name}")),
            Cell::Int(set.total),
        ]);
    }
    let renewed = scalar(
        &ctx.db,
        "SELECT COUNT(DISTINCT certificate_id) FROM renewal WHERE status = 'approved'",
    )
    .await?;
    rows.push(vec![
        Cell::Text("certified".into()),
        Cell::Int(s.funnel.certified),
    ]);
    rows.push(vec![Cell::Text("renewed".into()), Cell::Int(renewed)]);
    rows.push(vec![
        Cell::Text("lapsed".into()),
        Cell::Int(s.funnel.lapsed),
    ]);
    Ok(Table {
        name: "funnel",
        title: "Funnel",
        columns: vec!["stage", "count"],
        rows,
    })
}

async fn scalar<C: ConnectionTrait>(db: &C, sql: &str) -> DomainResult<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?
        .ok_or_else(|| DomainError::bug("count returned no row"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

fn month(ctx: &Context, col: &str) -> String {
    crate::services::progress::month_sql(ctx.db.get_database_backend(), col)
}

fn year(ctx: &Context, col: &str) -> String {
    match ctx.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => format!("to_char({col}, 'YYYY')"),
        _ => format!("substr({col}, 1, 4)"),
    }
}

async fn cohorts(ctx: &Context) -> DomainResult<Table> {
    let m = month(ctx, "started_on");
    let data: Vec<KeyKeyCount> = rows(&ctx.db, format!(
        "SELECT {m} AS key, status AS key2, COUNT(*) AS n FROM candidacy GROUP BY {m}, status ORDER BY 1"
    )).await?;
    let mut by_month: BTreeMap<String, HashMap<String, i64>> = BTreeMap::new();
    for r in data {
        *by_month
            .entry(r.key.unwrap_or_default())
            .or_default()
            .entry(r.key2.unwrap_or_default())
            .or_default() += r.n;
    }
    let rows = by_month
        .into_iter()
        .map(|(month, s)| {
            let get = |k: &str| s.get(k).copied().unwrap_or(0);
            let accepted: i64 = s.values().sum();
            let certified = get("certified");
            vec![
                Cell::Text(month),
                Cell::Int(accepted),
                Cell::Int(get("active")),
                Cell::Int(certified),
                Cell::Int(get("lapsed")),
                Cell::Num(if accepted > 0 {
                    100.0 * certified as f64 / accepted as f64
                } else {
                    0.0
                }),
            ]
        })
        .collect();
    Ok(Table {
        name: "cohorts",
        title: "Cohorts by month of acceptance",
        columns: vec![
            "month",
            "accepted",
            "active",
            "certified",
            "lapsed",
            "certified_percent",
        ],
        rows,
    })
}

async fn achievements(ctx: &Context) -> DomainResult<Table> {
    let s = crate::services::progress::statistics(ctx, &Actor::System).await?;
    let cat = catalogue::get(ctx).await?;
    let rows = s
        .per_set
        .iter()
        .map(|x| {
            let set = cat.set(x.set_id);
            vec![
                Cell::Text(set.map(|s| s.set.code.clone()).unwrap_or_default()),
                Cell::Text(set.map(|s| s.set.name.clone()).unwrap_or_default()),
                Cell::Int(x.by_course),
                Cell::Int(x.by_portfolio),
                Cell::Int(x.total),
            ]
        })
        .collect();
    Ok(Table {
        name: "achievements",
        title: "Achievements per set and method",
        columns: vec!["set_code", "set", "by_course", "by_portfolio", "total"],
        rows,
    })
}

#[derive(Debug, FromQueryResult)]
struct Load {
    id: i64,
    employer: String,
    capacity: i32,
    open: i64,
    done: i64,
}

async fn evaluator_load(ctx: &Context) -> DomainResult<Table> {
    let data: Vec<Load> = rows(
        &ctx.db,
        "SELECT e.id AS id, e.employer AS employer, e.capacity AS capacity, \
        COALESCE(SUM(CASE WHEN r.status = 'assigned' THEN 1 ELSE 0 END), 0) AS open, \
        COALESCE(SUM(CASE WHEN r.status = 'submitted' THEN 1 ELSE 0 END), 0) AS done \
        FROM evaluator e LEFT JOIN review r ON r.evaluator_id = e.id \
        WHERE e.status = 'active' GROUP BY e.id, e.employer, e.capacity ORDER BY e.id"
            .to_owned(),
    )
    .await?;
    let rows = data
        .into_iter()
        .map(|l| {
            vec![
                Cell::Int(l.id),
                Cell::Text(l.employer),
                Cell::Int(i64::from(l.capacity)),
                Cell::Int(l.open),
                Cell::Int(l.done),
                Cell::Num(if l.capacity > 0 {
                    100.0 * l.open as f64 / f64::from(l.capacity)
                } else {
                    0.0
                }),
            ]
        })
        .collect();
    Ok(Table {
        name: "evaluator-load",
        title: "Evaluator load",
        columns: vec![
            "evaluator_id",
            "employer",
            "capacity",
            "open_reviews",
            "submitted_reviews",
            "load_percent",
        ],
        rows,
    })
}

/// The `q`-quantile of sorted values (nearest rank).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

async fn review_turnaround(ctx: &Context) -> DomainResult<Table> {
    let reviews = entity::review::Entity::find()
        .filter(entity::review::Column::SubmittedAt.is_not_null())
        .all(&ctx.db)
        .await?;
    let mut by_month: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in reviews {
        if let Some(done) = r.submitted_at {
            let days = (done - r.assigned_at).num_seconds() as f64 / 86_400.0;
            by_month
                .entry(done.format("%Y-%m").to_string())
                .or_default()
                .push(days);
        }
    }
    let rows = by_month
        .into_iter()
        .map(|(m, mut days)| {
            days.sort_by(f64::total_cmp);
            vec![
                Cell::Text(m),
                Cell::Int(days.len() as i64),
                quantile(&days, 0.5).map_or(Cell::Empty, Cell::Num),
                quantile(&days, 0.9).map_or(Cell::Empty, Cell::Num),
            ]
        })
        .collect();
    Ok(Table {
        name: "review-turnaround",
        title: "Review turnaround (days from assignment to assessment)",
        columns: vec!["month", "reviews", "median_days", "p90_days"],
        rows,
    })
}

#[derive(Debug, FromQueryResult)]
struct ApprovalRow {
    course_id: i64,
    kind: String,
    starts_on: NaiveDate,
    expires_on: NaiveDate,
    expired: bool,
}

async fn courses(ctx: &Context) -> DomainResult<Table> {
    let data: Vec<ApprovalRow> = rows(&ctx.db, "SELECT a.course_id AS course_id, s.kind AS kind, a.starts_on AS starts_on, \
        a.expires_on AS expires_on, (a.expired_at IS NOT NULL) AS expired \
        FROM course_approval a JOIN course_submission s ON s.id = a.submission_id ORDER BY a.course_id, a.starts_on".to_owned()).await?;
    let mut months: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    let mut last_end: HashMap<i64, NaiveDate> = HashMap::new();
    for a in &data {
        let e = last_end.entry(a.course_id).or_insert(a.expires_on);
        if a.expires_on > *e {
            *e = a.expires_on;
        }
    }
    for a in &data {
        let m = a.starts_on.format("%Y-%m").to_string();
        let slot = if a.kind == "reapproval" { 1 } else { 0 };
        months.entry(m).or_default()[slot] += 1;
        // An expiry: a period that ended and was the course's last.
        if a.expired && last_end.get(&a.course_id) == Some(&a.expires_on) {
            months
                .entry(a.expires_on.format("%Y-%m").to_string())
                .or_default()[2] += 1;
        }
    }
    let rows = months
        .into_iter()
        .map(|(m, [a, r, x])| vec![Cell::Text(m), Cell::Int(a), Cell::Int(r), Cell::Int(x)])
        .collect();
    Ok(Table {
        name: "courses",
        title: "Course approvals, re-approvals and expiries",
        columns: vec!["month", "approvals", "reapprovals", "expiries"],
        rows,
    })
}

async fn marketing_sources(ctx: &Context) -> DomainResult<Table> {
    let data: Vec<KeyKeyCount> = rows(
        &ctx.db,
        "SELECT marketing_source AS key, status AS key2, COUNT(*) AS n \
        FROM application WHERE submitted_at IS NOT NULL GROUP BY marketing_source, status"
            .to_owned(),
    )
    .await?;
    let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in data {
        let e = by
            .entry(r.key.unwrap_or_else(|| "unknown".into()))
            .or_default();
        e.0 += r.n;
        if r.key2.as_deref() == Some("accepted") {
            e.1 += r.n;
        }
    }
    let rows = by
        .into_iter()
        .map(|(k, (applied, accepted))| {
            vec![Cell::Text(k), Cell::Int(applied), Cell::Int(accepted)]
        })
        .collect();
    Ok(Table {
        name: "marketing-sources",
        title: "How applicants heard of the programme",
        columns: vec!["source", "applications", "accepted"],
        rows,
    })
}

async fn renewals(ctx: &Context) -> DomainResult<Table> {
    let due: Vec<KeyCount> = rows(&ctx.db, {
        let m = month(ctx, "expires_on");
        format!("SELECT {m} AS key, COUNT(*) AS n FROM certificate_period GROUP BY {m}")
    })
    .await?;
    let done: Vec<KeyCount> = rows(&ctx.db, {
        let m = month(ctx, "decided_at");
        format!(
            "SELECT {m} AS key, COUNT(*) AS n FROM renewal WHERE status = 'approved' GROUP BY {m}"
        )
    })
    .await?;
    let mut months: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in due {
        months.entry(r.key.unwrap_or_default()).or_default().0 += r.n;
    }
    for r in done {
        months.entry(r.key.unwrap_or_default()).or_default().1 += r.n;
    }
    let rows = months
        .into_iter()
        .map(|(m, (d, x))| vec![Cell::Text(m), Cell::Int(d), Cell::Int(x)])
        .collect();
    Ok(Table {
        name: "renewals",
        title: "Renewals due and done",
        columns: vec!["month", "due", "renewed"],
        rows,
    })
}

#[derive(Debug, FromQueryResult)]
struct Money {
    key: Option<String>,
    key2: Option<String>,
    cents: i64,
}

async fn revenue_by_year(ctx: &Context) -> DomainResult<BTreeMap<i32, [i64; 3]>> {
    let y = year(ctx, "paid_on");
    let data: Vec<Money> = rows(&ctx.db, format!(
        "SELECT {y} AS key, kind AS key2, CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) AS cents FROM payment GROUP BY {y}, kind"
    )).await?;
    let mut by: BTreeMap<i32, [i64; 3]> = BTreeMap::new();
    for r in data {
        let Some(year) = r.key.and_then(|k| k.parse::<i32>().ok()) else {
            continue;
        };
        let slot = match r.key2.as_deref() {
            Some("candidate_fee") => 0,
            Some("course_fee") => 1,
            _ => 2,
        };
        by.entry(year).or_default()[slot] += r.cents;
    }
    Ok(by)
}

async fn revenue(ctx: &Context) -> DomainResult<Table> {
    let rows = revenue_by_year(ctx)
        .await?
        .into_iter()
        .map(|(y, [c, p, r])| {
            vec![
                Cell::Int(i64::from(y)),
                Cell::Cents(c),
                Cell::Cents(p),
                Cell::Cents(r),
                Cell::Cents(c + p + r),
            ]
        })
        .collect();
    Ok(Table {
        name: "revenue",
        title: "Revenue by year and kind",
        columns: vec![
            "year",
            "candidate_fees",
            "provider_fees",
            "renewal_fees",
            "total",
        ],
        rows,
    })
}

/// The business plan's projection, with actual revenue and volumes beside it.
pub async fn business_plan_report(
    ctx: &Context,
    inputs: Option<PlanInputs>,
) -> DomainResult<Table> {
    let inputs = match inputs {
        Some(i) => i,
        None => saved_plan(ctx).await?,
    };
    let actual = revenue_by_year(ctx).await?;
    let y = year(ctx, "started_on");
    let candidates: Vec<KeyCount> = rows(
        &ctx.db,
        format!("SELECT {y} AS key, COUNT(*) AS n FROM candidacy GROUP BY {y}"),
    )
    .await?;
    let y2 = year(ctx, "a.starts_on");
    let courses: Vec<KeyCount> = rows(&ctx.db, format!(
        "SELECT {y2} AS key, COUNT(*) AS n FROM course_approval a JOIN course_submission s ON s.id = a.submission_id \
         WHERE s.kind = 'initial' GROUP BY {y2}"
    )).await?;
    let count_in = |v: &[KeyCount], year: i32| {
        v.iter()
            .filter(|r| r.key.as_deref() == Some(&year.to_string()))
            .map(|r| r.n)
            .sum::<i64>()
    };
    let rows = project(&inputs)
        .into_iter()
        .zip(inputs.years.iter())
        .map(|(p, i)| {
            let a = actual.get(&p.year).copied().unwrap_or_default();
            vec![
                Cell::Int(i64::from(p.year)),
                Cell::Int(i.candidates),
                Cell::Int(count_in(&candidates, p.year)),
                Cell::Int(i.courses),
                Cell::Int(count_in(&courses, p.year)),
                Cell::Cents(p.revenue_cents),
                Cell::Cents(a[0] + a[1] + a[2]),
                Cell::Cents(p.costs_cents),
                Cell::Cents(p.gain_cents),
            ]
        })
        .collect();
    Ok(Table {
        name: "business-plan",
        title: "Business plan: projected against actual",
        columns: vec![
            "year",
            "projected_candidates",
            "actual_candidates",
            "projected_courses",
            "actual_courses",
            "projected_revenue",
            "actual_revenue",
            "projected_costs",
            "projected_gain",
        ],
        rows,
    })
}

/// The saved plan named "current", or the 2009 spreadsheet's plan.
pub async fn saved_plan(ctx: &Context) -> DomainResult<PlanInputs> {
    let row = business_plan::Entity::find()
        .filter(business_plan::Column::Name.eq("current"))
        .one(&ctx.db)
        .await?;
    match row {
        Some(r) => serde_json::from_value(r.inputs).map_err(DomainError::internal),
        None => Ok(PlanInputs::seed_2009()),
    }
}

/// Saves the plan's inputs as the current plan. Program officers only.
pub async fn save_plan(
    ctx: &Context,
    actor: &Actor,
    inputs: PlanInputs,
) -> DomainResult<PlanInputs> {
    actor.require_officer()?;
    crate::rules::business_plan::check(&inputs)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let value = serde_json::to_value(&inputs).map_err(DomainError::internal)?;
    let existing = business_plan::Entity::find()
        .filter(business_plan::Column::Name.eq("current"))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|e| e.inputs.clone());
    let id = match existing {
        Some(e) => {
            let mut am: business_plan::ActiveModel = e.into();
            am.inputs = Set(value.clone());
            am.updated_at = Set(now);
            am.update(&txn).await?.id
        }
        None => {
            business_plan::ActiveModel {
                name: Set("current".into()),
                inputs: Set(value.clone()),
                created_by: Set(actor.account_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    let mut entry =
        crate::audit::AuditEntry::new("business_plan.save", "business_plan", id).after(value);
    if let Some(b) = before {
        entry = entry.before(b);
    }
    entry.write(&txn, actor, now).await?;
    txn.commit().await?;
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting_and_writes_money_as_dollars() {
        let t = Table {
            name: "t",
            title: "t",
            columns: vec!["a", "b"],
            rows: vec![
                vec![Cell::Text("x, \"y\"".into()), Cell::Cents(10_700_000)],
                vec![Cell::Empty, Cell::Cents(-5)],
            ],
        };
        assert_eq!(
            t.to_csv(),
            "a,b\r\n\"x, \"\"y\"\"\",107000.00\r\n,-0.05\r\n"
        );
    }

    #[test]
    fn csv_text_that_a_spreadsheet_would_run_is_made_plain_text() {
        let t = Table {
            name: "t",
            title: "t",
            columns: vec!["name", "amount", "n"],
            rows: vec![
                vec![
                    Cell::Text("=HYPERLINK(\"http://evil.example\",\"x\")".into()),
                    Cell::Cents(-5),
                    Cell::Int(-3),
                ],
                vec![Cell::Text("+1".into()), Cell::Num(-1.5), Cell::Empty],
                vec![Cell::Text("-2+3".into()), Cell::Empty, Cell::Empty],
                vec![Cell::Text("@SUM(A1)".into()), Cell::Empty, Cell::Empty],
                vec![Cell::Text("\t=1".into()), Cell::Empty, Cell::Empty],
                vec![Cell::Text("\r=1".into()), Cell::Empty, Cell::Empty],
                vec![
                    Cell::Text("Ada = Lovelace".into()),
                    Cell::Empty,
                    Cell::Empty,
                ],
            ],
        };
        assert_eq!(
            t.to_csv(),
            "name,amount,n\r\n\
             \"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",-0.05,-3\r\n\
             '+1,-1.50,\r\n\
             '-2+3,,\r\n\
             '@SUM(A1),,\r\n\
             '\t=1,,\r\n\
             \"'\r=1\",,\r\n\
             Ada = Lovelace,,\r\n"
        );
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(quantile(&v, 0.5), Some(5.0));
        assert_eq!(quantile(&v, 0.9), Some(9.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
