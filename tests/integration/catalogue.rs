//! The competency catalogue, as the public reads it. Expected texts are quoted from the
//! programme document (appendix B), not from the seed.

use crate::support::{TestApp, data};
use serde_json::{Value, json};

const CATALOGUE: &str = "{ competencySets { code name required position revisionNote \
                         competencies { number kind part text } } }";

fn competency<'a>(sets: &'a [Value], code: &str, number: i64) -> &'a Value {
    let set = sets
        .iter()
        .find(|s| s["code"] == json!(code))
        .unwrap_or_else(|| panic!("no set {code}"));
    set["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == json!(number))
        .unwrap_or_else(|| panic!("no competency {code} {number}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_catalogue_has_ten_sets_three_required_and_151_competencies() {
    let app = TestApp::builder().without_worker().start().await;
    let r = app.gql(CATALOGUE, json!({})).await;
    let sets = data(&r)["competencySets"].as_array().unwrap().clone();

    let codes: Vec<&str> = sets.iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        [
            "COMMUNICATION_TEAMWORK",
            "FOUNDATIONS",
            "TECHNOLOGY",
            "ACCESS_SERVICES",
            "ADULT_READERS_ADVISORY",
            "CATALOGING_CLASSIFICATION",
            "COLLECTION_MANAGEMENT",
            "REFERENCE_INFORMATION",
            "SUPERVISION_MANAGEMENT",
            "YOUTH_SERVICES",
        ]
    );
    let required: Vec<&str> = sets
        .iter()
        .filter(|s| s["required"] == json!(true))
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        ["COMMUNICATION_TEAMWORK", "FOUNDATIONS", "TECHNOLOGY"]
    );
    let positions: Vec<i64> = sets
        .iter()
        .map(|s| s["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (1..=10).collect::<Vec<_>>());

    let counts: Vec<usize> = sets
        .iter()
        .map(|s| s["competencies"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [22, 11, 13, 16, 15, 10, 14, 13, 21, 16]);
    assert_eq!(counts.iter().sum::<usize>(), 151);
    for set in &sets {
        let numbers: Vec<i64> = set["competencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["number"].as_i64().unwrap())
            .collect();
        let expected: Vec<i64> = (1..=numbers.len() as i64).collect();
        assert_eq!(numbers, expected, "{}", set["code"]);
    }

    // Kinds: Foundations lists 1–8 under "will know" and 9–11 under "will be able to".
    let kinds: Vec<&str> = sets[1]["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [vec!["WILL_KNOW"; 8], vec!["WILL_BE_ABLE_TO"; 3]].concat()
    );
    assert_eq!(
        competency(&sets, "SUPERVISION_MANAGEMENT", 11)["kind"],
        json!("WILL_KNOW")
    );
    assert_eq!(
        competency(&sets, "SUPERVISION_MANAGEMENT", 12)["kind"],
        json!("WILL_BE_ABLE_TO")
    );

    // Parts: only the two divided sets have them.
    for (code, number, part) in [
        ("COMMUNICATION_TEAMWORK", 14, json!("Communication")),
        (
            "COMMUNICATION_TEAMWORK",
            15,
            json!("Team Work and Decision-Making"),
        ),
        ("SUPERVISION_MANAGEMENT", 6, json!("Supervision")),
        ("SUPERVISION_MANAGEMENT", 7, json!("Management")),
        ("TECHNOLOGY", 1, Value::Null),
        ("YOUTH_SERVICES", 16, Value::Null),
    ] {
        assert_eq!(
            competency(&sets, code, number)["part"],
            part,
            "{code} {number}"
        );
    }

    for (code, number, text) in [
        ("FOUNDATIONS", 9, "Practice quality customer service."),
        (
            "FOUNDATIONS",
            5,
            "Basic principles of:\n• reference and information services;\n• circulation, including interlibrary loan and collection maintenance;\n• current cataloging and classification systems\n• acquisitions and collection development.",
        ),
        (
            "COMMUNICATION_TEAMWORK",
            17,
            "Participate effectively on teams and in groups and commit to meeting agreed-upon goals and objectives.",
        ),
        (
            "SUPERVISION_MANAGEMENT",
            16,
            "Build positive relationships between staff and users, applying concepts of user-oriented customer service.",
        ),
        (
            "YOUTH_SERVICES",
            15,
            "Manage youth problem behavior and emergency situations.",
        ),
    ] {
        assert_eq!(
            competency(&sets, code, number)["text"],
            json!(text),
            "{code} {number}"
        );
    }
    assert_eq!(sets[1]["name"], json!("Foundations of Library Service"));
    assert_eq!(sets[1]["revisionNote"], json!("revised July 21, 2008"));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_set_is_found_by_its_code_and_an_unknown_code_is_null() {
    let app = TestApp::builder().without_worker().start().await;
    let query = "query($code: String!) { competencySet(code: $code) { code required competencies { number } } }";

    let r = app.gql(query, json!({ "code": "TECHNOLOGY" })).await;
    let set = &data(&r)["competencySet"];
    assert_eq!(set["code"], json!("TECHNOLOGY"));
    assert_eq!(set["required"], json!(true));
    assert_eq!(set["competencies"].as_array().map(Vec::len), Some(13));

    let r = app.gql(query, json!({ "code": "ASTROLOGY" })).await;
    assert_eq!(data(&r)["competencySet"], Value::Null);
}
