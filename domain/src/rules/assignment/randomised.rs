//! Dependent rounding of a fractional assignment, after Jecmen et al. (2020).
//!
//! The fractional solution is a flow in units of `1/D` on the network's arcs (round →
//! employer, round → evaluator, employer → evaluator, and the evaluator's total into the
//! sink). Source arcs carry whole units (a staffed round sends exactly `needed`), so every
//! node's fractional parts sum to a whole number: a node touching one fractional arc
//! touches at least two, and the fractional arcs contain a cycle (as an undirected
//! graph). Around such a cycle we add `+a` to the arcs walked forwards and `-a` to those
//! walked backwards, or `-b`/`+b`, choosing `+a` with probability `b / (a + b)`; `a` and
//! `b` are the largest steps keeping every arc between the floor and the ceiling of its
//! starting value. Each step keeps conservation, keeps every arc's expected value, and
//! makes at least one arc whole; when none is left, each arc carries its floor or its
//! ceiling, so whole capacities still hold (an evaluator's load ends at the floor or the
//! ceiling of its expected load), and `P(evaluator reviews round) = x(round, evaluator)`.

use super::SolveError;

/// A small seeded generator (SplitMix64): reproducible across platforms and releases.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        super::mix64(self.0)
    }

    /// Uniform in `0..bound` (`bound > 0`), without modulo bias.
    pub fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % bound;
            }
        }
    }
}

/// An arc of the fractional solution: `tail -> head` carrying `flow` units of `1/scale`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    pub tail: u32,
    pub head: u32,
    pub flow: i64,
}

/// Rounds `edges` in place so that every flow becomes a multiple of `scale`, keeping
/// conservation at every node and each edge's expected flow. Nodes are `0..nodes`.
pub(crate) fn round(
    edges: &mut [Edge],
    nodes: usize,
    scale: i64,
    rng: &mut SplitMix64,
) -> Result<(), SolveError> {
    let fractional = |f: i64| f.rem_euclid(scale) != 0;
    // Incidence lists of the fractional edges.
    let mut first = vec![0u32; nodes + 1];
    for e in edges.iter().filter(|e| fractional(e.flow)) {
        first[e.tail as usize + 1] += 1;
        first[e.head as usize + 1] += 1;
    }
    for v in 0..nodes {
        first[v + 1] += first[v];
    }
    let mut fill: Vec<u32> = first[..nodes].to_vec();
    let mut incident = vec![0u32; first[nodes] as usize];
    for (i, e) in edges.iter().enumerate() {
        if fractional(e.flow) {
            for v in [e.tail as usize, e.head as usize] {
                incident[fill[v] as usize] = i as u32;
                fill[v] += 1;
            }
        }
    }
    // `cursor[v]`: incident edges before it are whole.
    let mut cursor: Vec<u32> = first[..nodes].to_vec();
    let mut position = vec![usize::MAX; nodes];
    // The walk: nodes[i] --edges[i]--> nodes[i + 1].
    let mut walk_nodes: Vec<usize> = Vec::new();
    let mut walk_edges: Vec<usize> = Vec::new();
    for start in 0..nodes {
        loop {
            if walk_edges.is_empty() {
                // A fresh walk (or one cut back to its start).
                for &u in &walk_nodes {
                    position[u] = usize::MAX;
                }
                walk_nodes.clear();
                // Skip whole edges at the start node; stop when it has none left.
                while cursor[start] < first[start + 1]
                    && !fractional(edges[incident[cursor[start] as usize] as usize].flow)
                {
                    cursor[start] += 1;
                }
                if cursor[start] == first[start + 1] {
                    break;
                }
                walk_nodes.push(start);
                position[start] = 0;
            }
            let Some(&v) = walk_nodes.last() else {
                break;
            };
            let arrived_by = walk_edges.last().copied();
            // Next fractional edge at v other than the one we arrived by.
            while cursor[v] < first[v + 1]
                && !fractional(edges[incident[cursor[v] as usize] as usize].flow)
            {
                cursor[v] += 1;
            }
            let mut next = None;
            for i in cursor[v]..first[v + 1] {
                let e = incident[i as usize] as usize;
                if Some(e) != arrived_by && fractional(edges[e].flow) {
                    next = Some(e);
                    break;
                }
            }
            let Some(e) = next else {
                return Err(SolveError::Internal(
                    "a node touches exactly one fractional arc",
                ));
            };
            let w = if edges[e].tail as usize == v {
                edges[e].head as usize
            } else {
                edges[e].tail as usize
            };
            walk_edges.push(e);
            if position[w] == usize::MAX {
                position[w] = walk_nodes.len();
                walk_nodes.push(w);
                continue;
            }
            // A cycle: walk_nodes[j..] and walk_edges[j..], closing at w.
            let j = position[w];
            let (mut up, mut down) = (i64::MAX, i64::MAX);
            for i in j..walk_edges.len() {
                let edge = edges[walk_edges[i]];
                let below = edge.flow.rem_euclid(scale);
                let above = scale - below;
                if edge.tail as usize == walk_nodes[i] {
                    up = up.min(above);
                    down = down.min(below);
                } else {
                    up = up.min(below);
                    down = down.min(above);
                }
            }
            // +up with probability down / (up + down); else -down.
            let step = if (rng.below((up + down) as u64) as i64) < down {
                up
            } else {
                -down
            };
            for i in j..walk_edges.len() {
                let e = walk_edges[i];
                if edges[e].tail as usize == walk_nodes[i] {
                    edges[e].flow += step;
                } else {
                    edges[e].flow -= step;
                }
            }
            // Keep the walk up to the first edge that became whole.
            let mut cut = walk_edges.len();
            for (i, &e) in walk_edges.iter().enumerate().skip(j) {
                if !fractional(edges[e].flow) {
                    cut = i;
                    break;
                }
            }
            for &u in &walk_nodes[cut + 1..] {
                position[u] = usize::MAX;
            }
            walk_nodes.truncate(cut + 1);
            walk_edges.truncate(cut);
        }
        for &u in &walk_nodes {
            position[u] = usize::MAX;
        }
        walk_nodes.clear();
        walk_edges.clear();
    }
    if edges.iter().any(|e| fractional(e.flow)) {
        return Err(SolveError::Internal("rounding left a fractional arc"));
    }
    Ok(())
}
