//! Portfolios and their review: the candidate's portfolio and rounds, the evaluator's
//! blind view and assessment, and the staff's and CRC's view of rounds, replacements,
//! assignment runs and appeals.
//!
//! The evaluator-facing types here ([`ReviewAssignment`], [`Assessment`]) carry no link to
//! a candidate, an account or another evaluator: blindness holds whatever a query nests.

use super::candidates::Candidacy;
use super::catalogue::CompetencySet;
use super::documents::Document;
use super::evaluators::Evaluator;
use super::flat;
use super::loaders::{Loaders, one};
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::{
    Context, ContextSelectionSet, Enum, ID, InputObject, InputType, Object, Result, SimpleObject,
    Value,
};
use chrono::{DateTime, NaiveDate, Utc};
use domain::limits::QUEUE_ROWS;
use domain::services::portfolios::{self, PortfolioDetail, RoundContent};
use domain::services::reviews::{self, AssessmentView, BlindReview};
use domain::services::{assignment, catalogue, evaluators};
use entity::{appeal, assignment_run, review, review_round};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::portfolio::PortfolioStatus")]
pub enum PortfolioStatus {
    Draft,
    UnderReview,
    RevisionRequested,
    Achieved,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::review_round::RoundStatus")]
pub enum RoundStatus {
    AwaitingAssignment,
    InReview,
    /// The two evaluators disagreed; a third decides.
    AwaitingThird,
    Met,
    NotMet,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::review::ReviewStatus")]
pub enum ReviewStatus {
    Assigned,
    Submitted,
    Reassigned,
    Withdrawn,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::review::AssignedBy")]
pub enum AssignedBy {
    Solver,
    TieBreak,
    Crc,
    Reassignment,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::appeal::AppealStatus")]
pub enum AppealStatus {
    Filed,
    Upheld,
    Overturned,
    NewRoundOrdered,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AppealDecisionInput {
    Uphold,
    Overturn,
    NewRound,
}

/// A reflective narrative.
#[derive(SimpleObject)]
pub struct Narrative {
    /// Null in a frozen round.
    pub id: Option<ID>,
    pub title: String,
    #[graphql(complexity = "super::cost::text(domain::limits::NARRATIVE_BODY_CHARS)")]
    pub body: String,
    /// The numbers of the set's competencies it addresses.
    #[graphql(
        complexity = "super::cost::list(domain::limits::COMPETENCIES_PER_SET, child_complexity)"
    )]
    pub competencies: Vec<i32>,
}

/// An evidence document with its caption.
pub struct EvidenceDocument {
    document_id: i64,
    caption: Option<String>,
}

#[Object]
impl EvidenceDocument {
    async fn document(&self, ctx: &Context<'_>) -> Result<Option<Document>> {
        Ok(
            one(&ctx.data_unchecked::<Loaders>().documents, self.document_id)
                .await?
                .map(Document),
        )
    }

    async fn caption(&self) -> Option<&str> {
        self.caption.as_deref()
    }
}

/// A round's content, frozen at submission.
pub struct FrozenContent(pub RoundContent);

#[Object]
impl FrozenContent {
    #[graphql(
        complexity = "super::cost::list(domain::limits::NARRATIVES_PER_PORTFOLIO, child_complexity)"
    )]
    async fn narratives(&self) -> Vec<Narrative> {
        self.0
            .narratives
            .iter()
            .take(domain::limits::NARRATIVES_PER_PORTFOLIO)
            .map(|n| Narrative {
                id: None,
                title: n.title.clone(),
                body: n.body.clone(),
                competencies: n.competencies.clone(),
            })
            .collect()
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::DOCUMENTS_PER_PORTFOLIO, child_complexity)"
    )]
    async fn documents(&self) -> Vec<EvidenceDocument> {
        self.0
            .documents
            .iter()
            .take(domain::limits::DOCUMENTS_PER_PORTFOLIO)
            .map(|d| EvidenceDocument {
                document_id: d.document_id,
                caption: d.caption.clone(),
            })
            .collect()
    }
}

/// One competency's assessment.
#[derive(SimpleObject)]
pub struct CompetencyAssessment {
    pub number: i32,
    pub met: bool,
    #[graphql(complexity = "super::cost::text(domain::limits::COMPETENCY_COMMENT_CHARS)")]
    pub comment: String,
}

/// An assessment, without who wrote it.
pub struct Assessment(pub AssessmentView);

#[Object]
impl Assessment {
    /// "Evaluator 1", "Evaluator 2", "Evaluator 3" (the tie-breaker): a label, not a person.
    async fn label(&self) -> String {
        format!("Evaluator {}", self.0.slot)
    }

    async fn overall_met(&self) -> bool {
        self.0.overall_met
    }

    #[graphql(complexity = "super::cost::text(domain::limits::LONG_TEXT_CHARS)")]
    async fn feedback(&self) -> &str {
        &self.0.feedback
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::COMPETENCIES_PER_SET, child_complexity)"
    )]
    async fn competencies(&self) -> Vec<CompetencyAssessment> {
        self.0
            .competencies
            .iter()
            .map(|(n, met, comment)| CompetencyAssessment {
                number: *n,
                met: *met,
                comment: comment.clone(),
            })
            .collect()
    }

    /// Approved courses recommended, by id and title.
    #[graphql(
        complexity = "super::cost::list(domain::limits::RECOMMENDED_COURSES, child_complexity)"
    )]
    async fn recommended_courses(&self, ctx: &Context<'_>) -> Result<Vec<RecommendedCourse>> {
        let mut out = Vec::new();
        for id in self
            .0
            .recommended_course_ids
            .iter()
            .take(domain::limits::RECOMMENDED_COURSES)
        {
            if let Some(c) = one(&ctx.data_unchecked::<Loaders>().courses, *id).await? {
                out.push(RecommendedCourse {
                    id: ID(c.id.to_string()),
                    title: c.title,
                });
            }
        }
        Ok(out)
    }
}

/// An approved course an evaluator recommends.
#[derive(SimpleObject)]
pub struct RecommendedCourse {
    pub id: ID,
    pub title: String,
}

/// A review round as the candidate sees it: the outcome and unsigned feedback once decided.
pub struct CandidateRound(pub review_round::Model);

#[Object]
impl CandidateRound {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn number(&self) -> i32 {
        self.0.number
    }

    async fn status(&self) -> RoundStatus {
        self.0.status.into()
    }

    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// The evaluators' assessments, unsigned, once the round is decided; empty before.
    #[graphql(
        complexity = "super::cost::list(domain::limits::ASSESSMENTS_PER_ROUND, child_complexity)"
    )]
    async fn feedback(&self, ctx: &Context<'_>) -> Result<Vec<Assessment>> {
        let rows = reviews::round_feedback(&services(ctx).db, &self.0)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .take(domain::limits::ASSESSMENTS_PER_ROUND)
            .enumerate()
            .map(|(i, mut a)| {
                a.slot = i as i32 + 1;
                Assessment(a)
            })
            .collect())
    }

    async fn content(&self) -> Result<FrozenContent> {
        RoundContent::from_json(&self.0.content)
            .gql()
            .map(FrozenContent)
    }
}

/// A candidate's portfolio for one set.
pub struct Portfolio(pub PortfolioDetail);

#[Object]
impl Portfolio {
    async fn id(&self) -> ID {
        ID(self.0.portfolio.id.to_string())
    }

    async fn competency_set(&self, ctx: &Context<'_>) -> Result<Option<CompetencySet>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(cat.set(self.0.portfolio.set_id).cloned().map(CompetencySet))
    }

    async fn status(&self) -> PortfolioStatus {
        self.0.portfolio.status.into()
    }

    /// The narratives as they are now (the next round's content).
    #[graphql(
        complexity = "super::cost::list(domain::limits::NARRATIVES_PER_PORTFOLIO, child_complexity)"
    )]
    async fn narratives(&self) -> Vec<Narrative> {
        self.0
            .narratives
            .iter()
            .take(domain::limits::NARRATIVES_PER_PORTFOLIO)
            .map(|(n, numbers)| Narrative {
                id: Some(ID(n.id.to_string())),
                title: n.title.clone(),
                body: n.body.clone(),
                competencies: numbers.clone(),
            })
            .collect()
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::DOCUMENTS_PER_PORTFOLIO, child_complexity)"
    )]
    async fn documents(&self) -> Vec<EvidenceDocument> {
        self.0
            .documents
            .iter()
            .take(domain::limits::DOCUMENTS_PER_PORTFOLIO)
            .map(|(pd, d)| EvidenceDocument {
                document_id: d.id,
                caption: pd.caption.clone(),
            })
            .collect()
    }

    /// Every round, oldest first.
    #[graphql(
        complexity = "super::cost::list(domain::limits::ROUNDS_PER_PORTFOLIO, child_complexity)"
    )]
    async fn rounds(&self) -> Vec<CandidateRound> {
        self.0
            .rounds
            .iter()
            .take(domain::limits::ROUNDS_PER_PORTFOLIO)
            .cloned()
            .map(CandidateRound)
            .collect()
    }
}

/// A review assigned to the signed-in evaluator: the content and the candidate's
/// pseudonym, never their identity or the other evaluators'.
pub struct ReviewAssignment(pub BlindReview);

#[Object]
impl ReviewAssignment {
    async fn id(&self) -> ID {
        ID(self.0.review.id.to_string())
    }

    async fn status(&self) -> ReviewStatus {
        self.0.review.status.into()
    }

    async fn due_on(&self) -> NaiveDate {
        self.0.review.due_on
    }

    /// Whether you are the deciding third evaluator.
    async fn tie_breaker(&self) -> bool {
        self.0.review.assigned_by == entity::review::AssignedBy::TieBreak
    }

    /// The candidate's pseudonym for this programme, e.g. "Candidate 7KX2QZ".
    async fn candidate_pseudonym(&self) -> &str {
        &self.0.pseudonym
    }

    async fn competency_set(&self, ctx: &Context<'_>) -> Result<Option<CompetencySet>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(cat.set(self.0.set_id).cloned().map(CompetencySet))
    }

    async fn round_number(&self) -> i32 {
        self.0.round_number
    }

    async fn content(&self, ctx: &Context<'_>) -> Result<FrozenContent> {
        let detail = reviews::detail_of(services(ctx), &self.0).await.gql()?;
        Ok(FrozenContent(detail.content.clone()))
    }

    async fn my_assessment(&self, ctx: &Context<'_>) -> Result<Option<Assessment>> {
        let detail = reviews::detail_of(services(ctx), &self.0).await.gql()?;
        Ok(detail.mine.clone().map(Assessment))
    }

    /// The other assessments of the round, unsigned; empty until every assessment is in.
    #[graphql(
        complexity = "super::cost::list(domain::limits::ASSESSMENTS_PER_ROUND, child_complexity)"
    )]
    async fn other_assessments(&self, ctx: &Context<'_>) -> Result<Vec<Assessment>> {
        let detail = reviews::detail_of(services(ctx), &self.0).await.gql()?;
        Ok(detail
            .others
            .iter()
            .take(domain::limits::ASSESSMENTS_PER_ROUND)
            .cloned()
            .map(Assessment)
            .collect())
    }
}

impl ReviewAssignment {
    /// Whether `ctx`'s selection of a review asks for more than its line in a queue.
    fn wants_detail(ctx: &Context<'_>) -> bool {
        let look = ctx.look_ahead();
        ["content", "myAssessment", "otherAssessments"]
            .iter()
            .any(|f| look.field(f).exists())
    }
}

/// A queue holds many reviews: its plain lines are answered directly (see [`flat`]).
impl flat::Direct for ReviewAssignment {
    async fn direct(&self, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let cat = CompetencySet::catalogue_for_flat(ctx).await?;
        let r = &self.0;
        flat::object(ctx.item, |field| {
            Some(match field.node.name.node.as_str() {
                "__typename" => Value::String("ReviewAssignment".to_owned()),
                "id" => Value::String(r.review.id.to_string()),
                "status" => ReviewStatus::from(r.review.status).to_value(),
                "dueOn" => r.review.due_on.to_value(),
                "tieBreaker" => {
                    Value::Boolean(r.review.assigned_by == review::AssignedBy::TieBreak)
                }
                "candidatePseudonym" => Value::String(r.pseudonym.clone()),
                "roundNumber" => Value::Number(r.round_number.into()),
                "competencySet" => {
                    CompetencySet::flat_of(&cat, r.set_id, &field.node.selection_set)?
                }
                _ => return None,
            })
        })
    }
}

/// A review as staff and the CRC see it: who, when, and what they found.
pub struct StaffReview(pub review::Model, pub Option<AssessmentView>);

#[Object]
impl StaffReview {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn evaluator(&self, ctx: &Context<'_>) -> Result<Evaluator> {
        evaluators::get(services(ctx), actor(ctx), self.0.evaluator_id)
            .await
            .gql()
            .map(Evaluator)
    }

    async fn slot(&self) -> i32 {
        self.0.slot
    }

    async fn status(&self) -> ReviewStatus {
        self.0.status.into()
    }

    async fn assigned_by(&self) -> AssignedBy {
        self.0.assigned_by.into()
    }

    async fn assigned_at(&self) -> DateTime<Utc> {
        self.0.assigned_at
    }

    async fn due_on(&self) -> NaiveDate {
        self.0.due_on
    }

    async fn end_reason(&self) -> Option<&str> {
        self.0.end_reason.as_deref()
    }

    async fn assessment(&self) -> Option<Assessment> {
        self.1.clone().map(Assessment)
    }
}

/// A review round as staff and the CRC see it.
pub struct StaffRound(pub review_round::Model);

#[Object]
impl StaffRound {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn number(&self) -> i32 {
        self.0.number
    }

    async fn status(&self) -> RoundStatus {
        self.0.status.into()
    }

    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }

    /// Why the round cannot be staffed, while it waits: `NO_TRAINED_EXPERT`,
    /// `ALL_CONFLICTED`, `TOO_FEW_DISTINCT_EMPLOYERS`, `ALL_AT_CAPACITY`.
    async fn unstaffed_reason(&self) -> Option<&str> {
        self.0.unstaffed_reason.as_deref()
    }

    async fn unstaffed_since(&self) -> Option<DateTime<Utc>> {
        self.0.unstaffed_since
    }

    async fn candidacy(&self, ctx: &Context<'_>) -> Result<Option<Candidacy>> {
        let p = portfolios::get(services(ctx), actor(ctx), self.0.portfolio_id)
            .await
            .gql()?;
        let c = domain::services::candidacies::visible(
            &services(ctx).db,
            actor(ctx),
            p.portfolio.candidacy_id,
        )
        .await;
        Ok(c.ok().map(Candidacy))
    }

    #[graphql(
        complexity = "super::cost::list(domain::limits::REVIEWS_PER_ROUND, child_complexity)"
    )]
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<StaffReview>> {
        let (_, rows) = reviews::round_for_staff(services(ctx), actor(ctx), self.0.id)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .take(domain::limits::REVIEWS_PER_ROUND)
            .map(|(r, a)| StaffReview(r, a))
            .collect())
    }

    async fn content(&self) -> Result<FrozenContent> {
        RoundContent::from_json(&self.0.content)
            .gql()
            .map(FrozenContent)
    }
}

/// One run of the assignment solver, reproducible from its seed.
pub struct AssignmentRun(pub assignment_run::Model);

#[Object]
impl AssignmentRun {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn seed(&self) -> String {
        (self.0.seed as u64).to_string()
    }

    async fn randomised(&self) -> bool {
        self.0.mode == entity::assignment_run::AssignmentMode::Randomised
    }

    async fn rounds_considered(&self) -> i32 {
        self.0.rounds_considered
    }

    async fn rounds_assigned(&self) -> i32 {
        self.0.rounds_assigned
    }

    async fn total_cost(&self) -> i64 {
        self.0.total_cost
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A candidate's appeal of a round's outcome.
pub struct Appeal(pub appeal::Model);

#[Object]
impl Appeal {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn round_id(&self) -> ID {
        ID(self.0.round_id.to_string())
    }

    #[graphql(complexity = "super::cost::text(domain::limits::LONG_TEXT_CHARS)")]
    async fn reason(&self) -> &str {
        &self.0.reason
    }

    async fn status(&self) -> AppealStatus {
        self.0.status.into()
    }

    async fn filed_at(&self) -> DateTime<Utc> {
        self.0.filed_at
    }

    #[graphql(complexity = "super::cost::text(domain::limits::LONG_TEXT_CHARS)")]
    async fn decision_reason(&self) -> Option<&str> {
        self.0.decision_reason.as_deref()
    }

    async fn new_round_id(&self) -> Option<ID> {
        self.0.new_round_id.map(|id| ID(id.to_string()))
    }
}

#[derive(Default)]
pub struct PortfolioQuery;

#[Object]
impl PortfolioQuery {
    /// Your portfolios.
    #[graphql(complexity = "super::cost::list(domain::limits::COMPETENCY_SETS, child_complexity)")]
    async fn my_portfolios(&self, ctx: &Context<'_>) -> Result<Vec<Portfolio>> {
        Ok(portfolios::mine(services(ctx), actor(ctx))
            .await
            .gql()?
            .into_iter()
            .map(Portfolio)
            .collect())
    }

    /// One portfolio. The candidate, staff and the CRC.
    async fn portfolio(&self, ctx: &Context<'_>, id: ID) -> Result<Portfolio> {
        let id = parse_id(&id, "portfolio")?;
        portfolios::get(services(ctx), actor(ctx), id)
            .await
            .gql()
            .map(Portfolio)
    }

    /// Your reviews as an evaluator: open ones, or with `includeFinished` the submitted too;
    /// the first `first` (at most 200, the default). Ask a few when asking for their
    /// content: each is priced at its longest.
    #[graphql(
        complexity = "super::cost::list(super::cost::page_items(Some(first), domain::limits::QUEUE_ROWS, domain::limits::QUEUE_ROWS), child_complexity)"
    )]
    async fn my_reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_finished: bool,
        #[graphql(default = 200)] first: i32,
    ) -> Result<Vec<flat::Flat<ReviewAssignment>>> {
        let first = super::cost::page_items(Some(first), QUEUE_ROWS, QUEUE_ROWS);
        let with_detail = ReviewAssignment::wants_detail(ctx);
        Ok(
            reviews::my_reviews(services(ctx), actor(ctx), include_finished, with_detail)
                .await
                .gql()?
                .into_iter()
                .take(first)
                .map(|r| flat::Flat(ReviewAssignment(r)))
                .collect(),
        )
    }

    /// One of your reviews as an evaluator.
    async fn my_review(&self, ctx: &Context<'_>, id: ID) -> Result<ReviewAssignment> {
        let id = parse_id(&id, "review")?;
        reviews::my_review(services(ctx), actor(ctx), id)
            .await
            .gql()
            .map(ReviewAssignment)
    }

    /// One round with everything about it. Staff and the CRC.
    async fn review_round(&self, ctx: &Context<'_>, id: ID) -> Result<StaffRound> {
        let id = parse_id(&id, "round")?;
        let (round, _) = reviews::round_for_staff(services(ctx), actor(ctx), id)
            .await
            .gql()?;
        Ok(StaffRound(round))
    }

    /// Rounds waiting for evaluators (or for a third), oldest first, with the reason each
    /// cannot be staffed. Staff and the CRC.
    #[graphql(complexity = "super::cost::list(domain::limits::QUEUE_ROWS, child_complexity)")]
    async fn rounds_waiting(&self, ctx: &Context<'_>) -> Result<Vec<StaffRound>> {
        Ok(assignment::waiting_rounds(services(ctx), actor(ctx))
            .await
            .gql()?
            .into_iter()
            .take(domain::limits::QUEUE_ROWS)
            .map(StaffRound)
            .collect())
    }

    /// Recent runs of the assignment solver. Staff and the CRC.
    #[graphql(
        complexity = "super::cost::list(super::cost::page_items(Some(first), 20, 100), child_complexity)"
    )]
    async fn assignment_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<AssignmentRun>> {
        let n = first.clamp(0, 100) as u64;
        Ok(assignment::runs(services(ctx), actor(ctx), n)
            .await
            .gql()?
            .into_iter()
            .map(AssignmentRun)
            .collect())
    }

    /// Appeals, oldest first. Staff and the CRC.
    #[graphql(complexity = "super::cost::list(domain::limits::QUEUE_ROWS, child_complexity)")]
    async fn appeals(
        &self,
        ctx: &Context<'_>,
        status: Option<AppealStatus>,
    ) -> Result<Vec<Appeal>> {
        Ok(
            reviews::appeals(services(ctx), actor(ctx), status.map(Into::into))
                .await
                .gql()?
                .into_iter()
                .take(domain::limits::QUEUE_ROWS)
                .map(Appeal)
                .collect(),
        )
    }
}

#[derive(InputObject)]
pub struct StartPortfolioInput {
    pub set_code: String,
}

#[derive(InputObject)]
pub struct SaveNarrativeInput {
    pub portfolio_id: ID,
    /// Leave out to add a narrative.
    pub narrative_id: Option<ID>,
    pub title: String,
    pub body: String,
    /// The numbers of the set's competencies it addresses.
    pub competencies: Vec<i32>,
}

#[derive(InputObject)]
pub struct DeleteNarrativeInput {
    pub portfolio_id: ID,
    pub narrative_id: ID,
}

#[derive(InputObject)]
pub struct PortfolioDocumentInput {
    pub portfolio_id: ID,
    /// A document uploaded with purpose `PORTFOLIO_EVIDENCE`.
    pub document_id: ID,
    pub caption: Option<String>,
}

#[derive(InputObject)]
pub struct PortfolioIdInput {
    pub portfolio_id: ID,
}

#[derive(SimpleObject)]
pub struct PortfolioPayload {
    pub portfolio: Option<Portfolio>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CompetencyAssessmentInput {
    pub number: i32,
    pub met: bool,
    #[graphql(default)]
    pub comment: String,
}

#[derive(InputObject)]
pub struct SubmitAssessmentInput {
    pub review_id: ID,
    /// Every competency of the set, once each.
    pub competencies: Vec<CompetencyAssessmentInput>,
    pub overall_met: bool,
    /// For the candidate, who sees it without your name.
    pub feedback: String,
    /// Approved courses for the set to recommend.
    #[graphql(default)]
    pub recommended_course_ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct ReviewPayload {
    pub review: Option<ReviewAssignment>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ReplaceEvaluatorInput {
    pub review_id: ID,
    /// A named evaluator (who must meet every rule); the best eligible one when left out.
    pub evaluator_id: Option<ID>,
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct ReplaceEvaluatorPayload {
    /// The replacement's review; null when nobody eligible was free (the round then
    /// waits, with its reason).
    pub review: Option<StaffReview>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct FileAppealInput {
    pub round_id: ID,
    pub reason: String,
}

#[derive(InputObject)]
pub struct DecideAppealInput {
    pub appeal_id: ID,
    pub decision: AppealDecisionInput,
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct AppealPayload {
    pub appeal: Option<Appeal>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

fn portfolio_payload(r: domain::DomainResult<PortfolioDetail>) -> Result<PortfolioPayload> {
    let (p, user_errors) = payload(r)?;
    Ok(PortfolioPayload {
        portfolio: p.map(Portfolio),
        user_errors,
    })
}

#[derive(Default)]
pub struct PortfolioMutation;

#[Object]
impl PortfolioMutation {
    /// Starts your portfolio for a set (or returns the one you have).
    async fn start_portfolio(
        &self,
        ctx: &Context<'_>,
        input: StartPortfolioInput,
    ) -> Result<PortfolioPayload> {
        portfolio_payload(portfolios::start(services(ctx), actor(ctx), &input.set_code).await)
    }

    /// Adds or edits a reflective narrative.
    async fn save_narrative(
        &self,
        ctx: &Context<'_>,
        input: SaveNarrativeInput,
    ) -> Result<PortfolioPayload> {
        let pid = parse_id(&input.portfolio_id, "portfolio")?;
        let nid = input
            .narrative_id
            .as_ref()
            .map(|id| parse_id(id, "narrative"))
            .transpose()?;
        portfolio_payload(
            portfolios::save_narrative(
                services(ctx),
                actor(ctx),
                pid,
                portfolios::NarrativeInput {
                    narrative_id: nid,
                    title: input.title,
                    body: input.body,
                    competencies: input.competencies,
                },
            )
            .await,
        )
    }

    async fn delete_narrative(
        &self,
        ctx: &Context<'_>,
        input: DeleteNarrativeInput,
    ) -> Result<PortfolioPayload> {
        let pid = parse_id(&input.portfolio_id, "portfolio")?;
        let nid = parse_id(&input.narrative_id, "narrative")?;
        portfolio_payload(portfolios::delete_narrative(services(ctx), actor(ctx), pid, nid).await)
    }

    async fn attach_portfolio_document(
        &self,
        ctx: &Context<'_>,
        input: PortfolioDocumentInput,
    ) -> Result<PortfolioPayload> {
        let pid = parse_id(&input.portfolio_id, "portfolio")?;
        let did = parse_id(&input.document_id, "document")?;
        portfolio_payload(
            portfolios::attach_document(services(ctx), actor(ctx), pid, did, input.caption).await,
        )
    }

    async fn detach_portfolio_document(
        &self,
        ctx: &Context<'_>,
        input: PortfolioDocumentInput,
    ) -> Result<PortfolioPayload> {
        let pid = parse_id(&input.portfolio_id, "portfolio")?;
        let did = parse_id(&input.document_id, "document")?;
        portfolio_payload(portfolios::detach_document(services(ctx), actor(ctx), pid, did).await)
    }

    /// Submits the portfolio for review: a new round with the content frozen as it is now.
    /// Every competency must be addressed by a narrative.
    async fn submit_portfolio(
        &self,
        ctx: &Context<'_>,
        input: PortfolioIdInput,
    ) -> Result<PortfolioPayload> {
        let pid = parse_id(&input.portfolio_id, "portfolio")?;
        let (done, user_errors) =
            payload(portfolios::submit(services(ctx), actor(ctx), pid).await)?;
        Ok(PortfolioPayload {
            portfolio: done.map(|(d, _)| Portfolio(d)),
            user_errors,
        })
    }

    /// Submits your assessment of a review assigned to you.
    async fn submit_assessment(
        &self,
        ctx: &Context<'_>,
        input: SubmitAssessmentInput,
    ) -> Result<ReviewPayload> {
        let rid = parse_id(&input.review_id, "review")?;
        let mut courses = Vec::new();
        for id in &input.recommended_course_ids {
            courses.push(parse_id(id, "course")?);
        }
        let result = reviews::submit_assessment(
            services(ctx),
            actor(ctx),
            rid,
            reviews::AssessmentInput {
                competencies: input
                    .competencies
                    .into_iter()
                    .map(|c| reviews::CompetencyAssessment {
                        number: c.number,
                        met: c.met,
                        comment: c.comment,
                    })
                    .collect(),
                overall_met: input.overall_met,
                feedback: input.feedback,
                recommended_course_ids: courses,
            },
        )
        .await;
        let (r, user_errors) = payload(result)?;
        Ok(ReviewPayload {
            review: r.map(ReviewAssignment),
            user_errors,
        })
    }

    /// The CRC replaces an evaluator on an open review, with a reason.
    async fn replace_evaluator(
        &self,
        ctx: &Context<'_>,
        input: ReplaceEvaluatorInput,
    ) -> Result<ReplaceEvaluatorPayload> {
        let rid = parse_id(&input.review_id, "review")?;
        let eid = input
            .evaluator_id
            .as_ref()
            .map(|id| parse_id(id, "evaluator"))
            .transpose()?;
        let (r, user_errors) = payload(
            reviews::replace_evaluator(services(ctx), actor(ctx), rid, eid, &input.reason).await,
        )?;
        Ok(ReplaceEvaluatorPayload {
            review: r.flatten().map(|r| StaffReview(r, None)),
            user_errors,
        })
    }

    /// Appeals a round found not met, within the appeal window.
    async fn file_appeal(
        &self,
        ctx: &Context<'_>,
        input: FileAppealInput,
    ) -> Result<AppealPayload> {
        let rid = parse_id(&input.round_id, "round")?;
        let (a, user_errors) =
            payload(reviews::file_appeal(services(ctx), actor(ctx), rid, &input.reason).await)?;
        Ok(AppealPayload {
            appeal: a.map(Appeal),
            user_errors,
        })
    }

    /// The CRC upholds, overturns, or orders a new round, with a reason.
    async fn decide_appeal(
        &self,
        ctx: &Context<'_>,
        input: DecideAppealInput,
    ) -> Result<AppealPayload> {
        let aid = parse_id(&input.appeal_id, "appeal")?;
        let decision = match input.decision {
            AppealDecisionInput::Uphold => reviews::AppealDecision::Uphold,
            AppealDecisionInput::Overturn => reviews::AppealDecision::Overturn,
            AppealDecisionInput::NewRound => reviews::AppealDecision::NewRound,
        };
        let (a, user_errors) = payload(
            reviews::decide_appeal(services(ctx), actor(ctx), aid, decision, &input.reason).await,
        )?;
        Ok(AppealPayload {
            appeal: a.map(Appeal),
            user_errors,
        })
    }
}
