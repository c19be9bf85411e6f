//! `bulkbench`: the bulk-email path of issue 7. N renewal notices fanned out by the real
//! `lsscp api` and `lsscp worker` processes and delivered to an in-process SMTP sink,
//! against the floor: lettre's pooled `AsyncSmtpTransport` sending N messages of the same
//! size and shape straight to a fresh sink, with as many sends in flight as the worker's
//! `MAIL_CONCURRENCY`.
//!
//! ```sh
//! cargo build --release && cargo build --release -p bench --bin bulkbench
//! target/release/bulkbench --holders 100000 --concurrency 8
//! ```
//!
//! It drops and recreates its database (`lsscp_bulk` by default; the name must contain
//! `bulk`), needs PostgreSQL and, unless `--embedded`, Redis on 127.0.0.1 (started if it
//! does not answer). Writes one CSV row per target and a markdown summary.

use bench::smtp_sink::{Sample, SinkStats, SmtpSink};
use clap::Parser;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

#[derive(Parser, Debug, Clone)]
#[command(
    about = "The bulk-email path (renewal notices through the API and a worker to an SMTP sink) against lettre's pooled SMTP floor."
)]
struct Cli {
    /// The database to drop, create and fill; its name must contain `bulk`.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/lsscp_bulk")]
    database_url: String,
    /// Certificate holders, each sent one notice.
    #[arg(long, default_value_t = 100_000)]
    holders: u64,
    /// The worker's MAIL_CONCURRENCY, and the floor's sends in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The `lsscp` binary.
    #[arg(long, default_value = "target/release/lsscp")]
    lsscp: PathBuf,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// The embedded queue (SQLite under DATA_DIR) instead of Redis.
    #[arg(long)]
    embedded: bool,
    /// Gives up on the bulk path after this long.
    #[arg(long, default_value_t = 1800)]
    timeout_secs: u64,
    /// How often `bulkNotice` progress is asked while messages flow (it is real load).
    #[arg(long, default_value_t = 5)]
    poll_secs: u64,
    /// After the last message, keeps watching the sink this long for late duplicates.
    #[arg(long, default_value_t = 0)]
    settle_secs: u64,
    /// Leave the sink's ACKs to the kernel's delayed ACK instead of acknowledging every read
    /// at once: lettre (Nagle on, the final `.` written apart) then waits ~40 ms per message.
    #[arg(long)]
    delayed_ack: bool,
    /// RUST_LOG of the worker (its log is in the run's temporary directory).
    #[arg(long, default_value = "warn")]
    worker_log: String,
    /// Which targets to run.
    #[arg(long, value_delimiter = ',', default_value = "bulk,floor")]
    targets: Vec<Target>,
    #[arg(long, default_value = "bench/results/bulk.csv")]
    csv: PathBuf,
    #[arg(long, default_value = "bench/results/bulk.md")]
    markdown: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    Bulk,
    Floor,
}

/// One CSV row.
#[derive(Debug, Clone)]
struct Row {
    target: &'static str,
    messages: u64,
    duplicates: u64,
    recipient_duplicates: u64,
    seconds: f64,
    cpu_s: Option<f64>,
    peak_rss_mib: Option<f64>,
    rss_growth_mib: Option<f64>,
}

impl Row {
    fn msgs_per_s(&self) -> f64 {
        if self.seconds > 0.0 {
            self.messages as f64 / self.seconds
        } else {
            0.0
        }
    }
}

const CSV_HEADER: &str = "target,messages,duplicates,recipient_duplicates,seconds,msgs_per_s,cpu_s,peak_rss_mib,rss_growth_mib";

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|v| format!("{v:.decimals$}")).unwrap_or_default()
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

// ---------------------------------------------------------------------------------------
// The database
// ---------------------------------------------------------------------------------------

/// `postgres://u@h:p/name?x` → (`postgres://u@h:p/postgres?x`, `name`).
fn admin_url(url: &str) -> Result<(String, String), String> {
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return Err(format!("{url}: bulkbench needs PostgreSQL"));
    }
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = path.find("://").map(|i| i + 3).unwrap_or(0);
    let slash = path[after_scheme..]
        .find('/')
        .map(|i| i + after_scheme)
        .ok_or_else(|| format!("{url}: no database name"))?;
    let name = &path[slash + 1..];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "{url}: the database name {name:?} is not a plain name"
        ));
    }
    Ok((
        format!("{}/postgres{query}", &path[..slash]),
        name.to_owned(),
    ))
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), String> {
    db.execute_unprepared(sql)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e}\n  in: {}", sql.trim()))
}

/// Drops and recreates the database, migrates it, and writes `n` holders with active
/// certificates expiring 30 to 89 days from now, and a program officer with a session.
/// Returns the officer's bearer token.
async fn prepare_database(url: &str, n: u64, run_id: &str) -> Result<String, String> {
    let t = Instant::now();
    let (admin, name) = admin_url(url)?;
    if !name.contains("bulk") {
        return Err(format!(
            "refusing to drop database {name:?}: bulkbench drops and recreates its database, \
             so its name must contain \"bulk\""
        ));
    }
    {
        let db = bench::connect(&admin)
            .await
            .map_err(|e| format!("cannot connect to {admin}: {e}"))?;
        exec(
            &db,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await?;
        exec(&db, &format!("CREATE DATABASE \"{name}\"")).await?;
        db.close().await.map_err(|e| e.to_string())?;
    }
    let db = bench::connect(url)
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    {
        use migration::MigratorTrait;
        migration::Migrator::up(&db, None)
            .await
            .map_err(|e| format!("migrate: {e}"))?;
    }
    let width = n.to_string().len().max(6);
    let pad = format!("lpad(g::text, {width}, '0')");
    let officer = n + 1;
    exec(
        &db,
        &format!(
            "INSERT INTO account (id, email, password_hash, display_name, email_verified_at,
                                  password_changed_at, created_at, updated_at)
             SELECT g, 'holder' || {pad} || '@bulk.example', '!', 'Holder ' || {pad},
                    now(), now(), now(), now()
             FROM generate_series(1, {n}) g"
        ),
    )
    .await?;
    exec(
        &db,
        &format!(
            "INSERT INTO account (id, email, password_hash, display_name, email_verified_at,
                                  password_changed_at, created_at, updated_at)
             VALUES ({officer}, 'officer@bulk.example', '!', 'Bulk Officer', now(), now(), now(), now());
             INSERT INTO account_role (account_id, role, granted_at)
             VALUES ({officer}, 'program_officer', now())"
        ),
    )
    .await?;
    exec(
        &db,
        &format!(
            "INSERT INTO application (id, account_id, status, given_name, family_name, email,
                                      address_line1, city, state, postal_code, country,
                                      ala_member, consent_publish_name, consent_award_notice,
                                      submitted_at, accepted_at, created_at, updated_at)
             SELECT g, g, 'accepted', 'Holder' || {pad}, 'Bulk', 'holder' || {pad} || '@bulk.example',
                    '1 Main Street', 'Springfield', 'IL', '62701', 'US', false, false, false,
                    now() - interval '5 years', now() - interval '5 years',
                    now() - interval '5 years', now() - interval '5 years'
             FROM generate_series(1, {n}) g"
        ),
    )
    .await?;
    exec(
        &db,
        &format!(
            "INSERT INTO candidacy (id, application_id, account_id, number, pseudonym, status,
                                    started_on, deadline_on, car_expires_on, certified_at,
                                    created_at, updated_at)
             SELECT g, g, g, 'LSS-' || {pad}, 'BULK-' || {pad}, 'certified',
                    current_date - 1800, current_date - 340, current_date + 365,
                    now() - interval '3 years', now() - interval '5 years', now() - interval '3 years'
             FROM generate_series(1, {n}) g"
        ),
    )
    .await?;
    exec(
        &db,
        &format!(
            "INSERT INTO certificate (id, candidacy_id, account_id, number, verification_code,
                                      sequence, holder_name, issued_on, expires_on, status,
                                      created_at, updated_at)
             SELECT g, g, g, 'LSSC-' || {pad}, md5('bulkbench-' || g), g,
                    'Holder' || {pad} || ' Bulk',
                    current_date - 1065 + (g % 60), current_date + 30 + (g % 60), 'active',
                    now() - interval '3 years', now() - interval '3 years'
             FROM generate_series(1, {n}) g"
        ),
    )
    .await?;
    for table in [
        "account",
        "account_role",
        "application",
        "candidacy",
        "certificate",
    ] {
        exec(
            &db,
            &format!(
                "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),
                               COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"
            ),
        )
        .await?;
    }
    let token = format!("bulkbench-{run_id}");
    let hash = bench::token_hash(&token);
    exec(
        &db,
        &format!(
            "INSERT INTO session (account_id, token_hash, created_at, expires_at, last_seen_at)
             VALUES ({officer}, '{hash}', now(), now() + interval '1 day', now())"
        ),
    )
    .await?;
    exec(&db, "ANALYZE").await?;
    db.close().await.map_err(|e| e.to_string())?;
    println!(
        "database {name}: {n} holders written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(token)
}

// ---------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------

/// A child process, killed if dropped while running.
struct Proc {
    name: &'static str,
    child: Child,
    pid: u32,
    log: PathBuf,
}

impl Proc {
    fn spawn(
        name: &'static str,
        bin: &Path,
        arg: &str,
        env: &[(String, String)],
        log: PathBuf,
    ) -> Result<Self, String> {
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.arg(arg)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {} {arg}: {e}", bin.display()))?;
        let pid = child.id().ok_or_else(|| format!("{name} exited at once"))?;
        Ok(Self {
            name,
            child,
            pid,
            log,
        })
    }

    /// The end of its log.
    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(20);
        lines[from..].join("\n")
    }

    /// An error if it has exited.
    fn check(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "{} exited ({status}); the end of {}:\n{}",
                self.name,
                self.log.display(),
                self.tail()
            )),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }

    /// SIGTERM (by pid), then SIGKILL after a few seconds.
    async fn stop(mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.pid.to_string())
                .status()
                .await;
            if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
                .await
                .is_err()
            {
                let _ = self.child.start_kill();
                let _ = self.child.wait().await;
            }
        }
    }
}

/// VmRSS and VmHWM of a process, in kB.
fn proc_mem(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// CPU seconds (user + system) from a `/proc/…/stat` file.
fn cpu_of_stat(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces; the fields after it are fixed.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // Linux reports in USER_HZ, 100 on every mainstream configuration.
    Some(ticks / 100.0)
}

fn cpu_secs(pid: u32) -> Option<f64> {
    cpu_of_stat(&format!("/proc/{pid}/stat"))
}

/// CPU seconds of this process's threads whose name starts with `prefix`.
fn thread_cpu_secs(prefix: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    dir.flatten()
        .filter_map(|t| {
            let p = t.path();
            let comm = std::fs::read_to_string(p.join("comm")).ok()?;
            if !comm.starts_with(prefix) {
                return None;
            }
            cpu_of_stat(&p.join("stat").to_string_lossy())
        })
        .sum()
}

/// CPU seconds of every process named `comm` (PostgreSQL's backends, Redis); processes
/// that ended in between are missed.
fn cpu_by_name(comm: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| {
            let p = e.path();
            let name = std::fs::read_to_string(p.join("comm")).ok()?;
            if name.trim() != comm {
                return None;
            }
            cpu_of_stat(&p.join("stat").to_string_lossy())
        })
        .sum()
}

/// The machine's busy CPU seconds (all but idle and iowait) since boot.
fn machine_busy_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?;
    let v: Vec<f64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: f64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle) / 100.0)
}

/// CPU seconds so far: PostgreSQL, Redis, the machine.
fn others_cpu() -> [f64; 3] {
    [
        cpu_by_name("postgres"),
        cpu_by_name("redis-server"),
        machine_busy_secs().unwrap_or(0.0),
    ]
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// `redis://host:port` → (`host`, `port`).
fn redis_host_port(url: &str) -> (String, String) {
    let rest = url
        .trim_start_matches("redis://")
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let rest = rest.rsplit('@').next().unwrap_or(rest);
    match rest.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), p.to_owned()),
        None => (rest.to_owned(), "6379".to_owned()),
    }
}

async fn redis_cli(url: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("redis-cli")
        .arg("-u")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("redis-cli: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Starts a throwaway local Redis unless one answers.
async fn ensure_redis(url: &str) -> Result<(), String> {
    if redis_cli(url, &["ping"]).await.unwrap_or_default() == "PONG" {
        return Ok(());
    }
    let (host, port) = redis_host_port(url);
    if host != "127.0.0.1" && host != "localhost" {
        return Err(format!("Redis at {url} does not answer"));
    }
    println!("starting redis-server on {host}:{port}");
    let status = Command::new("redis-server")
        .args([
            "--daemonize",
            "yes",
            "--bind",
            &host,
            "--port",
            &port,
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .status()
        .await
        .map_err(|e| format!("redis-server: {e}"))?;
    if !status.success() {
        return Err(format!("redis-server: {status}"));
    }
    for _ in 0..50 {
        if redis_cli(url, &["ping"]).await.unwrap_or_default() == "PONG" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("Redis at {url} did not come up"))
}

/// Deletes this run's queue keys; returns how many there were.
async fn drop_queue_keys(url: &str, prefix: &str) -> Result<usize, String> {
    let keys = redis_cli(url, &["--scan", "--pattern", &format!("*{prefix}*")]).await?;
    let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for k in &keys {
        let kind = match k.rsplit_once(':') {
            Some((head, _)) => format!("{head}:*"),
            None => (*k).to_owned(),
        };
        *kinds.entry(kind).or_default() += 1;
    }
    for (kind, count) in kinds.iter().filter(|(_, c)| **c > 1) {
        println!("redis keys {kind}: {count}");
    }
    for chunk in keys.chunks(200) {
        let mut args = vec!["UNLINK"];
        args.extend_from_slice(chunk);
        redis_cli(url, &args).await?;
    }
    Ok(keys.len())
}

// ---------------------------------------------------------------------------------------
// GraphQL
// ---------------------------------------------------------------------------------------

async fn graphql(
    client: &reqwest::Client,
    endpoint: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let resp = client
        .post(endpoint)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .map_err(|e| format!("POST {endpoint}: {e}"))?;
    let status = resp.status();
    let body: Value = resp
        .json()
        .await
        .map_err(|e| format!("POST {endpoint}: {status}: {e}"))?;
    if let Some(errors) = body.get("errors").filter(|e| !e.is_null()) {
        return Err(format!("GraphQL errors: {errors}"));
    }
    body.get("data")
        .cloned()
        .ok_or_else(|| format!("GraphQL: no data in {body}"))
}

const SEND: &str = "mutation($input: SendRenewalNoticesInput!) {
  sendRenewalNotices(input: $input) {
    batch { batchId status total }
    userErrors { field message code }
  }
}";

const PROGRESS: &str = "query($id: ID!) {
  bulkNotice(id: $id) { status total queued sent failed cancelled remaining }
}";

#[derive(Debug, Default, Clone)]
struct Progress {
    status: String,
    total: i64,
    queued: i64,
    sent: i64,
    failed: i64,
}

async fn progress(
    client: &reqwest::Client,
    endpoint: &str,
    token: &str,
    batch: &Value,
) -> Result<Progress, String> {
    let data = graphql(client, endpoint, token, PROGRESS, json!({ "id": batch })).await?;
    let p = &data["bulkNotice"];
    Ok(Progress {
        status: p["status"].as_str().unwrap_or("").to_owned(),
        total: p["total"].as_i64().unwrap_or(0),
        queued: p["queued"].as_i64().unwrap_or(0),
        sent: p["sent"].as_i64().unwrap_or(0),
        failed: p["failed"].as_i64().unwrap_or(0),
    })
}

// ---------------------------------------------------------------------------------------
// The bulk path
// ---------------------------------------------------------------------------------------

/// One sample of the worker's memory.
#[derive(Debug, Clone, Copy)]
struct MemSample {
    messages: u64,
    rss_kb: u64,
    hwm_kb: u64,
}

/// What the bulk path measured beyond its row.
struct BulkOutcome {
    row: Row,
    sample: Option<Sample>,
    stats: SinkStats,
    rss_before_kb: u64,
    /// RSS at 10, 50, 90 and 100 % of the messages.
    rss_at_kb: [Option<u64>; 4],
    api_cpu_s: Option<f64>,
    /// PostgreSQL, Redis and the whole machine over the batch.
    others_cpu_s: [f64; 3],
    queue_keys: usize,
}

/// The RSS of the first sample at which `fraction` of `n` messages had arrived.
fn rss_at(samples: &[MemSample], n: u64, fraction: f64) -> Option<u64> {
    let need = ((n as f64) * fraction).ceil() as u64;
    samples
        .iter()
        .find(|s| s.messages >= need)
        .map(|s| s.rss_kb)
}

async fn bulk_path(cli: &Cli, dir: &Path, run_id: &str) -> Result<BulkOutcome, String> {
    let n = cli.holders;
    let token = prepare_database(&cli.database_url, n, run_id).await?;
    let sink = SmtpSink::start("127.0.0.1:0", !cli.delayed_ack)
        .await
        .map_err(|e| format!("sink: {e}"))?;
    let port = free_port()?;
    let prefix = format!("bulkbench-{run_id}");
    let mut env: Vec<(String, String)> = vec![
        ("PORT".into(), port.to_string()),
        ("BIND_ADDR".into(), "127.0.0.1".into()),
        ("MIGRATE_ON_START".into(), "false".into()),
        ("DATA_DIR".into(), dir.join("data").display().to_string()),
        ("DATABASE_URL".into(), cli.database_url.clone()),
        ("QUEUE_PREFIX".into(), prefix.clone()),
        ("SMTP_URL".into(), sink.url()),
        ("MAIL_CONCURRENCY".into(), cli.concurrency.to_string()),
        ("RUST_LOG".into(), "warn".into()),
    ];
    if !cli.embedded {
        ensure_redis(&cli.redis_url).await?;
        env.push(("REDIS_URL".into(), cli.redis_url.clone()));
    }
    let mut api = Proc::spawn("api", &cli.lsscp, "api", &env, dir.join("api.log"))?;
    let base = format!("http://127.0.0.1:{port}");
    let endpoint = format!("{base}/graphql");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())?;
    let ready_by = Instant::now() + Duration::from_secs(60);
    loop {
        api.check()?;
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            break;
        }
        if Instant::now() > ready_by {
            return Err(format!(
                "the API was not ready after 60 s; the end of its log:\n{}",
                api.tail()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let worker_env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| {
            if k == "RUST_LOG" {
                (k.clone(), cli.worker_log.clone())
            } else {
                (k.clone(), v.clone())
            }
        })
        .chain([("WORKER_NAME".to_owned(), format!("{prefix}-worker"))])
        .collect();
    let mut worker = Proc::spawn(
        "worker",
        &cli.lsscp,
        "worker",
        &worker_env,
        dir.join("worker.log"),
    )?;
    // The worker has no endpoint: give it time to connect and settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    worker.check()?;
    let (rss_before_kb, _) = proc_mem(worker.pid).ok_or("cannot read the worker's memory")?;
    let worker_cpu0 = cpu_secs(worker.pid).unwrap_or(0.0);
    let api_cpu0 = cpu_secs(api.pid);
    let others0 = others_cpu();
    println!(
        "api pid {} on {base}, worker pid {} ({} MiB), sink {}; sending {n} renewal notices",
        api.pid,
        worker.pid,
        mib(rss_before_kb).round(),
        sink.url()
    );

    let today = chrono::Utc::now().date_naive();
    let input = json!({
        "expiringFrom": today.to_string(),
        "expiringTo": (today + chrono::Days::new(120)).to_string(),
        "statuses": ["ACTIVE"],
        "message": "Renewals are open: apply before your certificate expires.",
        "idempotencyKey": prefix,
    });
    let t0 = Instant::now();
    let data = graphql(&client, &endpoint, &token, SEND, json!({ "input": input })).await?;
    let payload = &data["sendRenewalNotices"];
    if payload["userErrors"]
        .as_array()
        .is_some_and(|e| !e.is_empty())
    {
        return Err(format!("sendRenewalNotices: {}", payload["userErrors"]));
    }
    let batch = payload["batch"]["batchId"].clone();
    if batch.is_null() {
        return Err(format!("sendRenewalNotices returned no batch: {payload}"));
    }
    println!(
        "batch {batch} created in {:.0} ms",
        t0.elapsed().as_secs_f64() * 1000.0
    );

    let deadline = t0 + Duration::from_secs(cli.timeout_secs);
    let mut samples: Vec<MemSample> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut next_poll = Instant::now() + Duration::from_secs(1);
    let mut finished_early: Option<Instant> = None;
    let mut last = Progress::default();
    let mut all_in = false;
    loop {
        tick.tick().await;
        let received = sink.messages();
        if let Some((rss_kb, hwm_kb)) = proc_mem(worker.pid) {
            samples.push(MemSample {
                messages: received,
                rss_kb,
                hwm_kb,
            });
        }
        worker.check()?;
        api.check()?;
        if received >= n && !all_in {
            all_in = true;
            next_poll = Instant::now();
        }
        let now = Instant::now();
        if now >= next_poll {
            last = progress(&client, &endpoint, &token, &batch).await?;
            let rss = samples.last().map(|s| mib(s.rss_kb)).unwrap_or(0.0);
            println!(
                "{:7.1} s  sink {received:>7}  batch {:<9} total {:>7} sent {:>7} queued {:>7} failed {}  worker {rss:.0} MiB",
                t0.elapsed().as_secs_f64(),
                last.status,
                last.total,
                last.sent,
                last.queued,
                last.failed
            );
            next_poll = now
                + if all_in {
                    Duration::from_secs(1)
                } else {
                    Duration::from_secs(cli.poll_secs.max(1))
                };
            if last.status == "COMPLETED" || last.status == "CANCELLED" {
                if all_in {
                    break;
                }
                finished_early.get_or_insert(now);
            }
        }
        if let Some(at) = finished_early
            && at.elapsed() > Duration::from_secs(10)
        {
            return Err(format!(
                "the batch is {} but the sink received {} of {n} messages; {:?}; {:?}",
                last.status,
                sink.messages(),
                last,
                sink.stats()
            ));
        }
        if now > deadline {
            return Err(format!(
                "timed out after {} s: the sink received {} of {n} messages; batch {:?}; {:?}",
                cli.timeout_secs,
                sink.messages(),
                last,
                sink.stats()
            ));
        }
    }
    let worker_cpu = cpu_secs(worker.pid).map(|c| c - worker_cpu0);
    let others1 = others_cpu();
    let others_cpu_s = [0, 1, 2].map(|i| others1[i] - others0[i]);
    let api_cpu_s = match (cpu_secs(api.pid), api_cpu0) {
        (Some(a), Some(b)) => Some(a - b),
        _ => None,
    };
    if cli.settle_secs > 0 {
        println!("watching the sink {} s for late messages", cli.settle_secs);
        tokio::time::sleep(Duration::from_secs(cli.settle_secs)).await;
    }
    let stats = sink.stats();
    let seconds = stats
        .last_message
        .map(|l| l.duration_since(t0).as_secs_f64())
        .unwrap_or(0.0);
    if let Some((rss_kb, hwm_kb)) = proc_mem(worker.pid) {
        samples.push(MemSample {
            messages: stats.messages,
            rss_kb,
            hwm_kb,
        });
    }
    let peak_kb = samples.iter().map(|s| s.hwm_kb).max().unwrap_or(0);
    let rss_at_kb = [0.1, 0.5, 0.9, 1.0].map(|f| rss_at(&samples, n, f));
    let growth = match (rss_at_kb[0], rss_at_kb[3]) {
        (Some(a), Some(b)) => Some(mib(b) - mib(a)),
        _ => None,
    };
    worker.stop().await;
    api.stop().await;
    let queue_keys = if cli.embedded {
        0
    } else {
        drop_queue_keys(&cli.redis_url, &prefix).await.unwrap_or(0)
    };
    Ok(BulkOutcome {
        row: Row {
            target: "bulk",
            messages: stats.messages,
            duplicates: stats.duplicates,
            recipient_duplicates: stats.recipient_duplicates,
            seconds,
            cpu_s: worker_cpu,
            peak_rss_mib: Some(mib(peak_kb)),
            rss_growth_mib: growth,
        },
        sample: sink.sample(),
        stats,
        rss_before_kb,
        rss_at_kb,
        api_cpu_s,
        others_cpu_s,
        queue_keys,
    })
}

// ---------------------------------------------------------------------------------------
// The floor
// ---------------------------------------------------------------------------------------

/// A message to send again and again, with its `To` and `Message-ID` headers replaced.
struct Template {
    from: Address,
    /// Header lines before, between and after the two replaced ones, and the body.
    parts: Vec<Part>,
}

enum Part {
    Text(Vec<u8>),
    To,
    MessageId,
}

impl Template {
    fn new(sample: &Sample) -> Result<Self, String> {
        let from: Address = sample
            .mail_from
            .parse()
            .or_else(|_| "no-reply@lsscp.local".parse())
            .map_err(|e: lettre::address::AddressError| format!("sender: {e}"))?;
        let raw = &sample.raw;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("the sample message has no header/body separator")?;
        let (head, body) = raw.split_at(split + 2);
        let mut parts = Vec::new();
        let mut text: Vec<u8> = Vec::new();
        // The kind of the header being copied: replaced ones drop their continuations.
        let mut skipping = false;
        let mut has_id = false;
        for line in head.split_inclusive(|&b| b == b'\n') {
            if line.starts_with(b" ") || line.starts_with(b"\t") {
                if !skipping {
                    text.extend_from_slice(line);
                }
                continue;
            }
            let name = line
                .split(|&b| b == b':')
                .next()
                .map(|n| String::from_utf8_lossy(n).trim().to_ascii_lowercase())
                .unwrap_or_default();
            skipping = name == "to" || name == "message-id";
            if skipping {
                parts.push(Part::Text(std::mem::take(&mut text)));
                parts.push(if name == "to" {
                    Part::To
                } else {
                    has_id = true;
                    Part::MessageId
                });
            } else {
                text.extend_from_slice(line);
            }
        }
        if !has_id {
            parts.push(Part::Text(std::mem::take(&mut text)));
            parts.push(Part::MessageId);
        }
        text.extend_from_slice(body);
        parts.push(Part::Text(text));
        Ok(Self { from, parts })
    }

    fn render(&self, to: &str, message_id: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            self.parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => t.len(),
                    _ => 64,
                })
                .sum(),
        );
        for p in &self.parts {
            match p {
                Part::Text(t) => out.extend_from_slice(t),
                Part::To => {
                    out.extend_from_slice(b"To: ");
                    out.extend_from_slice(to.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                Part::MessageId => {
                    out.extend_from_slice(b"Message-ID: ");
                    out.extend_from_slice(message_id.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
        out
    }
}

/// A message like the worker's, when the floor runs without the bulk path.
fn synthetic_sample() -> Result<Sample, String> {
    use lettre::Message;
    use lettre::message::{Mailbox, MultiPart};
    let text = "Hello Holder000001,\n\nYour certificate LSSC-000001 is valid until 1 January 2027. \
                Renewals are open: apply before your certificate expires.\n\nApply to renew it with \
                your continuing-education activities.\n\n-- \nThe Library Support Staff \
                Certification Program\nhttp://localhost:8000\n";
    let html = format!(
        "<!doctype html><html><body style=\"font-family: sans-serif\"><p>{}</p></body></html>",
        text.replace("\n\n", "</p><p>")
    );
    let from: Mailbox = "LSSCP <no-reply@lsscp.local>"
        .parse()
        .map_err(|e| format!("{e}"))?;
    let to: Mailbox = "Holder000001 <holder000001@bulk.example>"
        .parse()
        .map_err(|e| format!("{e}"))?;
    let m = Message::builder()
        .from(from)
        .to(to)
        .subject("Time to renew your certificate")
        .message_id(Some("<notification-1@lsscp>".to_owned()))
        .multipart(MultiPart::alternative_plain_html(text.to_owned(), html))
        .map_err(|e| e.to_string())?;
    Ok(Sample {
        mail_from: "no-reply@lsscp.local".to_owned(),
        recipients: vec!["holder000001@bulk.example".to_owned()],
        raw: m.formatted(),
    })
}

fn holder_address(i: u64, n: u64) -> String {
    let width = n.to_string().len().max(6);
    format!("holder{i:0width$}@bulk.example")
}

struct FloorOutcome {
    row: Row,
    stats: SinkStats,
    errors: u64,
    message_bytes: usize,
}

/// Sends `n` messages from `sample` through lettre's pool, `concurrency` in flight, on a
/// runtime of its own (threads `floor-*`) so that its CPU time is its own.
async fn floor(
    n: u64,
    concurrency: usize,
    sample: &Sample,
    quick_ack: bool,
) -> Result<FloorOutcome, String> {
    let sink = SmtpSink::start("127.0.0.1:0", quick_ack)
        .await
        .map_err(|e| format!("sink: {e}"))?;
    let template = Arc::new(Template::new(sample)?);
    let message_bytes = template
        .render(&holder_address(1, n), "<floor-1@bulkbench>")
        .len();
    let port = sink.addr().port();
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let t0 = Instant::now();
    let (tx, rx) = tokio::sync::oneshot::channel();
    {
        let errors = errors.clone();
        let first_error = first_error.clone();
        std::thread::Builder::new()
            .name("floor-main".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("floor-client")
                    .enable_all()
                    .build();
                let result = match rt {
                    Err(e) => Err(e.to_string()),
                    Ok(rt) => {
                        rt.block_on(send_all(
                            n,
                            concurrency,
                            port,
                            template,
                            errors,
                            first_error,
                        ));
                        // Before the runtime (and its threads) go.
                        Ok(thread_cpu_secs("floor-"))
                    }
                };
                let _ = tx.send(result);
            })
            .map_err(|e| format!("floor thread: {e}"))?;
    }
    let cpu = rx.await.map_err(|e| format!("floor thread: {e}"))??;
    let stats = sink.stats();
    let errors = errors.load(Ordering::Relaxed);
    if stats.messages < n {
        let first = first_error
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
            .unwrap_or_default();
        return Err(format!(
            "the floor delivered {} of {n} messages ({errors} send errors; first: {first})",
            stats.messages
        ));
    }
    let seconds = stats
        .last_message
        .map(|l| l.duration_since(t0).as_secs_f64())
        .unwrap_or(0.0);
    Ok(FloorOutcome {
        row: Row {
            target: "floor",
            messages: stats.messages,
            duplicates: stats.duplicates,
            recipient_duplicates: stats.recipient_duplicates,
            seconds,
            cpu_s: Some(cpu),
            peak_rss_mib: None,
            rss_growth_mib: None,
        },
        stats,
        errors,
        message_bytes,
    })
}

async fn send_all(
    n: u64,
    concurrency: usize,
    port: u16,
    template: Arc<Template>,
    errors: Arc<AtomicU64>,
    first_error: Arc<std::sync::Mutex<Option<String>>>,
) {
    let transport: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .pool_config(PoolConfig::new().max_size(concurrency.max(1) as u32))
            .build();
    let transport = Arc::new(transport);
    let next = Arc::new(AtomicUsize::new(1));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let transport = transport.clone();
        let next = next.clone();
        let template = template.clone();
        let errors = errors.clone();
        let first_error = first_error.clone();
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as u64;
                if i > n {
                    return;
                }
                let to = holder_address(i, n);
                let result = match to.parse::<Address>() {
                    Err(e) => Err(e.to_string()),
                    Ok(rcpt) => match Envelope::new(Some(template.from.clone()), vec![rcpt]) {
                        Err(e) => Err(e.to_string()),
                        Ok(envelope) => {
                            let raw = template.render(&to, &format!("<floor-{i}@bulkbench>"));
                            transport
                                .send_raw(&envelope, &raw)
                                .await
                                .map(|_| ())
                                .map_err(|e| e.to_string())
                        }
                    },
                };
                if let Err(e) = result {
                    errors.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut first) = first_error.lock() {
                        first.get_or_insert(e);
                    }
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
}

// ---------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Flat: the RSS grew by at most 10 MiB or 10 % between 10 % and 100 % of the messages.
fn is_flat(bulk: &BulkOutcome) -> Option<bool> {
    let at10 = mib(bulk.rss_at_kb[0]?);
    let growth = bulk.row.rss_growth_mib?;
    Some(growth <= (0.1 * at10).max(10.0))
}

fn markdown(cli: &Cli, bulk: Option<&BulkOutcome>, floor: Option<&FloorOutcome>) -> String {
    let mut md = String::new();
    // The worker's timing variables pass through to the children: they belong to the command.
    let mut env: Vec<String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("WORKER_"))
        .map(|(k, v)| format!("{k}={}", shell_quote(&v)))
        .collect();
    env.sort();
    let command = env
        .into_iter()
        .chain(std::env::args().map(|a| shell_quote(&a)))
        .collect::<Vec<_>>()
        .join(" ");
    let _ = writeln!(md, "### Bulk path: {} renewal notices\n", cli.holders);
    let _ = writeln!(
        md,
        "{} cores; `MAIL_CONCURRENCY={}`; queue: {}; sink ACKs: {}; run {}.\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cli.concurrency,
        if cli.embedded {
            "embedded SQLite"
        } else {
            "Redis"
        },
        if cli.delayed_ack {
            "the kernel's delayed ACK"
        } else {
            "at once (TCP_QUICKACK)"
        },
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        md,
        "| target | messages | duplicates | recipient duplicates | seconds | msgs/s | CPU s | peak RSS MiB | RSS growth 10→100 % MiB |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let rows = bulk
        .map(|b| (&b.row, "bulk path (API + worker)"))
        .into_iter()
        .chain(floor.map(|f| (&f.row, "floor (lettre pool)")));
    for (r, label) in rows {
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {:.1} | {:.0} | {} | {} | {} |",
            r.messages,
            r.duplicates,
            r.recipient_duplicates,
            r.seconds,
            r.msgs_per_s(),
            opt(r.cpu_s, 1),
            opt(r.peak_rss_mib, 1),
            opt(r.rss_growth_mib, 1)
        );
    }
    md.push('\n');
    if let (Some(b), Some(f)) = (bulk, floor) {
        let ratio = b.row.msgs_per_s() / f.row.msgs_per_s().max(f64::MIN_POSITIVE);
        let _ = writeln!(
            md,
            "- Bulk path ÷ floor: **{ratio:.3}×** — target ≥ 0.5×: **{}**.",
            if ratio >= 0.5 { "met" } else { "not met" }
        );
    }
    if let Some(b) = bulk {
        let at = |i: usize| {
            b.rss_at_kb[i]
                .map(|k| format!("{:.1}", mib(k)))
                .unwrap_or_else(|| "–".into())
        };
        let _ = writeln!(
            md,
            "- Worker RSS (MiB): before the batch {:.1}; at 10 % {}, 50 % {}, 90 % {}, 100 % of the messages {}; peak (VmHWM) {}. Memory flat (growth ≤ max(10 MiB, 10 %)): **{}**.",
            mib(b.rss_before_kb),
            at(0),
            at(1),
            at(2),
            at(3),
            opt(b.row.peak_rss_mib, 1),
            match is_flat(b) {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            }
        );
        let _ = writeln!(
            md,
            "- Duplicates: by Message-ID + recipient {}, by recipient + subject {}; SMTP sessions {}; {:.0} bytes per message.",
            b.stats.duplicates,
            b.stats.recipient_duplicates,
            b.stats.sessions,
            b.stats.bytes as f64 / b.stats.messages.max(1) as f64,
        );
        let per_msg = |s: f64| s * 1e6 / b.row.messages.max(1) as f64;
        let worker = b.row.cpu_s.unwrap_or(0.0);
        let [pg, redis, machine] = b.others_cpu_s;
        let _ = writeln!(
            md,
            "- CPU over the batch (mutation to end), seconds (µs per message): worker {worker:.1} ({:.0}), PostgreSQL {pg:.1} ({:.0}), Redis {redis:.1} ({:.0}), API {} ; whole machine busy {machine:.1} of {:.1} available (other users' work included).",
            per_msg(worker),
            per_msg(pg),
            per_msg(redis),
            opt(b.api_cpu_s, 1),
            b.row.seconds
                * std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1) as f64
        );
    }
    if let Some(b) = bulk.filter(|b| b.queue_keys > 0) {
        let _ = writeln!(
            md,
            "- Queue: the run left {} Redis keys, about one per job pushed (a job carries a run of up to `WORKER_MAIL_PER_JOB` messages, 50 by default; jobs beyond that are runs cut short or the relay's redeliveries).",
            b.queue_keys
        );
    }
    if let Some(f) = floor {
        let _ = writeln!(
            md,
            "- Floor: the first bulk message replayed ({} bytes; `To` and `Message-ID` varied) by lettre's `AsyncSmtpTransport` pool (max {} connections) in this process; its CPU is the sending threads' only; SMTP sessions {}; send errors {}.",
            f.message_bytes, cli.concurrency, f.stats.sessions, f.errors
        );
    }
    let _ = writeln!(md, "\nCommand:\n\n```sh\n{command}\n```");
    md
}

fn csv(rows: &[&Row]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{:.3},{:.1},{},{},{}",
            r.target,
            r.messages,
            r.duplicates,
            r.recipient_duplicates,
            r.seconds,
            r.msgs_per_s(),
            opt(r.cpu_s, 2),
            opt(r.peak_rss_mib, 1),
            opt(r.rss_growth_mib, 1)
        );
    }
    out
}

async fn run(cli: Cli) -> Result<(), String> {
    if cli.holders == 0 {
        return Err("--holders must be at least 1".into());
    }
    let run_id = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let dir = std::env::temp_dir().join(format!("bulkbench-{run_id}"));
    std::fs::create_dir_all(dir.join("data")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut bulk = None;
    if cli.targets.contains(&Target::Bulk) {
        if !cli.lsscp.is_file() {
            return Err(format!(
                "{} not found: build it first (cargo build --release)",
                cli.lsscp.display()
            ));
        }
        match bulk_path(&cli, &dir, &run_id).await {
            Ok(b) => bulk = Some(b),
            Err(e) => return Err(format!("{e}\n(logs in {})", dir.display())),
        }
    }
    let mut floor_out = None;
    if cli.targets.contains(&Target::Floor) {
        let sample = match bulk.as_ref().and_then(|b| b.sample.clone()) {
            Some(s) => s,
            None => synthetic_sample()?,
        };
        println!(
            "floor: {} messages of {} bytes, {} in flight",
            cli.holders,
            sample.raw.len(),
            cli.concurrency
        );
        floor_out = Some(floor(cli.holders, cli.concurrency, &sample, !cli.delayed_ack).await?);
    }
    let rows: Vec<&Row> = bulk
        .as_ref()
        .map(|b| &b.row)
        .into_iter()
        .chain(floor_out.as_ref().map(|f| &f.row))
        .collect();
    let table = csv(&rows);
    write_file(&cli.csv, &table)?;
    let md = markdown(&cli, bulk.as_ref(), floor_out.as_ref());
    write_file(&cli.markdown, &md)?;
    println!("\n{table}\n{md}");
    if let Some(b) = &bulk
        && b.queue_keys > 0
    {
        println!("(deleted {} Redis keys of this run)", b.queue_keys);
    }
    println!("wrote {} and {}", cli.csv.display(), cli.markdown.display());
    let _ = std::fs::remove_dir_all(&dir);
    let dup = rows
        .iter()
        .any(|r| r.duplicates > 0 || r.recipient_duplicates > 0);
    if dup {
        return Err("duplicates were delivered".into());
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Returning drops the run, and with it the child processes (killed on drop).
    let result = tokio::select! {
        r = run(cli) => r,
        _ = stop_signal() => Err("interrupted".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bulkbench: {e}");
            ExitCode::FAILURE
        }
    }
}
