//! Deleting what has stopped mattering: expired sessions and one-time tokens, and records
//! of failed sign-ins older than the window that counts them.

use crate::context::Context;
use crate::error::DomainResult;
use chrono::Duration;
use entity::{account_token, login_failure, session, unknown_login_failure};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// What one housekeeping pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub tokens: u64,
    pub login_failures: u64,
}

/// Deletes sessions and tokens that expired more than a day ago (kept a day so that a
/// person who comes back late gets "expired" rather than "unknown"), and failed sign-ins
/// older than a day.
pub async fn sweep(ctx: &Context) -> DomainResult<Swept> {
    let cutoff = ctx.now() - Duration::days(1);
    let sessions = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lt(cutoff))
        .exec(&ctx.db)
        .await?
        .rows_affected;
    let tokens = account_token::Entity::delete_many()
        .filter(account_token::Column::ExpiresAt.lt(cutoff))
        .exec(&ctx.db)
        .await?
        .rows_affected;
    let login_failures = login_failure::Entity::delete_many()
        .filter(login_failure::Column::At.lt(cutoff))
        .exec(&ctx.db)
        .await?
        .rows_affected
        + unknown_login_failure::Entity::delete_many()
            .filter(unknown_login_failure::Column::At.lt(cutoff))
            .exec(&ctx.db)
            .await?
            .rows_affected;
    Ok(Swept {
        sessions,
        tokens,
        login_failures,
    })
}
