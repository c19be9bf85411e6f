//! Reviews: what an evaluator sees (blind), assessments, a round's outcome, the third
//! evaluator on disagreement, due dates and reassignment, the CRC's manual replacement,
//! and appeals.
//!
//! Blindness is enforced here, not in the API: an evaluator's view of a round carries the
//! candidate's pseudonym and the frozen content only, never the candidate's name or contact
//! details and never another evaluator's identity; other assessments appear only once
//! every assessment of the round is in, labelled by slot.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::periods::{days_between, due_threshold};
use crate::rules::text::required;
use crate::services::achievements::{self, Proof};
use crate::services::portfolios::{self, RoundContent};
use crate::services::{assignment, catalogue, courses, evaluators};
use chrono::Duration;
use entity::account_role::Role;
use entity::appeal::{self, AppealStatus};
use entity::portfolio::{self, PortfolioStatus};
use entity::review::{self, AssignedBy, ReviewStatus};
use entity::review_round::{self, RoundOutcome, RoundStatus};
use entity::{
    account, application, candidacy, evaluator, review_assessment, review_recommended_course,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::collections::HashMap;

/// One competency's assessment.
#[derive(Debug, Clone)]
pub struct CompetencyAssessment {
    pub number: i32,
    pub met: bool,
    pub comment: String,
}

/// An evaluator's assessment of a round.
#[derive(Debug, Clone)]
pub struct AssessmentInput {
    pub competencies: Vec<CompetencyAssessment>,
    pub overall_met: bool,
    /// For the candidate; shown without the evaluator's name.
    pub feedback: String,
    /// Approved courses for the set to recommend.
    pub recommended_course_ids: Vec<i64>,
}

/// A submitted assessment, as others may see it (no evaluator identity).
#[derive(Debug, Clone)]
pub struct AssessmentView {
    pub slot: i32,
    pub overall_met: bool,
    pub feedback: String,
    /// (competency number, met, comment)
    pub competencies: Vec<(i32, bool, String)>,
    pub recommended_course_ids: Vec<i64>,
}

/// What an evaluator sees of one assigned review.
#[derive(Debug, Clone)]
pub struct BlindReview {
    pub review: review::Model,
    pub round_number: i32,
    pub set_id: i64,
    pub pseudonym: String,
    /// The round's content and the assessments; `None` when the caller asked for the
    /// queue lines only (see [`my_reviews`]), and then [`detail_of`] reads them.
    pub detail: Option<BlindDetail>,
}

/// The heavier part of a review: what is assessed and what has been found.
#[derive(Debug, Clone)]
pub struct BlindDetail {
    pub content: RoundContent,
    pub mine: Option<AssessmentView>,
    /// The other assessments, only once every assessment of the round is in.
    pub others: Vec<AssessmentView>,
}

/// A review with the facts of its line in a queue, read in one statement.
#[derive(Debug, FromQueryResult)]
struct QueueLine {
    #[sea_orm(nested)]
    review: review::Model,
    round_number: i32,
    set_id: i64,
    pseudonym: String,
}

async fn my_evaluator<C: ConnectionTrait>(db: &C, actor: &Actor) -> DomainResult<evaluator::Model> {
    evaluators::mine(db, actor)
        .await?
        .ok_or_else(|| DomainError::forbidden("Only evaluators review portfolios."))
}

async fn assessment_of<C: ConnectionTrait>(
    db: &C,
    r: &review::Model,
) -> DomainResult<Option<AssessmentView>> {
    Ok(assessments_of(db, std::slice::from_ref(r))
        .await?
        .remove(&r.id))
}

/// The submitted assessments among `reviews`, by review id, in three statements whatever
/// their number.
async fn assessments_of<C: ConnectionTrait>(
    db: &C,
    reviews: &[review::Model],
) -> DomainResult<HashMap<i64, AssessmentView>> {
    let submitted: Vec<&review::Model> = reviews
        .iter()
        .filter(|r| r.status == ReviewStatus::Submitted)
        .collect();
    if submitted.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = submitted.iter().map(|r| r.id).collect();
    let rows = review_assessment::Entity::find()
        .filter(review_assessment::Column::ReviewId.is_in(ids.clone()))
        .all(db)
        .await?;
    let numbers: HashMap<i64, i32> = entity::competency::Entity::find()
        .filter(entity::competency::Column::Id.is_in(rows.iter().map(|a| a.competency_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.number))
        .collect();
    let mut competencies: HashMap<i64, Vec<(i32, bool, String)>> = HashMap::new();
    for a in rows {
        if let Some(n) = numbers.get(&a.competency_id) {
            competencies
                .entry(a.review_id)
                .or_default()
                .push((*n, a.met, a.comment));
        }
    }
    let mut recommended: HashMap<i64, Vec<i64>> = HashMap::new();
    let pairs: Vec<(i64, i64)> = review_recommended_course::Entity::find()
        .select_only()
        .column(review_recommended_course::Column::ReviewId)
        .column(review_recommended_course::Column::CourseId)
        .filter(review_recommended_course::Column::ReviewId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    for (review_id, course_id) in pairs {
        recommended.entry(review_id).or_default().push(course_id);
    }
    Ok(submitted
        .into_iter()
        .map(|r| {
            let mut competencies = competencies.remove(&r.id).unwrap_or_default();
            competencies.sort_by_key(|c| c.0);
            let view = AssessmentView {
                slot: r.slot,
                overall_met: r.overall_met.unwrap_or(false),
                feedback: r.feedback.clone().unwrap_or_default(),
                competencies,
                recommended_course_ids: recommended.remove(&r.id).unwrap_or_default(),
            };
            (r.id, view)
        })
        .collect())
}

/// The reviews of a round that count: assigned or submitted (not reassigned or withdrawn).
async fn active_reviews<C: ConnectionTrait>(
    db: &C,
    round_id: i64,
) -> DomainResult<Vec<review::Model>> {
    Ok(review::Entity::find()
        .filter(review::Column::RoundId.eq(round_id))
        .filter(review::Column::Status.is_in([ReviewStatus::Assigned, ReviewStatus::Submitted]))
        .order_by_asc(review::Column::Slot)
        .all(db)
        .await?)
}

async fn blind<C: ConnectionTrait>(db: &C, r: review::Model) -> DomainResult<BlindReview> {
    let line = lines(db, review::Entity::find_by_id(r.id))
        .await?
        .pop()
        .ok_or(DomainError::NotFound("review"))?;
    let detail = details_of(db, std::slice::from_ref(&line.review))
        .await?
        .remove(&line.review.id)
        .ok_or(DomainError::NotFound("review"))?;
    Ok(blind_review(line, Some(detail)))
}

fn blind_review(line: QueueLine, detail: Option<BlindDetail>) -> BlindReview {
    BlindReview {
        review: line.review,
        round_number: line.round_number,
        set_id: line.set_id,
        pseudonym: line.pseudonym,
        detail,
    }
}

/// The reviews `q` selects, each with its round's number, set and candidate's pseudonym,
/// in one statement.
async fn lines<C: ConnectionTrait>(
    db: &C,
    q: sea_orm::Select<review::Entity>,
) -> DomainResult<Vec<QueueLine>> {
    use sea_orm::{JoinType, RelationTrait};
    Ok(
        q.join(JoinType::InnerJoin, review::Relation::ReviewRound.def())
            .join(JoinType::InnerJoin, review_round::Relation::Portfolio.def())
            .join(JoinType::InnerJoin, portfolio::Relation::Candidacy.def())
            .column_as(review_round::Column::Number, "round_number")
            .column_as(portfolio::Column::SetId, "set_id")
            .column_as(candidacy::Column::Pseudonym, "pseudonym")
            .into_model::<QueueLine>()
            .all(db)
            .await?,
    )
}

/// The content and assessments of each of `reviews`, by review id, in a fixed number of
/// statements whatever their number.
async fn details_of<C: ConnectionTrait>(
    db: &C,
    reviews: &[review::Model],
) -> DomainResult<HashMap<i64, BlindDetail>> {
    if reviews.is_empty() {
        return Ok(HashMap::new());
    }
    let rounds: HashMap<i64, review_round::Model> = review_round::Entity::find()
        .filter(review_round::Column::Id.is_in(reviews.iter().map(|r| r.round_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|x| (x.id, x))
        .collect();
    let mut active: HashMap<i64, Vec<review::Model>> = HashMap::new();
    for x in review::Entity::find()
        .filter(review::Column::RoundId.is_in(rounds.keys().copied()))
        .filter(review::Column::Status.is_in([ReviewStatus::Assigned, ReviewStatus::Submitted]))
        .order_by_asc(review::Column::Slot)
        .all(db)
        .await?
    {
        active.entry(x.round_id).or_default().push(x);
    }
    // Another's assessment is shown only once every assessment of the round is in.
    let all_in = |round_id: i64| {
        active
            .get(&round_id)
            .is_some_and(|all| all.iter().all(|x| x.status == ReviewStatus::Submitted))
    };
    let mut wanted: Vec<review::Model> = reviews.to_vec();
    for r in reviews {
        if all_in(r.round_id) {
            wanted.extend(active[&r.round_id].iter().filter(|x| x.id != r.id).cloned());
        }
    }
    let assessments = assessments_of(db, &wanted).await?;
    let mut out = HashMap::with_capacity(reviews.len());
    for r in reviews {
        let Some(round) = rounds.get(&r.round_id) else {
            continue;
        };
        let others = if all_in(r.round_id) {
            active[&r.round_id]
                .iter()
                .filter(|x| x.id != r.id)
                .filter_map(|x| assessments.get(&x.id).cloned())
                .collect()
        } else {
            Vec::new()
        };
        let detail = BlindDetail {
            content: RoundContent::from_json(&round.content)?,
            mine: assessments.get(&r.id).cloned(),
            others,
        };
        out.insert(r.id, detail);
    }
    Ok(out)
}

/// The content and assessments of a review read without them (see [`BlindReview::detail`]).
pub async fn detail_of<'a>(
    ctx: &Context,
    review: &'a BlindReview,
) -> DomainResult<Cow<'a, BlindDetail>> {
    if let Some(d) = &review.detail {
        return Ok(Cow::Borrowed(d));
    }
    details_of(&ctx.db, std::slice::from_ref(&review.review))
        .await?
        .remove(&review.review.id)
        .map(Cow::Owned)
        .ok_or(DomainError::NotFound("review"))
}

/// The reviews of the evaluator who is account `account_id`, newest first: those
/// assigned, or with `include_finished` all but the withdrawn.
fn queue_of(account_id: i64, include_finished: bool) -> sea_orm::Select<review::Entity> {
    let mine = sea_orm::sea_query::Query::select()
        .column(evaluator::Column::Id)
        .from(evaluator::Entity)
        .and_where(evaluator::Column::AccountId.eq(account_id))
        .to_owned();
    let q = review::Entity::find()
        .filter(review::Column::EvaluatorId.in_subquery(mine))
        .order_by_desc(review::Column::Id);
    // Finished includes a review taken away from them: it stays theirs to look at, as
    // `my_review` allows, though no longer to submit.
    //
    // The status is written into the statement, not bound. Bound, PostgreSQL estimates a
    // generic plan for any status (about 60 rows where an evaluator has a handful
    // assigned), finds it dearer than the custom one and so plans every execution
    // afresh: at 1,000 queues a second that planning was 40 % of the machine's CPU
    // (the review-queue benchmark). Written in, the generic plan is as good and is kept.
    let status = |s: ReviewStatus| Expr::Constant(s.to_value().into());
    let column = Expr::col((review::Entity, review::Column::Status));
    if include_finished {
        q.filter(column.ne(status(ReviewStatus::Withdrawn)))
    } else {
        q.filter(column.eq(status(ReviewStatus::Assigned)))
    }
}

/// The caller's reviews (as an evaluator), newest first, with their content and
/// assessments if `with_detail` (an evaluator's queue is one page, so either way costs a
/// fixed number of statements).
pub async fn my_reviews(
    ctx: &Context,
    actor: &Actor,
    include_finished: bool,
    with_detail: bool,
) -> DomainResult<Vec<BlindReview>> {
    let viewer = actor.viewer()?;
    let q = queue_of(viewer.account_id, include_finished);
    let found = lines(&ctx.db, q.limit(200)).await?;
    if found.is_empty() {
        // Nothing is also what a non-evaluator would see; tell them apart only now, so
        // that the common case costs one statement.
        my_evaluator(&ctx.db, actor).await?;
        return Ok(Vec::new());
    }
    let mut details = if with_detail {
        let reviews: Vec<review::Model> = found.iter().map(|l| l.review.clone()).collect();
        Some(details_of(&ctx.db, &reviews).await?)
    } else {
        None
    };
    Ok(found
        .into_iter()
        .map(|line| {
            let detail = details.as_mut().and_then(|d| d.remove(&line.review.id));
            blind_review(line, detail)
        })
        .collect())
}

/// One review, as its own evaluator sees it. Nobody else reads a review through this:
/// staff and the CRC use [`round_for_staff`].
pub async fn my_review(ctx: &Context, actor: &Actor, review_id: i64) -> DomainResult<BlindReview> {
    let ev = my_evaluator(&ctx.db, actor).await?;
    let r = review::Entity::find_by_id(review_id)
        .one(&ctx.db)
        .await?
        .filter(|r| r.evaluator_id == ev.id && r.status != ReviewStatus::Withdrawn)
        .ok_or(DomainError::NotFound("review"))?;
    blind(&ctx.db, r).await
}

/// Submits the caller's assessment. Every competency of the set is assessed once; the
/// round concludes when the last assessment is in.
pub async fn submit_assessment(
    ctx: &Context,
    actor: &Actor,
    review_id: i64,
    input: AssessmentInput,
) -> DomainResult<BlindReview> {
    let cat = catalogue::get(ctx).await?;
    let feedback = required(
        "feedback",
        "Feedback for the candidate",
        &input.feedback,
        20_000,
    )?;
    let now = ctx.now();
    let today = ctx.today();
    let txn = ctx.begin_write().await?;
    let ev = my_evaluator(&txn, actor).await?;
    let r = review::Entity::find_by_id(review_id)
        .one(&txn)
        .await?
        .filter(|r| r.evaluator_id == ev.id)
        .ok_or(DomainError::NotFound("review"))?;
    if r.status != ReviewStatus::Assigned {
        return Err(DomainError::invalid(Violation::new(
            "NOT_OPEN",
            "This review is not open: it was submitted or given to someone else.",
        )));
    }
    let round = review_round::Entity::find_by_id(r.round_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("review"))?;
    let p = portfolio::Entity::find_by_id(round.portfolio_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("review"))?;
    let set = cat
        .set(p.set_id)
        .ok_or_else(|| DomainError::bug("round set not in catalogue"))?;
    let given: Vec<i32> = input.competencies.iter().map(|c| c.number).collect();
    let unique: BTreeSet<i32> = given.iter().copied().collect();
    let expected: BTreeSet<i32> = set.competencies.iter().map(|c| c.number).collect();
    if unique.len() != given.len() || unique != expected {
        let missing: Vec<i32> = expected.difference(&unique).copied().collect();
        let extra: Vec<i32> = unique.difference(&expected).copied().collect();
        let mut why = format!(
            "Assess each of the {} competencies of {} exactly once.",
            expected.len(),
            set.set.name
        );
        if !missing.is_empty() {
            why.push_str(&format!(
                " Missing: {}.",
                crate::rules::text::join_numbers(&missing)
            ));
        }
        if !extra.is_empty() {
            why.push_str(&format!(
                " Not in the set: {}.",
                crate::rules::text::join_numbers(&extra)
            ));
        }
        return Err(DomainError::invalid(
            Violation::new("INCOMPLETE_ASSESSMENT", why).on("competencies"),
        ));
    }
    if input.recommended_course_ids.len() > crate::limits::RECOMMENDED_COURSES {
        return Err(DomainError::invalid(
            Violation::new(
                "TOO_MANY_COURSES",
                format!(
                    "Recommend at most {} courses.",
                    crate::limits::RECOMMENDED_COURSES
                ),
            )
            .on("recommendedCourseIds"),
        ));
    }
    if let Some(i) = input
        .competencies
        .iter()
        .position(|c| c.comment.trim().chars().count() > crate::limits::COMPETENCY_COMMENT_CHARS)
    {
        return Err(DomainError::invalid(
            Violation::new(
                "TOO_LONG",
                format!(
                    "A comment must be at most {} characters.",
                    crate::limits::COMPETENCY_COMMENT_CHARS
                ),
            )
            .on(format!("competencies.{i}.comment")),
        ));
    }
    for course_id in &input.recommended_course_ids {
        let c = entity::course::Entity::find_by_id(*course_id)
            .one(&txn)
            .await?;
        if c.is_none() || !courses::approved_on(&txn, *course_id, p.set_id, today).await? {
            return Err(DomainError::invalid(
                Violation::new(
                    "COURSE_NOT_APPROVED",
                    "Recommend only courses approved for this set today.",
                )
                .on("recommendedCourseIds"),
            ));
        }
    }
    for c in &input.competencies {
        let Some(comp) = set.competencies.iter().find(|x| x.number == c.number) else {
            continue;
        };
        review_assessment::ActiveModel {
            review_id: Set(r.id),
            competency_id: Set(comp.id),
            met: Set(c.met),
            comment: Set(c.comment.trim().to_owned()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for course_id in input.recommended_course_ids.iter().collect::<BTreeSet<_>>() {
        review_recommended_course::ActiveModel {
            review_id: Set(r.id),
            course_id: Set(*course_id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let mut am: review::ActiveModel = r.clone().into();
    am.status = Set(ReviewStatus::Submitted);
    am.submitted_at = Set(Some(now));
    am.overall_met = Set(Some(input.overall_met));
    am.feedback = Set(Some(feedback));
    let submitted = am.update(&txn).await?;
    AuditEntry::new("review.submit", "review", r.id)
        .after(json!({ "roundId": round.id, "overallMet": input.overall_met }))
        .write(&txn, actor, now)
        .await?;
    conclude_if_complete(&txn, ctx, &round).await?;
    let view = blind(&txn, submitted).await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(view)
}

/// Decides a round once every assessment is in: both met, met; both not met, revision;
/// a split brings in a third evaluator, whose assessment decides.
async fn conclude_if_complete<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    round: &review_round::Model,
) -> DomainResult<()> {
    let reviews = active_reviews(db, round.id).await?;
    if reviews.iter().any(|r| r.status != ReviewStatus::Submitted) {
        return Ok(());
    }
    let verdicts: Vec<bool> = reviews
        .iter()
        .map(|r| r.overall_met.unwrap_or(false))
        .collect();
    let per_round = ctx.config.reviews.evaluators_per_round as usize;
    let outcome = if verdicts.len() < per_round {
        return Ok(());
    } else if verdicts.len() == per_round {
        if verdicts.iter().all(|v| *v) {
            Some(true)
        } else if verdicts.iter().all(|v| !*v) {
            Some(false)
        } else {
            None
        }
    } else {
        // The tie-breaker's assessment decides.
        reviews
            .iter()
            .find(|r| r.slot == reviews.iter().map(|x| x.slot).max().unwrap_or(0))
            .and_then(|r| r.overall_met)
    };
    let now = ctx.now();
    match outcome {
        None => {
            review_round::Entity::update_many()
                .col_expr(
                    review_round::Column::Status,
                    sea_orm::sea_query::Expr::value(RoundStatus::AwaitingThird),
                )
                .col_expr(
                    review_round::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(review_round::Column::Id.eq(round.id))
                .exec(db)
                .await?;
            let fresh = review_round::Entity::find_by_id(round.id)
                .one(db)
                .await?
                .ok_or(DomainError::NotFound("round"))?;
            assignment::assign_additional(db, ctx, &fresh, AssignedBy::TieBreak).await?;
            Ok(())
        }
        Some(met) => decide_round(db, ctx, round, met, &Actor::System).await,
    }
}

/// Records a round's outcome: met achieves the set (and may certify); not met asks for a
/// revision and sends the candidate the evaluators' feedback, unsigned.
async fn decide_round<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    round: &review_round::Model,
    met: bool,
    actor: &Actor,
) -> DomainResult<()> {
    let now = ctx.now();
    let mut rm: review_round::ActiveModel = round.clone().into();
    rm.status = Set(if met {
        RoundStatus::Met
    } else {
        RoundStatus::NotMet
    });
    rm.outcome = Set(Some(if met {
        RoundOutcome::Met
    } else {
        RoundOutcome::NotMet
    }));
    rm.decided_at = Set(Some(now));
    rm.unstaffed_reason = Set(None);
    rm.unstaffed_since = Set(None);
    rm.updated_at = Set(now);
    rm.update(db).await?;
    let p = portfolio::Entity::find_by_id(round.portfolio_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("portfolio"))?;
    let c = candidacy::Entity::find_by_id(p.candidacy_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("candidacy"))?;
    let mut pm: portfolio::ActiveModel = p.clone().into();
    pm.status = Set(if met {
        PortfolioStatus::Achieved
    } else {
        PortfolioStatus::RevisionRequested
    });
    pm.updated_at = Set(now);
    pm.update(db).await?;
    AuditEntry::new("review_round.decide", "review_round", round.id)
        .after(json!({ "outcome": if met { "met" } else { "not_met" } }))
        .write(db, actor, now)
        .await?;
    if met {
        achievements::record(
            db,
            ctx,
            actor,
            &c,
            p.set_id,
            Proof::Portfolio { round_id: round.id },
            ctx.today(),
        )
        .await?;
        return Ok(());
    }
    let app = application::Entity::find_by_id(c.application_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("application"))?;
    let cat = catalogue::get(ctx).await?;
    let mut feedback = Vec::new();
    let mut recommended = BTreeSet::new();
    for (i, r) in active_reviews(db, round.id).await?.iter().enumerate() {
        if let Some(a) = assessment_of(db, r).await? {
            feedback.push(json!({ "label": format!("Evaluator {}", i + 1), "text": a.feedback }));
            recommended.extend(a.recommended_course_ids);
        }
    }
    let course_titles: Vec<String> = entity::course::Entity::find()
        .filter(entity::course::Column::Id.is_in(recommended))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.title)
        .collect();
    outbox::queue_email(
        db,
        now,
        Email {
            key: format!("revision_requested:{}", round.id),
            account_id: Some(c.account_id),
            to: app.email,
            to_name: Some(app.given_name.clone()),
            template: EmailTemplate::RevisionRequested,
            params: json!({
                "name": app.given_name,
                "set_name": cat.set(p.set_id).map(|s| s.set.name.clone()).unwrap_or_default(),
                "round": round.number,
                "feedback": feedback,
                "courses": course_titles,
                "appeal_days": ctx.config.reviews.appeal_window_days,
            }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    Ok(())
}

/// Ends an evaluator's open review and hands the slot to someone else, telling both.
async fn reassign<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    r: &review::Model,
    reason: &str,
    by: AssignedBy,
    named: Option<i64>,
) -> DomainResult<Option<review::Model>> {
    let now = ctx.now();
    let mut am: review::ActiveModel = r.clone().into();
    am.status = Set(ReviewStatus::Reassigned);
    am.ended_at = Set(Some(now));
    am.end_reason = Set(Some(reason.to_owned()));
    am.update(db).await?;
    let round = review_round::Entity::find_by_id(r.round_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("round"))?;
    let replacement = match named {
        Some(evaluator_id) => {
            match assignment::assign_named(db, ctx, &round, evaluator_id).await? {
                Ok(rv) => Some(rv),
                Err(why) => {
                    return Err(DomainError::invalid(
                        Violation::new(
                            "EVALUATOR_INELIGIBLE",
                            format!("That evaluator may not review this round ({why:?})."),
                        )
                        .on("evaluatorId"),
                    ));
                }
            }
        }
        None => assignment::assign_additional(db, ctx, &round, by).await?,
    };
    if let Some(ev) = evaluator::Entity::find_by_id(r.evaluator_id)
        .one(db)
        .await?
        && let Some(acct) = account::Entity::find_by_id(ev.account_id).one(db).await?
    {
        outbox::queue_email(db, now, Email {
            key: format!("review_reassigned:{}", r.id),
            account_id: Some(acct.id),
            to: acct.email,
            to_name: Some(acct.display_name.clone()),
            template: EmailTemplate::ReviewReassigned,
            params: json!({ "name": acct.display_name, "due_on": r.due_on.to_string(), "reason": reason }),
            secret: None,
            batch_id: None,
        })
        .await?;
    }
    Ok(replacement)
}

/// The CRC replaces an evaluator on a round, by hand: with a named evaluator (who must
/// meet the same rules as the solver's choice) or the best eligible one.
pub async fn replace_evaluator(
    ctx: &Context,
    actor: &Actor,
    review_id: i64,
    evaluator_id: Option<i64>,
    reason: &str,
) -> DomainResult<Option<review::Model>> {
    let viewer = actor.viewer()?;
    if !viewer.has_any(&[Role::CrcMember, Role::ProgramOfficer]) {
        return Err(DomainError::forbidden(
            "The CRC (or a program officer) replaces evaluators.",
        ));
    }
    let reason = required("reason", "The reason", reason, 2_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let r = review::Entity::find_by_id(review_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("review"))?;
    if r.status != ReviewStatus::Assigned {
        return Err(DomainError::invalid(Violation::new(
            "NOT_OPEN",
            "Only an open review can be given to someone else.",
        )));
    }
    let replacement = reassign(&txn, ctx, &r, &reason, AssignedBy::Crc, evaluator_id).await?;
    AuditEntry::new("review.replace", "review", review_id)
        .before(json!({ "evaluatorId": r.evaluator_id }))
        .after(json!({ "replacement": replacement.as_ref().map(|x| x.evaluator_id), "reason": reason }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(replacement)
}

/// What a review sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub reminders: usize,
    pub reassigned: usize,
    pub thirds_assigned: usize,
}

/// Reminds evaluators before and on the due date, reassigns reviews overdue past the grace
/// period, retries rounds still waiting for a third evaluator, and asks for an assignment
/// run when rounds wait. Idempotent.
pub async fn sweep(ctx: &Context) -> DomainResult<Swept> {
    let today = ctx.today();
    let mut swept = Swept::default();
    let open = review::Entity::find()
        .filter(review::Column::Status.eq(ReviewStatus::Assigned))
        .all(&ctx.db)
        .await?;
    let grace = i64::from(ctx.config.reviews.overdue_grace_days);
    for r in open {
        let days_left = days_between(today, r.due_on);
        if days_left < -grace {
            let txn = ctx.begin_write().await?;
            let fresh = review::Entity::find_by_id(r.id).one(&txn).await?;
            if fresh
                .as_ref()
                .is_some_and(|f| f.status == ReviewStatus::Assigned)
            {
                reassign(&txn, ctx, &r, "overdue", AssignedBy::Reassignment, None).await?;
                AuditEntry::new("review.reassign_overdue", "review", r.id)
                    .after(json!({ "dueOn": r.due_on }))
                    .write(&txn, &Actor::System, ctx.now())
                    .await?;
                swept.reassigned += 1;
            }
            txn.commit().await?;
            continue;
        }
        if let Some(d) = due_threshold(&ctx.config.reviews.reminder_days_before_due, days_left)
            && let Some(ev) = evaluator::Entity::find_by_id(r.evaluator_id).one(&ctx.db).await?
            && let Some(acct) = account::Entity::find_by_id(ev.account_id).one(&ctx.db).await?
            && outbox::queue_email(&ctx.db, ctx.now(), Email {
                key: format!("review_reminder:{}:{d}", r.id),
                account_id: Some(acct.id),
                to: acct.email,
                to_name: Some(acct.display_name.clone()),
                template: EmailTemplate::ReviewReminder,
                params: json!({ "name": acct.display_name, "due_on": r.due_on.to_string(), "days_left": days_left }),
                secret: None,
                batch_id: None,
            })
            .await?
        {
            swept.reminders += 1;
        }
    }
    let waiting_third = review_round::Entity::find()
        .filter(review_round::Column::Status.eq(RoundStatus::AwaitingThird))
        .all(&ctx.db)
        .await?;
    for round in waiting_third {
        let txn = ctx.begin_write().await?;
        let active = active_reviews(&txn, round.id).await?;
        let per_round = ctx.config.reviews.evaluators_per_round as usize;
        if active.len() <= per_round
            && assignment::assign_additional(&txn, ctx, &round, AssignedBy::TieBreak)
                .await?
                .is_some()
        {
            swept.thirds_assigned += 1;
        }
        txn.commit().await?;
    }
    let waiting = review_round::Entity::find()
        .filter(review_round::Column::Status.eq(RoundStatus::AwaitingAssignment))
        .count(&ctx.db)
        .await?;
    if waiting > 0 {
        assignment::request_run(&ctx.db, ctx, "sweep: rounds waiting").await?;
    }
    ctx.outbox_written();
    Ok(swept)
}

/// A round with everything about it, for staff and the CRC (who see everything).
pub async fn round_for_staff(
    ctx: &Context,
    actor: &Actor,
    round_id: i64,
) -> DomainResult<(
    review_round::Model,
    Vec<(review::Model, Option<AssessmentView>)>,
)> {
    let viewer = actor.viewer()?;
    if !viewer.is_staff_or_crc() {
        return Err(DomainError::NotFound("round"));
    }
    let round = review_round::Entity::find_by_id(round_id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("round"))?;
    let mut reviews = Vec::new();
    for r in review::Entity::find()
        .filter(review::Column::RoundId.eq(round_id))
        .order_by_asc(review::Column::Slot)
        .all(&ctx.db)
        .await?
    {
        let a = assessment_of(&ctx.db, &r).await?;
        reviews.push((r, a));
    }
    Ok((round, reviews))
}

/// What the candidate sees of a decided round: the outcome and the evaluators' feedback,
/// unsigned, and the recommended courses. Nothing while the round is open.
pub async fn round_feedback<C: ConnectionTrait>(
    db: &C,
    round: &review_round::Model,
) -> DomainResult<Vec<AssessmentView>> {
    if round.outcome.is_none() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for r in active_reviews(db, round.id).await? {
        if let Some(a) = assessment_of(db, &r).await? {
            out.push(a);
        }
    }
    Ok(out)
}

/// Files an appeal of a round found not met, within the appeal window.
pub async fn file_appeal(
    ctx: &Context,
    actor: &Actor,
    round_id: i64,
    reason: &str,
) -> DomainResult<appeal::Model> {
    let viewer = actor.viewer()?.clone();
    let reason = required("reason", "The grounds of the appeal", reason, 20_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let round = review_round::Entity::find_by_id(round_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("round"))?;
    let p = portfolio::Entity::find_by_id(round.portfolio_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("round"))?;
    let c = candidacy::Entity::find_by_id(p.candidacy_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("round"))?;
    if c.account_id != viewer.account_id {
        return Err(DomainError::NotFound("round"));
    }
    if round.outcome != Some(RoundOutcome::NotMet) {
        return Err(DomainError::invalid(Violation::new(
            "NOT_APPEALABLE",
            "Only a round found not met can be appealed.",
        )));
    }
    let decided = round.decided_at.unwrap_or(now);
    if now > decided + Duration::days(i64::from(ctx.config.reviews.appeal_window_days)) {
        return Err(DomainError::invalid(Violation::new(
            "APPEAL_WINDOW_CLOSED",
            format!(
                "Appeals must be filed within {} days of the outcome.",
                ctx.config.reviews.appeal_window_days
            ),
        )));
    }
    let open = appeal::Entity::find()
        .filter(appeal::Column::RoundId.eq(round.id))
        .one(&txn)
        .await?;
    if open.is_some() {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_APPEALED",
            "This round has already been appealed.",
        )));
    }
    let a = appeal::ActiveModel {
        round_id: Set(round.id),
        candidacy_id: Set(c.id),
        reason: Set(reason),
        status: Set(AppealStatus::Filed),
        filed_at: Set(now),
        decided_at: Set(None),
        decided_by: Set(None),
        decision_reason: Set(None),
        new_round_id: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    AuditEntry::new("appeal.file", "appeal", a.id)
        .after(json!({ "roundId": round.id }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    Ok(a)
}

/// What the CRC decides on an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealDecision {
    /// The outcome stands.
    Uphold,
    /// The set is achieved after all.
    Overturn,
    /// A new round, reviewed by evaluators who have not seen the portfolio.
    NewRound,
}

/// The CRC decides an appeal, with a reason; the candidate is told.
pub async fn decide_appeal(
    ctx: &Context,
    actor: &Actor,
    appeal_id: i64,
    decision: AppealDecision,
    reason: &str,
) -> DomainResult<appeal::Model> {
    let viewer = actor.viewer()?.clone();
    if !viewer.has_any(&[Role::CrcMember, Role::ProgramOfficer]) {
        return Err(DomainError::forbidden("The CRC decides appeals."));
    }
    let reason = required("reason", "The reason for the decision", reason, 20_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let a = appeal::Entity::find_by_id(appeal_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("appeal"))?;
    if a.status != AppealStatus::Filed {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_DECIDED",
            "This appeal has already been decided.",
        )));
    }
    let round = review_round::Entity::find_by_id(a.round_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("round"))?;
    let p = portfolio::Entity::find_by_id(round.portfolio_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("portfolio"))?;
    let c = candidacy::Entity::find_by_id(a.candidacy_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("candidacy"))?;
    let mut new_round = None;
    let status = match decision {
        AppealDecision::Uphold => AppealStatus::Upheld,
        AppealDecision::Overturn => {
            let mut rm: review_round::ActiveModel = round.clone().into();
            rm.status = Set(RoundStatus::Met);
            rm.outcome = Set(Some(RoundOutcome::Met));
            rm.updated_at = Set(now);
            rm.update(&txn).await?;
            let mut pm: portfolio::ActiveModel = p.clone().into();
            pm.status = Set(PortfolioStatus::Achieved);
            pm.updated_at = Set(now);
            pm.update(&txn).await?;
            achievements::record(
                &txn,
                ctx,
                actor,
                &c,
                p.set_id,
                Proof::Portfolio { round_id: round.id },
                ctx.today(),
            )
            .await?;
            AppealStatus::Overturned
        }
        AppealDecision::NewRound => {
            let d = portfolios::detail(&txn, p.clone()).await?;
            let mut fresh = portfolios::open_round(&txn, ctx, &d, Some(a.id)).await?;
            // The new round re-examines the appealed content, not later edits.
            let mut rm: review_round::ActiveModel = fresh.clone().into();
            rm.content = Set(round.content.clone());
            fresh = rm.update(&txn).await?;
            new_round = Some(fresh.id);
            AppealStatus::NewRoundOrdered
        }
    };
    let mut am: appeal::ActiveModel = a.clone().into();
    am.status = Set(status);
    am.decided_at = Set(Some(now));
    am.decided_by = Set(Some(viewer.account_id));
    am.decision_reason = Set(Some(reason.clone()));
    am.new_round_id = Set(new_round);
    let decided = am.update(&txn).await?;
    let app = application::Entity::find_by_id(c.application_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("application"))?;
    outbox::queue_email(
        &txn,
        now,
        Email {
            key: format!("appeal_decided:{}", decided.id),
            account_id: Some(c.account_id),
            to: app.email,
            to_name: Some(app.given_name.clone()),
            template: EmailTemplate::AppealDecided,
            params: json!({ "name": app.given_name, "decision": status, "reason": reason }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("appeal.decide", "appeal", decided.id)
        .before(json!({ "status": a.status }))
        .after(json!({ "status": status, "reason": reason, "newRoundId": new_round }))
        .write(&txn, actor, now)
        .await?;
    txn.commit().await?;
    ctx.outbox_written();
    Ok(decided)
}

/// Appeals for the CRC, oldest first, optionally of one status.
pub async fn appeals(
    ctx: &Context,
    actor: &Actor,
    status: Option<AppealStatus>,
) -> DomainResult<Vec<appeal::Model>> {
    let viewer = actor.viewer()?;
    if !viewer.is_staff_or_crc() {
        return Err(DomainError::forbidden("Staff and the CRC see appeals."));
    }
    let mut q = appeal::Entity::find().order_by_asc(appeal::Column::Id);
    if let Some(s) = status {
        q = q.filter(appeal::Column::Status.eq(s));
    }
    Ok(q.limit(500).all(&ctx.db).await?)
}

#[cfg(test)]
mod tests {
    use super::queue_of;
    use sea_orm::{DbBackend, QueryTrait};

    /// The queue's status is part of the statement's text, so PostgreSQL can keep one
    /// plan for it; only the evaluator is bound.
    #[test]
    fn the_queue_writes_its_status_into_the_statement() {
        for (finished, sql_part, status) in [
            (false, r#""review"."status" = 'assigned'"#, "assigned"),
            (true, r#""review"."status" <> 'withdrawn'"#, "withdrawn"),
        ] {
            let stmt = queue_of(42, finished).build(DbBackend::Postgres);
            assert!(stmt.sql.contains(sql_part), "{}", stmt.sql);
            let values = format!("{:?}", stmt.values);
            assert!(values.contains("42"), "{values}");
            assert!(!values.contains(status), "{values}");
        }
    }
}
