use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;

use super::*;

// ---------------------------------------------------------------------------------------
// Helpers

fn evaluator(id: i64, employer: &str, sets: &[i64], capacity: u32) -> Evaluator {
    Evaluator {
        id,
        account_id: 1000 + id,
        employer_key: employer.to_string(),
        institution_key: None,
        active: true,
        trained: true,
        available: true,
        sets: sets.to_vec(),
        capacity,
        open_reviews: 0,
        recent_reviews: 0,
        declared_conflicts: Vec::new(),
    }
}

fn round(id: i64, set_id: i64) -> Round {
    Round {
        id,
        set_id,
        candidacy_id: 500 + id,
        candidate_account_id: 9000 + id,
        candidate_employer_key: Some(format!("candidate employer {id}")),
        candidate_institution_key: None,
        needed: 2,
        excluded_evaluators: Vec::new(),
        taken_employers: Vec::new(),
    }
}

/// The one-per-employer key of an evaluator: its normalised employer, or itself.
fn group_of(e: &Evaluator) -> String {
    normalise_key(&e.employer_key).unwrap_or_else(|| format!("#self-{}", e.id))
}

/// A small generator for random instances, driven by one seed.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn random_instance(seed: u64, rounds: usize, evaluators: usize) -> (Vec<Round>, Vec<Evaluator>) {
    let mut g = Gen(seed);
    let employers = ["Acme", "ACME ", "Globex", "Initech", "Umbrella", ""];
    let sets = 1 + g.below(3) as i64;
    let mut es = Vec::new();
    for id in 1..=evaluators as i64 {
        let mut e = evaluator(
            id,
            employers[g.below(employers.len() as u64) as usize],
            &[1 + g.below(sets as u64) as i64],
            g.below(4) as u32,
        );
        if g.chance(30) {
            e.sets.push(1 + g.below(sets as u64) as i64);
        }
        e.open_reviews = g.below(2) as u32;
        e.recent_reviews = g.below(4) as u32;
        e.active = !g.chance(5);
        e.trained = !g.chance(5);
        e.available = !g.chance(5);
        if g.chance(20) {
            e.institution_key = Some(["Uni A", "Uni B"][g.below(2) as usize].to_string());
        }
        if g.chance(10) {
            e.declared_conflicts
                .push(Conflict::Candidacy(500 + 1 + g.below(rounds as u64) as i64));
        }
        if g.chance(5) {
            e.declared_conflicts
                .push(Conflict::Organisation("globex".to_string()));
        }
        es.push(e);
    }
    let mut rs = Vec::new();
    for id in 1..=rounds as i64 {
        let mut r = round(id, 1 + g.below(sets as u64) as i64);
        r.needed = [1, 2, 2, 2, 2, 3][g.below(6) as usize];
        r.candidate_employer_key = match g.below(4) {
            0 => None,
            1 => Some("globex".to_string()),
            _ => Some(format!("elsewhere {id}")),
        };
        if g.chance(20) {
            r.candidate_institution_key = Some("uni a".to_string());
        }
        if g.chance(10) {
            // The candidate is one of the evaluators.
            r.candidate_account_id = 1000 + 1 + g.below(evaluators as u64) as i64;
        }
        if g.chance(15) {
            r.excluded_evaluators
                .push(1 + g.below(evaluators as u64) as i64);
        }
        if g.chance(10) {
            r.taken_employers.push("initech".to_string());
        }
        rs.push(r);
    }
    (rs, es)
}

/// Every hard rule of a solution, checked from the public types alone.
fn check_rules(rounds: &[Round], evaluators: &[Evaluator], s: &Solution) -> Result<(), String> {
    let by_id: HashMap<i64, &Evaluator> = evaluators.iter().map(|e| (e.id, e)).collect();
    let mut per_round: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut load: HashMap<i64, u32> = HashMap::new();
    for &(r, e) in &s.assignments {
        per_round.entry(r).or_default().push(e);
        *load.entry(e).or_insert(0) += 1;
    }
    let unstaffed: BTreeSet<i64> = s.unstaffed.iter().map(|u| u.0).collect();
    for r in rounds {
        let got = per_round.get(&r.id).cloned().unwrap_or_default();
        if r.needed == 0 {
            continue;
        }
        if unstaffed.contains(&r.id) {
            if !got.is_empty() {
                return Err(format!("unstaffed round {} has evaluators", r.id));
            }
            continue;
        }
        if got.len() != r.needed as usize {
            return Err(format!("round {} got {} of {}", r.id, got.len(), r.needed));
        }
        let distinct: BTreeSet<i64> = got.iter().copied().collect();
        if distinct.len() != got.len() {
            return Err(format!("round {} has an evaluator twice", r.id));
        }
        let mut employers = BTreeSet::new();
        for e in &got {
            let ev = by_id.get(e).ok_or("unknown evaluator")?;
            if let Err(why) = eligibility(r, ev) {
                return Err(format!("round {} got ineligible {e}: {why:?}", r.id));
            }
            if !employers.insert(group_of(ev)) {
                return Err(format!("round {} has two evaluators of one employer", r.id));
            }
        }
    }
    for (e, n) in load {
        let ev = by_id.get(&e).ok_or("unknown evaluator")?;
        if ev.open_reviews + n > ev.capacity {
            return Err(format!("evaluator {e} over capacity"));
        }
    }
    Ok(())
}

/// Called with the mask of staffed rounds and the assignments.
type Visit<'a> = dyn FnMut(u32, &[(i64, i64)]) + 'a;

/// Brute force over every assignment giving each round nothing or exactly `needed`
/// eligible evaluators of distinct employers, within capacities.
struct Brute {
    options: Vec<Vec<Vec<i64>>>,
    remaining: HashMap<i64, u32>,
}

impl Brute {
    fn new(rounds: &[Round], evaluators: &[Evaluator]) -> Self {
        let mut options = Vec::new();
        for r in rounds {
            let eligible: Vec<&Evaluator> = evaluators
                .iter()
                .filter(|e| eligibility(r, e).is_ok())
                .collect();
            let mut subsets = Vec::new();
            let n = eligible.len();
            for mask in 0u32..(1 << n) {
                if mask.count_ones() != r.needed {
                    continue;
                }
                let chosen: Vec<&Evaluator> = (0..n)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| eligible[i])
                    .collect();
                let groups: BTreeSet<String> = chosen.iter().map(|e| group_of(e)).collect();
                if groups.len() == chosen.len() {
                    subsets.push(chosen.iter().map(|e| e.id).collect());
                }
            }
            options.push(subsets);
        }
        let remaining = evaluators
            .iter()
            .map(|e| (e.id, e.capacity.saturating_sub(e.open_reviews)))
            .collect();
        Self { options, remaining }
    }

    /// Calls `visit(staffed mask, assignments)` for every feasible assignment whose
    /// staffed rounds are within `allowed`.
    fn each(&self, rounds: &[Round], allowed: &[bool], visit: &mut Visit<'_>) {
        let mut used: HashMap<i64, u32> = HashMap::new();
        let mut current = Vec::new();
        self.walk(rounds, allowed, 0, 0, &mut used, &mut current, visit);
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        rounds: &[Round],
        allowed: &[bool],
        i: usize,
        mask: u32,
        used: &mut HashMap<i64, u32>,
        current: &mut Vec<(i64, i64)>,
        visit: &mut Visit<'_>,
    ) {
        if i == rounds.len() {
            visit(mask, current);
            return;
        }
        self.walk(rounds, allowed, i + 1, mask, used, current, visit);
        if !allowed[i] || rounds[i].needed == 0 {
            return;
        }
        for subset in &self.options[i] {
            if subset
                .iter()
                .all(|e| used.get(e).copied().unwrap_or(0) < self.remaining[e])
            {
                for e in subset {
                    *used.entry(*e).or_insert(0) += 1;
                    current.push((rounds[i].id, *e));
                }
                self.walk(
                    rounds,
                    allowed,
                    i + 1,
                    mask | (1 << i),
                    used,
                    current,
                    visit,
                );
                for e in subset {
                    *used.entry(*e).or_insert(0) -= 1;
                    current.pop();
                }
            }
        }
    }
}

fn slots(rounds: &[Round], mask: u32) -> u32 {
    (0..rounds.len())
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| rounds[i].needed)
        .sum()
}

// ---------------------------------------------------------------------------------------
// Eligibility

#[test]
fn keys_are_compared_trimmed_lower_cased_and_with_single_spaces() {
    assert_eq!(
        normalise_key("  ACME   Corp\t"),
        Some("acme corp".to_string())
    );
    assert_eq!(normalise_key("   "), None);
}

#[test]
fn an_evaluator_is_eligible_only_when_every_rule_holds() {
    let r = Round {
        candidate_employer_key: Some("Acme".into()),
        candidate_institution_key: Some("Uni A".into()),
        excluded_evaluators: vec![7],
        taken_employers: vec!["Taken Ltd".into()],
        ..round(1, 3)
    };
    let base = evaluator(1, "Other", &[3], 5);
    assert_eq!(eligibility(&r, &base), Ok(()));
    let cases: Vec<(Evaluator, Ineligible)> = vec![
        (
            Evaluator {
                active: false,
                ..base.clone()
            },
            Ineligible::Inactive,
        ),
        (
            Evaluator {
                trained: false,
                ..base.clone()
            },
            Ineligible::Untrained,
        ),
        (
            Evaluator {
                available: false,
                ..base.clone()
            },
            Ineligible::Unavailable,
        ),
        (
            Evaluator {
                sets: vec![4],
                ..base.clone()
            },
            Ineligible::NotExpert,
        ),
        (
            Evaluator {
                account_id: r.candidate_account_id,
                ..base.clone()
            },
            Ineligible::IsCandidate,
        ),
        (
            Evaluator {
                declared_conflicts: vec![Conflict::Candidacy(r.candidacy_id)],
                ..base.clone()
            },
            Ineligible::DeclaredConflict,
        ),
        (
            Evaluator {
                declared_conflicts: vec![Conflict::Candidate(r.candidate_account_id)],
                ..base.clone()
            },
            Ineligible::DeclaredConflict,
        ),
        (
            Evaluator {
                declared_conflicts: vec![Conflict::Organisation(" uni  a ".into())],
                ..base.clone()
            },
            Ineligible::DeclaredConflict,
        ),
        (
            Evaluator {
                employer_key: " ACME ".into(),
                ..base.clone()
            },
            Ineligible::SameEmployer,
        ),
        (
            Evaluator {
                institution_key: Some("UNI A".into()),
                ..base.clone()
            },
            Ineligible::SameInstitution,
        ),
        (
            Evaluator {
                employer_key: "uni a".into(),
                ..base.clone()
            },
            Ineligible::SameInstitution,
        ),
        (
            Evaluator {
                id: 7,
                ..base.clone()
            },
            Ineligible::Excluded,
        ),
        (
            Evaluator {
                employer_key: "taken ltd".into(),
                ..base.clone()
            },
            Ineligible::EmployerTaken,
        ),
        (
            Evaluator {
                open_reviews: 5,
                ..base.clone()
            },
            Ineligible::AtCapacity,
        ),
    ];
    for (e, why) in cases {
        assert_eq!(eligibility(&r, &e), Err(why), "{e:?}");
    }
}

#[test]
fn an_evaluator_without_an_employer_conflicts_with_no_one_for_that_reason() {
    let r = Round {
        candidate_employer_key: None,
        ..round(1, 1)
    };
    let e = evaluator(1, "  ", &[1], 3);
    assert_eq!(eligibility(&r, &e), Ok(()));
}

// ---------------------------------------------------------------------------------------
// Crafted instances

#[test]
fn load_is_balanced_by_rising_costs() {
    let es: Vec<Evaluator> = (1..=4)
        .map(|i| evaluator(i, &format!("E{i}"), &[1], 10))
        .collect();
    let rs: Vec<Round> = (1..=6).map(|i| round(i, 1)).collect();
    let s = solve(&rs, &es, &Params::default()).unwrap();
    assert!(s.certify());
    assert!(s.unstaffed.is_empty());
    let mut load: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, e) in &s.assignments {
        *load.entry(*e).or_default() += 1;
    }
    assert_eq!(load.values().copied().collect::<Vec<_>>(), vec![3, 3, 3, 3]);
}

#[test]
fn fewer_recent_reviews_are_preferred() {
    let mut es: Vec<Evaluator> = (1..=4)
        .map(|i| evaluator(i, &format!("E{i}"), &[1], 10))
        .collect();
    es[0].recent_reviews = 5;
    es[1].recent_reviews = 5;
    let s = solve(&[round(1, 1)], &es, &Params::default()).unwrap();
    assert_eq!(s.assignments, vec![(1, 3), (1, 4)]);
}

#[test]
fn a_round_with_no_trained_expert_is_unstaffed_for_that_reason() {
    let es = vec![
        Evaluator {
            trained: false,
            ..evaluator(1, "A", &[1], 5)
        },
        evaluator(2, "B", &[2], 5),
        Evaluator {
            available: false,
            ..evaluator(3, "C", &[1], 5)
        },
    ];
    let s = solve(&[round(1, 1)], &es, &Params::default()).unwrap();
    assert_eq!(s.unstaffed, vec![(1, Unstaffable::NoTrainedExpert)]);
    assert!(s.assignments.is_empty());
    assert!(s.certify());
}

#[test]
fn a_round_whose_experts_are_all_conflicted_is_unstaffed_for_that_reason() {
    let r = Round {
        candidate_employer_key: Some("Acme".into()),
        ..round(1, 1)
    };
    let es = vec![
        evaluator(1, "acme", &[1], 5),
        Evaluator {
            declared_conflicts: vec![Conflict::Candidacy(r.candidacy_id)],
            ..evaluator(2, "B", &[1], 5)
        },
        Evaluator {
            account_id: r.candidate_account_id,
            ..evaluator(3, "C", &[1], 5)
        },
        evaluator(4, "D", &[1], 5),
    ];
    let r = Round {
        excluded_evaluators: vec![4],
        ..r
    };
    let s = solve(std::slice::from_ref(&r), &es, &Params::default()).unwrap();
    assert_eq!(s.unstaffed, vec![(1, Unstaffable::AllConflicted)]);
}

#[test]
fn a_round_whose_experts_are_all_at_capacity_is_unstaffed_for_that_reason() {
    let es = vec![
        Evaluator {
            open_reviews: 3,
            ..evaluator(1, "A", &[1], 3)
        },
        Evaluator {
            open_reviews: 4,
            ..evaluator(2, "B", &[1], 3)
        },
    ];
    let s = solve(&[round(1, 1)], &es, &Params::default()).unwrap();
    assert_eq!(s.unstaffed, vec![(1, Unstaffable::AllAtCapacity)]);
}

#[test]
fn a_round_starved_by_other_rounds_is_at_capacity() {
    let es = vec![evaluator(1, "A", &[1], 1), evaluator(2, "B", &[1], 1)];
    let s = solve(&[round(1, 1), round(2, 1)], &es, &Params::default()).unwrap();
    assert!(s.certify());
    assert_eq!(s.assignments.len(), 2);
    assert_eq!(s.unstaffed.len(), 1);
    assert_eq!(s.unstaffed[0].1, Unstaffable::AllAtCapacity);
}

#[test]
fn a_round_with_experts_of_one_employer_only_is_unstaffed_for_that_reason() {
    let es = vec![
        evaluator(1, "Acme", &[1], 5),
        evaluator(2, "ACME", &[1], 5),
        evaluator(3, "acme ", &[1], 5),
    ];
    let s = solve(&[round(1, 1)], &es, &Params::default()).unwrap();
    assert_eq!(s.unstaffed, vec![(1, Unstaffable::TooFewDistinctEmployers)]);
    // A single expert also counts as too few employers.
    let s = solve(&[round(1, 1)], &es[..1], &Params::default()).unwrap();
    assert_eq!(s.unstaffed, vec![(1, Unstaffable::TooFewDistinctEmployers)]);
}

#[test]
fn two_evaluators_of_one_employer_never_share_a_round() {
    let mut es = vec![evaluator(1, "Acme", &[1], 5), evaluator(2, "acme", &[1], 5)];
    es.push(Evaluator {
        recent_reviews: 9,
        ..evaluator(3, "Other", &[1], 5)
    });
    let s = solve(&[round(1, 1)], &es, &Params::default()).unwrap();
    assert!(s.certify());
    assert_eq!(s.assignments.len(), 2);
    assert!(
        s.assignments.contains(&(1, 3)),
        "the costly one is needed: {s:?}"
    );
}

#[test]
fn a_conflicted_evaluator_is_never_given_the_round() {
    let r = Round {
        candidate_institution_key: Some("Uni A".into()),
        ..round(1, 1)
    };
    let es = vec![
        // The cheapest by far, but conflicted three different ways.
        Evaluator {
            institution_key: Some("uni a".into()),
            ..evaluator(1, "A", &[1], 50)
        },
        Evaluator {
            declared_conflicts: vec![Conflict::Candidate(r.candidate_account_id)],
            ..evaluator(2, "B", &[1], 50)
        },
        Evaluator {
            employer_key: "Uni A".into(),
            ..evaluator(3, "C", &[1], 50)
        },
        Evaluator {
            recent_reviews: 50,
            ..evaluator(4, "D", &[1], 50)
        },
        Evaluator {
            recent_reviews: 50,
            ..evaluator(5, "E", &[1], 50)
        },
    ];
    let s = solve(&[r], &es, &Params::default()).unwrap();
    assert_eq!(s.assignments, vec![(1, 4), (1, 5)]);
}

#[test]
fn rounds_needing_nobody_are_neither_staffed_nor_unstaffed() {
    let r = Round {
        needed: 0,
        ..round(1, 1)
    };
    let s = solve(&[r], &[evaluator(1, "A", &[1], 1)], &Params::default()).unwrap();
    assert!(s.assignments.is_empty() && s.unstaffed.is_empty());
}

#[test]
fn duplicate_ids_and_bad_parameters_are_refused() {
    let es = vec![evaluator(1, "A", &[1], 1), evaluator(1, "B", &[1], 1)];
    assert_eq!(
        solve(&[round(1, 1)], &es, &Params::default()).err(),
        Some(SolveError::DuplicateEvaluator(1))
    );
    let bad = Params {
        max_probability: Some(1.5),
        ..Params::default()
    };
    assert!(matches!(
        solve(&[], &[], &bad),
        Err(SolveError::InvalidParams(_))
    ));
}

#[test]
fn a_partially_staffed_round_is_closed_and_the_others_staffed() {
    // Round 1 may take any two of 1, 2, 3; round 2 only 1 and 2; round 3 only 3 and 4.
    // Capacities of one: at most two rounds can be staffed, e.g. rounds 1 and 3.
    let es: Vec<Evaluator> = (1..=4)
        .map(|i| evaluator(i, &format!("E{i}"), &[1, 2, 3], 1))
        .collect();
    let r1 = Round {
        excluded_evaluators: vec![4],
        ..round(1, 1)
    };
    let r2 = Round {
        excluded_evaluators: vec![3, 4],
        ..round(2, 1)
    };
    let r3 = Round {
        excluded_evaluators: vec![1, 2],
        ..round(3, 1)
    };
    let rs = vec![r1, r2, r3];
    let s = solve(&rs, &es, &Params::default()).unwrap();
    assert!(s.certify());
    check_rules(&rs, &es, &s).unwrap();
    assert_eq!(s.assignments.len(), 4, "{s:?}");
    assert_eq!(s.unstaffed.len(), 1);
    assert_eq!(s.unstaffed[0].1, Unstaffable::AllAtCapacity);
}

#[test]
fn an_unstaffable_round_is_staffed_once_an_evaluator_is_trained() {
    let mut es = vec![
        evaluator(1, "A", &[1], 3),
        Evaluator {
            trained: false,
            ..evaluator(2, "B", &[1], 3)
        },
    ];
    let s = solve(&[round(1, 1)], &es, &Params::default()).unwrap();
    assert_eq!(s.unstaffed, vec![(1, Unstaffable::TooFewDistinctEmployers)]);
    es[1].trained = true;
    let s = solve(&[round(1, 1)], &es, &Params::default()).unwrap();
    assert_eq!(s.assignments, vec![(1, 1), (1, 2)]);
}

#[test]
fn a_broken_certificate_is_detected() {
    let es: Vec<Evaluator> = (1..=4)
        .map(|i| evaluator(i, &format!("E{i}"), &[1], 3))
        .collect();
    let rs: Vec<Round> = (1..=3).map(|i| round(i, 1)).collect();
    let mut s = solve(&rs, &es, &Params::default()).unwrap();
    assert!(s.certify());
    let saved = s.network.potential.clone();
    // Potentials that price the sink far below everything: some arc goes negative.
    s.network.potential[network::SINK] -= 1_000_000_000;
    assert!(!s.certify());
    s.network.potential = saved;
    s.total_cost += 1;
    assert!(!s.certify());
}

// ---------------------------------------------------------------------------------------
// Reproducibility

fn all_equal_instance() -> (Vec<Round>, Vec<Evaluator>) {
    let es: Vec<Evaluator> = (1..=12)
        .map(|i| evaluator(i, &format!("E{i}"), &[1], 20))
        .collect();
    let rs: Vec<Round> = (1..=5).map(|i| round(i, 1)).collect();
    (rs, es)
}

#[test]
fn the_same_seed_gives_the_same_assignment() {
    let (rs, es) = all_equal_instance();
    let params = Params {
        seed: 42,
        ..Params::default()
    };
    let a = solve(&rs, &es, &params).unwrap();
    let mut reversed = rs.clone();
    reversed.reverse();
    let b = solve(&reversed, &es, &params).unwrap();
    assert_eq!(a.assignments, b.assignments);
    assert_eq!(a.total_cost, b.total_cost);
}

#[test]
fn different_seeds_break_ties_differently() {
    let (rs, es) = all_equal_instance();
    let outcomes: BTreeSet<Vec<(i64, i64)>> = (0..10)
        .map(|seed| {
            solve(
                &rs,
                &es,
                &Params {
                    seed,
                    ..Params::default()
                },
            )
            .unwrap()
            .assignments
        })
        .collect();
    assert!(outcomes.len() > 1);
}

#[test]
fn the_tie_break_stays_below_one_unit_of_main_cost() {
    for seed in 0..50 {
        for r in 0..20 {
            for e in 0..20 {
                let t = tie_break(seed, r, e);
                assert!((0..TIE_BREAK_SCALE).contains(&t));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The incremental single assignment

#[test]
fn assign_one_respects_exclusions_and_picks_the_cheapest() {
    let es = vec![
        Evaluator {
            open_reviews: 1,
            ..evaluator(1, "A", &[1], 5)
        },
        Evaluator {
            open_reviews: 0,
            ..evaluator(2, "B", &[1], 5)
        },
        Evaluator {
            open_reviews: 0,
            ..evaluator(3, "C", &[1], 5)
        },
        Evaluator {
            open_reviews: 2,
            ..evaluator(4, "D", &[1], 5)
        },
        Evaluator {
            open_reviews: 0,
            ..evaluator(5, "b", &[1], 5)
        },
    ];
    // Evaluators 2 and 3 are on the round already: 5 shares 2's employer, 1 is next.
    let r = Round {
        excluded_evaluators: vec![2, 3],
        taken_employers: vec!["B".into(), "C".into()],
        needed: 1,
        ..round(1, 1)
    };
    assert_eq!(assign_one(&r, &es, &Params::default()), Ok(1));
    // Among equals, the marginal cost decides: the load term first.
    let r = Round {
        needed: 1,
        ..round(1, 1)
    };
    let pick = assign_one(&r, &es, &Params::default()).unwrap();
    assert!([2, 3, 5].contains(&pick));
    let best = es
        .iter()
        .filter(|e| eligibility(&r, e).is_ok())
        .map(|e| {
            (
                Params::default().pair_cost(1, e.id, e.recent_reviews)
                    + Params::default().load_cost(e.open_reviews, 1),
                e.id,
            )
        })
        .min()
        .unwrap();
    assert_eq!(pick, best.1);
}

#[test]
fn assign_one_explains_why_nobody_fits() {
    let es = vec![evaluator(1, "A", &[1], 5)];
    let r = Round {
        excluded_evaluators: vec![1],
        needed: 1,
        ..round(1, 1)
    };
    assert_eq!(
        assign_one(&r, &es, &Params::default()),
        Err(Unstaffable::AllConflicted)
    );
    let r = Round {
        needed: 1,
        ..round(1, 2)
    };
    assert_eq!(
        assign_one(&r, &es, &Params::default()),
        Err(Unstaffable::NoTrainedExpert)
    );
    let full = vec![Evaluator {
        open_reviews: 5,
        ..evaluator(1, "A", &[1], 5)
    }];
    let r = Round {
        needed: 1,
        ..round(1, 1)
    };
    assert_eq!(
        assign_one(&r, &full, &Params::default()),
        Err(Unstaffable::AllAtCapacity)
    );
}

#[test]
fn assign_one_agrees_with_a_batch_of_one_slot() {
    for seed in 0..200u64 {
        let (rs, es) = random_instance(seed, 1, 8);
        let r = Round {
            needed: 1,
            ..rs[0].clone()
        };
        let batch = solve(
            std::slice::from_ref(&r),
            &es,
            &Params {
                seed,
                ..Params::default()
            },
        )
        .unwrap();
        let one = assign_one(
            &r,
            &es,
            &Params {
                seed,
                ..Params::default()
            },
        );
        match one {
            Ok(e) => assert_eq!(batch.assignments, vec![(r.id, e)], "seed {seed}"),
            Err(why) => assert_eq!(batch.unstaffed, vec![(r.id, why)], "seed {seed}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Warm start

#[test]
fn a_warm_start_reaches_the_same_optimum() {
    let (rs, mut es) = random_instance(7, 12, 10);
    for e in &mut es {
        e.capacity += 3;
    }
    let params = Params::default();
    let first = solve(&rs[..10], &es, &params).unwrap();
    // A round added and a capacity changed.
    es[0].capacity += 1;
    let cold = solve(&rs, &es, &params).unwrap();
    let warm = solve_warm(&rs, &es, &params, &first.potentials).unwrap();
    assert!(cold.certify() && warm.certify());
    assert_eq!(cold.total_cost, warm.total_cost);
    assert_eq!(cold.unstaffed, warm.unstaffed);
}

// ---------------------------------------------------------------------------------------
// Larger instances: every path of the solver (employer nodes activated, partial rounds
// closed and offered again), checked by the certificate and the rules.

fn medium_instance(
    seed: u64,
    rounds: usize,
    evaluators: usize,
    spare: u32,
) -> (Vec<Round>, Vec<Evaluator>) {
    let mut g = Gen(seed);
    let mut es = Vec::new();
    for id in 1..=evaluators as i64 {
        let mut e = evaluator(
            id,
            &format!("Employer {}", g.below(evaluators as u64 / 3 + 1)),
            &[g.below(4) as i64],
            0,
        );
        if g.chance(20) {
            e.sets.push(g.below(4) as i64);
        }
        e.capacity =
            1 + g.below(u64::from(spare) + 1) as u32 + (rounds as u32 * 2 / evaluators as u32);
        e.open_reviews = g.below(2) as u32;
        e.recent_reviews = g.below(10) as u32;
        e.trained = !g.chance(5);
        if g.chance(10) {
            e.declared_conflicts
                .push(Conflict::Candidacy(500 + 1 + g.below(rounds as u64) as i64));
        }
        es.push(e);
    }
    let mut rs = Vec::new();
    for id in 1..=rounds as i64 {
        let mut r = round(id, g.below(4) as i64);
        r.candidate_employer_key = Some(format!("Employer {}", g.below(evaluators as u64)));
        if g.chance(5) {
            r.excluded_evaluators
                .push(1 + g.below(evaluators as u64) as i64);
        }
        rs.push(r);
    }
    (rs, es)
}

#[test]
fn medium_instances_ample_or_scarce_are_certified_and_keep_every_rule() {
    let mut closed = 0;
    let mut activated = 0;
    for seed in 0..12u64 {
        let spare = [0, 1, 3][seed as usize % 3];
        let (rs, es) = medium_instance(seed, 300, 40, spare);
        for params in [
            Params {
                seed,
                ..Params::default()
            },
            Params {
                seed,
                max_probability: Some(0.5),
                ..Params::default()
            },
        ] {
            let s = solve(&rs, &es, &params).unwrap();
            assert!(s.certify(), "seed {seed}: {s:?}");
            check_rules(&rs, &es, &s).unwrap();
            closed += s.stats.partial_rounds;
            activated += s.stats.employer_nodes;
        }
    }
    // The instances do exercise those paths.
    assert!(
        closed > 0 && activated > 0,
        "closed {closed}, activated {activated}"
    );
}

#[test]
fn a_warm_start_from_potentials_matches_the_cold_optimum_on_medium_instances() {
    for seed in 0..6u64 {
        let (rs, mut es) = medium_instance(seed, 200, 30, 2);
        let params = Params {
            seed,
            ..Params::default()
        };
        let first = solve(&rs[..190], &es, &params).unwrap();
        es[3].capacity += 2;
        es[7].capacity = es[7].capacity.saturating_sub(1);
        let cold = solve(&rs, &es, &params).unwrap();
        let warm = solve_warm(&rs, &es, &params, &first.potentials).unwrap();
        assert!(cold.certify() && warm.certify());
        // Same staffed slots when both are proven maximal, and then the same cost if
        // both are proven optimal.
        if cold.proven_optimal && warm.proven_optimal {
            assert_eq!(cold.total_cost, warm.total_cost, "seed {seed}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_solution_never_breaks_a_rule(seed in any::<u64>(), n_rounds in 1usize..14, n_evals in 1usize..12) {
        let (rs, es) = random_instance(seed, n_rounds, n_evals);
        let s = solve(&rs, &es, &Params { seed, ..Params::default() }).unwrap();
        prop_assert!(s.certify());
        if let Err(e) = check_rules(&rs, &es, &s) {
            return Err(TestCaseError::fail(e));
        }
        prop_assert_eq!(s.unstaffed.len() + s.assignments.iter().map(|a| a.0).collect::<BTreeSet<_>>().len(),
            rs.iter().filter(|r| r.needed > 0).count());
    }

    #[test]
    fn the_solver_matches_brute_force_on_small_instances(seed in any::<u64>(), n_rounds in 1usize..5, n_evals in 2usize..7) {
        let (rs, es) = random_instance(seed, n_rounds, n_evals);
        let params = Params { seed, ..Params::default() };
        let s = solve(&rs, &es, &params).unwrap();
        prop_assert!(s.certify());
        let brute = Brute::new(&rs, &es);
        let all = vec![true; rs.len()];
        // Lexicographic optimum: most staffed slots, then least cost.
        let mut best: Option<(u32, i64)> = None;
        brute.each(&rs, &all, &mut |mask, a| {
            let value = (slots(&rs, mask), assignment_cost(a, &es, &params).unwrap_or(i64::MAX));
            if best.is_none_or(|b| value.0 > b.0 || (value.0 == b.0 && value.1 < b.1)) {
                best = Some(value);
            }
        });
        let staffed: BTreeSet<i64> = s.assignments.iter().map(|a| a.0).collect();
        let ours_mask: u32 = (0..rs.len()).filter(|&i| staffed.contains(&rs[i].id)).map(|i| 1 << i).sum();
        let ours = (slots(&rs, ours_mask), s.total_cost);
        let best = best.unwrap_or((0, 0));
        // The staffed set is optimal among assignments staffing exactly it.
        let exact: Vec<bool> = (0..rs.len()).map(|i| ours_mask & (1 << i) != 0).collect();
        let mut best_same = i64::MAX;
        brute.each(&rs, &exact, &mut |mask, a| {
            if mask == ours_mask {
                best_same = best_same.min(assignment_cost(a, &es, &params).unwrap_or(i64::MAX));
            }
        });
        prop_assert_eq!(s.total_cost, best_same);
        // Maximal: no unstaffed round can be added to the staffed set.
        let mut feasible_masks = BTreeSet::new();
        brute.each(&rs, &all, &mut |mask, _| { feasible_masks.insert(mask); });
        for (i, r) in rs.iter().enumerate() {
            if r.needed > 0 && ours_mask & (1 << i) == 0 {
                prop_assert!(!feasible_masks.contains(&(ours_mask | (1 << i))), "round {} could be added", r.id);
            }
        }
        // And when the maximum flow is used in full, the lexicographic optimum.
        if s.proven_optimal {
            prop_assert_eq!(ours, best);
        }
        if s.proven_maximum {
            prop_assert_eq!(ours.0, best.0);
        }
        prop_assert!(ours.0 <= best.0);
    }

    #[test]
    fn the_randomised_mode_keeps_every_rule_and_the_cap(seed in any::<u64>(), n_rounds in 1usize..10, n_evals in 4usize..12) {
        let (rs, mut es) = random_instance(seed, n_rounds, n_evals);
        for e in &mut es {
            e.capacity += 2;
        }
        let params = Params { seed, max_probability: Some(0.5), ..Params::default() };
        let s = solve(&rs, &es, &params).unwrap();
        prop_assert!(s.certify());
        if let Err(e) = check_rules(&rs, &es, &s) {
            return Err(TestCaseError::fail(e));
        }
        for m in &s.marginals {
            prop_assert!(m.probability() <= 0.5 + 1e-12);
        }
        // Each staffed round's marginals sum to `needed`.
        let mut sums: BTreeMap<i64, i64> = BTreeMap::new();
        for m in &s.marginals {
            *sums.entry(m.round_id).or_default() += m.units;
        }
        for r in &rs {
            if let Some(&total) = sums.get(&r.id) {
                prop_assert_eq!(total, i64::from(r.needed) * PROBABILITY_DENOMINATOR);
            }
        }
        // Every realised assignment had a positive probability.
        let possible: BTreeSet<(i64, i64)> = s.marginals.iter().map(|m| (m.round_id, m.evaluator_id)).collect();
        for a in &s.assignments {
            prop_assert!(possible.contains(a));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Randomised mode, statistically

#[test]
fn randomised_marginals_match_the_fractional_assignment_and_stay_under_the_cap() {
    // Uneven costs and shared employers, so that x is not uniform.
    let mut es: Vec<Evaluator> = (1..=9)
        .map(|i| {
            evaluator(
                i,
                ["A", "B", "C", "D", "E", "A", "F", "G", "B"][(i - 1) as usize],
                &[1],
                4,
            )
        })
        .collect();
    for (i, e) in es.iter_mut().enumerate() {
        e.recent_reviews = (i % 3) as u32;
        e.open_reviews = (i % 2) as u32;
    }
    let rs: Vec<Round> = (1..=6).map(|i| round(i, 1)).collect();
    let runs = 3000u64;
    let mut counts: HashMap<(i64, i64), f64> = HashMap::new();
    // The seed also moves the tie-break, hence x: each run draws with probability x_seed,
    // so the observed frequency estimates the mean of x over the seeds.
    let mut expected: HashMap<(i64, i64), f64> = HashMap::new();
    for seed in 0..runs {
        let params = Params {
            seed,
            max_probability: Some(0.5),
            ..Params::default()
        };
        let s = solve(&rs, &es, &params).unwrap();
        assert!(s.certify());
        check_rules(&rs, &es, &s).unwrap();
        assert!(s.unstaffed.is_empty());
        assert_eq!(
            s.marginals.iter().map(|m| m.units).sum::<i64>(),
            12 * PROBABILITY_DENOMINATOR
        );
        for m in &s.marginals {
            assert!(m.probability() <= 0.5);
            *expected.entry((m.round_id, m.evaluator_id)).or_default() +=
                m.probability() / runs as f64;
        }
        for a in &s.assignments {
            *counts.entry(*a).or_default() += 1.0 / runs as f64;
        }
    }
    for (pair, observed) in &counts {
        assert!(
            expected.contains_key(pair),
            "{pair:?} drawn with probability 0"
        );
        assert!(*observed <= 0.5 + 0.05, "{pair:?} observed {observed}");
    }
    for (pair, p) in expected {
        let observed = counts.get(&pair).copied().unwrap_or(0.0);
        let sigma = (p * (1.0 - p) / runs as f64).sqrt();
        assert!(
            (observed - p).abs() <= 5.0 * sigma + 1e-3,
            "{pair:?}: x {p}, observed {observed}"
        );
    }
}

#[test]
fn dependent_rounding_keeps_each_arc_expectation_exactly() {
    // A fixed fractional flow: two rounds (nodes 2, 3) needing 2 each, over evaluators
    // 4..8 into the sink (node 1), in units of 1/4.
    let template = vec![
        randomised::Edge {
            tail: 2,
            head: 4,
            flow: 2,
        },
        randomised::Edge {
            tail: 2,
            head: 5,
            flow: 2,
        },
        randomised::Edge {
            tail: 2,
            head: 6,
            flow: 3,
        },
        randomised::Edge {
            tail: 2,
            head: 7,
            flow: 1,
        },
        randomised::Edge {
            tail: 3,
            head: 4,
            flow: 2,
        },
        randomised::Edge {
            tail: 3,
            head: 5,
            flow: 1,
        },
        randomised::Edge {
            tail: 3,
            head: 6,
            flow: 1,
        },
        randomised::Edge {
            tail: 3,
            head: 7,
            flow: 3,
        },
        randomised::Edge {
            tail: 3,
            head: 8,
            flow: 1,
        },
        randomised::Edge {
            tail: 4,
            head: 1,
            flow: 4,
        },
        randomised::Edge {
            tail: 5,
            head: 1,
            flow: 3,
        },
        randomised::Edge {
            tail: 6,
            head: 1,
            flow: 4,
        },
        randomised::Edge {
            tail: 7,
            head: 1,
            flow: 4,
        },
        randomised::Edge {
            tail: 8,
            head: 1,
            flow: 1,
        },
    ];
    let runs = 20_000;
    let mut sums = vec![0i64; template.len()];
    for seed in 0..runs {
        let mut edges = template.clone();
        let mut rng = randomised::SplitMix64::new(seed);
        randomised::round(&mut edges, 9, 4, &mut rng).unwrap();
        for (i, e) in edges.iter().enumerate() {
            let t = template[i].flow;
            assert!(
                e.flow == t / 4 * 4 || e.flow == (t + 3) / 4 * 4,
                "arc {i} left its floor/ceiling"
            );
            sums[i] += e.flow;
        }
        // Conservation: each round still sends 2 whole units.
        let out: i64 = edges.iter().filter(|e| e.tail == 2).map(|e| e.flow).sum();
        assert_eq!(out, 8);
    }
    for (i, e) in template.iter().enumerate() {
        let mean = sums[i] as f64 / runs as f64;
        let p = e.flow as f64 / 4.0;
        let q = p.fract();
        let sigma = 4.0 * (q * (1.0 - q) / runs as f64).sqrt();
        assert!(
            (mean - e.flow as f64).abs() <= 5.0 * sigma + 1e-9,
            "arc {i}: mean {mean}, want {}",
            e.flow
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_randomised_assignment() {
    let (rs, es) = all_equal_instance();
    let params = Params {
        seed: 9,
        max_probability: Some(0.5),
        ..Params::default()
    };
    let a = solve(&rs, &es, &params).unwrap();
    let b = solve(&rs, &es, &params).unwrap();
    assert_eq!(a.assignments, b.assignments);
}

#[test]
fn a_round_with_too_few_evaluators_for_the_cap_says_so() {
    let es: Vec<Evaluator> = (1..=3)
        .map(|i| evaluator(i, &format!("E{i}"), &[1], 5))
        .collect();
    let params = Params {
        max_probability: Some(0.5),
        ..Params::default()
    };
    let s = solve(&[round(1, 1)], &es, &params).unwrap();
    assert_eq!(s.unstaffed, vec![(1, Unstaffable::ProbabilityCap)]);
    // Deterministically it is staffable.
    let s = solve(&[round(1, 1)], &es, &Params::default()).unwrap();
    assert!(s.unstaffed.is_empty());
}
