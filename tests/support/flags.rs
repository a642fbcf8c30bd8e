//! Helpers shared by the semantic tests (`conformance.rs`, `edges.rs`): timestamps, YAML
//! indentation, and flags reduced to (rule, raised_at in +01:00, evidence ids).
#![allow(dead_code)]

use chrono::{FixedOffset, SecondsFormat};
use early_signal::{Report, Timestamp};

pub fn ts(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("bad timestamp `{text}`: {e}"))
}

/// A timestamp written in +01:00, so expectations read alike whatever offset the input used.
pub fn cet(t: &Timestamp) -> String {
    t.with_timezone(&FixedOffset::east_opt(3600).unwrap())
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

pub fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

pub type Got = Vec<(String, String, Vec<String>)>;

/// The flags as (rule, raised_at in +01:00, evidence ids in order), in output order.
pub fn summarize(r: &Report) -> Got {
    r.flags
        .iter()
        .map(|f| {
            (
                f.rule.to_string(),
                cet(&f.raised_at),
                f.evidence
                    .iter()
                    .map(|e| e.observation.to_string())
                    .collect(),
            )
        })
        .collect()
}

/// Expected flags in the same form.
pub fn want(items: &[(&str, &str, &[&str])]) -> Got {
    items
        .iter()
        .map(|(r, t, ev)| {
            (
                r.to_string(),
                cet(&ts(t)),
                ev.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect()
}
