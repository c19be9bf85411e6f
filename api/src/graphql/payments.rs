//! Recording payments (staff).

use super::{actor, services};
use crate::error::{UserError, parse_id, payload};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use domain::services::payments;
use entity::payment;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::payment::PaymentKind")]
pub enum PaymentKind {
    CandidateFee,
    CourseFee,
    RenewalFee,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::payment::PaymentMethod")]
pub enum PaymentMethod {
    Card,
    Check,
    BankTransfer,
    Cash,
    PurchaseOrder,
    Other,
}

/// A recorded payment.
pub struct Payment(pub payment::Model);

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn kind(&self) -> PaymentKind {
        self.0.kind.into()
    }

    /// The amount in cents.
    async fn amount_cents(&self) -> i64 {
        self.0.amount_cents
    }

    async fn method(&self) -> PaymentMethod {
        self.0.method.into()
    }

    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }

    async fn paid_on(&self) -> NaiveDate {
        self.0.paid_on
    }

    /// The receipt number sent to the payer.
    async fn receipt_number(&self) -> String {
        format!("R-{:06}", self.0.id)
    }
}

/// A payment as staff enter it. Name exactly one thing it pays for.
#[derive(InputObject)]
pub struct RecordPaymentInput {
    /// A course submission's approval fee.
    pub course_submission_id: Option<ID>,
    /// An application's candidate fee.
    pub application_id: Option<ID>,
    /// A renewal's fee.
    pub renewal_id: Option<ID>,
    /// In cents, e.g. 10000 for $100.00.
    pub amount_cents: i64,
    pub method: PaymentMethod,
    /// A check number, transaction id or invoice number.
    pub reference: Option<String>,
    pub paid_on: NaiveDate,
}

#[derive(SimpleObject)]
pub struct RecordPaymentPayload {
    pub payment: Option<Payment>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct PaymentMutation;

#[Object]
impl PaymentMutation {
    /// Records a payment and emails a receipt. Staff only.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> Result<RecordPaymentPayload> {
        let paid_for = match (
            input.course_submission_id,
            input.application_id,
            input.renewal_id,
        ) {
            (Some(id), None, None) => {
                payments::PaymentFor::CourseSubmission(parse_id(&id, "course submission")?)
            }
            (None, Some(id), None) => {
                payments::PaymentFor::Application(parse_id(&id, "application")?)
            }
            (None, None, Some(id)) => payments::PaymentFor::Renewal(parse_id(&id, "renewal")?),
            _ => {
                return Ok(RecordPaymentPayload {
                    payment: None,
                    user_errors: vec![UserError {
                        field: Some("courseSubmissionId".into()),
                        message: "Name exactly one thing the payment is for: a course submission, an application or a renewal.".into(),
                        code: "REQUIRED".into(),
                    }],
                });
            }
        };
        let (p, user_errors) = payload(
            payments::record(
                services(ctx),
                actor(ctx),
                payments::PaymentInput {
                    paid_for,
                    amount_cents: input.amount_cents,
                    method: input.method.into(),
                    reference: input.reference,
                    paid_on: input.paid_on,
                },
            )
            .await,
        )?;
        Ok(RecordPaymentPayload {
            payment: p.map(Payment),
            user_errors,
        })
    }
}
