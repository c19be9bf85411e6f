//! The national-scale data generator: plans every entity from a seed ([`plan`]), then
//! writes the tables in foreign-key order, set-based ([`crate::sink`]).

pub mod plan;
pub mod words;

use crate::rng::Rng;
use crate::sink::{Method, SinkError, TableWriter, V, od, oi, ots};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use plan::{
    APP_STATUS, COMPLETION_STATUS, Config, DocumentOwner, Plan, SetInfo, add_days, add_years,
    narratives, person, ts,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use std::time::Instant;
use words::*;

/// Every table of the schema, parents before children.
pub const TABLES: &[&str] = &[
    "account",
    "account_role",
    "session",
    "account_token",
    "login_failure",
    "audit_log",
    "document",
    "bulk_notice_batch",
    "notification",
    "background_task",
    "provider",
    "provider_member",
    "course",
    "course_submission",
    "course_instructor",
    "course_coverage",
    "course_decision",
    "course_approval",
    "application",
    "work_history_entry",
    "education_entry",
    "candidacy",
    "deadline_extension",
    "evaluator",
    "evaluator_expertise",
    "evaluator_conflict",
    "portfolio",
    "portfolio_narrative",
    "portfolio_narrative_competency",
    "portfolio_document",
    "review_round",
    "review",
    "review_assessment",
    "review_recommended_course",
    "assignment_run",
    "appeal",
    "course_completion",
    "achievement",
    "certificate",
    "renewal",
    "renewal_activity",
    "certificate_period",
    "payment",
    "car_share_grant",
    "car_share_grant_set",
    "car_access_log",
    "business_plan",
    "unknown_login_failure",
    "worker_heartbeat",
];

/// The password hash every generated account carries (nobody signs in with it; the
/// benchmark opens sessions directly).
const PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$4fECSeCaIu1RlihdQqBxFA$jQOCqYn2zXvXmN+KFmDxIC5inhIvAwlDrGlssraM3Bg";

/// The benchmark's program officer (account 1).
pub const OFFICER_EMAIL: &str = "officer@bench.lsscp.test";

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Refused(String),
}

type Result<T> = std::result::Result<T, GenerateError>;

/// Rows written per table, and how long it took.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub tables: Vec<(String, u64)>,
    pub plan_secs: f64,
    pub load_secs: f64,
    pub analyze_secs: f64,
}

impl Report {
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|t| t.0 == table)
            .map(|t| t.1)
            .unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.tables.iter().map(|t| t.1).sum()
    }
}

/// Migrates, then makes sure the database holds no programme data: refuses, or with
/// `wipe` empties every table but the catalogue.
pub async fn prepare(db: &DatabaseConnection, wipe: bool) -> Result<()> {
    use migration::MigratorTrait;
    migration::Migrator::up(db, None).await?;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT (SELECT COUNT(*) FROM account) + (SELECT COUNT(*) FROM provider)".to_owned(),
        ))
        .await?;
    let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
    if n == 0 {
        return Ok(());
    }
    if !wipe {
        return Err(GenerateError::Refused(format!(
            "the database already holds data ({n} accounts and providers); pass --wipe to empty it first"
        )));
    }
    match backend {
        DbBackend::Postgres => {
            let list = TABLES
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ");
            db.execute_unprepared(&format!("TRUNCATE {list} RESTART IDENTITY CASCADE"))
                .await?;
        }
        _ => {
            for t in TABLES.iter().rev() {
                db.execute_unprepared(&format!("DELETE FROM \"{t}\""))
                    .await?;
            }
            db.execute_unprepared(&format!(
                "DELETE FROM sqlite_sequence WHERE name IN ({})",
                TABLES
                    .iter()
                    .map(|t| format!("'{t}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .await?;
        }
    }
    Ok(())
}

/// Reads the catalogue the migrations seeded.
pub async fn catalogue(db: &DatabaseConnection) -> Result<Vec<SetInfo>> {
    let backend = db.get_database_backend();
    let sets = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, code, required FROM competency_set ORDER BY position".to_owned(),
        ))
        .await?;
    let comps = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, set_id, number FROM competency ORDER BY set_id, number".to_owned(),
        ))
        .await?;
    let mut out = Vec::new();
    for s in sets {
        let id: i64 = s.try_get_by_index(0)?;
        let mut info = SetInfo {
            id,
            code: s.try_get_by_index(1)?,
            required: s.try_get_by_index(2)?,
            competencies: Vec::new(),
        };
        for c in &comps {
            let set_id: i64 = c.try_get_by_index(1)?;
            if set_id == id {
                info.competencies
                    .push((c.try_get_by_index(0)?, c.try_get_by_index(2)?));
            }
        }
        out.push(info);
    }
    Ok(out)
}

/// Plans and writes the whole data set. The database must be prepared ([`prepare`]).
pub async fn generate(db: &DatabaseConnection, cfg: &Config, method: Method) -> Result<Report> {
    let t0 = Instant::now();
    let sets = catalogue(db).await?;
    let p = plan::plan(cfg, sets);
    let mut report = Report {
        plan_secs: t0.elapsed().as_secs_f64(),
        ..Default::default()
    };
    let t1 = Instant::now();
    let mut w = Writer {
        db,
        method,
        report: &mut report,
    };
    accounts(&mut w, &p).await?;
    documents(&mut w, &p).await?;
    courses(&mut w, &p).await?;
    applications(&mut w, &p).await?;
    candidacies(&mut w, &p).await?;
    evaluators(&mut w, &p).await?;
    completions(&mut w, &p).await?;
    portfolios(&mut w, &p).await?;
    reviews(&mut w, &p).await?;
    achievements(&mut w, &p).await?;
    certificates(&mut w, &p).await?;
    payments(&mut w, &p).await?;
    history(&mut w, &p).await?;
    report.load_secs = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    finish(db).await?;
    report.analyze_secs = t2.elapsed().as_secs_f64();
    Ok(report)
}

/// Moves every id sequence past the ids written, and refreshes the planner's statistics.
async fn finish(db: &DatabaseConnection) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        for t in TABLES {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{t}\"), 0) + 1, false)"
            ))
            .await?;
        }
        db.execute_unprepared("VACUUM ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(())
}

struct Writer<'a> {
    db: &'a DatabaseConnection,
    method: Method,
    report: &'a mut Report,
}

impl Writer<'_> {
    async fn open(&self, table: &str, columns: &[&str]) -> Result<TableWriter> {
        Ok(TableWriter::open(self.db, self.method, table, columns).await?)
    }

    async fn done(&mut self, table: &str, t: TableWriter) -> Result<()> {
        let n = t.finish().await?;
        self.report.tables.push((table.to_owned(), n));
        Ok(())
    }
}

fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

fn key(s: &str) -> String {
    domain::rules::text::normalised_key(s)
}

/// When an applicant's account and application were created.
fn app_created(p: &Plan, i: usize) -> DateTime<Utc> {
    let a = &p.applications[i];
    let mut r = Rng::derive(p.seed, "app-created", i as i64);
    ts(
        add_days(a.day, -r.range(0, 20)),
        r.range(7 * 3600, 22 * 3600),
    )
    .min(ts(a.day, a.secs))
}

fn app_submitted(p: &Plan, i: usize) -> Option<DateTime<Utc>> {
    let a = &p.applications[i];
    (a.status != 0).then(|| ts(a.day, a.secs))
}

fn evaluator_email(e: &plan::Evaluator) -> String {
    format!(
        "{}.{}.e{}@example.net",
        clean(e.given),
        clean(e.family),
        e.id
    )
}

fn staff_email(p: &Plan, account: i64) -> String {
    if account == 1 {
        return OFFICER_EMAIL.to_owned();
    }
    let role = if p.staff.officers.contains(&account) {
        "officer"
    } else if p.staff.assistants.contains(&account) {
        "assistant"
    } else {
        "crc"
    };
    format!("{role}{account}@ala.example.org")
}

async fn accounts(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "account",
            &[
                "id",
                "email",
                "password_hash",
                "display_name",
                "email_verified_at",
                "password_changed_at",
                "disabled_at",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    let mut roles: Vec<(i64, &'static str, Option<i64>, DateTime<Utc>)> = Vec::new();
    let origin = ts(add_days(plan::programme_start(), -60), 9 * 3600);
    let staff: Vec<(i64, &str)> = p
        .staff
        .officers
        .iter()
        .map(|a| (*a, "program_officer"))
        .chain(p.staff.assistants.iter().map(|a| (*a, "program_assistant")))
        .chain(p.staff.crc.iter().map(|a| (*a, "crc_member")))
        .collect();
    for (a, role) in &staff {
        let email = staff_email(p, *a);
        let name = if *a == 1 {
            "Benchmark Officer".to_owned()
        } else {
            format!("Staff member {a}")
        };
        t.row(&[
            V::I(*a),
            V::S(&email),
            V::S(PASSWORD_HASH),
            V::S(&name),
            V::Ts(origin),
            V::Ts(origin),
            V::Null,
            V::Ts(origin),
            V::Ts(origin),
        ])
        .await?;
        roles.push((*a, role, (*a != 1).then_some(1), origin));
    }
    for e in &p.evaluators {
        let email = evaluator_email(e);
        let name = format!("{} {}", e.given, e.family);
        let at = e.applied_at - Duration::days(1);
        t.row(&[
            V::I(e.account_id),
            V::S(&email),
            V::S(PASSWORD_HASH),
            V::S(&name),
            V::Ts(at),
            V::Ts(at),
            V::Null,
            V::Ts(at),
            V::Ts(at),
        ])
        .await?;
        if matches!(e.status, "active" | "inactive") {
            roles.push((
                e.account_id,
                "evaluator",
                e.decided_by,
                e.decided_at.unwrap_or(at),
            ));
        }
    }
    for pr in &p.providers {
        for (j, m) in pr.members.iter().enumerate() {
            let email = format!("member{}@{}", j + 1, pr.domain);
            let name = format!("{} staff {}", pr.name, j + 1);
            let at = pr.created_at + Duration::days(j as i64 * 30);
            t.row(&[
                V::I(*m),
                V::S(&email),
                V::S(PASSWORD_HASH),
                V::S(&name),
                V::Ts(at),
                V::Ts(at),
                V::Null,
                V::Ts(at),
                V::Ts(at),
            ])
            .await?;
            roles.push((*m, "provider_member", None, at));
        }
    }
    for i in 0..p.applications.len() {
        let who = person(p.seed, i, &p.state_w);
        let at = app_created(p, i) - Duration::minutes(30);
        let name = format!("{} {}", who.given, who.family);
        t.row(&[
            V::I(p.applicant_account(i)),
            V::S(&who.email),
            V::S(PASSWORD_HASH),
            V::S(&name),
            V::Ts(at + Duration::minutes(4)),
            V::Ts(at),
            V::Null,
            V::Ts(at),
            V::Ts(at),
        ])
        .await?;
    }
    w.done("account", t).await?;
    for c in &p.candidacies {
        roles.push((p.applicant_account(c.app), "candidate", None, c.created_at));
    }
    let mut t = w
        .open(
            "account_role",
            &["id", "account_id", "role", "granted_by", "granted_at"],
        )
        .await?;
    for (k, (a, role, by, at)) in roles.iter().enumerate() {
        t.row(&[
            V::I(k as i64 + 1),
            V::I(*a),
            V::S(role),
            oi(*by),
            V::Ts(*at),
        ])
        .await?;
    }
    w.done("account_role", t).await?;
    // Recent sign-ins.
    let mut t = w
        .open(
            "session",
            &[
                "id",
                "account_id",
                "token_hash",
                "created_at",
                "expires_at",
                "revoked_at",
                "last_seen_at",
            ],
        )
        .await?;
    for k in 0..p.sessions {
        let mut r = Rng::derive(p.seed, "session", k as i64);
        let account = r.range(1, p.accounts);
        let created = ts(add_days(p.as_of, -r.range(1, 29)), r.range(0, 86399));
        let hash = crate::token_hash(&format!("generated-session-{}-{k}", p.seed));
        t.row(&[
            V::I(k as i64 + 1),
            V::I(account),
            V::S(&hash),
            V::Ts(created),
            V::Ts(created + Duration::hours(720)),
            ots(r.chance(0.2).then(|| created + Duration::hours(2))),
            V::Ts(created + Duration::minutes(r.range(1, 300))),
        ])
        .await?;
    }
    w.done("session", t).await?;
    Ok(())
}

async fn documents(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "document",
            &[
                "id",
                "owner_account_id",
                "purpose",
                "filename",
                "content_type",
                "size_bytes",
                "sha256",
                "storage_key",
                "created_at",
            ],
        )
        .await?;
    for (k, owner) in p.documents.iter().enumerate() {
        let id = k as i64 + 1;
        let (account, purpose, filename, at) = document_info(p, owner);
        let (content_type, ext) = if filename.ends_with("jpg") {
            ("image/jpeg", "")
        } else {
            ("application/pdf", "")
        };
        let _ = ext;
        let mut r = Rng::derive(p.seed, "document", id);
        let sha = format!(
            "{:016x}{:016x}{:016x}{:016x}",
            r.next_u64(),
            r.next_u64(),
            r.next_u64(),
            r.next_u64()
        );
        let storage = format!("documents/{}/{}", &sha[..2], sha);
        t.row(&[
            V::I(id),
            V::I(account),
            V::S(purpose),
            V::S(&filename),
            V::S(content_type),
            V::I(r.range(40_000, 4_000_000)),
            V::S(&sha),
            V::S(&storage),
            V::Ts(at),
        ])
        .await?;
    }
    w.done("document", t).await
}

/// Owner, purpose, file name and creation time of a document.
fn document_info(p: &Plan, owner: &DocumentOwner) -> (i64, &'static str, String, DateTime<Utc>) {
    match owner {
        DocumentOwner::Curriculum { submission } => {
            let s = &p.submissions[*submission];
            (
                s.created_by,
                "course_curriculum",
                format!("curriculum-{}-r{}.pdf", s.course_id, s.revision),
                s.created_at,
            )
        }
        DocumentOwner::Completion { completion } => {
            let c = &p.completions[*completion];
            let cand = &p.candidacies[c.candidacy as usize];
            (
                p.applicant_account(cand.app),
                "course_completion",
                format!("certificate-of-completion-{}.pdf", c.id),
                c.submitted_at - Duration::minutes(5),
            )
        }
        DocumentOwner::Portfolio { portfolio, k } => {
            let pf = &p.portfolios[*portfolio];
            let cand = &p.candidacies[pf.candidacy as usize];
            let name = if *k == 0 {
                format!("evidence-{}.pdf", pf.id)
            } else {
                format!("photo-{}-{}.jpg", pf.id, k)
            };
            (
                p.applicant_account(cand.app),
                "portfolio_evidence",
                name,
                pf.created_at + Duration::days(i64::from(*k) + 1),
            )
        }
    }
}

async fn courses(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "provider",
            &[
                "id",
                "name",
                "kind",
                "address_line1",
                "address_line2",
                "city",
                "state",
                "postal_code",
                "country",
                "contact_name",
                "contact_email",
                "contact_phone",
                "website",
                "created_by",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for pr in &p.providers {
        let mut r = Rng::derive(p.seed, "provider-address", pr.id);
        let street = format!("{} {}", r.range(1, 2000), r.pick(STREETS));
        let postal = format!("{:05}", r.range(1001, 99950));
        let email = format!("training@{}", pr.domain);
        let website = format!("https://{}/", pr.domain);
        t.row(&[
            V::I(pr.id),
            V::S(&pr.name),
            V::S(pr.kind),
            V::S(&street),
            V::Null,
            V::S(pr.city),
            V::S(pr.state),
            V::S(&postal),
            V::S("US"),
            V::S(&pr.contact_name),
            V::S(&email),
            V::Null,
            V::S(&website),
            V::I(pr.members[0]),
            V::Ts(pr.created_at),
            V::Ts(pr.created_at),
        ])
        .await?;
    }
    w.done("provider", t).await?;
    let mut t = w
        .open(
            "provider_member",
            &["id", "provider_id", "account_id", "added_at"],
        )
        .await?;
    let mut n = 0;
    for pr in &p.providers {
        for (j, m) in pr.members.iter().enumerate() {
            n += 1;
            t.row(&[
                V::I(n),
                V::I(pr.id),
                V::I(*m),
                V::Ts(pr.created_at + Duration::days(j as i64 * 30)),
            ])
            .await?;
        }
    }
    w.done("provider_member", t).await?;
    let mut t = w
        .open(
            "course",
            &[
                "id",
                "provider_id",
                "set_id",
                "title",
                "status",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for c in &p.courses {
        t.row(&[
            V::I(c.id),
            V::I(p.providers[c.provider].id),
            V::I(p.sets[c.set].id),
            V::S(&c.title),
            V::S(c.status),
            V::Ts(c.created_at),
            V::Ts(c.updated_at),
        ])
        .await?;
    }
    w.done("course", t).await?;
    let mut t = w
        .open(
            "course_submission",
            &[
                "id",
                "course_id",
                "kind",
                "revision",
                "status",
                "title",
                "description",
                "format",
                "delivery",
                "timing",
                "duration",
                "duration_hours",
                "curriculum_document_id",
                "assessment_method",
                "fee_cents",
                "submitted_at",
                "decided_at",
                "created_by",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for s in &p.submissions {
        let c = &p.courses[(s.course_id - 1) as usize];
        let description = format!(
            "{} teaches the {} competencies through readings, discussion and a practical project.",
            s.title,
            p.sets[c.set].code.replace('_', " ").to_lowercase()
        );
        let duration = if s.duration_weeks == 1 {
            "1 week".to_owned()
        } else {
            format!("{} weeks", s.duration_weeks)
        };
        let updated = s.decided_at.or(s.submitted_at).unwrap_or(s.created_at);
        t.row(&[
            V::I(s.id),
            V::I(s.course_id),
            V::S(s.kind),
            V::I(i64::from(s.revision)),
            V::S(s.status),
            V::S(&s.title),
            V::S(&description),
            V::S(s.format),
            V::S(s.delivery),
            V::S(s.timing),
            V::S(&duration),
            V::I(s.duration_weeks * 6),
            V::I(s.document_id),
            V::S("A graded project and a final reflective essay."),
            oi(s.fee),
            ots(s.submitted_at),
            ots(s.decided_at),
            V::I(s.created_by),
            V::Ts(s.created_at),
            V::Ts(updated),
        ])
        .await?;
    }
    w.done("course_submission", t).await?;
    let mut t = w
        .open(
            "course_instructor",
            &["id", "submission_id", "name", "qualifications", "position"],
        )
        .await?;
    let mut n = 0;
    for s in &p.submissions {
        let mut r = Rng::derive(p.seed, "instructor", s.id);
        for k in 0..r.range(1, 2) {
            n += 1;
            let name = format!("{} {}", r.pick(GIVEN), r.pick(FAMILY));
            t.row(&[
                V::I(n),
                V::I(s.id),
                V::S(&name),
                V::S("MLIS; ten years of teaching library support staff."),
                V::I(k),
            ])
            .await?;
        }
    }
    w.done("course_instructor", t).await?;
    let mut t = w
        .open(
            "course_coverage",
            &["id", "submission_id", "competency_id", "content"],
        )
        .await?;
    let mut n = 0;
    for s in &p.submissions {
        let c = &p.courses[(s.course_id - 1) as usize];
        for (cid, number) in &p.sets[c.set].competencies {
            n += 1;
            let content = format!("Unit {}: competency {} in practice", number, number);
            t.row(&[V::I(n), V::I(s.id), V::I(*cid), V::S(&content)])
                .await?;
        }
    }
    w.done("course_coverage", t).await?;
    let mut t = w
        .open(
            "course_decision",
            &[
                "id",
                "submission_id",
                "decision",
                "reasons",
                "decided_by",
                "decided_at",
            ],
        )
        .await?;
    let mut n = 0;
    for s in &p.submissions {
        if let (Some(d), Some(at), Some(by)) = (s.decision, s.decided_at, s.decided_by) {
            n += 1;
            let reasons = match d {
                "approved" => "Covers every competency of the set with appropriate assessment.",
                "rejected" => "The curriculum does not address the set's competencies.",
                _ => "Please describe how competencies 3 and 4 are assessed.",
            };
            t.row(&[
                V::I(n),
                V::I(s.id),
                V::S(d),
                V::S(reasons),
                V::I(by),
                V::Ts(at),
            ])
            .await?;
        }
    }
    w.done("course_decision", t).await?;
    let mut t = w
        .open(
            "course_approval",
            &[
                "id",
                "course_id",
                "submission_id",
                "starts_on",
                "expires_on",
                "expired_at",
                "created_at",
            ],
        )
        .await?;
    for a in &p.approvals {
        let expired = (a.expires_on <= p.as_of).then(|| ts(a.expires_on, 2 * 3600 + 120));
        t.row(&[
            V::I(a.id),
            V::I(a.course_id),
            V::I(a.submission_id),
            V::D(a.starts_on),
            V::D(a.expires_on),
            ots(expired),
            V::Ts(a.created_at),
        ])
        .await?;
    }
    w.done("course_approval", t).await
}

fn eligibility_json(p: &Plan, i: usize, hours: i64, outcome: &str) -> String {
    let a = &p.applications[i];
    let short = 1820 - hours;
    let shortfalls = if outcome == "ineligible" {
        json!([{ "requirement": "work_hours", "required": 1820, "counted": hours as f64, "short_by": short as f64 }])
    } else {
        json!([])
    };
    json!({
        "outcome": outcome,
        "decided_on": a.day.to_string(),
        "window_starts_on": add_years(a.day, -5).to_string(),
        "window_ends_on": a.day.to_string(),
        "required_hours": 1820,
        "counted_hours": hours as f64,
        "entries": [],
        "education_found": "high_school_diploma",
        "education_outside_us": a.foreign,
        "shortfalls": shortfalls,
    })
    .to_string()
}

async fn applications(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "application",
            &[
                "id",
                "account_id",
                "status",
                "given_name",
                "family_name",
                "email",
                "phone",
                "address_line1",
                "address_line2",
                "city",
                "state",
                "postal_code",
                "country",
                "employer_name",
                "employer_key",
                "employer_address",
                "state_library_name",
                "state_library_address",
                "ala_member",
                "ala_member_number",
                "marketing_source",
                "marketing_source_detail",
                "consent_publish_name",
                "consent_award_notice",
                "eligibility",
                "eligibility_decided_at",
                "education_decision",
                "education_decision_reason",
                "education_decided_by",
                "education_decided_at",
                "fee_cents",
                "submitted_at",
                "withdrawn_at",
                "accepted_at",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    let mut work = w
        .open(
            "work_history_entry",
            &[
                "id",
                "application_id",
                "library_name",
                "library_type",
                "position_title",
                "paid",
                "started_on",
                "ended_on",
                "hours",
                "position",
            ],
        )
        .await?;
    let mut edu = w
        .open(
            "education_entry",
            &[
                "id",
                "application_id",
                "level",
                "institution",
                "country",
                "completed_on",
                "position",
            ],
        )
        .await?;
    let (mut n_work, mut n_edu) = (0i64, 0i64);
    for i in 0..p.applications.len() {
        let a = &p.applications[i];
        let id = i as i64 + 1;
        let who = person(p.seed, i, &p.state_w);
        let mut r = Rng::derive(p.seed, "application-detail", id);
        let status = APP_STATUS[a.status as usize];
        let created = app_created(p, i);
        let submitted = app_submitted(p, i);
        // Work history: one to three entries, ending with the current job.
        let entries = r.range(1, 3);
        let mut total_hours = 0i64;
        let mut end: Option<NaiveDate> = None;
        for k in 0..entries {
            n_work += 1;
            let ended = end;
            let started = add_days(ended.unwrap_or(a.day), -r.range(400, 3000));
            let days = (ended.unwrap_or(a.day) - started).num_days();
            let hours = if a.status == 3 {
                days * r.range(1, 3)
            } else {
                days * r.range(3, 6)
            };
            total_hours += hours;
            let library = if k == 0 {
                who.employer.clone()
            } else {
                format!("{} {}", r.pick(CITIES), r.pick(LIBRARY_KINDS))
            };
            work.row(&[
                V::I(n_work),
                V::I(id),
                V::S(&library),
                V::S(if k == 0 { who.library_type } else { "public" }),
                V::S(r.pick::<&str>(POSITIONS)),
                V::B(!r.chance(0.05)),
                V::D(started),
                od(ended),
                V::I(hours),
                V::I(k),
            ])
            .await?;
            end = Some(add_days(started, -r.range(0, 60)));
        }
        let levels = [
            "high_school_diploma",
            "ged",
            "associate",
            "bachelor",
            "master",
        ];
        let level = levels[r.weighted(&[40.0, 10.0, 25.0, 20.0, 5.0])];
        n_edu += 1;
        edu.row(&[
            V::I(n_edu),
            V::I(id),
            V::S(level),
            V::S(&format!("{} High School", who.city)),
            V::S(if a.foreign { "CA" } else { "US" }),
            od(Some(add_years(a.day, -(r.range(3, 30) as i32)))),
            V::I(0),
        ])
        .await?;
        if r.chance(0.3) {
            n_edu += 1;
            edu.row(&[
                V::I(n_edu),
                V::I(id),
                V::S("associate"),
                V::S(&format!("{} Community College", r.pick(CITIES))),
                V::S("US"),
                od(Some(add_years(a.day, -(r.range(1, 20) as i32)))),
                V::I(1),
            ])
            .await?;
        }
        let outcome = match a.status {
            1 => Some("needs_education_review"),
            2 | 4 => Some("eligible"),
            3 => Some("ineligible"),
            5 => Some(if r.chance(0.5) {
                "eligible"
            } else {
                "ineligible"
            }),
            _ => None,
        };
        let eligibility = outcome.map(|o| eligibility_json(p, i, total_hours, o));
        let decided_at = outcome.and(submitted).filter(|_| a.status != 1);
        let education = (a.foreign && a.status == ACCEPTED_U8).then(|| {
            let at = submitted.unwrap_or(created) + Duration::days(r.range(2, 10));
            (at, p.staff.assistants[i % p.staff.assistants.len()])
        });
        let withdrawn =
            (a.status == 5).then(|| submitted.unwrap_or(created) + Duration::days(r.range(5, 200)));
        let accepted_at = a.accepted_on.map(|d| ts(d, a.secs + 3600));
        let updated = accepted_at.or(withdrawn).or(submitted).unwrap_or(created);
        let employer_key = key(&who.employer);
        let member_number = who
            .member
            .then(|| format!("{:07}", r.range(1_000_000, 9_999_999)));
        let consent_notice = r.chance(0.3);
        let state = plan::state_weights();
        let _ = state;
        let state_code = STATES[who.state].0;
        let state_library = format!("{} State Library", STATES[who.state].1);
        t.row(&[
            V::I(id),
            V::I(p.applicant_account(i)),
            V::S(status),
            V::S(who.given),
            V::S(who.family),
            V::S(&who.email),
            who.phone.as_deref().into(),
            V::S(&who.street),
            V::Null,
            V::S(who.city),
            V::S(state_code),
            V::S(&who.postal),
            V::S("US"),
            V::S(&who.employer),
            V::S(&employer_key),
            V::Null,
            if consent_notice {
                V::S(&state_library)
            } else {
                V::Null
            },
            V::Null,
            V::B(who.member),
            member_number.as_deref().into(),
            who.source.into(),
            V::Null,
            V::B(r.chance(0.6)),
            V::B(consent_notice),
            eligibility.as_deref().map_or(V::Null, V::J),
            ots(decided_at),
            education.map_or(V::Null, |_| V::S("accepted")),
            education.map_or(V::Null, |_| V::S("Equivalent to a US high-school diploma.")),
            oi(education.map(|e| e.1)),
            ots(education.map(|e| e.0)),
            if a.status == 0 { V::Null } else { V::I(a.fee) },
            ots(submitted),
            ots(withdrawn),
            ots(accepted_at),
            V::Ts(created),
            V::Ts(updated),
        ])
        .await?;
    }
    w.done("application", t).await?;
    w.done("work_history_entry", work).await?;
    w.done("education_entry", edu).await
}

const ACCEPTED_U8: u8 = plan::ACCEPTED;

async fn candidacies(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "candidacy",
            &[
                "id",
                "application_id",
                "account_id",
                "number",
                "pseudonym",
                "status",
                "started_on",
                "deadline_on",
                "car_expires_on",
                "lapsed_at",
                "certified_at",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for c in &p.candidacies {
        let number = format!("LSS-{:06}", c.app + 1);
        let updated = c
            .certified_at
            .or(c.lapsed_at)
            .or(c.extension.map(|e| e.1))
            .unwrap_or(c.created_at);
        t.row(&[
            V::I(c.id),
            V::I(c.app as i64 + 1),
            V::I(p.applicant_account(c.app)),
            V::S(&number),
            V::S(&c.pseudonym),
            V::S(c.status),
            V::D(c.started_on),
            V::D(c.deadline_on),
            V::D(add_years(c.started_on, 5)),
            ots(c.lapsed_at),
            ots(c.certified_at),
            V::Ts(c.created_at),
            V::Ts(updated),
        ])
        .await?;
    }
    w.done("candidacy", t).await?;
    let mut t = w
        .open(
            "deadline_extension",
            &[
                "id",
                "candidacy_id",
                "previous_deadline_on",
                "new_deadline_on",
                "reason",
                "granted_by",
                "granted_at",
            ],
        )
        .await?;
    let mut n = 0;
    for c in &p.candidacies {
        if let Some((prev, at, by)) = c.extension {
            n += 1;
            t.row(&[
                V::I(n),
                V::I(c.id),
                V::D(prev),
                V::D(c.deadline_on),
                V::S("Medical leave documented by the candidate."),
                V::I(by),
                V::Ts(at),
            ])
            .await?;
        }
    }
    w.done("deadline_extension", t).await
}

async fn evaluators(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "evaluator",
            &[
                "id",
                "account_id",
                "status",
                "qualifications",
                "employer",
                "employer_key",
                "institution",
                "institution_key",
                "state",
                "capacity",
                "paused_until",
                "training_completed_on",
                "applied_at",
                "decided_at",
                "decided_by",
                "decision_reason",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for e in &p.evaluators {
        let ek = key(&e.employer);
        let ik = e.institution.as_deref().map(key);
        let reason = (e.status == "declined").then_some("Not enough supervisory experience yet.");
        t.row(&[
            V::I(e.id),
            V::I(e.account_id),
            V::S(e.status),
            V::S("MLIS; supervises library support staff; mentors new employees."),
            V::S(&e.employer),
            V::S(&ek),
            e.institution.as_deref().into(),
            ik.as_deref().into(),
            V::S(e.state),
            V::I(i64::from(e.capacity)),
            od(e.paused_until),
            od(e.training),
            V::Ts(e.applied_at),
            ots(e.decided_at),
            oi(e.decided_by),
            reason.into(),
            V::Ts(e.applied_at),
            V::Ts(e.decided_at.unwrap_or(e.applied_at)),
        ])
        .await?;
    }
    w.done("evaluator", t).await?;
    let mut t = w
        .open("evaluator_expertise", &["id", "evaluator_id", "set_id"])
        .await?;
    let mut n = 0;
    for e in &p.evaluators {
        for s in &e.sets {
            n += 1;
            t.row(&[V::I(n), V::I(e.id), V::I(p.sets[*s].id)]).await?;
        }
    }
    w.done("evaluator_expertise", t).await?;
    let mut t = w
        .open(
            "evaluator_conflict",
            &[
                "id",
                "evaluator_id",
                "candidacy_id",
                "institution",
                "institution_key",
                "note",
                "declared_at",
            ],
        )
        .await?;
    for (k, c) in p.conflicts.iter().enumerate() {
        let ik = c.institution.as_deref().map(key);
        let note = if c.candidacy_id.is_some() {
            "A former colleague."
        } else {
            "I worked there until recently."
        };
        t.row(&[
            V::I(k as i64 + 1),
            V::I(c.evaluator_id),
            oi(c.candidacy_id),
            c.institution.as_deref().into(),
            ik.as_deref().into(),
            V::S(note),
            V::Ts(c.declared_at),
        ])
        .await?;
    }
    w.done("evaluator_conflict", t).await
}

async fn completions(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "course_completion",
            &[
                "id",
                "candidacy_id",
                "course_id",
                "set_id",
                "completed_on",
                "document_id",
                "status",
                "decision_reason",
                "decided_by",
                "decided_at",
                "submitted_at",
            ],
        )
        .await?;
    for c in &p.completions {
        let reason = (c.status == 2).then_some("The certificate does not name the course.");
        t.row(&[
            V::I(c.id),
            V::I(p.candidacies[c.candidacy as usize].id),
            V::I(c.course_id),
            V::I(p.sets[c.set as usize].id),
            V::D(c.completed_on),
            V::I(c.document_id),
            V::S(COMPLETION_STATUS[c.status as usize]),
            reason.into(),
            oi(c.decided_by),
            ots(c.decided_at),
            V::Ts(c.submitted_at),
        ])
        .await?;
    }
    w.done("course_completion", t).await
}

fn content_json(p: &Plan, pf: &plan::Portfolio) -> String {
    let set = &p.sets[pf.set as usize];
    let narratives: Vec<serde_json::Value> = narratives(p.seed, pf.id, set)
        .into_iter()
        .map(|n| json!({ "title": n.title, "body": n.body, "competencies": n.competencies }))
        .collect();
    let documents: Vec<serde_json::Value> = (0..pf.documents)
        .map(|k| {
            let id = pf.first_document + i64::from(k);
            let (_, _, filename, _) = document_info(
                p,
                &DocumentOwner::Portfolio {
                    portfolio: (pf.id - 1) as usize,
                    k,
                },
            );
            let mut r = Rng::derive(p.seed, "document", id);
            let sha = format!(
                "{:016x}{:016x}{:016x}{:016x}",
                r.next_u64(),
                r.next_u64(),
                r.next_u64(),
                r.next_u64()
            );
            json!({
                "document_id": id,
                "filename": filename,
                "content_type": if k == 0 { "application/pdf" } else { "image/jpeg" },
                "sha256": sha,
                "caption": if k == 0 { None } else { Some("The display I built") },
            })
        })
        .collect();
    json!({ "narratives": narratives, "documents": documents }).to_string()
}

async fn portfolios(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "portfolio",
            &[
                "id",
                "candidacy_id",
                "set_id",
                "status",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for pf in &p.portfolios {
        t.row(&[
            V::I(pf.id),
            V::I(p.candidacies[pf.candidacy as usize].id),
            V::I(p.sets[pf.set as usize].id),
            V::S(pf.status),
            V::Ts(pf.created_at),
            V::Ts(pf.updated_at),
        ])
        .await?;
    }
    w.done("portfolio", t).await?;
    let mut t = w
        .open(
            "portfolio_narrative",
            &[
                "id",
                "portfolio_id",
                "title",
                "body",
                "position",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    let mut nc = w
        .open(
            "portfolio_narrative_competency",
            &["id", "narrative_id", "competency_id"],
        )
        .await?;
    let (mut n, mut m) = (0i64, 0i64);
    for pf in &p.portfolios {
        let set = &p.sets[pf.set as usize];
        for (k, nar) in narratives(p.seed, pf.id, set).into_iter().enumerate() {
            n += 1;
            let at = pf.created_at + Duration::days(k as i64);
            t.row(&[
                V::I(n),
                V::I(pf.id),
                V::S(&nar.title),
                V::S(&nar.body),
                V::I(k as i64),
                V::Ts(at),
                V::Ts(at),
            ])
            .await?;
            for number in nar.competencies {
                m += 1;
                let cid = set
                    .competencies
                    .iter()
                    .find(|c| c.1 == number)
                    .map(|c| c.0)
                    .unwrap_or_default();
                nc.row(&[V::I(m), V::I(n), V::I(cid)]).await?;
            }
        }
    }
    w.done("portfolio_narrative", t).await?;
    w.done("portfolio_narrative_competency", nc).await?;
    let mut t = w
        .open(
            "portfolio_document",
            &["id", "portfolio_id", "document_id", "caption", "added_at"],
        )
        .await?;
    let mut n = 0;
    for pf in &p.portfolios {
        for k in 0..pf.documents {
            n += 1;
            t.row(&[
                V::I(n),
                V::I(pf.id),
                V::I(pf.first_document + i64::from(k)),
                if k == 0 {
                    V::Null
                } else {
                    V::S("The display I built")
                },
                V::Ts(pf.created_at + Duration::days(i64::from(k) + 1)),
            ])
            .await?;
        }
    }
    w.done("portfolio_document", t).await
}

async fn reviews(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "review_round",
            &[
                "id",
                "portfolio_id",
                "number",
                "status",
                "content",
                "submitted_at",
                "outcome",
                "decided_at",
                "unstaffed_reason",
                "unstaffed_since",
                "ordered_by_appeal_id",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for rd in &p.rounds {
        let pf = &p.portfolios[rd.portfolio as usize];
        let content = content_json(p, pf);
        t.row(&[
            V::I(rd.id),
            V::I(pf.id),
            V::I(i64::from(rd.number)),
            V::S(rd.status),
            V::J(&content),
            V::Ts(rd.submitted_at),
            rd.outcome.into(),
            ots(rd.decided_at),
            rd.unstaffed.map(|u| u.0).into(),
            ots(rd.unstaffed.map(|u| u.1)),
            oi(rd.ordered_by_appeal),
            V::Ts(rd.submitted_at),
            V::Ts(rd.decided_at.unwrap_or(rd.submitted_at)),
        ])
        .await?;
    }
    w.done("review_round", t).await?;
    let mut t = w
        .open(
            "review",
            &[
                "id",
                "round_id",
                "evaluator_id",
                "slot",
                "status",
                "assigned_by",
                "assigned_at",
                "due_on",
                "submitted_at",
                "overall_met",
                "feedback",
                "ended_at",
                "end_reason",
                "created_at",
            ],
        )
        .await?;
    for rv in &p.reviews {
        let feedback = rv.overall_met.map(|m| {
            if m {
                "The portfolio shows the competencies in daily practice."
            } else {
                "Several competencies are described but not demonstrated; see the comments."
            }
        });
        t.row(&[
            V::I(rv.id),
            V::I(p.rounds[rv.round as usize].id),
            V::I(p.evaluators[rv.evaluator as usize].id),
            V::I(i64::from(rv.slot)),
            V::S(rv.status),
            V::S(rv.assigned_by),
            V::Ts(rv.assigned_at),
            V::D(rv.due_on),
            ots(rv.submitted_at),
            rv.overall_met.map_or(V::Null, V::B),
            feedback.into(),
            ots(rv.ended_at),
            rv.end_reason.into(),
            V::Ts(rv.assigned_at),
        ])
        .await?;
    }
    w.done("review", t).await?;
    let mut t = w
        .open(
            "review_assessment",
            &["id", "review_id", "competency_id", "met", "comment"],
        )
        .await?;
    let mut rec = w
        .open(
            "review_recommended_course",
            &["id", "review_id", "course_id"],
        )
        .await?;
    let (mut n, mut m) = (0i64, 0i64);
    for rv in &p.reviews {
        let Some(overall) = rv.overall_met else {
            continue;
        };
        let mut r = Rng::derive(p.seed, "assessment", rv.id);
        let set = p.portfolios[p.rounds[rv.round as usize].portfolio as usize].set as usize;
        for (cid, _) in &p.sets[set].competencies {
            n += 1;
            let met = if overall {
                r.chance(0.97)
            } else {
                r.chance(0.6)
            };
            t.row(&[
                V::I(n),
                V::I(rv.id),
                V::I(*cid),
                V::B(met),
                V::S(r.pick::<&str>(COMMENTS)),
            ])
            .await?;
        }
        if let Some(course) = rv.recommended {
            m += 1;
            rec.row(&[V::I(m), V::I(rv.id), V::I(course)]).await?;
        }
    }
    w.done("review_assessment", t).await?;
    w.done("review_recommended_course", rec).await?;
    let mut t = w
        .open(
            "appeal",
            &[
                "id",
                "round_id",
                "candidacy_id",
                "reason",
                "status",
                "filed_at",
                "decided_at",
                "decided_by",
                "decision_reason",
                "new_round_id",
            ],
        )
        .await?;
    for a in &p.appeals {
        let reason = a.decided_at.map(|_| match a.status {
            "upheld" => "The evaluators' findings are supported by the portfolio.",
            _ => "One assessment did not consider the attached evidence.",
        });
        t.row(&[
            V::I(a.id),
            V::I(a.round_id),
            V::I(a.candidacy_id),
            V::S("My second narrative addresses competency 4 directly; please look again."),
            V::S(a.status),
            V::Ts(a.filed_at),
            ots(a.decided_at),
            oi(a.decided_by),
            reason.into(),
            oi(a.new_round_id),
        ])
        .await?;
    }
    w.done("appeal", t).await
}

async fn achievements(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "achievement",
            &[
                "id",
                "candidacy_id",
                "set_id",
                "method",
                "course_completion_id",
                "review_round_id",
                "achieved_on",
                "recorded_by",
                "recorded_at",
            ],
        )
        .await?;
    for a in &p.achievements {
        t.row(&[
            V::I(a.id),
            V::I(p.candidacies[a.candidacy as usize].id),
            V::I(p.sets[a.set as usize].id),
            V::S(if a.completion_id.is_some() {
                "course"
            } else {
                "portfolio"
            }),
            oi(a.completion_id),
            oi(a.round_id),
            V::D(a.achieved_on),
            oi(a.recorded_by),
            V::Ts(a.recorded_at),
        ])
        .await?;
    }
    w.done("achievement", t).await
}

async fn certificates(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "certificate",
            &[
                "id",
                "candidacy_id",
                "account_id",
                "number",
                "verification_code",
                "sequence",
                "holder_name",
                "issued_on",
                "expires_on",
                "status",
                "expired_at",
                "revoked_at",
                "revoked_reason",
                "revoked_by",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for c in &p.certificates {
        let cand = &p.candidacies[c.candidacy as usize];
        let who = person(p.seed, cand.app, &p.state_w);
        let holder = format!("{} {}", who.given, who.family);
        let expired = (c.status == "expired").then(|| ts(c.expires_on, 2 * 3600));
        let updated = c.revoked.map(|r| r.0).or(expired).unwrap_or(c.created_at);
        t.row(&[
            V::I(c.id),
            V::I(cand.id),
            V::I(p.applicant_account(cand.app)),
            V::S(&c.number),
            V::S(&c.code),
            V::I(c.sequence),
            V::S(&holder),
            V::D(c.issued_on),
            V::D(c.expires_on),
            V::S(c.status),
            ots(expired),
            ots(c.revoked.map(|r| r.0)),
            c.revoked.map(|_| "Issued in error.").into(),
            oi(c.revoked.map(|r| r.1)),
            V::Ts(c.created_at),
            V::Ts(updated),
        ])
        .await?;
    }
    w.done("certificate", t).await?;
    let mut t = w
        .open(
            "renewal",
            &[
                "id",
                "certificate_id",
                "status",
                "fee_cents",
                "contact_hours",
                "technology_hours",
                "submitted_at",
                "decided_at",
                "decided_by",
                "decision_reasons",
                "new_expires_on",
                "created_at",
                "updated_at",
            ],
        )
        .await?;
    for rn in &p.renewals {
        t.row(&[
            V::I(rn.id),
            V::I(rn.certificate_id),
            V::S(rn.status),
            V::I(10_000),
            V::I(i64::from(rn.contact_hours)),
            V::I(i64::from(rn.technology_hours)),
            V::Ts(rn.submitted_at),
            ots(rn.decided.map(|d| d.0)),
            oi(rn.decided.map(|d| d.1)),
            V::Null,
            od(rn.new_expires_on),
            V::Ts(rn.created_at),
            V::Ts(rn.decided.map(|d| d.0).unwrap_or(rn.submitted_at)),
        ])
        .await?;
    }
    w.done("renewal", t).await?;
    let mut t = w
        .open(
            "renewal_activity",
            &[
                "id",
                "renewal_id",
                "title",
                "provider_name",
                "completed_on",
                "contact_hours",
                "technology_hours",
                "document_id",
                "position",
            ],
        )
        .await?;
    let mut n = 0;
    for rn in &p.renewals {
        let mut r = Rng::derive(p.seed, "renewal-activity", rn.id);
        let k = r.range(2, 4);
        for j in 0..k {
            n += 1;
            let title = format!(
                "{} {}",
                r.pick(TOPICS),
                r.pick(&["webinar", "conference session", "workshop", "online course"])
            );
            let provider = &p.providers[r.below(p.providers.len() as u64) as usize].name;
            t.row(&[
                V::I(n),
                V::I(rn.id),
                V::S(&title),
                V::S(provider),
                V::D(add_days(rn.submitted_at.date_naive(), -r.range(30, 1500))),
                V::I(i64::from(rn.contact_hours) / k),
                V::I(i64::from(rn.technology_hours) / k),
                V::Null,
                V::I(j),
            ])
            .await?;
        }
    }
    w.done("renewal_activity", t).await?;
    let mut t = w
        .open(
            "certificate_period",
            &[
                "id",
                "certificate_id",
                "starts_on",
                "expires_on",
                "renewal_id",
                "status_list_index",
                "created_at",
            ],
        )
        .await?;
    for pd in &p.periods {
        t.row(&[
            V::I(pd.id),
            V::I(pd.certificate_id),
            V::D(pd.starts_on),
            V::D(pd.expires_on),
            oi(pd.renewal_id),
            V::I(pd.id - 1),
            V::Ts(pd.created_at),
        ])
        .await?;
    }
    w.done("certificate_period", t).await
}

async fn payments(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let mut t = w
        .open(
            "payment",
            &[
                "id",
                "kind",
                "amount_cents",
                "method",
                "reference",
                "paid_on",
                "recorded_by",
                "application_id",
                "course_submission_id",
                "renewal_id",
                "created_at",
            ],
        )
        .await?;
    let methods = [
        "card",
        "check",
        "bank_transfer",
        "cash",
        "purchase_order",
        "other",
    ];
    let weights = [55.0, 20.0, 8.0, 1.0, 15.0, 1.0];
    let mut n = 0i64;
    for (i, a) in p.applications.iter().enumerate() {
        let Some(on) = a.accepted_on else { continue };
        n += 1;
        let mut r = Rng::derive(p.seed, "payment-app", i as i64);
        let method = methods[r.weighted(&weights)];
        let reference = (method == "check" || method == "purchase_order")
            .then(|| format!("{}-{}", &method[..2].to_uppercase(), r.range(1000, 99999)));
        t.row(&[
            V::I(n),
            V::S("candidate_fee"),
            V::I(a.fee),
            V::S(method),
            reference.as_deref().into(),
            V::D(on),
            V::I(p.staff.assistants[i % p.staff.assistants.len()]),
            V::I(i as i64 + 1),
            V::Null,
            V::Null,
            V::Ts(ts(on, a.secs + 1800)),
        ])
        .await?;
    }
    for s in &p.submissions {
        let (Some(fee), Some(at)) = (s.fee, s.decided_at) else {
            continue;
        };
        if s.status == "changes_requested" {
            continue;
        }
        n += 1;
        let paid = at - Duration::days(3);
        t.row(&[
            V::I(n),
            V::S("course_fee"),
            V::I(fee),
            V::S("purchase_order"),
            V::S(&format!("PO-{}", s.id)),
            V::D(paid.date_naive()),
            V::I(p.staff.assistants[0]),
            V::Null,
            V::I(s.id),
            V::Null,
            V::Ts(paid),
        ])
        .await?;
    }
    for rn in &p.renewals {
        let Some((at, by)) = rn.decided else { continue };
        n += 1;
        let paid = at - Duration::days(1);
        t.row(&[
            V::I(n),
            V::S("renewal_fee"),
            V::I(10_000),
            V::S("card"),
            V::Null,
            V::D(paid.date_naive()),
            V::I(by),
            V::Null,
            V::Null,
            V::I(rn.id),
            V::Ts(paid),
        ])
        .await?;
    }
    w.done("payment", t).await
}

/// One email the history sent, and the audit row of the change behind it.
struct Event<'a> {
    template: &'static str,
    key: String,
    account: Option<i64>,
    to: &'a str,
    to_name: Option<&'a str>,
    params: serde_json::Value,
    at: DateTime<Utc>,
}

struct History {
    notes: TableWriter,
    audit: TableWriter,
    n_notes: i64,
    n_audit: i64,
}

impl History {
    async fn email(&mut self, e: Event<'_>) -> Result<()> {
        self.n_notes += 1;
        let params = e.params.to_string();
        self.notes
            .row(&[
                V::I(self.n_notes),
                V::S(&e.key),
                oi(e.account),
                V::S(e.to),
                e.to_name.into(),
                V::S(e.template),
                V::J(&params),
                V::Null,
                V::S("sent"),
                V::I(1),
                V::Ts(e.at),
                V::Ts(e.at + Duration::seconds(1)),
                V::S("worker-history"),
                V::Ts(e.at + Duration::seconds(1)),
                V::Ts(e.at + Duration::seconds(2)),
                V::Null,
                V::Null,
                V::Ts(e.at),
            ])
            .await?;
        Ok(())
    }

    async fn audit(
        &mut self,
        actor: Option<i64>,
        action: &str,
        entity: &str,
        id: i64,
        after: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.n_audit += 1;
        let after = after.to_string();
        self.audit
            .row(&[
                V::I(self.n_audit),
                oi(actor),
                V::S(action),
                V::S(entity),
                V::I(id),
                V::Null,
                V::J(&after),
                V::Ts(at),
            ])
            .await?;
        Ok(())
    }
}

/// The notifications and audit rows the history implies: every account registered, every
/// application submitted, every candidacy, achievement, certificate, review, course
/// decision and renewal, each with its email.
async fn history(w: &mut Writer<'_>, p: &Plan) -> Result<()> {
    let notes = w
        .open(
            "notification",
            &[
                "id",
                "idempotency_key",
                "account_id",
                "to_email",
                "to_name",
                "template",
                "params",
                "secret",
                "status",
                "attempts",
                "next_attempt_at",
                "pushed_at",
                "claimed_by",
                "claimed_at",
                "sent_at",
                "last_error",
                "batch_id",
                "created_at",
            ],
        )
        .await?;
    let audit = w
        .open(
            "audit_log",
            &[
                "id",
                "actor_account_id",
                "action",
                "entity_type",
                "entity_id",
                "before",
                "after",
                "at",
            ],
        )
        .await?;
    let mut h = History {
        notes,
        audit,
        n_notes: 0,
        n_audit: 0,
    };
    // Evaluators.
    for e in &p.evaluators {
        h.audit(
            Some(e.account_id),
            "evaluator.apply",
            "evaluator",
            e.id,
            json!({ "status": "applied" }),
            e.applied_at,
        )
        .await?;
        if let (Some(at), Some(by)) = (e.decided_at, e.decided_by) {
            h.audit(
                Some(by),
                "evaluator.decide",
                "evaluator",
                e.id,
                json!({ "status": e.status }),
                at,
            )
            .await?;
        }
    }
    // Course submissions and decisions.
    for s in &p.submissions {
        if let Some(at) = s.submitted_at {
            h.audit(
                Some(s.created_by),
                "course.submit",
                "course_submission",
                s.id,
                json!({ "courseId": s.course_id, "revision": s.revision }),
                at,
            )
            .await?;
        }
        if let (Some(d), Some(at), Some(by)) = (s.decision, s.decided_at, s.decided_by) {
            h.audit(
                Some(by),
                "course.decide",
                "course_submission",
                s.id,
                json!({ "decision": d }),
                at,
            )
            .await?;
            let pr = &p.providers[p.courses[(s.course_id - 1) as usize].provider];
            let to = format!("training@{}", pr.domain);
            h.email(Event {
                template: "course_decision",
                key: format!("course_decision:{}", s.id),
                account: None,
                to: &to,
                to_name: Some(&pr.contact_name),
                params: json!({ "title": s.title, "decision": d }),
                at,
            })
            .await?;
        }
    }
    // Applicants: registration, submission, acceptance.
    let mut cand_of_app = vec![None; p.applications.len()];
    for (k, c) in p.candidacies.iter().enumerate() {
        cand_of_app[c.app] = Some(k);
    }
    for (i, a) in p.applications.iter().enumerate() {
        let who = person(p.seed, i, &p.state_w);
        let account = p.applicant_account(i);
        let registered = app_created(p, i) - Duration::minutes(30);
        h.audit(
            Some(account),
            "account.register",
            "account",
            account,
            json!({ "email": who.email }),
            registered,
        )
        .await?;
        h.email(Event {
            template: "verify_email",
            key: format!("verify_email:{account}"),
            account: Some(account),
            to: &who.email,
            to_name: Some(who.given),
            params: json!({ "name": who.given }),
            at: registered,
        })
        .await?;
        if let Some(at) = app_submitted(p, i) {
            h.audit(
                Some(account),
                "application.submit",
                "application",
                i as i64 + 1,
                json!({ "status": APP_STATUS[a.status as usize], "feeCents": a.fee }),
                at,
            )
            .await?;
            h.email(Event {
                template: "application_submitted",
                key: format!("application_submitted:{}", i + 1),
                account: Some(account),
                to: &who.email,
                to_name: Some(who.given),
                params: json!({ "name": who.given, "fee_cents": a.fee }),
                at,
            })
            .await?;
        }
        let Some(k) = cand_of_app[i] else { continue };
        let c = &p.candidacies[k];
        let by = p.staff.assistants[i % p.staff.assistants.len()];
        h.audit(
            Some(by),
            "payment.record",
            "application",
            i as i64 + 1,
            json!({ "amountCents": a.fee }),
            c.created_at - Duration::minutes(30),
        )
        .await?;
        h.audit(
            Some(by),
            "candidacy.start",
            "candidacy",
            c.id,
            json!({ "number": format!("LSS-{:06}", i + 1) }),
            c.created_at,
        )
        .await?;
        h.email(Event {
            template: "candidacy_accepted",
            key: format!("candidacy_accepted:{}", c.id),
            account: Some(account),
            to: &who.email,
            to_name: Some(who.given),
            params: json!({ "name": who.given, "number": format!("LSS-{:06}", i + 1), "deadline_on": c.deadline_on.to_string() }),
            at: c.created_at,
        })
        .await?;
        if let Some((prev, at, by)) = c.extension {
            h.audit(
                Some(by),
                "candidacy.extend_deadline",
                "candidacy",
                c.id,
                json!({ "previous": prev.to_string(), "deadlineOn": c.deadline_on.to_string() }),
                at,
            )
            .await?;
            h.email(Event {
                template: "deadline_extended",
                key: format!("deadline_extended:{}:{}", c.id, c.deadline_on),
                account: Some(account),
                to: &who.email,
                to_name: Some(who.given),
                params: json!({ "name": who.given, "deadline_on": c.deadline_on.to_string() }),
                at,
            })
            .await?;
        }
        if let Some(at) = c.lapsed_at {
            h.audit(
                None,
                "candidacy.lapse",
                "candidacy",
                c.id,
                json!({ "status": "lapsed" }),
                at,
            )
            .await?;
            h.email(Event {
                template: "candidacy_lapsed",
                key: format!("candidacy_lapsed:{}", c.id),
                account: Some(account),
                to: &who.email,
                to_name: Some(who.given),
                params: json!({ "name": who.given }),
                at,
            })
            .await?;
        }
    }
    // Evidence, portfolios, reviews, achievements.
    for c in &p.completions {
        let cand = &p.candidacies[c.candidacy as usize];
        let account = p.applicant_account(cand.app);
        h.audit(
            Some(account),
            "course_completion.submit",
            "course_completion",
            c.id,
            json!({ "courseId": c.course_id }),
            c.submitted_at,
        )
        .await?;
        if let (Some(at), Some(by)) = (c.decided_at, c.decided_by) {
            let action = if c.status == 2 {
                "course_completion.reject"
            } else {
                "course_completion.verify"
            };
            h.audit(
                Some(by),
                action,
                "course_completion",
                c.id,
                json!({ "status": COMPLETION_STATUS[c.status as usize] }),
                at,
            )
            .await?;
            if c.status == 2 {
                let who = person(p.seed, cand.app, &p.state_w);
                h.email(Event {
                    template: "completion_rejected",
                    key: format!("completion_rejected:{}", c.id),
                    account: Some(account),
                    to: &who.email,
                    to_name: Some(who.given),
                    params: json!({ "name": who.given }),
                    at,
                })
                .await?;
            }
        }
    }
    for rd in &p.rounds {
        let pf = &p.portfolios[rd.portfolio as usize];
        let cand = &p.candidacies[pf.candidacy as usize];
        h.audit(
            Some(p.applicant_account(cand.app)),
            "portfolio.submit",
            "review_round",
            rd.id,
            json!({ "portfolioId": pf.id, "number": rd.number }),
            rd.submitted_at,
        )
        .await?;
    }
    for rv in &p.reviews {
        let e = &p.evaluators[rv.evaluator as usize];
        let to = evaluator_email(e);
        h.email(Event {
            template: "review_assigned",
            key: format!("review_assigned:{}", rv.id),
            account: Some(e.account_id),
            to: &to,
            to_name: Some(e.given),
            params: json!({ "name": e.given, "due_on": rv.due_on.to_string() }),
            at: rv.assigned_at,
        })
        .await?;
        if let Some(at) = rv.submitted_at {
            h.audit(
                Some(e.account_id),
                "review.submit",
                "review",
                rv.id,
                json!({ "overallMet": rv.overall_met }),
                at,
            )
            .await?;
        }
    }
    for a in &p.achievements {
        let cand = &p.candidacies[a.candidacy as usize];
        let who = person(p.seed, cand.app, &p.state_w);
        let account = p.applicant_account(cand.app);
        let set = &p.sets[a.set as usize];
        h.audit(a.recorded_by, "achievement.record", "achievement", a.id, json!({ "candidacyId": cand.id, "set": set.code, "method": if a.completion_id.is_some() { "course" } else { "portfolio" }, "achievedOn": a.achieved_on.to_string() }), a.recorded_at)
            .await?;
        h.email(Event {
            template: "achievement_recorded",
            key: format!("achievement_recorded:{}", a.id),
            account: Some(account),
            to: &who.email,
            to_name: Some(who.given),
            params: json!({ "name": who.given, "set": set.code }),
            at: a.recorded_at,
        })
        .await?;
    }
    for c in &p.certificates {
        let cand = &p.candidacies[c.candidacy as usize];
        let who = person(p.seed, cand.app, &p.state_w);
        let account = p.applicant_account(cand.app);
        h.audit(None, "certificate.issue", "certificate", c.id, json!({ "number": c.number, "sequence": c.sequence, "issuedOn": c.issued_on.to_string(), "expiresOn": c.expires_on.to_string() }), c.created_at)
            .await?;
        h.email(Event {
            template: "certified",
            key: format!("certified:{}", c.id),
            account: Some(account),
            to: &who.email,
            to_name: Some(who.given),
            params: json!({ "name": who.given, "number": c.number }),
            at: c.created_at,
        })
        .await?;
    }
    for rn in &p.renewals {
        let Some((at, by)) = rn.decided else {
            continue;
        };
        let cert = &p.certificates[(rn.certificate_id - 1) as usize];
        let cand = &p.candidacies[cert.candidacy as usize];
        let who = person(p.seed, cand.app, &p.state_w);
        h.audit(
            Some(by),
            "renewal.approve",
            "renewal",
            rn.id,
            json!({ "newExpiresOn": rn.new_expires_on.map(|d| d.to_string()) }),
            at,
        )
        .await?;
        h.email(Event {
            template: "renewal_decided",
            key: format!("renewal_decided:{}", rn.id),
            account: Some(p.applicant_account(cand.app)),
            to: &who.email,
            to_name: Some(who.given),
            params: json!({ "name": who.given, "number": cert.number }),
            at,
        })
        .await?;
    }
    w.done("notification", h.notes).await?;
    w.done("audit_log", h.audit).await
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("{s}: {e}"))
}

/// The default day the data set describes.
pub fn default_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}
