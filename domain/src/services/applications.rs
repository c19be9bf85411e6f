//! Applications: drafts, submission with an explained eligibility decision, staff review of
//! education from outside the US, withdrawal, and acceptance once eligible and paid.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::emails::EmailTemplate;
use crate::error::{DomainError, DomainResult, Violation};
use crate::outbox::{self, Email};
use crate::rules::access;
use crate::rules::eligibility::{self, Outcome};
use crate::rules::email_address::EmailAddress;
use crate::rules::fees::{candidate_fee, dollars};
use crate::rules::periods::add_years;
use crate::rules::text::{Problems, no_control, normalised_key, required, single_line};
use crate::security::readable_code;
use crate::services::accounts;
use chrono::NaiveDate;
use entity::account_role::Role;
use entity::application::{self, ApplicationStatus, EducationDecision, MarketingSource};
use entity::candidacy::{self, CandidacyStatus};
use entity::education_entry::{self, EducationLevel};
use entity::payment::{self, PaymentKind};
use entity::work_history_entry::{self, LibraryType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

/// One period of library work.
#[derive(Debug, Clone)]
pub struct WorkInput {
    pub library_name: String,
    pub library_type: LibraryType,
    pub position_title: Option<String>,
    pub paid: bool,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// Hours worked over the whole entry.
    pub hours: i32,
}

/// One qualification.
#[derive(Debug, Clone)]
pub struct EducationInput {
    pub level: EducationLevel,
    pub institution: Option<String>,
    /// ISO 3166 alpha-2; `US` when omitted.
    pub country: Option<String>,
    pub completed_on: Option<NaiveDate>,
}

/// An application as the applicant edits it. Saving replaces the work and education lists.
#[derive(Debug, Clone)]
pub struct ApplicationInput {
    pub given_name: String,
    pub family_name: String,
    /// Where to write; the account's email when omitted.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: Option<String>,
    pub employer_name: Option<String>,
    pub ala_member: bool,
    pub ala_member_number: Option<String>,
    pub marketing_source: Option<MarketingSource>,
    pub marketing_source_detail: Option<String>,
    pub consent_publish_name: bool,
    pub consent_award_notice: bool,
    /// Where the award notice to the employer goes (an email address).
    pub employer_notice_email: Option<String>,
    pub state_library_name: Option<String>,
    /// Where the award notice to the state library goes (an email address).
    pub state_library_notice_email: Option<String>,
    pub work: Vec<WorkInput>,
    pub education: Vec<EducationInput>,
}

/// An application with its work history and education.
#[derive(Debug, Clone)]
pub struct ApplicationDetail {
    pub application: application::Model,
    pub work: Vec<work_history_entry::Model>,
    pub education: Vec<education_entry::Model>,
    pub paid_cents: i64,
    pub candidacy: Option<candidacy::Model>,
}

fn snapshot(a: &application::Model) -> serde_json::Value {
    json!({
        "status": a.status, "givenName": a.given_name, "familyName": a.family_name,
        "state": a.state, "alaMember": a.ala_member, "feeCents": a.fee_cents,
        "educationDecision": a.education_decision,
    })
}

/// Applications not yet finished with: one at a time per account.
const OPEN: [ApplicationStatus; 4] = [
    ApplicationStatus::Draft,
    ApplicationStatus::Submitted,
    ApplicationStatus::AwaitingEducationReview,
    ApplicationStatus::Eligible,
];

async fn load<C: ConnectionTrait>(db: &C, id: i64) -> DomainResult<application::Model> {
    application::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("application"))
}

/// The application, if the caller may see it (see [`access::application_view`]); anyone
/// else is told it does not exist.
async fn visible<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
) -> DomainResult<application::Model> {
    actor.require_signed_in()?;
    let a = load(db, id).await?;
    match access::application_view(actor, &a) {
        Some(_) => Ok(a),
        None => Err(DomainError::NotFound("application")),
    }
}

/// Reads the whole application.
pub async fn detail<C: ConnectionTrait>(
    db: &C,
    application: application::Model,
) -> DomainResult<ApplicationDetail> {
    let work = work_history_entry::Entity::find()
        .filter(work_history_entry::Column::ApplicationId.eq(application.id))
        .order_by_asc(work_history_entry::Column::Position)
        .all(db)
        .await?;
    let education = education_entry::Entity::find()
        .filter(education_entry::Column::ApplicationId.eq(application.id))
        .order_by_asc(education_entry::Column::Position)
        .all(db)
        .await?;
    let paid_cents = paid(db, application.id).await?;
    let candidacy = candidacy::Entity::find()
        .filter(candidacy::Column::ApplicationId.eq(application.id))
        .one(db)
        .await?;
    Ok(ApplicationDetail {
        application,
        work,
        education,
        paid_cents,
        candidacy,
    })
}

async fn paid<C: ConnectionTrait>(db: &C, application_id: i64) -> DomainResult<i64> {
    Ok(payment::Entity::find()
        .filter(payment::Column::ApplicationId.eq(application_id))
        .filter(payment::Column::Kind.eq(PaymentKind::CandidateFee))
        .all(db)
        .await?
        .iter()
        .map(|p| p.amount_cents)
        .sum())
}

/// Checks what can be checked of a draft: formats, dates and numbers. Completeness is
/// checked on submission.
fn check_draft(input: &ApplicationInput, today: NaiveDate, p: &mut Problems) {
    fn or_blank(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or_default()
    }
    for (field, label, value) in [
        ("givenName", "Your given name", input.given_name.as_str()),
        ("familyName", "Your family name", input.family_name.as_str()),
        ("phone", "Your phone number", or_blank(&input.phone)),
        ("addressLine1", "Your address", input.address_line1.as_str()),
        (
            "addressLine2",
            "Your address",
            or_blank(&input.address_line2),
        ),
        ("city", "Your city", input.city.as_str()),
        ("state", "Your state", input.state.as_str()),
        ("postalCode", "Your postal code", input.postal_code.as_str()),
        ("country", "Your country", or_blank(&input.country)),
        (
            "employerName",
            "Your employer's name",
            or_blank(&input.employer_name),
        ),
        (
            "alaMemberNumber",
            "Your ALA member number",
            or_blank(&input.ala_member_number),
        ),
        (
            "stateLibraryName",
            "The state library's name",
            or_blank(&input.state_library_name),
        ),
    ] {
        p.take(no_control(field, label, value));
    }
    for (i, w) in input.work.iter().enumerate() {
        p.take(no_control(
            &format!("work.{i}.positionTitle"),
            "The position title",
            or_blank(&w.position_title),
        ));
    }
    for (i, e) in input.education.iter().enumerate() {
        p.take(no_control(
            &format!("education.{i}.institution"),
            "The institution",
            or_blank(&e.institution),
        ));
    }
    if let Some(e) = &input.email {
        p.take(EmailAddress::parse(e).map_err(|v| v.on("email")));
    }
    for (field, value) in [
        ("employerNoticeEmail", &input.employer_notice_email),
        ("stateLibraryNoticeEmail", &input.state_library_notice_email),
    ] {
        if let Some(e) = value.as_deref().filter(|e| !e.trim().is_empty()) {
            p.take(EmailAddress::parse(e).map_err(|v| v.on(field)));
        }
    }
    for (i, w) in input.work.iter().enumerate() {
        p.take(single_line(
            &format!("work.{i}.libraryName"),
            "The library's name",
            &w.library_name,
            200,
        ));
        if w.started_on > today {
            p.push(
                Violation::new("FUTURE_DATE", "Work cannot start in the future.")
                    .on(format!("work.{i}.startedOn")),
            );
        }
        if let Some(end) = w.ended_on {
            if end < w.started_on {
                p.push(
                    Violation::new("END_BEFORE_START", "The end date is before the start date.")
                        .on(format!("work.{i}.endedOn")),
                );
            }
            if end > today {
                p.push(
                    Violation::new(
                        "FUTURE_DATE",
                        "Leave the end date empty for work that goes on.",
                    )
                    .on(format!("work.{i}.endedOn")),
                );
            }
        }
        let days = (w.ended_on.unwrap_or(today) - w.started_on).num_days() + 1;
        if w.hours <= 0 {
            p.push(
                Violation::new("OUT_OF_RANGE", "Hours must be more than zero.")
                    .on(format!("work.{i}.hours")),
            );
        } else if days > 0 && i64::from(w.hours) > days * 24 {
            p.push(
                Violation::new(
                    "OUT_OF_RANGE",
                    format!(
                        "{} hours is more than the {} days of this entry hold.",
                        w.hours, days
                    ),
                )
                .on(format!("work.{i}.hours")),
            );
        }
    }
    for (i, e) in input.education.iter().enumerate() {
        if let Some(c) = &e.country
            && (c.trim().len() != 2 || !c.trim().chars().all(|ch| ch.is_ascii_alphabetic()))
        {
            p.push(
                Violation::new(
                    "INVALID_COUNTRY",
                    "Give the country as a two-letter code, e.g. US or CA.",
                )
                .on(format!("education.{i}.country")),
            );
        }
        if e.completed_on.is_some_and(|d| d > today) {
            p.push(
                Violation::new(
                    "FUTURE_DATE",
                    "A qualification cannot be completed in the future.",
                )
                .on(format!("education.{i}.completedOn")),
            );
        }
    }
}

/// Saves the caller's draft application, creating it if needed. One open application per
/// account; a candidate does not apply again.
pub async fn save(
    ctx: &Context,
    actor: &Actor,
    input: ApplicationInput,
) -> DomainResult<ApplicationDetail> {
    let viewer = actor.viewer()?.clone();
    let today = ctx.today();
    let mut p = Problems::default();
    check_draft(&input, today, &mut p);
    p.into_result()?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let account = entity::account::Entity::find_by_id(viewer.account_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    if account.email_verified_at.is_none() {
        return Err(DomainError::invalid(Violation::new(
            "EMAIL_NOT_VERIFIED",
            "Verify your email address before applying.",
        )));
    }
    let mine = application::Entity::find()
        .filter(application::Column::AccountId.eq(viewer.account_id))
        .order_by_desc(application::Column::Id)
        .all(&txn)
        .await?;
    if mine.iter().any(|a| a.status == ApplicationStatus::Accepted) {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_A_CANDIDATE",
            "You are already a candidate; there is nothing to apply for.",
        )));
    }
    let existing = mine.into_iter().find(|a| OPEN.contains(&a.status));
    if let Some(a) = &existing
        && a.status != ApplicationStatus::Draft
    {
        return Err(DomainError::invalid(Violation::new(
            "ALREADY_SUBMITTED",
            "Your application is submitted and can no longer be edited. Withdraw it to start again.",
        )));
    }
    let employer_key = input
        .employer_name
        .as_deref()
        .map(normalised_key)
        .filter(|k| !k.is_empty());
    let email = input
        .email
        .as_deref()
        .map(EmailAddress::parse)
        .transpose()?
        .map(|e| e.as_str().to_owned())
        .unwrap_or(account.email.clone());
    let trim = |s: &str| s.trim().to_owned();
    let opt = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut am = match existing {
        Some(a) => a.into(),
        None => application::ActiveModel {
            account_id: Set(viewer.account_id),
            status: Set(ApplicationStatus::Draft),
            eligibility: Set(None),
            eligibility_decided_at: Set(None),
            education_decision: Set(None),
            education_decision_reason: Set(None),
            education_decided_by: Set(None),
            education_decided_at: Set(None),
            fee_cents: Set(None),
            submitted_at: Set(None),
            withdrawn_at: Set(None),
            accepted_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    };
    am.given_name = Set(trim(&input.given_name));
    am.family_name = Set(trim(&input.family_name));
    am.email = Set(email);
    am.phone = Set(opt(&input.phone));
    am.address_line1 = Set(trim(&input.address_line1));
    am.address_line2 = Set(opt(&input.address_line2));
    am.city = Set(trim(&input.city));
    am.state = Set(trim(&input.state).to_uppercase());
    am.postal_code = Set(trim(&input.postal_code));
    am.country = Set(opt(&input.country)
        .map(|c| c.to_uppercase())
        .unwrap_or_else(|| "US".into()));
    am.employer_name = Set(opt(&input.employer_name));
    am.employer_key = Set(employer_key);
    am.employer_address = Set(opt(&input.employer_notice_email).map(|e| e.to_lowercase()));
    am.state_library_name = Set(opt(&input.state_library_name));
    am.state_library_address =
        Set(opt(&input.state_library_notice_email).map(|e| e.to_lowercase()));
    am.ala_member = Set(input.ala_member);
    am.ala_member_number = Set(opt(&input.ala_member_number));
    am.marketing_source = Set(input.marketing_source);
    am.marketing_source_detail = Set(opt(&input.marketing_source_detail));
    am.consent_publish_name = Set(input.consent_publish_name);
    am.consent_award_notice = Set(input.consent_award_notice);
    am.updated_at = Set(now);
    let saved = am.save(&txn).await?;
    let saved: application::Model = saved.try_into().map_err(DomainError::internal)?;
    work_history_entry::Entity::delete_many()
        .filter(work_history_entry::Column::ApplicationId.eq(saved.id))
        .exec(&txn)
        .await?;
    for (i, w) in input.work.iter().enumerate() {
        work_history_entry::ActiveModel {
            application_id: Set(saved.id),
            library_name: Set(trim(&w.library_name)),
            library_type: Set(w.library_type),
            position_title: Set(opt(&w.position_title)),
            paid: Set(w.paid),
            started_on: Set(w.started_on),
            ended_on: Set(w.ended_on),
            hours: Set(w.hours),
            position: Set(i as i32 + 1),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    education_entry::Entity::delete_many()
        .filter(education_entry::Column::ApplicationId.eq(saved.id))
        .exec(&txn)
        .await?;
    for (i, e) in input.education.iter().enumerate() {
        education_entry::ActiveModel {
            application_id: Set(saved.id),
            level: Set(e.level),
            institution: Set(opt(&e.institution)),
            country: Set(opt(&e.country)
                .map(|c| c.to_uppercase())
                .unwrap_or_else(|| "US".into())),
            completed_on: Set(e.completed_on),
            position: Set(i as i32 + 1),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    AuditEntry::new("application.save", "application", saved.id)
        .after(snapshot(&saved))
        .write(&txn, actor, now)
        .await?;
    let d = detail(&txn, saved).await?;
    txn.commit().await?;
    Ok(d)
}

fn eligibility_request(
    ctx: &Context,
    d: &ApplicationDetail,
    foreign_accepted: Option<bool>,
) -> eligibility::Request {
    eligibility::Request {
        decided_on: ctx.today(),
        min_hours: ctx.config.eligibility.min_work_hours,
        window_years: ctx.config.eligibility.work_window_years,
        work: d
            .work
            .iter()
            .map(|w| eligibility::Work {
                started_on: w.started_on,
                ended_on: w.ended_on,
                hours: i64::from(w.hours),
            })
            .collect(),
        education: d
            .education
            .iter()
            .map(|e| eligibility::Education {
                level: e.level,
                country: e.country.clone(),
            })
            .collect(),
        foreign_education_accepted: foreign_accepted,
    }
}

fn status_of(outcome: Outcome) -> ApplicationStatus {
    match outcome {
        Outcome::Eligible => ApplicationStatus::Eligible,
        Outcome::Ineligible => ApplicationStatus::Ineligible,
        Outcome::NeedsEducationReview => ApplicationStatus::AwaitingEducationReview,
    }
}

/// Submits the caller's application: checks it is complete, decides eligibility (or sends
/// education from outside the US to staff), computes the fee, and accepts it at once if it
/// is eligible and already paid.
pub async fn submit(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<ApplicationDetail> {
    let viewer = actor.viewer()?.clone();
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let a = visible(&txn, actor, id).await?;
    if a.account_id != viewer.account_id {
        return Err(DomainError::forbidden(
            "Only the applicant submits an application.",
        ));
    }
    if a.status != ApplicationStatus::Draft {
        return Err(DomainError::invalid(Violation::new(
            "NOT_A_DRAFT",
            "This application is already submitted.",
        )));
    }
    let d = detail(&txn, a).await?;
    let mut p = Problems::default();
    let app = &d.application;
    for (field, label, value) in [
        ("givenName", "Your given name", &app.given_name),
        ("familyName", "Your family name", &app.family_name),
        ("addressLine1", "Your address", &app.address_line1),
        ("city", "Your city", &app.city),
        ("state", "Your state", &app.state),
        ("postalCode", "Your postal code", &app.postal_code),
    ] {
        p.take(single_line(field, label, value, 300));
    }
    if d.work.is_empty() {
        p.push(
            Violation::new("REQUIRED", "List your library work: at least one entry.").on("work"),
        );
    }
    if d.education.is_empty() {
        p.push(
            Violation::new(
                "REQUIRED",
                "List your education: a high-school diploma, a GED or higher.",
            )
            .on("education"),
        );
    }
    if app.marketing_source.is_none() {
        p.push(
            Violation::new("REQUIRED", "Tell us how you heard of the programme.")
                .on("marketingSource"),
        );
    }
    if app.consent_award_notice {
        if app.employer_name.is_none() || app.employer_address.is_none() {
            p.push(
                Violation::new(
                    "REQUIRED",
                    "For an award notice to your employer, give its name and email address.",
                )
                .on("employerNoticeEmail"),
            );
        }
        if app.state_library_name.is_none() || app.state_library_address.is_none() {
            p.push(
                Violation::new(
                    "REQUIRED",
                    "For an award notice to your state library, give its name and email address.",
                )
                .on("stateLibraryNoticeEmail"),
            );
        }
    }
    p.into_result()?;
    let explanation = eligibility::decide(&eligibility_request(ctx, &d, None));
    let fee = candidate_fee(&ctx.config.fees, app.ala_member);
    let before = snapshot(app);
    let mut am: application::ActiveModel = d.application.clone().into();
    am.status = Set(status_of(explanation.outcome));
    am.eligibility = Set(Some(
        serde_json::to_value(&explanation).map_err(DomainError::internal)?,
    ));
    am.eligibility_decided_at = Set(match explanation.outcome {
        Outcome::NeedsEducationReview => None,
        _ => Some(now),
    });
    am.fee_cents = Set(Some(fee));
    am.submitted_at = Set(Some(now));
    am.updated_at = Set(now);
    let submitted = am.update(&txn).await?;
    outbox::queue_email(
        &txn,
        now,
        Email {
            key: format!("application_submitted:{}:{}", submitted.id, now.timestamp()),
            account_id: Some(submitted.account_id),
            to: submitted.email.clone(),
            to_name: Some(submitted.given_name.clone()),
            template: EmailTemplate::ApplicationSubmitted,
            params: json!({
                "name": submitted.given_name,
                "outcome": explanation.outcome,
                "counted_hours": explanation.counted_hours,
                "required_hours": explanation.required_hours,
                "window_starts_on": explanation.window_starts_on.to_string(),
                "window_ends_on": explanation.window_ends_on.to_string(),
                "shortfalls": explanation.shortfalls,
                "fee": dollars(fee),
                "fee_due": dollars(std::cmp::max(fee - d.paid_cents, 0)),
            }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("application.submit", "application", submitted.id)
        .before(before)
        .after(json!({ "status": submitted.status, "eligibility": submitted.eligibility, "feeCents": fee }))
        .write(&txn, actor, now)
        .await?;
    try_accept(&txn, ctx, actor, &submitted).await?;
    let out = detail(&txn, load(&txn, id).await?).await?;
    txn.commit().await?;
    ctx.sessions().forget_account(submitted.account_id);
    ctx.outbox_written();
    Ok(out)
}

/// Withdraws the caller's application, at any point before it is accepted.
pub async fn withdraw(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<ApplicationDetail> {
    let viewer = actor.viewer()?.clone();
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let a = visible(&txn, actor, id).await?;
    if a.account_id != viewer.account_id && !viewer.is_staff() {
        return Err(DomainError::forbidden(
            "Only the applicant (or staff) withdraws an application.",
        ));
    }
    if matches!(
        a.status,
        ApplicationStatus::Accepted | ApplicationStatus::Withdrawn
    ) {
        return Err(DomainError::invalid(Violation::new(
            "CANNOT_WITHDRAW",
            "An accepted or already withdrawn application cannot be withdrawn.",
        )));
    }
    let before = snapshot(&a);
    let mut am: application::ActiveModel = a.into();
    am.status = Set(ApplicationStatus::Withdrawn);
    am.withdrawn_at = Set(Some(now));
    am.updated_at = Set(now);
    let w = am.update(&txn).await?;
    AuditEntry::new("application.withdraw", "application", w.id)
        .before(before)
        .after(snapshot(&w))
        .write(&txn, actor, now)
        .await?;
    let out = detail(&txn, w).await?;
    txn.commit().await?;
    Ok(out)
}

/// Staff decide on education from outside the US, with a recorded reason. Eligibility is
/// then decided again as of today, and the application accepted if it is also paid.
pub async fn decide_education(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    accept: bool,
    reason: &str,
) -> DomainResult<ApplicationDetail> {
    let viewer = actor
        .require_staff()?
        .ok_or_else(|| DomainError::forbidden("Staff decide on education."))?
        .clone();
    let reason = required("reason", "The reason for the decision", reason, 5_000)?;
    let now = ctx.now();
    let txn = ctx.begin_write().await?;
    let a = load(&txn, id).await?;
    if a.status != ApplicationStatus::AwaitingEducationReview {
        return Err(DomainError::invalid(Violation::new(
            "NOT_AWAITING_REVIEW",
            "This application is not waiting for an education decision.",
        )));
    }
    let d = detail(&txn, a).await?;
    let explanation = eligibility::decide(&eligibility_request(ctx, &d, Some(accept)));
    let before = snapshot(&d.application);
    let mut am: application::ActiveModel = d.application.clone().into();
    am.status = Set(status_of(explanation.outcome));
    am.eligibility = Set(Some(
        serde_json::to_value(&explanation).map_err(DomainError::internal)?,
    ));
    am.eligibility_decided_at = Set(Some(now));
    am.education_decision = Set(Some(if accept {
        EducationDecision::Accepted
    } else {
        EducationDecision::Refused
    }));
    am.education_decision_reason = Set(Some(reason.clone()));
    am.education_decided_by = Set(Some(viewer.account_id));
    am.education_decided_at = Set(Some(now));
    am.updated_at = Set(now);
    let decided = am.update(&txn).await?;
    let fee = decided.fee_cents.unwrap_or(0);
    outbox::queue_email(
        &txn,
        now,
        Email {
            key: format!("education_decided:{}", decided.id),
            account_id: Some(decided.account_id),
            to: decided.email.clone(),
            to_name: Some(decided.given_name.clone()),
            template: EmailTemplate::EducationDecided,
            params: json!({
                "name": decided.given_name,
                "accepted": accept,
                "reason": reason,
                "outcome": explanation.outcome,
                "shortfalls": explanation.shortfalls,
                "fee_due": dollars(std::cmp::max(fee - d.paid_cents, 0)),
            }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("application.decide_education", "application", decided.id)
        .before(before)
        .after(json!({ "status": decided.status, "educationDecision": decided.education_decision, "reason": reason }))
        .write(&txn, actor, now)
        .await?;
    try_accept(&txn, ctx, actor, &decided).await?;
    let out = detail(&txn, load(&txn, id).await?).await?;
    txn.commit().await?;
    ctx.sessions().forget_account(decided.account_id);
    ctx.outbox_written();
    Ok(out)
}

/// Accepts an application that is eligible and paid in full: the candidacy starts today,
/// with its deadline and record subscription, and the account becomes a candidate.
/// Does nothing otherwise. Called after every change that could complete the pair; the
/// caller forgets the account's kept sessions once it commits, as the role is new.
pub async fn try_accept<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    actor: &Actor,
    a: &application::Model,
) -> DomainResult<Option<candidacy::Model>> {
    if a.status != ApplicationStatus::Eligible {
        return Ok(None);
    }
    let fee = a.fee_cents.unwrap_or(0);
    if paid(db, a.id).await? < fee {
        return Ok(None);
    }
    let now = ctx.now();
    let today = ctx.today();
    let rules = &ctx.config.candidacy;
    // A pseudonym for blind review: random, so it says nothing about the candidate.
    let mut pseudonym = format!("Candidate {}", readable_code(6));
    while candidacy::Entity::find()
        .filter(candidacy::Column::Pseudonym.eq(pseudonym.clone()))
        .one(db)
        .await?
        .is_some()
    {
        pseudonym = format!("Candidate {}", readable_code(6));
    }
    let c = candidacy::ActiveModel {
        application_id: Set(a.id),
        account_id: Set(a.account_id),
        number: Set(format!("LSS-{:06}", a.id)),
        pseudonym: Set(pseudonym),
        status: Set(CandidacyStatus::Active),
        started_on: Set(today),
        deadline_on: Set(add_years(today, rules.years_to_complete)),
        car_expires_on: Set(add_years(today, rules.car_subscription_years)),
        lapsed_at: Set(None),
        certified_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut am: application::ActiveModel = a.clone().into();
    am.status = Set(ApplicationStatus::Accepted);
    am.accepted_at = Set(Some(now));
    am.updated_at = Set(now);
    am.update(db).await?;
    accounts::add_role(db, actor, a.account_id, Role::Candidate, now).await?;
    outbox::queue_email(
        db,
        now,
        Email {
            key: format!("candidacy_accepted:{}", c.id),
            account_id: Some(a.account_id),
            to: a.email.clone(),
            to_name: Some(a.given_name.clone()),
            template: EmailTemplate::CandidacyAccepted,
            params: json!({
                "name": a.given_name,
                "number": c.number,
                "started_on": c.started_on.to_string(),
                "deadline_on": c.deadline_on.to_string(),
                "car_expires_on": c.car_expires_on.to_string(),
            }),
            secret: None,
            batch_id: None,
        },
    )
    .await?;
    AuditEntry::new("candidacy.start", "candidacy", c.id)
        .after(json!({ "applicationId": a.id, "startedOn": c.started_on, "deadlineOn": c.deadline_on, "carExpiresOn": c.car_expires_on }))
        .write(db, actor, now)
        .await?;
    Ok(Some(c))
}

/// One application the caller may see.
pub async fn get(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<ApplicationDetail> {
    let a = visible(&ctx.db, actor, id).await?;
    detail(&ctx.db, a).await
}

/// The caller's latest application, if any.
pub async fn mine(ctx: &Context, actor: &Actor) -> DomainResult<Option<ApplicationDetail>> {
    let viewer = actor.viewer()?;
    let a = application::Entity::find()
        .filter(application::Column::AccountId.eq(viewer.account_id))
        .order_by_desc(application::Column::Id)
        .one(&ctx.db)
        .await?;
    match a {
        Some(a) => Ok(Some(detail(&ctx.db, a).await?)),
        None => Ok(None),
    }
}

/// Applications for staff, newest first, optionally of one status (the education review
/// queue is `AwaitingEducationReview`).
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    status: Option<ApplicationStatus>,
    after_id: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<application::Model>> {
    actor.require_staff()?;
    let mut q = application::Entity::find().order_by_desc(application::Column::Id);
    if let Some(s) = status {
        q = q.filter(application::Column::Status.eq(s));
    }
    if let Some(after) = after_id {
        q = q.filter(application::Column::Id.lt(after));
    }
    Ok(q.limit(limit).all(&ctx.db).await?)
}

/// For payments: the application a candidate fee is paid towards.
pub(crate) async fn fee_target<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> DomainResult<application::Model> {
    load(db, id).await
}
