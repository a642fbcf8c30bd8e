//! What an evaluation returns: flags, pending deadlines, rejected records and warnings.

use crate::flag::{Flag, Key};
use crate::name::Name;
use crate::time::Timestamp;
use crate::timeline::Origin;
use serde::Serialize;

/// A record that was refused, and why. Nothing is dropped silently: every refused record is here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// File it was read from, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The subject, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The record's id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wrong and how to fix it.
    pub reason: String,
}

impl Rejection {
    pub(crate) fn at(
        reason: String,
        origin: Option<&Origin>,
        subject: Option<&str>,
        id: Option<&str>,
    ) -> Self {
        Rejection {
            file: origin.map(|o| o.file.to_string()),
            line: origin.map(|o| o.line),
            column: origin.map(|o| o.column).filter(|&c| c > 0),
            subject: subject.map(str::to_owned),
            id: id.map(str::to_owned),
            reason,
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(col)) => write!(f, "{file}:{line}:{col}: ")?,
            (Some(file), Some(line), None) => write!(f, "{file}:{line}: ")?,
            (Some(file), None, _) => write!(f, "{file}: ")?,
            _ => {}
        }
        write!(f, "rejected")?;
        if let Some(s) = &self.subject {
            write!(f, " (subject `{s}`")?;
            if let Some(id) = &self.id {
                write!(f, ", observation `{id}`")?;
            }
            write!(f, ")")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Something a user should know that did not stop the evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// What happened.
    pub message: String,
    /// File, when it concerns a record read from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Subject, when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl Warning {
    pub(crate) fn new(message: String) -> Self {
        Warning {
            message,
            file: None,
            line: None,
            subject: None,
        }
    }

    pub(crate) fn at(message: String, origin: Option<&Origin>, subject: Option<&str>) -> Self {
        Warning {
            message,
            file: origin.map(|o| o.file.to_string()),
            line: origin.map(|o| o.line),
            subject: subject.map(str::to_owned),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: ")?,
            (Some(file), None) => write!(f, "{file}: ")?,
            _ => {}
        }
        f.write_str(&self.message)
    }
}

/// An absence deadline that `as_of` has not reached yet: if nothing expected is recorded by then,
/// the rule will flag at `deadline`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pending {
    /// Rule id.
    pub rule: Name,
    /// Subject id.
    pub subject: Name,
    /// The `by` value, when the rule has one.
    pub key: Key,
    /// When the rule will flag unless the expected observation arrives.
    #[serde(serialize_with = "crate::flag::ser_ts")]
    pub deadline: Timestamp,
    /// Id of the `after` observation that started the wait.
    pub after: Name,
}

/// Counts that describe an evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Subjects evaluated.
    pub subjects: usize,
    /// Observations that counted at `as_of`.
    pub observations: usize,
    /// Observations ignored because they happened or were recorded after `as_of`.
    pub ignored_after_as_of: usize,
}

/// The result of [`Engine::evaluate`](crate::Engine::evaluate).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The evaluation time.
    #[serde(serialize_with = "crate::flag::ser_ts")]
    pub as_of: Timestamp,
    /// Digest of the rule set (`sha256:…`).
    pub ruleset: String,
    /// Flags, most urgent first (design §8 order).
    pub flags: Vec<Flag>,
    /// Absence deadlines not reached at `as_of`, by deadline.
    pub pending: Vec<Pending>,
    /// Records refused by the reader or by the rule set's vocabulary.
    pub rejected: Vec<Rejection>,
    /// Everything else worth knowing.
    pub warnings: Vec<Warning>,
    /// Counts.
    pub stats: Stats,
}

impl Report {
    /// An empty report to gather part of an evaluation into (see [`append`](Self::append)).
    pub(crate) fn part(as_of: Timestamp) -> Report {
        Report {
            as_of,
            ruleset: String::new(),
            flags: Vec::new(),
            pending: Vec::new(),
            rejected: Vec::new(),
            warnings: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// Appends what `part` found after what this report holds.
    pub(crate) fn append(&mut self, part: Report) {
        // Into an empty list, the part's list is taken whole: flags are large values.
        fn join<T>(to: &mut Vec<T>, from: Vec<T>) {
            if to.is_empty() {
                *to = from;
            } else {
                to.extend(from);
            }
        }
        join(&mut self.flags, part.flags);
        join(&mut self.pending, part.pending);
        join(&mut self.rejected, part.rejected);
        join(&mut self.warnings, part.warnings);
        self.stats.subjects += part.stats.subjects;
        self.stats.observations += part.stats.observations;
        self.stats.ignored_after_as_of += part.stats.ignored_after_as_of;
    }
}
