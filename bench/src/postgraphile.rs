//! The five benchmark queries as PostGraphile 4.14 answers them (`bench/postgraphile/`), and
//! the client-side step that turns its answer into exactly the API's.
//!
//! PostGraphile exposes the tables, not the domain: what the API computes on the server
//! (each set's progress status, the funnel, the per-set and monthly counts) is fetched here
//! as raw rows or aggregates in ONE GraphQL request per query, and [`normalise`] derives
//! the API's answer from it on the client, following the floor's SQL (`FLOOR_PROGRESS` in
//! `loadbench.rs`, which mirrors `domain::rules::progress::status`). That derivation is not
//! timed: the load test only measures PostGraphile answering the document.
//!
//! Plugins: `postgraphile-plugin-connection-filter` (`isNull`, `in`, `lessThanOrEqualTo`,
//! and a filter across foreign keys for Q5) and `@graphile/pg-aggregates` (grouped counts
//! for Q3), plus the month derivative of pg-aggregates' README (`server.js`).
//!
//! PostGraphile runs without authentication: the caller names the candidacy (Q1) and the
//! evaluator (Q4) instead of being them, and nothing checks a role (Q2, Q3).

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The parameters of the documents, taken from loadbench's fixture.
#[derive(Debug, Clone)]
pub struct Params {
    /// The candidacy whose progress Q1 reads.
    pub candidacy_id: i64,
    /// The evaluator whose queue Q4 reads.
    pub evaluator_id: i64,
    /// The competency set of Q5.
    pub set_code: String,
    /// The database's `CURRENT_DATE` (`YYYY-MM-DD`), for Q5's "approved today".
    pub today: String,
}

/// The rows a candidacy's progress is derived from; `orderBy: ID_ASC` so that the first
/// row of a set is the floor's `ORDER BY id LIMIT 1`.
const CANDIDACY_ROWS: &str = "number status \
    achievementsByCandidacyId(orderBy: ID_ASC) { nodes { setId method achievedOn } } \
    portfoliosByCandidacyId(orderBy: ID_ASC) { nodes { setId status } } \
    courseCompletionsByCandidacyId { nodes { setId status } }";

const SETS: &str = "allCompetencySets(orderBy: POSITION_ASC) { nodes { id code required } }";

/// A grouped count by one column's month.
fn by_month(column: &str) -> String {
    format!(
        "groupedAggregates(groupBy: [{column}_TRUNCATED_TO_MONTH]) {{ keys distinctCount {{ id }} }}"
    )
}

/// The GraphQL document of query `n` (1..=5), on one line.
pub fn document(n: u8) -> String {
    match n {
        1 => format!(
            "query Q1($candidacy: BigInt!) {{ candidacyById(id: $candidacy) {{ {CANDIDACY_ROWS} }} {SETS} }}"
        ),
        2 => format!(
            "query Q2 {{ allCandidacies(condition: {{ status: \"active\" }}, orderBy: ID_DESC, first: 50) \
             {{ nodes {{ {CANDIDACY_ROWS} }} }} {SETS} }}"
        ),
        3 => format!(
            "query Q3 {{ \
             applied: allApplications(filter: {{ submittedAt: {{ isNull: false }} }}) {{ totalCount {} }} \
             eligible: allApplications(filter: {{ status: {{ in: [\"eligible\", \"accepted\"] }} }}) {{ totalCount }} \
             accepted: allCandidacies {{ totalCount {} }} \
             lapsed: allCandidacies(condition: {{ status: \"lapsed\" }}) {{ totalCount }} \
             certified: allCertificates {{ totalCount {} }} \
             achievements: allAchievements {{ perSet: groupedAggregates(groupBy: [SET_ID, METHOD]) \
             {{ keys distinctCount {{ id }} }} {} }} \
             {SETS} }}",
            by_month("SUBMITTED_AT"),
            by_month("STARTED_ON"),
            by_month("ISSUED_ON"),
            by_month("ACHIEVED_ON"),
        ),
        4 => "query Q4($evaluator: BigInt!) { allReviews(condition: { evaluatorId: $evaluator, status: \"assigned\" }, \
              orderBy: ID_DESC, first: 200) { nodes { id status dueOn reviewRoundByRoundId { number \
              portfolioByPortfolioId { candidacyByCandidacyId { pseudonym } competencySetBySetId { code } } } } } }"
            .to_owned(),
        _ => "query Q5($set: String!, $today: Date!) { allCourseApprovals(filter: { \
              startsOn: { lessThanOrEqualTo: $today }, expiresOn: { greaterThan: $today }, \
              courseByCourseId: { competencySetBySetId: { code: { equalTo: $set } } } }, \
              orderBy: COURSE_ID_DESC, first: 50) { nodes { startsOn expiresOn \
              courseByCourseId { id competencySetBySetId { code } providerByProviderId { id name } } } } }"
            .to_owned(),
    }
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ")
}

/// The variables of query `n`. PostGraphile's `BigInt` takes a string.
pub fn variables(n: u8, p: &Params) -> Value {
    match n {
        1 => json!({ "candidacy": p.candidacy_id.to_string() }),
        4 => json!({ "evaluator": p.evaluator_id.to_string() }),
        5 => json!({ "set": p.set_code, "today": p.today }),
        _ => json!({}),
    }
}

/// The POST body of query `n`.
pub fn body(n: u8, p: &Params) -> String {
    json!({ "query": document(n), "variables": variables(n, p) }).to_string()
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, String> {
    path.iter().try_fold(v, |v, k| {
        v.get(*k)
            .filter(|x| !x.is_null())
            .ok_or_else(|| format!("no {} in the answer", path.join(".")))
    })
}

fn nodes<'a>(v: &'a Value, path: &[&str]) -> Result<&'a [Value], String> {
    at(v, path)?
        .get("nodes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| format!("no {}.nodes in the answer", path.join(".")))
}

/// An id or a count, which PostGraphile gives as a number (`Int`) or a string (`BigInt`).
fn int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("not an integer: {v}"))
}

fn upper(v: &Value) -> Value {
    match v.as_str() {
        Some(s) => Value::String(s.to_uppercase()),
        None => Value::Null,
    }
}

/// One candidacy's `progress`, from its rows, as the floor's `FLOOR_PROGRESS` computes it.
fn progress(c: &Value, sets: &[Value]) -> Result<Value, String> {
    let rows = |rel: &str| nodes(c, &[rel]);
    let (achievements, portfolios, completions) = (
        rows("achievementsByCandidacyId")?,
        rows("portfoliosByCandidacyId")?,
        rows("courseCompletionsByCandidacyId")?,
    );
    let in_set = |row: &Value, set: i64| row.get("setId").map(int) == Some(Ok(set));
    let mut out = Vec::with_capacity(sets.len());
    for s in sets {
        let set = int(at(s, &["id"])?)?;
        let a = achievements.iter().find(|r| in_set(r, set));
        let p = portfolios
            .iter()
            .find(|r| in_set(r, set))
            .and_then(|r| r["status"].as_str());
        let cc: Vec<&str> = completions
            .iter()
            .filter(|r| in_set(r, set))
            .filter_map(|r| r["status"].as_str())
            .collect();
        let status = if a.is_some() {
            "ACHIEVED"
        } else if cc.contains(&"submitted") || p == Some("under_review") {
            "UNDER_REVIEW"
        } else if !cc.is_empty() || matches!(p, Some("draft" | "revision_requested")) {
            "IN_PROGRESS"
        } else {
            "NOT_STARTED"
        };
        out.push(json!({
            "competencySet": { "code": at(s, &["code"])? },
            "required": at(s, &["required"])?,
            "status": status,
            "method": a.map_or(Value::Null, |a| upper(&a["method"])),
            "achievedOn": a.map_or(Value::Null, |a| a["achievedOn"].clone()),
        }));
    }
    Ok(json!({ "sets": out }))
}

fn candidate(c: &Value, sets: &[Value]) -> Result<Value, String> {
    Ok(json!({
        "number": at(c, &["number"])?,
        "status": upper(at(c, &["status"])?),
        "progress": progress(c, sets)?,
    }))
}

/// `(keys, count)` of each group of a `groupedAggregates` answer.
fn groups(v: &Value) -> Result<Vec<(Vec<Value>, i64)>, String> {
    v.as_array()
        .ok_or("groupedAggregates is not a list")?
        .iter()
        .map(|g| {
            let keys = g["keys"].as_array().cloned().unwrap_or_default();
            Ok((keys, int(at(g, &["distinctCount", "id"])?)?))
        })
        .collect()
}

fn programme_statistics(d: &Value, sets: &[Value]) -> Result<Value, String> {
    let total = |alias: &str| at(d, &[alias, "totalCount"]).and_then(int);
    let funnel = json!({
        "applied": total("applied")?,
        "eligible": total("eligible")?,
        "accepted": total("accepted")?,
        "certified": total("certified")?,
        "lapsed": total("lapsed")?,
    });
    // (set id, method) → achievements
    let mut per_set: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for (keys, n) in groups(at(d, &["achievements", "perSet"])?)? {
        let set = int(keys.first().ok_or("no set key")?)?;
        let method = keys.get(1).and_then(Value::as_str).unwrap_or_default();
        *per_set.entry((set, method.to_owned())).or_default() += n;
    }
    let mut achievements_per_set = Vec::with_capacity(sets.len());
    for s in sets {
        let set = int(at(s, &["id"])?)?;
        let count = |m: &str| per_set.get(&(set, m.to_owned())).copied().unwrap_or(0);
        let (course, portfolio) = (count("course"), count("portfolio"));
        achievements_per_set.push(json!({
            "competencySet": { "code": at(s, &["code"])? },
            "total": course + portfolio,
            "byCourse": course,
            "byPortfolio": portfolio,
        }));
    }
    // month → [applications, acceptances, achievements, certificates]; a month appears
    // if any series has it, as in the floor's UNION ALL.
    let mut monthly: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for (i, alias) in ["applied", "accepted", "achievements", "certified"]
        .iter()
        .enumerate()
    {
        for (keys, n) in groups(at(d, &[alias, "groupedAggregates"])?)? {
            // `date_trunc('month', …)::text`: "2024-03-01 00:00:00+00"; NULL is no month.
            let Some(month) = keys.first().and_then(Value::as_str) else {
                continue;
            };
            let month = month
                .get(..7)
                .ok_or_else(|| format!("month key {month:?}"))?;
            monthly.entry(month.to_owned()).or_default()[i] += n;
        }
    }
    let monthly: Vec<Value> = monthly
        .into_iter()
        .map(|(m, [a, b, c, d])| {
            json!({ "month": m, "applications": a, "acceptances": b, "achievements": c, "certificates": d })
        })
        .collect();
    Ok(json!({
        "funnel": funnel,
        "achievementsPerSet": achievements_per_set,
        "monthly": monthly,
    }))
}

/// Turns PostGraphile's whole answer to query `n` into the API's (`{"data": …}`), or says
/// why it cannot (GraphQL `errors`, a missing field).
pub fn normalise(n: u8, resp: &Value) -> Result<Value, String> {
    if let Some(e) = resp.get("errors") {
        return Err(format!("errors: {e}"));
    }
    let d = at(resp, &["data"])?;
    let data = match n {
        1 => {
            json!({ "myCandidacy": candidate(at(d, &["candidacyById"])?, nodes(d, &["allCompetencySets"])?)? })
        }
        2 => {
            let sets = nodes(d, &["allCompetencySets"])?;
            let list = nodes(d, &["allCandidacies"])?
                .iter()
                .map(|c| candidate(c, sets))
                .collect::<Result<Vec<_>, _>>()?;
            json!({ "candidates": { "nodes": list } })
        }
        3 => {
            json!({ "programmeStatistics": programme_statistics(d, nodes(d, &["allCompetencySets"])?)? })
        }
        4 => {
            let list = nodes(d, &["allReviews"])?
                .iter()
                .map(|r| {
                    let round = at(r, &["reviewRoundByRoundId"])?;
                    let portfolio = at(round, &["portfolioByPortfolioId"])?;
                    Ok(json!({
                        "id": int(at(r, &["id"])?)?.to_string(),
                        "status": upper(at(r, &["status"])?),
                        "dueOn": at(r, &["dueOn"])?,
                        "candidatePseudonym": at(portfolio, &["candidacyByCandidacyId", "pseudonym"])?,
                        "roundNumber": at(round, &["number"])?,
                        "competencySet": { "code": at(portfolio, &["competencySetBySetId", "code"])? },
                    }))
                })
                .collect::<Result<Vec<_>, String>>()?;
            json!({ "myReviews": list })
        }
        _ => {
            let list = nodes(d, &["allCourseApprovals"])?
                .iter()
                .map(|a| {
                    let course = at(a, &["courseByCourseId"])?;
                    let provider = at(course, &["providerByProviderId"])?;
                    Ok(json!({
                        "id": int(at(course, &["id"])?)?.to_string(),
                        "competencySet": { "code": at(course, &["competencySetBySetId", "code"])? },
                        "provider": {
                            "id": int(at(provider, &["id"])?)?.to_string(),
                            "name": at(provider, &["name"])?,
                        },
                        "approval": { "startsOn": at(a, &["startsOn"])?, "expiresOn": at(a, &["expiresOn"])? },
                    }))
                })
                .collect::<Result<Vec<_>, String>>()?;
            json!({ "approvedCourses": { "nodes": list } })
        }
    };
    Ok(json!({ "data": data }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets() -> Value {
        json!({ "nodes": [
            { "id": "1", "code": "A", "required": true },
            { "id": "2", "code": "B", "required": true },
            { "id": "3", "code": "C", "required": false },
            { "id": "4", "code": "D", "required": false },
        ] })
    }

    #[test]
    fn progress_follows_the_floor_rule() {
        let resp = json!({ "data": {
            "candidacyById": {
                "number": "C-1", "status": "active",
                "achievementsByCandidacyId": { "nodes": [
                    { "setId": "1", "method": "course", "achievedOn": "2025-01-02" } ] },
                "portfoliosByCandidacyId": { "nodes": [
                    { "setId": "2", "status": "under_review" },
                    { "setId": "3", "status": "draft" } ] },
                "courseCompletionsByCandidacyId": { "nodes": [
                    { "setId": "1", "status": "approved" },
                    { "setId": "3", "status": "rejected" } ] },
            },
            "allCompetencySets": sets(),
        } });
        let got = normalise(1, &resp).unwrap();
        let s = &got["data"]["myCandidacy"]["progress"]["sets"];
        assert_eq!(got["data"]["myCandidacy"]["status"], "ACTIVE");
        assert_eq!(s[0]["status"], "ACHIEVED");
        assert_eq!(s[0]["method"], "COURSE");
        assert_eq!(s[0]["achievedOn"], "2025-01-02");
        assert_eq!(s[1]["status"], "UNDER_REVIEW");
        assert_eq!(s[2]["status"], "IN_PROGRESS");
        assert_eq!(s[3]["status"], "NOT_STARTED");
        assert_eq!(s[3]["method"], Value::Null);
    }

    #[test]
    fn errors_are_refused() {
        assert!(normalise(4, &json!({ "errors": [{ "message": "x" }], "data": null })).is_err());
    }

    #[test]
    fn documents_are_one_line() {
        for n in 1..=5 {
            let d = document(n);
            assert!(!d.contains('\n') && !d.contains("  "), "{d}");
        }
    }
}
