//! One kind's objects by id, with the (namespace, name) and label indexes kept in step on
//! every insert, write and removal, so no caller maintains a second map by hand.

use super::ids::{Id, ObjectKey};
use crate::api::meta::Labels;
use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

/// An object the store indexes by namespace and name, and by its labels if it has any.
pub trait Named {
    fn namespace(&self) -> &str;
    fn name(&self) -> &str;
    fn labels(&self) -> Option<&Labels> {
        None
    }
}

/// `Named` and `Labelled` for a kind with `namespace`, `name` and `labels` fields.
macro_rules! named_with_labels {
    ($($kind:ty),* $(,)?) => {$(
        impl $crate::store::objects::Named for $kind {
            fn namespace(&self) -> &str {
                &self.namespace
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn labels(&self) -> Option<&$crate::api::meta::Labels> {
                Some(&self.labels)
            }
        }
        impl $crate::store::objects::Labelled for $kind {
            fn labels_of(&self) -> &$crate::api::meta::Labels {
                &self.labels
            }
            fn labels_mut(&mut self) -> &mut $crate::api::meta::Labels {
                &mut self.labels
            }
        }
    )*};
}
pub(crate) use named_with_labels;

/// An object with labels, which only `Objects::set_labels` changes once stored.
pub(crate) trait Labelled: Named {
    fn labels_of(&self) -> &Labels;
    fn labels_mut(&mut self) -> &mut Labels;
}

#[derive(Debug)]
pub struct Objects<T> {
    by_id: BTreeMap<Id<T>, T>,
    by_name: BTreeMap<ObjectKey, Id<T>>,
    /// Ids by (label key, value).
    by_label: BTreeMap<(String, String), BTreeSet<Id<T>>>,
}

impl<T> Default for Objects<T> {
    fn default() -> Self {
        Objects {
            by_id: BTreeMap::new(),
            by_name: BTreeMap::new(),
            by_label: BTreeMap::new(),
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

    /// The objects carrying label `key` (with any value), in id order.
    pub fn with_label_key<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'s T> + 's {
        let ids: BTreeSet<Id<T>> = self
            .by_label
            .range((key.to_string(), String::new())..)
            .take_while(|((k, _), _)| k == key)
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        ids.into_iter().filter_map(|id| self.by_id.get(&id))
    }

    /// The objects whose labels include every `key=value` of `labels`, in id order: the
    /// index's shortest list, checked against the rest.
    pub fn with_labels<'s>(&'s self, labels: &'s Labels) -> impl Iterator<Item = &'s T> + 's {
        let shortest = labels
            .iter()
            .map(|(k, v)| self.by_label.get(&(k.clone(), v.clone())))
            .min_by_key(|ids| ids.map_or(0, BTreeSet::len));
        let ids: Vec<Id<T>> = match shortest {
            // No labels asked for: every object.
            None => self.by_id.keys().copied().collect(),
            Some(None) => Vec::new(),
            Some(Some(ids)) => ids.iter().copied().collect(),
        };
        ids.into_iter()
            .filter_map(|id| self.by_id.get(&id))
            .filter(|o| labels.iter().all(|(k, v)| o.labels().and_then(|l| l.get(k)) == Some(v)))
    }

    /// A write to the object. Its labels change only through `set_labels`, which keeps
    /// the label index in step (`indexes_consistent` checks it after every test run).
    pub(crate) fn get_mut(&mut self, id: impl Borrow<Id<T>>) -> Option<&mut T> {
        self.by_id.get_mut(id.borrow())
    }
    /// Replaces the object's labels, and its entries in the label index.
    pub(crate) fn set_labels(&mut self, id: Id<T>, labels: crate::api::meta::Labels)
    where
        T: Labelled,
    {
        let Some(old) = self.by_id.get(&id).map(|o| o.labels_of().clone()) else {
            return;
        };
        self.unindex_labels(id, &old);
        self.index_labels(id, &labels);
        if let Some(o) = self.by_id.get_mut(&id) {
            *o.labels_mut() = labels;
        }
    }
    /// Whether the label index says exactly what the objects' labels say.
    pub fn indexes_consistent(&self) -> bool {
        let mut expected: BTreeMap<(String, String), BTreeSet<Id<T>>> = BTreeMap::new();
        for (id, o) in &self.by_id {
            for (k, v) in o.labels().into_iter().flatten() {
                expected.entry((k.clone(), v.clone())).or_default().insert(*id);
            }
        }
        let names_ok = self.by_name.iter().all(|(key, id)| {
            self.by_id
                .get(id)
                .is_some_and(|o| o.namespace() == key.namespace && o.name() == key.name)
        });
        expected == self.by_label && names_ok
    }
    pub(crate) fn insert(&mut self, id: Id<T>, object: T) {
        self.by_name
            .insert(ObjectKey::new(object.namespace(), object.name()), id);
        if let Some(l) = object.labels() {
            let l = l.clone();
            self.index_labels(id, &l);
        }
        self.by_id.insert(id, object);
    }
    pub(crate) fn remove(&mut self, id: Id<T>) -> Option<T> {
        let object = self.by_id.remove(&id)?;
        let key = ObjectKey::new(object.namespace(), object.name());
        if self.by_name.get(&key) == Some(&id) {
            self.by_name.remove(&key);
        }
        if let Some(l) = object.labels() {
            self.unindex_labels(id, l);
        }
        Some(object)
    }
    fn index_labels(&mut self, id: Id<T>, labels: &Labels) {
        for (k, v) in labels {
            self.by_label.entry((k.clone(), v.clone())).or_default().insert(id);
        }
    }
    fn unindex_labels(&mut self, id: Id<T>, labels: &Labels) {
        for (k, v) in labels {
            let key = (k.clone(), v.clone());
            if let Some(ids) = self.by_label.get_mut(&key) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.by_label.remove(&key);
                }
            }
        }
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

    #[derive(Debug)]
    struct Labelled3(&'static str, Labels);
    impl Named for Labelled3 {
        fn namespace(&self) -> &str {
            "ns"
        }
        fn name(&self) -> &str {
            self.0
        }
        fn labels(&self) -> Option<&Labels> {
            Some(&self.1)
        }
    }
    impl Labelled for Labelled3 {
        fn labels_of(&self) -> &Labels {
            &self.1
        }
        fn labels_mut(&mut self) -> &mut Labels {
            &mut self.1
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_label_index_follows_inserts_label_changes_and_removals() {
        let mut o: Objects<Labelled3> = Objects::default();
        let (a, b, c) = (Id::from_raw(1), Id::from_raw(2), Id::from_raw(3));
        o.insert(a, Labelled3("a", labels(&[("app", "chat"), ("tier", "gpu")])));
        o.insert(b, Labelled3("b", labels(&[("app", "chat")])));
        o.insert(c, Labelled3("c", labels(&[("app", "batch"), ("tier", "gpu")])));
        let names = |it: Vec<&Labelled3>| it.iter().map(|t| t.0).collect::<Vec<_>>();
        // (selector, expected names in id order)
        type Case<'c> = (&'c [(&'c str, &'c str)], &'c [&'c str]);
        let cases: [Case; 4] = [
            (&[("app", "chat")], &["a", "b"]),
            (&[("app", "chat"), ("tier", "gpu")], &["a"]),
            (&[("app", "none")], &[]),
            (&[], &["a", "b", "c"]),
        ];
        for (sel, want) in cases {
            let sel = labels(sel);
            assert_eq!(names(o.with_labels(&sel).collect()), want, "{sel:?}");
        }
        assert_eq!(names(o.with_label_key("tier").collect()), ["a", "c"]);
        o.set_labels(b, labels(&[("app", "batch")]));
        assert_eq!(names(o.with_labels(&labels(&[("app", "batch")])).collect()), ["b", "c"]);
        o.remove(c);
        assert_eq!(names(o.with_label_key("tier").collect()), ["a"]);
        assert!(o.indexes_consistent());
        // A label written behind the index's back is caught.
        o.get_mut(a).unwrap().1.insert("x".into(), "y".into());
        assert!(!o.indexes_consistent());
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
