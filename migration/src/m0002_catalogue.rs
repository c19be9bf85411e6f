//! The competency catalogue: the ten competency sets and their 151 competencies, created
//! and seeded together so that every database starts with the same fixed catalogue.

use crate::catalogue::SETS;
use crate::schema_helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["competency_set", "competency"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableSet {
            tables: vec![
                (
                    table("competency_set")
                        .col(text("code"))
                        .col(text("name"))
                        .col(boolean("required"))
                        .col(text("description"))
                        .col(text("revision_note"))
                        .col(integer("position"))
                        .to_owned(),
                    vec![index("competency_set", &["code"], true)],
                ),
                (
                    table("competency")
                        .col(reference("set_id"))
                        .col(integer("number"))
                        .col(text("kind"))
                        .col(text_null("part"))
                        .col(text("text"))
                        .col(integer("position"))
                        .foreign_key(&mut fk(
                            "competency",
                            "set_id",
                            "competency_set",
                            ForeignKeyAction::Cascade,
                        ))
                        .to_owned(),
                    vec![index("competency", &["set_id", "number"], true)],
                ),
            ],
        }
        .up(manager)
        .await?;
        seed(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableSet::down(TABLES, manager).await
    }
}

/// Inserts the catalogue. Each set's id is read back by its unique code rather than taken
/// from `RETURNING`, so the same statements work on SQLite and PostgreSQL.
async fn seed(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for (position, set) in (1_i32..).zip(SETS) {
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("competency_set")
                    .columns([
                        "code",
                        "name",
                        "required",
                        "description",
                        "revision_note",
                        "position",
                    ])
                    .values([
                        set.code.into(),
                        set.name.into(),
                        set.required.into(),
                        set.description.into(),
                        set.revision_note.into(),
                        position.into(),
                    ])
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await?;

        let select = Query::select()
            .column("id")
            .from("competency_set")
            .and_where(Expr::col("code").eq(set.code))
            .to_owned();
        let row = db
            .query_one(&select)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("competency_set {}", set.code)))?;
        let set_id: i64 = row.try_get("", "id")?;

        let mut insert = Query::insert();
        insert
            .into_table("competency")
            .columns(["set_id", "number", "kind", "part", "text", "position"]);
        for c in set.competencies {
            insert
                .values([
                    set_id.into(),
                    c.number.into(),
                    c.kind.as_str().into(),
                    c.part.into(),
                    c.text.into(),
                    c.number.into(),
                ])
                .map_err(|e| DbErr::Migration(e.to_string()))?;
        }
        manager.exec_stmt(insert).await?;
    }
    Ok(())
}
