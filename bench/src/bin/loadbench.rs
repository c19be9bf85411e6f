//! `loadbench`: an open-loop load tester over HTTP on loopback for the five benchmark
//! queries of issue 7, against the GraphQL API, the raw-SQL floor and PostGraphile 4.14.
//!
//! ```sh
//! # the floor: one SQL statement per query, in its own process so its CPU time is its own
//! DATABASE_URL=postgres://postgres@127.0.0.1/lsscp_bench ./target/release/loadbench floor --bind 127.0.0.1:8301 &
//! # the API, on the same database
//! DATABASE_URL=postgres://postgres@127.0.0.1/lsscp_bench MIGRATE_ON_START=false PORT=8300 ./target/release/lsscp api &
//! # PostGraphile (bench/postgraphile, `npm ci` once)
//! DATABASE_URL=postgres://postgres@127.0.0.1/lsscp_bench PORT=8302 node bench/postgraphile/server.js &
//! # the run
//! DATABASE_URL=postgres://postgres@127.0.0.1/lsscp_bench ./target/release/loadbench run \
//!     --api http://127.0.0.1:8300/graphql --floor http://127.0.0.1:8301 \
//!     --postgraphile http://127.0.0.1:8302/graphql \
//!     --api-pid <pid> --floor-pid <pid> --postgraphile-pid <pid> \
//!     --csv bench/results/queries.csv --markdown bench/results/queries.md
//! ```

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bench::postgraphile;
use clap::{Args, Parser, Subcommand};
use sea_orm::sqlx::{AssertSqlSafe, PgPool};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    about = "Open-loop load test of the benchmark queries: the GraphQL API against the raw-SQL floor and PostGraphile."
)]
struct Cli {
    #[arg(long, env = "DATABASE_URL", global = true, default_value = "")]
    database_url: String,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Serves the floor: `GET /q/{1..5}?p=<parameter>` answers with one SQL statement.
    Floor {
        #[arg(long, default_value = "127.0.0.1:8100")]
        bind: String,
    },
    /// Checks that every server gives the API's answers, then, per query and server, searches
    /// the highest rate with p99 under the target and measures the fixed rates.
    Run(RunArgs),
    /// Counts the SQL statements each query costs each server, with pg_stat_statements: run
    /// each server as its own database role (e.g. the API with `DATABASE_URL=postgres://root@…`,
    /// PostGraphile with `postgres://pgql@…`), so that only its statements are counted.
    Statements(StatementsArgs),
}

#[derive(Args, Debug)]
struct RunArgs {
    #[arg(long, default_value = "http://127.0.0.1:8000/graphql")]
    api: String,
    #[arg(long, default_value = "http://127.0.0.1:8100")]
    floor: String,
    /// PostGraphile's GraphQL endpoint (`bench/postgraphile/server.js`); left out if absent.
    #[arg(long)]
    postgraphile: Option<String>,
    /// Fixed rates (requests per second) to offer after the search, each for `--secs`;
    /// a rate above twice a server's max is skipped for it.
    #[arg(long, value_delimiter = ',', default_value = "10,25,50,100,200,400")]
    rates: Vec<f64>,
    /// Measured seconds of each step.
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    /// Seconds at the step's rate before the measured ones, not counted.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// The latency target of the search: p99 under this many milliseconds.
    #[arg(long, default_value_t = 50.0)]
    p99_ms: f64,
    /// The search's first rate; it doubles while the target is met.
    #[arg(long, default_value_t = 10.0)]
    search_from: f64,
    /// If the first rate misses the target the search halves it, down to this rate.
    #[arg(long, default_value_t = 1.0)]
    search_min: f64,
    /// The search stops doubling above this rate.
    #[arg(long, default_value_t = 10000.0)]
    search_max: f64,
    /// Bisection steps between the last good and the first bad rate.
    #[arg(long, default_value_t = 3)]
    bisect_steps: u32,
    /// The API process, to read its CPU time.
    #[arg(long)]
    api_pid: Option<u32>,
    /// The floor process, to read its CPU time.
    #[arg(long)]
    floor_pid: Option<u32>,
    /// The PostGraphile (node) process, to read its CPU time.
    #[arg(long)]
    postgraphile_pid: Option<u32>,
    /// Only these queries (1..5).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
    queries: Vec<u8>,
    /// One row per step.
    #[arg(long, default_value = "loadbench.csv")]
    csv: PathBuf,
    /// The summary table and the documents sent, as a markdown fragment.
    #[arg(long, default_value = "bench/results/queries.md")]
    markdown: PathBuf,
}

#[derive(Args, Debug)]
struct StatementsArgs {
    #[arg(long, default_value = "http://127.0.0.1:8000/graphql")]
    api: String,
    /// The database role the API connects as.
    #[arg(long, default_value = "root")]
    api_role: String,
    /// PostGraphile's GraphQL endpoint, to count its statements too.
    #[arg(long)]
    postgraphile: Option<String>,
    /// The database role PostGraphile connects as.
    #[arg(long, default_value = "pgql")]
    postgraphile_role: String,
    /// The floor, to count its statements too (1 per request by construction).
    #[arg(long)]
    floor: Option<String>,
    /// The database role the floor connects as.
    #[arg(long, default_value = "pgfloor")]
    floor_role: String,
    /// Requests per query; the count is their average.
    #[arg(long, default_value_t = 20)]
    requests: u32,
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
    queries: Vec<u8>,
    #[arg(long, default_value = "bench/results/statements.md")]
    markdown: PathBuf,
}

const PROGRESS_SETS: &str = "sets { competencySet { code } required status method achievedOn }";

/// The GraphQL text of query `n`, and which actor asks it.
fn graphql(n: u8, set_code: &str) -> (String, Actor) {
    match n {
        1 => (
            format!("{{ myCandidacy {{ number status progress {{ {PROGRESS_SETS} }} }} }}"),
            Actor::Candidate,
        ),
        2 => (
            format!(
                "{{ candidates(first: 50, order: NEWEST, filter: {{ status: ACTIVE }}) {{ nodes {{ number status progress {{ {PROGRESS_SETS} }} }} }} }}"
            ),
            Actor::Officer,
        ),
        3 => (
            "{ programmeStatistics { funnel { applied eligible accepted certified lapsed } achievementsPerSet { competencySet { code } total byCourse byPortfolio } monthly { month applications acceptances achievements certificates } } }".to_owned(),
            Actor::Officer,
        ),
        4 => (
            "{ myReviews { id status dueOn candidatePseudonym roundNumber competencySet { code } } }"
                .to_owned(),
            Actor::Evaluator,
        ),
        _ => (
            format!(
                "{{ approvedCourses(filter: {{ setCode: \"{set_code}\" }}, first: 50) {{ nodes {{ id competencySet {{ code }} provider {{ id name }} approval {{ startsOn expiresOn }} }} }} }}"
            ),
            Actor::Public,
        ),
    }
}

/// One candidacy's progress as JSON, for the floor's Q1 and Q2; `c` is the candidacy row.
/// The status rule is the domain's (`domain::rules::progress::status`).
const FLOOR_PROGRESS: &str = r#"json_build_object('sets', (
    SELECT json_agg(json_build_object(
        'competencySet', json_build_object('code', s.code),
        'required', s.required,
        'status', CASE
            WHEN a.method IS NOT NULL THEN 'ACHIEVED'
            WHEN cc.submitted OR p.status = 'under_review' THEN 'UNDER_REVIEW'
            WHEN cc.any OR p.status IN ('draft', 'revision_requested') THEN 'IN_PROGRESS'
            ELSE 'NOT_STARTED' END,
        'method', upper(a.method),
        'achievedOn', a.achieved_on) ORDER BY s.position)
    FROM competency_set s
    LEFT JOIN LATERAL (SELECT method, achieved_on FROM achievement
        WHERE candidacy_id = c.id AND set_id = s.id ORDER BY id LIMIT 1) a ON TRUE
    LEFT JOIN LATERAL (SELECT status FROM portfolio
        WHERE candidacy_id = c.id AND set_id = s.id ORDER BY id LIMIT 1) p ON TRUE
    LEFT JOIN LATERAL (SELECT bool_or(status = 'submitted') AS submitted, COUNT(*) > 0 AS any
        FROM course_completion WHERE candidacy_id = c.id AND set_id = s.id) cc ON TRUE))"#;

/// The floor's one statement for query `n`; `$1` is its parameter.
fn floor_sql(n: u8) -> String {
    match n {
        1 => format!(
            "SELECT json_build_object('data', json_build_object('myCandidacy', json_build_object(
                'number', c.number, 'status', upper(c.status), 'progress', {FLOOR_PROGRESS})))::text
             FROM candidacy c WHERE c.id = $1::bigint"
        ),
        2 => format!(
            "SELECT json_build_object('data', json_build_object('candidates', json_build_object('nodes',
                COALESCE(json_agg(json_build_object('number', c.number, 'status', upper(c.status),
                    'progress', {FLOOR_PROGRESS}) ORDER BY c.id DESC), '[]'))))::text
             FROM (SELECT * FROM candidacy WHERE status = 'active' AND $1::text IS NOT NULL
                   ORDER BY id DESC LIMIT 50) c"
        ),
        3 => "WITH months AS (
                SELECT to_char(submitted_at, 'YYYY-MM') AS m, 1 AS i FROM application WHERE submitted_at IS NOT NULL
                UNION ALL SELECT to_char(started_on, 'YYYY-MM'), 2 FROM candidacy WHERE started_on IS NOT NULL
                UNION ALL SELECT to_char(achieved_on, 'YYYY-MM'), 3 FROM achievement WHERE achieved_on IS NOT NULL
                UNION ALL SELECT to_char(issued_on, 'YYYY-MM'), 4 FROM certificate WHERE issued_on IS NOT NULL)
            SELECT json_build_object('data', json_build_object('programmeStatistics', json_build_object(
                'funnel', json_build_object(
                    'applied', (SELECT COUNT(*) FROM application WHERE submitted_at IS NOT NULL),
                    'eligible', (SELECT COUNT(*) FROM application WHERE status IN ('eligible', 'accepted')),
                    'accepted', (SELECT COUNT(*) FROM candidacy),
                    'certified', (SELECT COUNT(*) FROM certificate),
                    'lapsed', (SELECT COUNT(*) FROM candidacy WHERE status = 'lapsed')),
                'achievementsPerSet', (SELECT json_agg(json_build_object(
                        'competencySet', json_build_object('code', s.code),
                        'total', COALESCE(x.course, 0) + COALESCE(x.portfolio, 0),
                        'byCourse', COALESCE(x.course, 0), 'byPortfolio', COALESCE(x.portfolio, 0))
                        ORDER BY s.position)
                    FROM competency_set s LEFT JOIN (
                        SELECT set_id, COUNT(*) FILTER (WHERE method = 'course') AS course,
                               COUNT(*) FILTER (WHERE method = 'portfolio') AS portfolio
                        FROM achievement GROUP BY set_id) x ON x.set_id = s.id),
                'monthly', (SELECT json_agg(json_build_object('month', m,
                        'applications', a, 'acceptances', b, 'achievements', c,
                        'certificates', d) ORDER BY m)
                    FROM (SELECT m, COUNT(*) FILTER (WHERE i = 1) AS a,
                                 COUNT(*) FILTER (WHERE i = 2) AS b,
                                 COUNT(*) FILTER (WHERE i = 3) AS c,
                                 COUNT(*) FILTER (WHERE i = 4) AS d
                          FROM months GROUP BY m) mm))))::text
            WHERE $1::text IS NOT NULL"
            .to_owned(),
        4 => "SELECT json_build_object('data', json_build_object('myReviews', COALESCE(json_agg(json_build_object(
                'id', r.id::text, 'status', upper(r.status), 'dueOn', r.due_on,
                'candidatePseudonym', c.pseudonym, 'roundNumber', rr.number,
                'competencySet', json_build_object('code', s.code)) ORDER BY r.id DESC), '[]')))::text
             FROM (SELECT * FROM review WHERE evaluator_id = $1::bigint AND status = 'assigned'
                   ORDER BY id DESC LIMIT 200) r
             JOIN review_round rr ON rr.id = r.round_id
             JOIN portfolio p ON p.id = rr.portfolio_id
             JOIN candidacy c ON c.id = p.candidacy_id
             JOIN competency_set s ON s.id = p.set_id"
            .to_owned(),
        _ => "SELECT json_build_object('data', json_build_object('approvedCourses', json_build_object('nodes',
                COALESCE(json_agg(json_build_object(
                    'id', a.course_id::text, 'competencySet', json_build_object('code', s.code),
                    'provider', json_build_object('id', pr.id::text, 'name', pr.name),
                    'approval', json_build_object('startsOn', a.starts_on, 'expiresOn', a.expires_on))
                    ORDER BY a.course_id DESC), '[]'))))::text
             FROM (SELECT ca.* FROM course_approval ca JOIN course co ON co.id = ca.course_id
                   WHERE ca.starts_on <= CURRENT_DATE AND ca.expires_on > CURRENT_DATE
                     AND co.set_id = (SELECT id FROM competency_set WHERE code = $1)
                   ORDER BY ca.course_id DESC LIMIT 50) a
             JOIN course co ON co.id = a.course_id
             JOIN competency_set s ON s.id = co.set_id
             JOIN provider pr ON pr.id = co.provider_id"
            .to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Actor {
    Candidate,
    Officer,
    Evaluator,
    Public,
}

/// Who asks, and the parameters of the floor's statements and PostGraphile's documents.
struct Fixture {
    tokens: HashMap<Actor, String>,
    candidacy_id: i64,
    evaluator_id: i64,
    set_code: String,
    /// The database's `CURRENT_DATE`, which the floor's Q5 uses and PostGraphile is sent.
    today: String,
}

impl Fixture {
    fn postgraphile(&self) -> postgraphile::Params {
        postgraphile::Params {
            candidacy_id: self.candidacy_id,
            evaluator_id: self.evaluator_id,
            set_code: self.set_code.clone(),
            today: self.today.clone(),
        }
    }
}

async fn one_i64(db: &DatabaseConnection, sql: &str) -> Result<i64, String> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .map_err(|e| format!("{sql}: {e}"))?
        .ok_or_else(|| format!("no row: {sql}"))?;
    row.try_get_by_index(0).map_err(|e| e.to_string())
}

/// Picks the actors from the generated data and opens a session for each (replacing the
/// benchmark's sessions of an earlier run), valid for a day from now.
async fn fixture(db: &DatabaseConnection) -> Result<Fixture, String> {
    // The active candidate with the most records, so Q1 is not a trivially empty graph.
    let candidacy_id = one_i64(
        db,
        "SELECT c.id FROM candidacy c WHERE c.status = 'active'
         ORDER BY (SELECT COUNT(*) FROM achievement a WHERE a.candidacy_id = c.id) DESC, c.id LIMIT 1",
    )
    .await?;
    let candidate_account = one_i64(
        db,
        &format!("SELECT account_id FROM candidacy WHERE id = {candidacy_id}"),
    )
    .await?;
    let evaluator_id = one_i64(
        db,
        "SELECT evaluator_id FROM review WHERE status = 'assigned'
         GROUP BY evaluator_id ORDER BY COUNT(*) DESC, evaluator_id LIMIT 1",
    )
    .await?;
    let evaluator_account = one_i64(
        db,
        &format!("SELECT account_id FROM evaluator WHERE id = {evaluator_id}"),
    )
    .await?;
    let officer_account = one_i64(
        db,
        "SELECT account_id FROM account_role WHERE role = 'program_officer' ORDER BY account_id LIMIT 1",
    )
    .await?;
    let set_code = {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT s.code FROM competency_set s JOIN course co ON co.set_id = s.id
                 JOIN course_approval ca ON ca.course_id = co.id
                 WHERE ca.starts_on <= CURRENT_DATE AND ca.expires_on > CURRENT_DATE
                 GROUP BY s.code ORDER BY COUNT(*) DESC, s.code LIMIT 1"
                    .to_owned(),
            ))
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no course is approved today")?;
        row.try_get_by_index::<String>(0)
            .map_err(|e| e.to_string())?
    };
    let mut tokens = HashMap::new();
    for (actor, account) in [
        (Actor::Candidate, candidate_account),
        (Actor::Officer, officer_account),
        (Actor::Evaluator, evaluator_account),
    ] {
        let token = format!("loadbench-{actor:?}-{account}").to_lowercase();
        let hash = bench::token_hash(&token);
        db.execute_unprepared(&format!("DELETE FROM session WHERE token_hash = '{hash}'"))
            .await
            .map_err(|e| e.to_string())?;
        db.execute_unprepared(&format!(
            "INSERT INTO session (account_id, token_hash, created_at, expires_at, last_seen_at)
             VALUES ({account}, '{hash}', now(), now() + interval '1 day', now())"
        ))
        .await
        .map_err(|e| e.to_string())?;
        tokens.insert(actor, token);
    }
    let today = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT CURRENT_DATE::text".to_owned(),
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no CURRENT_DATE")?
        .try_get_by_index::<String>(0)
        .map_err(|e| e.to_string())?;
    Ok(Fixture {
        tokens,
        candidacy_id,
        evaluator_id,
        set_code,
        today,
    })
}

fn floor_param(n: u8, f: &Fixture) -> String {
    match n {
        1 => f.candidacy_id.to_string(),
        4 => f.evaluator_id.to_string(),
        5 => f.set_code.clone(),
        _ => String::new(),
    }
}

#[derive(Clone)]
struct FloorState {
    pool: PgPool,
    sql: std::sync::Arc<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct FloorParams {
    #[serde(default)]
    p: String,
}

async fn floor_handler(
    State(st): State<FloorState>,
    Path(n): Path<u8>,
    Query(q): Query<FloorParams>,
) -> Response {
    let Some(sql) = st.sql.get(usize::from(n).wrapping_sub(1)) else {
        return (StatusCode::NOT_FOUND, "no such query").into_response();
    };
    // The statements are this file's constants; the caller's input only ever goes in as
    // the bound parameter.
    match sea_orm::sqlx::query_scalar::<_, String>(AssertSqlSafe(sql.as_str()))
        .bind(q.p)
        .fetch_one(&st.pool)
        .await
    {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "errors": [{ "message": e.to_string() }] }).to_string(),
        )
            .into_response(),
    }
}

async fn serve_floor(db: &DatabaseConnection, bind: &str) -> Result<(), String> {
    let st = FloorState {
        pool: db.get_postgres_connection_pool().clone(),
        sql: std::sync::Arc::new((1..=5).map(floor_sql).collect()),
    };
    let app = Router::new()
        .route("/q/{n}", get(floor_handler))
        .with_state(st);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("{bind}: {e}"))?;
    println!("floor on http://{bind}/q/{{1..5}}");
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

/// One prepared request: everything but the sending.
#[derive(Clone)]
enum Target {
    Api {
        url: String,
        token: Option<String>,
        body: String,
    },
    Floor {
        url: String,
    },
    /// A POST of [`postgraphile::body`], without credentials: PostGraphile authenticates no one.
    PostGraphile {
        url: String,
        body: String,
    },
}

impl Target {
    async fn send(&self, client: &reqwest::Client) -> Result<Value, String> {
        let post = |url: &str, body: &str| {
            client
                .post(url)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_owned())
        };
        let req = match self {
            Target::Api { url, token, body } => {
                let mut r = post(url, body);
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                r
            }
            Target::Floor { url } => client.get(url),
            Target::PostGraphile { url, body } => post(url, body),
        };
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let v: Value = resp.json().await.map_err(|e| e.to_string())?;
        if !status.is_success() || v.get("errors").is_some() || v.get("data").is_none() {
            return Err(format!("{status}: {v}"));
        }
        Ok(v)
    }
}

/// The servers under test, in the order each step runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Api,
    Floor,
    PostGraphile,
}

impl Server {
    /// Its name in the CSV.
    fn id(self) -> &'static str {
        match self {
            Server::Api => "api",
            Server::Floor => "floor",
            Server::PostGraphile => "postgraphile",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Server::Api => "API",
            Server::Floor => "floor",
            Server::PostGraphile => "PostGraphile",
        }
    }
}

const QUERY_NAMES: [&str; 5] = [
    "one candidate's progress",
    "50 candidates with progress",
    "programme statistics",
    "an evaluator's queue",
    "approved courses of a set",
];

fn query_name(n: u8) -> &'static str {
    QUERY_NAMES
        .get(usize::from(n).wrapping_sub(1))
        .copied()
        .unwrap_or("?")
}

/// Where each server listens (PostGraphile optional).
struct Urls<'a> {
    api: &'a str,
    floor: Option<&'a str>,
    postgraphile: Option<&'a str>,
}

/// The requests of query `n` for each server given, with what is sent, for the report.
fn prepare(n: u8, fx: &Fixture, urls: &Urls) -> Vec<(Server, Target, String)> {
    let (text, actor) = graphql(n, &fx.set_code);
    let mut out = vec![(
        Server::Api,
        Target::Api {
            url: urls.api.to_owned(),
            token: fx.tokens.get(&actor).cloned(),
            body: json!({ "query": text }).to_string(),
        },
        format!(
            "`{text}` ({})",
            match actor {
                Actor::Public => "no session".to_owned(),
                a => format!("{a:?} session").to_lowercase(),
            }
        ),
    )];
    if let Some(floor) = urls.floor {
        let path = format!("/q/{n}?p={}", floor_param(n, fx));
        out.push((
            Server::Floor,
            Target::Floor {
                url: format!("{floor}{path}"),
            },
            format!("`GET {path}` (no GraphQL: one SQL statement, `floor_sql({n})` in `bench/src/bin/loadbench.rs`)"),
        ));
    }
    if let Some(pg) = urls.postgraphile {
        let p = fx.postgraphile();
        out.push((
            Server::PostGraphile,
            Target::PostGraphile {
                url: pg.to_owned(),
                body: postgraphile::body(n, &p),
            },
            format!(
                "`{}` variables `{}`",
                postgraphile::document(n),
                postgraphile::variables(n, &p)
            ),
        ));
    }
    out
}

/// Asks every server query `n` once and checks that all give the API's answer
/// (PostGraphile's once normalised), without `errors`; on a difference the answers are
/// written to `dir` for inspection.
async fn golden(
    client: &reqwest::Client,
    n: u8,
    targets: &[(Server, Target, String)],
    dir: &std::path::Path,
) -> Result<(), String> {
    let mut answers = Vec::new();
    let mut sizes = Vec::new();
    for (server, target, _) in targets {
        let v = target
            .send(client)
            .await
            .map_err(|e| format!("Q{n} {}: {e}", server.label()))?;
        sizes.push(format!("{} {} bytes", server.label(), v.to_string().len()));
        let v = if *server == Server::PostGraphile {
            postgraphile::normalise(n, &v)
                .map_err(|e| format!("Q{n} PostGraphile: cannot normalise its answer: {e}"))?
        } else {
            v
        };
        answers.push((*server, v));
    }
    let (_, api) = &answers[0];
    for (server, v) in &answers[1..] {
        if canonical(v) != canonical(api) {
            let a = dir.join(format!("q{n}-api.json"));
            let b = dir.join(format!("q{n}-{}.json", server.id()));
            let _ = std::fs::write(&a, api.to_string());
            let _ = std::fs::write(&b, v.to_string());
            return Err(format!(
                "Q{n}: the {} answer differs from the API's ({} and {}); nothing was timed",
                server.label(),
                a.display(),
                b.display()
            ));
        }
    }
    println!("Q{n}: {}; identical answers", sizes.join(", "));
    Ok(())
}

/// Creates pg_stat_statements in this database if it is not there yet.
async fn stat_statements(db: &DatabaseConnection) -> Result<(), String> {
    db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .await
        .map(|_| ())
        .map_err(|e| {
            format!("pg_stat_statements: {e} (it needs shared_preload_libraries = 'pg_stat_statements' and a restart)")
        })
}

/// The SQL statements per request `target` costs: pg_stat_statements calls by `role` in
/// this database over `requests` requests, after a warm-up one.
async fn count_statements(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    target: &Target,
    role: &str,
    requests: u32,
) -> Result<f64, String> {
    // The first request fills the server's caches (catalogue, prepared statements).
    target.send(client).await?;
    let quoted = role.replace('\'', "''");
    // A request may rightly cost no statement (Q3's snapshot, with the API's session kept
    // in memory), so the role's connection is what shows the server is counted at all.
    let connected = one_i64(
        db,
        &format!(
            "SELECT COUNT(*)::bigint FROM pg_stat_activity
             WHERE usename = '{quoted}' AND datname = current_database()"
        ),
    )
    .await?;
    if connected == 0 {
        return Err(format!(
            "no connection by role {role} to this database: is the server connected as {role}?"
        ));
    }
    db.execute_unprepared("SELECT pg_stat_statements_reset()")
        .await
        .map_err(|e| e.to_string())?;
    for _ in 0..requests {
        target.send(client).await?;
    }
    let calls = one_i64(
        db,
        &format!(
            "SELECT COALESCE(SUM(s.calls), 0)::bigint FROM pg_stat_statements s
             JOIN pg_roles r ON r.oid = s.userid
             WHERE r.rolname = '{quoted}'
               AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
    )
    .await?;
    Ok(calls as f64 / f64::from(requests))
}

/// Prints, for each query, the SQL statements each server ran per request, and writes
/// them as a markdown table.
async fn statements(db: &DatabaseConnection, a: &StatementsArgs) -> Result<(), String> {
    stat_statements(db).await?;
    let fx = fixture(db).await?;
    let client = reqwest::Client::new();
    let requests = a.requests.max(1);
    let urls = Urls {
        api: &a.api,
        floor: a.floor.as_deref(),
        postgraphile: a.postgraphile.as_deref(),
    };
    let role = |s: Server| match s {
        Server::Api => a.api_role.as_str(),
        Server::Floor => a.floor_role.as_str(),
        Server::PostGraphile => a.postgraphile_role.as_str(),
    };
    let mut md =
        String::from("| query | API | PostGraphile | floor |\n| --- | ---: | ---: | ---: |\n");
    for &n in &a.queries {
        let mut counts = HashMap::new();
        for (server, target, _) in prepare(n, &fx, &urls) {
            let c = count_statements(db, &client, &target, role(server), requests)
                .await
                .map_err(|e| format!("Q{n} {}: {e}", server.label()))?;
            println!("Q{n} {}: {c:.1} statements per request", server.label());
            counts.insert(server.id(), format!("{c:.1}"));
        }
        let cell = |s: Server, absent: &str| counts.get(s.id()).cloned().unwrap_or(absent.into());
        let _ = writeln!(
            md,
            "| Q{n} {} | {} | {} | {} |",
            query_name(n),
            cell(Server::Api, "–"),
            cell(Server::PostGraphile, "–"),
            cell(Server::Floor, "1 (by construction)"),
        );
    }
    let _ = write!(
        md,
        "\nSQL statements per request, counted with pg_stat_statements (calls by each server's own \
         database role: API `{}`, PostGraphile `{}`, floor `{}`), averaged over {requests} requests \
         after a warm-up one. The API authenticates every request, but on PostgreSQL it keeps a \
         signed-in session in memory (`API_SESSION_CACHE_SECS`), so only the warm-up one reads \
         it; PostGraphile authenticates no one.\n",
        a.api_role, a.postgraphile_role, a.floor_role
    );
    print!("{md}");
    write_file(&a.markdown, &md)
}

fn write_file(path: &std::path::Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_secs(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // The command name may hold spaces; the fields after it are fixed.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // Linux reports in USER_HZ, 100 on every mainstream configuration.
    Some(ticks / 100.0)
}

#[derive(Clone, Debug)]
struct Outcome {
    ok: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
    achieved_rps: f64,
    cpu_ms_per_req: Option<f64>,
}

impl Outcome {
    /// Met the latency target: every request answered, p99 under `limit_ms`.
    fn meets(&self, limit_ms: f64) -> bool {
        self.errors == 0 && self.ok > 0 && self.p99_ms < limit_ms
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Offers `rate` requests per second for `warmup + secs`, each sent on schedule whether or
/// not earlier ones have answered; latency is counted from the scheduled instant, so a
/// server that falls behind is charged for the queue it builds. Only the requests scheduled
/// after the warm-up count, and the server's CPU time is read from then until the last of
/// them has answered.
async fn open_loop(
    client: &reqwest::Client,
    target: &Target,
    rate: f64,
    warmup: f64,
    secs: f64,
    pid: Option<u32>,
) -> Outcome {
    let skip = (rate * warmup).round() as usize;
    let n = (rate * secs).round().max(1.0) as usize;
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let measured_from = start + Duration::from_secs_f64(skip as f64 / rate);
    let mut tasks = Vec::with_capacity(skip + n);
    let mut cpu0 = None;
    for i in 0..skip + n {
        let at = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(at).await;
        if i == skip {
            cpu0 = cpu_secs(pid);
        }
        let (client, target) = (client.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let r = tokio::time::timeout(Duration::from_secs(10), target.send(&client)).await;
            (at.elapsed().as_secs_f64() * 1000.0, matches!(r, Ok(Ok(_))))
        }));
    }
    let mut lat = Vec::with_capacity(n);
    let mut errors = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await;
        if i < skip {
            continue;
        }
        match r {
            Ok((ms, true)) => lat.push(ms),
            _ => errors += 1,
        }
    }
    // The measured window is at least the schedule's, however quickly the last answered.
    let wall = measured_from.elapsed().as_secs_f64().max(n as f64 / rate);
    let cpu = match (cpu0, cpu_secs(pid)) {
        (Some(a), Some(b)) => Some((b - a) * 1000.0 / n as f64),
        _ => None,
    };
    lat.sort_by(f64::total_cmp);
    Outcome {
        ok: lat.len(),
        errors,
        p50_ms: percentile(&lat, 0.50),
        p99_ms: percentile(&lat, 0.99),
        achieved_rps: lat.len() as f64 / wall,
        cpu_ms_per_req: cpu,
    }
}

/// Orders object keys so two answers compare by content.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", json!(k), canonical(&m[*k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// Rounds a rate to three significant digits.
fn round_rate(r: f64) -> f64 {
    if r <= 0.0 {
        return r;
    }
    let m = 10f64.powi(2 - r.log10().floor() as i32);
    (r * m).round() / m
}

/// The search for the highest offered rate meeting the latency target: doubling from
/// `from` until a step fails (halving down to `min` if the first one does), then bisecting
/// between the last good and the first bad rate. A step that fails is run once more before
/// it counts: a single burst of background work (a snapshot refresh, autovacuum) on these
/// shared cores would otherwise end the search far below what the server sustains.
#[derive(Debug)]
struct Search {
    next: Option<f64>,
    /// The rate of the last step that failed the first time it ran.
    retried: Option<f64>,
    good: Option<f64>,
    bad: Option<f64>,
    bisected: u32,
    bisect_steps: u32,
    min: f64,
    max: f64,
    /// Doubling stopped at `max` without a failure.
    capped: bool,
    /// The step at `good`.
    best: Option<Outcome>,
    /// The step at the highest rate run (without errors if any was), for the CPU column
    /// when no rate met the target.
    highest: Option<(f64, Outcome)>,
}

impl Search {
    fn new(a: &RunArgs) -> Self {
        Search {
            next: Some(a.search_from),
            retried: None,
            good: None,
            bad: None,
            bisected: 0,
            bisect_steps: a.bisect_steps,
            min: a.search_min,
            max: a.search_max,
            capped: false,
            best: None,
            highest: None,
        }
    }

    fn record(&mut self, rate: f64, o: &Outcome, limit_ms: f64) {
        // An error-free step first: a step whose requests timed out says little of CPU.
        if self
            .highest
            .as_ref()
            .is_none_or(|(r, h)| (o.errors == 0, rate) > (h.errors == 0, *r))
        {
            self.highest = Some((rate, o.clone()));
        }
        let meets = o.meets(limit_ms);
        if !meets && self.retried != Some(rate) {
            self.retried = Some(rate);
            self.next = Some(rate);
            return;
        }
        if meets {
            if self.good.is_none_or(|g| rate > g) {
                self.good = Some(rate);
                self.best = Some(o.clone());
            }
        } else if self.bad.is_none_or(|b| rate < b) {
            self.bad = Some(rate);
        }
        self.next = match (self.good, self.bad) {
            (_, None) => {
                let r = rate * 2.0;
                self.capped = r > self.max;
                (!self.capped).then_some(r)
            }
            (None, Some(b)) => Some(round_rate(b / 2.0)).filter(|r| *r >= self.min),
            (Some(g), Some(b)) => {
                let mid = round_rate((g + b) / 2.0);
                if self.bisected >= self.bisect_steps || mid <= g || mid >= b {
                    None
                } else {
                    self.bisected += 1;
                    Some(mid)
                }
            }
        };
    }

    /// The fixed rates above this are skipped: twice the rate found, or twice the lowest
    /// rate tried if none met the target.
    fn ceiling(&self) -> f64 {
        2.0 * self.good.or(self.bad).unwrap_or(f64::INFINITY)
    }

    fn max_cell(&self) -> String {
        match self.good {
            Some(g) if self.capped => format!("≥ {}", fmt_rate(g)),
            Some(g) => fmt_rate(g),
            None => format!("< {}", fmt_rate(self.bad.unwrap_or(self.min))),
        }
    }

    fn cpu_cell(&self) -> String {
        let o = self.best.as_ref().or(self.highest.as_ref().map(|(_, o)| o));
        match o.and_then(|o| o.cpu_ms_per_req) {
            Some(c) if self.best.is_some() => format!("{c:.2}"),
            Some(c) => format!("{c:.2}*"),
            None => "–".to_owned(),
        }
    }
}

fn fmt_rate(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

fn fmt_ms(ms: f64) -> String {
    if ms.is_nan() {
        "–".to_owned()
    } else if ms < 100.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// One server's results for one query.
struct Cell {
    server: Server,
    target: Target,
    pid: Option<u32>,
    sent: String,
    search: Search,
    /// Per fixed rate, `None` when skipped.
    fixed: Vec<Option<Outcome>>,
}

struct QueryResult {
    n: u8,
    cells: Vec<Cell>,
}

/// Appends one step to the CSV file and the console.
fn log_step(
    csv: &mut std::fs::File,
    n: u8,
    server: Server,
    phase: &str,
    rate: f64,
    o: &Outcome,
) -> Result<(), String> {
    use std::io::Write as _;
    let cpu = o
        .cpu_ms_per_req
        .map(|c| format!("{c:.3}"))
        .unwrap_or_default();
    let line = format!(
        "Q{n},{},{phase},{rate},{:.1},{},{},{:.2},{:.2},{cpu}",
        server.id(),
        o.achieved_rps,
        o.ok + o.errors,
        o.errors,
        o.p50_ms,
        o.p99_ms
    );
    println!("{line}");
    writeln!(csv, "{line}")
        .and_then(|()| csv.flush())
        .map_err(|e| format!("CSV: {e}"))
}

/// The report: one row per query with each server's highest rate meeting the target,
/// p50 / p99 at the fixed rates and CPU per request, then what each server was sent.
fn markdown(results: &[QueryResult], a: &RunArgs) -> String {
    let servers: Vec<Server> = results
        .first()
        .map(|r| r.cells.iter().map(|c| c.server).collect())
        .unwrap_or_default();
    let has_pg = servers.contains(&Server::PostGraphile);
    let mut head = vec!["query".to_owned()];
    for s in &servers {
        head.push(format!("max req/s {}", s.label()));
    }
    head.push("API / floor".to_owned());
    if has_pg {
        head.push("API ahead of PostGraphile".to_owned());
    }
    for r in &a.rates {
        for s in &servers {
            head.push(format!("{} req/s {}", fmt_rate(*r), s.label()));
        }
    }
    for s in &servers {
        head.push(format!("CPU ms/req {}", s.label()));
    }
    let mut md = format!(
        "| {} |\n|{}\n",
        head.join(" | "),
        " --- |".repeat(head.len())
    );
    for q in results {
        let cell = |s: Server| q.cells.iter().find(|c| c.server == s);
        let max = |s: Server| cell(s).and_then(|c| c.search.good);
        let mut row = vec![format!("Q{} {}", q.n, query_name(q.n))];
        row.extend(q.cells.iter().map(|c| c.search.max_cell()));
        row.push(match (max(Server::Api), max(Server::Floor)) {
            (Some(x), Some(y)) => format!("{:.2}", x / y),
            _ => "–".to_owned(),
        });
        if has_pg {
            row.push(match (max(Server::Api), max(Server::PostGraphile)) {
                (Some(x), Some(y)) if x > y => format!("yes ({:.2}×)", x / y),
                (Some(x), Some(y)) if x == y => "tie".to_owned(),
                (Some(x), Some(y)) => format!("no ({:.2}×)", x / y),
                (Some(_), None) => "yes".to_owned(),
                (None, Some(_)) => "no".to_owned(),
                (None, None) => "neither meets the target".to_owned(),
            });
        }
        for i in 0..a.rates.len() {
            for c in &q.cells {
                row.push(match &c.fixed[i] {
                    Some(o) if o.errors > 0 => format!(
                        "{} / {} ({} errors)",
                        fmt_ms(o.p50_ms),
                        fmt_ms(o.p99_ms),
                        o.errors
                    ),
                    Some(o) => format!("{} / {}", fmt_ms(o.p50_ms), fmt_ms(o.p99_ms)),
                    None => "–".to_owned(),
                });
            }
        }
        row.extend(q.cells.iter().map(|c| c.search.cpu_cell()));
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    let _ = write!(
        md,
        "\nmax req/s: the highest offered rate (open loop, latency from the scheduled instant) \
         at which every request answered and p99 stayed under {} ms, found by doubling from {} \
         req/s then bisecting {} times, a step that failed run once more before it counted; \
         each step {} s after a {} s warm-up. At the fixed rates, \
         p50 / p99 in ms; – means skipped, above twice the server's max. CPU ms/req: the \
         server process's user + system time per request at its max rate (* when no rate met \
         the target: at the highest rate run without errors); PostgreSQL's CPU is not included.\n\n",
        a.p99_ms, a.search_from, a.bisect_steps, a.secs, a.warmup
    );
    for q in results {
        for c in &q.cells {
            let _ = writeln!(md, "- Q{} {}: {}", q.n, c.server.label(), c.sent);
        }
    }
    md
}

async fn run(db: &DatabaseConnection, a: &RunArgs) -> Result<(), String> {
    let fx = fixture(db).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        // Under Node's 5 s keep-alive timeout, so no request goes out on a connection
        // PostGraphile is closing; the same for every server.
        .pool_idle_timeout(Duration::from_secs(4))
        .build()
        .map_err(|e| e.to_string())?;
    let urls = Urls {
        api: &a.api,
        floor: Some(&a.floor),
        postgraphile: a.postgraphile.as_deref(),
    };
    let pid = |s: Server| match s {
        Server::Api => a.api_pid,
        Server::Floor => a.floor_pid,
        Server::PostGraphile => a.postgraphile_pid,
    };
    let dir = a
        .csv
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    // Every server must answer every query, with the API's answer, before anything is
    // timed: otherwise its speed says nothing.
    let mut results = Vec::new();
    for &n in &a.queries {
        let targets = prepare(n, &fx, &urls);
        golden(&client, n, &targets, dir).await?;
        results.push(QueryResult {
            n,
            cells: targets
                .into_iter()
                .map(|(server, target, sent)| Cell {
                    server,
                    target,
                    pid: pid(server),
                    sent,
                    search: Search::new(a),
                    fixed: Vec::new(),
                })
                .collect(),
        });
    }
    write_file(
        &a.csv,
        "query,target,phase,offered_rate,achieved_rate,requests,errors,p50_ms,p99_ms,cpu_ms_per_req\n",
    )?;
    let mut csv = std::fs::OpenOptions::new()
        .append(true)
        .open(&a.csv)
        .map_err(|e| format!("{}: {e}", a.csv.display()))?;
    for qi in 0..results.len() {
        let n = results[qi].n;
        // The search, one step per server in turn, so that a change in the machine's load
        // falls on all of them.
        loop {
            let mut stepped = false;
            for c in &mut results[qi].cells {
                let Some(rate) = c.search.next else { continue };
                stepped = true;
                let o = open_loop(&client, &c.target, rate, a.warmup, a.secs, c.pid).await;
                log_step(&mut csv, n, c.server, "search", rate, &o)?;
                c.search.record(rate, &o, a.p99_ms);
                settle(&o, a.p99_ms).await;
            }
            if !stepped {
                break;
            }
        }
        for &rate in &a.rates {
            for c in &mut results[qi].cells {
                if rate > c.search.ceiling() {
                    c.fixed.push(None);
                    continue;
                }
                let o = open_loop(&client, &c.target, rate, a.warmup, a.secs, c.pid).await;
                log_step(&mut csv, n, c.server, "fixed", rate, &o)?;
                settle(&o, a.p99_ms).await;
                c.fixed.push(Some(o));
            }
        }
        for c in &results[qi].cells {
            println!(
                "Q{n} {}: max {} req/s with p99 < {} ms, {} CPU ms/req",
                c.server.label(),
                c.search.max_cell(),
                a.p99_ms,
                c.search.cpu_cell()
            );
        }
        // Rewritten after each query, so an interrupted run keeps what it measured.
        write_file(&a.markdown, &markdown(&results[..=qi], a))?;
    }
    println!("wrote {} and {}", a.csv.display(), a.markdown.display());
    Ok(())
}

/// A pause between steps, longer after an overloaded one, so that the next server does
/// not start while the last one's abandoned requests still hold the database.
async fn settle(o: &Outcome, limit_ms: f64) {
    let ms = if o.meets(limit_ms) { 200 } else { 2000 };
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let db = match bench::connect(&cli.database_url).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("cannot connect to {:?}: {e}", cli.database_url);
            return ExitCode::FAILURE;
        }
    };
    let r = match cli.command {
        Cmd::Floor { bind } => serve_floor(&db, &bind).await,
        Cmd::Run(a) => run(&db, &a).await,
        Cmd::Statements(a) => statements(&db, &a).await,
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Outcome, Search};

    fn search(from: f64) -> Search {
        Search {
            next: Some(from),
            retried: None,
            good: None,
            bad: None,
            bisected: 0,
            bisect_steps: 2,
            min: 1.0,
            max: 10_000.0,
            capped: false,
            best: None,
            highest: None,
        }
    }

    fn step(p99_ms: f64) -> Outcome {
        Outcome {
            ok: 100,
            errors: 0,
            p50_ms: 1.0,
            p99_ms,
            achieved_rps: 100.0,
            cpu_ms_per_req: Some(1.0),
        }
    }

    /// Runs the search against a server whose p99 at each rate `p99_at` gives, and returns
    /// the rates it tried in order.
    fn run(s: &mut Search, mut p99_at: impl FnMut(f64) -> f64) -> Vec<f64> {
        let mut tried = Vec::new();
        while let Some(rate) = s.next {
            tried.push(rate);
            s.record(rate, &step(p99_at(rate)), 50.0);
            assert!(tried.len() < 50, "the search ends");
        }
        tried
    }

    #[test]
    fn a_step_failed_once_is_run_again_and_the_search_goes_on() {
        let mut s = search(80.0);
        let mut hiccup = true;
        let tried = run(&mut s, |rate| {
            if rate == 160.0 && std::mem::take(&mut hiccup) {
                200.0
            } else if rate <= 640.0 {
                10.0
            } else {
                100.0
            }
        });
        assert_eq!(&tried[..4], [80.0, 160.0, 160.0, 320.0]);
        assert_eq!(s.good, Some(640.0), "{tried:?}");
    }

    #[test]
    fn a_step_that_fails_twice_counts_as_failed() {
        let mut s = search(80.0);
        let tried = run(&mut s, |rate| if rate <= 160.0 { 10.0 } else { 100.0 });
        assert_eq!(
            tried,
            [80.0, 160.0, 320.0, 320.0, 240.0, 240.0, 200.0, 200.0]
        );
        assert_eq!((s.good, s.bad), (Some(160.0), Some(200.0)));
    }
}
