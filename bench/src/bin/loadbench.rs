//! `loadbench`: an open-loop load tester over HTTP on loopback for the five benchmark
//! queries of issue 7, against the GraphQL API and against the raw-SQL floor.
//!
//! ```sh
//! # the floor: one SQL statement per query, in its own process so its CPU time is its own
//! DATABASE_URL=postgres://postgres@127.0.0.1/lsscp_bench cargo run --release -p bench --bin loadbench -- floor
//! # the API, on the same database
//! DATABASE_URL=postgres://postgres@127.0.0.1/lsscp_bench MIGRATE_ON_START=false cargo run --release -- api
//! # the run
//! DATABASE_URL=postgres://postgres@127.0.0.1/lsscp_bench cargo run --release -p bench --bin loadbench -- run \
//!     --api-pid <pid> --floor-pid <pid> --csv docs/benchmarks-loadbench.csv
//! ```

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clap::{Parser, Subcommand};
use sea_orm::sqlx::{AssertSqlSafe, PgPool};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    about = "Open-loop load test of the benchmark queries: the GraphQL API against the raw-SQL floor."
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
    /// Checks both servers' answers, then loads each query at each rate.
    Run {
        #[arg(long, default_value = "http://127.0.0.1:8000/graphql")]
        api: String,
        #[arg(long, default_value = "http://127.0.0.1:8100")]
        floor: String,
        /// Requests per second to offer, each for `--secs`.
        #[arg(long, value_delimiter = ',', default_value = "10,25,50,100,200,400")]
        rates: Vec<f64>,
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
        /// The API process, to read its CPU time.
        #[arg(long)]
        api_pid: Option<u32>,
        /// The floor process, to read its CPU time.
        #[arg(long)]
        floor_pid: Option<u32>,
        /// Only these queries (1..5).
        #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
        queries: Vec<u8>,
        #[arg(long, default_value = "loadbench.csv")]
        csv: std::path::PathBuf,
    },
    /// Counts the SQL statements each query costs the API, with pg_stat_statements: run the
    /// API as its own database role (e.g. `DATABASE_URL=postgres://root@…`), so that only its
    /// statements are counted.
    Statements {
        #[arg(long, default_value = "http://127.0.0.1:8000/graphql")]
        api: String,
        /// The database role the API connects as.
        #[arg(long, default_value = "root")]
        api_role: String,
        /// Requests per query; the count is their average.
        #[arg(long, default_value_t = 20)]
        requests: u32,
        #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
        queries: Vec<u8>,
    },
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

/// Who asks, and the parameters of the floor's statements.
struct Fixture {
    tokens: HashMap<Actor, String>,
    candidacy_id: i64,
    evaluator_id: i64,
    set_code: String,
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
    Ok(Fixture {
        tokens,
        candidacy_id,
        evaluator_id,
        set_code,
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
}

impl Target {
    async fn send(&self, client: &reqwest::Client) -> Result<Value, String> {
        let req = match self {
            Target::Api { url, token, body } => {
                let mut r = client
                    .post(url)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                r
            }
            Target::Floor { url } => client.get(url),
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

/// Prints, for each query, the SQL statements the API ran per request (pg_stat_statements
/// calls by `api_role` in this database, over `requests` requests after a warm-up one).
async fn statements(
    db: &DatabaseConnection,
    api: &str,
    api_role: &str,
    requests: u32,
    queries: &[u8],
) -> Result<(), String> {
    db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .await
        .map_err(|e| {
            format!("pg_stat_statements: {e} (it needs shared_preload_libraries = 'pg_stat_statements' and a restart)")
        })?;
    let fx = fixture(db).await?;
    let client = reqwest::Client::new();
    let requests = requests.max(1);
    println!("| query | statements per request ({requests} requests) |\n| --- | ---: |");
    for &n in queries {
        let (text, actor) = graphql(n, &fx.set_code);
        let target = Target::Api {
            url: api.to_owned(),
            token: fx.tokens.get(&actor).cloned(),
            body: json!({ "query": text }).to_string(),
        };
        // The first request fills the API's caches (catalogue, prepared statements).
        target
            .send(&client)
            .await
            .map_err(|e| format!("Q{n}: {e}"))?;
        db.execute_unprepared("SELECT pg_stat_statements_reset()")
            .await
            .map_err(|e| e.to_string())?;
        for _ in 0..requests {
            target
                .send(&client)
                .await
                .map_err(|e| format!("Q{n}: {e}"))?;
        }
        let role = api_role.replace('\'', "''");
        let calls = one_i64(
            db,
            &format!(
                "SELECT COALESCE(SUM(s.calls), 0)::bigint FROM pg_stat_statements s
                 JOIN pg_roles r ON r.oid = s.userid
                 WHERE r.rolname = '{role}'
                   AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
        )
        .await?;
        if calls == 0 {
            return Err(format!(
                "no statement by role {api_role} was counted: is the API connected as {api_role}?"
            ));
        }
        println!("| Q{n} | {:.1} |", calls as f64 / f64::from(requests));
    }
    Ok(())
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

struct Outcome {
    ok: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
    achieved_rps: f64,
    cpu_ms_per_req: Option<f64>,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Offers `rate` requests per second for `secs`, each sent on schedule whether or not
/// earlier ones have answered; latency is counted from the scheduled instant, so a server
/// that falls behind is charged for the queue it builds.
async fn open_loop(
    client: &reqwest::Client,
    target: &Target,
    rate: f64,
    secs: f64,
    pid: Option<u32>,
) -> Outcome {
    let n = (rate * secs).round().max(1.0) as usize;
    let cpu0 = cpu_secs(pid);
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let at = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(at).await;
        let (client, target) = (client.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let r = tokio::time::timeout(Duration::from_secs(10), target.send(&client)).await;
            (at.elapsed().as_secs_f64() * 1000.0, matches!(r, Ok(Ok(_))))
        }));
    }
    let mut lat = Vec::with_capacity(n);
    let mut errors = 0;
    for t in tasks {
        match t.await {
            Ok((ms, true)) => lat.push(ms),
            _ => errors += 1,
        }
    }
    let wall = start.elapsed().as_secs_f64();
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

#[allow(clippy::too_many_arguments)]
async fn run(
    db: &DatabaseConnection,
    api: &str,
    floor: &str,
    rates: &[f64],
    secs: f64,
    api_pid: Option<u32>,
    floor_pid: Option<u32>,
    queries: &[u8],
    csv: &std::path::Path,
) -> Result<(), String> {
    let fx = fixture(db).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()
        .map_err(|e| e.to_string())?;
    let mut out = String::from(
        "target,query,offered_rps,requests,errors,achieved_rps,p50_ms,p99_ms,server_cpu_ms_per_req\n",
    );
    let mut summary = String::new();
    for &n in queries {
        let (text, actor) = graphql(n, &fx.set_code);
        let api_t = Target::Api {
            url: api.to_owned(),
            token: fx.tokens.get(&actor).cloned(),
            body: json!({ "query": text }).to_string(),
        };
        let floor_t = Target::Floor {
            url: format!("{floor}/q/{n}?p={}", floor_param(n, &fx)),
        };
        // Both must answer without errors before anything is timed; the floor must give
        // the API's answer, or its speed says nothing.
        let a = api_t
            .send(&client)
            .await
            .map_err(|e| format!("Q{n} API: {e}"))?;
        let f = floor_t
            .send(&client)
            .await
            .map_err(|e| format!("Q{n} floor: {e}"))?;
        let same = canonical(&a) == canonical(&f);
        let _ = writeln!(
            summary,
            "Q{n}: API answer {} bytes, floor answer {} bytes, {}",
            a.to_string().len(),
            f.to_string().len(),
            if same { "identical" } else { "DIFFERENT" }
        );
        println!("{}", summary.lines().last().unwrap_or_default());
        if !same {
            let dir = csv.parent().unwrap_or(std::path::Path::new("."));
            let _ = std::fs::write(dir.join(format!("q{n}-api.json")), a.to_string());
            let _ = std::fs::write(dir.join(format!("q{n}-floor.json")), f.to_string());
        }
        for (name, target, pid) in [("api", &api_t, api_pid), ("floor", &floor_t, floor_pid)] {
            for &rate in rates {
                let o = open_loop(&client, target, rate, secs, pid).await;
                let cpu = o
                    .cpu_ms_per_req
                    .map(|c| format!("{c:.3}"))
                    .unwrap_or_default();
                let line = format!(
                    "{name},Q{n},{rate},{},{},{:.1},{:.2},{:.2},{cpu}",
                    o.ok + o.errors,
                    o.errors,
                    o.achieved_rps,
                    o.p50_ms,
                    o.p99_ms
                );
                println!("{line}");
                out.push_str(&line);
                out.push('\n');
                // Past saturation each step only queues more: stop climbing.
                if o.errors > 0 || o.p99_ms > 1000.0 {
                    break;
                }
            }
        }
    }
    std::fs::write(csv, out).map_err(|e| format!("{}: {e}", csv.display()))?;
    println!("{summary}wrote {}", csv.display());
    Ok(())
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
        Cmd::Run {
            api,
            floor,
            rates,
            secs,
            api_pid,
            floor_pid,
            queries,
            csv,
        } => {
            run(
                &db, &api, &floor, &rates, secs, api_pid, floor_pid, &queries, &csv,
            )
            .await
        }
        Cmd::Statements {
            api,
            api_role,
            requests,
            queries,
        } => statements(&db, &api, &api_role, requests, &queries).await,
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
