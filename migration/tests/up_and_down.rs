//! Every migration goes up and down cleanly on SQLite and, when `TEST_DATABASE_URL`
//! points at PostgreSQL, on PostgreSQL too.

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

async fn round_trip(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("migrations go up");
    Migrator::down(db, None).await.expect("migrations go down");
    Migrator::up(db, None)
        .await
        .expect("migrations go up again after going down");
}

#[tokio::test]
async fn migrations_round_trip_on_sqlite() {
    let db = Database::connect("sqlite::memory:")
        .await
        .expect("sqlite connects");
    db.execute_unprepared("PRAGMA foreign_keys = ON")
        .await
        .expect("pragma");
    round_trip(&db).await;
}

#[tokio::test]
async fn migrations_round_trip_on_postgres() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL half skipped");
        return;
    };
    let admin = Database::connect(&url).await.expect("postgres connects");
    let name = format!("lsscp_migration_{}", std::process::id());
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("DROP DATABASE IF EXISTS {name}"),
        ))
        .await
        .expect("drop");
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("CREATE DATABASE {name}"),
        ))
        .await
        .expect("create");
    let base = url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .expect("url has a database");
    let db = Database::connect(format!("{base}/{name}"))
        .await
        .expect("fresh database connects");
    round_trip(&db).await;
    db.close().await.expect("close");
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("DROP DATABASE {name}"),
        ))
        .await
        .expect("drop");
}
