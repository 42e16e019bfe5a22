//! Which ready replica gets a request: as a Kubernetes Service (kube-proxy picks an
//! endpoint at random), round-robin, least-outstanding, or prefix-aware (requests sharing
//! a prompt prefix go where it is cached unless that replica is much busier).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RouterPolicy {
    /// kube-proxy (iptables mode) and the OpenShift router's default: uniform random.
    #[default]
    Random,
    RoundRobin,
    LeastOutstanding,
    PrefixAware,
}

impl RouterPolicy {
    pub const NAMES: &'static [&'static str] = &["random", "round-robin", "least-outstanding", "prefix-aware"];
    pub fn name(self) -> &'static str {
        match self {
            RouterPolicy::Random => "random",
            RouterPolicy::RoundRobin => "round-robin",
            RouterPolicy::LeastOutstanding => "least-outstanding",
            RouterPolicy::PrefixAware => "prefix-aware",
        }
    }
    pub fn parse(s: &str) -> Option<RouterPolicy> {
        Some(match s {
            "random" => RouterPolicy::Random,
            "round-robin" => RouterPolicy::RoundRobin,
            "least-outstanding" => RouterPolicy::LeastOutstanding,
            "prefix-aware" => RouterPolicy::PrefixAware,
            _ => return None,
        })
    }
}

/// No load: the replica takes no requests (or, in the preferred cache, not known yet).
const NONE: u32 = u32::MAX;

/// Prefix groups below this are cached in a vector indexed by group; beyond it (a stream
/// declaring millions of groups) in a map, so memory follows the groups seen.
const DENSE_GROUPS: u32 = 1 << 16;

pub struct Router {
    policy: RouterPolicy,
    turn: usize,
    rng: ChaCha8Rng,
    /// Loads of the replicas taking requests, for the load-aware policies.
    loads: LoadIndex,
    /// Per prefix group, the replica its rendezvous hash prefers among those taking
    /// requests, or NONE until asked: groups are few and the replica set changes seldom,
    /// so a request costs a lookup instead of hashing every replica.
    preferred: Vec<u32>,
    preferred_sparse: HashMap<u32, u32>,
}

/// Rendezvous (highest-random-weight) score: stable as replicas come and go.
fn affinity(group: u32, replica: usize) -> u64 {
    let mut x = (group as u64) << 32 ^ replica as u64 ^ 0x9e37_79b9_7f4a_7c15;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// What ranks replicas for a group: the highest score wins, and among equal scores the
/// highest replica index (the last of the ascending list, as `max_by_key` keeps it).
fn rank(group: u32, replica: usize) -> (u64, usize) {
    (affinity(group, replica), replica)
}

/// The loads of the replicas taking requests, by replica index: a segment tree of minimums
/// over the indices (a leaf is NONE for a replica that takes none), so a load change costs
/// a walk to the root and the least-loaded replica at or after any index a walk down.
/// Loads move by whole batches when a step finishes several requests, so buckets moved by
/// ±1 would not serve; the tree takes any change in O(log K).
#[derive(Debug, Clone)]
struct LoadIndex {
    /// Node `k`'s children are `2k` and `2k + 1`; leaves start at `width` (a power of two).
    /// Always `2 × width` long (`new` and `grow` keep it so), which is why the methods below
    /// index it directly: every `k` they form is below `2 × width` — a leaf `width + r` with
    /// `r < width` checked first, a parent `k / 2`, a child `2k (+ 1)` of a `k < width`.
    tree: Vec<u32>,
    width: usize,
}

impl LoadIndex {
    fn new() -> LoadIndex {
        LoadIndex {
            tree: vec![NONE; 2],
            width: 1,
        }
    }

    fn get(&self, replica: usize) -> u32 {
        self.tree.get(self.width + replica).copied().unwrap_or(NONE)
    }

    /// Sets `replica`'s leaf (NONE: it takes no requests).
    fn set(&mut self, replica: usize, load: u32) {
        if replica >= self.width {
            if load == NONE {
                return;
            }
            self.grow(replica + 1);
        }
        let mut k = self.width + replica;
        if self.tree[k] == load {
            return;
        }
        self.tree[k] = load;
        while k > 1 {
            k /= 2;
            let m = self.tree[2 * k].min(self.tree[2 * k + 1]);
            if self.tree[k] == m {
                break;
            }
            self.tree[k] = m;
        }
    }

    /// Doubles the width until `n` replicas fit, rebuilding the inner nodes.
    fn grow(&mut self, n: usize) {
        let mut width = self.width;
        while width < n {
            width *= 2;
        }
        let mut tree = vec![NONE; 2 * width];
        tree[width..width + self.width].copy_from_slice(&self.tree[self.width..]);
        for k in (1..width).rev() {
            tree[k] = tree[2 * k].min(tree[2 * k + 1]);
        }
        self.tree = tree;
        self.width = width;
    }

    /// The lightest load, if any replica takes requests.
    fn min(&self) -> Option<u32> {
        Some(self.tree[1]).filter(|&m| m != NONE)
    }

    /// The lowest replica index at or after `from` whose load is at most `load`.
    fn first_at_most(&self, from: usize, load: u32) -> Option<usize> {
        if from >= self.width {
            return None;
        }
        // Climb from the leaf, each time to the subtree just right of those ruled out...
        let mut k = self.width + from;
        while self.tree[k] > load {
            while k % 2 == 1 {
                k /= 2;
            }
            if k == 0 {
                return None;
            }
            k += 1;
        }
        // ...then down to its leftmost leaf within the bound.
        while k < self.width {
            k *= 2;
            if self.tree[k] > load {
                k += 1;
            }
        }
        Some(k - self.width)
    }
}

impl Router {
    pub fn new(policy: RouterPolicy, rng: ChaCha8Rng) -> Router {
        Router {
            policy,
            turn: 0,
            rng,
            loads: LoadIndex::new(),
            preferred: Vec::new(),
            preferred_sparse: HashMap::new(),
        }
    }

    /// Whether picks depend on replicas' loads (else `add`, `remove` and `set_load` do
    /// nothing).
    fn needs_load(&self) -> bool {
        matches!(self.policy, RouterPolicy::LeastOutstanding | RouterPolicy::PrefixAware)
    }

    /// `replica` takes requests from now on, with `load` outstanding.
    pub(crate) fn add(&mut self, replica: usize, load: u32) {
        if !self.needs_load() {
            return;
        }
        self.loads.set(replica, load);
        // A newcomer outranking a group's preferred replica becomes the group's choice.
        let beats = |g: u32, p: u32| p != NONE && rank(g, replica) > rank(g, p as usize);
        for (g, p) in self.preferred.iter_mut().enumerate() {
            if beats(g as u32, *p) {
                *p = replica as u32;
            }
        }
        for (g, p) in self.preferred_sparse.iter_mut() {
            if beats(*g, *p) {
                *p = replica as u32;
            }
        }
    }

    /// `replica` takes no more requests.
    pub(crate) fn remove(&mut self, replica: usize) {
        if !self.needs_load() {
            return;
        }
        self.loads.set(replica, NONE);
        // Groups that preferred it rank the others again when next asked.
        for p in self.preferred.iter_mut().chain(self.preferred_sparse.values_mut()) {
            if *p == replica as u32 {
                *p = NONE;
            }
        }
    }

    /// `replica`'s requests outstanding changed (ignored unless it takes requests).
    pub(crate) fn set_load(&mut self, replica: usize, load: u32) {
        if self.needs_load() && self.loads.get(replica) != NONE {
            self.loads.set(replica, load);
        }
    }

    /// Picks one of `accepting` (non-empty, ascending: the replicas added and not removed).
    pub(crate) fn pick(&mut self, accepting: &[usize], prefix_group: Option<u32>) -> usize {
        debug_assert!(!accepting.is_empty());
        let n = accepting.len();
        match self.policy {
            // Indexing below n: the caller never picks among no replicas (it holds the
            // request until one is ready).
            RouterPolicy::Random => accepting[self.rng.random_range(0..n)],
            RouterPolicy::RoundRobin => {
                self.turn = self.turn.wrapping_add(1);
                accepting[self.turn % n]
            }
            RouterPolicy::LeastOutstanding => self.least(accepting),
            RouterPolicy::PrefixAware => {
                let Some(g) = prefix_group else {
                    return self.least(accepting);
                };
                let preferred = self.preferred(g, accepting);
                let load = self.loads.get(preferred) as u64;
                // Every accepting replica is in the tree, so it has a minimum; were it empty,
                // 0 keeps the preferred replica.
                let lightest = self.loads.min().unwrap_or(0) as u64;
                // Keep the cache hit unless the replica carries twice the lightest load
                // (and at least four more requests).
                if load <= lightest + lightest.max(4) {
                    preferred
                } else {
                    self.least(accepting)
                }
            }
        }
    }

    /// Group `g`'s preferred replica among `accepting`, ranked once per change of the set.
    fn preferred(&mut self, g: u32, accepting: &[usize]) -> usize {
        let slot = if g < DENSE_GROUPS {
            if self.preferred.len() <= g as usize {
                self.preferred.resize(g as usize + 1, NONE);
            }
            &mut self.preferred[g as usize]
        } else {
            self.preferred_sparse.entry(g).or_insert(NONE)
        };
        if *slot == NONE {
            // `accepting` is not empty (the caller holds requests while it is); its first
            // replica stands in were it ever to be.
            let best = accepting.iter().max_by_key(|&&r| rank(g, r)).or(accepting.first());
            *slot = best.map_or(0, |&r| r as u32);
        }
        *slot as usize
    }

    /// Fewest outstanding; ties taken in turn so equal replicas share the load: the first
    /// lightest replica in `accepting` from a position that advances with every pick,
    /// wrapping around. `accepting` ascends, so that is the lightest replica of the lowest
    /// index at or after the one at that position, else the lowest index overall.
    fn least(&mut self, accepting: &[usize]) -> usize {
        let n = accepting.len();
        self.turn = self.turn.wrapping_add(1);
        // `accepting` is not empty (see `pick`), so `turn % n` indexes it; the tree holds
        // every accepting replica, so its lightest is found from `start` or from 0. The
        // fallbacks only keep a broken invariant from panicking.
        let start = accepting[self.turn % n.max(1)];
        let Some(lightest) = self.loads.min() else {
            return start;
        };
        self.loads
            .first_at_most(start, lightest)
            .or_else(|| self.loads.first_at_most(0, lightest))
            .unwrap_or(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The routers as they were first written, scanning every replica per request: what the
    /// indexed structures must choose exactly. `replicas` is (index, load), ascending.
    struct Reference {
        policy: RouterPolicy,
        turn: usize,
        rng: ChaCha8Rng,
    }

    impl Reference {
        fn pick(&mut self, replicas: &[(usize, u32)], prefix_group: Option<u32>) -> usize {
            let n = replicas.len();
            match self.policy {
                RouterPolicy::Random => replicas[self.rng.random_range(0..n)].0,
                RouterPolicy::RoundRobin => {
                    self.turn = self.turn.wrapping_add(1);
                    replicas[self.turn % n].0
                }
                RouterPolicy::LeastOutstanding => self.least(replicas),
                RouterPolicy::PrefixAware => {
                    let Some(g) = prefix_group else {
                        return self.least(replicas);
                    };
                    let preferred = replicas.iter().max_by_key(|c| affinity(g, c.0)).unwrap();
                    let lightest = replicas.iter().map(|c| c.1 as usize).min().unwrap();
                    if preferred.1 as usize <= lightest + lightest.max(4) {
                        preferred.0
                    } else {
                        self.least(replicas)
                    }
                }
            }
        }

        fn least(&mut self, replicas: &[(usize, u32)]) -> usize {
            self.turn = self.turn.wrapping_add(1);
            let (tail, head) = replicas.split_at(self.turn % replicas.len());
            let mut best = head[0];
            for c in head.iter().chain(tail) {
                if c.1 < best.1 {
                    best = *c;
                }
            }
            best.0
        }
    }

    /// A router fed `loads` (replica i at loads[i], all taking requests), and the list.
    fn router(policy: RouterPolicy, loads: &[u32]) -> (Router, Vec<usize>) {
        let mut r = Router::new(policy, ChaCha8Rng::seed_from_u64(1));
        for (i, l) in loads.iter().enumerate() {
            r.add(i, *l);
        }
        (r, (0..loads.len()).collect())
    }

    #[test]
    fn policies_pick_as_documented() {
        let (mut lo, all) = router(RouterPolicy::LeastOutstanding, &[3, 1, 2]);
        assert_eq!(lo.pick(&all, None), 1);
        let (mut rr, all) = router(RouterPolicy::RoundRobin, &[0, 0, 0]);
        let picks: Vec<usize> = (0..4).map(|_| rr.pick(&all, None)).collect();
        assert_eq!(picks, vec![1, 2, 0, 1]);
        let (mut pa, all) = router(RouterPolicy::PrefixAware, &[0, 0, 0]);
        let first = pa.pick(&all, Some(42));
        for i in 0..3 {
            pa.set_load(i, 2);
        }
        assert_eq!(pa.pick(&all, Some(42)), first, "same prefix, same replica");
        for i in 0..3 {
            pa.set_load(i, if i == first { 20 } else { 1 });
        }
        assert_ne!(pa.pick(&all, Some(42)), first, "too busy: spill over");
        let (mut random, all) = router(RouterPolicy::Random, &[0, 0, 0]);
        let mut seen = [0; 3];
        for _ in 0..3000 {
            seen[random.pick(&all, None)] += 1;
        }
        assert!(seen.iter().all(|s| (900..1100).contains(s)), "{seen:?}");
    }

    /// Random runs of picks, load changes (single requests and whole batches), replicas
    /// added (at any index, also beyond the tree's width) and removed: every pick is the
    /// reference's, and so is the router's random stream.
    #[test]
    fn indexed_picks_match_a_scan_of_every_replica() {
        // (policy, replica indices drawn from, prefix groups (0: none), steps)
        let cases = [
            (RouterPolicy::LeastOutstanding, 3, 0, 2_000),
            (RouterPolicy::LeastOutstanding, 40, 0, 20_000),
            (RouterPolicy::LeastOutstanding, 300, 0, 20_000),
            (RouterPolicy::PrefixAware, 3, 2, 2_000),
            (RouterPolicy::PrefixAware, 40, 4, 20_000),
            (RouterPolicy::PrefixAware, 300, 64, 20_000),
            (RouterPolicy::PrefixAware, 40, 100_000, 20_000),
            (RouterPolicy::RoundRobin, 40, 0, 5_000),
            (RouterPolicy::Random, 40, 0, 5_000),
        ];
        for (case, &(policy, span, groups, steps)) in cases.iter().enumerate() {
            let mut ops = ChaCha8Rng::seed_from_u64(case as u64);
            let mut fast = Router::new(policy, ChaCha8Rng::seed_from_u64(7));
            let mut slow = Reference {
                policy,
                turn: 0,
                rng: ChaCha8Rng::seed_from_u64(7),
            };
            // Replicas taking requests, ascending, and every replica's load.
            let mut accepting: Vec<usize> = Vec::new();
            let mut load = vec![0u32; span];
            for step in 0..steps {
                match ops.random_range(0..100) {
                    // Mostly requests and finishes, as in a run.
                    0..=2 if accepting.len() < span => {
                        let i = ops.random_range(0..span);
                        if let Err(at) = accepting.binary_search(&i) {
                            accepting.insert(at, i);
                            fast.add(i, load[i]);
                        }
                    }
                    3..=5 if accepting.len() > 1 => {
                        let i = accepting.remove(ops.random_range(0..accepting.len()));
                        fast.remove(i);
                    }
                    6..=40 => {
                        // A step finishing requests, maybe on a replica no longer taking any.
                        let i = ops.random_range(0..span);
                        load[i] -= ops.random_range(0..=load[i].min(8));
                        fast.set_load(i, load[i]);
                    }
                    41 => {
                        // Every request on it failed at once.
                        let i = ops.random_range(0..span);
                        load[i] = 0;
                        fast.set_load(i, 0);
                    }
                    _ if !accepting.is_empty() => {
                        let group = (groups > 0 && ops.random_range(0..8) > 0).then(|| ops.random_range(0..groups));
                        let scan: Vec<(usize, u32)> = accepting.iter().map(|&i| (i, load[i])).collect();
                        let want = slow.pick(&scan, group);
                        let got = fast.pick(&accepting, group);
                        assert_eq!(got, want, "case {case}, step {step}: {scan:?}, group {group:?}");
                        load[got] += 1;
                        fast.set_load(got, load[got]);
                    }
                    _ => {}
                }
            }
            assert_eq!(fast.rng.random::<u64>(), slow.rng.random::<u64>(), "case {case}");
        }
    }

    #[test]
    fn the_load_index_finds_the_first_lightest_from_any_index() {
        // (leaves (NONE: not taking requests), from, bound, expected)
        let cases: &[(&[u32], usize, u32, Option<usize>)] = &[
            (&[5], 0, 5, Some(0)),
            (&[5], 0, 4, None),
            (&[3, 1, 2, 1], 0, 1, Some(1)),
            (&[3, 1, 2, 1], 2, 1, Some(3)),
            (&[3, 1, 2, 1], 4, 1, None),
            (&[1, NONE, NONE, 2, 0], 1, 1, Some(4)),
            (&[0, NONE, NONE, 2, 0], 5, 0, None),
            (&[NONE, NONE, 7], 0, 7, Some(2)),
            (&[4, 4, 4, 4, 4, 4, 4], 6, 4, Some(6)),
        ];
        for (leaves, from, bound, want) in cases {
            let mut index = LoadIndex::new();
            for (i, l) in leaves.iter().enumerate() {
                index.set(i, *l);
            }
            assert_eq!(index.first_at_most(*from, *bound), *want, "{leaves:?} from {from}");
            let min = leaves.iter().copied().filter(|&l| l != NONE).min();
            assert_eq!(index.min(), min, "{leaves:?}");
        }
    }
}
