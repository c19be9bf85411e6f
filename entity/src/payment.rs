//! Every fee the programme receives: candidate fees, provider course fees, renewal fees.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a payment pays for; decides which of the three references is set.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// The application fee, which includes the CAR subscription (`application_id`).
    CandidateFee,
    /// A provider's course-approval fee (`course_submission_id`).
    CourseFee,
    /// A certificate renewal fee (`renewal_id`).
    RenewalFee,
}

/// How the money was paid.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// A card payment.
    Card,
    /// A cheque.
    Check,
    /// A bank transfer.
    BankTransfer,
    /// Cash.
    Cash,
    /// An institutional purchase order.
    PurchaseOrder,
    /// Anything else; `reference` says what.
    Other,
}

/// One payment recorded by staff, counted in revenue by year against the business plan.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: PaymentKind,
    pub amount_cents: i64,
    pub method: PaymentMethod,
    /// The cheque number, transaction id or order number.
    pub reference: Option<String>,
    /// The day the money was received; revenue is reported by this day's year.
    pub paid_on: Date,
    /// The staff member who recorded it.
    pub recorded_by: i64,
    /// The application paid for, for a candidate fee.
    pub application_id: Option<i64>,
    /// The course submission paid for, for a course fee.
    pub course_submission_id: Option<i64>,
    /// The renewal paid for, for a renewal fee.
    pub renewal_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
