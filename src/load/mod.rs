//! YAML in: the only module that touches the YAML crate (`serde-saphyr`).
//!
//! Fixed-shape documents (rule files, vocabularies) are deserialised into the typed `raw` structs,
//! with unknown fields refused and a line and column on every field a later check may complain
//! about. Free-form parts (predicates, timeline records) become located [`Node`] trees.

pub(crate) mod compile;
pub(crate) mod raw;

use crate::node::{Node, NodeKind, Pos};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, Options, Spanned};
use std::fmt;

/// The resource limits applied to every YAML text (alias bombs, deep nesting, huge inputs).
pub(crate) fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = 128;
    budget.max_aliases = 1_000;
    budget.max_anchors = 10_000;
    budget.max_documents = 1_000_000;
    budget.max_nodes = 50_000_000;
    budget.max_total_scalar_bytes = 512 * 1024 * 1024;
    let mut o = Options::default();
    o.budget = Some(budget);
    // YAML 1.2: only `true`/`false` are booleans; `yes`, `on`, `no` stay strings.
    o.strict_booleans = true;
    // An id written `007` is the string "007", as written (design §8).
    o.leading_zero_numbers_as_strings = true;
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    o.with_snippet = false;
    o
}

/// A YAML error: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl YamlError {
    fn from_saphyr(e: &serde_saphyr::Error) -> Self {
        let pos = e
            .location()
            .map(|l| Pos {
                line: u32::try_from(l.line()).unwrap_or(u32::MAX),
                column: u32::try_from(l.column()).unwrap_or(u32::MAX),
            })
            .unwrap_or_default();
        let mut message = e.without_snippet().to_string();
        // The crate appends " at line N, column M"; we print positions ourselves.
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        if message.contains("DuplicateKeyPolicy") {
            if let Some(i) = message.find(", set DuplicateKeyPolicy") {
                message.truncate(i);
            }
            message.push_str("; each key may appear once in a mapping");
        }
        YamlError { pos, message }
    }
}

pub(crate) fn pos_of<T>(s: &Spanned<T>) -> Pos {
    Pos {
        line: u32::try_from(s.referenced.line()).unwrap_or(u32::MAX),
        column: u32::try_from(s.referenced.column()).unwrap_or(u32::MAX),
    }
}

/// Strips a leading byte-order mark, which some editors write.
fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses every YAML document of `text` into located nodes (empty documents are skipped).
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let docs: Vec<Option<Spanned<NodeKind>>> =
        serde_saphyr::from_multiple_with_options(strip_bom(text), options())
            .map_err(|e| YamlError::from_saphyr(&e))?;
    Ok(docs
        .into_iter()
        .flatten()
        .map(|s| Node::new(s.value.clone(), pos_of(&s)))
        .filter(|n| n.kind != NodeKind::Null)
        .collect())
}

/// Parses one rule file (a mapping with `rules:` and/or `vocabulary:`).
pub(crate) fn parse_rule_file(text: &str) -> Result<raw::RawFile, YamlError> {
    let text = strip_bom(text);
    if text.trim().is_empty() {
        return Ok(raw::RawFile::default());
    }
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| YamlError::from_saphyr(&e))
}

// --- Node deserialisation -------------------------------------------------------------------

impl<'de> Deserialize<'de> for NodeKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<NodeKind>::deserialize(d)?;
        let pos = pos_of(&s);
        Ok(Node::new(s.value, pos))
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<NodeKind, E> {
        Ok(NodeKind::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeKind, E> {
        Ok(NodeKind::Number(v as f64, v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeKind, E> {
        Ok(NodeKind::Number(v as f64, v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<NodeKind, E> {
        Ok(NodeKind::Number(v as f64, v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<NodeKind, E> {
        Ok(NodeKind::Number(v as f64, v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<NodeKind, E> {
        if !v.is_finite() {
            return Err(E::custom("numbers must be finite (no `.inf` or `.nan`)"));
        }
        Ok(NodeKind::Number(v, v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeKind, E> {
        Ok(NodeKind::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<NodeKind, E> {
        Ok(NodeKind::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<NodeKind, E> {
        Ok(NodeKind::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<NodeKind, E> {
        Ok(NodeKind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeKind, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeKind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeKind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(NodeKind::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_2_booleans_and_ids_as_written() {
        let docs = parse_documents("a: yes\nb: true\nc: 007\nd: on\ne: 10\n").unwrap();
        let map = docs[0].as_map().unwrap();
        assert_eq!(map[0].1.kind, NodeKind::Str("yes".into()));
        assert_eq!(map[1].1.kind, NodeKind::Bool(true));
        assert_eq!(map[2].1.as_text(), Some("007"));
        assert_eq!(map[3].1.kind, NodeKind::Str("on".into()));
        assert_eq!(map[4].1.as_text(), Some("10"));
        assert_eq!(map[4].1.pos, Pos { line: 5, column: 4 });
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.pos.line, 2);
        assert!(err.message.contains("duplicate"), "{}", err.message);
    }

    #[test]
    fn several_documents() {
        let docs = parse_documents("a: 1\n---\nb: 2\n---\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].pos.line, 3);
    }
}
