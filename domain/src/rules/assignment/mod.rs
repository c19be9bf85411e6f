//! Blind evaluator assignment: an exact min-cost flow over every round waiting for
//! evaluators. Pure: no I/O, no database, no clock. The worker builds the input from the
//! database and applies the output.
//!
//! # The network
//!
//! ```text
//! source ──needed──▶ round ──1──▶ (round, employer) ──1──▶ evaluator ══▶ sink
//!                          └───────────────1───────────────▶ evaluator
//! ```
//!
//! - `source → round`, capacity `needed` (2 normally).
//! - `round → evaluator`, capacity 1, one per **eligible** pair only ([`eligibility`]):
//!   the hard rules live in the network, so no flow can break them. Its cost is the pair
//!   cost `TIE_BREAK_SCALE * recent_review_cost * recent_reviews + tie_break(seed, round,
//!   evaluator)`.
//! - `round → (round, employer) → evaluator`, capacity 1 into the employer node: never two
//!   evaluators of one employer on a round. Such a node is built for every (round,
//!   employer) with two or more eligible evaluators, but starts *dormant* (capacity 0,
//!   the round reaching those evaluators directly); it is activated, in place, as soon as
//!   a flow puts two of them on the round (between scaling phases, or after a repair), and
//!   its evaluators are then reached only through it. The network finally solved breaks
//!   no employer rule and is a relaxation of the one with every node active, so its
//!   optimum is that network's optimum too; [`Solution::certify`] checks both. In practice
//!   well under 1% of the nodes are ever activated, which keeps the graph small.
//! - `evaluator ⇒ sink`: one unit arc per review the evaluator can still take
//!   (`capacity - open_reviews`, and no more than the rounds it is eligible for); the k-th
//!   costs `TIE_BREAK_SCALE * load_step_cost * (open_reviews + k)`. Rising (convex) costs
//!   fill in order, so load is balanced.
//!
//! Main costs are multiplied by [`TIE_BREAK_SCALE`] (1000) and the seeded tie-break lies
//! in `0..1000`: on any one arc it is less than a unit of main cost, so one round moving
//! from one evaluator to another never trades a unit of main cost for tie-breaks, and
//! between choices equal in main cost the recorded seed decides, reproducibly. (A chain
//! of k moves could in principle trade fewer than k units of main cost for tie-breaks: the
//! objective is the sum, not a strict lexicographic order.)
//!
//! # The objective and partially staffed rounds
//!
//! A round with fewer than `needed` evaluators is useless, so:
//!
//! 1. Find a minimum-cost maximum flow over every round (below).
//! 2. Rounds that got some but not all of `needed` are closed (source arc capacity 0), as
//!    are rounds that got nothing; each withdrawn unit goes back along a shortest path,
//!    which re-optimises the rest. The remaining flow staffs every open round fully, so
//!    rounds only ever leave and one removal is stable: this is the "re-solve until
//!    stable" loop, ending after one pass.
//! 3. Each closed round that could be staffed on its own is offered again, oldest (lowest
//!    id) first: successive shortest paths from that round alone may reroute other rounds'
//!    evaluators but never take an evaluator away from a staffed round; if it cannot get
//!    all `needed` evaluators its pushes are undone. Staffing more rounds only uses more
//!    capacity, so a round refused stays refused (and so does any round whose eligible
//!    evaluators are among its own: those are not searched), and one pass makes the
//!    staffed set *maximal*.
//!
//! Guarantees, all certified by [`Solution::certify`]:
//! - every staffed round has exactly `needed` distinct, eligible evaluators of distinct
//!   employers, and no evaluator exceeds its capacity;
//! - the cost is the minimum over all assignments that staff exactly the same rounds;
//! - if the first flow left no round partially staffed ([`Solution::proven_optimal`], the
//!   usual case when capacity suffices) the assignment is the lexicographic optimum over
//!   all assignments: most staffed slots (rounds, when each needs 2), then least cost;
//! - if the staffed rounds use every slot of the maximum flow
//!   ([`Solution::proven_maximum`]) their number is the maximum possible;
//! - otherwise the staffed set is maximal, not necessarily maximum: choosing which rounds
//!   to sacrifice under scarcity is a harder (non-flow) problem, and oldest-first is the
//!   rule for who gets the capacity that is left.
//!
//! # The algorithm
//!
//! Goldberg's cost scaling: push–relabel refine with global price updates, epsilon
//! divided by 16 per phase, on integer costs multiplied by `n + 1` so that 1-optimality is
//! exact optimality. After each phase below one cost unit, a budgeted shortest-path pass
//! tries to turn the scaled potentials into **exact integer potentials** (every residual
//! arc of non-negative reduced cost); when it succeeds the flow is proven optimal and the
//! remaining phases are skipped. A cold solve does not start from nothing: evaluator
//! prices come from an aggregated problem (rounds merged by set: a few hundred nodes,
//! solved exactly by the same code), rounds take evaluators greedily at those prices,
//! Dinic completes the maximum flow, and scaling starts at the median violation of those
//! prices, a few cost units instead of the largest cost. Steps 2 and 3 above use
//! successive shortest paths on the exact potentials (Dijkstra with a radix heap;
//! withdrawals search backwards from the round, since the sink's neighbourhood is the
//! whole network), so they keep the potentials exact.
//!
//! [`Solution::potentials`] keeps the potentials per round and per evaluator;
//! [`solve_warm`] starts a later solve from them (scaling then starts one main cost unit
//! wide), for small changes such as a round added or a capacity changed. On the benchmark
//! the greedy cold start is about as good, so warm starting is optional.
//!
//! # Randomised mode
//!
//! With `max_probability = Some(q)`, following Jecmen et al., *Mitigating Manipulation in
//! Peer Review via Randomized Reviewer Assignments* (NeurIPS 2020): every capacity is
//! multiplied by `D =` [`PROBABILITY_DENOMINATOR`] (840 = lcm(1..=8), so caps such as 1/2,
//! 1/3, 0.3 or 0.45 are exact) except pair arcs, which get `floor(q * D)`. The same solve
//! gives a fractional assignment `x <= q` with the same degree, employer and capacity
//! constraints; [`randomised`] then samples an integral assignment by dependent rounding
//! of the flow, seeded by `seed`, with `E[assignment] = x` exactly. Every staffed round
//! still gets exactly `needed` distinct evaluators of distinct employers, and every
//! evaluator's load is the floor or the ceiling of its expected load. Rounds that could be
//! staffed only by exceeding the cap are reported as [`Unstaffable::ProbabilityCap`].
//!
//! # Incremental single assignment
//!
//! [`assign_one`] picks the eligible evaluator of least marginal cost (pair cost plus the
//! cost of its next review, same seeded tie-break) for one more slot on a round, without
//! moving anyone already assigned: for a third evaluator after a disagreement, or a
//! replacement.
//!
//! # References
//!
//! - A. V. Goldberg, *An efficient implementation of a scaling minimum-cost flow
//!   algorithm*, J. Algorithms 22 (1997).
//! - A. V. Goldberg, R. E. Tarjan, *Finding minimum-cost circulations by successive
//!   approximation*, Math. Oper. Res. 15 (1990).
//! - S. Jecmen, H. Zhang, R. Liu, N. B. Shah, V. Conitzer, F. Fang, *Mitigating
//!   Manipulation in Peer Review via Randomized Reviewer Assignments*, NeurIPS 2020.
//! - R. K. Ahuja, T. L. Magnanti, J. B. Orlin, *Network Flows* (1993), ch. 9–10 (potentials,
//!   reduced costs, successive shortest paths).

mod batch;
mod cost_scaling;
mod network;
mod randomised;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use network::Network;

/// Main costs are multiplied by this; the seeded tie-break lies in `0..TIE_BREAK_SCALE`.
pub const TIE_BREAK_SCALE: i64 = 1000;

/// In randomised mode flows are counted in units of `1/PROBABILITY_DENOMINATOR`.
pub const PROBABILITY_DENOMINATOR: i64 = 840;

/// A review round waiting for evaluators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    pub id: i64,
    pub set_id: i64,
    pub candidacy_id: i64,
    pub candidate_account_id: i64,
    pub candidate_employer_key: Option<String>,
    pub candidate_institution_key: Option<String>,
    /// Evaluators still to assign: 2 for a new round, 1 for a third or a replacement.
    pub needed: u32,
    /// Evaluators already on this round, or who saw this portfolio before.
    pub excluded_evaluators: Vec<i64>,
    /// Employers of the evaluators already on this round.
    pub taken_employers: Vec<String>,
}

/// A conflict an evaluator declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// With a named candidate (their account).
    Candidate(i64),
    /// With one candidacy.
    Candidacy(i64),
    /// With an organisation: matches the candidate's employer or institution key.
    Organisation(String),
}

/// An evaluator as the solver sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluator {
    pub id: i64,
    pub account_id: i64,
    /// Blank means none: the evaluator then counts as an employer of their own.
    pub employer_key: String,
    pub institution_key: Option<String>,
    pub active: bool,
    pub trained: bool,
    /// Not paused at the date of the solve.
    pub available: bool,
    pub sets: Vec<i64>,
    pub capacity: u32,
    /// Current open reviews: the load the next review adds to.
    pub open_reviews: u32,
    /// Reviews in the last N days (N chosen by the caller), for preference.
    pub recent_reviews: u32,
    pub declared_conflicts: Vec<Conflict>,
}

/// Costs and options of a solve.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Recorded with the run: breaks ties, and seeds the randomised mode.
    pub seed: u64,
    /// `a`: the k-th additional review of an evaluator costs `a * (open_reviews + k)`.
    pub load_step_cost: i64,
    /// Cost per recent review of the evaluator, for each assignment.
    pub recent_review_cost: i64,
    /// Randomised mode: no evaluator reviews a round with probability above this.
    pub max_probability: Option<f64>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            seed: 0,
            load_step_cost: 10,
            recent_review_cost: 3,
            max_probability: None,
        }
    }
}

/// Bounds on the cost parameters, so that no cost can overflow.
pub const MAX_COST_PARAMETER: i64 = 1_000_000;

impl Params {
    pub fn validate(&self) -> Result<(), SolveError> {
        if !(0..=MAX_COST_PARAMETER).contains(&self.load_step_cost) {
            return Err(SolveError::InvalidParams(
                "load_step_cost out of 0..=1000000",
            ));
        }
        if !(0..=MAX_COST_PARAMETER).contains(&self.recent_review_cost) {
            return Err(SolveError::InvalidParams(
                "recent_review_cost out of 0..=1000000",
            ));
        }
        if let Some(q) = self.max_probability {
            if !(q.is_finite() && q > 0.0 && q <= 1.0) {
                return Err(SolveError::InvalidParams("max_probability out of (0, 1]"));
            }
            if Self::pair_units(q) < 1 {
                return Err(SolveError::InvalidParams("max_probability below 1/840"));
            }
        }
        Ok(())
    }

    fn pair_units(q: f64) -> i64 {
        // A hair of slack so that 0.3 * 840 = 251.99999... still gives 252.
        ((q * PROBABILITY_DENOMINATOR as f64) + 1e-9).floor() as i64
    }

    /// The cost of putting an evaluator with `recent_reviews` on a round, before load.
    pub fn pair_cost(&self, round_id: i64, evaluator_id: i64, recent_reviews: u32) -> i64 {
        TIE_BREAK_SCALE
            .saturating_mul(self.recent_review_cost)
            .saturating_mul(i64::from(recent_reviews))
            .saturating_add(tie_break(self.seed, round_id, evaluator_id))
    }

    /// The cost of the k-th additional review (k from 1) of an evaluator with `open` open.
    pub fn load_cost(&self, open_reviews: u32, k: u32) -> i64 {
        TIE_BREAK_SCALE
            .saturating_mul(self.load_step_cost)
            .saturating_mul(i64::from(open_reviews) + i64::from(k))
    }
}

pub(crate) fn mix64(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seeded tie-break of a (round, evaluator) pair, in `0..TIE_BREAK_SCALE`.
pub fn tie_break(seed: u64, round_id: i64, evaluator_id: i64) -> i64 {
    let h = mix64(
        seed ^ mix64(
            (round_id as u64).wrapping_add(0x9E37_79B9_7F4A_7C15)
                ^ mix64(evaluator_id as u64 ^ 0x5851_F42D_4C95_7F2D),
        ),
    );
    (h % TIE_BREAK_SCALE as u64) as i64
}

/// The total cost of an assignment under `params`: pair costs plus, per evaluator, the
/// rising load costs of its new reviews. `None` if an evaluator id is unknown.
pub fn assignment_cost(
    assignments: &[(i64, i64)],
    evaluators: &[Evaluator],
    params: &Params,
) -> Option<i64> {
    let by_id: HashMap<i64, &Evaluator> = evaluators.iter().map(|e| (e.id, e)).collect();
    let mut count: HashMap<i64, u32> = HashMap::new();
    let mut total: i64 = 0;
    for &(round_id, evaluator_id) in assignments {
        let e = by_id.get(&evaluator_id)?;
        let k = count.entry(evaluator_id).or_insert(0);
        *k += 1;
        total = total
            .saturating_add(params.pair_cost(round_id, evaluator_id, e.recent_reviews))
            .saturating_add(params.load_cost(e.open_reviews, *k));
    }
    Some(total)
}

/// Why an evaluator may not review a round: the first rule broken, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ineligible {
    Inactive,
    Untrained,
    /// Paused at the date of the solve.
    Unavailable,
    /// Not an expert in the round's set.
    NotExpert,
    IsCandidate,
    /// A declared conflict with the candidate, the candidacy, or the candidate's employer
    /// or institution.
    DeclaredConflict,
    /// The evaluator's employer is the candidate's employer.
    SameEmployer,
    /// Any other shared organisation: the evaluator's employer or institution equals the
    /// candidate's institution, or the evaluator's institution equals the candidate's
    /// employer.
    SameInstitution,
    /// Already on the round, or saw this portfolio before.
    Excluded,
    /// An evaluator of the same employer is already on the round.
    EmployerTaken,
    /// No capacity left: `open_reviews >= capacity`.
    AtCapacity,
}

/// Why a round could not get its `needed` evaluators: the first that applies, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unstaffable {
    /// No evaluator is active, trained, available and expert in the round's set.
    NoTrainedExpert,
    /// Experts exist, but each is the candidate, conflicted, excluded, or of an employer
    /// already on the round.
    AllConflicted,
    /// The experts left after conflicts span fewer than `needed` distinct employers
    /// (fewer than `needed` of them at all counts here too), whatever their capacity.
    TooFewDistinctEmployers,
    /// Randomised mode only: enough of them, but too few to keep every probability at or
    /// below the cap (with cap 1/2 and 2 needed, at least 4 across 2 employers, and no
    /// employer counting for more than one).
    ProbabilityCap,
    /// Enough non-conflicted experts of distinct employers exist, but capacity does not
    /// suffice: their own (`open_reviews >= capacity`) or what is left after the rounds
    /// staffed in this solve.
    AllAtCapacity,
}

impl Unstaffable {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoTrainedExpert => "NO_TRAINED_EXPERT",
            Self::AllConflicted => "ALL_CONFLICTED",
            Self::TooFewDistinctEmployers => "TOO_FEW_DISTINCT_EMPLOYERS",
            Self::ProbabilityCap => "PROBABILITY_CAP",
            Self::AllAtCapacity => "ALL_AT_CAPACITY",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolveError {
    #[error("round {0} appears twice")]
    DuplicateRound(i64),
    #[error("evaluator {0} appears twice")]
    DuplicateEvaluator(i64),
    #[error("invalid parameters: {0}")]
    InvalidParams(&'static str),
    #[error("costs too large for exact arithmetic on a network this size")]
    CostOverflow,
    #[error("internal solver error: {0}")]
    Internal(&'static str),
}

/// Lower-cases, trims and collapses inner whitespace; `None` when nothing is left.
pub fn normalise_key(key: &str) -> Option<String> {
    let mut out = String::with_capacity(key.len());
    for word in key.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    (!out.is_empty()).then_some(out)
}

// ---------------------------------------------------------------------------------------
// Prepared input: keys interned once, so that rules compare integers.

#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    next: u32,
}

impl Interner {
    fn key(&mut self, raw: &str) -> Option<u32> {
        let key = normalise_key(raw)?;
        if let Some(&id) = self.ids.get(&key) {
            return Some(id);
        }
        let id = self.fresh();
        self.ids.insert(key, id);
        Some(id)
    }

    fn fresh(&mut self) -> u32 {
        self.next += 1;
        self.next
    }
}

struct PEvaluator {
    id: i64,
    account_id: i64,
    /// For the one-per-employer rule: the employer, or a group of its own when blank.
    group: u32,
    employer: Option<u32>,
    institution: Option<u32>,
    active: bool,
    trained: bool,
    available: bool,
    sets: Vec<i64>,
    remaining: u32,
    open: u32,
    recent: u32,
    conflict_accounts: Vec<i64>,
    conflict_candidacies: Vec<i64>,
    conflict_orgs: Vec<u32>,
}

struct PRound {
    id: i64,
    set_id: i64,
    candidacy_id: i64,
    account_id: i64,
    employer: Option<u32>,
    institution: Option<u32>,
    needed: u32,
    excluded: Vec<i64>,
    taken: Vec<u32>,
}

fn prepare_evaluator(e: &Evaluator, keys: &mut Interner) -> PEvaluator {
    let employer = keys.key(&e.employer_key);
    let mut conflict_accounts = Vec::new();
    let mut conflict_candidacies = Vec::new();
    let mut conflict_orgs = Vec::new();
    for c in &e.declared_conflicts {
        match c {
            Conflict::Candidate(a) => conflict_accounts.push(*a),
            Conflict::Candidacy(c) => conflict_candidacies.push(*c),
            Conflict::Organisation(o) => conflict_orgs.extend(keys.key(o)),
        }
    }
    PEvaluator {
        id: e.id,
        account_id: e.account_id,
        group: employer.unwrap_or_else(|| keys.fresh()),
        employer,
        institution: e.institution_key.as_deref().and_then(|k| keys.key(k)),
        active: e.active,
        trained: e.trained,
        available: e.available,
        sets: e.sets.clone(),
        remaining: e.capacity.saturating_sub(e.open_reviews),
        open: e.open_reviews,
        recent: e.recent_reviews,
        conflict_accounts,
        conflict_candidacies,
        conflict_orgs,
    }
}

fn prepare_round(r: &Round, keys: &mut Interner) -> PRound {
    PRound {
        id: r.id,
        set_id: r.set_id,
        candidacy_id: r.candidacy_id,
        account_id: r.candidate_account_id,
        employer: r
            .candidate_employer_key
            .as_deref()
            .and_then(|k| keys.key(k)),
        institution: r
            .candidate_institution_key
            .as_deref()
            .and_then(|k| keys.key(k)),
        needed: r.needed,
        excluded: r.excluded_evaluators.clone(),
        taken: r
            .taken_employers
            .iter()
            .filter_map(|k| keys.key(k))
            .collect(),
    }
}

/// Rules that concern the evaluator and the set only.
fn expert_status(e: &PEvaluator, set_id: i64) -> Result<(), Ineligible> {
    if !e.active {
        return Err(Ineligible::Inactive);
    }
    if !e.trained {
        return Err(Ineligible::Untrained);
    }
    if !e.available {
        return Err(Ineligible::Unavailable);
    }
    if !e.sets.contains(&set_id) {
        return Err(Ineligible::NotExpert);
    }
    Ok(())
}

/// Rules that concern the pair, capacity aside.
fn pair_status(r: &PRound, e: &PEvaluator) -> Result<(), Ineligible> {
    if e.account_id == r.account_id {
        return Err(Ineligible::IsCandidate);
    }
    let candidate_orgs = [r.employer, r.institution];
    if e.conflict_accounts.contains(&r.account_id)
        || e.conflict_candidacies.contains(&r.candidacy_id)
        || e.conflict_orgs
            .iter()
            .any(|o| candidate_orgs.contains(&Some(*o)))
    {
        return Err(Ineligible::DeclaredConflict);
    }
    if e.employer.is_some() && e.employer == r.employer {
        return Err(Ineligible::SameEmployer);
    }
    let shared = [e.employer, e.institution]
        .iter()
        .flatten()
        .any(|o| candidate_orgs.contains(&Some(*o)));
    if shared {
        return Err(Ineligible::SameInstitution);
    }
    if r.excluded.contains(&e.id) {
        return Err(Ineligible::Excluded);
    }
    if r.taken.contains(&e.group) {
        return Err(Ineligible::EmployerTaken);
    }
    Ok(())
}

fn check(r: &PRound, e: &PEvaluator) -> Result<(), Ineligible> {
    expert_status(e, r.set_id)?;
    pair_status(r, e)?;
    if e.remaining == 0 {
        return Err(Ineligible::AtCapacity);
    }
    Ok(())
}

/// Whether `evaluator` may review `round`: every hard rule, checked in the order of
/// [`Ineligible`], with organisation keys compared after [`normalise_key`].
pub fn eligibility(round: &Round, evaluator: &Evaluator) -> Result<(), Ineligible> {
    let mut keys = Interner::default();
    let r = prepare_round(round, &mut keys);
    let e = prepare_evaluator(evaluator, &mut keys);
    check(&r, &e)
}

/// The reason a round is unstaffed, by the rule of [`Unstaffable`]'s order. `pair_units`
/// is `None` in the deterministic mode, else the pair capacity in units of `scale`.
fn classify(
    r: &PRound,
    evaluators: &[PEvaluator],
    experts: &[u32],
    needed: u32,
    pair_units: Option<i64>,
) -> Unstaffable {
    if experts.is_empty() {
        return Unstaffable::NoTrainedExpert;
    }
    // Employer group -> number of non-conflicted experts in it.
    let mut groups: HashMap<u32, i64> = HashMap::new();
    for &i in experts {
        let e = &evaluators[i as usize];
        if pair_status(r, e).is_ok() {
            *groups.entry(e.group).or_insert(0) += 1;
        }
    }
    if groups.is_empty() {
        return Unstaffable::AllConflicted;
    }
    if groups.len() < needed as usize {
        return Unstaffable::TooFewDistinctEmployers;
    }
    if let Some(units) = pair_units {
        let reachable: i64 = groups
            .values()
            .map(|&c| (c * units).min(PROBABILITY_DENOMINATOR))
            .sum();
        if reachable < i64::from(needed) * PROBABILITY_DENOMINATOR {
            return Unstaffable::ProbabilityCap;
        }
    }
    Unstaffable::AllAtCapacity
}

/// Whether the round could be staffed alone, with its evaluators' own capacities.
fn staffable_alone(
    r: &PRound,
    evaluators: &[PEvaluator],
    experts: &[u32],
    scale: i64,
    pair_units: i64,
) -> bool {
    let mut groups: HashMap<u32, i64> = HashMap::new();
    for &i in experts {
        let e = &evaluators[i as usize];
        if e.remaining > 0 && pair_status(r, e).is_ok() {
            *groups.entry(e.group).or_insert(0) += 1;
        }
    }
    let reachable: i64 = groups.values().map(|&c| (c * pair_units).min(scale)).sum();
    reachable >= i64::from(r.needed) * scale
}

// ---------------------------------------------------------------------------------------
// The incremental single assignment.

/// The eligible evaluator of least marginal cost for one more slot on `round`: pair cost
/// plus the cost of that evaluator's next review (`open_reviews` must be its current
/// load), ties broken by the seeded tie-break and then by id. Nobody already assigned
/// moves: the round's current evaluators and their employers must be in
/// `excluded_evaluators` and `taken_employers`. `round.needed` is ignored (one slot). The
/// randomised mode does not apply.
pub fn assign_one(
    round: &Round,
    evaluators: &[Evaluator],
    params: &Params,
) -> Result<i64, Unstaffable> {
    let mut keys = Interner::default();
    let r = prepare_round(round, &mut keys);
    let mut best: Option<(i64, i64)> = None;
    // Only experts in the set matter, even for the reason: prepare those alone.
    let mut prepared = Vec::new();
    for ev in evaluators {
        if !(ev.active && ev.trained && ev.available && ev.sets.contains(&r.set_id)) {
            continue;
        }
        let e = prepare_evaluator(ev, &mut keys);
        if check(&r, &e).is_ok() {
            let cost = params
                .pair_cost(r.id, e.id, e.recent)
                .saturating_add(params.load_cost(e.open, 1));
            if best.is_none_or(|b| (cost, e.id) < b) {
                best = Some((cost, e.id));
            }
        }
        prepared.push(e);
    }
    let experts: Vec<u32> = (0..prepared.len() as u32).collect();
    match best {
        Some((_, id)) => Ok(id),
        None => Err(classify(&r, &prepared, &experts, 1, None)),
    }
}

// ---------------------------------------------------------------------------------------
// The batch solve.

/// Exact potentials of a solve, in cost units, by round and by evaluator (the source and
/// sink too). Feed them to [`solve_warm`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Potentials {
    pub source: i64,
    pub sink: i64,
    /// (round id, potential), by round id.
    pub rounds: Vec<(i64, i64)>,
    /// (evaluator id, potential), by evaluator id.
    pub evaluators: Vec<(i64, i64)>,
}

/// In randomised mode: the probability that an evaluator reviews a round.
#[derive(Clone, Debug, PartialEq)]
pub struct Marginal {
    pub round_id: i64,
    pub evaluator_id: i64,
    /// In units of 1/[`PROBABILITY_DENOMINATOR`].
    pub units: i64,
}

impl Marginal {
    pub fn probability(&self) -> f64 {
        self.units as f64 / PROBABILITY_DENOMINATOR as f64
    }
}

/// Sizes and counts of a solve, for logs and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SolveStats {
    pub nodes: usize,
    pub arcs: usize,
    /// Units of the maximum flow (in 1/840 in randomised mode).
    pub max_flow: i64,
    /// Rounds partially staffed by the first solve and closed.
    pub partial_rounds: usize,
    /// Closed rounds offered again, and of those staffed.
    pub offered_again: usize,
    pub staffed_again: usize,
    /// Rounds of closing and offering again: one more each time those steps made the
    /// flow put two evaluators of one employer on a round.
    pub passes: usize,
    /// (round, employer) nodes activated because a flow put two evaluators of one
    /// employer on a round.
    pub employer_nodes: usize,
}

/// The outcome of a batch solve.
pub struct Solution {
    /// (round id, evaluator id), sorted.
    pub assignments: Vec<(i64, i64)>,
    /// Rounds left waiting, by id, with the reason.
    pub unstaffed: Vec<(i64, Unstaffable)>,
    /// [`assignment_cost`] of `assignments`.
    pub total_cost: i64,
    /// The staffed rounds use every slot of the maximum flow: their number (weighted by
    /// `needed`) is the maximum possible.
    pub proven_maximum: bool,
    /// The first minimum-cost maximum flow left no round partially staffed, so the
    /// assignment is the lexicographic optimum: most staffed slots, then least cost among
    /// all assignments (not only among those staffing the same rounds).
    pub proven_optimal: bool,
    /// Randomised mode: the fractional assignment `x`, every probability at most the cap.
    pub marginals: Vec<Marginal>,
    /// The cost of the flow the potentials certify: in the deterministic mode equal to
    /// `total_cost`; in randomised mode `PROBABILITY_DENOMINATOR` times the expected cost.
    pub flow_cost: i128,
    pub potentials: Potentials,
    pub stats: SolveStats,
    randomised: bool,
    network: Network,
    layout: batch::Layout,
}

impl std::fmt::Debug for Solution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Solution")
            .field("assignments", &self.assignments)
            .field("unstaffed", &self.unstaffed)
            .field("total_cost", &self.total_cost)
            .field("proven_maximum", &self.proven_maximum)
            .field("proven_optimal", &self.proven_optimal)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Solution {
    /// Checks the certificate: the flow is feasible (capacities, conservation, the supply)
    /// and every residual arc has a non-negative reduced cost under the potentials, so the
    /// flow is a minimum-cost flow for the rounds staffed in the network solved; that
    /// network has employer nodes only where needed, so the flow is also checked to put
    /// at most one unit into each employer group of each round (it is then feasible for,
    /// and optimal in, the full network). In the deterministic mode the assignments are
    /// that flow and `total_cost` its cost.
    pub fn certify(&self) -> bool {
        if !self.network.certify() || !self.layout.violations(&self.network).is_empty() {
            return false;
        }
        self.randomised || i128::from(self.total_cost) == self.flow_cost
    }

    /// Potentials of every node of the network (source, sink, evaluators, rounds and
    /// their employer nodes), exact, in cost units.
    pub fn node_potentials(&self) -> &[i64] {
        &self.network.potential
    }
}

/// Solves the batch from scratch.
pub fn solve(
    rounds: &[Round],
    evaluators: &[Evaluator],
    params: &Params,
) -> Result<Solution, SolveError> {
    batch::solve(rounds, evaluators, params, None)
}

/// Solves the batch starting from the potentials of an earlier, similar solve. Rounds and
/// evaluators unknown to `warm` start from neutral values. Same guarantees as [`solve`]
/// (the optimum may differ only between assignments of equal total cost); it skips the
/// aggregated start, so it pays off only when the earlier solve is close.
pub fn solve_warm(
    rounds: &[Round],
    evaluators: &[Evaluator],
    params: &Params,
    warm: &Potentials,
) -> Result<Solution, SolveError> {
    batch::solve(rounds, evaluators, params, Some(warm))
}
