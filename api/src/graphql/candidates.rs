//! Candidacies and their progress: the candidate's own view, the staff's list of
//! candidates, and the programme's statistics. Every relation of a candidacy loads
//! through a DataLoader, so a page of candidates with full progress costs the same
//! handful of queries whatever its size.

use super::applications::{Application, MarketingSource, load as load_application};
use super::catalogue::CompetencySet;
use super::flat;
use super::loaders::{Loaders, many};
use super::records::{Achievement, AchievementMethod, Certificate, CourseCompletion};
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields, OpaqueCursor};
use async_graphql::parser::types::{Selection, SelectionSet};
use async_graphql::{
    Context, ContextSelectionSet, Enum, ErrorExtensions, ID, InputObject, InputType, Object,
    Positioned, Result, SimpleObject, Value,
};
use chrono::{DateTime, NaiveDate, Utc};
use domain::rules::progress::SetStatus as DomainSetStatus;
use domain::services::catalogue::Catalogue;
use domain::services::progress::{self, CandidateFilter, CandidateSort};
use domain::services::{candidacies, catalogue, statistics};
use entity::{candidacy, deadline_extension};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::candidacy::CandidacyStatus")]
pub enum CandidacyStatus {
    Active,
    Certified,
    /// The deadline passed without certification.
    Lapsed,
    Withdrawn,
}

/// Where a candidate stands in one set.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SetStatus {
    NotStarted,
    /// A portfolio being written or revised, or evidence rejected.
    InProgress,
    /// Evidence waiting to be verified, or a portfolio round being reviewed.
    UnderReview,
    Achieved,
}

impl From<DomainSetStatus> for SetStatus {
    fn from(s: DomainSetStatus) -> Self {
        match s {
            DomainSetStatus::NotStarted => Self::NotStarted,
            DomainSetStatus::InProgress => Self::InProgress,
            DomainSetStatus::UnderReview => Self::UnderReview,
            DomainSetStatus::Achieved => Self::Achieved,
        }
    }
}

/// One set's progress, for a progress graph.
///
/// A page of candidates holds hundreds of these, so a plain selection of them is answered
/// directly (see [`flat`]).
pub struct SetProgress(pub progress::SetProgress);

#[Object]
impl SetProgress {
    async fn competency_set(&self, ctx: &Context<'_>) -> Result<Option<CompetencySet>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(cat.set(self.0.set_id).cloned().map(CompetencySet))
    }

    async fn required(&self) -> bool {
        self.0.required
    }

    async fn status(&self) -> SetStatus {
        self.0.status.into()
    }

    /// How the set was achieved.
    async fn method(&self) -> Option<AchievementMethod> {
        self.0.method.map(Into::into)
    }

    async fn achieved_on(&self) -> Option<NaiveDate> {
        self.0.achieved_on
    }
}

impl SetProgress {
    /// The answer to a plain `selection` of one set's progress (see [`flat`]).
    fn flat(
        p: &progress::SetProgress,
        cat: &Catalogue,
        selection: &Positioned<SelectionSet>,
    ) -> Option<Value> {
        flat::object(selection, |field| {
            Some(match field.node.name.node.as_str() {
                "__typename" => Value::String("SetProgress".to_owned()),
                "competencySet" => {
                    CompetencySet::flat_of(cat, p.set_id, &field.node.selection_set)?
                }
                "required" => Value::Boolean(p.required),
                "status" => SetStatus::from(p.status).to_value(),
                "method" => p.method.map(AchievementMethod::from).to_value(),
                "achievedOn" => p.achieved_on.to_value(),
                _ => return None,
            })
        })
    }
}

impl flat::Direct for SetProgress {
    async fn direct(&self, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let cat = CompetencySet::catalogue_for_flat(ctx).await?;
        Self::flat(&self.0, &cat, ctx.item)
    }
}

/// A candidate's standing in every set and towards certification (every required set
/// and three electives).
pub struct Progress {
    inner: progress::Progress,
    deadline_on: NaiveDate,
    today: NaiveDate,
}

#[Object]
impl Progress {
    /// The ten sets in the programme's order.
    #[graphql(complexity = "super::cost::list(domain::limits::COMPETENCY_SETS, child_complexity)")]
    async fn sets(&self) -> Vec<flat::Flat<SetProgress>> {
        self.inner
            .sets
            .iter()
            .cloned()
            .map(|s| flat::Flat(SetProgress(s)))
            .collect()
    }

    async fn required_achieved(&self) -> u32 {
        self.inner.standing.required_achieved
    }

    async fn required_total(&self) -> u32 {
        self.inner.standing.required_total
    }

    async fn electives_achieved(&self) -> u32 {
        self.inner.standing.electives_achieved
    }

    async fn electives_needed(&self) -> u32 {
        self.inner.standing.electives_needed
    }

    /// Sets still to achieve for certification.
    async fn sets_remaining(&self) -> u32 {
        self.inner.standing.remaining()
    }

    async fn complete(&self) -> bool {
        self.inner.standing.is_complete()
    }

    /// Days until the deadline (negative once past).
    async fn days_left(&self) -> i64 {
        self.days_left_value()
    }
}

impl Progress {
    fn days_left_value(&self) -> i64 {
        (self.deadline_on - self.today).num_days()
    }

    /// The answer to a plain `selection` of this progress (see [`flat`]).
    fn flat(&self, cat: &Catalogue, selection: &Positioned<SelectionSet>) -> Option<Value> {
        let standing = &self.inner.standing;
        flat::object(selection, |field| {
            Some(match field.node.name.node.as_str() {
                "__typename" => Value::String("Progress".to_owned()),
                "sets" => Value::List(
                    self.inner
                        .sets
                        .iter()
                        .map(|s| SetProgress::flat(s, cat, &field.node.selection_set))
                        .collect::<Option<Vec<_>>>()?,
                ),
                "requiredAchieved" => Value::from(standing.required_achieved),
                "requiredTotal" => Value::from(standing.required_total),
                "electivesAchieved" => Value::from(standing.electives_achieved),
                "electivesNeeded" => Value::from(standing.electives_needed),
                "setsRemaining" => Value::from(standing.remaining()),
                "complete" => Value::Boolean(standing.is_complete()),
                "daysLeft" => Value::from(self.days_left_value()),
                _ => return None,
            })
        })
    }
}

impl flat::Direct for Progress {
    async fn direct(&self, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let cat = CompetencySet::catalogue_for_flat(ctx).await?;
        self.flat(&cat, ctx.item)
    }
}

/// What happened in a candidacy, for a timeline.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum TimelineEventKind {
    ApplicationSubmitted,
    CandidacyStarted,
    EvidenceSubmitted,
    EvidenceVerified,
    EvidenceRejected,
    SetAchieved,
    DeadlineExtended,
    Certified,
    Lapsed,
}

/// One event of a candidacy.
#[derive(SimpleObject)]
pub struct TimelineEvent {
    pub kind: TimelineEventKind,
    pub at: DateTime<Utc>,
    /// The set concerned, if any.
    pub set_code: Option<String>,
    #[graphql(complexity = "super::cost::text(domain::limits::REASON_CHARS)")]
    pub detail: Option<String>,
}

/// A deadline extension.
pub struct DeadlineExtension(pub deadline_extension::Model);

#[Object]
impl DeadlineExtension {
    async fn previous_deadline_on(&self) -> NaiveDate {
        self.0.previous_deadline_on
    }

    async fn new_deadline_on(&self) -> NaiveDate {
        self.0.new_deadline_on
    }

    #[graphql(complexity = "super::cost::text(domain::limits::REASON_CHARS)")]
    async fn reason(&self) -> &str {
        &self.0.reason
    }

    async fn granted_at(&self) -> DateTime<Utc> {
        self.0.granted_at
    }
}

/// A candidacy: from acceptance to certificate, with its progress. Visible to the
/// candidate and to staff.
pub struct Candidacy(pub candidacy::Model);

impl Candidacy {
    async fn progress_of(&self, ctx: &domain::Context, loaders: &Loaders) -> Result<Progress> {
        // Facts read ahead (a page's, or the candidate's own beside the candidacy) skip the
        // DataLoader's batching, which would spawn a task and wait out its 1 ms delay.
        let facts = match loaders.progress_facts.loader().primed(self.0.id) {
            Some(facts) => facts,
            None => loaders
                .progress_facts
                .load_one(self.0.id)
                .await?
                .unwrap_or_default(),
        };
        let cat = catalogue::get(ctx).await.gql()?;
        Ok(Progress {
            inner: progress::progress_of(&cat, ctx.config.candidacy.electives_required, &facts),
            deadline_on: self.0.deadline_on,
            today: ctx.today(),
        })
    }

    /// The fields [`flat::Direct::direct`] answers; any other sends the candidacy through
    /// the executor.
    const DIRECT: [&'static str; 9] = [
        "__typename",
        "id",
        "number",
        "status",
        "startedOn",
        "deadlineOn",
        "carExpiresOn",
        "certifiedAt",
        "progress",
    ];
}

/// A page of candidates holds 50 of these, so a plain selection is answered directly (see
/// [`flat`]), progress included.
impl flat::Direct for Candidacy {
    async fn direct(&self, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        // Decided before reading progress, so that a selection the executor must answer
        // anyway (the application, the timeline…) does not read it twice.
        let mut asks_progress = false;
        for item in &ctx.item.node.items {
            let Selection::Field(f) = &item.node else {
                return None;
            };
            let name = f.node.name.node.as_str();
            if !Self::DIRECT.contains(&name) {
                return None;
            }
            asks_progress |= name == "progress";
        }
        let progress = match asks_progress {
            true => {
                let services = ctx.data_unchecked::<domain::Context>();
                // An error here is reported by the ordinary path, which asks again.
                let p = self
                    .progress_of(services, ctx.data_unchecked::<Loaders>())
                    .await
                    .ok()?;
                Some((p, CompetencySet::catalogue_for_flat(ctx).await?))
            }
            false => None,
        };
        let c = &self.0;
        flat::object(ctx.item, |field| {
            Some(match field.node.name.node.as_str() {
                "__typename" => Value::String("Candidacy".to_owned()),
                "id" => Value::String(c.id.to_string()),
                "number" => Value::String(c.number.clone()),
                "status" => CandidacyStatus::from(c.status).to_value(),
                "startedOn" => c.started_on.to_value(),
                "deadlineOn" => c.deadline_on.to_value(),
                "carExpiresOn" => c.car_expires_on.to_value(),
                "certifiedAt" => c.certified_at.to_value(),
                "progress" => {
                    let (p, cat) = progress.as_ref()?;
                    p.flat(cat, &field.node.selection_set)?
                }
                _ => return None,
            })
        })
    }
}

/// Awaits three futures together, so their DataLoader requests share a batch.
async fn futures_join<A, B, C>(
    a: impl std::future::Future<Output = A>,
    b: impl std::future::Future<Output = B>,
    c: impl std::future::Future<Output = C>,
) -> (A, B, C) {
    tokio::join!(a, b, c)
}

#[Object]
impl Candidacy {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The candidate number, e.g. `LSS-000042`.
    async fn number(&self) -> &str {
        &self.0.number
    }

    async fn status(&self) -> CandidacyStatus {
        self.0.status.into()
    }

    async fn started_on(&self) -> NaiveDate {
        self.0.started_on
    }

    /// Four years after the start, unless extended.
    async fn deadline_on(&self) -> NaiveDate {
        self.0.deadline_on
    }

    /// When the Candidate Achievement Record subscription ends.
    async fn car_expires_on(&self) -> NaiveDate {
        self.0.car_expires_on
    }

    async fn certified_at(&self) -> Option<DateTime<Utc>> {
        self.0.certified_at
    }

    /// The application: contact details, work history, education.
    async fn application(&self, ctx: &Context<'_>) -> Result<Option<Application>> {
        load_application(ctx, self.0.application_id).await
    }

    /// Progress in every set, for a progress graph.
    async fn progress(&self, ctx: &Context<'_>) -> Result<flat::Flat<Progress>> {
        self.progress_of(services(ctx), ctx.data_unchecked::<Loaders>())
            .await
            .map(flat::Flat)
    }

    #[graphql(complexity = "super::cost::list(domain::limits::COMPETENCY_SETS, child_complexity)")]
    async fn achievements(&self, ctx: &Context<'_>) -> Result<Vec<Achievement>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().achievements, self.0.id).await?;
        Ok(rows.into_iter().map(Achievement).collect())
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::COURSE_COMPLETIONS_PER_CANDIDACY, child_complexity)"
    )]
    async fn course_completions(&self, ctx: &Context<'_>) -> Result<Vec<CourseCompletion>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().completions, self.0.id).await?;
        Ok(rows
            .into_iter()
            .take(domain::limits::COURSE_COMPLETIONS_PER_CANDIDACY)
            .map(CourseCompletion)
            .collect())
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::DEADLINE_EXTENSIONS_PER_CANDIDACY, child_complexity)"
    )]
    async fn deadline_extensions(&self, ctx: &Context<'_>) -> Result<Vec<DeadlineExtension>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().extensions, self.0.id).await?;
        Ok(rows
            .into_iter()
            .take(domain::limits::DEADLINE_EXTENSIONS_PER_CANDIDACY)
            .map(DeadlineExtension)
            .collect())
    }

    async fn certificate(&self, ctx: &Context<'_>) -> Result<Option<Certificate>> {
        let rows = many(&ctx.data_unchecked::<Loaders>().certificates, self.0.id).await?;
        Ok(rows.into_iter().next().map(Certificate))
    }

    /// Everything that happened, oldest first.
    #[graphql(complexity = "super::cost::list(TIMELINE_EVENTS, child_complexity)")]
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<TimelineEvent>> {
        let l = ctx.data_unchecked::<Loaders>();
        let cat = catalogue::get(services(ctx)).await.gql()?;
        let code = |set_id: i64| cat.set(set_id).map(|s| s.set.code.clone());
        let app = super::loaders::one(&l.applications, self.0.application_id).await?;
        let (achievements, completions, extensions) = futures_join(
            many(&l.achievements, self.0.id),
            many(&l.completions, self.0.id),
            many(&l.extensions, self.0.id),
        )
        .await;
        let mut events = Vec::new();
        if let Some(at) = app.as_ref().and_then(|a| a.submitted_at) {
            events.push(TimelineEvent {
                kind: TimelineEventKind::ApplicationSubmitted,
                at,
                set_code: None,
                detail: None,
            });
        }
        events.push(TimelineEvent {
            kind: TimelineEventKind::CandidacyStarted,
            at: self.0.created_at,
            set_code: None,
            detail: None,
        });
        for c in completions? {
            events.push(TimelineEvent {
                kind: TimelineEventKind::EvidenceSubmitted,
                at: c.submitted_at,
                set_code: code(c.set_id),
                detail: None,
            });
            if let Some(at) = c.decided_at {
                let kind = match c.status {
                    entity::course_completion::CompletionStatus::Rejected => {
                        TimelineEventKind::EvidenceRejected
                    }
                    _ => TimelineEventKind::EvidenceVerified,
                };
                events.push(TimelineEvent {
                    kind,
                    at,
                    set_code: code(c.set_id),
                    detail: c.decision_reason.clone(),
                });
            }
        }
        for a in achievements? {
            events.push(TimelineEvent {
                kind: TimelineEventKind::SetAchieved,
                at: a.recorded_at,
                set_code: code(a.set_id),
                detail: None,
            });
        }
        for e in extensions? {
            events.push(TimelineEvent {
                kind: TimelineEventKind::DeadlineExtended,
                at: e.granted_at,
                set_code: None,
                detail: Some(e.reason),
            });
        }
        if let Some(at) = self.0.certified_at {
            events.push(TimelineEvent {
                kind: TimelineEventKind::Certified,
                at,
                set_code: None,
                detail: None,
            });
        }
        if let Some(at) = self.0.lapsed_at {
            events.push(TimelineEvent {
                kind: TimelineEventKind::Lapsed,
                at,
                set_code: None,
                detail: None,
            });
        }
        events.sort_by_key(|e| e.at);
        Ok(events)
    }
}

/// How the list of candidates is ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum CandidateOrder {
    /// Most recently accepted first.
    #[default]
    Newest,
    DeadlineSoonest,
    /// By family name, then given name.
    Name,
}

/// Filters of the list of candidates; all optional, combined with AND.
#[derive(InputObject, Default)]
pub struct CandidateFilterInput {
    pub status: Option<CandidacyStatus>,
    /// A set's code: candidates who achieved it.
    pub set_achieved: Option<String>,
    /// A set's code: candidates who have not achieved it.
    pub set_missing: Option<String>,
    pub deadline_before: Option<NaiveDate>,
    /// The state of the candidate's address, e.g. `IL`.
    pub state: Option<String>,
    pub marketing_source: Option<MarketingSource>,
    /// Words in the candidate's name or email.
    pub search: Option<String>,
}

/// The funnel of the programme.
#[derive(SimpleObject)]
pub struct Funnel {
    pub applied: i64,
    pub eligible: i64,
    pub accepted: i64,
    pub certified: i64,
    pub lapsed: i64,
}

/// Achievements of one set.
pub struct SetCount(pub progress::SetCount);

#[Object]
impl SetCount {
    async fn competency_set(&self, ctx: &Context<'_>) -> Result<Option<CompetencySet>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(cat.set(self.0.set_id).cloned().map(CompetencySet))
    }

    async fn total(&self) -> i64 {
        self.0.total
    }

    async fn by_course(&self) -> i64 {
        self.0.by_course
    }

    async fn by_portfolio(&self) -> i64 {
        self.0.by_portfolio
    }
}

/// One month's activity, for a time series.
#[derive(SimpleObject)]
pub struct MonthlyCounts {
    /// `YYYY-MM`.
    pub month: String,
    pub applications: i64,
    pub acceptances: i64,
    pub achievements: i64,
    pub certificates: i64,
}

/// The programme's statistics, graph-ready.
#[derive(SimpleObject)]
pub struct ProgrammeStatistics {
    /// When these numbers were computed: the page is served from a snapshot at most
    /// `reports.statistics_max_age_seconds` old (plus one refresh) unless asked `fresh`.
    pub as_of: chrono::DateTime<chrono::Utc>,
    pub funnel: Funnel,
    #[graphql(complexity = "super::cost::list(domain::limits::COMPETENCY_SETS, child_complexity)")]
    pub achievements_per_set: Vec<SetCount>,
    #[graphql(
        complexity = "super::cost::list(domain::limits::STATISTICS_MONTHS, child_complexity)"
    )]
    /// The newest 120 months.
    pub monthly: Vec<MonthlyCounts>,
}

/// Reads ahead, one query per relation, what the rows of a page of candidates ask for, so
/// that the page costs the same few statements whatever its size: left to the DataLoaders
/// alone, a large page's loads can fall into several batches.
async fn prime_page(ctx: &Context<'_>, page: &[candidacy::Model]) -> Result<()> {
    if page.is_empty() {
        return Ok(());
    }
    let look = ctx.look_ahead();
    let wants = |path: &[&str]| {
        let (mut edge, mut node) = (look.field("edges").field("node"), look.field("nodes"));
        for name in path {
            edge = edge.field(name);
            node = node.field(name);
        }
        edge.exists() || node.exists()
    };
    let progress = wants(&["progress"]);
    let timeline = wants(&["timeline"]);
    let ids: Vec<i64> = page.iter().map(|c| c.id).collect();
    let applications: Vec<i64> = page.iter().map(|c| c.application_id).collect();
    let l = ctx.data_unchecked::<Loaders>();
    if progress {
        l.progress_facts.loader().prime(&ids).await?;
    }
    if timeline || wants(&["achievements"]) {
        l.achievements.loader().prime(&ids).await?;
    }
    if timeline || wants(&["courseCompletions"]) {
        l.completions.loader().prime(&ids).await?;
    }
    if timeline || wants(&["deadlineExtensions"]) {
        l.extensions.loader().prime(&ids).await?;
    }
    if wants(&["certificate"]) {
        l.certificates.loader().prime(&ids).await?;
    }
    if timeline || wants(&["application"]) {
        l.applications.loader().prime(&applications).await?;
    }
    if wants(&["application", "workHistory"]) {
        l.work_history.loader().prime(&applications).await?;
    }
    if wants(&["application", "education"]) {
        l.education.loader().prime(&applications).await?;
    }
    if wants(&["application", "paidCents"]) {
        l.application_payments.loader().prime(&applications).await?;
    }
    Ok(())
}

/// The most events a timeline holds: application, start, certification and lapse; each
/// completion submitted and decided; each achievement and extension.
const TIMELINE_EVENTS: usize = 4
    + 2 * domain::limits::COURSE_COMPLETIONS_PER_CANDIDACY
    + domain::limits::COMPETENCY_SETS
    + domain::limits::DEADLINE_EXTENSIONS_PER_CANDIDACY;

#[derive(Default)]
pub struct CandidateQuery;

#[Object]
impl CandidateQuery {
    /// Your candidacy, if you are a candidate.
    async fn my_candidacy(&self, ctx: &Context<'_>) -> Result<Option<flat::Flat<Candidacy>>> {
        let db = &services(ctx).db;
        // A progress graph's request: the candidacy and its facts in one statement.
        let read = if ctx.look_ahead().field("progress").exists() {
            progress::own_candidacy_with_facts(db, actor(ctx))
                .await
                .map(|(c, facts)| {
                    ctx.data_unchecked::<Loaders>()
                        .progress_facts
                        .loader()
                        .keep(c.id, facts);
                    c
                })
        } else {
            domain::services::evidence::own_candidacy(db, actor(ctx)).await
        };
        match read {
            Ok(c) => Ok(Some(flat::Flat(Candidacy(c)))),
            Err(domain::DomainError::Invalid(_)) => Ok(None),
            Err(e) => Err(crate::error::to_gql(e)),
        }
    }

    /// One candidacy. The candidate or staff.
    async fn candidacy(&self, ctx: &Context<'_>, id: ID) -> Result<flat::Flat<Candidacy>> {
        let id = parse_id(&id, "candidacy")?;
        candidacies::visible(&services(ctx).db, actor(ctx), id)
            .await
            .gql()
            .map(|c| flat::Flat(Candidacy(c)))
    }

    /// Candidates, filtered and ordered. Staff only. Each row can carry its full progress.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn candidates(
        &self,
        ctx: &Context<'_>,
        filter: Option<CandidateFilterInput>,
        order: Option<CandidateOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<u64>, flat::Flat<Candidacy>, EmptyFields, EmptyFields>>
    {
        let first = match first {
            None => super::connection::DEFAULT_PAGE,
            Some(n) if n >= 0 && (n as usize) <= super::connection::MAX_PAGE => n as usize,
            Some(n) => {
                return Err(async_graphql::Error::new(format!(
                    "`first` must be between 0 and {}; it was {n}.",
                    super::connection::MAX_PAGE
                ))
                .extend_with(|_, e| e.set("code", "BAD_USER_INPUT")));
            }
        };
        let offset = match after {
            None => 0,
            Some(c) => {
                OpaqueCursor::<u64>::decode_cursor(&c)
                    .map_err(|_| {
                        async_graphql::Error::new("`after` is not a cursor this list gave out.")
                            .extend_with(|_, e| e.set("code", "BAD_USER_INPUT"))
                    })?
                    .0
                    + 1
            }
        };
        let f = filter.unwrap_or_default();
        let cat = catalogue::get(services(ctx)).await.gql()?;
        let set_id = |code: &Option<String>| -> Result<Option<i64>> {
            match code {
                None => Ok(None),
                Some(c) => cat.by_code(c).map(|s| Some(s.set.id)).ok_or_else(|| {
                    async_graphql::Error::new(format!("There is no competency set {c}."))
                        .extend_with(|_, e| e.set("code", "BAD_USER_INPUT"))
                }),
            }
        };
        let filter = CandidateFilter {
            status: f.status.map(Into::into),
            set_achieved: set_id(&f.set_achieved)?,
            set_missing: set_id(&f.set_missing)?,
            deadline_before: f.deadline_before,
            state: f.state,
            marketing_source: f.marketing_source.map(Into::into),
            search: f.search,
        };
        let sort = match order.unwrap_or_default() {
            CandidateOrder::Newest => CandidateSort::Newest,
            CandidateOrder::DeadlineSoonest => CandidateSort::DeadlineSoonest,
            CandidateOrder::Name => CandidateSort::Name,
        };
        let rows = progress::candidates(
            services(ctx),
            actor(ctx),
            &filter,
            sort,
            offset,
            first as u64 + 1,
        )
        .await
        .gql()?;
        let has_next = rows.len() > first;
        let page: Vec<candidacy::Model> = rows.into_iter().take(first).collect();
        prime_page(ctx, &page).await?;
        let mut conn = Connection::new(offset > 0, has_next);
        conn.edges.extend(
            page.into_iter()
                .enumerate()
                .map(|(i, c)| Edge::new(OpaqueCursor(offset + i as u64), flat::Flat(Candidacy(c)))),
        );
        Ok(conn)
    }

    /// The programme's statistics: funnel, achievements per set and method, and monthly
    /// series, as of `asOf` (a snapshot shared by readers, refreshed once it is older than
    /// the programme's `reports.statistics_max_age_seconds`). `fresh: true` computes them
    /// now, which at national scale takes about a second. Staff only.
    async fn programme_statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] fresh: bool,
    ) -> Result<ProgrammeStatistics> {
        let snapshot = statistics::current(services(ctx), actor(ctx), fresh)
            .await
            .gql()?;
        let (as_of, s) = (snapshot.as_of, snapshot.statistics.clone());
        let monthly_skip = s
            .monthly
            .len()
            .saturating_sub(domain::limits::STATISTICS_MONTHS);
        Ok(ProgrammeStatistics {
            as_of,
            funnel: Funnel {
                applied: s.funnel.applied,
                eligible: s.funnel.eligible,
                accepted: s.funnel.accepted,
                certified: s.funnel.certified,
                lapsed: s.funnel.lapsed,
            },
            achievements_per_set: s
                .per_set
                .into_iter()
                .take(domain::limits::COMPETENCY_SETS)
                .map(SetCount)
                .collect(),
            monthly: s
                .monthly
                .into_iter()
                .skip(monthly_skip)
                .map(|m| MonthlyCounts {
                    month: m.month,
                    applications: m.applications,
                    acceptances: m.acceptances,
                    achievements: m.achievements,
                    certificates: m.certificates,
                })
                .collect(),
        })
    }
}

#[derive(InputObject)]
pub struct ExtendDeadlineInput {
    pub candidacy_id: ID,
    pub new_deadline: NaiveDate,
    /// Always required: it is recorded and sent to the candidate.
    pub reason: String,
}

#[derive(async_graphql::SimpleObject)]
pub struct CandidacyPayload {
    pub candidacy: Option<Candidacy>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CandidateMutation;

#[Object]
impl CandidateMutation {
    /// Moves a deadline later, with a reason. Staff only.
    async fn extend_deadline(
        &self,
        ctx: &Context<'_>,
        input: ExtendDeadlineInput,
    ) -> Result<CandidacyPayload> {
        let id = parse_id(&input.candidacy_id, "candidacy")?;
        let (c, user_errors) = payload(
            candidacies::extend_deadline(
                services(ctx),
                actor(ctx),
                id,
                input.new_deadline,
                &input.reason,
            )
            .await,
        )?;
        Ok(CandidacyPayload {
            candidacy: c.map(Candidacy),
            user_errors,
        })
    }
}
