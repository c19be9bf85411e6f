//! The batch solve: network construction, lazy employer nodes, closing partially staffed
//! rounds, offering them again, and reading the result.

use std::collections::HashMap;

use super::cost_scaling::{self, Start};
use super::network::{Builder, Network, SINK, SOURCE};
use super::{
    Evaluator, Marginal, PEvaluator, PROBABILITY_DENOMINATOR, PRound, Params, Potentials, Round,
    Solution, SolveError, SolveStats, Unstaffable, assignment_cost, classify, expert_status, mix64,
    pair_status, prepare_evaluator, prepare_round, randomised, staffable_alone,
};

/// Node of the first evaluator; evaluator `i` is node `EVALUATOR_BASE + i`.
pub(crate) const EVALUATOR_BASE: usize = 2;

/// A (round, employer) with two or more eligible evaluators: a node that enforces "at
/// most one of them" once active. Until then its arcs have capacity 0 and the round
/// reaches those evaluators directly.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub node: u32,
    /// The forward slot `round -> node`.
    pub slot: u32,
    /// Its members in `Layout::members`.
    pub members: (u32, u32),
    pub active: bool,
}

/// An evaluator in a group: its direct slot `round -> evaluator` and its slot
/// `employer node -> evaluator`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Member {
    pub direct: u32,
    pub via: u32,
}

/// Where each round and evaluator sits in a network.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    pub n_evaluators: usize,
    /// Per evaluator: its employer group.
    pub employer_of: Vec<u32>,
    /// Per round (by index): its node, or `None` when it needs nobody or has no arcs.
    pub round_node: Vec<Option<u32>>,
    /// Per round: the forward slot of its source arc.
    pub source_slot: Vec<u32>,
    /// Per round: its employer nodes, `first..end`.
    pub employer_nodes: Vec<(u32, u32)>,
    pub groups: Vec<Group>,
    /// Per round: its groups, `first..end` in `groups`.
    pub groups_of_round: Vec<(u32, u32)>,
    pub members: Vec<Member>,
    /// Flow unit (1, or the probability denominator).
    pub scale: i64,
    pub pair_units: i64,
}

impl Layout {
    pub fn evaluator_of(&self, node: usize) -> Option<usize> {
        (EVALUATOR_BASE..EVALUATOR_BASE + self.n_evaluators)
            .contains(&node)
            .then(|| node - EVALUATOR_BASE)
    }

    fn tails(&self, ri: usize) -> impl Iterator<Item = usize> + use<> {
        let (lo, hi) = self.employer_nodes.get(ri).copied().unwrap_or((0, 0));
        self.round_node
            .get(ri)
            .copied()
            .flatten()
            .map(|rn| rn as usize)
            .into_iter()
            .chain(lo as usize..hi as usize)
    }

    /// (tail node, evaluator index, flow) of every pair arc of a round with flow.
    pub fn pair_flows(&self, net: &Network, ri: usize) -> Vec<(usize, usize, i64)> {
        let mut out = Vec::new();
        for t in self.tails(ri) {
            for a in net.range(t) {
                if let Some(e) = self.evaluator_of(net.arcs[a].head as usize) {
                    let f = net.flow(a);
                    if f > 0 {
                        out.push((t, e, f));
                    }
                }
            }
        }
        out
    }

    /// Whether one of the round's employer nodes is active.
    pub fn has_active_group(&self, ri: usize) -> bool {
        let (lo, hi) = self.groups_of_round.get(ri).copied().unwrap_or((0, 0));
        self.groups[lo as usize..hi as usize]
            .iter()
            .any(|g| g.active)
    }

    /// Inactive groups whose members' direct arcs carry more than one unit: the employer
    /// rule, broken because the group's node is not active yet.
    pub fn violations(&self, net: &Network) -> Vec<usize> {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.active)
            .filter(|(_, g)| {
                let (lo, hi) = g.members;
                let sum: i64 = self.members[lo as usize..hi as usize]
                    .iter()
                    .map(|m| net.flow(m.direct as usize))
                    .sum();
                sum > self.scale
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Activates a group in place: its members' direct arcs close and their flow moves
    /// to the arcs through the employer node, whose arc from the round takes at most one
    /// unit. The round is left with an excess and the node with a deficit, to be settled
    /// by the flow algorithm. The node takes the round's potential, so no reduced cost
    /// changes. `potential` is the vector being solved with (scaled or exact).
    pub fn activate(&mut self, gi: usize, net: &mut Network, potential: &mut [i64]) {
        let g = &mut self.groups[gi];
        g.active = true;
        let (lo, hi) = g.members;
        let mut sum = 0;
        for m in &self.members[lo as usize..hi as usize] {
            let direct = m.direct as usize;
            let f = net.flow(direct);
            sum += f;
            net.set_arc(direct, 0, 0);
            net.set_arc(m.via as usize, self.pair_units, f);
        }
        net.set_arc(g.slot as usize, self.scale, sum.min(self.scale));
        potential[g.node as usize] = potential[net.tail(g.slot as usize)];
    }
}

struct Input<'a> {
    rounds: &'a [PRound],
    evaluators: &'a [PEvaluator],
    experts_of_set: &'a HashMap<i64, Vec<u32>>,
    params: &'a Params,
    scale: i64,
    pair_units: i64,
}

/// Builds the network: every eligible pair a direct arc from the round, and for every
/// (round, employer) with two or more of them an employer node with arcs of capacity 0,
/// to be activated when the flow needs it.
fn build(input: &Input<'_>) -> Result<(Network, Layout), SolveError> {
    let (rounds, evaluators) = (input.rounds, input.evaluators);
    let ne = evaluators.len();
    // Candidates per round first, to size the evaluators' unit arcs and to lay the
    // evaluators' rows out with their sink arcs first.
    let empty = Vec::new();
    let mut candidates: Vec<Vec<u32>> = Vec::with_capacity(rounds.len());
    let mut eligible_rounds = vec![0u32; ne];
    let mut total = 0usize;
    for r in rounds {
        let mut list = Vec::new();
        if r.needed > 0 {
            for &i in input.experts_of_set.get(&r.set_id).unwrap_or(&empty) {
                let e = &evaluators[i as usize];
                if e.remaining > 0 && pair_status(r, e).is_ok() {
                    list.push(i);
                    eligible_rounds[i as usize] += 1;
                }
            }
        }
        total += list.len();
        candidates.push(list);
    }
    let mut builder = Builder::with_capacity(total * 2 + rounds.len() * 8 + ne * 64);
    for (i, e) in evaluators.iter().enumerate() {
        let units = e.remaining.min(eligible_rounds[i]);
        for k in 1..=units {
            builder.add(
                EVALUATOR_BASE + i,
                SINK,
                input.scale,
                input.params.load_cost(e.open, k),
            );
        }
    }
    let mut next_node = EVALUATOR_BASE + ne;
    let mut round_node = vec![None; rounds.len()];
    let mut source_edge = vec![usize::MAX; rounds.len()];
    let mut employer_nodes = vec![(0u32, 0u32); rounds.len()];
    let mut groups_of_round = vec![(0u32, 0u32); rounds.len()];
    // Groups and members with arc indices of the builder, mapped to slots at the end.
    let mut groups: Vec<Group> = Vec::new();
    let mut members: Vec<Member> = Vec::new();
    let mut by_group: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
    for (ri, r) in rounds.iter().enumerate() {
        let list = &candidates[ri];
        if list.is_empty() {
            continue;
        }
        let rn = next_node;
        next_node += 1;
        round_node[ri] = Some(rn as u32);
        source_edge[ri] = builder.add(
            SOURCE,
            rn,
            i64::from(r.needed).saturating_mul(input.scale),
            0,
        );
        by_group.clear();
        for &i in list {
            let e = &evaluators[i as usize];
            let cost = input.params.pair_cost(r.id, e.id, e.recent);
            let direct = builder.add(rn, EVALUATOR_BASE + i as usize, input.pair_units, cost);
            by_group.entry(e.group).or_default().push((i, direct));
        }
        let mut keys: Vec<u32> = by_group
            .iter()
            .filter(|(_, v)| v.len() >= 2)
            .map(|(&g, _)| g)
            .collect();
        keys.sort_unstable();
        let first_employer = next_node as u32;
        let first_group = groups.len() as u32;
        for g in keys {
            let node = next_node;
            next_node += 1;
            let slot = builder.add(rn, node, 0, 0);
            let lo = members.len() as u32;
            for &(i, direct) in by_group.get(&g).unwrap_or(&Vec::new()) {
                let e = &evaluators[i as usize];
                let cost = input.params.pair_cost(r.id, e.id, e.recent);
                let via = builder.add(node, EVALUATOR_BASE + i as usize, 0, cost);
                members.push(Member {
                    direct: direct as u32,
                    via: via as u32,
                });
            }
            groups.push(Group {
                node: node as u32,
                slot: slot as u32,
                members: (lo, members.len() as u32),
                active: false,
            });
        }
        employer_nodes[ri] = (first_employer, next_node as u32);
        groups_of_round[ri] = (first_group, groups.len() as u32);
    }
    let (network, slot_of) = builder.build(next_node).ok_or(SolveError::CostOverflow)?;
    let slot = |edge: usize| slot_of.get(edge).copied().unwrap_or(u32::MAX);
    for g in &mut groups {
        g.slot = slot(g.slot as usize);
    }
    for m in &mut members {
        m.direct = slot(m.direct as usize);
        m.via = slot(m.via as usize);
    }
    let layout = Layout {
        n_evaluators: ne,
        employer_of: evaluators.iter().map(|e| e.group).collect(),
        round_node,
        source_slot: source_edge.iter().map(|&e| slot(e)).collect(),
        employer_nodes,
        groups,
        groups_of_round,
        members,
        scale: input.scale,
        pair_units: input.pair_units,
    };
    Ok((network, layout))
}

/// Evaluator prices from an aggregated problem: rounds merged by set (one node per set
/// supplying its rounds' slots; an arc to each evaluator eligible for some of them, with
/// capacity the number of such rounds and the evaluator's pair cost plus an average
/// tie-break), employer rules left out. It is tiny (sets + evaluators), solved exactly by
/// the same algorithm, and its evaluator potentials and loads are close to the real ones.
/// Returns (price, load) per evaluator, the load in flow units.
fn aggregate_prices(net: &Network, layout: &Layout, input: &Input<'_>) -> Option<Vec<(i64, i64)>> {
    let ne = layout.n_evaluators;
    let scale = input.scale;
    // Per set: its rounds' total need, and per evaluator the number of its rounds.
    let mut set_index: HashMap<i64, usize> = HashMap::new();
    let mut need: Vec<i64> = Vec::new();
    let mut pairs: HashMap<(usize, usize), (i64, i64)> = HashMap::new();
    for (ri, r) in input.rounds.iter().enumerate() {
        let Some(rn) = layout.round_node[ri] else {
            continue;
        };
        let next = set_index.len();
        let si = *set_index.entry(r.set_id).or_insert(next);
        if si == need.len() {
            need.push(0);
        }
        need[si] += i64::from(r.needed) * scale;
        for a in net.range(rn as usize) {
            let arc = net.arcs[a];
            if let Some(e) = layout.evaluator_of(arc.head as usize) {
                let entry = pairs.entry((si, e)).or_insert((0, 0));
                entry.0 += input.pair_units;
                entry.1 = i64::from(arc.cost);
            }
        }
    }
    let sets = need.len();
    let mut builder = Builder::with_capacity(sets + pairs.len() + net.arcs.len() / 8);
    // Nodes: source, sink, evaluators, then sets.
    let set_node = |si: usize| EVALUATOR_BASE + ne + si;
    for e in 0..ne {
        for a in net.range(EVALUATOR_BASE + e) {
            if net.arcs[a].head as usize == SINK && net.upper[a] > 0 {
                builder.add(
                    EVALUATOR_BASE + e,
                    SINK,
                    net.upper[a],
                    i64::from(net.arcs[a].cost),
                );
            }
        }
    }
    for (si, &total) in need.iter().enumerate() {
        builder.add(SOURCE, set_node(si), total, 0);
    }
    let mut keys: Vec<(usize, usize)> = pairs.keys().copied().collect();
    keys.sort_unstable();
    for (si, e) in keys {
        let (cap, cost) = pairs.get(&(si, e)).copied().unwrap_or((0, 0));
        // The arc cost includes this round's tie-break; take the average one instead.
        let base = cost - cost.rem_euclid(super::TIE_BREAK_SCALE) + super::TIE_BREAK_SCALE / 2;
        builder.add(set_node(si), EVALUATOR_BASE + e, cap, base);
    }
    let (mut small, _) = builder.build(EVALUATOR_BASE + ne + sets)?;
    small.supply = cost_scaling::max_flow(&mut small);
    cost_scaling::min_cost_flow(&mut small, Start::Cold, &mut |_, _| false).ok()?;
    Some(
        (0..ne)
            .map(|e| {
                let node = EVALUATOR_BASE + e;
                let load = small.net_out(node).max(0)
                    + small
                        .range(node)
                        .filter(|&a| small.arcs[a].head as usize != SINK)
                        .map(|a| -small.flow(a).min(0))
                        .sum::<i64>()
                    - small.net_out(node).max(0);
                (small.potential[SINK] - small.potential[node], load)
            })
            .collect(),
    )
}

/// A starting point for the cold solve: prices for the evaluators from the aggregated
/// problem; each round, in order, takes the evaluators of least price plus pair cost
/// (distinct employers, within capacity); potentials follow (an evaluator at minus its
/// price, kept within its marginal unit costs; a round at minus its dearest evaluator in
/// use). A nearly optimal flow with nearly optimal prices, so cost scaling can start at a
/// small epsilon. The maximum flow is completed afterwards. False (with nothing changed)
/// if the aggregated problem fails, which it should not.
fn greedy_start(net: &mut Network, layout: &Layout, input: &Input<'_>) -> bool {
    let (scale, pair_units) = (input.scale, input.pair_units);
    let ne = layout.n_evaluators;
    let Some(aggregate) = aggregate_prices(net, layout, input) else {
        return false;
    };
    let price: Vec<i64> = aggregate.iter().map(|x| x.0).collect();
    // First within the aggregate's loads (so that the loads, hence the prices, match),
    // then within capacity for what is left.
    let budget: Vec<i64> = aggregate.iter().map(|x| x.1).collect();
    let units: Vec<i64> = (0..ne)
        .map(|e| {
            net.range(EVALUATOR_BASE + e)
                .filter(|&a| net.arcs[a].head as usize == SINK && net.upper[a] > 0)
                .count() as i64
        })
        .collect();
    let mut used = vec![0i64; ne];
    let mut options: Vec<(i64, usize, usize)> = Vec::new();
    let mut group_used: HashMap<u32, i64> = HashMap::new();
    for limit_pass in [true, false] {
        for (ri, r) in input.rounds.iter().enumerate() {
            let Some(rn) = layout.round_node[ri] else {
                continue;
            };
            let rn = rn as usize;
            let slot = layout.source_slot[ri] as usize;
            let mut need = i64::from(r.needed) * scale - net.flow(slot);
            if need <= 0 {
                continue;
            }
            options.clear();
            group_used.clear();
            for a in net.range(rn) {
                let arc = net.arcs[a];
                if let Some(e) = layout.evaluator_of(arc.head as usize) {
                    let f = net.flow(a);
                    if f > 0 {
                        *group_used.entry(layout.employer_of[e]).or_insert(0) += f;
                    }
                    let room = if limit_pass {
                        budget[e]
                    } else {
                        units[e] * scale
                    } - used[e];
                    if room > 0 && f < pair_units {
                        options.push((i64::from(arc.cost) + price[e], a, e));
                    }
                }
            }
            options.sort_unstable();
            for &(_, a, e) in &options {
                if need == 0 {
                    break;
                }
                let g = layout.employer_of[e];
                let in_group = group_used.get(&g).copied().unwrap_or(0);
                let room = if limit_pass {
                    budget[e]
                } else {
                    units[e] * scale
                } - used[e];
                let take = need
                    .min(pair_units - net.flow(a))
                    .min(scale - in_group)
                    .min(room);
                if take <= 0 {
                    continue;
                }
                net.push(a, take);
                net.push(layout.source_slot[ri] as usize, take);
                // Pour into the evaluator's unit arcs, cheapest first.
                let mut left = take;
                while left > 0 {
                    let k = used[e] / scale + 1;
                    let slot = net.first[EVALUATOR_BASE + e] as usize + (k - 1) as usize;
                    let f = left.min(net.arcs[slot].res);
                    net.push(slot, f);
                    used[e] += f;
                    left -= f;
                }
                group_used.insert(g, in_group + take);
                need -= take;
            }
        }
    }
    // Potentials: sink 0; an evaluator at minus its price (where the greedy left it below
    // or above its aggregate load, a few of its unit arcs are off, rather than every arc
    // into it); a round at minus its dearest evaluator in use (or its cheapest, when it
    // has none); the source at the least round.
    net.potential.fill(0);
    for (e, &x) in price.iter().enumerate() {
        net.potential[EVALUATOR_BASE + e] = -x;
    }
    let mut source = i64::MAX;
    for ri in 0..input.rounds.len() {
        let Some(rn) = layout.round_node[ri] else {
            continue;
        };
        let rn = rn as usize;
        let (mut dearest_used, mut cheapest) = (i64::MIN, i64::MAX);
        for a in net.range(rn) {
            let arc = net.arcs[a];
            if let Some(e) = layout.evaluator_of(arc.head as usize) {
                let w = i64::from(arc.cost) - net.potential[EVALUATOR_BASE + e];
                if net.flow(a) > 0 {
                    dearest_used = dearest_used.max(w);
                }
                cheapest = cheapest.min(w);
            }
        }
        let p = if dearest_used > i64::MIN {
            -dearest_used
        } else {
            -cheapest
        };
        net.potential[rn] = p;
        let (lo, hi) = layout.employer_nodes[ri];
        for emp in lo..hi {
            net.potential[emp as usize] = p;
        }
        source = source.min(p);
    }
    net.potential[SOURCE] = if source == i64::MAX { 0 } else { source };
    true
}

/// From a 0-optimal pseudoflow with exact potentials (after activating groups) to a
/// minimum-cost maximum flow, by successive shortest paths only: settle excesses against deficits;
/// return what cannot be placed to the source and take what is missing from the sink
/// (lowering the supply); then send more from the source while a path remains.
fn repair(net: &mut Network) -> Result<(), SolveError> {
    let mut excess = cost_scaling::imbalances(net);
    cost_scaling::saturate_negative(net, &mut excess);
    let mut log = Vec::new();
    cost_scaling::settle_backward(net, &mut excess, &mut log);
    let left: i64 = excess.iter().filter(|&&x| x > 0).sum();
    if left > 0 {
        net.supply -= left;
        excess[SOURCE] -= left;
        excess[SINK] += left;
        cost_scaling::settle_backward(net, &mut excess, &mut log);
    }
    if excess.iter().any(|&x| x != 0) {
        return Err(SolveError::Internal("imbalance left after repair"));
    }
    let room: i64 = net
        .range(SOURCE)
        .filter(|&a| net.upper[a] > 0)
        .map(|a| net.arcs[a].res)
        .sum();
    if room > 0 {
        excess[SOURCE] = room;
        excess[SINK] = -room;
        let more = cost_scaling::settle(net, &mut excess, None, &mut log);
        net.supply += more;
    }
    Ok(())
}

/// The evaluators (by index, sorted) a round node has arcs to, directly or through its
/// employer nodes, whatever their state.
fn candidates_of(net: &Network, layout: &Layout, rn: usize) -> Vec<u32> {
    let mut out: Vec<u32> = net
        .range(rn)
        .filter_map(|a| layout.evaluator_of(net.arcs[a].head as usize))
        .map(|e| e as u32)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether sorted `small` is within sorted `big`.
fn is_subset(small: &[u32], big: &[u32]) -> bool {
    let mut j = 0;
    for &x in small {
        while j < big.len() && big[j] < x {
            j += 1;
        }
        if j == big.len() || big[j] != x {
            return false;
        }
        j += 1;
    }
    true
}

/// Nodes with a residual path to the sink (a breadth-first search backwards).
fn reaching_sink(net: &Network) -> Vec<bool> {
    let mut reach = vec![false; net.n()];
    reach[SINK] = true;
    let mut queue = vec![SINK];
    while let Some(v) = queue.pop() {
        for a in net.live_in(net.range(v)) {
            let u = net.arcs[a].head as usize;
            if !reach[u] {
                reach[u] = true;
                queue.push(u);
            }
        }
    }
    reach
}

/// Before offering a closed round again, or when leaving it closed: potentials of its
/// nodes (which carry no flow and have no residual arc in) high enough that their arcs
/// out have non-negative reduced costs.
fn prime_potentials(net: &mut Network, layout: &Layout, ri: usize, rn: usize) {
    let (lo, hi) = layout.employer_nodes[ri];
    for emp in lo as usize..hi as usize {
        net.potential[emp] = least_potential(net, emp);
    }
    net.potential[rn] = least_potential(net, rn);
}

/// The least potential of `v` making its residual arcs out non-negative.
fn least_potential(net: &Network, v: usize) -> i64 {
    net.range(v)
        .filter(|&a| net.arcs[a].res > 0)
        .map(|a| net.potential[net.arcs[a].head as usize] - i64::from(net.arcs[a].cost))
        .max()
        .unwrap_or(net.potential[v])
}

/// Maps warm potentials onto a new network; what is unknown starts neutral.
fn apply_potentials(net: &mut Network, layout: &Layout, input: &Input<'_>, warm: &Potentials) {
    let round_p: HashMap<i64, i64> = warm.rounds.iter().copied().collect();
    let eval_p: HashMap<i64, i64> = warm.evaluators.iter().copied().collect();
    net.potential[SOURCE] = warm.source;
    net.potential[SINK] = warm.sink;
    for (i, e) in input.evaluators.iter().enumerate() {
        net.potential[EVALUATOR_BASE + i] = eval_p
            .get(&e.id)
            .copied()
            .unwrap_or_else(|| warm.sink - input.params.load_cost(e.open, 1));
    }
    for (ri, r) in input.rounds.iter().enumerate() {
        if let Some(rn) = layout.round_node[ri] {
            let p = round_p.get(&r.id).copied().unwrap_or(warm.source);
            net.potential[rn as usize] = p;
            let (lo, hi) = layout.employer_nodes[ri];
            for emp in lo..hi {
                net.potential[emp as usize] = p;
            }
        }
    }
}

/// What the pipeline gives on one network.
struct Pass {
    partial: usize,
    offered: usize,
    staffed_again: usize,
    closed: Vec<usize>,
}

/// Once the network holds a minimum-cost maximum flow that breaks no employer rule:
/// close the rounds that did not get all they need (their flow goes back along shortest
/// paths, so the rest stays optimal), then offer each closed round again, oldest first.
fn staff(net: &mut Network, layout: &Layout, input: &Input<'_>) -> Result<Pass, SolveError> {
    let (rounds, scale) = (input.rounds, input.scale);
    let n = net.n();
    let mut closed = Vec::new();
    let mut partial = 0;
    for (ri, r) in rounds.iter().enumerate() {
        if layout.round_node[ri].is_none() {
            if r.needed > 0 {
                closed.push(ri);
            }
            continue;
        }
        let slot = layout.source_slot[ri] as usize;
        let f = net.flow(slot);
        if f < i64::from(r.needed) * scale {
            if f > 0 {
                partial += 1;
                net.supply -= f;
            }
            net.set_arc(slot, 0, 0);
            closed.push(ri);
        }
    }
    let mut log = Vec::new();
    if partial > 0 {
        // Each unit withdrawn goes back from the sink to its round along a shortest path
        // (which may move other rounds' evaluators), keeping the potentials exact.
        let mut excess = cost_scaling::imbalances(net);
        cost_scaling::settle_backward(net, &mut excess, &mut log);
        if excess.iter().any(|&x| x != 0) {
            return Err(SolveError::Internal("could not withdraw a partial round"));
        }
    }
    let mut offered = 0;
    let mut staffed_again = 0;
    let mut still_closed = Vec::new();
    let empty = Vec::new();
    // Which nodes can still reach the sink: a round none of whose arcs leads there is
    // not worth a search. Recomputed after each round staffed.
    let mut reach = reaching_sink(net);
    let mut excess = vec![0i64; n];
    let mut failed: Vec<(u32, Vec<u32>)> = Vec::new();
    for ri in closed {
        let r = &rounds[ri];
        let experts = input.experts_of_set.get(&r.set_id).unwrap_or(&empty);
        let Some(rn) = layout.round_node[ri] else {
            still_closed.push(ri);
            continue;
        };
        if !staffable_alone(r, input.evaluators, experts, scale, input.pair_units) {
            still_closed.push(ri);
            continue;
        }
        let rn = rn as usize;
        let want = i64::from(r.needed) * scale;
        let reachable: i64 = net
            .live(net.range(rn))
            .filter(|&a| reach[net.arcs[a].head as usize])
            .map(|a| net.arcs[a].res)
            .sum();
        if reachable < want {
            still_closed.push(ri);
            continue;
        }
        // Staffing more rounds only uses more capacity, so a round that failed stays
        // failed, and so does any round whose evaluators are among its evaluators (and
        // that needs as many): no need to search for those.
        let mine = candidates_of(net, layout, rn);
        let active = layout.has_active_group(ri);
        if failed
            .iter()
            .any(|(n, theirs): &(u32, Vec<u32>)| *n <= r.needed && is_subset(&mine, theirs))
        {
            still_closed.push(ri);
            continue;
        }
        offered += 1;
        let saved = net.potential.clone();
        prime_potentials(net, layout, ri, rn);
        log.clear();
        excess[rn] = want;
        excess[SINK] = -want;
        let sent = cost_scaling::settle(net, &mut excess, Some(SOURCE), &mut log);
        excess[rn] = 0;
        excess[SINK] = 0;
        if sent == want {
            net.set_arc(layout.source_slot[ri] as usize, want, want);
            net.supply += want;
            staffed_again += 1;
            reach = reaching_sink(net);
        } else {
            cost_scaling::undo(net, &log);
            net.potential = saved;
            still_closed.push(ri);
            // Only a round without an active employer node is as permissive as any round
            // with fewer evaluators.
            if !active {
                failed.push((r.needed, mine));
            }
        }
    }
    for &ri in &still_closed {
        if let Some(rn) = layout.round_node[ri] {
            prime_potentials(net, layout, ri, rn as usize);
        }
    }
    // The source has no residual arc out (every open round is saturated); lowering its
    // potential to the least of its rounds' keeps the arcs back into it non-negative.
    let floor = net
        .range(SOURCE)
        .filter(|&a| net.flow(a) > 0)
        .map(|a| net.potential[net.arcs[a].head as usize])
        .min();
    if let Some(m) = floor {
        net.potential[SOURCE] = net.potential[SOURCE].min(m);
    }
    Ok(Pass {
        partial,
        offered,
        staffed_again,
        closed: still_closed,
    })
}

pub(crate) fn solve(
    rounds: &[Round],
    evaluators: &[Evaluator],
    params: &Params,
    warm: Option<&Potentials>,
) -> Result<Solution, SolveError> {
    params.validate()?;
    // Sorted by id, so that the result does not depend on input order.
    let mut keys = super::Interner::default();
    let mut pe: Vec<PEvaluator> = evaluators
        .iter()
        .map(|e| prepare_evaluator(e, &mut keys))
        .collect();
    pe.sort_by_key(|e| e.id);
    if let Some(w) = pe.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(SolveError::DuplicateEvaluator(w[0].id));
    }
    let mut pr: Vec<PRound> = rounds.iter().map(|r| prepare_round(r, &mut keys)).collect();
    pr.sort_by_key(|r| r.id);
    if let Some(w) = pr.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(SolveError::DuplicateRound(w[0].id));
    }
    let mut experts_of_set: HashMap<i64, Vec<u32>> = HashMap::new();
    for (i, e) in pe.iter().enumerate() {
        for &s in &e.sets {
            if expert_status(e, s).is_ok() {
                let list = experts_of_set.entry(s).or_default();
                if list.last() != Some(&(i as u32)) {
                    list.push(i as u32);
                }
            }
        }
    }
    let (scale, pair_units) = match params.max_probability {
        Some(q) => (PROBABILITY_DENOMINATOR, Params::pair_units(q)),
        None => (1, 1),
    };
    let input = Input {
        rounds: &pr,
        evaluators: &pe,
        experts_of_set: &experts_of_set,
        params,
        scale,
        pair_units,
    };

    // Employer nodes are added lazily: solve with direct arcs, give a node to each
    // (round, employer) the flow put two evaluators into, and solve again from the
    // previous flow and potentials. The forced set only grows, so this ends; the last
    // network breaks no employer rule, and its optimum is optimal for the full network
    // too (it is feasible there, and optimal for a relaxation of it).
    let (mut net, mut layout) = build(&input)?;
    let start = match warm {
        Some(w) => {
            apply_potentials(&mut net, &layout, &input, w);
            Start::Warm
        }
        None => Start::Cold,
    };
    // Cold: start from prices of the aggregated problem and a greedy assignment at those
    // prices, then complete the maximum flow (a few augmenting paths at most). Most arcs
    // then satisfy the prices or miss by a few cost units; the first phase starts at the
    // median miss and fixes the tail. Warm: the maximum flow (Dinic), then scaling from
    // the given potentials.
    let start = if start == Start::Cold && greedy_start(&mut net, &layout, &input) {
        net.supply = cost_scaling::max_flow(&mut net);
        Start::Measured(0.5)
    } else {
        if start == Start::Cold {
            // The aggregated problem could not be solved: start from nothing.
            net.clear_flow();
            net.potential.fill(0);
        }
        net.supply = cost_scaling::max_flow(&mut net);
        start
    };
    // Employer nodes are activated lazily, between scaling phases, wherever the flow puts
    // two evaluators of one employer on a round. The network solved in the end breaks no
    // employer rule, and its optimum is optimal for the network with every employer node
    // active too (feasible there, and optimal for a relaxation of it).
    let mut activations = 0;
    {
        let layout = &mut layout;
        let mut hook = |net: &mut Network, p: &mut [i64]| {
            let broken = layout.violations(net);
            for &gi in &broken {
                layout.activate(gi, net, p);
            }
            activations += broken.len();
            !broken.is_empty()
        };
        cost_scaling::min_cost_flow(&mut net, start, &mut hook)?;
    }
    // Complete the maximum flow along shortest paths (keeping it of least cost), until it
    // breaks no employer rule.
    loop {
        repair(&mut net)?;
        let broken = layout.violations(&net);
        if broken.is_empty() {
            break;
        }
        activations += broken.len();
        let mut p = std::mem::take(&mut net.potential);
        for &gi in &broken {
            layout.activate(gi, &mut net, &mut p);
        }
        net.potential = p;
    }
    // A maximum flow that breaks no employer rule: the maximum of the full network.
    let max_flow = net.supply;
    let mut passes = 0;
    let (mut partial, mut offered, mut staffed_again) = (0, 0, 0);
    let pass = loop {
        passes += 1;
        let pass = staff(&mut net, &layout, &input)?;
        partial += pass.partial;
        offered += pass.offered;
        staffed_again += pass.staffed_again;
        let broken = layout.violations(&net);
        if broken.is_empty() {
            break pass;
        }
        // Paths found while staffing put two of one employer on a round: activate and
        // repair (the set of active groups only grows, so this ends).
        activations += broken.len();
        let mut p = std::mem::take(&mut net.potential);
        for &gi in &broken {
            layout.activate(gi, &mut net, &mut p);
        }
        net.potential = p;
        repair(&mut net)?;
    };
    let net = net;

    let mut marginals = Vec::new();
    let assignments = if params.max_probability.is_some() {
        let (assignments, m) = draw(&net, &layout, &pr, &pe, params.seed)?;
        marginals = m;
        assignments
    } else {
        let mut out = Vec::new();
        for (ri, r) in pr.iter().enumerate() {
            for (_, e, _) in layout.pair_flows(&net, ri) {
                out.push((r.id, pe[e].id));
            }
        }
        out.sort_unstable();
        out
    };

    let empty = Vec::new();
    let mut unstaffed: Vec<(i64, Unstaffable)> = pass
        .closed
        .iter()
        .map(|&ri| {
            let r = &pr[ri];
            let experts = experts_of_set.get(&r.set_id).unwrap_or(&empty);
            let units = params.max_probability.map(|_| pair_units);
            (r.id, classify(r, &pe, experts, r.needed, units))
        })
        .collect();
    unstaffed.sort_unstable_by_key(|u| u.0);
    let total_cost = assignment_cost(&assignments, evaluators, params)
        .ok_or(SolveError::Internal("assigned an unknown evaluator"))?;
    let potentials = Potentials {
        source: net.potential[SOURCE],
        sink: net.potential[SINK],
        rounds: pr
            .iter()
            .enumerate()
            .filter_map(|(ri, r)| layout.round_node[ri].map(|n| (r.id, net.potential[n as usize])))
            .collect(),
        evaluators: pe
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id, net.potential[EVALUATOR_BASE + i]))
            .collect(),
    };
    let stats = SolveStats {
        nodes: net.n(),
        arcs: net.arcs.len() / 2,
        max_flow,
        partial_rounds: partial,
        offered_again: offered,
        staffed_again,
        passes,
        employer_nodes: activations,
    };
    Ok(Solution {
        assignments,
        unstaffed,
        total_cost,
        proven_maximum: net.supply == max_flow,
        // The first flow staffed every round it touched and nothing changed since.
        proven_optimal: passes == 1 && partial == 0 && staffed_again == 0,
        marginals,
        flow_cost: net.flow_cost(),
        potentials,
        stats,
        randomised: params.max_probability.is_some(),
        network: net,
        layout,
    })
}

/// The assignments drawn, and the marginals they were drawn from.
type Drawn = (Vec<(i64, i64)>, Vec<Marginal>);

/// Randomised mode: the marginals of the fractional flow, and an integral assignment
/// drawn from it by dependent rounding. A (round, employer) with two or more evaluators
/// in the flow but no node gets one here, so the rounding keeps at most one of them.
fn draw(
    net: &Network,
    layout: &Layout,
    rounds: &[PRound],
    evaluators: &[PEvaluator],
    seed: u64,
) -> Result<Drawn, SolveError> {
    let scale = layout.scale;
    let mut marginals = Vec::new();
    let mut edges = Vec::new();
    let mut owners = Vec::new();
    let mut next_node = net.n();
    for (ri, r) in rounds.iter().enumerate() {
        let Some(rn) = layout.round_node[ri] else {
            continue;
        };
        let flows = layout.pair_flows(net, ri);
        // Direct arcs grouped by employer.
        let mut by_group: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, &(tail, e, _)) in flows.iter().enumerate() {
            if tail == rn as usize {
                by_group.entry(layout.employer_of[e]).or_default().push(i);
            }
        }
        let mut virtual_tail: HashMap<usize, usize> = HashMap::new();
        let mut groups: Vec<(&u32, &Vec<usize>)> = by_group.iter().collect();
        groups.sort_unstable();
        for (_, members) in groups {
            if members.len() >= 2 {
                let node = next_node;
                next_node += 1;
                let total: i64 = members.iter().map(|&i| flows[i].2).sum();
                owners.push(None);
                edges.push(randomised::Edge {
                    tail: rn,
                    head: node as u32,
                    flow: total,
                });
                for &i in members {
                    virtual_tail.insert(i, node);
                }
            }
        }
        for (i, &(tail, e, f)) in flows.iter().enumerate() {
            marginals.push(Marginal {
                round_id: r.id,
                evaluator_id: evaluators[e].id,
                units: f,
            });
            owners.push(Some((r.id, evaluators[e].id)));
            edges.push(randomised::Edge {
                tail: virtual_tail.get(&i).copied().unwrap_or(tail) as u32,
                head: (EVALUATOR_BASE + e) as u32,
                flow: f,
            });
        }
        let (lo, hi) = layout.employer_nodes[ri];
        for emp in lo..hi {
            let f: i64 = net
                .range(emp as usize)
                .filter(|&a| layout.evaluator_of(net.arcs[a].head as usize).is_some())
                .map(|a| net.flow(a).max(0))
                .sum();
            if f > 0 {
                owners.push(None);
                edges.push(randomised::Edge {
                    tail: rn,
                    head: emp,
                    flow: f,
                });
            }
        }
    }
    for i in 0..layout.n_evaluators {
        let node = EVALUATOR_BASE + i;
        let into_sink: i64 = net
            .range(node)
            .filter(|&a| net.arcs[a].head as usize == SINK)
            .map(|a| net.flow(a).max(0))
            .sum();
        if into_sink > 0 {
            owners.push(None);
            edges.push(randomised::Edge {
                tail: node as u32,
                head: SINK as u32,
                flow: into_sink,
            });
        }
    }
    let mut rng = randomised::SplitMix64::new(mix64(seed ^ 0xA55A_5AA5_F00D_CAFE));
    randomised::round(&mut edges, next_node, scale, &mut rng)?;
    let mut out: Vec<(i64, i64)> = edges
        .iter()
        .zip(&owners)
        .filter(|(e, _)| e.flow == scale)
        .filter_map(|(_, o)| *o)
        .collect();
    out.sort_unstable();
    Ok((out, marginals))
}
