//! The flow algorithms on a [`Network`]:
//!
//! - [`max_flow`]: Dinic's blocking flows, to learn how much can be sent at all;
//! - [`min_cost_flow`]: Goldberg's cost scaling (push–relabel refine with global price
//!   updates), exact on integer costs, with exact integer potentials at the end;
//! - [`augment_from`]: successive shortest paths (Dijkstra on reduced costs) from one new
//!   supply node, keeping every other node's throughput: the incremental step.
//!
//! Conventions: the reduced cost of a slot `u -> v` is `cost + p[u] - p[v]`; optimality
//! means every slot with residual capacity has a non-negative reduced cost.

use std::collections::VecDeque;

use super::SolveError;
use super::network::{Network, SINK, SOURCE};

/// Cost scaling divides epsilon by this factor per phase.
const ALPHA: i64 = 16;
/// Potentials stay within this bound, so that reduced costs cannot overflow.
const POTENTIAL_LIMIT: i64 = i64::MAX / 4;

/// Dinic's algorithm from the current flow: augments until the sink is unreachable and
/// returns the total flow out of the source.
pub(crate) fn max_flow(net: &mut Network) -> i64 {
    let n = net.n();
    let mut level = vec![-1i32; n];
    let mut current = vec![0usize; n];
    let mut queue = VecDeque::new();
    let mut path: Vec<usize> = Vec::new();
    loop {
        level.fill(-1);
        level[SOURCE] = 0;
        queue.clear();
        queue.push_back(SOURCE);
        while let Some(u) = queue.pop_front() {
            for a in net.live(net.range(u)) {
                let arc = net.arcs[a];
                let v = arc.head as usize;
                if level[v] < 0 {
                    level[v] = level[u] + 1;
                    queue.push_back(v);
                }
            }
        }
        if level[SINK] < 0 {
            break;
        }
        for (c, &f) in current.iter_mut().zip(&net.first) {
            *c = f as usize;
        }
        // Iterative depth-first search along level-increasing arcs.
        path.clear();
        let mut u = SOURCE;
        loop {
            if u == SINK {
                let delta = path.iter().map(|&a| net.arcs[a].res).min().unwrap_or(0);
                let mut cut = path.len();
                for (i, &a) in path.iter().enumerate() {
                    net.push(a, delta);
                    if net.arcs[a].res == 0 && cut == path.len() {
                        cut = i;
                    }
                }
                path.truncate(cut);
                u = path.last().map_or(SOURCE, |&a| net.arcs[a].head as usize);
                continue;
            }
            let end = net.first[u + 1] as usize;
            let mut advanced = false;
            while let Some(a) = net.next_live(current[u], end) {
                current[u] = a;
                let v = net.arcs[a].head as usize;
                if level[v] == level[u] + 1 {
                    path.push(a);
                    u = v;
                    advanced = true;
                    break;
                }
                current[u] += 1;
            }
            if !advanced {
                current[u] = end;
            }
            if advanced {
                continue;
            }
            // Dead end: retreat.
            level[u] = -1;
            match path.pop() {
                None => break,
                Some(a) => {
                    u = net.tail(a);
                    current[u] += 1;
                }
            }
        }
    }
    net.net_out(SOURCE)
}

/// How a cost-scaling run starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Start {
    /// Zero potentials, epsilon the largest arc cost.
    Cold,
    /// The network's flow and potentials come from a heuristic: start at epsilon equal to
    /// the given quantile of the potentials' violations over residual arcs (the largest
    /// when 1.0). Correctness does not depend on it.
    Measured(f64),
    /// The network's potentials come from a similar earlier solve: start at a small
    /// epsilon (a heuristic; correctness does not depend on it).
    Warm,
}

struct Scaling<'a> {
    net: &'a mut Network,
    /// Costs are multiplied by `k = n + 1`, so that epsilon = 1 at the end means less
    /// than 1/n in cost units: the flow is then optimal.
    k: i64,
    p: Vec<i64>,
    excess: Vec<i64>,
    current: Vec<u32>,
    queue: VecDeque<u32>,
    // Global update buffers.
    dist: Vec<u32>,
    settled: Vec<bool>,
    buckets: Vec<Vec<u32>>,
    relabels: usize,
    /// Relabels between global updates: about the number of nodes in use.
    update_every: usize,
}

/// Min-cost flow of value `net.supply` from the source to the sink by cost scaling,
/// starting from the network's current flow (any flow: only its excesses matter). The
/// supply must be feasible. Leaves exact integer potentials in `net.potential`.
///
/// After each phase `hook` may change the network in place (activating employer nodes),
/// moving flow so as to keep capacities and reduced costs (it gets the scaled potentials
/// to set those of nodes it brings in); it returns whether it changed anything, and the
/// scaling then goes on from the new pseudoflow.
pub(crate) fn min_cost_flow(
    net: &mut Network,
    start: Start,
    hook: &mut dyn FnMut(&mut Network, &mut [i64]) -> bool,
) -> Result<(), SolveError> {
    let n = net.n();
    let k = n as i64 + 1;
    let cmax = net
        .arcs
        .iter()
        .map(|a| i64::from(a.cost).abs())
        .max()
        .unwrap_or(0);
    // Scaled costs stay within a quarter of the range, and so do potentials (checked as
    // they fall), so a reduced cost `cost * k + p[u] - p[v]` cannot overflow.
    if i128::from(cmax) * i128::from(k) > i128::from(POTENTIAL_LIMIT) {
        return Err(SolveError::CostOverflow);
    }
    let cold_eps = (cmax * k).max(1);
    let mut p: Vec<i64> = vec![0; n];
    let mut eps = cold_eps;
    if start != Start::Cold {
        let bound = POTENTIAL_LIMIT / k / 2;
        for (pv, &x) in p.iter_mut().zip(&net.potential) {
            *pv = x.clamp(-bound, bound) * k;
        }
        eps = match start {
            Start::Measured(quantile) => {
                let mut violations: Vec<i64> = Vec::new();
                for u in 0..n {
                    for a in net.live(net.range(u)) {
                        let arc = net.arcs[a];
                        let r = i64::from(arc.cost) * k + p[u] - p[arc.head as usize];
                        if r < 0 {
                            violations.push(-r);
                        }
                    }
                }
                let at = ((violations.len() as f64) * quantile.clamp(0.0, 1.0)) as usize;
                let eps = if violations.is_empty() {
                    1
                } else {
                    let at = at.min(violations.len() - 1);
                    *violations.select_nth_unstable(at).1
                };
                // One phase above it, since a phase divides first.
                eps.saturating_mul(ALPHA).clamp(1, cold_eps)
            }
            // A heuristic: start one main cost unit wide.
            _ => cold_eps.min(k.saturating_mul(super::TIE_BREAK_SCALE)),
        };
    }
    let mut excess = vec![0i64; n];
    for (v, e) in excess.iter_mut().enumerate() {
        *e = net.balance(v) - net.net_out(v);
    }
    // Nodes with an arc of positive capacity (dormant employer nodes have none).
    let in_use = (0..n)
        .filter(|&v| net.range(v).any(|a| net.arcs[a].cap > 0))
        .count();
    let update_every = in_use.max(64);
    let mut s = Scaling {
        net,
        k,
        p,
        excess,
        current: vec![0; n],
        queue: VecDeque::new(),
        dist: vec![u32::MAX; n],
        settled: vec![false; n],
        buckets: Vec::new(),
        relabels: 0,
        update_every,
    };
    loop {
        eps = (eps / ALPHA).max(1);
        s.refine(eps)?;
        if hook(s.net, &mut s.p) {
            for (v, e) in s.excess.iter_mut().enumerate() {
                *e = s.net.balance(v) - s.net.net_out(v);
            }
            continue;
        }
        if eps == 1 {
            break;
        }
        // Below one cost unit the flow is often optimal already: try to prove it with
        // exact potentials, within a budget, and stop early if that works.
        if eps <= k && exact_potentials(s.net, &s.p, k, Some(4 * s.net.arcs.len()))? {
            return Ok(());
        }
    }
    let p = std::mem::take(&mut s.p);
    if exact_potentials(net, &p, k, None)? {
        Ok(())
    } else {
        Err(SolveError::Internal(
            "no exact potentials after cost scaling",
        ))
    }
}

impl Scaling<'_> {
    fn reduced(&self, u: usize, a: usize) -> i64 {
        let arc = self.net.arcs[a];
        i64::from(arc.cost) * self.k + self.p[u] - self.p[arc.head as usize]
    }

    fn refine(&mut self, eps: i64) -> Result<(), SolveError> {
        let n = self.net.n();
        // Saturate every arc of negative reduced cost: the pseudoflow is then 0-optimal.
        for u in 0..n {
            let pu = self.p[u];
            let end = self.net.first[u + 1] as usize;
            let mut next = self.net.first[u] as usize;
            while let Some(a) = self.net.next_live(next, end) {
                next = a + 1;
                let arc = self.net.arcs[a];
                if i64::from(arc.cost) * self.k + pu - self.p[arc.head as usize] < 0 {
                    let delta = arc.res;
                    self.net.push(a, delta);
                    self.excess[u] -= delta;
                    self.excess[arc.head as usize] += delta;
                }
            }
        }
        self.queue.clear();
        for v in 0..n {
            self.current[v] = self.net.first[v];
            if self.excess[v] > 0 {
                self.queue.push_back(v as u32);
            }
        }
        if self.queue.is_empty() {
            return Ok(());
        }
        self.global_update(eps)?;
        self.relabels = 0;
        let threshold = self.update_every;
        // A feasible refine relabels each node a few times; far more means the supply may
        // have become infeasible (an employer node activated by the hook can lower the
        // maximum flow): then measure the maximum flow again and lower the supply to it.
        let mut suspicion = 32 * n + 100_000;
        let mut phase_relabels = 0;
        while let Some(u) = self.queue.pop_front() {
            let before = self.relabels;
            self.discharge(u as usize, eps)?;
            phase_relabels += self.relabels - before;
            if self.relabels >= threshold {
                self.global_update(eps)?;
                self.relabels = 0;
            }
            if phase_relabels > suspicion {
                phase_relabels = 0;
                suspicion *= 2;
                let mut copy = self.net.clone();
                copy.clear_flow();
                let most = max_flow(&mut copy);
                if most < self.net.supply {
                    self.net.supply = most;
                    for (v, e) in self.excess.iter_mut().enumerate() {
                        *e = self.net.balance(v) - self.net.net_out(v);
                    }
                    self.queue.clear();
                    for v in 0..n {
                        if self.excess[v] > 0 {
                            self.queue.push_back(v as u32);
                        }
                    }
                    self.global_update(eps)?;
                    self.relabels = 0;
                }
            }
        }
        Ok(())
    }

    fn discharge(&mut self, u: usize, eps: i64) -> Result<(), SolveError> {
        let k = self.k;
        while self.excess[u] > 0 {
            let end = self.net.first[u + 1] as usize;
            let mut next = self.current[u] as usize;
            let pu = self.p[u];
            while let Some(a) = self.net.next_live(next, end) {
                next = a + 1;
                let arc = self.net.arcs[a];
                {
                    let v = arc.head as usize;
                    if i64::from(arc.cost) * k + pu - self.p[v] < 0 {
                        let delta = self.excess[u].min(arc.res);
                        self.net.push(a, delta);
                        self.excess[u] -= delta;
                        let before = self.excess[v];
                        self.excess[v] += delta;
                        if before <= 0 && self.excess[v] > 0 {
                            self.queue.push_back(v as u32);
                        }
                        if self.excess[u] == 0 {
                            self.current[u] = a as u32;
                            return Ok(());
                        }
                    }
                }
            }
            // Relabel: lower p[u] until some residual arc has reduced cost -eps; that arc
            // is then admissible, so the scan resumes there.
            let mut min_reduced = i64::MAX;
            let mut argmin = self.net.first[u];
            for a in self.net.live(self.net.range(u)) {
                let r = self.reduced(u, a);
                if r < min_reduced {
                    min_reduced = r;
                    argmin = a as u32;
                }
            }
            if min_reduced == i64::MAX {
                return Err(SolveError::Internal(
                    "a node with excess has no residual arc",
                ));
            }
            let lowered = i128::from(self.p[u]) - i128::from(min_reduced) - i128::from(eps);
            if lowered < -i128::from(POTENTIAL_LIMIT) {
                return Err(SolveError::CostOverflow);
            }
            self.p[u] = lowered as i64;
            self.current[u] = argmin;
            self.relabels += 1;
        }
        Ok(())
    }

    /// Goldberg's global price update: a bucket-based Dijkstra backwards from the nodes
    /// with a deficit, with arc lengths `floor(reduced / eps) + 1`, then every node's
    /// potential lowered by `distance * eps`. Keeps eps-optimality and points admissible
    /// arcs straight at the deficits. Stops once every node with excess is settled.
    fn global_update(&mut self, eps: i64) -> Result<(), SolveError> {
        let n = self.net.n();
        let limit = n.min(1 << 22);
        if self.buckets.len() < limit + 1 {
            self.buckets.resize_with(limit + 1, Vec::new);
        }
        self.dist.fill(u32::MAX);
        self.settled.fill(false);
        let mut remaining: i64 = 0;
        for v in 0..n {
            if self.excess[v] < 0 {
                self.dist[v] = 0;
                self.buckets[0].push(v as u32);
            } else if self.excess[v] > 0 {
                remaining += self.excess[v];
            }
        }
        let k = self.k;
        let mut level = 0usize;
        let mut finished = remaining == 0;
        while level <= limit && !finished {
            while let Some(v) = self.buckets[level].pop() {
                let v = v as usize;
                if self.settled[v] || self.dist[v] as usize != level {
                    continue;
                }
                self.settled[v] = true;
                if self.excess[v] > 0 {
                    remaining -= self.excess[v];
                    if remaining <= 0 {
                        finished = true;
                        break;
                    }
                }
                let pv = self.p[v];
                for a in self.net.live_in(self.net.range(v)) {
                    let arc = self.net.arcs[a];
                    let u = arc.head as usize;
                    // The slot u -> v is the partner of `a`, and it has residual capacity.
                    if self.settled[u] {
                        continue;
                    }
                    // The slot u -> v is the partner of `a`; its cost is `-arc.cost`.
                    let reduced = -i64::from(arc.cost) * k + self.p[u] - pv;
                    let length = reduced.div_euclid(eps) + 1;
                    if length < 0 {
                        continue;
                    }
                    let candidate = level as i64 + length;
                    if candidate <= limit as i64 && (candidate as u64) < u64::from(self.dist[u]) {
                        self.dist[u] = candidate as u32;
                        self.buckets[candidate as usize].push(u as u32);
                    }
                }
            }
            if !finished {
                level += 1;
            }
        }
        let top = level.min(limit + 1) as i64;
        for b in self.buckets.iter_mut() {
            b.clear();
        }
        for v in 0..n {
            let d = if self.settled[v] {
                i64::from(self.dist[v])
            } else {
                top
            };
            if d > 0 {
                let lowered = i128::from(self.p[v]) - i128::from(d) * i128::from(eps);
                if lowered < -i128::from(POTENTIAL_LIMIT) {
                    return Err(SolveError::CostOverflow);
                }
                self.p[v] = lowered as i64;
            }
        }
        Ok(())
    }
}

/// From potentials `p` (in units of 1/k) that are 1-optimal for an optimal flow, exact
/// integer potentials: round down (reduced costs are then at least -1), then correct by
/// shortest distances from a virtual root (queue-based Bellman–Ford; there is no negative
/// cycle because the flow is optimal).
///
/// With a `budget` of arc scans, gives up (returning `false`, the network untouched) when
/// it runs out: the flow may simply not be optimal yet. Without one, a negative cycle is an
/// error.
fn exact_potentials(
    net: &mut Network,
    p: &[i64],
    k: i64,
    budget: Option<usize>,
) -> Result<bool, SolveError> {
    let n = net.n();
    let mut scans = 0usize;
    let mut pi: Vec<i64> = p.iter().map(|x| x.div_euclid(k)).collect();
    let mut d = vec![0i64; n];
    let mut hops = vec![0u32; n];
    let mut in_queue = vec![true; n];
    let mut queue: VecDeque<u32> = (0..n as u32).collect();
    while let Some(u) = queue.pop_front() {
        let u = u as usize;
        in_queue[u] = false;
        let range = net.range(u);
        scans += range.len();
        if budget.is_some_and(|b| scans > b) {
            return Ok(false);
        }
        for a in net.live(range) {
            let arc = net.arcs[a];
            let v = arc.head as usize;
            let candidate = d[u] + i64::from(arc.cost) + pi[u] - pi[v];
            if candidate < d[v] {
                d[v] = candidate;
                hops[v] = hops[u] + 1;
                if hops[v] as usize > n {
                    if budget.is_some() {
                        return Ok(false);
                    }
                    return Err(SolveError::Internal("negative cycle after cost scaling"));
                }
                if !in_queue[v] {
                    in_queue[v] = true;
                    queue.push_back(v as u32);
                }
            }
        }
    }
    for v in 0..n {
        pi[v] += d[v];
    }
    net.potential = pi;
    Ok(true)
}

/// A monotone priority queue for Dijkstra (keys never below the last popped): items go
/// in a bucket by the highest bit in which their key differs from the last key popped.
struct RadixHeap {
    last: i64,
    len: usize,
    buckets: [Vec<(i64, u32)>; 65],
}

impl Default for RadixHeap {
    fn default() -> Self {
        Self {
            last: 0,
            len: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
        }
    }
}

impl RadixHeap {
    fn bucket(&self, key: i64) -> usize {
        let x = (key ^ self.last) as u64;
        if x == 0 {
            0
        } else {
            64 - x.leading_zeros() as usize
        }
    }

    fn push(&mut self, key: i64, value: u32) {
        let b = self.bucket(key);
        self.buckets[b].push((key, value));
        self.len += 1;
    }

    fn pop(&mut self) -> Option<(i64, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = (1..65).find(|&i| !self.buckets[i].is_empty())?;
            let bucket = std::mem::take(&mut self.buckets[i]);
            self.last = bucket.iter().map(|&(k, _)| k).min()?;
            for (k, v) in bucket {
                let b = self.bucket(k);
                self.buckets[b].push((k, v));
            }
        }
        self.len -= 1;
        self.buckets[0].pop()
    }

    fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.len = 0;
        self.last = 0;
    }
}

/// Node imbalances of the current flow: what each node still has to send (positive:
/// excess) or to receive (negative: deficit).
pub(crate) fn imbalances(net: &Network) -> Vec<i64> {
    (0..net.n())
        .map(|v| net.balance(v) - net.net_out(v))
        .collect()
}

/// Saturates every residual arc of negative reduced cost, recording the imbalances this
/// creates: afterwards every residual arc is non-negative (the pseudoflow is 0-optimal).
pub(crate) fn saturate_negative(net: &mut Network, excess: &mut [i64]) {
    for u in 0..net.n() {
        let pu = net.potential[u];
        let end = net.first[u + 1] as usize;
        let mut next = net.first[u] as usize;
        while let Some(a) = net.next_live(next, end) {
            next = a + 1;
            let arc = net.arcs[a];
            if i64::from(arc.cost) + pu - net.potential[arc.head as usize] < 0 {
                net.push(a, arc.res);
                excess[u] -= arc.res;
                excess[arc.head as usize] += arc.res;
            }
        }
    }
}

/// Successive shortest paths: moves excess to deficits, each time along a shortest path
/// (Dijkstra on reduced costs, from every node with excess at once) to the nearest node
/// with a deficit, then updates the potentials so that they stay exact (Johnson). Never
/// enters `avoid`. Stops when no excess is left or none can reach a deficit; returns the
/// amount moved. Pushes are appended to `log` (for [`undo`]).
pub(crate) fn settle(
    net: &mut Network,
    excess: &mut [i64],
    avoid: Option<usize>,
    log: &mut Vec<(u32, i64)>,
) -> i64 {
    let n = net.n();
    let mut moved = 0;
    let mut dist = vec![i64::MAX; n];
    let mut parent = vec![u32::MAX; n];
    let mut done = vec![false; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut heap = RadixHeap::default();
    let mut sources: Vec<usize> = (0..n).filter(|&v| excess[v] > 0).collect();
    let mut scratch = Scratch::new(n);
    loop {
        sources.retain(|&v| excess[v] > 0);
        if sources.is_empty() {
            break;
        }
        for &v in &touched {
            dist[v as usize] = i64::MAX;
            parent[v as usize] = u32::MAX;
            done[v as usize] = false;
        }
        touched.clear();
        heap.clear();
        for &s in &sources {
            dist[s] = 0;
            touched.push(s as u32);
            heap.push(0, s as u32);
        }
        let mut target = None;
        while let Some((d, u)) = heap.pop() {
            let u = u as usize;
            if done[u] || d > dist[u] {
                continue;
            }
            done[u] = true;
            if excess[u] < 0 {
                target = Some(u);
                break;
            }
            let pu = net.potential[u];
            for a in net.live(net.range(u)) {
                let arc = net.arcs[a];
                let v = arc.head as usize;
                if done[v] || Some(v) == avoid {
                    continue;
                }
                let nd = d + (i64::from(arc.cost) + pu - net.potential[v]).max(0);
                if nd < dist[v] {
                    if dist[v] == i64::MAX {
                        touched.push(v as u32);
                    }
                    dist[v] = nd;
                    parent[v] = a as u32;
                    heap.push(nd, v as u32);
                }
            }
        }
        let Some(t) = target else { break };
        let dt = dist[t];
        // Johnson's update, shifted by -dt so that only settled nodes change (every
        // settled node is at most dt away, every other at least).
        for &v in &touched {
            let v = v as usize;
            if done[v] {
                net.potential[v] += dist[v] - dt;
            }
        }
        let mut delta = -excess[t];
        let mut v = t;
        while parent[v] != u32::MAX {
            let a = parent[v] as usize;
            delta = delta.min(net.arcs[a].res);
            v = net.tail(a);
        }
        delta = delta.min(excess[v]);
        let start = v;
        let mut v = t;
        while v != start {
            let a = parent[v] as usize;
            net.push(a, delta);
            log.push((a as u32, delta));
            v = net.tail(a);
        }
        excess[start] -= delta;
        excess[t] += delta;
        moved += delta;
        // Primal–dual: push along every other path of zero reduced cost before the next
        // Dijkstra.
        sources.retain(|&v| excess[v] > 0);
        // Several excess nodes (as after activating employer nodes): route what else can
        // go at zero reduced cost before the next search.
        if sources.len() > 1 {
            moved += admissible_augment(net, excess, &sources, avoid, log, &mut scratch);
        }
    }
    moved
}

/// Successive shortest paths searched backwards, from the deficits towards the nearest
/// excess: the better direction when excess sits at a hub (the sink) whose neighbourhood
/// is the whole network, and the deficits are few and far apart. Same contract as
/// [`settle`] (without an avoided node).
pub(crate) fn settle_backward(
    net: &mut Network,
    excess: &mut [i64],
    log: &mut Vec<(u32, i64)>,
) -> i64 {
    let n = net.n();
    let mut moved = 0;
    let mut dist = vec![i64::MAX; n];
    // The slot leaving each node on its path towards a deficit.
    let mut next = vec![u32::MAX; n];
    let mut done = vec![false; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut heap = RadixHeap::default();
    let mut targets: Vec<usize> = (0..n).filter(|&v| excess[v] < 0).collect();
    loop {
        targets.retain(|&v| excess[v] < 0);
        if targets.is_empty() {
            break;
        }
        for &v in &touched {
            dist[v as usize] = i64::MAX;
            next[v as usize] = u32::MAX;
            done[v as usize] = false;
        }
        touched.clear();
        heap.clear();
        for &t in &targets {
            dist[t] = 0;
            touched.push(t as u32);
            heap.push(0, t as u32);
        }
        let mut source = None;
        while let Some((d, v)) = heap.pop() {
            let v = v as usize;
            if done[v] || d > dist[v] {
                continue;
            }
            done[v] = true;
            if excess[v] > 0 {
                source = Some(v);
                break;
            }
            let pv = net.potential[v];
            for a in net.live_in(net.range(v)) {
                // The partner of `a` is u -> v, with residual capacity, cost -cost(a).
                let arc = net.arcs[a];
                let u = arc.head as usize;
                if done[u] {
                    continue;
                }
                let nd = d + (-i64::from(arc.cost) + net.potential[u] - pv).max(0);
                if nd < dist[u] {
                    if dist[u] == i64::MAX {
                        touched.push(u as u32);
                    }
                    dist[u] = nd;
                    next[u] = arc.rev;
                    heap.push(nd, u as u32);
                }
            }
        }
        let Some(s) = source else { break };
        let ds = dist[s];
        // Potentials minus the distance to the deficits, shifted by +ds so that only
        // settled nodes change.
        for &v in &touched {
            let v = v as usize;
            if done[v] {
                net.potential[v] += ds - dist[v];
            }
        }
        let mut delta = excess[s];
        let mut v = s;
        while next[v] != u32::MAX {
            let a = next[v] as usize;
            delta = delta.min(net.arcs[a].res);
            v = net.arcs[a].head as usize;
        }
        delta = delta.min(-excess[v]);
        let end = v;
        let mut v = s;
        while v != end {
            let a = next[v] as usize;
            net.push(a, delta);
            log.push((a as u32, delta));
            v = net.arcs[a].head as usize;
        }
        excess[s] -= delta;
        excess[end] += delta;
        moved += delta;
    }
    moved
}

struct Scratch {
    level: Vec<u32>,
    current: Vec<u32>,
    touched: Vec<u32>,
    queue: VecDeque<u32>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Self {
            level: vec![u32::MAX; n],
            current: vec![0; n],
            touched: Vec::new(),
            queue: VecDeque::new(),
        }
    }
}

/// Whether slot `a` out of `u` is usable at zero reduced cost.
fn tight(net: &Network, u: usize, a: usize) -> bool {
    let arc = net.arcs[a];
    i64::from(arc.cost) + net.potential[u] - net.potential[arc.head as usize] == 0
}

/// Dinic's blocking flows from the excess nodes to the deficit nodes on the residual arcs
/// of zero reduced cost (which keep the potentials exact). Levels make the searched graph
/// acyclic even where zero-cost cycles exist. Returns the amount moved.
fn admissible_augment(
    net: &mut Network,
    excess: &mut [i64],
    sources: &[usize],
    avoid: Option<usize>,
    log: &mut Vec<(u32, i64)>,
    scratch: &mut Scratch,
) -> i64 {
    let mut moved = 0;
    let mut path: Vec<usize> = Vec::new();
    loop {
        // Levels by breadth-first search from every node with excess.
        for &v in &scratch.touched {
            scratch.level[v as usize] = u32::MAX;
        }
        scratch.touched.clear();
        scratch.queue.clear();
        for &s in sources {
            if excess[s] > 0 {
                scratch.level[s] = 0;
                scratch.touched.push(s as u32);
                scratch.queue.push_back(s as u32);
            }
        }
        let mut reached = false;
        while let Some(u) = scratch.queue.pop_front() {
            let u = u as usize;
            if excess[u] < 0 {
                reached = true;
                continue;
            }
            for a in net.live(net.range(u)) {
                let v = net.arcs[a].head as usize;
                if scratch.level[v] == u32::MAX && Some(v) != avoid && tight(net, u, a) {
                    scratch.level[v] = scratch.level[u] + 1;
                    scratch.touched.push(v as u32);
                    scratch.queue.push_back(v as u32);
                }
            }
        }
        if !reached {
            return moved;
        }
        for &v in &scratch.touched {
            scratch.current[v as usize] = net.first[v as usize];
        }
        let before = moved;
        for &s in sources {
            while excess[s] > 0 {
                // Depth-first along level-increasing tight arcs.
                path.clear();
                let mut u = s;
                let found = loop {
                    if u != s && excess[u] < 0 {
                        break true;
                    }
                    let end = net.first[u + 1] as usize;
                    let mut next = None;
                    while let Some(a) = net.next_live(scratch.current[u] as usize, end) {
                        let v = net.arcs[a].head as usize;
                        if scratch.level[v] != u32::MAX
                            && scratch.level[v] == scratch.level[u] + 1
                            && tight(net, u, a)
                        {
                            next = Some(a);
                            break;
                        }
                        scratch.current[u] = a as u32 + 1;
                    }
                    match next {
                        Some(a) => {
                            path.push(a);
                            u = net.arcs[a].head as usize;
                        }
                        None => {
                            scratch.current[u] = end as u32;
                            // Dead end: no longer on any level path.
                            scratch.level[u] = u32::MAX - 1;
                            match path.pop() {
                                None => break false,
                                Some(a) => {
                                    u = net.tail(a);
                                    scratch.current[u] = a as u32 + 1;
                                }
                            }
                        }
                    }
                };
                if !found {
                    break;
                }
                let mut delta = excess[s].min(-excess[u]);
                for &a in &path {
                    delta = delta.min(net.arcs[a].res);
                }
                for &a in &path {
                    net.push(a, delta);
                    log.push((a as u32, delta));
                }
                excess[s] -= delta;
                excess[u] += delta;
                moved += delta;
            }
        }
        if moved == before {
            return moved;
        }
    }
}

/// Reverses the pushes of a log.
pub(crate) fn undo(net: &mut Network, log: &[(u32, i64)]) {
    for &(a, delta) in log.iter().rev() {
        net.push(a as usize, -delta);
    }
}
