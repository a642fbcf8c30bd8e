//! The typed mirror of rule files and vocabularies, as written, with positions.

use crate::node::Node;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

pub(crate) type S<T> = Spanned<T>;

/// A mapping whose keys keep their positions and order.
#[derive(Debug)]
pub(crate) struct OrderedMap<V>(pub Vec<(S<String>, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<S<String>>()? {
                    out.push((k, map.next_value()?));
                }
                Ok(OrderedMap(out))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
        }
        d.deserialize_map(V2(std::marker::PhantomData))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    #[serde(default)]
    pub vocabulary: Option<S<RawVocabulary>>,
    #[serde(default)]
    pub rules: Option<Vec<S<RawRule>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVocabulary {
    #[serde(default)]
    pub kinds: OrderedMap<S<RawKind>>,
    #[serde(default)]
    pub channels: Vec<S<String>>,
    #[serde(default)]
    pub sources: Vec<S<String>>,
    #[serde(default)]
    pub facts: OrderedMap<S<RawType>>,
    #[serde(default)]
    pub protected: Vec<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKind {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub attributes: OrderedMap<S<RawType>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawType {
    #[serde(default, rename = "type")]
    pub ty: Option<S<String>>,
    #[serde(default)]
    pub values: Option<Vec<S<String>>>,
    /// Documentation for people; not used by the engine.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub id: S<String>,
    pub version: S<u32>,
    pub title: S<String>,
    pub class: S<String>,
    pub severity: S<String>,
    #[serde(default)]
    pub rationale: Option<S<String>>,
    #[serde(default)]
    pub references: Vec<S<String>>,
    pub when: S<RawPattern>,
    #[serde(default)]
    pub unless: Vec<S<RawUnless>>,
    #[serde(default)]
    pub cooldown: Option<S<String>>,
    #[serde(default)]
    pub message: Option<S<String>>,
    #[serde(default)]
    pub window: Option<S<RawWindow>>,
    #[serde(default)]
    pub tests: Vec<S<RawTest>>,
}

/// `when:` holds exactly one pattern (externally tagged, so positions survive).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum RawPattern {
    Match(Node),
    Count(RawCount),
    Sequence(RawSequence),
    Absence(RawAbsence),
    Signals(RawSignals),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCount {
    #[serde(rename = "match")]
    pub pred: Node,
    pub within: S<String>,
    pub at_least: S<i64>,
    #[serde(default)]
    pub distinct: Option<S<String>>,
    #[serde(default)]
    pub by: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSequence {
    pub within: S<String>,
    #[serde(default)]
    pub by: Option<S<String>>,
    pub steps: S<Vec<Node>>,
    #[serde(default)]
    pub until: Option<Node>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAbsence {
    pub after: Node,
    pub expect: Node,
    pub within: S<String>,
    #[serde(default)]
    pub by: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSignals {
    pub within: S<String>,
    pub at_least: S<i64>,
    pub of: S<OrderedMap<Node>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUnless {
    #[serde(default)]
    pub reason: Option<S<String>>,
    #[serde(rename = "match")]
    pub pred: Node,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWindow {
    #[serde(default)]
    pub urgent: Option<S<String>>,
    #[serde(default)]
    pub closes: Option<S<String>>,
    #[serde(default)]
    pub opens: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTest {
    pub name: S<String>,
    #[serde(default)]
    pub as_of: Option<S<String>>,
    pub timeline: Node,
    pub expect: Vec<S<RawExpect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    pub rule: S<String>,
    pub evidence: Vec<S<String>>,
    #[serde(default)]
    pub raised_at: Option<S<String>>,
    #[serde(default)]
    pub severity: Option<S<String>>,
    #[serde(default)]
    pub stage: Option<S<String>>,
}
