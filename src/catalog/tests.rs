//! The bundled catalog, and a user's catalog laid over it.

use super::*;

#[test]
fn bundled_catalog_loads_and_covers_the_seed() {
    let c = Catalog::bundled();
    for i in [
        "g6.4xlarge",
        "g6.12xlarge",
        "g6.48xlarge",
        "p4d.24xlarge",
        "p5.48xlarge",
    ] {
        assert!(c.instance(i).is_some(), "{i}");
    }
    assert_eq!(c.instance("g6.12xlarge").unwrap().gpu_count, 4);
    for g in ["L4", "A100-80GB", "H100-SXM", "H200", "MI300X"] {
        assert!(c.gpu(g).is_some(), "{g}");
    }
    assert!(c.instances.iter().any(|i| i.gpu == "MI300X"));
}
