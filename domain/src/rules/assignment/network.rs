//! The flow network: a residual graph in compressed sparse rows, built once per solve.
//!
//! Every arc is stored twice, as a forward slot (capacity `upper`) and a reverse slot
//! (capacity 0, cost negated), both in the row of their tail. The flow on a forward slot is
//! `upper - res`; on a reverse slot that expression is minus the partner's flow, so the net
//! outflow of a node is the sum of `upper - res` over its row.

use std::ops::Range;

/// Node 0 is the source and node 1 the sink; evaluators follow, then every round with its
/// (round, employer) nodes.
pub(crate) const SOURCE: usize = 0;
pub(crate) const SINK: usize = 1;

/// One residual slot, 24 bytes. `cap` is the capacity of the pair (both slots hold the
/// same value), so the partner's residual `cap - res` is known without touching it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arc {
    pub head: u32,
    pub rev: u32,
    pub cost: i32,
    pub cap: i32,
    pub res: i64,
}

/// The largest arc cost (costs are stored in 32 bits) and capacity.
pub(crate) const MAX_ARC_COST: i64 = i32::MAX as i64;
pub(crate) const MAX_ARC_CAPACITY: i64 = (i32::MAX / 2) as i64;

#[derive(Clone, Debug, Default)]
pub(crate) struct Network {
    pub first: Vec<u32>,
    pub arcs: Vec<Arc>,
    /// One bit per slot: residual capacity left. Rows are scanned through it, which skips
    /// the many saturated slots of an evaluator's row (one per eligible round) quickly.
    live: Vec<u64>,
    /// One bit per slot: its partner has residual capacity (the slot's reverse direction
    /// is usable), for scans of the arcs into a node.
    live_in: Vec<u64>,
    pub upper: Vec<i64>,
    /// Exact node potentials in cost units once a solve has finished: every slot with
    /// residual capacity has `cost + potential[tail] - potential[head] >= 0`.
    pub potential: Vec<i64>,
    /// The flow the source sends to the sink.
    pub supply: i64,
}

impl Network {
    pub fn n(&self) -> usize {
        self.first.len().saturating_sub(1)
    }

    pub fn range(&self, v: usize) -> Range<usize> {
        self.first[v] as usize..self.first[v + 1] as usize
    }

    /// Flow on a forward slot (negative or zero on a reverse slot).
    pub fn flow(&self, a: usize) -> i64 {
        self.upper[a] - self.arcs[a].res
    }

    /// Zero flow on every arc.
    pub fn clear_flow(&mut self) {
        for a in 0..self.arcs.len() {
            self.arcs[a].res = self.upper[a];
            self.mark(a);
        }
    }

    /// Gives forward slot `a` a new capacity and flow (both slots updated).
    pub fn set_arc(&mut self, a: usize, upper: i64, flow: i64) {
        let r = self.arcs[a].rev as usize;
        self.upper[a] = upper;
        self.arcs[a].cap = upper as i32;
        self.arcs[r].cap = upper as i32;
        self.arcs[a].res = upper - flow;
        self.arcs[r].res = flow;
        self.mark(a);
        self.mark(r);
    }

    #[inline(always)]
    pub fn push(&mut self, a: usize, delta: i64) {
        self.arcs[a].res -= delta;
        let r = self.arcs[a].rev as usize;
        self.arcs[r].res += delta;
        self.mark(a);
        self.mark(r);
    }

    #[inline(always)]
    fn mark(&mut self, a: usize) {
        let shift = a & 63;
        let arc = self.arcs[a];
        let word = &mut self.live[a >> 6];
        *word = (*word & !(1u64 << shift)) | (u64::from(arc.res > 0) << shift);
        let word = &mut self.live_in[a >> 6];
        *word = (*word & !(1u64 << shift)) | (u64::from(i64::from(arc.cap) > arc.res) << shift);
    }

    /// The slots of `range` whose partner has residual capacity: the arcs into the node.
    #[inline]
    pub fn live_in(&self, range: Range<usize>) -> Live<'_> {
        let Range { start, end } = range;
        if start >= end {
            return Live {
                words: &self.live_in,
                word: 0,
                bits: 0,
                end: 0,
            };
        }
        Live {
            words: &self.live_in,
            word: start >> 6,
            bits: self.live_in[start >> 6] & (!0u64 << (start & 63)),
            end,
        }
    }

    /// The first slot in `from..end` with residual capacity.
    #[inline]
    pub fn next_live(&self, from: usize, end: usize) -> Option<usize> {
        self.live(from..end).next()
    }

    /// The slots of `range` with residual capacity, in order.
    #[inline]
    pub fn live(&self, range: Range<usize>) -> Live<'_> {
        let Range { start, end } = range;
        if start >= end {
            return Live {
                words: &self.live,
                word: 0,
                bits: 0,
                end: 0,
            };
        }
        Live {
            words: &self.live,
            word: start >> 6,
            bits: self.live[start >> 6] & (!0u64 << (start & 63)),
            end,
        }
    }

    /// The tail of a slot: the head of its partner.
    pub fn tail(&self, a: usize) -> usize {
        self.arcs[self.arcs[a].rev as usize].head as usize
    }

    /// Outflow minus inflow.
    pub fn net_out(&self, v: usize) -> i64 {
        self.range(v)
            .map(|a| self.upper[a] - self.arcs[a].res)
            .sum()
    }

    /// What node `v` must send out: the supply at the source, minus it at the sink.
    pub fn balance(&self, v: usize) -> i64 {
        match v {
            SOURCE => self.supply,
            SINK => -self.supply,
            _ => 0,
        }
    }

    /// Total cost of the flow, `sum(flow * cost)` over forward slots, in i128 so that it
    /// cannot overflow.
    pub fn flow_cost(&self) -> i128 {
        (0..self.arcs.len())
            .filter(|&a| self.upper[a] > 0)
            .map(|a| i128::from(self.flow(a)) * i128::from(i64::from(self.arcs[a].cost)))
            .sum()
    }

    /// Flow feasibility (capacities, pairing of slots, conservation with the supply) and
    /// reduced-cost optimality of the potentials: together a proof that the flow is a
    /// minimum-cost flow of value `supply`.
    pub fn certify(&self) -> bool {
        let n = self.n();
        if self.potential.len() != n || self.upper.len() != self.arcs.len() {
            return false;
        }
        for v in 0..n {
            for a in self.range(v) {
                let arc = self.arcs[a];
                let r = arc.rev as usize;
                let (Some(partner), Some(&partner_upper)) = (self.arcs.get(r), self.upper.get(r))
                else {
                    return false;
                };
                if partner.rev as usize != a
                    || partner.head as usize != v
                    || partner.cost != -arc.cost
                    || partner.cap != arc.cap
                    || i64::from(arc.cap) != self.upper[a] + partner_upper
                    || arc.res < 0
                    || arc.res + partner.res != self.upper[a] + partner_upper
                    || self.upper[a] < 0
                    || (self.upper[a] > 0 && partner_upper > 0)
                {
                    return false;
                }
                let head = arc.head as usize;
                if head >= n
                    || ((self.live[a >> 6] >> (a & 63)) & 1 == 1) != (arc.res > 0)
                    || ((self.live_in[a >> 6] >> (a & 63)) & 1 == 1)
                        != (i64::from(arc.cap) > arc.res)
                {
                    return false;
                }
                if arc.res > 0 {
                    let reduced = i128::from(i64::from(arc.cost)) + i128::from(self.potential[v])
                        - i128::from(self.potential[head]);
                    if reduced < 0 {
                        return false;
                    }
                }
            }
            if self.net_out(v) != self.balance(v) {
                return false;
            }
        }
        true
    }
}

/// Iterator over the slots with residual capacity in a range.
pub(crate) struct Live<'a> {
    words: &'a [u64],
    word: usize,
    bits: u64,
    end: usize,
}

impl Iterator for Live<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.bits != 0 {
                let a = (self.word << 6) + self.bits.trailing_zeros() as usize;
                if a >= self.end {
                    return None;
                }
                self.bits &= self.bits - 1;
                return Some(a);
            }
            self.word += 1;
            if self.word << 6 >= self.end {
                return None;
            }
            self.bits = self.words[self.word];
        }
    }
}

/// Collects arcs, then lays them out in rows.
#[derive(Default)]
pub(crate) struct Builder {
    tail: Vec<u32>,
    head: Vec<u32>,
    cap: Vec<i64>,
    cost: Vec<i64>,
}

impl Builder {
    pub fn with_capacity(arcs: usize) -> Self {
        Self {
            tail: Vec::with_capacity(arcs),
            head: Vec::with_capacity(arcs),
            cap: Vec::with_capacity(arcs),
            cost: Vec::with_capacity(arcs),
        }
    }

    /// Adds an arc and returns its index among the added arcs.
    pub fn add(&mut self, tail: usize, head: usize, cap: i64, cost: i64) -> usize {
        self.tail.push(tail as u32);
        self.head.push(head as u32);
        self.cap.push(cap);
        self.cost.push(cost);
        self.tail.len() - 1
    }

    /// The network on `n` nodes, with zero flow and zero potentials, and for every added
    /// arc the slot of its forward copy. `None` if a cost or a capacity is too large.
    pub fn build(self, n: usize) -> Option<(Network, Vec<u32>)> {
        if self.cost.iter().any(|c| c.abs() > MAX_ARC_COST)
            || self
                .cap
                .iter()
                .any(|&c| !(0..=MAX_ARC_CAPACITY).contains(&c))
        {
            return None;
        }
        let m = self.tail.len();
        let mut first = vec![0u32; n + 1];
        for i in 0..m {
            first[self.tail[i] as usize + 1] += 1;
            first[self.head[i] as usize + 1] += 1;
        }
        for v in 0..n {
            first[v + 1] += first[v];
        }
        let mut next: Vec<u32> = first[..n].to_vec();
        let empty = Arc {
            head: 0,
            rev: 0,
            cost: 0,
            cap: 0,
            res: 0,
        };
        let mut arcs = vec![empty; 2 * m];
        let mut upper = vec![0i64; 2 * m];
        let mut slot_of = Vec::with_capacity(m);
        for i in 0..m {
            let (u, v) = (self.tail[i] as usize, self.head[i] as usize);
            let a = next[u] as usize;
            next[u] += 1;
            let b = next[v] as usize;
            next[v] += 1;
            arcs[a] = Arc {
                head: v as u32,
                rev: b as u32,
                cost: self.cost[i] as i32,
                cap: self.cap[i] as i32,
                res: self.cap[i],
            };
            arcs[b] = Arc {
                head: u as u32,
                rev: a as u32,
                cost: -self.cost[i] as i32,
                cap: self.cap[i] as i32,
                res: 0,
            };
            upper[a] = self.cap[i];
            slot_of.push(a as u32);
        }
        let mut live = vec![0u64; (2 * m).div_ceil(64)];
        let mut live_in = vec![0u64; (2 * m).div_ceil(64)];
        for (a, arc) in arcs.iter().enumerate() {
            if arc.res > 0 {
                live[a >> 6] |= 1 << (a & 63);
            }
            if i64::from(arc.cap) > arc.res {
                live_in[a >> 6] |= 1 << (a & 63);
            }
        }
        let network = Network {
            first,
            arcs,
            live,
            live_in,
            upper,
            potential: vec![0; n],
            supply: 0,
        };
        Some((network, slot_of))
    }
}
