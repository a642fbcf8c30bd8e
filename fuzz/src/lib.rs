//! Shared helpers of the fuzz targets.

use early_signal::{Engine, RuleSet, Timestamp};
use std::sync::OnceLock;

/// The default vocabulary, as `RuleSet::load("rules/")` reads it.
pub const VOCABULARY: &str = include_str!("../../rules/vocabulary.yaml");

/// The default rule files (not the vocabulary), in load order.
pub const RULE_FILES: &[(&str, &str)] = &[
    ("coercion.yaml", include_str!("../../rules/coercion.yaml")),
    ("combination.yaml", include_str!("../../rules/combination.yaml")),
    ("contact.yaml", include_str!("../../rules/contact.yaml")),
    ("harm.yaml", include_str!("../../rules/harm.yaml")),
    ("missing.yaml", include_str!("../../rules/missing.yaml")),
    ("money.yaml", include_str!("../../rules/money.yaml")),
    ("whereabouts.yaml", include_str!("../../rules/whereabouts.yaml")),
];

/// A small example timeline that flags under the default pack.
pub const EXAMPLE_TIMELINE: &str = include_str!("../../examples/timelines/recruitment-window.yaml");

/// The builtin engine, built once per process.
pub fn builtin_engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(RuleSet::builtin()))
}

/// Parses an RFC 3339 timestamp known to be valid.
pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

/// The `as_of` times the byte-level targets evaluate at.
pub fn as_ofs() -> [Timestamp; 3] {
    [
        ts("2026-03-10T00:00:00+01:00"),
        ts("2026-12-31T23:59:59.999999999-12:00"),
        ts("2100-01-01T00:00:00Z"),
    ]
}
pub mod structured;
