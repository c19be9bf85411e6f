//! Small builders shared by the migrations, so every table follows `docs/data-model.md`'s
//! conventions the same way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// A new table with a 64-bit auto-increment `id`.
pub fn table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(big_pk_auto("id"))
        .to_owned()
}

/// A required reference to `target.id`.
pub fn reference(col: &'static str) -> ColumnDef {
    big_integer(col)
}

/// An optional reference to `target.id`.
pub fn reference_null(col: &'static str) -> ColumnDef {
    big_integer_null(col)
}

/// A `TIMESTAMP WITH TIME ZONE NOT NULL` column.
pub fn instant(col: &'static str) -> ColumnDef {
    timestamp_with_time_zone(col)
}

/// A nullable `TIMESTAMP WITH TIME ZONE` column.
pub fn instant_null(col: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(col)
}

/// A foreign key `table.col → target.id` with the given delete behaviour.
pub fn fk(
    table: &'static str,
    col: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(target, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}

/// A (possibly unique) index named after its table and columns.
pub fn index(table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let prefix = if unique { "ux" } else { "ix" };
    let mut stmt = Index::create();
    stmt.name(format!("{prefix}_{table}_{}", cols.join("_")))
        .table(table);
    for col in cols {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

/// Creates tables, then their indexes, in order; drops them in reverse on the way down.
pub struct TableSet {
    pub tables: Vec<(TableCreateStatement, Vec<IndexCreateStatement>)>,
}

impl TableSet {
    pub async fn up(self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        for (table, indexes) in self.tables {
            manager.create_table(table).await?;
            for idx in indexes {
                manager.create_index(idx).await?;
            }
        }
        Ok(())
    }

    pub async fn down(names: &[&'static str], manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        for name in names.iter().rev() {
            manager
                .drop_table(Table::drop().table(*name).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
