//! Conformance suite: small, hand-written cases straight from the normative design
//! (`rule-language.md`, sections 3–8). Each test has its own tiny rule set and timeline and
//! asserts the exact flags: rule, `raised_at` and evidence ids in order.

#[path = "support/flags.rs"]
mod flags_support;
use early_signal::{Engine, Report, RuleSet, Stage, Timeline, Value};
use flags_support::{Got, indent, summarize, ts, want};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A late evaluation time: every test observation has happened and been recorded by then.
const LATE: &str = "2026-06-01T00:00:00+01:00";

/// One rule with the required header fields; `body` holds `when:` and any other fields.
fn rule_sev(id: &str, severity: &str, body: &str) -> String {
    format!(
        "  - id: {id}\n    version: 1\n    title: test rule {id}\n    class: risk\n    severity: {severity}\n    rationale: conformance test\n{}",
        indent(body, 4)
    )
}

fn rule(id: &str, body: &str) -> String {
    rule_sev(id, "high", body)
}

fn rules(parts: &[String]) -> String {
    format!("rules:\n{}", parts.concat())
}

/// A rule set holding the single rule `r`.
fn one(body: &str) -> String {
    rules(&[rule("r", body)])
}

/// A timeline document for subject `s`; each entry of `obs` is one flow-mapping observation.
fn tl(obs: &[&str]) -> String {
    tl_with("subject: s", obs)
}

fn tl_with(head: &str, obs: &[&str]) -> String {
    let mut out = format!("{head}\nobservations:\n");
    for o in obs {
        out.push_str(&format!("  - {o}\n"));
    }
    out
}

fn load(rules_yaml: &str) -> RuleSet {
    RuleSet::from_yaml_str("t.yaml", rules_yaml)
        .unwrap_or_else(|e| panic!("rules do not load: {e}\n{rules_yaml}"))
}

fn report(rules_yaml: &str, timeline_yaml: &str, as_of: &str) -> Report {
    let rules = load(rules_yaml);
    let mut timeline = Timeline::new();
    timeline
        .read_yaml("tl.yaml", timeline_yaml)
        .expect("timeline is YAML");
    assert!(
        timeline.rejected().is_empty(),
        "rejected: {:?}\n{timeline_yaml}",
        timeline.rejected()
    );
    Engine::new(rules).evaluate(&timeline, ts(as_of))
}

/// The flags as (rule, raised_at in +01:00, evidence ids in order), in output order.
fn flags(rules_yaml: &str, timeline_yaml: &str, as_of: &str) -> Got {
    summarize(&report(rules_yaml, timeline_yaml, as_of))
}

fn key(field: &str, value: &str) -> early_signal::Key {
    [(field.to_owned(), Value::from(value))]
        .into_iter()
        .collect()
}

/// Ids of the observations a `match` rule with predicate `pred` flags. Each fragment gets `at`
/// one second after the previous one, so output order is input order.
fn matching(pred: &str, frags: &[&str]) -> Vec<String> {
    let obs: Vec<String> = frags
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{{ {f}, at: 2026-03-01T00:00:{i:02}+01:00 }}"))
        .collect();
    let obs: Vec<&str> = obs.iter().map(String::as_str).collect();
    let rep = report(&one(&format!("when: {{ match: {pred} }}")), &tl(&obs), LATE);
    rep.flags
        .iter()
        .map(|f| f.evidence[0].observation.to_string())
        .collect()
}

const COUNT_1D_2: &str = "when: { count: { match: { kind: x }, within: 1d, at_least: 2 } }";
const SEQ_1D: &str = "when: { sequence: { within: 1d, steps: [ { kind: a }, { kind: b } ] } }";
const ABSENCE_72H: &str =
    "when: { absence: { after: { kind: a }, expect: { kind: e }, within: 72h } }";
const SIGNALS_1D_2: &str =
    "when: { signals: { within: 1d, at_least: 2, of: { p: { kind: x }, q: { kind: y } } } }";

// ---------------------------------------------------------------------------------------------
// match
// ---------------------------------------------------------------------------------------------

#[test]
fn match_flags_every_matching_observation() {
    let got = flags(
        &one("when: { match: { kind: x } }"),
        &tl(&[
            "{ id: a, at: 2026-03-01T10:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-01T11:00:00+01:00, kind: y }",
            "{ id: c, at: 2026-03-01T12:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-01T10:00:00+01:00", &["a"]),
            ("r", "2026-03-01T12:00:00+01:00", &["c"]),
        ])
    );
}

#[test]
fn match_equal_timestamps_are_ordered_by_id_bytewise() {
    // o-10 < o-9 byte-wise, so o-10 is the first firing; the second (same instant) is dropped.
    let got = flags(
        &one("when: { match: { kind: x } }\ncooldown: 1d"),
        &tl(&[
            "{ id: o-9, at: 2026-03-01T10:00:00+01:00, kind: x }",
            "{ id: o-10, at: 2026-03-01T10:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[("r", "2026-03-01T10:00:00+01:00", &["o-10"])]));
}

// ---------------------------------------------------------------------------------------------
// count
// ---------------------------------------------------------------------------------------------

#[test]
fn count_window_edge_exactly_within_apart_counts() {
    let got = flags(
        &one(COUNT_1D_2),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-02T00:00:00+01:00", &["a", "b"])])
    );
}

#[test]
fn count_window_edge_same_instant_in_another_offset_counts() {
    let got = flags(
        &one(COUNT_1D_2),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-01T23:00:00Z, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-02T00:00:00+01:00", &["a", "b"])])
    );
}

#[test]
fn count_window_edge_one_second_more_does_not() {
    let got = flags(
        &one(COUNT_1D_2),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-02T00:00:01+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn count_design_example_fires_again_after_window_drops() {
    // at_least 2 over 7d: a day 0, b day 1 fires; c at day 7½ fires again (a has left);
    // d at day 7¾ does not (b and c were already 2).
    let got = flags(
        &one("when: { count: { match: { kind: x }, within: 7d, at_least: 2 } }"),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x }",
            "{ id: c, at: 2026-03-08T12:00:00+01:00, kind: x }",
            "{ id: d, at: 2026-03-08T18:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-02T00:00:00+01:00", &["a", "b"]),
            ("r", "2026-03-08T12:00:00+01:00", &["b", "c"]),
        ])
    );
}

#[test]
fn count_fires_only_when_threshold_is_crossed() {
    let got = flags(
        &one(COUNT_1D_2),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-01T01:00:00+01:00, kind: x }",
            "{ id: c, at: 2026-03-01T02:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-01T01:00:00+01:00", &["a", "b"])])
    );
}

#[test]
fn count_equal_timestamps_ordered_by_id_bytewise() {
    // All at one instant: order is o-1 < o-10 < o-9; the threshold is crossed at o-10.
    let got = flags(
        &one(COUNT_1D_2),
        &tl(&[
            "{ id: o-9, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: o-10, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: o-1, at: 2026-03-01T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-01T00:00:00+01:00", &["o-1", "o-10"])])
    );
}

#[test]
fn count_distinct_ignores_missing_field_and_keeps_earliest_of_each_value() {
    let got = flags(
        &one(
            "when: { count: { match: { kind: x }, within: 7d, at_least: 2, distinct: counterpart } }",
        ),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x, counterpart: c-1 }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x }",
            "{ id: c, at: 2026-03-03T00:00:00+01:00, kind: x, counterpart: c-1 }",
            "{ id: d, at: 2026-03-04T00:00:00+01:00, kind: x, counterpart: c-2 }",
            "{ id: e, at: 2026-03-05T00:00:00+01:00, kind: x, counterpart: c-1 }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-04T00:00:00+01:00", &["a", "d"])])
    );
}

#[test]
fn count_distinct_observations_without_the_field_never_reach_the_threshold() {
    let got = flags(
        &one(
            "when: { count: { match: { kind: x }, within: 7d, at_least: 2, distinct: counterpart } }",
        ),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x, counterpart: c-1 }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x }",
            "{ id: c, at: 2026-03-03T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn count_by_counts_per_value_and_ignores_observations_without_it() {
    let rep = report(
        &one("when: { count: { match: { kind: x }, within: 7d, at_least: 2, by: counterpart } }"),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x, counterpart: c-1 }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x, counterpart: c-2 }",
            "{ id: n1, at: 2026-03-02T12:00:00+01:00, kind: x }",
            "{ id: n2, at: 2026-03-03T00:00:00+01:00, kind: x }",
            "{ id: c, at: 2026-03-04T00:00:00+01:00, kind: x, counterpart: c-1 }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-04T00:00:00+01:00", &["a", "c"])])
    );
    assert_eq!(rep.flags[0].key, key("counterpart", "c-1"));
}

#[test]
fn count_by_dotted_attribute_key_is_written_as_the_field() {
    let rep = report(
        &one(
            "when: { count: { match: { kind: x }, within: 7d, at_least: 2, by: attributes.plate } }",
        ),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x, attributes: { plate: P1 } }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x, attributes: { plate: P2 } }",
            "{ id: c, at: 2026-03-03T00:00:00+01:00, kind: x, attributes: { plate: P1 } }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-03T00:00:00+01:00", &["a", "c"])])
    );
    assert_eq!(rep.flags[0].key, key("attributes.plate", "P1"));
}

// ---------------------------------------------------------------------------------------------
// sequence
// ---------------------------------------------------------------------------------------------

#[test]
fn sequence_window_edge_exactly_within_apart_counts() {
    let rep = report(
        &one(SEQ_1D),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-02T00:00:00+01:00", &["a", "b"])])
    );
    let steps: Vec<_> = rep.flags[0].evidence.iter().map(|e| e.step).collect();
    assert_eq!(steps, vec![Some(1), Some(2)]);
}

#[test]
fn sequence_window_edge_one_second_more_does_not() {
    let got = flags(
        &one(SEQ_1D),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: b, at: 2026-03-02T00:00:01+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn sequence_equal_timestamps_need_strict_total_order() {
    // Same instant: step 1 `o-10` comes before step 2 `o-9` (byte-wise) -> a chain.
    let got = flags(
        &one(SEQ_1D),
        &tl(&[
            "{ id: o-10, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: o-9, at: 2026-03-01T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-01T00:00:00+01:00", &["o-10", "o-9"])])
    );
    // The other way round: step 2 comes first in the total order -> no chain.
    let got = flags(
        &one(SEQ_1D),
        &tl(&[
            "{ id: o-9, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: o-10, at: 2026-03-01T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn sequence_by_needs_one_value_on_every_step() {
    let rep = report(
        &one(
            "when: { sequence: { within: 7d, by: counterpart, steps: [ { kind: contact }, { kind: meeting } ] } }",
        ),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: contact, counterpart: c-1 }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: contact, counterpart: c-2 }",
            "{ id: m0, at: 2026-03-03T00:00:00+01:00, kind: meeting }",
            "{ id: m, at: 2026-03-04T00:00:00+01:00, kind: meeting, counterpart: c-2 }",
            "{ id: n1, at: 2026-03-05T00:00:00+01:00, kind: contact }",
            "{ id: n2, at: 2026-03-06T00:00:00+01:00, kind: meeting }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-04T00:00:00+01:00", &["b", "m"])])
    );
    assert_eq!(rep.flags[0].key, key("counterpart", "c-2"));
}

const SEQ_UNTIL: &str =
    "when: { sequence: { within: 7d, steps: [ { kind: a }, { kind: b } ], until: { kind: u } } }";

#[test]
fn sequence_until_strictly_between_cancels() {
    let got = flags(
        &one(SEQ_UNTIL),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: u, at: 2026-03-02T00:00:00+01:00, kind: u }",
            "{ id: b, at: 2026-03-03T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn sequence_until_at_same_instant_but_after_first_step_cancels() {
    let got = flags(
        &one(SEQ_UNTIL),
        &tl(&[
            "{ id: o-1, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: o-2, at: 2026-03-01T00:00:00+01:00, kind: u }",
            "{ id: o-3, at: 2026-03-03T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn sequence_until_before_first_step_in_total_order_does_not_cancel() {
    // Same instant as the first step, but earlier in the total order: not strictly between.
    let got = flags(
        &one(SEQ_UNTIL),
        &tl(&[
            "{ id: o-2, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: o-1, at: 2026-03-01T00:00:00+01:00, kind: u }",
            "{ id: o-3, at: 2026-03-03T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-03T00:00:00+01:00", &["o-2", "o-3"])])
    );
}

#[test]
fn sequence_until_that_is_the_first_step_itself_does_not_cancel() {
    let got = flags(
        &one(
            "when: { sequence: { within: 7d, steps: [ { kind: a }, { kind: b } ], until: { channel: in_person } } }",
        ),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a, channel: in_person }",
            "{ id: b, at: 2026-03-03T00:00:00+01:00, kind: b, channel: in_person }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-03T00:00:00+01:00", &["a", "b"])])
    );
}

#[test]
fn sequence_until_cancels_only_chains_it_lies_inside() {
    // a1 -> b is cancelled by u, a2 -> b is not: evidence starts at a2.
    let got = flags(
        &one(SEQ_UNTIL),
        &tl(&[
            "{ id: a1, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: u, at: 2026-03-02T00:00:00+01:00, kind: u }",
            "{ id: a2, at: 2026-03-03T00:00:00+01:00, kind: a }",
            "{ id: b, at: 2026-03-04T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-04T00:00:00+01:00", &["a2", "b"])])
    );
}

#[test]
fn sequence_until_ignores_by() {
    let got = flags(
        &one(
            "when: { sequence: { within: 7d, by: counterpart, steps: [ { kind: a }, { kind: b } ], until: { kind: u } } }",
        ),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a, counterpart: c-1 }",
            "{ id: u, at: 2026-03-02T00:00:00+01:00, kind: u, counterpart: c-2 }",
            "{ id: b, at: 2026-03-03T00:00:00+01:00, kind: b, counterpart: c-1 }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn sequence_first_step_is_used_up_once() {
    let got = flags(
        &one("when: { sequence: { within: 7d, steps: [ { kind: a }, { kind: b } ] } }"),
        &tl(&[
            "{ id: a1, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: b1, at: 2026-03-02T00:00:00+01:00, kind: b }",
            "{ id: b2, at: 2026-03-03T00:00:00+01:00, kind: b }",
            "{ id: a2, at: 2026-03-04T00:00:00+01:00, kind: a }",
            "{ id: b3, at: 2026-03-05T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-02T00:00:00+01:00", &["a1", "b1"]),
            ("r", "2026-03-05T00:00:00+01:00", &["a2", "b3"]),
        ])
    );
}

#[test]
fn sequence_uses_the_earliest_unused_first_step() {
    let got = flags(
        &one("when: { sequence: { within: 7d, steps: [ { kind: a }, { kind: b } ] } }"),
        &tl(&[
            "{ id: a1, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: a2, at: 2026-03-02T00:00:00+01:00, kind: a }",
            "{ id: b1, at: 2026-03-03T00:00:00+01:00, kind: b }",
            "{ id: b2, at: 2026-03-04T00:00:00+01:00, kind: b }",
            "{ id: b3, at: 2026-03-05T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-03T00:00:00+01:00", &["a1", "b1"]),
            ("r", "2026-03-04T00:00:00+01:00", &["a2", "b2"]),
        ])
    );
}

#[test]
fn sequence_only_the_first_step_is_used_up() {
    // Steps that match the same kind: x2 was the *last* step of the first firing, so it can
    // still be the first step of the next one.
    let got = flags(
        &one("when: { sequence: { within: 7d, steps: [ { kind: x }, { kind: x } ] } }"),
        &tl(&[
            "{ id: x1, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: x2, at: 2026-03-02T00:00:00+01:00, kind: x }",
            "{ id: x3, at: 2026-03-03T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-02T00:00:00+01:00", &["x1", "x2"]),
            ("r", "2026-03-03T00:00:00+01:00", &["x2", "x3"]),
        ])
    );
}

#[test]
fn sequence_evidence_is_greedy_earliest_first() {
    let rep = report(
        &one(
            "when: { sequence: { within: 7d, steps: [ { kind: a }, { kind: b }, { kind: c } ] } }",
        ),
        &tl(&[
            "{ id: a1, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: a2, at: 2026-03-01T12:00:00+01:00, kind: a }",
            "{ id: b1, at: 2026-03-02T00:00:00+01:00, kind: b }",
            "{ id: b2, at: 2026-03-03T00:00:00+01:00, kind: b }",
            "{ id: c1, at: 2026-03-04T00:00:00+01:00, kind: c }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-04T00:00:00+01:00", &["a1", "b1", "c1"])])
    );
    let steps: Vec<_> = rep.flags[0].evidence.iter().map(|e| e.step).collect();
    assert_eq!(steps, vec![Some(1), Some(2), Some(3)]);
}

#[test]
fn sequence_evidence_starts_at_earliest_first_step_inside_the_window() {
    let got = flags(
        &one(
            "when: { sequence: { within: 3d, steps: [ { kind: a }, { kind: b }, { kind: c } ] } }",
        ),
        &tl(&[
            "{ id: a1, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: a2, at: 2026-03-02T00:00:00+01:00, kind: a }",
            "{ id: b1, at: 2026-03-02T06:00:00+01:00, kind: b }",
            "{ id: c1, at: 2026-03-04T12:00:00+01:00, kind: c }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-04T12:00:00+01:00", &["a2", "b1", "c1"])])
    );
}

// ---------------------------------------------------------------------------------------------
// absence
// ---------------------------------------------------------------------------------------------

#[test]
fn absence_before_the_deadline_is_pending_not_flagged() {
    let rep = report(
        &one(ABSENCE_72H),
        &tl(&["{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }"]),
        "2026-03-03T23:59:59+01:00",
    );
    assert_eq!(summarize(&rep), want(&[]));
    assert_eq!(rep.pending.len(), 1, "{:?}", rep.pending);
    let p = &rep.pending[0];
    assert_eq!(
        (p.rule.as_str(), p.subject.as_str(), p.after.as_str()),
        ("r", "s", "a")
    );
    assert_eq!(p.deadline, ts("2026-03-04T00:00:00+01:00"));
    assert!(p.key.is_empty());
}

#[test]
fn absence_exactly_at_the_deadline_is_flagged() {
    let rep = report(
        &one(ABSENCE_72H),
        &tl(&["{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }"]),
        "2026-03-04T00:00:00+01:00",
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-04T00:00:00+01:00", &["a"])])
    );
    assert!(rep.pending.is_empty(), "{:?}", rep.pending);
    assert_eq!(rep.flags[0].evidence[0].role, Some("after"));
}

#[test]
fn absence_expect_exactly_at_the_deadline_satisfies() {
    let rep = report(
        &one(ABSENCE_72H),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: e, at: 2026-03-04T00:00:00+01:00, kind: e }",
        ]),
        LATE,
    );
    assert_eq!(summarize(&rep), want(&[]));
    assert!(rep.pending.is_empty());
}

#[test]
fn absence_expect_one_second_late_does_not_satisfy() {
    let got = flags(
        &one(ABSENCE_72H),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: e, at: 2026-03-04T00:00:01+01:00, kind: e }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[("r", "2026-03-04T00:00:00+01:00", &["a"])]));
}

#[test]
fn absence_expect_must_come_after_in_total_order() {
    // Same instant: `o-10` < `o-9`. An expect before the `after` observation does not count.
    let got = flags(
        &one(ABSENCE_72H),
        &tl(&[
            "{ id: o-9, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: o-10, at: 2026-03-01T00:00:00+01:00, kind: e }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[("r", "2026-03-04T00:00:00+01:00", &["o-9"])]));
    let got = flags(
        &one(ABSENCE_72H),
        &tl(&[
            "{ id: o-10, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: o-9, at: 2026-03-01T00:00:00+01:00, kind: e }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn absence_expect_recorded_after_as_of_does_not_count() {
    let rep = report(
        &one(ABSENCE_72H),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: e, at: 2026-03-02T00:00:00+01:00, recorded_at: 2026-03-06T00:00:00+01:00, kind: e }",
        ]),
        "2026-03-05T00:00:00+01:00",
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-04T00:00:00+01:00", &["a"])])
    );
    assert_eq!(rep.stats.ignored_after_as_of, 1);
    // Replayed later, the expect is known and satisfies the rule.
    let rep = report(
        &one(ABSENCE_72H),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: e, at: 2026-03-02T00:00:00+01:00, recorded_at: 2026-03-06T00:00:00+01:00, kind: e }",
        ]),
        "2026-03-06T00:00:00+01:00",
    );
    assert_eq!(summarize(&rep), want(&[]));
}

#[test]
fn absence_known_at_is_later_of_deadline_and_after_recorded_at() {
    let rep = report(
        &one(ABSENCE_72H),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, recorded_at: 2026-03-05T09:00:00+01:00, kind: a }",
            "{ id: b, at: 2026-03-10T00:00:00+01:00, recorded_at: 2026-03-10T01:00:00+01:00, kind: a }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[
            ("r", "2026-03-04T00:00:00+01:00", &["a"]),
            ("r", "2026-03-13T00:00:00+01:00", &["b"]),
        ])
    );
    assert_eq!(rep.flags[0].known_at, ts("2026-03-05T09:00:00+01:00"));
    assert_eq!(rep.flags[1].known_at, ts("2026-03-13T00:00:00+01:00"));
}

#[test]
fn absence_by_needs_the_field_and_the_same_value() {
    let rep = report(
        &one(
            "when: { absence: { after: { kind: a }, expect: { kind: e }, within: 72h, by: counterpart } }",
        ),
        &tl(&[
            "{ id: a1, at: 2026-03-01T00:00:00+01:00, kind: a, counterpart: c-1 }",
            "{ id: a2, at: 2026-03-01T01:00:00+01:00, kind: a, counterpart: c-2 }",
            "{ id: a3, at: 2026-03-01T02:00:00+01:00, kind: a }",
            "{ id: e1, at: 2026-03-02T00:00:00+01:00, kind: e, counterpart: c-2 }",
            "{ id: e2, at: 2026-03-02T01:00:00+01:00, kind: e }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-04T00:00:00+01:00", &["a1"])])
    );
    assert_eq!(rep.flags[0].key, key("counterpart", "c-1"));
    assert!(rep.pending.is_empty());
}

#[test]
fn absence_pending_with_by_carries_the_key() {
    let rep = report(
        &one(
            "when: { absence: { after: { kind: a }, expect: { kind: e }, within: 72h, by: counterpart } }",
        ),
        &tl(&["{ id: a1, at: 2026-03-01T00:00:00+01:00, kind: a, counterpart: c-1 }"]),
        "2026-03-02T00:00:00+01:00",
    );
    assert_eq!(rep.pending.len(), 1);
    assert_eq!(rep.pending[0].key, key("counterpart", "c-1"));
}

// ---------------------------------------------------------------------------------------------
// signals
// ---------------------------------------------------------------------------------------------

#[test]
fn signals_window_edge_exactly_within_apart_counts() {
    let rep = report(
        &one(SIGNALS_1D_2),
        &tl(&[
            "{ id: x1, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: x2, at: 2026-03-01T06:00:00+01:00, kind: x }",
            "{ id: y1, at: 2026-03-02T00:00:00+01:00, kind: y }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-02T00:00:00+01:00", &["x1", "x2", "y1"])])
    );
    let ind: Vec<_> = rep.flags[0]
        .evidence
        .iter()
        .map(|e| e.indicator.clone().unwrap_or_default())
        .collect();
    assert_eq!(ind, vec!["p", "p", "q"]);
}

#[test]
fn signals_window_edge_one_second_more_does_not() {
    let got = flags(
        &one(SIGNALS_1D_2),
        &tl(&[
            "{ id: x1, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: y1, at: 2026-03-02T00:00:01+01:00, kind: y }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn signals_same_indicator_twice_is_not_two_signals() {
    let got = flags(
        &one(SIGNALS_1D_2),
        &tl(&[
            "{ id: x1, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: x2, at: 2026-03-01T01:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[]));
}

#[test]
fn signals_fire_when_crossing_only() {
    let got = flags(
        &one(SIGNALS_1D_2),
        &tl(&[
            "{ id: x1, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: y1, at: 2026-03-01T01:00:00+01:00, kind: y }",
            "{ id: x2, at: 2026-03-01T02:00:00+01:00, kind: x }",
            "{ id: y2, at: 2026-03-03T00:00:00+01:00, kind: y }",
            "{ id: x3, at: 2026-03-03T01:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-01T01:00:00+01:00", &["x1", "y1"]),
            ("r", "2026-03-03T01:00:00+01:00", &["y2", "x3"]),
        ])
    );
}

#[test]
fn signals_equal_timestamps_ordered_by_id_bytewise() {
    let got = flags(
        &one(SIGNALS_1D_2),
        &tl(&[
            "{ id: o-9, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: o-10, at: 2026-03-01T00:00:00+01:00, kind: y }",
        ]),
        LATE,
    );
    // o-10 < o-9: the threshold is crossed at o-9.
    assert_eq!(
        got,
        want(&[("r", "2026-03-01T00:00:00+01:00", &["o-10", "o-9"])])
    );
}

#[test]
fn signals_observation_matching_several_indicators_counts_for_each() {
    let rep = report(
        &one(
            "when: { signals: { within: 1d, at_least: 2, of: { money: { kind: item }, online: { channel: online.* } } } }",
        ),
        &tl(&["{ id: o, at: 2026-03-01T00:00:00+01:00, kind: item, channel: online.chat }"]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-01T00:00:00+01:00", &["o", "o"])])
    );
    let ind: Vec<_> = rep.flags[0]
        .evidence
        .iter()
        .map(|e| e.indicator.clone().unwrap_or_default())
        .collect();
    assert_eq!(ind, vec!["money", "online"]);
}

// ---------------------------------------------------------------------------------------------
// cooldown and unless
// ---------------------------------------------------------------------------------------------

#[test]
fn cooldown_same_instant_second_is_dropped() {
    let got = flags(
        &one("when: { match: { kind: x } }\ncooldown: 1d"),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-01T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[("r", "2026-03-01T00:00:00+01:00", &["a"])]));
}

#[test]
fn cooldown_exactly_apart_is_kept_a_second_less_is_dropped() {
    let got = flags(
        &one("when: { match: { kind: x } }\ncooldown: 1d"),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x }",
            "{ id: c, at: 2026-03-02T23:59:59+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-01T00:00:00+01:00", &["a"]),
            ("r", "2026-03-02T00:00:00+01:00", &["b"]),
        ])
    );
}

#[test]
fn cooldown_is_measured_from_kept_flags_only() {
    // b is dropped (20h after a); c is 30h after a, the last *kept* flag: kept.
    let got = flags(
        &one("when: { match: { kind: x } }\ncooldown: 1d"),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-01T20:00:00+01:00, kind: x }",
            "{ id: c, at: 2026-03-02T06:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-01T00:00:00+01:00", &["a"]),
            ("r", "2026-03-02T06:00:00+01:00", &["c"]),
        ])
    );
}

#[test]
fn cooldown_is_per_key() {
    let got = flags(
        &one(
            "when: { count: { match: { kind: x }, within: 1h, at_least: 1, by: counterpart } }\ncooldown: 1d",
        ),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x, counterpart: c-1 }",
            "{ id: b, at: 2026-03-01T05:00:00+01:00, kind: x, counterpart: c-2 }",
            "{ id: c, at: 2026-03-01T10:00:00+01:00, kind: x, counterpart: c-1 }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-01T00:00:00+01:00", &["a"]),
            ("r", "2026-03-01T05:00:00+01:00", &["b"]),
        ])
    );
}

#[test]
fn cooldown_dropped_sequence_firing_still_uses_up_its_first_step() {
    // "cooldown drops flags, not firings": the firing [a2, b2] is dropped by the cooldown but
    // still uses up a2, so b3 (a full day after the kept flag) has no unused first step.
    let got = flags(
        &one(
            "when: { sequence: { within: 7d, steps: [ { kind: a }, { kind: b } ] } }\ncooldown: 1d",
        ),
        &tl(&[
            "{ id: a1, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: b1, at: 2026-03-01T12:00:00+01:00, kind: b }",
            "{ id: a2, at: 2026-03-01T13:00:00+01:00, kind: a }",
            "{ id: b2, at: 2026-03-01T14:00:00+01:00, kind: b }",
            "{ id: b3, at: 2026-03-02T12:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-01T12:00:00+01:00", &["a1", "b1"])])
    );
}

#[test]
fn unless_hides_observations_from_the_rule() {
    let got = flags(
        &one(
            "when: { count: { match: { kind: x }, within: 7d, at_least: 2 } }\nunless:\n  - { reason: family, match: { attributes.relation: family } }",
        ),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x, attributes: { relation: family } }",
            "{ id: c, at: 2026-03-03T00:00:00+01:00, kind: x, attributes: { relation: peer } }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-03T00:00:00+01:00", &["a", "c"])])
    );
}

#[test]
fn unless_hides_until_observations_too() {
    let got = flags(
        &one(&format!(
            "{SEQ_UNTIL}\nunless:\n  - {{ reason: test entries, match: {{ source: test }} }}"
        )),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }",
            "{ id: u, at: 2026-03-02T00:00:00+01:00, kind: u, source: test }",
            "{ id: b, at: 2026-03-03T00:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        got,
        want(&[("r", "2026-03-03T00:00:00+01:00", &["a", "b"])])
    );
}

// ---------------------------------------------------------------------------------------------
// subject.age
// ---------------------------------------------------------------------------------------------

const ADULT: &str = "when: { match: { subject.age: { gte: 18 } } }";

#[test]
fn age_turns_older_on_the_birthday_in_local_date() {
    let got = flags(
        &one(ADULT),
        &tl_with(
            "subject: s\nborn: 2008-03-05",
            &[
                "{ id: b1, at: 2026-03-04T23:59:59+01:00, kind: x }",
                "{ id: b2, at: 2026-03-05T00:00:00+01:00, kind: x }",
                // Local date 03-04 although the instant is already 03-05 in UTC: still 17.
                "{ id: l1, at: 2026-03-04T23:30:00-02:00, kind: x }",
                // Local date 03-05 although the instant is 03-04 in UTC: 18.
                "{ id: l2, at: 2026-03-05T00:30:00+02:00, kind: x }",
            ],
        ),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-04T23:30:00+01:00", &["l2"]),
            ("r", "2026-03-05T00:00:00+01:00", &["b2"]),
        ])
    );
}

#[test]
fn age_29_february_birthday_turns_older_on_1_march_in_common_years() {
    let got = flags(
        &one(ADULT),
        &tl_with(
            "subject: s\nborn: 2008-02-29",
            &[
                "{ id: a, at: 2026-02-28T23:59:59+01:00, kind: x }",
                "{ id: b, at: 2026-03-01T00:00:00+01:00, kind: x }",
            ],
        ),
        LATE,
    );
    assert_eq!(got, want(&[("r", "2026-03-01T00:00:00+01:00", &["b"])]));
}

#[test]
fn age_29_february_birthday_turns_older_on_29_february_in_leap_years() {
    let got = flags(
        &one("when: { match: { subject.age: { gte: 20 } } }"),
        &tl_with(
            "subject: s\nborn: 2008-02-29",
            &[
                "{ id: a, at: 2028-02-28T23:59:59+01:00, kind: x }",
                "{ id: b, at: 2028-02-29T00:00:00+01:00, kind: x }",
            ],
        ),
        "2028-06-01T00:00:00+01:00",
    );
    assert_eq!(got, want(&[("r", "2028-02-29T00:00:00+01:00", &["b"])]));
}

#[test]
fn age_without_born_does_not_match_and_warns_naming_the_subject() {
    let rep = report(
        &one("when: { match: { subject.age: { lt: 18 } } }"),
        &tl_with(
            "subject: kid-7",
            &["{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }"],
        ),
        LATE,
    );
    assert_eq!(summarize(&rep), want(&[]));
    assert!(
        rep.warnings
            .iter()
            .any(|w| w.subject.as_deref() == Some("kid-7") || w.message.contains("kid-7")),
        "{:?}",
        rep.warnings
    );
}

// ---------------------------------------------------------------------------------------------
// facts
// ---------------------------------------------------------------------------------------------

const IN_INSTITUTION: &str = "when: { match: { subject.residence: institution.* } }";

#[test]
fn facts_date_bounds_start_of_day_in_observation_offset_until_exclusive() {
    let got = flags(
        &one(IN_INSTITUTION),
        &tl_with(
            "subject: s\nfacts:\n  - { name: residence, value: institution.open, from: 2026-03-05, until: 2026-03-08 }",
            &[
                "{ id: f1, at: 2026-03-04T23:59:59+01:00, kind: x }",
                "{ id: f2, at: 2026-03-05T00:00:00+01:00, kind: x }",
                "{ id: f3, at: 2026-03-07T23:59:59+01:00, kind: x }",
                "{ id: f4, at: 2026-03-08T00:00:00+01:00, kind: x }",
                // 03-05 00:30 local (+02:00) is 03-04 22:30 UTC: inside, the day started 22:00 UTC.
                "{ id: f5, at: 2026-03-05T00:30:00+02:00, kind: x }",
                // 03-04 23:30 local (-01:00) is 03-05 00:30 UTC: outside, its 03-05 starts 01:00 UTC.
                "{ id: f6, at: 2026-03-04T23:30:00-01:00, kind: x }",
                // 03-07 23:30 local (-02:00) is 03-08 01:30 UTC: inside (until exclusive, local).
                "{ id: f7, at: 2026-03-07T23:30:00-02:00, kind: x }",
                // 03-08 00:30 local (+02:00) is 03-07 22:30 UTC: outside.
                "{ id: f8, at: 2026-03-08T00:30:00+02:00, kind: x }",
            ],
        ),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-04T23:30:00+01:00", &["f5"]),
            ("r", "2026-03-05T00:00:00+01:00", &["f2"]),
            ("r", "2026-03-07T23:59:59+01:00", &["f3"]),
            ("r", "2026-03-08T02:30:00+01:00", &["f7"]),
        ])
    );
}

#[test]
fn facts_timestamp_bounds_are_exact_instants() {
    let got = flags(
        &one(IN_INSTITUTION),
        &tl_with(
            "subject: s\nfacts:\n  - { name: residence, value: institution.open, from: 2026-03-05T12:00:00+01:00, until: 2026-03-06T12:00:00+01:00 }",
            &[
                "{ id: a, at: 2026-03-05T11:59:59+01:00, kind: x }",
                "{ id: b, at: 2026-03-05T11:00:00Z, kind: x }",
                "{ id: c, at: 2026-03-06T11:59:59+01:00, kind: x }",
                "{ id: d, at: 2026-03-06T12:00:00+01:00, kind: x }",
            ],
        ),
        LATE,
    );
    assert_eq!(
        got,
        want(&[
            ("r", "2026-03-05T12:00:00+01:00", &["b"]),
            ("r", "2026-03-06T11:59:59+01:00", &["c"]),
        ])
    );
}

#[test]
fn facts_without_from_hold_from_the_beginning() {
    let got = flags(
        &one(IN_INSTITUTION),
        &tl_with(
            "subject: s\nfacts:\n  - { name: residence, value: institution.closed, until: 2026-01-01 }",
            &[
                "{ id: a, at: 2001-01-01T00:00:00+01:00, kind: x }",
                "{ id: b, at: 2026-01-01T00:00:00+01:00, kind: x }",
            ],
        ),
        LATE,
    );
    assert_eq!(got, want(&[("r", "2001-01-01T00:00:00+01:00", &["a"])]));
}

#[test]
fn facts_latest_from_wins_on_overlap_with_a_warning() {
    let timeline = tl_with(
        "subject: s\nfacts:\n  - { name: residence, value: institution.open, from: 2026-03-01 }\n  - { name: residence, value: home, from: 2026-01-01 }",
        &[
            "{ id: a, at: 2026-02-15T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-05T00:00:00+01:00, kind: x }",
        ],
    );
    let rep = report(&one(IN_INSTITUTION), &timeline, LATE);
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-05T00:00:00+01:00", &["b"])])
    );
    assert!(
        rep.warnings.iter().any(|w| w.message.contains("residence")),
        "{:?}",
        rep.warnings
    );
    let got = flags(
        &one("when: { match: { subject.residence: home } }"),
        &timeline,
        LATE,
    );
    assert_eq!(got, want(&[("r", "2026-02-15T00:00:00+01:00", &["a"])]));
}

// ---------------------------------------------------------------------------------------------
// Recruitment window
// ---------------------------------------------------------------------------------------------

const SEQ_BY_CP: &str = "when: { sequence: { within: 7d, by: counterpart, steps: [ { kind: contact }, { kind: meeting } ] } }";

#[test]
fn window_opens_at_first_contact_with_the_shared_counterpart_even_if_unmatched() {
    let rep = report(
        &one(SEQ_BY_CP),
        &tl(&[
            "{ id: z, at: 2026-02-01T00:00:00+01:00, kind: hello, counterpart: c-2 }",
            "{ id: h, at: 2026-03-01T00:00:00+01:00, kind: hello, counterpart: c-1 }",
            "{ id: a, at: 2026-03-03T00:00:00+01:00, kind: contact, counterpart: c-1 }",
            "{ id: m, at: 2026-03-04T00:00:00+01:00, kind: meeting, counterpart: c-1 }",
        ]),
        "2026-03-05T00:00:00+01:00",
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-04T00:00:00+01:00", &["a", "m"])])
    );
    let w = rep.flags[0].window;
    assert_eq!(w.opened_at, ts("2026-03-01T00:00:00+01:00"));
    assert_eq!(w.urgent_until, ts("2026-03-08T00:00:00+01:00"));
    assert_eq!(w.closes_at, ts("2026-03-31T00:00:00+01:00"));
    assert_eq!(w.stage, Stage::Urgent);
}

#[test]
fn window_counterpart_shared_by_the_evidence_that_has_one() {
    // Evidence: a (no counterpart) and b (c-1): the window opens at the first contact with c-1.
    let rep = report(
        &one("when: { count: { match: { kind: x }, within: 7d, at_least: 2 } }"),
        &tl(&[
            "{ id: h, at: 2026-02-20T00:00:00+01:00, kind: hello, counterpart: c-1 }",
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x, counterpart: c-1 }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-02T00:00:00+01:00", &["a", "b"])])
    );
    assert_eq!(
        rep.flags[0].window.opened_at,
        ts("2026-02-20T00:00:00+01:00")
    );
}

#[test]
fn window_opens_at_earliest_evidence_when_counterparts_differ() {
    let rep = report(
        &one("when: { count: { match: { kind: x }, within: 7d, at_least: 2 } }"),
        &tl(&[
            "{ id: h, at: 2026-02-20T00:00:00+01:00, kind: hello, counterpart: c-1 }",
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x, counterpart: c-1 }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x, counterpart: c-2 }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-02T00:00:00+01:00", &["a", "b"])])
    );
    assert_eq!(
        rep.flags[0].window.opened_at,
        ts("2026-03-01T00:00:00+01:00")
    );
}

#[test]
fn harm_window_runs_from_the_evidence_not_from_the_first_contact() {
    // A project decision that amends design §6 (docs/rule-language.md §9): for class `harm` the
    // window opens at the earliest evidence, so a disclosure about an old contact is not `closed`.
    let yaml = one("when: { match: { kind: disclosure } }").replace("class: risk", "class: harm");
    let rep = report(
        &yaml,
        &tl(&[
            "{ id: h, at: 2026-01-01T00:00:00+01:00, kind: hello, counterpart: c-1 }",
            "{ id: d, at: 2026-03-01T00:00:00+01:00, kind: disclosure, counterpart: c-1 }",
        ]),
        "2026-03-02T00:00:00+01:00",
    );
    let w = rep.flags[0].window;
    assert_eq!(w.opened_at, ts("2026-03-01T00:00:00+01:00"));
    assert_eq!(w.stage, Stage::Urgent);
}

#[test]
fn window_opens_at_earliest_evidence_without_counterparts() {
    let rep = report(
        &one("when: { count: { match: { kind: x }, within: 7d, at_least: 2 } }"),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-02T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    let w = rep.flags[0].window;
    assert_eq!(w.opened_at, ts("2026-03-01T00:00:00+01:00"));
    assert_eq!(w.urgent_until, ts("2026-03-08T00:00:00+01:00"));
    assert_eq!(w.closes_at, ts("2026-03-31T00:00:00+01:00"));
}

#[test]
fn window_per_rule_override() {
    let obs = tl(&["{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }"]);
    let rep = report(
        &one("when: { match: { kind: x } }\nwindow: { urgent: 2d, closes: 10d }"),
        &obs,
        LATE,
    );
    let w = rep.flags[0].window;
    assert_eq!(w.urgent_until, ts("2026-03-03T00:00:00+01:00"));
    assert_eq!(w.closes_at, ts("2026-03-11T00:00:00+01:00"));
    // Only one of the two given: the other keeps its default.
    let rep = report(
        &one("when: { match: { kind: x } }\nwindow: { closes: 20d }"),
        &obs,
        LATE,
    );
    let w = rep.flags[0].window;
    assert_eq!(w.urgent_until, ts("2026-03-08T00:00:00+01:00"));
    assert_eq!(w.closes_at, ts("2026-03-21T00:00:00+01:00"));
    let rep = report(
        &one("when: { match: { kind: x } }\nwindow: { urgent: 1d }"),
        &obs,
        LATE,
    );
    let w = rep.flags[0].window;
    assert_eq!(w.urgent_until, ts("2026-03-02T00:00:00+01:00"));
    assert_eq!(w.closes_at, ts("2026-03-31T00:00:00+01:00"));
}

#[test]
fn window_opens_at_first_contact_or_at_the_evidence() {
    let obs = tl(&[
        "{ id: a, at: 2026-01-01T00:00:00+01:00, kind: y, counterpart: c }",
        "{ id: b, at: 2026-03-01T00:00:00+01:00, kind: x, counterpart: c }",
    ]);
    // Risk rules open at the first contact with the counterpart, whatever its kind.
    let rep = report(&one("when: { match: { kind: x } }"), &obs, LATE);
    assert_eq!(
        rep.flags[0].window.opened_at,
        ts("2026-01-01T00:00:00+01:00")
    );
    // `opens: evidence` opens at the earliest evidence instead.
    let rep = report(
        &one("when: { match: { kind: x } }\nwindow: { opens: evidence }"),
        &obs,
        LATE,
    );
    assert_eq!(
        rep.flags[0].window.opened_at,
        ts("2026-03-01T00:00:00+01:00")
    );
    assert_eq!(
        rep.flags[0].window.urgent_until,
        ts("2026-03-08T00:00:00+01:00")
    );
    // `opens: first_contact` is written out the default.
    let rep = report(
        &one("when: { match: { kind: x } }\nwindow: { opens: first_contact }"),
        &obs,
        LATE,
    );
    assert_eq!(
        rep.flags[0].window.opened_at,
        ts("2026-01-01T00:00:00+01:00")
    );
}

#[test]
fn window_stage_at_as_of_boundaries() {
    let obs = tl(&["{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }"]);
    let rules = one("when: { match: { kind: x } }");
    let stage = |as_of: &str| report(&rules, &obs, as_of).flags[0].window.stage;
    assert_eq!(stage("2026-03-01T00:00:00+01:00"), Stage::Urgent);
    assert_eq!(stage("2026-03-07T23:59:59+01:00"), Stage::Urgent);
    assert_eq!(stage("2026-03-08T00:00:00+01:00"), Stage::Open);
    assert_eq!(stage("2026-03-30T23:59:59+01:00"), Stage::Open);
    assert_eq!(stage("2026-03-31T00:00:00+01:00"), Stage::Closed);
}

// ---------------------------------------------------------------------------------------------
// as_of, known_at, ids, output order
// ---------------------------------------------------------------------------------------------

#[test]
fn as_of_ignores_what_happened_or_was_recorded_later() {
    let rep = report(
        &one("when: { match: { kind: x } }"),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-05T00:00:00+01:00, kind: x }",
            "{ id: c, at: 2026-03-02T00:00:00+01:00, recorded_at: 2026-03-04T00:00:01+01:00, kind: x }",
            "{ id: d, at: 2026-03-04T00:00:00+01:00, kind: x }",
            "{ id: e, at: 2026-03-03T00:00:00+01:00, recorded_at: 2026-03-04T00:00:00+01:00, kind: x }",
        ]),
        "2026-03-04T00:00:00+01:00",
    );
    assert_eq!(
        summarize(&rep),
        want(&[
            ("r", "2026-03-01T00:00:00+01:00", &["a"]),
            ("r", "2026-03-03T00:00:00+01:00", &["e"]),
            ("r", "2026-03-04T00:00:00+01:00", &["d"]),
        ])
    );
    assert_eq!(rep.stats.ignored_after_as_of, 2);
    assert_eq!(rep.stats.observations, 3);
    assert!(
        !rep.warnings.is_empty(),
        "ignored observations are mentioned in the warnings"
    );
}

#[test]
fn known_at_is_the_latest_recorded_at_of_the_evidence() {
    let rep = report(
        &one(SEQ_1D),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, recorded_at: 2026-03-05T00:00:00+01:00, kind: a }",
            "{ id: b, at: 2026-03-01T12:00:00+01:00, kind: b }",
        ]),
        LATE,
    );
    assert_eq!(
        summarize(&rep),
        want(&[("r", "2026-03-01T12:00:00+01:00", &["a", "b"])])
    );
    assert_eq!(rep.flags[0].known_at, ts("2026-03-05T00:00:00+01:00"));
}

#[test]
fn known_at_is_never_before_raised_at() {
    // recorded_at before at (a planned event): known_at = raised_at.
    let rep = report(
        &one("when: { match: { kind: x } }"),
        &tl(&[
            "{ id: a, at: 2026-03-02T00:00:00+01:00, recorded_at: 2026-02-20T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(rep.flags[0].known_at, ts("2026-03-02T00:00:00+01:00"));
}

#[test]
fn flag_ids_are_stable_across_runs_and_input_order() {
    let rules = one(COUNT_1D_2);
    let forward = tl(&[
        "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
        "{ id: b, at: 2026-03-01T01:00:00+01:00, kind: x }",
        "{ id: c, at: 2026-03-05T00:00:00+01:00, kind: x }",
        "{ id: d, at: 2026-03-05T00:00:00+01:00, kind: x }",
    ]);
    let backward = tl(&[
        "{ id: d, at: 2026-03-05T00:00:00+01:00, kind: x }",
        "{ id: c, at: 2026-03-05T00:00:00+01:00, kind: x }",
        "{ id: b, at: 2026-03-01T01:00:00+01:00, kind: x }",
        "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
    ]);
    let ids = |t: &str| -> Vec<early_signal::FlagId> {
        report(&rules, t, LATE).flags.iter().map(|f| f.id).collect()
    };
    let first = ids(&forward);
    assert_eq!(first.len(), 2);
    assert_eq!(first, ids(&forward));
    assert_eq!(first, ids(&backward));
    assert_eq!(
        summarize(&report(&rules, &forward, LATE)),
        summarize(&report(&rules, &backward, LATE))
    );
    assert_ne!(first[0], first[1]);
    for id in &first {
        assert!(
            id.starts_with("fl-")
                && id.len() == 19
                && id[3..].bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
    }
    // Same evidence under another subject: another id.
    let other = forward.replace("subject: s", "subject: t");
    assert!(ids(&other).iter().all(|id| !first.contains(id)));
}

#[test]
fn output_order_stage_severity_raised_at_subject_rule() {
    let rules = rules(&[
        rule_sev("lo", "low", "when: { match: { kind: x } }"),
        rule_sev("hi-b", "critical", "when: { match: { kind: x } }"),
        rule_sev("hi-a", "critical", "when: { match: { kind: x } }"),
    ]);
    let timeline = format!(
        "{}---\n{}",
        tl_with(
            "subject: s2",
            &[
                "{ id: old, at: 2026-01-01T00:00:00+01:00, kind: x }",
                "{ id: n2, at: 2026-03-02T00:00:00+01:00, kind: x }",
            ],
        ),
        tl_with(
            "subject: s1",
            &[
                "{ id: n1, at: 2026-03-01T00:00:00+01:00, kind: x }",
                "{ id: n2, at: 2026-03-02T00:00:00+01:00, kind: x }",
            ],
        )
    );
    let rep = report(&rules, &timeline, "2026-03-03T00:00:00+01:00");
    let got: Vec<(String, String, String)> = rep
        .flags
        .iter()
        .map(|f| {
            (
                f.window.stage.to_string(),
                f.rule.to_string(),
                format!("{}/{}", f.subject, f.evidence[0].observation),
            )
        })
        .collect();
    let exp = [
        ("urgent", "hi-a", "s1/n1"),
        ("urgent", "hi-b", "s1/n1"),
        ("urgent", "hi-a", "s1/n2"),
        ("urgent", "hi-b", "s1/n2"),
        ("urgent", "hi-a", "s2/n2"),
        ("urgent", "hi-b", "s2/n2"),
        ("urgent", "lo", "s1/n1"),
        ("urgent", "lo", "s1/n2"),
        ("urgent", "lo", "s2/n2"),
        ("closed", "hi-a", "s2/old"),
        ("closed", "hi-b", "s2/old"),
        ("closed", "lo", "s2/old"),
    ];
    let exp: Vec<(String, String, String)> = exp
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, exp);
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

#[test]
fn message_placeholders_for_a_sequence() {
    let rep = report(
        &one(&format!(
            "{SEQ_BY_CP}\nmessage: \"{{title}}: {{counterpart}} met {{gap}} after contact; {{count}} steps within {{within}} {{{{ok; {{rule}}/{{subject}}\""
        )),
        &tl(&[
            "{ id: a, at: 2026-03-01T21:00:00+01:00, kind: contact, counterpart: c-1 }",
            "{ id: m, at: 2026-03-04T00:00:00+01:00, kind: meeting, counterpart: c-1 }",
        ]),
        LATE,
    );
    let e = &rep.flags[0].explanation;
    assert!(
        e.starts_with(
            "test rule r: c-1 met 2 days 3 hours after contact; 2 steps within 7 days {ok; r/s"
        ),
        "{e}"
    );
}

#[test]
fn message_within_in_hours_and_counterpart_fallbacks() {
    let rep = report(
        &one(&format!(
            "{ABSENCE_72H}\nmessage: \"no follow-up within {{within}} for {{counterpart}}\""
        )),
        &tl(&["{ id: a, at: 2026-03-01T00:00:00+01:00, kind: a }"]),
        LATE,
    );
    let e = &rep.flags[0].explanation;
    assert!(
        // docs/rule-language.md §9: `{within}` keeps the unit the rule was written with.
        e.starts_with("no follow-up within 72 hours for an unrecorded person"),
        "{e}"
    );
}

#[test]
fn message_count_and_indicators_for_signals() {
    let rep = report(
        &one(&format!(
            "{SIGNALS_1D_2}\nmessage: \"{{count}} signs: {{indicators}}\""
        )),
        &tl(&[
            "{ id: y1, at: 2026-03-01T00:00:00+01:00, kind: y }",
            "{ id: x1, at: 2026-03-01T01:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    let e = &rep.flags[0].explanation;
    assert!(e.starts_with("2 signs: "), "{e}");
    assert!(e.contains('p') && e.contains('q'), "{e}");
    assert!(
        e.starts_with("2 signs: p, q") || e.starts_with("2 signs: p,q"),
        "{e}"
    );
}

#[test]
fn message_count_is_the_counted_number_for_count() {
    let rep = report(
        &one(&format!(
            "{COUNT_1D_2}\nmessage: \"{{count}} in {{within}}, {{gap}}\""
        )),
        &tl(&[
            "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
            "{ id: b, at: 2026-03-01T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    let e = &rep.flags[0].explanation;
    assert!(e.starts_with("2 in 1 day, 0 minutes"), "{e}");
}

#[test]
fn message_unknown_placeholder_is_a_load_error() {
    let yaml = one("when: { match: { kind: x } }\nmessage: \"hello {foo}\"");
    assert!(RuleSet::from_yaml_str("t.yaml", &yaml).is_err());
    let ok = one("when: { match: { kind: x } }\nmessage: \"{{foo {subject}\"");
    assert!(RuleSet::from_yaml_str("t.yaml", &ok).is_ok());
}

#[test]
fn rule_without_message_still_explains() {
    let rep = report(
        &one("when: { match: { kind: x } }"),
        &tl(&["{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }"]),
        LATE,
    );
    assert!(!rep.flags[0].explanation.is_empty());
    assert!(rep.flags[0].explanation.contains('r'));
}

// ---------------------------------------------------------------------------------------------
// Matchers
// ---------------------------------------------------------------------------------------------

#[test]
fn glob_star_matches_dots_and_empty_and_is_anchored() {
    let frags = [
        "id: o1, kind: online.chat",
        "id: o2, kind: online.",
        "id: o3, kind: online.a.b",
        "id: o4, kind: online",
        "id: o5, kind: xonline.chat",
    ];
    assert_eq!(matching("{ kind: online.* }", &frags), ["o1", "o2", "o3"]);
    assert_eq!(matching("{ kind: \"*chat\" }", &frags), ["o1", "o5"]);
    assert_eq!(
        matching("{ kind: \"online*\" }", &frags),
        ["o1", "o2", "o3", "o4"]
    );
    assert_eq!(
        matching("{ kind: \"*\" }", &frags),
        ["o1", "o2", "o3", "o4", "o5"]
    );
    assert_eq!(
        matching("{ kind: \"on*line*\" }", &frags),
        ["o1", "o2", "o3", "o4"]
    );
}

#[test]
fn glob_has_no_other_special_characters() {
    let frags = [
        "id: o1, kind: abc",
        "id: o2, kind: a.c",
        "id: o3, kind: a?c",
        "id: o4, kind: \"[a]\"",
    ];
    assert_eq!(matching("{ kind: a.c }", &frags), ["o2"]);
    assert_eq!(matching("{ kind: a?c }", &frags), ["o3"]);
    assert_eq!(matching("{ kind: \"[a]*\" }", &frags), ["o4"]);
    assert_eq!(matching("{ kind: \"a.*\" }", &frags), ["o2"]);
}

#[test]
fn list_is_any_of_with_globs() {
    let frags = ["id: o1, kind: a", "id: o2, kind: b.x", "id: o3, kind: c"];
    assert_eq!(matching("{ kind: [a, b.*] }", &frags), ["o1", "o2"]);
}

#[test]
fn eq_and_in_compare_exactly_without_globs() {
    let frags = ["id: o1, kind: ab", "id: o2, kind: \"a*\""];
    assert_eq!(matching("{ kind: { eq: \"a*\" } }", &frags), ["o2"]);
    assert_eq!(matching("{ kind: { in: [\"a*\", zz] } }", &frags), ["o2"]);
    assert_eq!(matching("{ kind: { glob: \"a*\" } }", &frags), ["o1", "o2"]);
    assert_eq!(matching("{ kind: \"a*\" }", &frags), ["o1", "o2"]);
}

#[test]
fn numbers_compare_as_numbers() {
    let frags = [
        "id: o1, kind: x, attributes: { hours: 14 }",
        "id: o2, kind: x, attributes: { hours: 14.0 }",
        "id: o3, kind: x, attributes: { hours: \"14\" }",
        "id: o4, kind: x, attributes: { hours: 15 }",
        "id: o5, kind: x, attributes: { hours: true }",
    ];
    assert_eq!(matching("{ attributes.hours: 14 }", &frags), ["o1", "o2"]);
    assert_eq!(matching("{ attributes.hours: 14.0 }", &frags), ["o1", "o2"]);
    assert_eq!(
        matching("{ attributes.hours: { eq: 14 } }", &frags),
        ["o1", "o2"]
    );
    assert_eq!(matching("{ attributes.hours: \"14\" }", &frags), ["o3"]);
    assert_eq!(
        matching("{ attributes.hours: { in: [14, 99] } }", &frags),
        ["o1", "o2"]
    );
    assert_eq!(
        matching("{ attributes.hours: { gte: 14, lt: 15 } }", &frags),
        ["o1", "o2"]
    );
    assert_eq!(matching("{ attributes.hours: { gt: 14 } }", &frags), ["o4"]);
}

#[test]
fn bools_equal_only_bools() {
    let frags = [
        "id: o1, kind: x, attributes: { f: true }",
        "id: o2, kind: x, attributes: { f: \"true\" }",
        "id: o3, kind: x, attributes: { f: 1 }",
        "id: o4, kind: x, attributes: { f: yes }",
    ];
    assert_eq!(matching("{ attributes.f: true }", &frags), ["o1"]);
    assert_eq!(matching("{ attributes.f: \"true\" }", &frags), ["o2"]);
    assert_eq!(matching("{ attributes.f: \"yes\" }", &frags), ["o4"]);
}

#[test]
fn comparisons_on_missing_fields_are_false() {
    let frags = [
        "id: o1, kind: x",
        "id: o2, kind: x, attributes: { hours: 20 }",
        "id: o3, kind: x, attributes: { hours: high }",
    ];
    assert_eq!(matching("{ attributes.hours: { gt: 10 } }", &frags), ["o2"]);
    assert_eq!(
        matching("{ attributes.hours: { lte: 100 } }", &frags),
        ["o2"]
    );
    assert_eq!(
        matching("{ attributes.hours: { exists: false } }", &frags),
        ["o1"]
    );
    assert_eq!(
        matching("{ attributes.hours: { exists: true } }", &frags),
        ["o2", "o3"]
    );
    assert_eq!(
        matching("{ attributes.hours: { not: high } }", &frags),
        ["o1", "o2"]
    );
}

#[test]
fn not_and_exists_ask_for_absence() {
    let frags = [
        "id: o1, kind: x, channel: in_person, counterpart: c-1",
        "id: o2, kind: x, channel: phone",
        "id: o3, kind: x",
    ];
    assert_eq!(
        matching("{ not: { channel: in_person } }", &frags),
        ["o2", "o3"]
    );
    assert_eq!(
        matching("{ channel: { not: in_person } }", &frags),
        ["o2", "o3"]
    );
    assert_eq!(matching("{ channel: in_person }", &frags), ["o1"]);
    assert_eq!(
        matching("{ counterpart: { exists: false } }", &frags),
        ["o2", "o3"]
    );
    assert_eq!(
        matching("{ counterpart: { exists: true } }", &frags),
        ["o1"]
    );
}

#[test]
fn any_and_all_combine_predicates() {
    let frags = [
        "id: o1, kind: a, channel: phone",
        "id: o2, kind: b, channel: in_person",
        "id: o3, kind: c, channel: phone",
    ];
    assert_eq!(
        matching("{ any: [ { kind: a }, { channel: in_person } ] }", &frags),
        ["o1", "o2"]
    );
    assert_eq!(
        matching(
            "{ all: [ { channel: phone }, { not: { kind: a } } ] }",
            &frags
        ),
        ["o3"]
    );
    assert_eq!(
        matching("{ kind: [a, c], channel: phone }", &frags),
        ["o1", "o3"]
    );
}

#[test]
fn null_attribute_in_data_is_absent() {
    let frags = [
        "id: o1, kind: x, attributes: { v: null }",
        "id: o2, kind: x, attributes: { v: 1 }",
    ];
    assert_eq!(
        matching("{ attributes.v: { exists: false } }", &frags),
        ["o1"]
    );
    assert_eq!(
        matching("{ attributes.v: { exists: true } }", &frags),
        ["o2"]
    );
}

#[test]
fn empty_predicates_are_load_errors() {
    for when in [
        "when: { match: {} }",
        "when: { match: { any: [] } }",
        "when: { match: { all: [] } }",
        "when: { match: { kind: {} } }",
    ] {
        assert!(
            RuleSet::from_yaml_str("t.yaml", &one(when)).is_err(),
            "{when} should not load"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// YAML 1.2 and ids
// ---------------------------------------------------------------------------------------------

#[test]
fn yaml_on_is_a_string_subject_id() {
    let rep = report(
        &one("when: { match: { kind: x } }"),
        &tl_with(
            "subject: on",
            &["{ id: yes, at: 2026-03-01T00:00:00+01:00, kind: x }"],
        ),
        LATE,
    );
    assert_eq!(rep.flags.len(), 1);
    assert_eq!(rep.flags[0].subject, "on");
    assert_eq!(rep.flags[0].evidence[0].observation, "yes");
}

#[test]
fn yaml_number_ids_are_taken_as_written() {
    let rep = report(
        &one("when: { match: { kind: x } }"),
        &tl_with(
            "subject: 007",
            &[
                "{ id: 007, at: 2026-03-01T00:00:00+01:00, kind: x, counterpart: 0042 }",
                "{ id: 12, at: 2026-03-02T00:00:00+01:00, kind: x }",
            ],
        ),
        LATE,
    );
    assert_eq!(rep.flags.len(), 2);
    assert_eq!(rep.flags[0].subject, "007");
    assert_eq!(rep.flags[0].evidence[0].observation, "007");
    assert_eq!(
        rep.flags[0].evidence[0].counterpart.as_deref(),
        Some("0042")
    );
    assert_eq!(rep.flags[1].evidence[0].observation, "12");
}

#[test]
fn yaml_float_and_other_number_forms_used_as_ids_are_taken_as_written() {
    let rep = report(
        &one("when: { match: { kind: x } }"),
        &tl_with(
            "subject: 1.50",
            &[
                "{ id: 2.10, at: 2026-03-01T00:00:00+01:00, kind: x, counterpart: 1e3 }",
                "{ id: 0x1F, at: 2026-03-02T00:00:00+01:00, kind: x }",
                "{ id: +12, at: 2026-03-03T00:00:00+01:00, kind: x }",
            ],
        ),
        LATE,
    );
    let got: Vec<_> = rep
        .flags
        .iter()
        .map(|f| f.evidence[0].observation.as_str())
        .collect();
    assert_eq!(got, ["2.10", "0x1F", "+12"]);
    assert_eq!(rep.flags[0].subject, "1.50");
    assert_eq!(rep.flags[0].evidence[0].counterpart.as_deref(), Some("1e3"));
}

#[test]
fn omitted_ids_are_positions() {
    let got = flags(
        &one("when: { match: { kind: x } }"),
        &tl(&[
            "{ at: 2026-03-01T00:00:00+01:00, kind: y }",
            "{ at: 2026-03-02T00:00:00+01:00, kind: x }",
        ]),
        LATE,
    );
    assert_eq!(got, want(&[("r", "2026-03-02T00:00:00+01:00", &["#2"])]));
}

// ---------------------------------------------------------------------------------------------
// Input and rule checks
// ---------------------------------------------------------------------------------------------

#[test]
fn identical_repeated_observation_counts_once_and_a_conflicting_one_is_rejected() {
    let mut timeline = Timeline::new();
    timeline
        .read_yaml(
            "tl.yaml",
            &tl(&[
                "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
                "{ id: a, at: 2026-03-01T00:00:00+01:00, kind: x }",
                "{ id: a, at: 2026-03-01T05:00:00+01:00, kind: x }",
            ]),
        )
        .unwrap();
    let rep = Engine::new(load(&one(COUNT_1D_2))).evaluate(&timeline, ts(LATE));
    assert_eq!(summarize(&rep), want(&[]));
    assert_eq!(rep.rejected.len(), 1, "{:?}", rep.rejected);
    assert_eq!(rep.rejected[0].id.as_deref(), Some("a"));
    assert_eq!(rep.stats.observations, 1);
}

#[test]
fn absence_cooldown_orders_same_deadline_by_after_observation_but_spares_pending() {
    let rules = one(&format!("{ABSENCE_72H}\ncooldown: 1d"));
    let timeline = tl(&[
        "{ id: o-9, at: 2026-03-01T00:00:00+01:00, kind: a }",
        "{ id: o-10, at: 2026-03-01T00:00:00+01:00, kind: a }",
    ]);
    let got = flags(&rules, &timeline, LATE);
    assert_eq!(got, want(&[("r", "2026-03-04T00:00:00+01:00", &["o-10"])]));
    let rep = report(&rules, &timeline, "2026-03-02T00:00:00+01:00");
    let after: Vec<_> = rep.pending.iter().map(|p| p.after.as_str()).collect();
    assert_eq!(after, ["o-10", "o-9"]);
}

#[test]
fn bad_numbers_in_rules_are_load_errors() {
    for body in [
        "when: { count: { match: { kind: x }, within: 0d, at_least: 2 } }",
        "when: { count: { match: { kind: x }, within: 1d, at_least: 0 } }",
        "when: { count: { match: { kind: x }, within: 7days, at_least: 2 } }",
        "when: { signals: { within: 1d, at_least: 3, of: { p: { kind: x }, q: { kind: y } } } }",
        "when: { sequence: { within: 1d, steps: [ { kind: a } ] } }",
        "when: { match: { kind: x } }\nwindow: { urgent: 10d, closes: 5d }",
        "when: { match: { kind: x } }\nwindow: { urgent: 40d }",
        "when: { match: { kind: x } }\ncooldown: 0h",
        "when: { match: { kind: x, kind: y } }",
    ] {
        assert!(
            RuleSet::from_yaml_str("t.yaml", &one(body)).is_err(),
            "should not load: {body}"
        );
    }
}
