//! A small located value tree: what a YAML or JSON record becomes before it is checked.
//!
//! Records (observations, subjects, predicates) are turned into typed values by hand from this tree
//! so that one bad record is rejected on its own, with its position, while the rest of the file is
//! still read. Everything with a fixed shape (rule files, vocabularies) is deserialised straight
//! into typed structs instead.

use std::fmt;

/// A line and column, 1-based. Line 0 means "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One value with the position it was written at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
    /// Byte range of a scalar in its source text, when the parser knows it.
    pub bytes: Option<(usize, usize)>,
    /// Read from JSON rather than YAML: messages then use JSON's words and notation.
    pub json: bool,
}

/// The shape of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Null,
    Bool(bool),
    /// A number, with its text as written (used where an id was written as a number).
    Number(f64, String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn new(kind: NodeKind, pos: Pos) -> Self {
        Node {
            kind,
            pos,
            bytes: None,
            json: false,
        }
    }

    /// What the value is, for error messages: "a list", "a number", ... (in JSON's words for a
    /// value read from JSON: "an array", "an object").
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Number(..) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) if self.json => "an array",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) if self.json => "an object",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// What a mapping is called where this value was read: "a mapping", or "an object" in JSON.
    pub fn mapping(&self) -> &'static str {
        if self.json { "an object" } else { "a mapping" }
    }

    /// What a list is called where this value was read: "a list", or "an array" in JSON.
    pub fn list(&self) -> &'static str {
        if self.json { "an array" } else { "a list" }
    }

    /// `name: value` as this value's notation writes a field holding the string `value`:
    /// `at: 2026-03-02T21:14:00+01:00` in YAML, `"at": "2026-03-02T21:14:00+01:00"` in JSON.
    pub fn field(&self, name: &str, value: &str) -> String {
        if self.json {
            format!("\"{name}\": \"{value}\"")
        } else {
            format!("{name}: {value}")
        }
    }

    /// The text of a scalar key or id: strings as they are, numbers as written.
    pub fn as_text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            NodeKind::Number(_, text) => Some(text),
            _ => None,
        }
    }

    /// The entries of a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }
}
