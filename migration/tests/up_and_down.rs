//! Every migration goes up and down cleanly on SQLite and, when `TEST_DATABASE_URL`
//! points at PostgreSQL, on PostgreSQL too; the seeded catalogue reads back intact on both.

// The helpers below are test code too: like the tests, they fail by panicking.
#![allow(clippy::expect_used)]

use migration::catalogue::SETS;
use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

async fn round_trip(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("migrations go up");
    Migrator::down(db, None).await.expect("migrations go down");
    Migrator::up(db, None)
        .await
        .expect("migrations go up again after going down");
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count query runs")
        .expect("count returns a row")
        .try_get("", "n")
        .expect("count is an integer")
}

/// Reads the seeded catalogue back with raw SQL: the counts, and one competency (with its
/// newlines, bullets and the set it belongs to) compared byte for byte with the seed.
async fn check_catalogue(db: &DatabaseConnection) {
    assert_eq!(
        count(db, "SELECT COUNT(*) AS n FROM competency_set").await,
        10
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM competency_set WHERE required"
        )
        .await,
        3
    );
    assert_eq!(count(db, "SELECT COUNT(*) AS n FROM competency").await, 151);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM competency WHERE kind NOT IN ('will_know', 'will_be_able_to')"
        )
        .await,
        0
    );

    let foundations = SETS
        .iter()
        .find(|s| s.code == "FOUNDATIONS")
        .expect("seed has Foundations");
    let expected = foundations
        .competencies
        .iter()
        .find(|c| c.number == 5)
        .expect("Foundations has competency 5");
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT c.text, c.kind, c.part, c.position, s.name, s.position AS set_position \
             FROM competency c JOIN competency_set s ON s.id = c.set_id \
             WHERE s.code = 'FOUNDATIONS' AND c.number = 5",
        ))
        .await
        .expect("competency query runs")
        .expect("Foundations 5 is seeded");
    let text: String = row.try_get("", "text").expect("text");
    assert_eq!(text, expected.text);
    assert!(text.contains("\n• acquisitions and collection development."));
    let kind: String = row.try_get("", "kind").expect("kind");
    assert_eq!(kind, "will_know");
    let part: Option<String> = row.try_get("", "part").expect("part");
    assert_eq!(part, None);
    let position: i32 = row.try_get("", "position").expect("position");
    assert_eq!(position, 5);
    let name: String = row.try_get("", "name").expect("name");
    assert_eq!(name, "Foundations of Library Service");
    let set_position: i32 = row.try_get("", "set_position").expect("set position");
    assert_eq!(set_position, 2);
}

#[tokio::test]
async fn catalogue_is_seeded_on_sqlite() {
    let db = Database::connect("sqlite::memory:")
        .await
        .expect("sqlite connects");
    db.execute_unprepared("PRAGMA foreign_keys = ON")
        .await
        .expect("pragma");
    Migrator::up(&db, None).await.expect("migrations go up");
    check_catalogue(&db).await;
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
    check_catalogue(&db).await;
    db.close().await.expect("close");
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("DROP DATABASE {name}"),
        ))
        .await
        .expect("drop");
}
