//! Extensions of a candidacy's four-year deadline, granted by staff with a reason.

use sea_orm::entity::prelude::*;

/// One extension: the deadline before and after, and why staff granted it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deadline_extension")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub candidacy_id: i64,
    pub previous_deadline_on: Date,
    pub new_deadline_on: Date,
    /// Why the extension was granted; required by the programme's rules.
    pub reason: String,
    /// The staff member who granted it.
    pub granted_by: i64,
    pub granted_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "candidacy_id", to = "id")]
    pub candidacy: HasOne<super::candidacy::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
