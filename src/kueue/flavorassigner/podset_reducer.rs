//! Partial admission's search (`pkg/scheduler/flavorassigner/podset_reducer.go`): the pods
//! each pod set may give up, down to its `minCount`, are taken from all of them in
//! proportion as the search index grows; a binary search finds the first index — the most
//! pods — at which the Workload fits.

/// The counts a Workload's pod sets may shrink between.
pub(crate) struct PodSetReducer {
    full: Vec<u32>,
    deltas: Vec<u64>,
    total: u64,
}

impl PodSetReducer {
    /// From each pod set's (count, minCount); None when no pod set may shrink.
    pub(crate) fn new(pod_sets: &[(u32, Option<u32>)]) -> Option<PodSetReducer> {
        let full: Vec<u32> = pod_sets.iter().map(|(c, _)| *c).collect();
        let deltas: Vec<u64> = pod_sets
            .iter()
            .map(|(c, m)| u64::from(c.saturating_sub(m.unwrap_or(*c))))
            .collect();
        let total: u64 = deltas.iter().sum();
        (total > 0).then_some(PodSetReducer { full, deltas, total })
    }

    /// The counts at search index `idx` (0: every pod; `total`: every pod set at its minimum).
    fn counts(&self, idx: u64) -> Vec<u32> {
        self.full
            .iter()
            .zip(&self.deltas)
            .map(|(&count, &delta)| {
                // delta ≤ u32::MAX and idx ≤ total ≤ 18 × u32::MAX: the product fits in u64.
                let drop = u32::try_from(delta.saturating_mul(idx) / self.total).unwrap_or(count);
                count.saturating_sub(drop)
            })
            .collect()
    }

    /// The largest counts that `fits`, searching as Go's `sort.Search` does (it assumes that
    /// fewer pods fit whenever more do); None when even the minimum does not.
    pub(crate) fn search(&self, mut fits: impl FnMut(&[u32]) -> bool) -> Option<Vec<u32>> {
        let (mut lo, mut hi) = (0, self.total + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if fits(&self.counts(mid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        (lo <= self.total).then(|| self.counts(lo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kueue's `TestSearch`: `fits` holds while the pods together stay within a limit.
    #[test]
    fn test_search() {
        let ps = |count: u32, min: Option<u32>| (count, min);
        let partial = vec![ps(5, Some(3)), ps(5, Some(4)), ps(5, Some(1)), ps(5, Some(2))];
        let many = |first: u32, min: Option<u32>, rest: u32, rest_min: Option<u32>| {
            std::iter::once(ps(first, min))
                .chain(std::iter::repeat_n(ps(rest, rest_min), 7))
                .collect::<Vec<_>>()
        };
        // (upstream case, pod sets, limit, (pods, found))
        type Case<'a> = (&'a str, Vec<(u32, Option<u32>)>, u64, (u64, bool));
        let cases: Vec<Case> = vec![
            ("empty", vec![], 10, (0, false)),
            (
                "partial not available",
                vec![ps(1, None), ps(2, Some(2))],
                2,
                (0, false),
            ),
            ("partial available", partial.clone(), 15, (15, true)),
            (
                "one partial available",
                vec![ps(5, Some(3)), ps(5, None), ps(5, None), ps(5, None)],
                19,
                (19, true),
            ),
            ("to min", partial.clone(), 10, (10, true)),
            ("to max", partial, 20, (20, true)),
            (
                "no overflow",
                many(150_000, Some(1), 150_000, Some(1)),
                150_000,
                (150_000, true),
            ),
            (
                "max pods on 1.27",
                many(150_000, Some(1), 1, None),
                150_000,
                (150_000, true),
            ),
            ("podset with replica count 0", vec![ps(0, Some(0))], 0, (0, false)),
        ];
        for (name, pod_sets, limit, want) in cases {
            let got = PodSetReducer::new(&pod_sets)
                .and_then(|r| r.search(|counts| counts.iter().map(|c| u64::from(*c)).sum::<u64>() <= limit))
                .map(|counts| (counts.iter().map(|c| u64::from(*c)).sum(), true))
                .unwrap_or((0, false));
            assert_eq!(got, want, "TestSearch/{name}");
        }
    }
}
