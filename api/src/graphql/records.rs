//! A candidate's records: course-completion evidence and its verification, achievements,
//! and certificates, with the public verification of a certificate.

use super::catalogue::CompetencySet;
use super::connection::{Page, connection};
use super::documents::Document;
use super::loaders::{Loaders, one};
use super::{actor, services};
use crate::error::{GqlResult, UserError, parse_id, payload};
use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::services::{catalogue, certificates, evidence};
use entity::{achievement, certificate, course_completion};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::achievement::AchievementMethod")]
pub enum AchievementMethod {
    /// A verified completion of an approved course.
    Course,
    /// A portfolio found met by its evaluators.
    Portfolio,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::course_completion::CompletionStatus")]
pub enum CompletionStatus {
    /// Waiting for staff to verify it.
    Submitted,
    Verified,
    Rejected,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::certificate::CertificateStatus")]
pub enum CertificateStatus {
    Active,
    Expired,
    Revoked,
}

async fn set_of(ctx: &Context<'_>, set_id: i64) -> Result<Option<CompetencySet>> {
    let cat = catalogue::get(services(ctx)).await.gql()?;
    Ok(cat.set(set_id).cloned().map(CompetencySet))
}

/// A competency set achieved. Final once recorded.
pub struct Achievement(pub achievement::Model);

#[Object]
impl Achievement {
    async fn competency_set(&self, ctx: &Context<'_>) -> Result<Option<CompetencySet>> {
        set_of(ctx, self.0.set_id).await
    }

    async fn method(&self) -> AchievementMethod {
        self.0.method.into()
    }

    async fn achieved_on(&self) -> NaiveDate {
        self.0.achieved_on
    }

    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// Evidence of completing an approved course.
pub struct CourseCompletion(pub course_completion::Model);

#[Object]
impl CourseCompletion {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn course_id(&self) -> ID {
        ID(self.0.course_id.to_string())
    }

    async fn course_title(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(
            one(&ctx.data_unchecked::<Loaders>().courses, self.0.course_id)
                .await?
                .map(|c| c.title),
        )
    }

    /// The set the course counts for.
    async fn competency_set(&self, ctx: &Context<'_>) -> Result<Option<CompetencySet>> {
        set_of(ctx, self.0.set_id).await
    }

    async fn completed_on(&self) -> NaiveDate {
        self.0.completed_on
    }

    /// The official completion document.
    async fn document(&self, ctx: &Context<'_>) -> Result<Option<Document>> {
        Ok(one(
            &ctx.data_unchecked::<Loaders>().documents,
            self.0.document_id,
        )
        .await?
        .map(Document))
    }

    async fn status(&self) -> CompletionStatus {
        self.0.status.into()
    }

    /// Why it was rejected.
    #[graphql(complexity = "super::cost::text(domain::limits::REASON_CHARS)")]
    async fn decision_reason(&self) -> Option<&str> {
        self.0.decision_reason.as_deref()
    }

    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
}

/// A certificate, as its holder and staff see it.
pub struct Certificate(pub certificate::Model);

#[Object]
impl Certificate {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unique certificate number, e.g. `LSSCP-2027-000012`.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The public code anyone can check with `verifyCertificate`.
    async fn verification_code(&self) -> &str {
        &self.0.verification_code
    }

    async fn holder_name(&self) -> &str {
        &self.0.holder_name
    }

    async fn status(&self) -> CertificateStatus {
        self.0.status.into()
    }

    async fn issued_on(&self) -> NaiveDate {
        self.0.issued_on
    }

    async fn expires_on(&self) -> NaiveDate {
        self.0.expires_on
    }
}

/// What anyone may learn about a certificate from its verification code.
#[derive(SimpleObject)]
pub struct CertificateVerification {
    pub holder_name: String,
    pub number: String,
    /// As of today.
    pub status: CertificateStatus,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

/// A holder in the public list (only those who consented to it).
#[derive(SimpleObject)]
pub struct CertificateHolder {
    pub name: String,
    pub number: String,
    pub state: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

#[derive(Default)]
pub struct RecordQuery;

#[Object]
impl RecordQuery {
    /// Public: checks a certificate by its verification code. Null when no certificate has
    /// that code.
    async fn verify_certificate(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> Result<Option<CertificateVerification>> {
        Ok(certificates::verify(services(ctx), &code)
            .await
            .gql()?
            .map(|v| CertificateVerification {
                holder_name: v.holder_name,
                number: v.number,
                status: v.status.into(),
                issued_on: v.issued_on,
                expires_on: v.expires_on,
            }))
    }

    /// Public: holders of a current certificate who agreed to be listed, newest first.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn certificate_holders(
        &self,
        ctx: &Context<'_>,
        state: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, CertificateHolder, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = certificates::public_holders(
            services(ctx),
            state.as_deref(),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(
            page,
            rows,
            |(c, _)| c.id,
            |(c, state)| CertificateHolder {
                name: c.holder_name,
                number: c.number,
                state,
                issued_on: c.issued_on,
                expires_on: c.expires_on,
            },
        ))
    }

    /// The signed Open Badges 3.0 credential of a certificate's current period, for the
    /// holder to keep and share: any standard verifier checks it offline, and reads its
    /// status from the public status lists. The holder or staff.
    async fn certificate_credential(
        &self,
        ctx: &Context<'_>,
        certificate_id: ID,
    ) -> Result<async_graphql::Json<serde_json::Value>> {
        let id = parse_id(&certificate_id, "certificate")?;
        domain::services::credentials::export(services(ctx), actor(ctx), id)
            .await
            .gql()
            .map(async_graphql::Json)
    }

    /// Public: the programme's issuer identifier (a `did:key`), against which verifiers
    /// check credentials.
    async fn credential_issuer(&self, ctx: &Context<'_>) -> String {
        services(ctx).credential_key.did()
    }

    /// Course-completion evidence for staff to work through, oldest first.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn course_completions(
        &self,
        ctx: &Context<'_>,
        status: Option<CompletionStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, CourseCompletion, EmptyFields, EmptyFields>> {
        let page = Page::parse(first, after)?;
        let rows = evidence::queue(
            services(ctx),
            actor(ctx),
            status.map(Into::into),
            page.after_id,
            page.fetch_limit(),
        )
        .await
        .gql()?;
        Ok(connection(page, rows, |c| c.id, CourseCompletion))
    }
}

#[derive(InputObject)]
pub struct SubmitCourseCompletionInput {
    /// An approved course.
    pub course_id: ID,
    pub completed_on: NaiveDate,
    /// The official completion document, uploaded with purpose `COURSE_COMPLETION`.
    pub document_id: ID,
}

#[derive(InputObject)]
pub struct VerifyCourseCompletionInput {
    pub completion_id: ID,
}

#[derive(InputObject)]
pub struct RejectCourseCompletionInput {
    pub completion_id: ID,
    /// Always required: the candidate is told.
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct CourseCompletionPayload {
    pub completion: Option<CourseCompletion>,
    /// The achievement recorded, on verification.
    pub achievement: Option<Achievement>,
    /// The certificate, when this achievement completed the requirement.
    pub certificate: Option<Certificate>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct RecordMutation;

#[Object]
impl RecordMutation {
    /// Sends in evidence of completing an approved course.
    async fn submit_course_completion(
        &self,
        ctx: &Context<'_>,
        input: SubmitCourseCompletionInput,
    ) -> Result<CourseCompletionPayload> {
        let course = parse_id(&input.course_id, "course")?;
        let doc = parse_id(&input.document_id, "document")?;
        let (c, user_errors) = payload(
            evidence::submit(services(ctx), actor(ctx), course, input.completed_on, doc).await,
        )?;
        Ok(CourseCompletionPayload {
            completion: c.map(CourseCompletion),
            achievement: None,
            certificate: None,
            user_errors,
        })
    }

    /// Verifies evidence and records the achievement (and the certificate, when it is the
    /// last set needed). Refused with `COURSE_NOT_APPROVED_ON_DATE` when the course was
    /// not approved for the set on the completion date. Staff only.
    async fn verify_course_completion(
        &self,
        ctx: &Context<'_>,
        input: VerifyCourseCompletionInput,
    ) -> Result<CourseCompletionPayload> {
        let id = parse_id(&input.completion_id, "course completion")?;
        let (done, user_errors) = payload(evidence::verify(services(ctx), actor(ctx), id).await)?;
        Ok(match done {
            Some((c, recorded)) => CourseCompletionPayload {
                completion: Some(CourseCompletion(c)),
                achievement: Some(Achievement(recorded.achievement)),
                certificate: recorded.certificate.map(Certificate),
                user_errors,
            },
            None => CourseCompletionPayload {
                completion: None,
                achievement: None,
                certificate: None,
                user_errors,
            },
        })
    }

    /// Rejects evidence with a reason. Staff only.
    async fn reject_course_completion(
        &self,
        ctx: &Context<'_>,
        input: RejectCourseCompletionInput,
    ) -> Result<CourseCompletionPayload> {
        let id = parse_id(&input.completion_id, "course completion")?;
        let (c, user_errors) =
            payload(evidence::reject(services(ctx), actor(ctx), id, &input.reason).await)?;
        Ok(CourseCompletionPayload {
            completion: c.map(CourseCompletion),
            achievement: None,
            certificate: None,
            user_errors,
        })
    }
}
