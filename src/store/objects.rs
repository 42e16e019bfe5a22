//! One kind's objects by id, with the (namespace, name) index kept in step on every
//! insert and removal, so no caller maintains a second map by hand.

use super::ids::{Id, ObjectKey};
use std::borrow::Borrow;
use std::collections::BTreeMap;

/// An object the store indexes by namespace and name.
pub trait Named {
    fn namespace(&self) -> &str;
    fn name(&self) -> &str;
}

#[derive(Debug)]
pub struct Objects<T> {
    by_id: BTreeMap<Id<T>, T>,
    by_name: BTreeMap<ObjectKey, Id<T>>,
}

impl<T> Default for Objects<T> {
    fn default() -> Self {
        Objects {
            by_id: BTreeMap::new(),
            by_name: BTreeMap::new(),
        }
    }
}

impl<T: Named> Objects<T> {
    /// By id, given by value or by reference (ids from a set come by reference).
    pub fn get(&self, id: impl Borrow<Id<T>>) -> Option<&T> {
        self.by_id.get(id.borrow())
    }
    pub fn contains(&self, id: impl Borrow<Id<T>>) -> bool {
        self.by_id.contains_key(id.borrow())
    }
    /// The object named `name` in `namespace`.
    pub fn named(&self, namespace: &str, name: &str) -> Option<&T> {
        self.id_of(namespace, name).and_then(|id| self.by_id.get(&id))
    }
    pub(crate) fn id_of(&self, namespace: &str, name: &str) -> Option<Id<T>> {
        self.by_name.get(&ObjectKey::new(namespace, name)).copied()
    }
    pub(crate) fn name_taken(&self, namespace: &str, name: &str) -> bool {
        self.by_name.contains_key(&ObjectKey::new(namespace, name))
    }
    /// In id (creation) order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.by_id.values()
    }
    pub fn len(&self) -> usize {
        self.by_id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub(crate) fn get_mut(&mut self, id: impl Borrow<Id<T>>) -> Option<&mut T> {
        self.by_id.get_mut(id.borrow())
    }
    pub(crate) fn insert(&mut self, id: Id<T>, object: T) {
        self.by_name
            .insert(ObjectKey::new(object.namespace(), object.name()), id);
        self.by_id.insert(id, object);
    }
    pub(crate) fn remove(&mut self, id: Id<T>) -> Option<T> {
        let object = self.by_id.remove(&id)?;
        let key = ObjectKey::new(object.namespace(), object.name());
        if self.by_name.get(&key) == Some(&id) {
            self.by_name.remove(&key);
        }
        Some(object)
    }
    /// Frees the object's name for a new object while keeping it by id (a pod group whose
    /// pods are all gone: a group formed again under the name is a new group).
    pub(crate) fn release_name(&mut self, id: Id<T>) {
        if let Some(o) = self.by_id.get(&id) {
            let key = ObjectKey::new(o.namespace(), o.name());
            if self.by_name.get(&key) == Some(&id) {
                self.by_name.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Thing(&'static str, &'static str);
    impl Named for Thing {
        fn namespace(&self) -> &str {
            self.0
        }
        fn name(&self) -> &str {
            self.1
        }
    }

    #[test]
    fn the_name_index_follows_inserts_removals_and_released_names() {
        let mut o: Objects<Thing> = Objects::default();
        let (a, b) = (Id::from_raw(1), Id::from_raw(2));
        o.insert(a, Thing("ns", "x"));
        assert_eq!(o.id_of("ns", "x"), Some(a));
        o.release_name(a);
        assert!(o.named("ns", "x").is_none() && o.get(a).is_some());
        o.insert(b, Thing("ns", "x"));
        assert_eq!(o.id_of("ns", "x"), Some(b));
        // Removing the old holder does not unindex the new one.
        o.remove(a);
        assert_eq!(o.id_of("ns", "x"), Some(b));
        o.remove(b);
        assert!(o.named("ns", "x").is_none() && o.is_empty());
    }
}
