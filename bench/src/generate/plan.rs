//! The plan: every entity of the data set, decided in memory from the seed before a row is
//! written. Each entity draws from its own stream (`Rng::derive(seed, kind, id)`), and ids
//! are handed out in a fixed order, so the same seed and scale give the same plan.
//!
//! Bulky details that follow from an entity alone (an applicant's name and address, a
//! portfolio's narratives) are not stored: [`person`] and [`narratives`] recompute them
//! from the same stream when the rows are written.

use super::words::*;
use crate::rng::Rng;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::{BTreeMap, HashSet};

/// What the generator is asked for.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    pub scale: f64,
    /// The day the data set describes: history runs up to it.
    pub as_of: NaiveDate,
}

/// How many of each, at a scale.
#[derive(Debug, Clone)]
pub struct Counts {
    pub applicants: usize,
    pub candidacies: usize,
    pub certificates: usize,
    pub evaluators: usize,
    pub providers: usize,
    pub courses: usize,
    pub officers: usize,
    pub assistants: usize,
    pub crc: usize,
    pub sessions: usize,
}

impl Counts {
    pub fn at(scale: f64) -> Self {
        let n = |full: f64, min: usize| ((full * scale).round() as usize).max(min);
        let applicants = n(150_000.0, 10);
        let candidacies = n(120_000.0, 8).min(applicants);
        Self {
            applicants,
            candidacies,
            certificates: n(60_000.0, 3).min(candidacies / 2),
            evaluators: n(1_000.0, 30),
            providers: n(400.0, 5),
            courses: n(2_000.0, 30),
            officers: n(5.0, 1),
            assistants: n(15.0, 1),
            crc: n(12.0, 2),
            sessions: n(20_000.0, 10),
        }
    }
}

/// The programme's first day in the data.
pub fn programme_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2011, 1, 10).unwrap_or_default()
}

pub fn ts(d: NaiveDate, secs: i64) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Duration::seconds(secs)
}

pub fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    d + Duration::days(n)
}

pub fn add_years(d: NaiveDate, years: i32) -> NaiveDate {
    d.with_year(d.year() + years)
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + years, d.month(), 28))
        .unwrap_or(d)
}

/// A time of day in office hours, in seconds.
fn office(rng: &mut Rng) -> i64 {
    rng.range(8 * 3600, 18 * 3600)
}

/// A competency set as the catalogue has it.
#[derive(Debug, Clone)]
pub struct SetInfo {
    pub id: i64,
    pub code: String,
    pub required: bool,
    /// (competency id, number within the set)
    pub competencies: Vec<(i64, i32)>,
}

/// An applicant's details, recomputed from their stream whenever needed.
#[derive(Debug, Clone)]
pub struct Person {
    pub given: &'static str,
    pub family: &'static str,
    pub email: String,
    pub state: usize,
    pub city: &'static str,
    pub street: String,
    pub postal: String,
    pub phone: Option<String>,
    pub employer: String,
    pub library_type: &'static str,
    pub member: bool,
    pub source: Option<&'static str>,
}

pub const MARKETING: &[(&str, f64)] = &[
    ("ala_publication", 8.0),
    ("state_association", 14.0),
    ("employer", 30.0),
    ("colleague", 18.0),
    ("conference", 7.0),
    ("website", 12.0),
    ("social_media", 5.0),
    ("email_list", 3.0),
    ("course_provider", 2.0),
    ("other", 1.0),
];

pub fn state_weights() -> Vec<f64> {
    STATES.iter().map(|s| s.2).collect()
}

/// Applicant `i` (0-based): name, address, employer.
pub fn person(seed: u64, i: usize, state_w: &[f64]) -> Person {
    let mut r = Rng::derive(seed, "person", i as i64);
    let given = *r.pick(GIVEN);
    let family = *r.pick(FAMILY);
    let state = r.weighted(state_w);
    let city = *r.pick(CITIES);
    let domains = [
        "gmail.com",
        "yahoo.com",
        "outlook.com",
        "hotmail.com",
        "aol.com",
        "icloud.com",
        "comcast.net",
    ];
    let domain = r.pick(&domains);
    let clean = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    let email = format!("{}.{}{}@{}", clean(given), clean(family), i + 1, domain);
    let street = format!("{} {}", r.range(1, 9999), r.pick(STREETS));
    let postal = format!("{:05}", r.range(1001, 99950));
    let phone = r
        .chance(0.85)
        .then(|| format!("+1 {}-555-{:04}", r.range(201, 989), r.range(0, 9999)));
    let lib_city = if r.chance(0.7) { city } else { *r.pick(CITIES) };
    let kind_i = r.weighted(&[
        30.0, 16.0, 4.0, 6.0, 8.0, 8.0, 4.0, 5.0, 2.0, 2.0, 12.0, 1.0,
    ]);
    let employer = format!("{} {}", lib_city, LIBRARY_KINDS[kind_i]);
    let library_type = match kind_i {
        0..=3 | 6 | 7 => "public",
        4 | 5 => "academic",
        10 => "school",
        8 | 9 | 11 => "special",
        _ => "other",
    };
    let member = r.chance(0.4);
    let mw: Vec<f64> = MARKETING.iter().map(|m| m.1).collect();
    let source = r.chance(0.9).then(|| MARKETING[r.weighted(&mw)].0);
    Person {
        given,
        family,
        email,
        state,
        city,
        street,
        postal,
        phone,
        employer,
        library_type,
        member,
        source,
    }
}

/// A narrative of a portfolio: title, body and the competency numbers it addresses.
#[derive(Debug, Clone)]
pub struct Narrative {
    pub title: String,
    pub body: String,
    pub competencies: Vec<i32>,
}

/// Portfolio `id`'s narratives: every competency of the set addressed by one of 2 to 4.
pub fn narratives(seed: u64, portfolio_id: i64, set: &SetInfo) -> Vec<Narrative> {
    let mut r = Rng::derive(seed, "narratives", portfolio_id);
    let n = r.range(2, 4) as usize;
    let mut groups: Vec<Vec<i32>> = vec![Vec::new(); n];
    for (k, (_, number)) in set.competencies.iter().enumerate() {
        let g = if k < n { k } else { r.below(n as u64) as usize };
        groups[g].push(*number);
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(k, comps)| {
            let words = r.range(4, 9);
            let mut body = String::new();
            for w in 0..words {
                if w > 0 {
                    body.push(' ');
                }
                body.push_str(r.pick::<&str>(PROSE));
            }
            body.push('.');
            Narrative {
                title: format!(
                    "{} in practice, part {}",
                    set.code.replace('_', " ").to_lowercase(),
                    k + 1
                ),
                body,
                competencies: comps,
            }
        })
        .collect()
}

/// Account ids of the staff.
#[derive(Debug, Clone, Default)]
pub struct Staff {
    pub officers: Vec<i64>,
    pub assistants: Vec<i64>,
    pub crc: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct Evaluator {
    pub id: i64,
    pub account_id: i64,
    pub status: &'static str,
    pub employer: String,
    pub institution: Option<String>,
    pub state: &'static str,
    pub capacity: i32,
    pub paused_until: Option<NaiveDate>,
    pub training: Option<NaiveDate>,
    pub applied_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub sets: Vec<usize>,
    pub given: &'static str,
    pub family: &'static str,
}

#[derive(Debug, Clone)]
pub struct Conflict {
    pub evaluator_id: i64,
    pub candidacy_id: Option<i64>,
    pub institution: Option<String>,
    pub declared_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub city: &'static str,
    pub state: &'static str,
    pub domain: String,
    pub members: Vec<i64>,
    pub created_at: DateTime<Utc>,
    pub contact_name: String,
}

#[derive(Debug, Clone)]
pub struct Submission {
    pub id: i64,
    pub course_id: i64,
    pub kind: &'static str,
    pub revision: i32,
    pub status: &'static str,
    pub title: String,
    pub format: &'static str,
    pub delivery: &'static str,
    pub timing: &'static str,
    pub duration_weeks: i64,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The decision recorded on it, if any.
    pub decision: Option<&'static str>,
    pub decided_by: Option<i64>,
    pub fee: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub document_id: i64,
}

#[derive(Debug, Clone)]
pub struct Approval {
    pub id: i64,
    pub course_id: i64,
    pub submission_id: i64,
    pub starts_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Course {
    pub id: i64,
    pub provider: usize,
    pub set: usize,
    pub status: &'static str,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Application statuses, as stored.
pub const APP_STATUS: [&str; 6] = [
    "draft",
    "awaiting_education_review",
    "eligible",
    "ineligible",
    "accepted",
    "withdrawn",
];
pub const ACCEPTED: u8 = 4;

#[derive(Debug, Clone)]
pub struct Application {
    pub status: u8,
    /// Submission day (creation day of a draft).
    pub day: NaiveDate,
    pub secs: i64,
    pub accepted_on: Option<NaiveDate>,
    pub fee: i64,
    /// Education from outside the US (decided by staff).
    pub foreign: bool,
}

#[derive(Debug, Clone)]
pub struct Candidacy {
    pub id: i64,
    pub app: usize,
    pub started_on: NaiveDate,
    pub deadline_on: NaiveDate,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub certified_at: Option<DateTime<Utc>>,
    pub lapsed_at: Option<DateTime<Utc>>,
    /// (previous deadline, granted at, by)
    pub extension: Option<(NaiveDate, DateTime<Utc>, i64)>,
    pub pseudonym: String,
}

#[derive(Debug, Clone)]
pub struct Achievement {
    pub id: i64,
    pub candidacy: u32,
    pub set: u8,
    pub completion_id: Option<i64>,
    pub round_id: Option<i64>,
    pub achieved_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<i64>,
}

pub const COMPLETION_STATUS: [&str; 3] = ["submitted", "verified", "rejected"];

#[derive(Debug, Clone)]
pub struct Completion {
    pub id: i64,
    pub candidacy: u32,
    pub course_id: i64,
    pub set: u8,
    pub completed_on: NaiveDate,
    pub document_id: i64,
    pub status: u8,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Portfolio {
    pub id: i64,
    pub candidacy: u32,
    pub set: u8,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its documents' ids: `first_document .. first_document + documents`.
    pub first_document: i64,
    pub documents: u8,
}

#[derive(Debug, Clone)]
pub struct Round {
    pub id: i64,
    pub portfolio: u32,
    pub number: i32,
    pub status: &'static str,
    pub outcome: Option<&'static str>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub unstaffed: Option<(&'static str, DateTime<Utc>)>,
    pub ordered_by_appeal: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Review {
    pub id: i64,
    pub round: u32,
    pub evaluator: u32,
    pub slot: i32,
    pub status: &'static str,
    pub assigned_by: &'static str,
    pub assigned_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub submitted_at: Option<DateTime<Utc>>,
    pub overall_met: Option<bool>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<&'static str>,
    /// A course recommended by a not-met assessment.
    pub recommended: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Appeal {
    pub id: i64,
    pub round_id: i64,
    pub candidacy_id: i64,
    pub status: &'static str,
    pub filed_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub new_round_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Certificate {
    pub id: i64,
    pub candidacy: u32,
    pub sequence: i64,
    pub number: String,
    pub code: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub revoked: Option<(DateTime<Utc>, i64)>,
}

#[derive(Debug, Clone)]
pub struct Renewal {
    pub id: i64,
    pub certificate_id: i64,
    pub status: &'static str,
    pub submitted_at: DateTime<Utc>,
    pub decided: Option<(DateTime<Utc>, i64)>,
    pub new_expires_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub contact_hours: i32,
    pub technology_hours: i32,
}

#[derive(Debug, Clone)]
pub struct Period {
    pub id: i64,
    pub certificate_id: i64,
    pub starts_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub renewal_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Where document ids come from (they are shared by several tables).
#[derive(Debug, Clone)]
pub enum DocumentOwner {
    Curriculum { submission: usize },
    Completion { completion: usize },
    Portfolio { portfolio: usize, k: u8 },
}

/// The whole data set, planned.
#[derive(Debug, Default)]
pub struct Plan {
    pub seed: u64,
    pub as_of: NaiveDate,
    pub sets: Vec<SetInfo>,
    pub staff: Staff,
    pub evaluators: Vec<Evaluator>,
    pub conflicts: Vec<Conflict>,
    pub providers: Vec<Provider>,
    pub courses: Vec<Course>,
    pub submissions: Vec<Submission>,
    pub approvals: Vec<Approval>,
    /// First account id of the applicants (applicant `i` is account `first_applicant + i`).
    pub first_applicant: i64,
    pub accounts: i64,
    pub applications: Vec<Application>,
    /// The candidacy of an application, if any.
    pub candidacy_of_app: Vec<Option<u32>>,
    pub candidacies: Vec<Candidacy>,
    pub achievements: Vec<Achievement>,
    pub completions: Vec<Completion>,
    pub portfolios: Vec<Portfolio>,
    pub rounds: Vec<Round>,
    pub reviews: Vec<Review>,
    pub appeals: Vec<Appeal>,
    pub certificates: Vec<Certificate>,
    pub renewals: Vec<Renewal>,
    pub periods: Vec<Period>,
    pub documents: Vec<DocumentOwner>,
    pub sessions: usize,
    pub state_w: Vec<f64>,
}

impl Plan {
    pub fn applicant_account(&self, app: usize) -> i64 {
        self.first_applicant + app as i64
    }

    pub fn staff_actor(&self, rng: &mut Rng) -> i64 {
        *rng.pick(&self.staff.assistants)
    }

    pub fn crc_actor(&self, rng: &mut Rng) -> i64 {
        *rng.pick(&self.staff.crc)
    }
}

/// Picks a course of `set` approved on `day`, if one was.
fn course_on(
    rng: &mut Rng,
    by_set: &[Vec<(NaiveDate, NaiveDate, i64)>],
    set: usize,
    day: NaiveDate,
) -> Option<i64> {
    let list = &by_set[set];
    if list.is_empty() {
        return None;
    }
    for _ in 0..24 {
        let (s, e, c) = *rng.pick(list);
        if s <= day && day < e {
            return Some(c);
        }
    }
    let covering: Vec<i64> = list
        .iter()
        .filter(|(s, e, _)| *s <= day && day < *e)
        .map(|x| x.2)
        .collect();
    if covering.is_empty() {
        None
    } else {
        Some(*rng.pick(&covering))
    }
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn code(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| CODE_ALPHABET[rng.below(CODE_ALPHABET.len() as u64) as usize] as char)
        .collect()
}

/// A date uniformly in `[a, b]`.
fn day_between(rng: &mut Rng, a: NaiveDate, b: NaiveDate) -> NaiveDate {
    if b <= a {
        return a;
    }
    add_days(a, rng.range(0, (b - a).num_days()))
}

/// Plans everything.
pub fn plan(cfg: &Config, sets: Vec<SetInfo>) -> Plan {
    let counts = Counts::at(cfg.scale);
    let seed = cfg.seed;
    let as_of = cfg.as_of;
    let start = programme_start();
    let mut p = Plan {
        seed,
        as_of,
        sets,
        sessions: counts.sessions,
        state_w: state_weights(),
        ..Default::default()
    };
    let n_sets = p.sets.len();
    let required: Vec<usize> = (0..n_sets).filter(|&s| p.sets[s].required).collect();
    let electives: Vec<usize> = (0..n_sets).filter(|&s| !p.sets[s].required).collect();

    // Staff: account 1 is the benchmark's program officer.
    let mut next_account = 1i64;
    let mut take = |n: usize| -> Vec<i64> {
        let ids: Vec<i64> = (next_account..next_account + n as i64).collect();
        next_account += n as i64;
        ids
    };
    p.staff.officers = take(counts.officers);
    p.staff.assistants = take(counts.assistants);
    p.staff.crc = take(counts.crc);

    // Evaluators: expertise round-robin first, so every set has experts at any scale.
    let eval_accounts = take(counts.evaluators);
    let employers: Vec<String> = (0..(counts.evaluators / 3).max(12))
        .map(|k| {
            let mut r = Rng::derive(seed, "employer", k as i64);
            format!("{} {}", r.pick(CITIES), r.pick(LIBRARY_KINDS))
        })
        .collect();
    let state_w = p.state_w.clone();
    for (k, account_id) in eval_accounts.iter().enumerate() {
        let mut r = Rng::derive(seed, "evaluator", k as i64);
        let status = match r.weighted(&[88.0, 5.0, 4.0, 3.0]) {
            0 => "active",
            1 => "inactive",
            2 => "applied",
            _ => "declined",
        };
        let mut sets = vec![k % n_sets];
        let extra = r.weighted(&[50.0, 35.0, 15.0]);
        for _ in 0..extra {
            let s = r.below(n_sets as u64) as usize;
            if !sets.contains(&s) {
                sets.push(s);
            }
        }
        let applied = day_between(&mut r, start, add_days(as_of, -60));
        let decided =
            (status != "applied").then(|| ts(add_days(applied, r.range(5, 40)), 14 * 3600));
        p.evaluators.push(Evaluator {
            id: k as i64 + 1,
            account_id: *account_id,
            status,
            employer: employers[(k * 7 + r.below(3) as usize) % employers.len()].clone(),
            institution: r
                .chance(0.5)
                .then(|| format!("{} School of Library Science", r.pick(CITIES))),
            state: STATES[r.weighted(&state_w)].0,
            capacity: r.range(6, 16) as i32,
            paused_until: (status == "active" && r.chance(0.01))
                .then(|| add_days(as_of, r.range(10, 90))),
            training: (status == "active" && !r.chance(0.02))
                .then(|| add_days(applied, r.range(20, 60))),
            applied_at: ts(applied, office(&mut r)),
            decided_at: decided,
            decided_by: decided.map(|_| p.staff.crc[k % p.staff.crc.len()]),
            sets,
            given: r.pick::<&str>(GIVEN),
            family: r.pick::<&str>(FAMILY),
        });
    }

    // Providers and their members.
    for k in 0..counts.providers {
        let mut r = Rng::derive(seed, "provider", k as i64);
        let city = *r.pick(CITIES);
        let kind = *r.pick(&[
            "library_school",
            "lta_program",
            "state_library",
            "state_association",
            "consortium_or_system",
            "ala_division",
            "vendor",
            "independent_trainer",
            "other",
        ]);
        let name = format!("{} {} {}", city, r.pick(PROVIDER_WORDS), k + 1);
        let domain = format!("provider{}.example.org", k + 1);
        let members = take(r.range(1, 3) as usize);
        p.providers.push(Provider {
            id: k as i64 + 1,
            name,
            kind,
            city,
            state: STATES[r.weighted(&state_w)].0,
            domain,
            members,
            created_at: ts(add_days(start, -r.range(30, 400)), office(&mut r)),
            contact_name: format!("{} {}", r.pick(GIVEN), r.pick(FAMILY)),
        });
    }
    p.first_applicant = next_account;
    p.accounts = next_account - 1 + counts.applicants as i64;

    // Courses, their submissions and approval periods.
    let set_weights: Vec<f64> = p
        .sets
        .iter()
        .map(|s| if s.required { 2.0 } else { 1.0 })
        .collect();
    let mut by_set: Vec<Vec<(NaiveDate, NaiveDate, i64)>> = vec![Vec::new(); n_sets];
    let mut provider_rank: Vec<i64> = vec![0; counts.providers];
    for k in 0..counts.courses {
        let mut r = Rng::derive(seed, "course", k as i64);
        let id = k as i64 + 1;
        // A few providers teach most courses.
        let provider = if k < counts.providers {
            k
        } else {
            ((counts.providers as f64) * r.f64().powf(1.8)) as usize % counts.providers
        };
        // At least three courses per set, whatever the scale.
        let set = if k < 3 * n_sets {
            k % n_sets
        } else {
            r.weighted(&set_weights)
        };
        let first = if k < 3 * n_sets || r.chance(0.3) {
            day_between(&mut r, add_days(start, -400), add_days(start, 300))
        } else {
            day_between(&mut r, start, add_days(as_of, -20))
        };
        let topic = r.pick(TOPICS);
        let base_title = format!(
            "{} {}",
            titlecase(&p.sets[set].code.replace('_', " ")),
            topic
        );
        let format = *r.pick(&["workshop", "institute", "multi_week_course", "other"]);
        let delivery = ["online", "in_person", "mixed"][r.weighted(&[60.0, 25.0, 15.0])];
        let timing = ["synchronous", "asynchronous"][r.weighted(&[45.0, 55.0])];
        let weeks = r.range(1, 12);
        let member = *r.pick(&p.providers[provider].members);
        let never_approved = k >= 3 * n_sets && r.chance(0.1);
        let mut status: &'static str;
        let mut created = ts(add_days(first, -r.range(30, 90)), office(&mut r));
        let course_created = created;
        let mut updated = created;
        let mut revision_title = base_title.clone();
        let new_sub = |p: &mut Plan,
                       r: &mut Rng,
                       title: &str,
                       kind: &'static str,
                       revision: i32,
                       status: &'static str,
                       submitted: Option<DateTime<Utc>>,
                       decided: Option<(DateTime<Utc>, &'static str)>,
                       fee: Option<i64>,
                       created: DateTime<Utc>| {
            let sid = p.submissions.len() as i64 + 1;
            p.documents.push(DocumentOwner::Curriculum {
                submission: p.submissions.len(),
            });
            let document_id = p.documents.len() as i64;
            let crc = p.crc_actor(r);
            p.submissions.push(Submission {
                id: sid,
                course_id: id,
                kind,
                revision,
                status,
                title: title.to_owned(),
                format,
                delivery,
                timing,
                duration_weeks: weeks,
                submitted_at: submitted,
                decided_at: decided.map(|d| d.0),
                decision: decided.map(|d| d.1),
                decided_by: decided.map(|_| crc),
                fee,
                created_at: created,
                created_by: member,
                document_id,
            });
            sid
        };
        if never_approved {
            let rank = provider_rank[provider];
            provider_rank[provider] += 1;
            let fee = Some(if rank < 2 { 10_000 } else { 5_000 });
            let sub_at = ts(first, office(&mut r));
            status = match r.weighted(&[30.0, 20.0, 35.0, 15.0]) {
                0 => {
                    new_sub(
                        &mut p,
                        &mut r,
                        &revision_title,
                        "initial",
                        1,
                        "submitted",
                        Some(sub_at),
                        None,
                        fee,
                        created,
                    );
                    "in_review"
                }
                1 => {
                    new_sub(
                        &mut p,
                        &mut r,
                        &revision_title,
                        "initial",
                        1,
                        "draft",
                        None,
                        None,
                        None,
                        created,
                    );
                    "draft"
                }
                2 => {
                    let d = sub_at + Duration::days(r.range(14, 60));
                    new_sub(
                        &mut p,
                        &mut r,
                        &revision_title,
                        "initial",
                        1,
                        "rejected",
                        Some(sub_at),
                        Some((d, "rejected")),
                        fee,
                        created,
                    );
                    updated = d;
                    "rejected"
                }
                _ => {
                    new_sub(
                        &mut p,
                        &mut r,
                        &revision_title,
                        "initial",
                        1,
                        "withdrawn",
                        Some(sub_at),
                        None,
                        fee,
                        created,
                    );
                    "withdrawn"
                }
            };
            if status == "in_review" && sub_at.date_naive() >= as_of {
                status = "draft";
            }
        } else {
            let mut period_start = first;
            let mut n = 0;
            status = "approved";
            loop {
                let kind = if n == 0 { "initial" } else { "reapproval" };
                let fee = if n == 0 {
                    let rank = provider_rank[provider];
                    provider_rank[provider] += 1;
                    Some(if rank < 2 { 10_000 } else { 5_000 })
                } else {
                    Some(5_000)
                };
                let decide_at = ts(add_days(period_start, -r.range(1, 20)), office(&mut r));
                let mut sub_at = decide_at - Duration::days(r.range(20, 60));
                let mut revision = 1;
                if r.chance(0.2) {
                    let asked = sub_at + Duration::days(r.range(7, 15));
                    new_sub(
                        &mut p,
                        &mut r,
                        &revision_title,
                        kind,
                        1,
                        "changes_requested",
                        Some(sub_at),
                        Some((asked, "changes_requested")),
                        fee,
                        created,
                    );
                    revision = 2;
                    sub_at = asked + Duration::days(r.range(2, 5));
                    if r.chance(0.5) {
                        revision_title = format!("{base_title}: {}", r.pick(TOPICS));
                    }
                }
                let sid = new_sub(
                    &mut p,
                    &mut r,
                    &revision_title,
                    kind,
                    revision,
                    "approved",
                    Some(sub_at),
                    Some((decide_at, "approved")),
                    fee,
                    sub_at - Duration::days(2),
                );
                let expires = add_years(period_start, 3);
                p.approvals.push(Approval {
                    id: p.approvals.len() as i64 + 1,
                    course_id: id,
                    submission_id: sid,
                    starts_on: period_start,
                    expires_on: expires,
                    created_at: decide_at,
                });
                by_set[set].push((period_start, expires, id));
                updated = decide_at;
                n += 1;
                if expires > as_of {
                    break;
                }
                if !r.chance(0.8) {
                    status = "expired";
                    updated = ts(expires, 2 * 3600);
                    break;
                }
                period_start = expires;
                created = decide_at + Duration::days(r.range(300, 900));
            }
        }
        p.courses.push(Course {
            id,
            provider,
            set,
            status,
            title: revision_title.clone(),
            created_at: course_created,
            updated_at: updated,
        });
    }

    // Applications: submission days grow over time (a programme gaining applicants).
    let span = (as_of - start).num_days() as f64;
    let mut keys: Vec<(f64, usize)> = Vec::with_capacity(counts.applicants);
    for i in 0..counts.applicants {
        let mut r = Rng::derive(seed, "application", i as i64);
        let day = add_days(start, (span * r.f64().sqrt()) as i64).min(add_days(as_of, -1));
        let secs = office(&mut r);
        let person_member = person(seed, i, &state_w).member;
        p.applications.push(Application {
            status: 0,
            day,
            secs,
            accepted_on: None,
            fee: if person_member { 32_500 } else { 35_000 },
            foreign: r.chance(0.03),
        });
        // Older applications are more likely to have become candidacies.
        let age = (as_of - day).num_days() as f64;
        let recency = if age < 60.0 { 4.0 } else { 1.0 };
        keys.push((r.f64() * recency, i));
    }
    keys.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut accepted: Vec<usize> = keys[..counts.candidacies].iter().map(|k| k.1).collect();
    for &(_, i) in &keys[counts.candidacies..] {
        let mut r = Rng::derive(seed, "application-status", i as i64);
        let recent = (as_of - p.applications[i].day).num_days() < 60;
        let w: [f64; 6] = if recent {
            [25.0, 15.0, 35.0, 15.0, 0.0, 10.0]
        } else {
            [5.0, 1.0, 15.0, 40.0, 0.0, 39.0]
        };
        p.applications[i].status = r.weighted(&w) as u8;
    }
    for &i in &accepted {
        let mut r = Rng::derive(seed, "acceptance", i as i64);
        let a = &mut p.applications[i];
        a.status = ACCEPTED;
        let on = add_days(a.day, r.range(2, 45)).min(add_days(as_of, -1));
        a.accepted_on = Some(on.max(a.day));
    }
    // Candidacy ids follow their start.
    accepted.sort_by_key(|&i| (p.applications[i].accepted_on, i));
    p.candidacy_of_app = vec![None; counts.applicants];

    // Which candidacies are certified: the likeliest, given how long they have had.
    let four_years = 4 * 365 + 1;
    let mut cert_keys: Vec<(f64, usize)> = Vec::new();
    for (k, &i) in accepted.iter().enumerate() {
        let started = p.applications[i].accepted_on.unwrap_or(as_of);
        let elapsed = (as_of - started).num_days() as f64;
        let prob = if elapsed < 300.0 {
            0.0
        } else {
            0.82 * ((elapsed - 300.0) / (3.5 * 365.0 - 300.0))
                .min(1.0)
                .powf(1.2)
        };
        let mut r = Rng::derive(seed, "certify", k as i64);
        if prob > 0.0 {
            cert_keys.push((r.f64() / prob, k));
        }
    }
    cert_keys.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut certified = vec![false; accepted.len()];
    for &(_, k) in cert_keys.iter().take(counts.certificates) {
        certified[k] = true;
    }

    // Evaluators who can review each set, and the declared candidacy conflicts.
    let reviewers: Vec<Vec<u32>> = (0..n_sets)
        .map(|s| {
            p.evaluators
                .iter()
                .enumerate()
                .filter(|(_, e)| {
                    e.status == "active" && e.training.is_some() && e.sets.contains(&s)
                })
                .map(|(k, _)| k as u32)
                .collect()
        })
        .collect();
    let mut conflicted: HashSet<(u32, i64)> = HashSet::new();
    for (k, e) in p.evaluators.iter().enumerate() {
        let mut r = Rng::derive(seed, "conflict", k as i64);
        let n = r.weighted(&[55.0, 35.0, 10.0]);
        for _ in 0..n {
            let declared_at = e.applied_at + Duration::days(r.range(1, 400));
            if r.chance(0.5) {
                let c = r.range(1, accepted.len() as i64);
                if conflicted.insert((k as u32, c)) {
                    p.conflicts.push(Conflict {
                        evaluator_id: e.id,
                        candidacy_id: Some(c),
                        institution: None,
                        declared_at,
                    });
                }
            } else {
                p.conflicts.push(Conflict {
                    evaluator_id: e.id,
                    candidacy_id: None,
                    institution: Some(format!("{} {}", r.pick(CITIES), r.pick(LIBRARY_KINDS))),
                    declared_at,
                });
            }
        }
    }

    let mut pseudonyms: HashSet<String> = HashSet::new();
    let elective_w: Vec<f64> = electives
        .iter()
        .map(|&s| 1.0 + (s % 4) as f64 * 0.5)
        .collect();
    for (k, &app_i) in accepted.iter().enumerate() {
        let id = k as i64 + 1;
        let cand_idx = k as u32;
        p.candidacy_of_app[app_i] = Some(cand_idx);
        let mut r = Rng::derive(seed, "candidacy", id);
        let started = p.applications[app_i].accepted_on.unwrap_or(as_of);
        let created_at = ts(started, p.applications[app_i].secs + 3600);
        let mut deadline = add_years(started, 4);
        let mut pseudonym = format!("Candidate {}", code(&mut r, 6));
        while !pseudonyms.insert(pseudonym.clone()) {
            pseudonym = format!("Candidate {}", code(&mut r, 6));
        }
        let last_day = add_days(as_of, -1);
        let mut extension = None;
        let status: &'static str;
        let mut certified_at = None;
        // The sets achieved, with their days.
        let mut achieved: Vec<(usize, NaiveDate)> = Vec::new();
        if certified[k] {
            let elapsed = (as_of - started).num_days();
            let dur = (250 + (r.f64().powf(0.8) * (four_years - 250) as f64) as i64)
                .min(elapsed - 20)
                .max(200);
            let done = add_days(started, dur).min(add_days(last_day, -15));
            let total = 6 + r.weighted(&[45.0, 30.0, 15.0, 7.0, 3.0]);
            let mut chosen: Vec<usize> = required.clone();
            // Some electives are popular, so a few sets carry most elective achievements.
            for i in r.sample_weighted(&elective_w, (total - required.len()).min(electives.len())) {
                chosen.push(electives[i]);
            }
            let mut days: Vec<NaiveDate> = (0..chosen.len())
                .map(|_| day_between(&mut r, add_days(started, 20), add_days(done, -1)))
                .collect();
            days.sort();
            if let Some(last) = days.last_mut() {
                *last = done;
            }
            // Shuffle which set came when.
            let order = r.sample(chosen.len(), chosen.len());
            for (j, &o) in order.iter().enumerate() {
                achieved.push((chosen[o], days[j]));
            }
            status = "certified";
        } else {
            let elapsed = (as_of - started).num_days().max(0);
            let frac = (elapsed as f64 / four_years as f64).min(1.0);
            let lapsed_by_date = deadline <= as_of;
            let n = if lapsed_by_date {
                r.weighted(&[2.0, 6.0, 12.0, 20.0, 28.0, 32.0])
            } else {
                ((frac * 10.5 * (0.35 + 0.9 * r.f64())) as usize).min(5)
            };
            // Not complete: at most two required sets when there are enough electives.
            let mut pool: Vec<usize> = (0..n_sets).collect();
            let mut chosen = Vec::new();
            for _ in 0..n {
                let i = r.below(pool.len() as u64) as usize;
                chosen.push(pool.swap_remove(i));
            }
            let req = chosen.iter().filter(|s| p.sets[**s].required).count();
            let elec = chosen.len() - req;
            if req >= required.len() && elec >= 3 {
                chosen.pop();
            }
            let until = deadline.min(last_day);
            for s in chosen {
                achieved.push((
                    s,
                    day_between(&mut r, add_days(started, 20), add_days(until, -5)),
                ));
            }
            achieved.sort_by_key(|a| a.1);
            // Some near their deadline got an extension.
            if r.chance(0.04) && deadline <= add_days(as_of, 365) {
                let prev = deadline;
                deadline = add_days(deadline, r.range(120, 365));
                extension = Some((
                    prev,
                    ts(add_days(prev, -r.range(10, 60)), office(&mut r)),
                    0,
                ));
            }
            status = if deadline <= as_of {
                if r.chance(0.03) {
                    "withdrawn"
                } else {
                    "lapsed"
                }
            } else if r.chance(0.015) {
                "withdrawn"
            } else {
                "active"
            };
        }
        if let Some((prev, at, _)) = extension {
            extension = Some((prev, at, p.staff_actor(&mut r)));
        }
        let mut latest_record = created_at;
        for (set, day) in achieved.iter().copied() {
            let portfolio = r.chance(0.082);
            let ach_id = p.achievements.len() as i64 + 1;
            let by = p.staff_actor(&mut r);
            if portfolio {
                // A portfolio found met, perhaps after a round found not met.
                let decided = ts(day, office(&mut r));
                let met_submitted = decided - Duration::days(r.range(20, 40));
                let prior = r.chance(0.15);
                let first_round_at = if prior {
                    met_submitted - Duration::days(r.range(60, 150))
                } else {
                    met_submitted
                };
                let drafting = Duration::days(r.range(20, 120));
                let pid = new_portfolio(
                    &mut p,
                    &mut r,
                    cand_idx,
                    set,
                    "achieved",
                    first_round_at - drafting,
                    decided,
                );
                let mut appeal = None;
                if prior {
                    let rid = new_round(
                        &mut p,
                        &mut r,
                        &reviewers,
                        &conflicted,
                        pid,
                        1,
                        first_round_at,
                        Outcome::NotMet,
                        id,
                        as_of,
                    );
                    if r.chance(0.2) {
                        let filed = p.rounds[(rid - 1) as usize]
                            .decided_at
                            .unwrap_or(first_round_at)
                            + Duration::days(r.range(3, 25));
                        let aid = p.appeals.len() as i64 + 1;
                        p.appeals.push(Appeal {
                            id: aid,
                            round_id: rid,
                            candidacy_id: id,
                            status: "new_round_ordered",
                            filed_at: filed,
                            decided_at: Some(filed + Duration::days(r.range(5, 20))),
                            decided_by: Some(p.crc_actor(&mut r)),
                            new_round_id: Some(p.rounds.len() as i64 + 1),
                        });
                        appeal = Some(aid);
                    }
                }
                let number = if prior { 2 } else { 1 };
                let rid = new_round(
                    &mut p,
                    &mut r,
                    &reviewers,
                    &conflicted,
                    pid,
                    number,
                    met_submitted,
                    Outcome::Met(decided),
                    id,
                    as_of,
                );
                p.rounds[(rid - 1) as usize].ordered_by_appeal = appeal;
                p.achievements.push(Achievement {
                    id: ach_id,
                    candidacy: cand_idx,
                    set: set as u8,
                    completion_id: None,
                    round_id: Some(rid),
                    achieved_on: day,
                    recorded_at: decided,
                    recorded_by: None,
                });
                latest_record = latest_record.max(decided);
            } else {
                let submitted = ts(add_days(day, r.range(2, 25)), office(&mut r));
                let decided = submitted + Duration::seconds(r.range(3600, 8 * 86400));
                let course = course_on(&mut r, &by_set, set, day)
                    .or_else(|| by_set[set].first().map(|x| x.2));
                let Some(course_id) = course else { continue };
                let cid = new_completion(
                    &mut p,
                    cand_idx,
                    course_id,
                    set,
                    day,
                    1,
                    Some((decided, by)),
                    submitted,
                );
                p.achievements.push(Achievement {
                    id: ach_id,
                    candidacy: cand_idx,
                    set: set as u8,
                    completion_id: Some(cid),
                    round_id: None,
                    achieved_on: day,
                    recorded_at: decided,
                    recorded_by: Some(by),
                });
                latest_record = latest_record.max(decided);
            }
        }
        if status == "certified" {
            certified_at = Some(latest_record + Duration::minutes(r.range(1, 30)));
        }
        // Work under way in sets not achieved.
        let open: Vec<usize> = (0..n_sets)
            .filter(|s| !achieved.iter().any(|a| a.0 == *s))
            .collect();
        if status == "active" && !open.is_empty() {
            let x = r.f64();
            let set = *r.pick(&open);
            if x < 0.08 {
                // A portfolio being reviewed now.
                let submitted = ts(add_days(as_of, -r.range(2, 40)), office(&mut r));
                let drafting = Duration::days(r.range(20, 120));
                let pid = new_portfolio(
                    &mut p,
                    &mut r,
                    cand_idx,
                    set,
                    "under_review",
                    submitted - drafting,
                    submitted,
                );
                new_round(
                    &mut p,
                    &mut r,
                    &reviewers,
                    &conflicted,
                    pid,
                    1,
                    submitted,
                    Outcome::Open,
                    id,
                    as_of,
                );
            } else if x < 0.11 {
                // A round found not met; revising.
                let submitted = ts(add_days(as_of, -r.range(60, 200)), office(&mut r));
                let drafting = Duration::days(r.range(20, 120));
                let pid = new_portfolio(
                    &mut p,
                    &mut r,
                    cand_idx,
                    set,
                    "revision_requested",
                    submitted - drafting,
                    submitted + Duration::days(40),
                );
                let rid = new_round(
                    &mut p,
                    &mut r,
                    &reviewers,
                    &conflicted,
                    pid,
                    1,
                    submitted,
                    Outcome::NotMet,
                    id,
                    as_of,
                );
                if r.chance(0.15) {
                    let filed = p.rounds[(rid - 1) as usize].decided_at.unwrap_or(submitted)
                        + Duration::days(r.range(3, 25));
                    let upheld = filed < ts(add_days(as_of, -30), 0);
                    p.appeals.push(Appeal {
                        id: p.appeals.len() as i64 + 1,
                        round_id: rid,
                        candidacy_id: id,
                        status: if upheld { "upheld" } else { "filed" },
                        filed_at: filed,
                        decided_at: upheld.then(|| filed + Duration::days(r.range(5, 20))),
                        decided_by: upheld.then(|| p.staff.crc[0]),
                        new_round_id: None,
                    });
                }
            } else if x < 0.15 {
                let created = ts(
                    add_days(as_of, -r.range(5, 300)).max(started),
                    office(&mut r),
                );
                new_portfolio(&mut p, &mut r, cand_idx, set, "draft", created, created);
            } else if x < 0.21 {
                let day = add_days(as_of, -r.range(10, 60)).max(started);
                let submitted = ts(add_days(day, r.range(1, 8)).min(last_day), office(&mut r));
                if let Some(course_id) = course_on(&mut r, &by_set, set, day) {
                    new_completion(&mut p, cand_idx, course_id, set, day, 0, None, submitted);
                }
            } else if x < 0.24 {
                let day = day_between(&mut r, started, add_days(last_day, -30));
                let submitted = ts(add_days(day, r.range(1, 8)), office(&mut r));
                let by = p.staff_actor(&mut r);
                if let Some(course_id) = course_on(&mut r, &by_set, set, day) {
                    new_completion(
                        &mut p,
                        cand_idx,
                        course_id,
                        set,
                        day,
                        2,
                        Some((submitted + Duration::days(3), by)),
                        submitted,
                    );
                }
            }
        }
        let lapsed_at = (status == "lapsed").then(|| ts(deadline, 3 * 3600 + r.range(0, 600)));
        p.candidacies.push(Candidacy {
            id,
            app: app_i,
            started_on: started,
            deadline_on: deadline,
            status,
            created_at,
            certified_at,
            lapsed_at,
            extension,
            pseudonym,
        });
    }

    // Certificates, in the order they were issued; renewals and periods.
    let mut order: Vec<u32> = p
        .candidacies
        .iter()
        .enumerate()
        .filter(|(_, c)| c.certified_at.is_some())
        .map(|(k, _)| k as u32)
        .collect();
    order.sort_by_key(|&k| (p.candidacies[k as usize].certified_at, k));
    let mut codes: HashSet<String> = HashSet::new();
    for (n, &k) in order.iter().enumerate() {
        let id = n as i64 + 1;
        let mut r = Rng::derive(seed, "certificate", id);
        let c = &p.candidacies[k as usize];
        let at = c.certified_at.unwrap_or_default();
        let issued = at.date_naive();
        let mut verification = code(&mut r, 10);
        while !codes.insert(verification.clone()) {
            verification = code(&mut r, 10);
        }
        let mut expires = add_years(issued, 5);
        p.periods.push(Period {
            id: p.periods.len() as i64 + 1,
            certificate_id: id,
            starts_on: issued,
            expires_on: expires,
            renewal_id: None,
            created_at: at,
        });
        // Renewals: those that came due renewed more often than not.
        while expires <= add_days(as_of, 150) {
            let submitted = ts(add_days(expires, -r.range(20, 120)), office(&mut r));
            if submitted.date_naive() >= as_of {
                break;
            }
            let rid = p.renewals.len() as i64 + 1;
            if expires > as_of && r.chance(0.3) {
                p.renewals.push(Renewal {
                    id: rid,
                    certificate_id: id,
                    status: "submitted",
                    submitted_at: submitted,
                    decided: None,
                    new_expires_on: None,
                    created_at: submitted - Duration::days(r.range(1, 10)),
                    contact_hours: r.range(20, 120) as i32,
                    technology_hours: r.range(0, 30) as i32,
                });
                break;
            }
            if !r.chance(0.6) {
                break;
            }
            let decided = (submitted + Duration::days(r.range(3, 20))).min(ts(as_of, -3600));
            let new_expires = add_years(expires, 5);
            let by = p.staff_actor(&mut r);
            p.renewals.push(Renewal {
                id: rid,
                certificate_id: id,
                status: "approved",
                submitted_at: submitted,
                decided: Some((decided, by)),
                new_expires_on: Some(new_expires),
                created_at: submitted - Duration::days(r.range(1, 10)),
                contact_hours: r.range(20, 120) as i32,
                technology_hours: r.range(0, 30) as i32,
            });
            p.periods.push(Period {
                id: p.periods.len() as i64 + 1,
                certificate_id: id,
                starts_on: expires,
                expires_on: new_expires,
                renewal_id: Some(rid),
                created_at: decided,
            });
            expires = new_expires;
        }
        let revoked = r.chance(0.002).then(|| {
            (
                ts(
                    day_between(&mut r, issued, add_days(as_of, -1)),
                    office(&mut r),
                ),
                p.staff.officers[0],
            )
        });
        let status = if revoked.is_some() {
            "revoked"
        } else if expires > as_of {
            "active"
        } else {
            "expired"
        };
        p.certificates.push(Certificate {
            id,
            candidacy: k,
            sequence: id,
            number: format!("LSSCP-{}-{:06}", issued.year(), id),
            code: verification,
            issued_on: issued,
            expires_on: expires,
            status,
            created_at: at,
            revoked,
        });
    }
    p
}

/// How a planned round ends.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Met(DateTime<Utc>),
    NotMet,
    /// Still being reviewed (as of the data set's day).
    Open,
}

fn titlecase(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_string() + &c.as_str().to_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[allow(clippy::too_many_arguments)]
fn new_completion(
    p: &mut Plan,
    candidacy: u32,
    course_id: i64,
    set: usize,
    completed_on: NaiveDate,
    status: u8,
    decided: Option<(DateTime<Utc>, i64)>,
    submitted_at: DateTime<Utc>,
) -> i64 {
    let id = p.completions.len() as i64 + 1;
    p.documents.push(DocumentOwner::Completion {
        completion: p.completions.len(),
    });
    p.completions.push(Completion {
        id,
        candidacy,
        course_id,
        set: set as u8,
        completed_on,
        document_id: p.documents.len() as i64,
        status,
        decided_by: decided.map(|d| d.1),
        decided_at: decided.map(|d| d.0),
        submitted_at,
    });
    id
}

fn new_portfolio(
    p: &mut Plan,
    r: &mut Rng,
    candidacy: u32,
    set: usize,
    status: &'static str,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> u32 {
    let idx = p.portfolios.len();
    let documents = r.range(1, 2) as u8;
    let first_document = p.documents.len() as i64 + 1;
    for k in 0..documents {
        p.documents
            .push(DocumentOwner::Portfolio { portfolio: idx, k });
    }
    p.portfolios.push(Portfolio {
        id: idx as i64 + 1,
        candidacy,
        set: set as u8,
        status,
        created_at,
        updated_at,
        first_document,
        documents,
    });
    idx as u32
}

/// Two evaluators for a round of `set`: expert, trained, active, of different employers,
/// and without a declared conflict with the candidacy.
fn pick_pair(
    r: &mut Rng,
    p: &Plan,
    reviewers: &[Vec<u32>],
    conflicted: &HashSet<(u32, i64)>,
    set: usize,
    candidacy_id: i64,
    avoid: &[u32],
) -> Option<(u32, u32)> {
    let pool = &reviewers[set];
    if pool.is_empty() {
        return None;
    }
    let ok = |e: u32| !conflicted.contains(&(e, candidacy_id)) && !avoid.contains(&e);
    let mut first = None;
    for _ in 0..32 {
        let e = *r.pick(pool);
        if ok(e) {
            first = Some(e);
            break;
        }
    }
    let a = first?;
    for _ in 0..64 {
        let b = *r.pick(pool);
        if b != a && ok(b) && p.evaluators[b as usize].employer != p.evaluators[a as usize].employer
        {
            return Some((a, b));
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn new_round(
    p: &mut Plan,
    r: &mut Rng,
    reviewers: &[Vec<u32>],
    conflicted: &HashSet<(u32, i64)>,
    portfolio: u32,
    number: i32,
    submitted_at: DateTime<Utc>,
    outcome: Outcome,
    candidacy_id: i64,
    as_of: NaiveDate,
) -> i64 {
    let id = p.rounds.len() as i64 + 1;
    let round_idx = p.rounds.len() as u32;
    let set = p.portfolios[portfolio as usize].set as usize;
    let pair = pick_pair(r, p, reviewers, conflicted, set, candidacy_id, &[]);
    let assigned_at = submitted_at + Duration::seconds(r.range(600, 2 * 86400));
    let due = add_days(assigned_at.date_naive(), 30);
    let mut round = Round {
        id,
        portfolio,
        number,
        status: "in_review",
        outcome: None,
        submitted_at,
        decided_at: None,
        unstaffed: None,
        ordered_by_appeal: None,
    };
    let Some((a, b)) = pair else {
        round.status = "awaiting_assignment";
        round.unstaffed = Some(("TOO_FEW_DISTINCT_EMPLOYERS", assigned_at));
        p.rounds.push(round);
        return id;
    };
    let push = |p: &mut Plan,
                r: &mut Rng,
                e: u32,
                slot: i32,
                by: &'static str,
                at: DateTime<Utc>,
                done: Option<(DateTime<Utc>, bool)>| {
        let recommended = match done {
            Some((_, false)) => p
                .courses
                .iter()
                .skip(r.below(p.courses.len() as u64) as usize)
                .chain(p.courses.iter())
                .find(|c| c.set == set && c.status == "approved")
                .map(|c| c.id),
            _ => None,
        };
        p.reviews.push(Review {
            id: p.reviews.len() as i64 + 1,
            round: round_idx,
            evaluator: e,
            slot,
            status: if done.is_some() {
                "submitted"
            } else {
                "assigned"
            },
            assigned_by: by,
            assigned_at: at,
            due_on: add_days(at.date_naive(), 30),
            submitted_at: done.map(|d| d.0),
            overall_met: done.map(|d| d.1),
            ended_at: None,
            end_reason: None,
            recommended,
        });
    };
    match outcome {
        Outcome::Met(_) | Outcome::NotMet => {
            let met = matches!(outcome, Outcome::Met(_));
            let decided = match outcome {
                Outcome::Met(d) => d,
                _ => submitted_at + Duration::days(r.range(15, 35)),
            };
            let split = r.chance(0.38);
            // A first evaluator who let the review go overdue and was replaced.
            let mut slot1_by = "solver";
            let mut slot1_at = assigned_at;
            if r.chance(0.15) {
                let others = pick_pair(r, p, reviewers, conflicted, set, candidacy_id, &[a, b]);
                if let Some((x, _)) = others {
                    let ended = ts(add_days(due, 7), 6 * 3600);
                    p.reviews.push(Review {
                        id: p.reviews.len() as i64 + 1,
                        round: round_idx,
                        evaluator: x,
                        slot: 1,
                        status: "reassigned",
                        assigned_by: "solver",
                        assigned_at,
                        due_on: due,
                        submitted_at: None,
                        overall_met: None,
                        ended_at: Some(ended.min(decided - Duration::days(3))),
                        end_reason: Some("overdue"),
                        recommended: None,
                    });
                    slot1_by = "reassignment";
                    slot1_at = ended.min(decided - Duration::days(3));
                }
            }
            let span = (decided - slot1_at).num_seconds().max(7200);
            let s1 = slot1_at + Duration::seconds(r.range(3600, span - 3600));
            let s2 = assigned_at
                + Duration::seconds(
                    r.range(3600, (decided - assigned_at).num_seconds().max(7200) - 3600),
                );
            if split {
                let third_at = s1.max(s2) + Duration::seconds(600);
                let first_says = r.chance(0.5);
                push(
                    p,
                    r,
                    a,
                    1,
                    slot1_by,
                    slot1_at,
                    Some((s1.min(third_at), first_says)),
                );
                push(
                    p,
                    r,
                    b,
                    2,
                    "solver",
                    assigned_at,
                    Some((s2.min(third_at), !first_says)),
                );
                let third =
                    pick_pair(r, p, reviewers, conflicted, set, candidacy_id, &[a, b]).map(|x| x.0);
                if let Some(c) = third {
                    push(p, r, c, 3, "tie_break", third_at, Some((decided, met)));
                } else {
                    // No third found: the round records the agreeing view only.
                    round.unstaffed = None;
                }
            } else {
                push(p, r, a, 1, slot1_by, slot1_at, Some((s1.min(decided), met)));
                push(p, r, b, 2, "solver", assigned_at, Some((decided, met)));
            }
            round.status = if met { "met" } else { "not_met" };
            round.outcome = Some(if met { "met" } else { "not_met" });
            round.decided_at = Some(decided);
        }
        Outcome::Open => {
            let now = ts(as_of, 0);
            let x = r.f64();
            if x < 0.05 {
                round.status = "awaiting_assignment";
                round.unstaffed = Some(("ALL_AT_CAPACITY", assigned_at));
            } else if x < 0.15 && now - assigned_at > Duration::days(5) {
                // Split, waiting for a third evaluator.
                let s1 = assigned_at
                    + Duration::seconds(r.range(3600, (now - assigned_at).num_seconds() - 3600));
                let s2 = assigned_at
                    + Duration::seconds(r.range(3600, (now - assigned_at).num_seconds() - 3600));
                push(p, r, a, 1, "solver", assigned_at, Some((s1, true)));
                push(p, r, b, 2, "solver", assigned_at, Some((s2, false)));
                round.status = "awaiting_third";
                round.unstaffed = Some(("ALL_CONFLICTED", s1.max(s2)));
            } else {
                for (e, slot) in [(a, 1), (b, 2)] {
                    let done =
                        (r.chance(0.3) && now - assigned_at > Duration::days(2)).then(|| {
                            (
                                assigned_at
                                    + Duration::seconds(
                                        r.range(3600, (now - assigned_at).num_seconds() - 3600),
                                    ),
                                r.chance(0.8),
                            )
                        });
                    push(p, r, e, slot, "solver", assigned_at, done);
                }
            }
        }
    }
    p.rounds.push(round);
    id
}

/// Counts of the plan, for the report.
pub fn summary(p: &Plan) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    m.insert("applications", p.applications.len());
    m.insert("candidacies", p.candidacies.len());
    m.insert("achievements", p.achievements.len());
    m.insert("review rounds", p.rounds.len());
    m.insert("reviews", p.reviews.len());
    m.insert("certificates", p.certificates.len());
    m
}
