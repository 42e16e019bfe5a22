//! Manifest input: located YAML, file/folder/kustomization loading, and decoding into
//! the typed inventory of a cluster.

pub(crate) mod emit;
pub mod error;
pub(crate) mod load;
pub(crate) mod objects;
pub(crate) mod strict;
pub(crate) mod yaml;
