//! Evaluators: applications, the CRC's selection, training, expertise, capacity,
//! availability and conflicts.

use super::accounts::Account;
use super::catalogue::CompetencySet;
use super::connection::{Page, connection};
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::services::evaluators::{self, EvaluatorDetail};
use domain::services::{accounts, catalogue};
use entity::evaluator_conflict;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::evaluator::EvaluatorStatus")]
pub enum EvaluatorStatus {
    /// Waiting for the CRC's decision.
    Applied,
    Active,
    Declined,
    Inactive,
}

/// A portfolio evaluator. Visible to the evaluator, staff and the CRC.
pub struct Evaluator(pub EvaluatorDetail);

#[Object]
impl Evaluator {
    async fn id(&self) -> ID {
        ID(self.0.evaluator.id.to_string())
    }

    async fn account(&self, ctx: &Context<'_>) -> Result<Account> {
        accounts::account(services(ctx), actor(ctx), self.0.evaluator.account_id)
            .await
            .gql()
            .map(Account)
    }

    async fn status(&self) -> EvaluatorStatus {
        self.0.evaluator.status.into()
    }

    #[graphql(complexity = "super::cost::text(domain::limits::MEDIUM_TEXT_CHARS)")]
    async fn qualifications(&self) -> &str {
        &self.0.evaluator.qualifications
    }

    async fn employer(&self) -> &str {
        &self.0.evaluator.employer
    }

    async fn institution(&self) -> Option<&str> {
        self.0.evaluator.institution.as_deref()
    }

    async fn state(&self) -> &str {
        &self.0.evaluator.state
    }

    /// Reviews the evaluator takes at once.
    async fn capacity(&self) -> i32 {
        self.0.evaluator.capacity
    }

    /// Not available for new reviews until this day.
    async fn paused_until(&self) -> Option<NaiveDate> {
        self.0.evaluator.paused_until
    }

    /// When the evaluator completed the portfolio-assessment training.
    async fn training_completed_on(&self) -> Option<NaiveDate> {
        self.0.evaluator.training_completed_on
    }

    /// The sets the evaluator is expert in.
    #[graphql(complexity = "super::cost::list(domain::limits::COMPETENCY_SETS, child_complexity)")]
    async fn competency_sets(&self, ctx: &Context<'_>) -> Result<Vec<CompetencySet>> {
        let cat = catalogue::get(services(ctx)).await.gql()?;
        Ok(self
            .0
            .set_ids
            .iter()
            .filter_map(|id| cat.set(*id).cloned().map(CompetencySet))
            .collect())
    }

    /// The CRC's reason when it decided the application.
    #[graphql(complexity = "super::cost::text(domain::limits::REASON_CHARS)")]
    async fn decision_reason(&self) -> Option<&str> {
        self.0.evaluator.decision_reason.as_deref()
    }

    /// Declared conflicts of interest.
    #[graphql(
        complexity = "super::cost::list(domain::limits::CONFLICTS_PER_EVALUATOR, child_complexity)"
    )]
    async fn conflicts(&self, ctx: &Context<'_>) -> Result<Vec<DeclaredConflict>> {
        let rows = evaluators::conflicts(&services(ctx).db, self.0.evaluator.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(DeclaredConflict).collect())
    }

    async fn applied_at(&self) -> DateTime<Utc> {
        self.0.evaluator.applied_at
    }
}

/// A conflict of interest an evaluator declared.
pub struct DeclaredConflict(pub evaluator_conflict::Model);

#[Object]
impl DeclaredConflict {
    /// The candidate's email, when a candidate was named.
    async fn candidate_email(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn institution(&self) -> Option<&str> {
        self.0.institution.as_deref()
    }

    async fn declared_at(&self) -> DateTime<Utc> {
        self.0.declared_at
    }
}

#[derive(Default)]
pub struct EvaluatorQuery;

#[Object]
impl EvaluatorQuery {
    /// Your evaluator record, if you applied.
    async fn my_evaluator(&self, ctx: &Context<'_>) -> Result<Option<Evaluator>> {
        let Some(e) = evaluators::mine(&services(ctx).db, actor(ctx))
            .await
            .gql()?
        else {
            return Ok(None);
        };
        evaluators::get(services(ctx), actor(ctx), e.id)
            .await
            .gql()
            .map(|d| Some(Evaluator(d)))
    }

    /// One evaluator. The evaluator, staff and the CRC.
    async fn evaluator(&self, ctx: &Context<'_>, id: ID) -> Result<Evaluator> {
        let id = parse_id(&id, "evaluator")?;
        evaluators::get(services(ctx), actor(ctx), id)
            .await
            .gql()
            .map(Evaluator)
    }

    /// Evaluators, newest first; the CRC's queue is `status: APPLIED`. Staff and the CRC.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn evaluators(
        &self,
        ctx: &Context<'_>,
        status: Option<EvaluatorStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Evaluator, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = evaluators::list(
            services(ctx),
            actor(ctx),
            status.map(Into::into),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(page, rows, |e| e.evaluator.id, Evaluator))
    }
}

#[derive(InputObject)]
pub struct ApplyAsEvaluatorInput {
    pub qualifications: String,
    /// Your employer or institution.
    pub employer: String,
    pub institution: Option<String>,
    pub state: String,
    /// The codes of the sets you know.
    pub set_codes: Vec<String>,
}

#[derive(InputObject)]
pub struct DecideEvaluatorInput {
    pub evaluator_id: ID,
    pub accept: bool,
    pub reason: String,
}

#[derive(InputObject)]
pub struct RecordTrainingInput {
    pub evaluator_id: ID,
    pub completed_on: NaiveDate,
}

/// Leave a field out to keep it as it is.
#[derive(InputObject)]
pub struct ConfigureEvaluatorInput {
    pub evaluator_id: ID,
    pub capacity: Option<i32>,
    /// Not available for new reviews until this day.
    pub paused_until: Option<NaiveDate>,
    /// True to end a pause.
    #[graphql(default)]
    pub resume: bool,
}

/// The sets an evaluator may assess, replacing those they had.
#[derive(InputObject)]
pub struct SetEvaluatorExpertiseInput {
    pub evaluator_id: ID,
    /// Competency set codes; at least one.
    pub set_codes: Vec<String>,
}

/// Name exactly one of the candidate's email and the institution.
#[derive(InputObject)]
pub struct DeclareConflictInput {
    pub evaluator_id: ID,
    pub candidate_email: Option<String>,
    pub institution: Option<String>,
}

#[derive(SimpleObject)]
pub struct EvaluatorPayload {
    pub evaluator: Option<Evaluator>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

fn evaluator_payload(r: domain::DomainResult<EvaluatorDetail>) -> Result<EvaluatorPayload> {
    let (e, user_errors) = payload(r)?;
    Ok(EvaluatorPayload {
        evaluator: e.map(Evaluator),
        user_errors,
    })
}

#[derive(Default)]
pub struct EvaluatorMutation;

#[Object]
impl EvaluatorMutation {
    /// Applies to be a portfolio evaluator.
    async fn apply_as_evaluator(
        &self,
        ctx: &Context<'_>,
        input: ApplyAsEvaluatorInput,
    ) -> Result<EvaluatorPayload> {
        evaluator_payload(
            evaluators::apply(
                services(ctx),
                actor(ctx),
                evaluators::EvaluatorApplication {
                    qualifications: input.qualifications,
                    employer: input.employer,
                    institution: input.institution,
                    state: input.state,
                    set_codes: input.set_codes,
                },
            )
            .await,
        )
    }

    /// The CRC accepts or declines an evaluator, with a reason.
    async fn decide_evaluator(
        &self,
        ctx: &Context<'_>,
        input: DecideEvaluatorInput,
    ) -> Result<EvaluatorPayload> {
        let id = parse_id(&input.evaluator_id, "evaluator")?;
        evaluator_payload(
            evaluators::decide(services(ctx), actor(ctx), id, input.accept, &input.reason).await,
        )
    }

    /// Staff record that an evaluator completed training.
    async fn record_evaluator_training(
        &self,
        ctx: &Context<'_>,
        input: RecordTrainingInput,
    ) -> Result<EvaluatorPayload> {
        let id = parse_id(&input.evaluator_id, "evaluator")?;
        evaluator_payload(
            evaluators::record_training(services(ctx), actor(ctx), id, input.completed_on).await,
        )
    }

    /// Changes capacity or availability. The evaluator, staff or the CRC.
    async fn configure_evaluator(
        &self,
        ctx: &Context<'_>,
        input: ConfigureEvaluatorInput,
    ) -> Result<EvaluatorPayload> {
        let id = parse_id(&input.evaluator_id, "evaluator")?;
        let paused_until = if input.resume {
            Some(None)
        } else {
            input.paused_until.map(Some)
        };
        evaluator_payload(
            evaluators::configure(
                services(ctx),
                actor(ctx),
                id,
                evaluators::Settings {
                    capacity: input.capacity,
                    paused_until,
                },
            )
            .await,
        )
    }

    /// Grants the sets an evaluator may assess. The CRC (or a program officer); an
    /// evaluator cannot choose their own.
    async fn set_evaluator_expertise(
        &self,
        ctx: &Context<'_>,
        input: SetEvaluatorExpertiseInput,
    ) -> Result<EvaluatorPayload> {
        let id = parse_id(&input.evaluator_id, "evaluator")?;
        evaluator_payload(
            evaluators::set_expertise(services(ctx), actor(ctx), id, &input.set_codes).await,
        )
    }

    /// Declares a conflict of interest with a candidate (by email) or an institution.
    async fn declare_conflict(
        &self,
        ctx: &Context<'_>,
        input: DeclareConflictInput,
    ) -> Result<EvaluatorPayload> {
        let id = parse_id(&input.evaluator_id, "evaluator")?;
        let conflict = match (input.candidate_email, input.institution) {
            (Some(email), None) => evaluators::DeclaredConflict::Candidate { email },
            (None, Some(name)) => evaluators::DeclaredConflict::Institution { name },
            _ => {
                return Ok(EvaluatorPayload {
                    evaluator: None,
                    user_errors: vec![UserError {
                        field: None,
                        message: "Name exactly one: the candidate's email or the institution."
                            .into(),
                        code: "REQUIRED".into(),
                    }],
                });
            }
        };
        let result = evaluators::declare_conflict(services(ctx), actor(ctx), id, conflict).await;
        let (done, user_errors) = payload(result)?;
        let evaluator = match done {
            Some(_) => Some(Evaluator(
                evaluators::get(services(ctx), actor(ctx), id).await.gql()?,
            )),
            None => None,
        };
        Ok(EvaluatorPayload {
            evaluator,
            user_errors,
        })
    }
}
