//! [`Attributes`]: the scalar attributes of one observation.

use crate::name::{Name, Names};
use crate::timeline::Value;
use smallvec::SmallVec;
use std::fmt;

/// The pairs of one observation, sorted by name. Up to two are held in the observation itself:
/// most records carry none to two, and rules read them for every observation they see, where a
/// separate allocation would be a cache miss of its own (docs/performance-history.md, seventh
/// round).
pub(crate) type Pairs = SmallVec<[(Name, Value); 2]>;

/// An observation's scalar attributes by name, in name order.
///
/// Observations carry none to a few attributes, and rules look them up for every observation
/// they see, so they are kept in one small sorted vector (the first two within the observation,
/// names shared with the vocabulary) rather than a tree of separately allocated nodes. The API
/// follows `BTreeMap`'s.
///
/// ```
/// use early_signal::{Attributes, Value};
/// let mut a = Attributes::new();
/// a.insert("relation".into(), Value::from("peer"));
/// a.insert("age_gap_years".into(), Value::Number(4.0));
/// assert_eq!(a.get("relation"), Some(&Value::from("peer")));
/// let names: Vec<&str> = a.keys().map(|k| k.as_str()).collect();
/// assert_eq!(names, ["age_gap_years", "relation"]);
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Attributes(Pairs);

/// Iterator over `(name, value)` pairs in name order.
pub type Iter<'a> = std::iter::Map<
    std::slice::Iter<'a, (Name, Value)>,
    fn(&'a (Name, Value)) -> (&'a Name, &'a Value),
>;

impl Attributes {
    /// The most attributes one observation may carry; readers refuse a record with more. Real
    /// records carry a handful, and the sorted vector would make a record with very many slow.
    pub const MAX: usize = 256;

    /// From pairs in any order, sorted once; `Err` names a name given twice.
    pub(crate) fn from_pairs(mut pairs: Pairs) -> Result<Self, Name> {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = pairs.windows(2).find(|w| matches!(w, [a, b] if a.0 == b.0))
            && let Some((n, _)) = w.first()
        {
            return Err(n.clone());
        }
        Ok(Attributes(pairs))
    }

    /// From pairs already sorted by name, each name once (as [`Self::from_pairs`] leaves them).
    pub(crate) fn from_sorted(pairs: Pairs) -> Self {
        debug_assert!(pairs.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)));
        Attributes(pairs)
    }

    /// No attributes.
    pub fn new() -> Self {
        Attributes(Pairs::new())
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        // Few attributes: a scan that compares lengths first beats a binary search.
        self.0
            .iter()
            .find(|(k, _)| same_text(k, name))
            .map(|(_, v)| v)
    }

    /// The value of `name`, found by the address of its stored copy where the record's name
    /// is that copy (readers hand out the vocabulary's), else by its text.
    pub(crate) fn get_shared(&self, name: &Name) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.same(name) || same_text(k, name))
            .map(|(_, v)| v)
    }

    /// Whether `name` is set.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name`, returning the value it replaces.
    pub fn insert(&mut self, name: Name, value: Value) -> Option<Value> {
        match self.position(&name) {
            Ok(i) => self.0.get_mut(i).map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.position(name).ok().map(|i| self.0.remove(i).1)
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(name, value)` pairs in name order.
    pub fn iter(&self) -> Iter<'_> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Name> {
        self.0.iter().map(|(k, _)| k)
    }

    /// Makes the names, and the string values, the vocabulary's stored copies where declared.
    pub(crate) fn share(&mut self, names: &Names) {
        for (k, v) in &mut self.0 {
            names.share(k);
            v.share(names);
        }
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a Name, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<K: Into<Name>> FromIterator<(K, Value)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut a = Attributes::new();
        a.extend(iter);
        a
    }
}

impl<K: Into<Name>> Extend<(K, Value)> for Attributes {
    /// As `BTreeMap`: a name given again replaces the earlier value. Sorted once, not per item.
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        let old = std::mem::take(&mut self.0);
        let mut all: Vec<(Name, Value)> = old
            .into_iter()
            .chain(iter.into_iter().map(|(k, v)| (k.into(), v)))
            .collect();
        // Stable, so among equal names the last given comes last and is the one kept.
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Pairs::with_capacity(all.len());
        for (k, v) in all {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        self.0 = out;
    }
}

impl<K: Into<Name>, const N: usize> From<[(K, Value); N]> for Attributes {
    fn from(pairs: [(K, Value); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl serde::Serialize for Attributes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// Whether `k` reads `name`: lengths first, which tells most names apart without their text.
fn same_text(k: &Name, name: &str) -> bool {
    k.len() == name.len() && k.as_str() == name
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `get_shared` answers as `get` does, whether the record holds the stored copy of the name
    /// (then the address decides, a shortcut that cannot change the answer) or a copy of its
    /// own (an observation built from strings: the text decides).
    #[test]
    fn a_shared_name_finds_what_its_text_finds() {
        let stored = Name::from("relation");
        let mut shared = Attributes::new();
        shared.insert(Name::from("age_gap_years"), Value::Number(3.0));
        shared.insert(stored.clone(), Value::from("peer"));
        let own: Attributes = [
            ("relation", Value::from("peer")),
            ("age_gap_years", Value::Number(3.0)),
        ]
        .into_iter()
        .collect();
        for a in [&shared, &own] {
            for name in ["relation", "age_gap_years", "relatiom", "gap", ""] {
                assert_eq!(a.get_shared(&Name::from(name)), a.get(name), "{name}");
            }
            assert_eq!(a.get_shared(&stored), Some(&Value::from("peer")));
        }
    }

    #[test]
    fn keeps_name_order_and_replaces() {
        let mut a = Attributes::new();
        assert_eq!(a.insert("b".into(), Value::Bool(true)), None);
        assert_eq!(a.insert("a".into(), Value::Number(1.0)), None);
        assert_eq!(a.insert("c".into(), Value::from("x")), None);
        assert_eq!(
            a.insert("a".into(), Value::Number(2.0)),
            Some(Value::Number(1.0))
        );
        let keys: Vec<&str> = a.keys().map(Name::as_str).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(a.get("a"), Some(&Value::Number(2.0)));
        assert_eq!(a.remove("b"), Some(Value::Bool(true)));
        assert_eq!(a.remove("b"), None);
        assert_eq!(a.len(), 2);
        assert!(!a.contains_key("b"));
        assert_eq!(format!("{a:?}"), r#"{"a": Number(2.0), "c": String("x")}"#);
    }
}
