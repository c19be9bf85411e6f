//! Progress: where each candidate stands in each set (batched, so a page of candidates
//! costs a fixed number of queries), the staff's list of candidates, and the programme's
//! statistics.

use crate::actor::Actor;
use crate::context::Context;
use crate::error::{DomainError, DomainResult};
use crate::rules::certification::Standing;
use crate::rules::progress::{SetRecords, SetStatus, status};
use crate::services::catalogue::Catalogue;
use chrono::NaiveDate;
use entity::achievement::{self, AchievementMethod};
use entity::application::{self, MarketingSource};
use entity::candidacy::{self, CandidacyStatus};
use entity::course_completion::CompletionStatus;
use entity::portfolio::PortfolioStatus;
use sea_orm::ExprTrait;
use sea_orm::sea_query::{
    Asterisk, CommonTableExpression, Expr, JoinType, Query, UnionType, WithClause,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, Statement,
};
use std::collections::HashMap;

/// One set's progress for one candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetProgress {
    pub set_id: i64,
    pub required: bool,
    pub status: SetStatus,
    pub method: Option<AchievementMethod>,
    pub achieved_on: Option<NaiveDate>,
}

/// A candidate's standing in every set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub sets: Vec<SetProgress>,
    pub standing: Standing,
}

/// What progress is computed from, for one candidacy: only the columns the rule reads of
/// its achievements, course completions and portfolios.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressFacts {
    /// Achievements: set, method, day.
    pub achieved: Vec<(i64, AchievementMethod, NaiveDate)>,
    /// Course-completion evidence: set, status.
    pub completions: Vec<(i64, CompletionStatus)>,
    /// Portfolios: set, status.
    pub portfolios: Vec<(i64, PortfolioStatus)>,
}

/// One row of [`facts`]' statement: which table it came from (`kind`), the set, the
/// status or method, and the day of an achievement.
#[derive(Debug, FromQueryResult)]
struct FactRow {
    candidacy_id: i64,
    kind: i32,
    set_id: i64,
    state: String,
    day: Option<NaiveDate>,
}

const ACHIEVED: i32 = 0;
const COMPLETION: i32 = 1;
const PORTFOLIO: i32 = 2;

/// Which candidacies a statement of progress facts reads.
enum Whose<'a> {
    /// These candidacies.
    Ids(&'a [i64]),
    /// The one candidacy of the statement's `own` table (see [`own_candidacy_with_facts`]).
    Own,
}

/// The facts' statement: the three tables' few columns under `UNION ALL`.
fn facts_query(whose: &Whose<'_>) -> sea_orm::sea_query::SelectStatement {
    let branch = |table: &str, kind: i32, state: &str, day: &str| {
        let whose = match whose {
            Whose::Ids(ids) => Expr::col("candidacy_id").is_in(ids.iter().copied()),
            // A scalar subquery, so that PostgreSQL looks the facts up by index.
            Whose::Own => Expr::col("candidacy_id").eq(Expr::cust(r#"(SELECT "id" FROM "own")"#)),
        };
        Query::select()
            .column("candidacy_id")
            .expr_as(Expr::cust(kind.to_string()), "kind")
            .column("set_id")
            .expr_as(Expr::col(state.to_owned()), "state")
            .expr_as(Expr::cust(day.to_owned()), "day")
            .from(table.to_owned())
            .and_where(whose)
            .to_owned()
    };
    branch("achievement", ACHIEVED, "method", "achieved_on")
        .union(
            UnionType::All,
            branch("course_completion", COMPLETION, "status", "NULL"),
        )
        .union(
            UnionType::All,
            branch("portfolio", PORTFOLIO, "status", "NULL"),
        )
        .to_owned()
}

/// Adds one fact row to `facts`.
fn add_fact(facts: &mut ProgressFacts, row: &FactRow) -> DomainResult<()> {
    let unknown = |what: &str| {
        DomainError::bug(format!(
            "unknown {what} {:?} for candidacy {}",
            row.state, row.candidacy_id
        ))
    };
    match row.kind {
        ACHIEVED => {
            let method = AchievementMethod::try_from_value(&row.state)
                .map_err(|_| unknown("achievement method"))?;
            let day = row
                .day
                .ok_or_else(|| unknown("achievement without a day"))?;
            facts.achieved.push((row.set_id, method, day));
        }
        COMPLETION => facts.completions.push((
            row.set_id,
            CompletionStatus::try_from_value(&row.state)
                .map_err(|_| unknown("completion status"))?,
        )),
        _ => facts.portfolios.push((
            row.set_id,
            PortfolioStatus::try_from_value(&row.state).map_err(|_| unknown("portfolio status"))?,
        )),
    }
    Ok(())
}

/// Reads the progress facts of `candidacy_ids` in one statement, so that one candidate's
/// progress, or a page's, costs one round trip instead of three. Every id asked for has
/// an entry, empty if it has no rows.
pub async fn facts<C: ConnectionTrait>(
    db: &C,
    candidacy_ids: &[i64],
) -> DomainResult<HashMap<i64, ProgressFacts>> {
    let mut out: HashMap<i64, ProgressFacts> = candidacy_ids
        .iter()
        .map(|id| (*id, ProgressFacts::default()))
        .collect();
    if candidacy_ids.is_empty() {
        return Ok(out);
    }
    let query = facts_query(&Whose::Ids(candidacy_ids));
    let rows = FactRow::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    for row in rows {
        add_fact(out.entry(row.candidacy_id).or_default(), &row)?;
    }
    Ok(out)
}

/// The actor's own candidacy (their latest, as [`evidence::own_candidacy`]) and its
/// progress facts, in one statement: the candidacy's row beside each of its facts, or
/// alone when it has none. A candidate's own progress is then the session
/// and this, where the candidacy and its facts were two statements.
///
/// [`evidence::own_candidacy`]: crate::services::evidence::own_candidacy
pub async fn own_candidacy_with_facts<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> DomainResult<(candidacy::Model, ProgressFacts)> {
    let account = actor.viewer()?.account_id;
    // The account's latest candidacy, the one it is judged by, as `own`; the facts are
    // looked up by its id, and joined to it so that a candidacy without facts is a row.
    let own = Query::select()
        .column(Asterisk)
        .from(candidacy::Entity)
        .and_where(Expr::col(candidacy::Column::AccountId).eq(account))
        .order_by(candidacy::Column::Id, sea_orm::Order::Desc)
        .limit(1)
        .to_owned();
    let query = Query::select()
        .column(("own", Asterisk))
        .expr_as(Expr::col(("f", "kind")), "fact_kind")
        .expr_as(Expr::col(("f", "set_id")), "fact_set_id")
        .expr_as(Expr::col(("f", "state")), "fact_state")
        .expr_as(Expr::col(("f", "day")), "fact_day")
        .from("own")
        .join_subquery(
            JoinType::LeftJoin,
            facts_query(&Whose::Own),
            "f",
            Expr::col(("f", "candidacy_id")).equals(("own", "id")),
        )
        .to_owned()
        .with(
            WithClause::new()
                .cte(
                    CommonTableExpression::new()
                        .query(own)
                        .table_name("own")
                        .to_owned(),
                )
                .to_owned(),
        );
    let rows = db.query_all(&query).await?;
    let Some(first) = rows.first() else {
        return Err(crate::services::evidence::not_a_candidate());
    };
    let candidacy = candidacy::Model::from_query_result(first, "")?;
    let mut facts = ProgressFacts::default();
    for row in &rows {
        let Some(kind) = row.try_get::<Option<i32>>("", "fact_kind")? else {
            continue;
        };
        let fact = FactRow {
            candidacy_id: candidacy.id,
            kind,
            set_id: row.try_get("", "fact_set_id")?,
            state: row.try_get("", "fact_state")?,
            day: row.try_get("", "fact_day")?,
        };
        add_fact(&mut facts, &fact)?;
    }
    Ok((candidacy, facts))
}

/// Computes one candidacy's progress from its facts.
pub fn progress_of(
    catalogue: &Catalogue,
    electives_needed: u32,
    facts: &ProgressFacts,
) -> Progress {
    let sets: Vec<SetProgress> = catalogue
        .sets
        .iter()
        .map(|entry| {
            let id = entry.set.id;
            let achieved = facts
                .achieved
                .iter()
                .find(|a| a.0 == id)
                .map(|&(_, method, on)| (method, on));
            let records = SetRecords {
                achieved,
                completions: facts
                    .completions
                    .iter()
                    .filter(|c| c.0 == id)
                    .map(|c| c.1)
                    .collect(),
                portfolio: facts.portfolios.iter().find(|p| p.0 == id).map(|p| p.1),
            };
            SetProgress {
                set_id: id,
                required: entry.set.required,
                status: status(&records),
                method: achieved.map(|a| a.0),
                achieved_on: achieved.map(|a| a.1),
            }
        })
        .collect();
    let flags: Vec<bool> = sets
        .iter()
        .filter(|s| s.status == SetStatus::Achieved)
        .map(|s| s.required)
        .collect();
    let required_total = catalogue.sets.iter().filter(|s| s.set.required).count() as u32;
    Progress {
        standing: Standing::of(&flags, required_total, electives_needed),
        sets,
    }
}

/// How the staff's list of candidates is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CandidateSort {
    /// Most recently accepted first.
    #[default]
    Newest,
    /// Nearest deadline first.
    DeadlineSoonest,
    /// By family name, then given name.
    Name,
}

/// Filters of the staff's list of candidates; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct CandidateFilter {
    pub status: Option<CandidacyStatus>,
    /// Candidates who achieved this set.
    pub set_achieved: Option<i64>,
    /// Candidates who have not achieved this set.
    pub set_missing: Option<i64>,
    pub deadline_before: Option<NaiveDate>,
    /// The state of the candidate's address.
    pub state: Option<String>,
    pub marketing_source: Option<MarketingSource>,
    /// Words in the candidate's name or email.
    pub search: Option<String>,
}

/// Candidates for staff: a page of candidacies, filtered and sorted. Pages are by offset,
/// since most orders are not by id.
pub async fn candidates(
    ctx: &Context,
    actor: &Actor,
    filter: &CandidateFilter,
    sort: CandidateSort,
    offset: u64,
    limit: u64,
) -> DomainResult<Vec<candidacy::Model>> {
    actor.require_staff()?;
    let mut q = candidacy::Entity::find().join(
        sea_orm::JoinType::InnerJoin,
        candidacy::Relation::Application.def(),
    );
    if let Some(s) = filter.status {
        q = q.filter(candidacy::Column::Status.eq(s));
    }
    let achieved_set = |set_id: i64| {
        Query::select()
            .column(achievement::Column::CandidacyId)
            .from(achievement::Entity)
            .and_where(Expr::col(achievement::Column::SetId).eq(set_id))
            .to_owned()
    };
    if let Some(set_id) = filter.set_achieved {
        q = q.filter(candidacy::Column::Id.in_subquery(achieved_set(set_id)));
    }
    if let Some(set_id) = filter.set_missing {
        q = q.filter(candidacy::Column::Id.not_in_subquery(achieved_set(set_id)));
    }
    if let Some(d) = filter.deadline_before {
        q = q.filter(candidacy::Column::DeadlineOn.lt(d));
    }
    if let Some(state) = filter
        .state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        q = q.filter(application::Column::State.eq(state.to_uppercase()));
    }
    if let Some(source) = filter.marketing_source {
        q = q.filter(application::Column::MarketingSource.eq(source));
    }
    if let Some(s) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        use crate::services::search::contains;
        q = q.filter(
            sea_orm::Condition::any()
                .add(contains(application::Column::GivenName, s))
                .add(contains(application::Column::FamilyName, s))
                .add(contains(application::Column::Email, s)),
        );
    }
    q = match sort {
        CandidateSort::Newest => q.order_by_desc(candidacy::Column::Id),
        CandidateSort::DeadlineSoonest => q
            .order_by_asc(candidacy::Column::DeadlineOn)
            .order_by_asc(candidacy::Column::Id),
        CandidateSort::Name => q
            .order_by_asc(application::Column::FamilyName)
            .order_by_asc(application::Column::GivenName)
            .order_by_asc(candidacy::Column::Id),
    };
    Ok(q.offset(offset).limit(limit).all(&ctx.db).await?)
}

/// The programme's funnel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Applications submitted.
    pub applied: i64,
    /// Applications found eligible (including those since accepted).
    pub eligible: i64,
    /// Candidacies started.
    pub accepted: i64,
    pub certified: i64,
    pub lapsed: i64,
}

/// Achievements of one set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetCount {
    pub set_id: i64,
    pub total: i64,
    pub by_course: i64,
    pub by_portfolio: i64,
}

/// One month of the programme's activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    pub applications: i64,
    pub acceptances: i64,
    pub achievements: i64,
    pub certificates: i64,
}

/// Everything the statistics page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statistics {
    pub funnel: Funnel,
    pub per_set: Vec<SetCount>,
    pub monthly: Vec<Month>,
}

/// `YYYY-MM` of a date or timestamp column, in the database's dialect.
pub fn month_sql(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
        // SQLite keeps dates and timestamps as ISO text.
        _ => format!("substr({column}, 1, 7)"),
    }
}

#[derive(Debug, FromQueryResult)]
struct Counted {
    key: String,
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct SetMethodCount {
    set_id: i64,
    method: String,
    n: i64,
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

async fn by_month<C: ConnectionTrait>(
    db: &C,
    table: &str,
    column: &str,
) -> DomainResult<Vec<Counted>> {
    let backend = db.get_database_backend();
    let month = month_sql(backend, column);
    let sql = format!(
        "SELECT {month} AS key, COUNT(*) AS n FROM {table} WHERE {column} IS NOT NULL GROUP BY {month} ORDER BY 1"
    );
    Ok(
        Counted::find_by_statement(Statement::from_string(backend, sql))
            .all(db)
            .await?,
    )
}

/// The funnel, achievements per set and method, and monthly series. Staff only.
pub async fn statistics(ctx: &Context, actor: &Actor) -> DomainResult<Statistics> {
    actor.require_staff()?;
    let db = &ctx.db;
    let funnel = Funnel {
        applied: scalar(
            db,
            "SELECT COUNT(*) FROM application WHERE submitted_at IS NOT NULL",
        )
        .await?,
        eligible: scalar(
            db,
            "SELECT COUNT(*) FROM application WHERE status IN ('eligible', 'accepted')",
        )
        .await?,
        accepted: scalar(db, "SELECT COUNT(*) FROM candidacy").await?,
        certified: scalar(db, "SELECT COUNT(*) FROM certificate").await?,
        lapsed: scalar(db, "SELECT COUNT(*) FROM candidacy WHERE status = 'lapsed'").await?,
    };
    let rows = SetMethodCount::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT set_id, method, COUNT(*) AS n FROM achievement GROUP BY set_id, method".to_owned(),
    ))
    .all(db)
    .await?;
    let catalogue = crate::services::catalogue::get(ctx).await?;
    let per_set = catalogue
        .sets
        .iter()
        .map(|s| {
            let of = |m: &str| {
                rows.iter()
                    .filter(|r| r.set_id == s.set.id && r.method == m)
                    .map(|r| r.n)
                    .sum::<i64>()
            };
            let (by_course, by_portfolio) = (of("course"), of("portfolio"));
            SetCount {
                set_id: s.set.id,
                total: by_course + by_portfolio,
                by_course,
                by_portfolio,
            }
        })
        .collect();
    let mut months: std::collections::BTreeMap<String, Month> = std::collections::BTreeMap::new();
    let series = [
        ("application", "submitted_at"),
        ("candidacy", "started_on"),
        ("achievement", "achieved_on"),
        ("certificate", "issued_on"),
    ];
    for (i, (table, column)) in series.iter().enumerate() {
        for row in by_month(db, table, column).await? {
            let m = months.entry(row.key.clone()).or_insert_with(|| Month {
                month: row.key.clone(),
                ..Default::default()
            });
            match i {
                0 => m.applications = row.n,
                1 => m.acceptances = row.n,
                2 => m.achievements = row.n,
                _ => m.certificates = row.n,
            }
        }
    }
    Ok(Statistics {
        funnel,
        per_set,
        monthly: months.into_values().collect(),
    })
}
