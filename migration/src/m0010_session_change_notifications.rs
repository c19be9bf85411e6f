//! PostgreSQL tells every API process when a session, an account's roles or an account's
//! standing changes, so that the processes may keep signed-in sessions in memory and still
//! never use one past its revocation (`domain::session_cache`).
//!
//! Each statement that touches those tables sends one notification on the
//! `lsscp_sessions` channel when its transaction commits: the account ids it touched,
//! separated by commas, or `*` when there are too many to list (a housekeeping sweep, a
//! `TRUNCATE`), which asks for everything to be forgotten. The triggers fire for changes
//! made by anyone, the services, an operator's SQL or a cascade alike.
//!
//! SQLite has no notifications; there the API looks each session up in the database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Beyond this many accounts one notification says `*`: a payload holds at most 8,000
/// bytes, and forgetting everything after a sweep costs only a lookup per signed-in user.
const MAX_LISTED: usize = 200;

/// A table whose changes end sessions.
struct Watched {
    table: &'static str,
    /// The column that names the account.
    account: &'static str,
    /// Each event with the transition table that holds its rows.
    events: &'static [(&'static str, &'static str)],
}

const WATCHED: &[Watched] = &[
    Watched {
        table: "session",
        account: "account_id",
        events: &[("UPDATE", "NEW"), ("DELETE", "OLD")],
    },
    Watched {
        table: "account_role",
        account: "account_id",
        events: &[("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")],
    },
    Watched {
        table: "account",
        account: "id",
        events: &[("UPDATE", "NEW"), ("DELETE", "OLD")],
    },
];

fn function_sql(column: &str) -> String {
    format!(
        r#"CREATE OR REPLACE FUNCTION lsscp_sessions_changed_{column}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched bigint;
    listed text;
BEGIN
    SELECT count(DISTINCT {column}), string_agg(DISTINCT {column}::text, ',')
      INTO touched, listed
      FROM changed;
    IF touched > 0 THEN
        PERFORM pg_notify('lsscp_sessions', CASE WHEN touched > {MAX_LISTED} THEN '*' ELSE listed END);
    END IF;
    RETURN NULL;
END
$$"#
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for column in ["account_id", "id"] {
            db.execute_unprepared(&function_sql(column)).await?;
        }
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION lsscp_sessions_truncated() RETURNS trigger \
             LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('lsscp_sessions', '*'); \
             RETURN NULL; END $$",
        )
        .await?;
        for Watched {
            table,
            account: column,
            events,
        } in WATCHED
        {
            for (event, rows) in *events {
                let name = format!("{table}_{}_sessions_changed", event.to_lowercase());
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {name} AFTER {event} ON \"{table}\" \
                     REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT \
                     EXECUTE FUNCTION lsscp_sessions_changed_{column}()"
                ))
                .await?;
            }
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_truncate_sessions_changed AFTER TRUNCATE ON \"{table}\" \
                 FOR EACH STATEMENT EXECUTE FUNCTION lsscp_sessions_truncated()"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for Watched { table, events, .. } in WATCHED {
            let names = events
                .iter()
                .map(|(event, _)| event.to_lowercase())
                .chain(["truncate".to_owned()]);
            for event in names {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS {table}_{event}_sessions_changed ON \"{table}\""
                ))
                .await?;
            }
        }
        for function in [
            "lsscp_sessions_changed_account_id",
            "lsscp_sessions_changed_id",
            "lsscp_sessions_truncated",
        ] {
            db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()"))
                .await?;
        }
        Ok(())
    }
}
