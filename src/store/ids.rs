//! Typed identifiers: a pod's id cannot be passed where a Workload's is expected. Ids come
//! from one counter shared by every kind, in creation order, so iterating objects by id
//! visits them in the order they were created.

use std::fmt;
use std::marker::PhantomData;

/// The id of one object of kind `T`.
pub struct Id<T> {
    raw: u64,
    kind: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    pub(crate) const fn from_raw(raw: u64) -> Id<T> {
        Id { raw, kind: PhantomData }
    }
    pub(crate) fn raw(self) -> u64 {
        self.raw
    }
}

// Written out rather than derived: a derive would require `T` itself to be Copy, Ord, ….
impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<T> Eq for Id<T> {}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl<T> std::hash::Hash for Id<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.raw.hash(state)
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.raw)
    }
}
/// The number alone, as the simulator prints a Workload's UID in Kueue's messages.
impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.raw)
    }
}

pub type PodId = Id<super::Pod>;
pub type DeploymentId = Id<super::Deployment>;
pub type ReplicaSetId = Id<super::ReplicaSet>;
pub type JobId = Id<super::Job>;
pub type FrameworkId = Id<super::Framework>;
pub type LeaderWorkerSetId = Id<super::LeaderWorkerSet>;
pub type PodGroupId = Id<super::PodGroup>;
pub type WorkloadId = Id<super::Workload>;

/// A namespaced object's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> ObjectKey {
        ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}
