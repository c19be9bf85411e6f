//! What a field costs, for the complexity limit checked before a request runs.
//!
//! async-graphql counts every field as 1 plus its selection, so a list of a thousand rows
//! would cost what one row costs. Here a list costs the most items it can return times its
//! selection, and a long text costs its longest length in [`TEXT_CHARS_PER_UNIT`]s: the
//! price is a bound on the answer, whatever is stored. The maxima come from
//! `domain::limits` or from a page size the resolver enforces.
//!
//! Every price is capped at [`CEILING`]: async-graphql adds the prices of siblings
//! unchecked, so a price near `usize::MAX` could wrap a total back under the limit.

use super::connection::{DEFAULT_PAGE, MAX_PAGE};

/// Characters of a long text that cost as much as one field.
pub const TEXT_CHARS_PER_UNIT: usize = 250;

/// Far above any limit, far below where a sum of a request's prices could wrap.
pub const CEILING: usize = 1 << 40;

/// Error entries one mutation payload lists at most.
pub const USER_ERRORS: usize = 50;

/// A list of at most `max_items`, each costing `child` (at least 1, so a list of scalars
/// costs one per item), plus the field itself.
pub fn list(max_items: usize, child: usize) -> usize {
    max_items
        .saturating_mul(child.max(1))
        .saturating_add(1)
        .min(CEILING)
}

/// A page of a list: `first` items (the default page when left out; never more than the
/// resolver allows, which refuses a larger `first`).
pub fn page(first: Option<i32>, child: usize) -> usize {
    list(page_items(first, DEFAULT_PAGE, MAX_PAGE), child)
}

/// Items a `first` argument allows: `default` when left out, clamped to `0..=max`.
pub fn page_items(first: Option<i32>, default: usize, max: usize) -> usize {
    first.map_or(default, |n| usize::try_from(n).unwrap_or(0).min(max))
}

/// A text of at most `max_chars` characters.
pub fn text(max_chars: usize) -> usize {
    max_chars.div_ceil(TEXT_CHARS_PER_UNIT).max(1)
}

/// The price of `query` against the schema, without running it: the limit is bisected on
/// a copy of the query that declares an unused variable, so validation always fails after
/// the price is checked and nothing is executed.
pub fn price_of(query: &str) -> usize {
    let query = query.trim_start();
    let probe = if let Some(rest) = query.strip_prefix('{') {
        format!("query Priced($unusedPrice: Int) {{{rest}")
    } else if let Some(rest) = query.strip_prefix("query(") {
        format!("query Priced($unusedPrice: Int, {rest}")
    } else {
        panic!("price_of takes an anonymous query: {query}")
    };
    let too_complex = |limit: usize| {
        let schema = async_graphql::Schema::build(
            super::Query::default(),
            super::Mutation::default(),
            super::renewals::Subscription,
        )
        .limit_complexity(limit)
        .finish();
        let response = futures::executor::block_on(schema.execute(probe.as_str()));
        response
            .errors
            .iter()
            .any(|e| e.message.contains("too complex"))
    };
    let (mut low, mut high) = (0, CEILING.saturating_mul(64));
    while low < high {
        let mid = low + (high - low) / 2;
        if too_complex(mid) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_costs_its_items_times_their_selection_and_never_wraps() {
        assert_eq!(list(10, 3), 31);
        assert_eq!(list(10, 0), 11);
        assert_eq!(list(usize::MAX, usize::MAX), CEILING);
        assert_eq!(page(None, 2), DEFAULT_PAGE * 2 + 1);
        assert_eq!(page(Some(1_000_000), 2), MAX_PAGE * 2 + 1);
        assert_eq!(page(Some(-5), 2), 1);
        assert_eq!(text(20_000), 80);
        assert_eq!(text(10), 1);
    }
}

#[cfg(test)]
mod measured {
    use super::price_of;
    use infra::settings::DEFAULT_MAX_COMPLEXITY;

    const PROGRESS_SETS: &str = "sets { competencySet { code } required status method achievedOn }";
    const CATALOGUE: &str = "competencySets { code name description competencies { number text } }";

    /// The pages clients ask (the benchmark's queries and the heaviest pages the tests
    /// ask), each with its price measured when the default was chosen.
    fn realistic_pages() -> Vec<(&'static str, String, usize)> {
        vec![
            ("Q1 progress", format!("{{ myCandidacy {{ number status progress {{ {PROGRESS_SETS} }} }} }}"), 65),
            ("Q2 50 candidates", format!("{{ candidates(first: 50, order: NEWEST, filter: {{ status: ACTIVE }}) {{ nodes {{ number status progress {{ {PROGRESS_SETS} }} }} }} }}"), 3_251),
            ("Q3 statistics", "{ programmeStatistics { funnel { applied eligible accepted certified lapsed } achievementsPerSet { competencySet { code } total byCourse byPortfolio } monthly { month applications acceptances achievements certificates } } }".into(), 659),
            ("Q4 review queue", "{ myReviews { id status dueOn candidatePseudonym roundNumber competencySet { code } } }".into(), 1_401),
            ("Q5 approved courses", "{ approvedCourses(filter: { setCode: \"FOUNDATIONS\" }, first: 50) { nodes { id competencySet { code } provider { id name } approval { startsOn expiresOn } } } }".into(), 501),
            ("50 candidates with records", "{ candidates(first: 50) { edges { node { id number status progress { sets { status competencySet { code } } requiredAchieved electivesAchieved daysLeft } timeline { kind at setCode } achievements { competencySet { code } method achievedOn } application { givenName familyName workHistory { libraryName hours } education { level } } } } pageInfo { hasNextPage } } }".into(), 20_551),
            ("portfolio with every round", "{ portfolio(id: 1) { id status narratives { id title body competencies } rounds { id number status decidedAt content { narratives { title body competencies } documents { caption document { id } } } feedback { label overallMet feedback competencies { number met comment } recommendedCourses { id title } } } } }".into(), 25_349),
            ("a review, everything", "{ myReview(id: 1) { id status dueOn tieBreaker roundNumber candidatePseudonym competencySet { code name } content { narratives { id title body competencies } documents { caption document { id filename contentType sizeBytes sha256 purpose url createdAt } } } myAssessment { label overallMet feedback competencies { number met comment } recommendedCourses { id title } } otherAssessments { label overallMet feedback competencies { number met comment } recommendedCourses { id title } } } }".into(), 4_235),
            ("the catalogue", format!("{{ {CATALOGUE} }}"), 1_321),
            ("a course with its history", "{ course(id: 1) { id title status submissions { id kind revision status title feeCents decisions { decision reasons } } approvals { startsOn expiresOn submissionId } currentApproval { startsOn expiresOn submissionId } } }".into(), 20_760),
        ]
    }

    #[test]
    fn realistic_pages_cost_what_was_measured_and_fit_the_default_with_room() {
        for (name, query, measured) in realistic_pages() {
            let price = price_of(&query);
            println!("{name}: {price}");
            assert_eq!(
                price, measured,
                "{name}: the price changed; re-measure the default"
            );
            assert!(price * 2 <= DEFAULT_MAX_COMPLEXITY, "{name}: {price}");
        }
    }

    #[test]
    fn a_flood_of_list_fields_costs_far_over_the_default() {
        let flood: String = (0..300).map(|i| format!("a{i}: {CATALOGUE} ")).collect();
        let price = price_of(&format!("{{ {flood} }}"));
        println!("300 catalogues: {price}");
        assert!(price > 5 * DEFAULT_MAX_COMPLEXITY, "{price}");
    }

    /// What async-graphql leaves out: `__typename` is never visited by its complexity
    /// count, and introspection lists cost 1 whatever their length. The edge's field
    /// count (`GRAPHQL_MAX_FIELDS`) is what bounds these.
    #[test]
    fn typename_costs_nothing_and_introspection_lists_one_each() {
        let names: String = (0..1000).map(|i| format!("a{i}: __typename ")).collect();
        assert_eq!(price_of(&format!("{{ {names} }}")), 0);
        assert_eq!(
            price_of("{ __schema { types { name fields { name type { name } } } } }"),
            7
        );
    }
}
