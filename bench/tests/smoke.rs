//! The generator at a tiny scale into fresh SQLite databases: it loads every table the
//! programme's history needs, and the same seed gives the same rows.

// A failed step is the test's failure; the helpers below are part of it.
#![allow(clippy::expect_used)]

use bench::generate::{self, TABLES, plan::Config};
use bench::sink::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::path::Path;

const SCALE: f64 = 0.001;

fn config(seed: u64) -> Config {
    Config {
        seed,
        scale: SCALE,
        as_of: generate::default_as_of(),
    }
}

fn url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

async fn fresh(path: &Path) -> DatabaseConnection {
    let db = bench::connect(&url(path)).await.expect("connect");
    generate::prepare(&db, false).await.expect("migrate");
    db
}

async fn count(db: &DatabaseConnection, sql: String) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index(0).expect("a count")
}

#[tokio::test]
async fn a_tiny_data_set_loads_and_is_reproducible() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a_path, b_path, c_path) = (
        dir.path().join("a.db"),
        dir.path().join("b.db"),
        dir.path().join("c.db"),
    );

    let a = fresh(&a_path).await;
    let report = generate::generate(&a, &config(7), Method::Insert)
        .await
        .expect("generate a");
    // The tables every benchmark query reads must have rows even at this scale.
    for table in [
        "account",
        "session",
        "application",
        "candidacy",
        "achievement",
        "evaluator",
        "portfolio",
        "review_round",
        "review",
        "course",
        "course_approval",
        "certificate",
        "notification",
        "audit_log",
    ] {
        assert!(report.rows(table) > 0, "{table} is empty: {report:?}");
    }
    // What the report says was written is what the database holds.
    for (table, n) in &report.tables {
        let held = count(&a, format!("SELECT COUNT(*) FROM \"{table}\"")).await;
        assert_eq!(held, *n as i64, "{table}");
    }

    let b = fresh(&b_path).await;
    let again = generate::generate(&b, &config(7), Method::Insert)
        .await
        .expect("generate b");
    assert_eq!(report.tables, again.tables);
    drop(b);

    // Row by row, in both directions: EXCEPT compares every column of every row.
    a.execute_unprepared(&format!("ATTACH DATABASE '{}' AS other", b_path.display()))
        .await
        .expect("attach");
    for table in TABLES {
        for (x, y) in [("main", "other"), ("other", "main")] {
            let differing = count(
                &a,
                format!(
                    "SELECT COUNT(*) FROM (SELECT * FROM {x}.\"{table}\" EXCEPT SELECT * FROM {y}.\"{table}\")"
                ),
            )
            .await;
            assert_eq!(differing, 0, "{table}: rows of {x} not in {y}");
        }
    }
    a.execute_unprepared("DETACH DATABASE other")
        .await
        .expect("detach");

    // A different seed gives different people.
    let c = fresh(&c_path).await;
    generate::generate(&c, &config(8), Method::Insert)
        .await
        .expect("generate c");
    drop(c);
    a.execute_unprepared(&format!("ATTACH DATABASE '{}' AS other", c_path.display()))
        .await
        .expect("attach");
    let differing = count(
        &a,
        "SELECT COUNT(*) FROM (SELECT email FROM main.account EXCEPT SELECT email FROM other.account)"
            .to_owned(),
    )
    .await;
    assert!(differing > 0, "seeds 7 and 8 gave the same accounts");
}
