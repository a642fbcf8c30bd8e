//! YAML in: the only module that touches the YAML crate (`serde-saphyr`).
//!
//! Fixed-shape documents (rule files, vocabularies) are deserialised into the typed `raw` structs,
//! with unknown fields refused and a line and column on every field a later check may complain
//! about. Free-form parts (predicates, timeline records) become located [`Node`] trees.

pub(crate) mod compile;
mod lint;
pub(crate) mod predicate;
pub(crate) mod raw;
mod vocab;

use crate::limits::Limits;
use crate::node::{Node, NodeKind, Pos};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, Options, Spanned};
use std::fmt;

/// The parser's budgets for one YAML text (alias bombs, deep nesting, huge inputs), set
/// explicitly rather than left to the crate's defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct YamlBudget {
    pub depth: usize,
    pub aliases: usize,
    pub events: usize,
}

impl YamlBudget {
    /// For a rule or vocabulary file of `bytes`.
    pub(crate) fn rules(limits: &Limits, bytes: usize) -> Self {
        YamlBudget {
            depth: limits.max_yaml_depth,
            aliases: limits.max_yaml_aliases,
            events: limits
                .max_yaml_events
                .min(bytes.saturating_mul(2).saturating_add(64)),
        }
    }

    /// For a YAML timeline of `bytes`: without aliases a text cannot hold more events than
    /// bytes, so aliases may not expand it beyond about twice its own size.
    pub(crate) fn timeline(limits: &Limits, bytes: usize) -> Self {
        YamlBudget {
            depth: limits.max_yaml_depth,
            aliases: limits.max_yaml_aliases,
            events: limits
                .max_yaml_events
                .min(bytes.saturating_mul(2).saturating_add(64)),
        }
    }
}

/// The options applied to every YAML text.
pub(crate) fn options(b: YamlBudget) -> Options {
    let mut budget = Budget::default();
    budget.max_depth = b.depth;
    budget.max_aliases = b.aliases;
    budget.max_events = b.events;
    budget.max_anchors = 10_000;
    budget.max_documents = 1_000_000;
    budget.max_nodes = b.events;
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

/// Options for a YAML timeline document of `len` bytes: as for rules, but a non-finite number
/// (`.inf`, `.nan`) is read as such, so that only the record holding it is refused (by the
/// timeline's checks) and the rest of the document is kept.
fn timeline_options(limits: &Limits, len: usize) -> Options {
    let mut o = options(YamlBudget::timeline(limits, len));
    o.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
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
        if let Some(m) = budget_message(&message).or_else(|| plain_words(&message)) {
            message = m;
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

/// Plain words for parser messages that speak of Rust types or library functions.
fn plain_words(message: &str) -> Option<String> {
    let m = |s: &str| Some(s.to_owned());
    if message.starts_with("invalid i64")
        || message.starts_with("invalid u32")
        || message.starts_with("invalid u64")
    {
        return m("expected a whole number here (no quotes, fractions or units), within range");
    }
    if message.starts_with("externally tagged enum expected") {
        return m(
            "expected a mapping holding one pattern (`match:`, `count:`, `sequence:`, `absence:` or `signals:`), found a list or a single value",
        );
    }
    if message.starts_with("expected mapping start") {
        return m("expected a mapping (`key: value` lines) here, found a list or a single value");
    }
    if message.starts_with("expected sequence start") {
        return m(
            "expected a list (`- item` lines, or `[a, b]`) here, found a mapping or a single value",
        );
    }
    if message.starts_with("multiple YAML documents detected") {
        return m(
            "a rule file holds one YAML document, but a `---` line starts a second one; put every rule in the one `rules:` list, or use separate files",
        );
    }
    if message.starts_with("expected end of mapping after enum variant value") {
        return m(
            "`when` holds exactly one pattern, but more follows it: a second pattern, or fields of the pattern that are not indented under it",
        );
    }
    if message.starts_with("unknown variant `~`") {
        return m(
            "`when` is empty; give one pattern: `match`, `count`, `sequence`, `absence` or `signals`",
        );
    }
    if message.contains("found a tab") {
        return m("a tab character where YAML expects spaces: indent with spaces, never tabs");
    }
    if let Some(rest) = message.strip_prefix("non-finite float ") {
        let value = rest.split(" rejected").next().unwrap_or(rest);
        return Some(format!(
            "{value} is not a finite number; numbers must be finite"
        ));
    }
    if message.contains("tagged scalar") {
        return m("YAML tags such as `!!timestamp` or `!custom` are not supported; remove the tag");
    }
    None
}

/// Plain words for the parser's budget errors (which name internal counters).
fn budget_message(message: &str) -> Option<String> {
    let nested = "the YAML is nested more deeply than allowed (`max_yaml_depth`): mappings and lists inside each other this deep are not a rule file or a timeline";
    if message.contains("recursion limit") {
        return Some(nested.to_owned());
    }
    let breach = message.split("budget breached:").nth(1)?;
    let what = breach.split_whitespace().next().unwrap_or("");
    Some(match what {
        "Events" | "Nodes" => "the YAML expands to more values than allowed (`max_yaml_events`): each alias (`*name`) repeats what its anchor (`&name`) holds, and aliases of aliases multiply (an \"alias bomb\")".to_owned(),
        "Aliases" => "the YAML uses more aliases (`*name`) than allowed (`max_yaml_aliases`)".to_owned(),
        "Anchors" => "the YAML defines more anchors (`&name`) than allowed".to_owned(),
        "Depth" => nested.to_owned(),
        "Documents" => "the text holds more YAML documents (`---`) than allowed".to_owned(),
        _ => "the YAML's anchors and aliases (`&name`, `*name`) hold more than allowed; write the values out instead".to_owned(),
    })
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
///
/// Documents are split at `---` lines and parsed one by one, so a syntax error loses only its own
/// document: it is returned in place, with positions in the whole text, and the others are read.
pub(crate) fn parse_documents(text: &str, limits: &Limits) -> Vec<Result<Node, YamlError>> {
    let text = strip_bom(text);
    let mut out = Vec::new();
    for (first_line, chunk) in split_documents(text) {
        let shifted = |mut pos: Pos| {
            if pos.line > 0 {
                pos.line = pos.line.saturating_add(first_line);
            }
            pos
        };
        match serde_saphyr::from_multiple_with_options::<Option<Spanned<NodeKind>>>(
            chunk,
            // Each document gets a budget from its own size, so many small bombs in one big file
            // cannot each spend the whole file's budget.
            timeline_options(limits, chunk.len()),
        ) {
            Ok(docs) => {
                for s in docs.into_iter().flatten() {
                    let mut node = Node::new(s.value.clone(), pos_of(&s));
                    numbers_as_written(&mut node, chunk);
                    shift(&mut node, first_line);
                    if node.kind != NodeKind::Null {
                        out.push(Ok(node));
                    }
                }
            }
            Err(e) => {
                let e = YamlError::from_saphyr(&e);
                out.push(Err(YamlError {
                    pos: shifted(e.pos),
                    message: e.message,
                }));
            }
        }
    }
    out
}

/// Splits at lines that start a new document (`---` alone or followed by a space); returns each
/// chunk with the number of lines before it.
fn split_documents(text: &str) -> Vec<(u32, &str)> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut start_line = 0u32;
    let mut line_no = 0u32;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_marker = bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t");
        if is_marker && offset > start {
            chunks.push((start_line, &text[start..offset]));
            start = offset;
            start_line = line_no;
        }
        offset += line.len();
        line_no = line_no.saturating_add(1);
    }
    if offset > start || chunks.is_empty() {
        chunks.push((start_line, &text[start..]));
    }
    chunks
}

/// Gives every number the text it was written with (`1.50`, not `1.5`): a number used as an id
/// is taken as written (design §8).
fn numbers_as_written(node: &mut Node, source: &str) {
    match &mut node.kind {
        NodeKind::Number(_, text) => {
            if let Some(raw) = node
                .bytes
                .and_then(|(start, len)| source.get(start..start.saturating_add(len)))
            {
                let raw = raw.trim();
                if !raw.is_empty() && !raw.contains(['\n', '#', ',', ']', '}']) {
                    *text = raw.trim_matches(['\'', '"']).to_owned();
                }
            }
        }
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| numbers_as_written(n, source)),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            numbers_as_written(k, source);
            numbers_as_written(v, source);
        }),
        _ => {}
    }
}

fn shift(node: &mut Node, lines: u32) {
    if lines == 0 {
        return;
    }
    node.pos.line = node.pos.line.saturating_add(lines);
    match &mut node.kind {
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| shift(n, lines)),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, lines);
            shift(v, lines);
        }),
        _ => {}
    }
}

/// Parses one rule file (a mapping with `rules:` and/or `vocabulary:`).
pub(crate) fn parse_rule_file(text: &str, limits: &Limits) -> Result<raw::RawFile, YamlError> {
    let text = strip_bom(text);
    if text.trim().is_empty() {
        return Ok(raw::RawFile::default());
    }
    serde_saphyr::from_str_with_options(text, options(YamlBudget::rules(limits, text.len())))
        .map_err(|e| YamlError::from_saphyr(&e))
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
        let span = s.referenced.span();
        let bytes = match (span.byte_offset(), span.byte_len()) {
            (Some(o), Some(l)) => usize::try_from(o).ok().zip(usize::try_from(l).ok()),
            _ => None,
        };
        Ok(Node {
            kind: s.value,
            pos,
            bytes,
            json: false,
        })
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
        // Non-finite numbers reach here only from timelines (rule files refuse them in the
        // parser); the record holding one is refused by the timeline's checks.
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
        let docs: Vec<Node> = parse_documents(
            "a: yes\nb: true\nc: 007\nd: on\ne: 10\n",
            &Limits::default(),
        )
        .into_iter()
        .map(Result::unwrap)
        .collect();
        let map = docs[0].as_map().unwrap();
        assert_eq!(map[0].1.kind, NodeKind::Str("yes".into()));
        assert_eq!(map[1].1.kind, NodeKind::Bool(true));
        assert_eq!(map[2].1.as_text(), Some("007"));
        assert_eq!(map[3].1.kind, NodeKind::Str("on".into()));
        assert_eq!(map[4].1.as_text(), Some("10"));
        let docs = parse_documents("id: 1.50\nn: [2.0, 3]\n", &Limits::default());
        let nums = docs[0].as_ref().unwrap().as_map().unwrap().to_vec();
        assert_eq!(nums[0].1.as_text(), Some("1.50"));
        assert_eq!(nums[0].1.kind, NodeKind::Number(1.5, "1.50".into()));
        let NodeKind::Seq(items) = &nums[1].1.kind else {
            panic!()
        };
        assert_eq!(items[0].as_text(), Some("2.0"));
        assert_eq!(items[1].as_text(), Some("3"));
        assert_eq!(map[4].1.pos, Pos { line: 5, column: 4 });
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_documents("a: 1\na: 2\n", &Limits::default())
            .remove(0)
            .unwrap_err();
        assert_eq!(err.pos.line, 2);
        assert!(err.message.contains("duplicate"), "{}", err.message);
    }

    #[test]
    fn several_documents() {
        let docs = parse_documents("a: 1\n---\nb: 2\n---\n", &Limits::default());
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].as_ref().unwrap().pos.line, 3);
    }

    #[test]
    fn a_syntax_error_loses_only_its_document() {
        let docs = parse_documents("a: 1\n---\nb: [2\n---\nc:\n  d: 3\n", &Limits::default());
        assert_eq!(docs.len(), 3);
        assert!(docs[0].is_ok());
        assert_eq!(docs[1].as_ref().unwrap_err().pos.line, 3);
        let c = docs[2].as_ref().unwrap();
        assert_eq!(c.pos.line, 5);
        assert_eq!(
            c.as_map().unwrap()[0].1.as_map().unwrap()[0].1.pos,
            Pos { line: 6, column: 6 }
        );
    }
}
