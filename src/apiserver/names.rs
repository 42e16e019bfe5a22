//! Names and identifiers generated the way Kubernetes and Kueue generate them, from the
//! run's seeded random stream so every run is reproducible.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `k8s.io/apimachinery/pkg/util/rand` alphabet: no vowels, no confusable digits.
pub(crate) const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `utilrand.String(n)`, used for generateName suffixes.
pub(crate) fn random_suffix(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| ALPHANUMS[rng.random_range(0..ALPHANUMS.len())] as char)
        .collect()
}

/// `rand.SafeEncodeString`: each byte mapped into the alphabet.
pub(crate) fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char)
        .collect()
}

/// FNV-1a 32-bit, the hash `ComputeHash` feeds the pod template into.
pub(crate) fn fnv32a(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for b in data {
        h ^= *b as u32;
        h = h.wrapping_mul(0x01000193);
    }
    h
}

/// The `pod-template-hash` label value for a template dump and collision count.
pub(crate) fn pod_template_hash(template_dump: &str, collision_count: u32) -> String {
    let mut data = template_dump.as_bytes().to_vec();
    if collision_count > 0 {
        data.extend_from_slice(&(collision_count as u64).to_le_bytes());
    }
    safe_encode(&fnv32a(&data).to_string())
}

/// A UUID-shaped UID from the seeded stream.
pub(crate) fn uid(rng: &mut ChaCha8Rng) -> String {
    let b: [u8; 16] = rng.random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Kueue's `GetWorkloadNameForOwnerWithGVK` for a Pod owner: `pod-<name>-<5 hex of sha1>`.
pub(crate) fn workload_name_for_pod(pod_name: &str, pod_uid: &str) -> String {
    workload_name_for_owner("Pod", "", pod_name, pod_uid)
}

/// Kueue's `GetWorkloadNameForOwnerWithGVK`: `<kind>-<name>` (lower-case kind), cut to
/// fit, and five hex digits of the SHA-1 of kind, group, name and UID.
pub(crate) fn workload_name_for_owner(kind: &str, group: &str, name: &str, uid: &str) -> String {
    const MAX_PREFIX: usize = 252 - 5;
    let mut prefix = format!("{}-{name}", kind.to_lowercase());
    prefix.truncate(MAX_PREFIX);
    let digest = sha1_smol::Sha1::from(format!("{kind}\n{group}\n{name}\n{uid}"))
        .digest()
        .to_string();
    format!("{prefix}-{}", &digest[..5])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn template_hashes_look_like_kubernetes_ones() {
        let h = pod_template_hash("template", 0);
        assert!((1..=10).contains(&h.len()));
        assert!(h.bytes().all(|b| ALPHANUMS.contains(&b)));
        assert_ne!(h, pod_template_hash("template", 1));
        assert_eq!(h, pod_template_hash("template", 0));
    }

    #[test]
    fn workload_names_follow_kueue() {
        let n = workload_name_for_pod("mistral-3-int4-predictor-58595d486-67n5x", "u");
        assert!(n.starts_with("pod-mistral-3-int4-predictor-58595d486-67n5x-"));
        assert_eq!(n.len(), "pod-mistral-3-int4-predictor-58595d486-67n5x-".len() + 5);
    }

    #[test]
    fn suffixes_are_seeded() {
        let a = random_suffix(&mut ChaCha8Rng::seed_from_u64(1), 5);
        let b = random_suffix(&mut ChaCha8Rng::seed_from_u64(1), 5);
        assert_eq!(a, b);
        assert_eq!(a.len(), 5);
    }
}
