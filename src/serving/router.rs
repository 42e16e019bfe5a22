//! Which ready replica gets a request: as a Kubernetes Service (kube-proxy picks an
//! endpoint at random), round-robin, least-outstanding, or prefix-aware (requests sharing
//! a prompt prefix go where it is cached unless that replica is much busier).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

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

/// A candidate replica: its index and requests outstanding on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub replica: usize,
    pub outstanding: usize,
}

pub struct Router {
    policy: RouterPolicy,
    turn: usize,
    rng: ChaCha8Rng,
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

impl Router {
    pub fn new(policy: RouterPolicy, rng: ChaCha8Rng) -> Router {
        Router { policy, turn: 0, rng }
    }

    /// Whether picks depend on replicas' loads (else `pick_index` serves).
    pub(crate) fn needs_load(&self) -> bool {
        matches!(self.policy, RouterPolicy::LeastOutstanding | RouterPolicy::PrefixAware)
    }

    /// A pick among `n` replicas for the load-blind policies.
    pub(crate) fn pick_index(&mut self, n: usize) -> usize {
        match self.policy {
            RouterPolicy::RoundRobin => {
                self.turn = self.turn.wrapping_add(1);
                self.turn % n
            }
            _ => self.rng.random_range(0..n),
        }
    }

    /// Picks one of `candidates` (non-empty, in a stable order).
    pub(crate) fn pick(&mut self, candidates: &[Candidate], prefix_group: Option<u32>) -> usize {
        debug_assert!(!candidates.is_empty());
        let n = candidates.len();
        match self.policy {
            RouterPolicy::Random => candidates[self.rng.random_range(0..n)].replica,
            RouterPolicy::RoundRobin => {
                self.turn = self.turn.wrapping_add(1);
                candidates[self.turn % n].replica
            }
            RouterPolicy::LeastOutstanding => self.least(candidates),
            RouterPolicy::PrefixAware => {
                let Some(g) = prefix_group else {
                    return self.least(candidates);
                };
                let preferred = candidates
                    .iter()
                    .max_by_key(|c| affinity(g, c.replica))
                    .expect("non-empty");
                let lightest = candidates.iter().map(|c| c.outstanding).min().expect("non-empty");
                // Keep the cache hit unless the replica carries twice the lightest load
                // (and at least four more requests).
                if preferred.outstanding <= lightest + lightest.max(4) {
                    preferred.replica
                } else {
                    self.least(candidates)
                }
            }
        }
    }

    /// Fewest outstanding; ties taken in turn so equal replicas share the load.
    fn least(&mut self, candidates: &[Candidate]) -> usize {
        let n = candidates.len();
        self.turn = self.turn.wrapping_add(1);
        let start = self.turn % n;
        let (tail, head) = candidates.split_at(start);
        let mut best = head[0];
        for c in head.iter().chain(tail) {
            if c.outstanding < best.outstanding {
                best = *c;
            }
        }
        best.replica
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn cands(loads: &[usize]) -> Vec<Candidate> {
        loads
            .iter()
            .enumerate()
            .map(|(i, l)| Candidate {
                replica: i,
                outstanding: *l,
            })
            .collect()
    }

    #[test]
    fn policies_pick_as_documented() {
        let rng = || ChaCha8Rng::seed_from_u64(1);
        // (policy, loads, prefix, expected picks over four requests)
        let mut lo = Router::new(RouterPolicy::LeastOutstanding, rng());
        assert_eq!(lo.pick(&cands(&[3, 1, 2]), None), 1);
        let mut rr = Router::new(RouterPolicy::RoundRobin, rng());
        let picks: Vec<usize> = (0..4).map(|_| rr.pick(&cands(&[0, 0, 0]), None)).collect();
        assert_eq!(picks, vec![1, 2, 0, 1]);
        let mut pa = Router::new(RouterPolicy::PrefixAware, rng());
        let first = pa.pick(&cands(&[0, 0, 0]), Some(42));
        assert_eq!(
            pa.pick(&cands(&[2, 2, 2]), Some(42)),
            first,
            "same prefix, same replica"
        );
        let mut overloaded = vec![1, 1, 1];
        overloaded[first] = 20;
        assert_ne!(pa.pick(&cands(&overloaded), Some(42)), first, "too busy: spill over");
        let mut random = Router::new(RouterPolicy::Random, rng());
        let mut seen = [0; 3];
        for _ in 0..3000 {
            seen[random.pick(&cands(&[0, 0, 0]), None)] += 1;
        }
        assert!(seen.iter().all(|s| (900..1100).contains(s)), "{seen:?}");
    }
}
