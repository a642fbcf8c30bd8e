//! Correctness at the edges, straight from the normative design (`rule-language.md`, §1–§8):
//! daylight-saving changes (Europe/Amsterdam: +01:00 in winter, +02:00 in summer; the clocks change
//! on Sunday 2026-03-29 at 01:00Z and Sunday 2026-10-25 at 01:00Z), leap days, equal timestamps,
//! extreme dates, very long timelines and byte-identical output.
//!
//! Each test builds a tiny rule set and timeline and asserts the exact flags: rule, `raised_at`
//! (as an instant, written in +01:00) and evidence ids in order. Where several cases share a test
//! they are separate subjects of one timeline, with evidence ids unique across subjects.

#[path = "support/flags.rs"]
mod flags_support;
use chrono::{DateTime, FixedOffset};
use early_signal::generate::{Workload, WorkloadConfig, generate};
use early_signal::{
    Engine, Event, Monitor, MonitorConfig, Observation, Report, RuleSet, Stage, Timeline,
};
use flags_support::{Got, indent, summarize, ts, want};

// ---------------------------------------------------------------------------------------------
// Helpers (as in tests/conformance.rs)
// ---------------------------------------------------------------------------------------------

/// Late enough that every flag of a 2026 timeline is `closed`, so output order is `raised_at`.
const AS_OF_2027: &str = "2027-01-01T00:00:00+01:00";

/// One rule with the required header fields; `body` holds `when:` and any other fields.
fn rule(id: &str, body: &str) -> String {
    format!(
        "  - id: {id}\n    version: 1\n    title: test rule {id}\n    class: risk\n    severity: high\n    rationale: edge test\n{}",
        indent(body, 4)
    )
}

/// A rule set holding the single rule `r`.
fn one(body: &str) -> String {
    format!("rules:\n{}", rule("r", body))
}

fn count(within: &str, at_least: usize) -> String {
    one(&format!(
        "when: {{ count: {{ match: {{ kind: x }}, within: {within}, at_least: {at_least} }} }}"
    ))
}

/// A timeline document: `head` (`subject: …`, `born`, `facts`) and one flow mapping per
/// observation.
fn doc(head: &str, obs: &[&str]) -> String {
    let mut out = format!("{head}\nobservations:\n");
    for o in obs {
        out.push_str(&format!("  - {o}\n"));
    }
    out
}

fn tl(obs: &[&str]) -> String {
    doc("subject: s", obs)
}

/// Several subject documents in one YAML text.
fn docs(parts: &[(&str, &[&str])]) -> String {
    parts
        .iter()
        .map(|(head, obs)| doc(head, obs))
        .collect::<Vec<_>>()
        .join("---\n")
}

fn load(rules_yaml: &str) -> RuleSet {
    RuleSet::from_yaml_str("t.yaml", rules_yaml)
        .unwrap_or_else(|e| panic!("rules do not load: {e}\n{rules_yaml}"))
}

fn read(timeline_yaml: &str) -> Timeline {
    let mut timeline = Timeline::new();
    timeline
        .read_yaml("tl.yaml", timeline_yaml)
        .expect("timeline is YAML");
    timeline
}

fn report(rules_yaml: &str, timeline_yaml: &str, as_of: &str) -> Report {
    let timeline = read(timeline_yaml);
    assert!(
        timeline.rejected().is_empty(),
        "rejected: {:?}\n{timeline_yaml}",
        timeline.rejected()
    );
    Engine::new(load(rules_yaml)).evaluate(&timeline, ts(as_of))
}

/// The flags as (rule, raised_at in +01:00, evidence ids in order), in output order.
fn flags(rules_yaml: &str, timeline_yaml: &str, as_of: &str) -> Got {
    summarize(&report(rules_yaml, timeline_yaml, as_of))
}

/// Whether `subject.age ≥ years` for an observation at `at` of someone born on `born`.
fn age_at_least(born: &str, years: u32, at: &str) -> bool {
    let rules = one(&format!(
        "when: {{ match: {{ subject.age: {{ gte: {years} }} }} }}"
    ));
    let timeline = doc(
        &format!("subject: s\nborn: {born}"),
        &[&format!("{{ id: a, at: {at}, kind: x }}")],
    );
    !report(&rules, &timeline, at).flags.is_empty()
}

const IN_INSTITUTION: &str = "when: { match: { subject.residence: institution.* } }";

/// Whether the single fact `fact` (a flow mapping) holds for an observation at `at`.
fn fact_holds(fact: &str, at: &str) -> bool {
    let timeline = doc(
        &format!("subject: s\nfacts:\n  - {fact}"),
        &[&format!("{{ id: a, at: {at}, kind: x }}")],
    );
    !report(&one(IN_INSTITUTION), &timeline, at).flags.is_empty()
}

fn lcg(x: u64) -> u64 {
    x.wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407)
}

/// A deterministic Fisher–Yates shuffle.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = lcg(seed);
    for i in (1..items.len()).rev() {
        x = lcg(x);
        let j = ((x >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Daylight-saving changes
// ---------------------------------------------------------------------------------------------

#[test]
fn dst_spring_24h_and_1d_windows_are_exact_hours_not_wall_clock_days() {
    let timeline = docs(&[
        // Wall clock 24h30m across the short night, exactly 23h30m: inside.
        (
            "subject: short",
            &[
                "{ id: s1, at: 2026-03-28T12:00:00+01:00, kind: x }",
                "{ id: s2, at: 2026-03-29T12:30:00+02:00, kind: x }",
            ],
        ),
        // 01:00Z to 01:00Z: exactly 24 hours (the wall clock says 25): inside, both ends inclusive.
        (
            "subject: edge",
            &[
                "{ id: e1, at: 2026-03-28T02:00:00+01:00, kind: x }",
                "{ id: e2, at: 2026-03-29T03:00:00+02:00, kind: x }",
            ],
        ),
        // One second more: outside.
        (
            "subject: over",
            &[
                "{ id: o1, at: 2026-03-28T02:00:00+01:00, kind: x }",
                "{ id: o2, at: 2026-03-29T03:00:01+02:00, kind: x }",
            ],
        ),
    ]);
    for within in ["24h", "1d", "1440m"] {
        assert_eq!(
            flags(&count(within, 2), &timeline, AS_OF_2027),
            want(&[
                ("r", "2026-03-29T02:00:00+01:00", &["e1", "e2"]),
                ("r", "2026-03-29T11:30:00+01:00", &["s1", "s2"]),
            ]),
            "within {within}"
        );
    }
}

#[test]
fn dst_autumn_24h_and_1d_windows_are_exact_hours_not_wall_clock_days() {
    let timeline = docs(&[
        // Wall clock 23h30m across the long night, exactly 24h30m: outside.
        (
            "subject: long",
            &[
                "{ id: l1, at: 2026-10-24T12:00:00+02:00, kind: x }",
                "{ id: l2, at: 2026-10-25T11:30:00+01:00, kind: x }",
            ],
        ),
        // 01:00Z to 01:00Z: exactly 24 hours (the wall clock says 23): inside.
        (
            "subject: edge",
            &[
                "{ id: e1, at: 2026-10-24T03:00:00+02:00, kind: x }",
                "{ id: e2, at: 2026-10-25T02:00:00+01:00, kind: x }",
            ],
        ),
        (
            "subject: over",
            &[
                "{ id: o1, at: 2026-10-24T03:00:00+02:00, kind: x }",
                "{ id: o2, at: 2026-10-25T02:00:01+01:00, kind: x }",
            ],
        ),
    ]);
    for within in ["24h", "1d"] {
        assert_eq!(
            flags(&count(within, 2), &timeline, AS_OF_2027),
            want(&[("r", "2026-10-25T02:00:00+01:00", &["e1", "e2"])]),
            "within {within}"
        );
    }
}

#[test]
fn dst_autumn_repeated_wall_clock_hour_is_two_instants_an_hour_apart() {
    // 02:30 happens twice on 2026-10-25: first in +02:00 (00:30Z), then in +01:00 (01:30Z).
    let timeline = tl(&[
        "{ id: h2, at: 2026-10-25T02:30:00+01:00, kind: x }",
        "{ id: h1, at: 2026-10-25T02:30:00+02:00, kind: x }",
    ]);
    assert_eq!(
        flags(&count("1h", 2), &timeline, AS_OF_2027),
        want(&[("r", "2026-10-25T02:30:00+01:00", &["h1", "h2"])])
    );
    assert_eq!(flags(&count("59m", 2), &timeline, AS_OF_2027), want(&[]));
}

#[test]
fn dst_7d_window_is_168_hours_across_both_changes() {
    let timeline = docs(&[
        // 11:00Z to 11:00Z: 168 hours, although the wall clock moved from 12:00 to 13:00.
        (
            "subject: spring",
            &[
                "{ id: pa, at: 2026-03-25T12:00:00+01:00, kind: x }",
                "{ id: pb, at: 2026-04-01T13:00:00+02:00, kind: x }",
            ],
        ),
        (
            "subject: spring-over",
            &[
                "{ id: qa, at: 2026-03-25T12:00:00+01:00, kind: x }",
                "{ id: qb, at: 2026-04-01T13:00:01+02:00, kind: x }",
            ],
        ),
        // 10:00Z to 10:00Z: 168 hours, although the wall clock moved from 12:00 to 11:00.
        (
            "subject: autumn",
            &[
                "{ id: aa, at: 2026-10-21T12:00:00+02:00, kind: x }",
                "{ id: ab, at: 2026-10-28T11:00:00+01:00, kind: x }",
            ],
        ),
        // Seven calendar days at 12:00 on the wall clock are 169 hours: outside.
        (
            "subject: autumn-wall",
            &[
                "{ id: wa, at: 2026-10-21T12:00:00+02:00, kind: x }",
                "{ id: wb, at: 2026-10-28T12:00:00+01:00, kind: x }",
            ],
        ),
    ]);
    for within in ["7d", "168h", "1w"] {
        assert_eq!(
            flags(&count(within, 2), &timeline, AS_OF_2027),
            want(&[
                ("r", "2026-04-01T12:00:00+01:00", &["pa", "pb"]),
                ("r", "2026-10-28T11:00:00+01:00", &["aa", "ab"]),
            ]),
            "within {within}"
        );
    }
}

#[test]
fn dst_count_inside_the_window_by_exact_seconds_and_outside_by_one_nanosecond() {
    let timeline = docs(&[
        // e1 is exactly 24h before e3 (01:59:59Z both days): three in the window.
        (
            "subject: edge",
            &[
                "{ id: e1, at: 2026-03-28T02:59:59+01:00, kind: x }",
                "{ id: e2, at: 2026-03-28T20:00:00+01:00, kind: x }",
                "{ id: e3, at: 2026-03-29T03:59:59+02:00, kind: x }",
            ],
        ),
        // Times have nanosecond precision: one nanosecond later, n1 has left the window.
        (
            "subject: nano",
            &[
                "{ id: n1, at: 2026-03-28T02:59:59+01:00, kind: x }",
                "{ id: n2, at: 2026-03-28T20:00:00+01:00, kind: x }",
                "{ id: n3, at: 2026-03-29T03:59:59.000000001+02:00, kind: x }",
            ],
        ),
    ]);
    assert_eq!(
        flags(&count("24h", 3), &timeline, AS_OF_2027),
        want(&[("r", "2026-03-29T02:59:59+01:00", &["e1", "e2", "e3"])])
    );
}

#[test]
fn dst_age_turns_on_the_local_birthday_date_in_the_observations_own_offset() {
    let rules = one("when: { match: { subject.age: { gte: 18 } } }");
    let timeline = docs(&[
        // 18th birthday on the spring-change Sunday.
        (
            "subject: spring\nborn: 2008-03-29",
            &[
                "{ id: a1, at: 2026-03-28T23:59:59+01:00, kind: x }",
                "{ id: a2, at: 2026-03-29T00:00:00+01:00, kind: x }",
                // Same instant as a4, but written in Z its local date is still 03-28: 17.
                "{ id: a3, at: 2026-03-28T23:30:00Z, kind: x }",
                "{ id: a4, at: 2026-03-29T00:30:00+01:00, kind: x }",
                // Local date 03-29 although the instant (22:30Z) is before a2: 18.
                "{ id: a5, at: 2026-03-29T00:30:00+02:00, kind: x }",
            ],
        ),
        // 18th birthday on the autumn-change Sunday.
        (
            "subject: autumn\nborn: 2008-10-25",
            &[
                "{ id: b0, at: 2026-10-24T23:59:59+02:00, kind: x }",
                // b2 and b3 are the same instant (22:30Z); only b3's local date is the birthday.
                "{ id: b2, at: 2026-10-24T23:30:00+01:00, kind: x }",
                "{ id: b3, at: 2026-10-25T00:30:00+02:00, kind: x }",
                "{ id: b1, at: 2026-10-25T02:30:00+01:00, kind: x }",
            ],
        ),
    ]);
    assert_eq!(
        flags(&rules, &timeline, AS_OF_2027),
        want(&[
            ("r", "2026-03-28T23:30:00+01:00", &["a5"]),
            ("r", "2026-03-29T00:00:00+01:00", &["a2"]),
            ("r", "2026-03-29T00:30:00+01:00", &["a4"]),
            ("r", "2026-10-24T23:30:00+01:00", &["b3"]),
            ("r", "2026-10-25T02:30:00+01:00", &["b1"]),
        ])
    );
}

#[test]
fn dst_date_bounded_fact_resolves_in_each_observations_own_offset() {
    // Valid over [start of 03-29, start of 10-25), each bound in the observation's offset.
    let timeline = doc(
        "subject: s\nfacts:\n  - { name: residence, value: institution.open, from: 2026-03-29, until: 2026-10-25 }",
        &[
            "{ id: f1, at: 2026-03-28T23:59:59+01:00, kind: x }",
            "{ id: f2, at: 2026-03-29T00:00:00+01:00, kind: x }",
            // 22:30Z: before f2, but its own 03-29 began at 22:00Z: inside.
            "{ id: f3, at: 2026-03-29T00:30:00+02:00, kind: x }",
            "{ id: f4, at: 2026-10-24T23:59:59+02:00, kind: x }",
            "{ id: f5, at: 2026-10-25T00:00:00+02:00, kind: x }",
            // f6 and f7 are the same instant (10-24 22:30Z): f6's 10-25 has begun, f7's has not.
            "{ id: f6, at: 2026-10-25T00:30:00+02:00, kind: x }",
            "{ id: f7, at: 2026-10-24T23:30:00+01:00, kind: x }",
        ],
    );
    assert_eq!(
        flags(&one(IN_INSTITUTION), &timeline, AS_OF_2027),
        want(&[
            ("r", "2026-03-28T23:30:00+01:00", &["f3"]),
            ("r", "2026-03-29T00:00:00+01:00", &["f2"]),
            ("r", "2026-10-24T22:59:59+01:00", &["f4"]),
            ("r", "2026-10-24T23:30:00+01:00", &["f7"]),
        ])
    );
}

#[test]
fn dst_sequence_steps_written_in_summer_and_winter_offsets() {
    let rules = one("when: { sequence: { within: 24h, steps: [ { kind: a }, { kind: b } ] } }");
    let timeline = docs(&[
        // +01:00 then +02:00: exactly 24 hours (02:00Z both days).
        (
            "subject: spring",
            &[
                "{ id: p1, at: 2026-03-28T03:00:00+01:00, kind: a }",
                "{ id: p2, at: 2026-03-29T04:00:00+02:00, kind: b }",
            ],
        ),
        // +02:00 then +01:00: exactly 24 hours (10:00Z both days).
        (
            "subject: edge",
            &[
                "{ id: s1, at: 2026-10-24T12:00:00+02:00, kind: a }",
                "{ id: s2, at: 2026-10-25T11:00:00+01:00, kind: b }",
            ],
        ),
        (
            "subject: over",
            &[
                "{ id: v1, at: 2026-10-24T12:00:00+02:00, kind: a }",
                "{ id: v2, at: 2026-10-25T11:00:01+01:00, kind: b }",
            ],
        ),
        // The wall clock says b (02:10) before a (02:40); the instants say a (00:40Z) then b (01:10Z).
        (
            "subject: twice",
            &[
                "{ id: r1, at: 2026-10-25T02:40:00+02:00, kind: a }",
                "{ id: r2, at: 2026-10-25T02:10:00+01:00, kind: b }",
            ],
        ),
        // The wall clock says a (02:20) before b (02:50); the instants say b (00:50Z) then a (01:20Z).
        (
            "subject: reversed",
            &[
                "{ id: q1, at: 2026-10-25T02:50:00+02:00, kind: b }",
                "{ id: q2, at: 2026-10-25T02:20:00+01:00, kind: a }",
            ],
        ),
    ]);
    assert_eq!(
        flags(&rules, &timeline, AS_OF_2027),
        want(&[
            ("r", "2026-03-29T03:00:00+01:00", &["p1", "p2"]),
            ("r", "2026-10-25T02:10:00+01:00", &["r1", "r2"]),
            ("r", "2026-10-25T11:00:00+01:00", &["s1", "s2"]),
        ])
    );
}

#[test]
fn dst_cooldown_is_exact_hours_across_both_changes() {
    let rules = one("when: { match: { kind: x } }\ncooldown: 1d");
    let timeline = docs(&[
        (
            "subject: a",
            &[
                "{ id: a1, at: 2026-03-28T12:00:00+01:00, kind: x }",
                // 23:59:59 after a1: dropped.
                "{ id: a2, at: 2026-03-29T12:59:59+02:00, kind: x }",
                // Exactly 1d after a1 (11:00Z), though the wall clock says 25 hours: kept.
                "{ id: a3, at: 2026-03-29T13:00:00+02:00, kind: x }",
                // Two firings at one instant (11:00Z), exactly 1d after a3: the first in the
                // total order (a4-y < a4-z) is kept, the second dropped (0 < cooldown).
                "{ id: a4-z, at: 2026-03-30T11:00:00Z, kind: x }",
                "{ id: a4-y, at: 2026-03-30T13:00:00+02:00, kind: x }",
            ],
        ),
        (
            "subject: b",
            &[
                "{ id: b1, at: 2026-10-24T12:00:00+02:00, kind: x }",
                "{ id: b2, at: 2026-10-25T10:59:59+01:00, kind: x }",
                // Exactly 1d after b1 (10:00Z), though the wall clock says 23 hours: kept.
                "{ id: b3, at: 2026-10-25T11:00:00+01:00, kind: x }",
            ],
        ),
    ]);
    assert_eq!(
        flags(&rules, &timeline, AS_OF_2027),
        want(&[
            ("r", "2026-03-28T12:00:00+01:00", &["a1"]),
            ("r", "2026-03-29T12:00:00+01:00", &["a3"]),
            ("r", "2026-03-30T12:00:00+01:00", &["a4-y"]),
            ("r", "2026-10-24T11:00:00+01:00", &["b1"]),
            ("r", "2026-10-25T11:00:00+01:00", &["b3"]),
        ])
    );
}

#[test]
fn dst_absence_deadline_is_exact_hours_across_the_spring_change() {
    let rules = one("when: { absence: { after: { kind: a }, expect: { kind: e }, within: 72h } }");
    // 72 hours after 11:00Z on 03-27 is 11:00Z on 03-30: 13:00 on the summer wall clock.
    let after = "{ id: a1, at: 2026-03-27T12:00:00+01:00, kind: a }";
    let deadline = "2026-03-30T13:00:00+02:00";
    let in_time = tl(&[after, "{ id: e1, at: 2026-03-30T13:00:00+02:00, kind: e }"]);
    assert_eq!(flags(&rules, &in_time, AS_OF_2027), want(&[]));
    let late = tl(&[after, "{ id: e1, at: 2026-03-30T13:00:01+02:00, kind: e }"]);
    assert_eq!(
        flags(&rules, &late, AS_OF_2027),
        want(&[("r", deadline, &["a1"])])
    );
    // Reached exactly at the deadline, whatever offset as_of is written in; pending a second before.
    let alone = tl(&[after]);
    assert_eq!(
        flags(&rules, &alone, "2026-03-30T11:00:00Z"),
        want(&[("r", deadline, &["a1"])])
    );
    let before = report(&rules, &alone, "2026-03-30T12:59:59+02:00");
    assert!(before.flags.is_empty());
    assert_eq!(before.pending.len(), 1);
    assert_eq!(before.pending[0].deadline, ts(deadline));
}

#[test]
fn dst_window_stage_boundaries_are_exact_hours() {
    // Opened 03-25 11:00Z: urgent until 04-01 11:00Z (13:00+02:00), closes 04-24 11:00Z.
    let timeline = tl(&["{ id: a, at: 2026-03-25T12:00:00+01:00, kind: x }"]);
    let rules = one("when: { match: { kind: x } }");
    let stage = |as_of: &str| report(&rules, &timeline, as_of).flags[0].window.stage;
    assert_eq!(stage("2026-04-01T12:59:59+02:00"), Stage::Urgent);
    assert_eq!(stage("2026-04-01T13:00:00+02:00"), Stage::Open);
    assert_eq!(stage("2026-04-24T12:59:59+02:00"), Stage::Open);
    assert_eq!(stage("2026-04-24T11:00:00Z"), Stage::Closed);
}

#[test]
fn as_of_and_recorded_at_bounds_are_inclusive_instants_in_any_offset() {
    let rules = one("when: { match: { kind: x } }");
    // Happened 01:00Z, recorded 01:30Z (written in another offset).
    let timeline = tl(&[
        "{ id: a, at: 2026-03-29T02:00:00+01:00, recorded_at: 2026-03-29T03:30:00+02:00, kind: x }",
    ]);
    let at_record = report(&rules, &timeline, "2026-03-29T01:30:00Z");
    assert_eq!(
        summarize(&at_record),
        want(&[("r", "2026-03-29T02:00:00+01:00", &["a"])])
    );
    assert_eq!(at_record.flags[0].known_at, ts("2026-03-29T01:30:00Z"));
    let before = report(&rules, &timeline, "2026-03-29T03:29:59+02:00");
    assert!(before.flags.is_empty());
    assert_eq!(before.stats.ignored_after_as_of, 1);
    // Recorded an hour before it happens (the repeated autumn hour): counts from `at`, and
    // known_at is raised_at.
    let planned = tl(&[
        "{ id: p, at: 2026-10-25T02:30:00+01:00, recorded_at: 2026-10-25T02:30:00+02:00, kind: x }",
    ]);
    assert!(
        report(&rules, &planned, "2026-10-25T01:29:59Z")
            .flags
            .is_empty()
    );
    let rep = report(&rules, &planned, "2026-10-25T01:30:00Z");
    assert_eq!(rep.flags.len(), 1);
    assert_eq!(rep.flags[0].known_at, ts("2026-10-25T01:30:00Z"));
}

// ---------------------------------------------------------------------------------------------
// 2. Leap days
// ---------------------------------------------------------------------------------------------

#[test]
fn leap_28_february_to_1_march_is_one_day_in_common_years_and_two_in_leap_years() {
    let pair = |a: &str, b: &str, ids: [&str; 2]| {
        [
            format!("{{ id: {}, at: {a}T12:00:00+01:00, kind: x }}", ids[0]),
            format!("{{ id: {}, at: {b}T12:00:00+01:00, kind: x }}", ids[1]),
        ]
    };
    let cases = [
        (
            "subject: y1900",
            pair("1900-02-28", "1900-03-01", ["p1", "p2"]),
        ), // not a leap year
        (
            "subject: y2000",
            pair("2000-02-28", "2000-03-01", ["q1", "q2"]),
        ), // a leap year
        (
            "subject: y2027",
            pair("2027-02-28", "2027-03-01", ["c1", "c2"]),
        ),
        (
            "subject: y2028",
            pair("2028-02-28", "2028-03-01", ["l1", "l2"]),
        ),
        (
            "subject: y2028b",
            pair("2028-02-29", "2028-03-01", ["m1", "m2"]),
        ),
        (
            "subject: y2100",
            pair("2100-02-28", "2100-03-01", ["n1", "n2"]),
        ), // not a leap year
    ];
    let parts: Vec<(&str, Vec<&str>)> = cases
        .iter()
        .map(|(h, o)| (*h, o.iter().map(String::as_str).collect()))
        .collect();
    let parts: Vec<(&str, &[&str])> = parts.iter().map(|(h, o)| (*h, &o[..])).collect();
    let timeline = docs(&parts);
    let as_of = "2101-01-01T00:00:00+01:00";
    assert_eq!(
        flags(&count("1d", 2), &timeline, as_of),
        want(&[
            ("r", "1900-03-01T12:00:00+01:00", &["p1", "p2"]),
            ("r", "2027-03-01T12:00:00+01:00", &["c1", "c2"]),
            ("r", "2028-03-01T12:00:00+01:00", &["m1", "m2"]),
            ("r", "2100-03-01T12:00:00+01:00", &["n1", "n2"]),
        ])
    );
    // 48 hours in leap years: a 2d window takes them in.
    assert_eq!(flags(&count("2d", 2), &timeline, as_of).len(), 6);
}

#[test]
fn leap_day_in_a_common_year_is_rejected_not_moved() {
    let timeline = read(&tl(&[
        "{ id: ok, at: 2000-02-29T12:00:00+01:00, kind: x }",
        "{ id: bad-2027, at: 2027-02-29T12:00:00+01:00, kind: x }",
        "{ id: bad-1900, at: 1900-02-29T12:00:00+01:00, kind: x }",
        "{ id: bad-2100, at: 2100-02-29T12:00:00+01:00, kind: x }",
    ]));
    let rejected: Vec<Option<&str>> = timeline
        .rejected()
        .iter()
        .map(|r| r.id.as_deref())
        .collect();
    assert_eq!(
        rejected,
        [Some("bad-2027"), Some("bad-1900"), Some("bad-2100")],
        "{:?}",
        timeline.rejected()
    );
    assert!(timeline.rejected().iter().all(|r| r.line.is_some()));
    assert_eq!(timeline.observation_count(), 1);
}

#[test]
fn leap_29_february_birthday_turns_on_1_march_in_common_years_at_local_midnight() {
    let born = "2008-02-29";
    assert!(!age_at_least(born, 18, "2026-02-28T23:59:00+01:00"));
    assert!(!age_at_least(
        born,
        18,
        "2026-02-28T23:59:59.999999999+01:00"
    ));
    assert!(age_at_least(born, 18, "2026-03-01T00:00:00+01:00"));
    // The local date decides, not the instant: 03-01 11:59Z written at -12:00 is still 02-28 ...
    assert!(!age_at_least(born, 18, "2026-02-28T23:59:00-12:00"));
    // ... and 02-28 10:00Z written at +14:00 is already 03-01.
    assert!(age_at_least(born, 18, "2026-03-01T00:00:00+14:00"));
}

#[test]
fn leap_29_february_birthday_turns_on_29_february_in_leap_years() {
    let born = "2008-02-29";
    assert!(!age_at_least(born, 20, "2028-02-28T23:59:00+01:00"));
    assert!(!age_at_least(born, 20, "2028-02-28T23:59:59-12:00"));
    assert!(age_at_least(born, 20, "2028-02-29T00:00:00+01:00"));
    assert!(age_at_least(born, 20, "2028-02-29T00:00:00+14:00"));
}

#[test]
fn leap_1_march_birthday_is_not_29_february_in_leap_years() {
    let born = "2010-03-01";
    assert!(!age_at_least(born, 18, "2028-02-29T23:59:59+01:00"));
    assert!(age_at_least(born, 18, "2028-03-01T00:00:00+01:00"));
}

#[test]
fn leap_29_february_birthday_in_century_years() {
    // 2100 is not a leap year: the 100th birthday of someone born 2000-02-29 is 2100-03-01.
    assert!(!age_at_least(
        "2000-02-29",
        100,
        "2100-02-28T23:59:59+01:00"
    ));
    assert!(age_at_least("2000-02-29", 100, "2100-03-01T00:00:00+01:00"));
    // 1900 is not a leap year either.
    assert!(!age_at_least("1896-02-29", 4, "1900-02-28T23:59:59+01:00"));
    assert!(age_at_least("1896-02-29", 4, "1900-03-01T00:00:00+01:00"));
}

#[test]
fn leap_fact_valid_until_29_february_2028() {
    let fact = "{ name: residence, value: institution.open, from: 2028-02-01, until: 2028-02-29 }";
    assert!(fact_holds(fact, "2028-02-28T23:59:59+01:00"));
    assert!(!fact_holds(fact, "2028-02-29T00:00:00+01:00"));
    // Local 02-28 although the instant is 02-29 00:30Z: still valid.
    assert!(fact_holds(fact, "2028-02-28T23:30:00-01:00"));
    // Local 02-29 although the instant is 02-28 22:30Z: no longer valid.
    assert!(!fact_holds(fact, "2028-02-29T00:30:00+02:00"));
    let from_leap_day = "{ name: residence, value: institution.open, from: 2028-02-29 }";
    assert!(!fact_holds(from_leap_day, "2028-02-28T23:59:59+01:00"));
    assert!(fact_holds(from_leap_day, "2028-02-29T00:00:00+01:00"));
}

#[test]
fn leap_fact_bound_on_29_february_of_a_common_year_is_rejected() {
    let timeline = read(&doc(
        "subject: s\nfacts:\n  - { name: residence, value: institution.open, until: 2027-02-29 }",
        &["{ id: a, at: 2027-02-28T12:00:00+01:00, kind: x }"],
    ));
    assert_eq!(timeline.rejected().len(), 1, "{:?}", timeline.rejected());
    assert!(
        timeline.rejected()[0].reason.contains("2027-02-29"),
        "{:?}",
        timeline.rejected()
    );
    // The observation is kept; the subject has no fact, so the rule does not match.
    let rep = Engine::new(load(&one(IN_INSTITUTION)))
        .evaluate(&timeline, ts("2027-06-01T00:00:00+01:00"));
    assert_eq!(rep.stats.observations, 1);
    assert!(rep.flags.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 3. Equal timestamps
// ---------------------------------------------------------------------------------------------

/// One instant, 2026-03-29T01:00:00Z (the spring change itself), written three ways.
const SAME_INSTANT: [&str; 3] = [
    "2026-03-29T02:00:00+01:00",
    "2026-03-29T03:00:00+02:00",
    "2026-03-29T01:00:00Z",
];

#[test]
fn equal_instant_in_three_offsets_is_ordered_by_id_and_the_last_id_completes_the_count() {
    let timeline = tl(&[
        "{ id: b, at: 2026-03-29T03:00:00+02:00, kind: x }",
        "{ id: c, at: 2026-03-29T01:00:00Z, kind: x }",
        "{ id: a, at: 2026-03-29T02:00:00+01:00, kind: x }",
    ]);
    let rep = report(&count("1m", 3), &timeline, AS_OF_2027);
    assert_eq!(
        summarize(&rep),
        want(&[("r", SAME_INSTANT[0], &["a", "b", "c"])])
    );
    // Evidence keeps each observation's own offset.
    let offsets: Vec<i32> = rep.flags[0]
        .evidence
        .iter()
        .map(|e| e.at.offset().local_minus_utc())
        .collect();
    assert_eq!(offsets, [3600, 7200, 0]);
    // With 2, b completes the count, and c (two already in the window) does not fire again.
    assert_eq!(
        flags(&count("1m", 2), &timeline, AS_OF_2027),
        want(&[("r", SAME_INSTANT[0], &["a", "b"])])
    );
}

#[test]
fn equal_instant_ids_compare_bytewise_and_decide_which_completes_a_count() {
    // Byte order: "O-1" < "o-10" < "o-9" < "o-A" < "o-é" (0x4F < 0x6F; '1' < '9' < 'A' < 0xC3).
    let timeline = tl(&[
        "{ id: o-9, at: 2026-03-29T02:00:00+01:00, kind: x }",
        "{ id: o-é, at: 2026-03-29T03:00:00+02:00, kind: x }",
        "{ id: O-1, at: 2026-03-29T01:00:00Z, kind: x }",
        "{ id: o-A, at: 2026-03-28T13:00:00-12:00, kind: x }",
        "{ id: o-10, at: 2026-03-29T15:00:00+14:00, kind: x }",
    ]);
    let order = ["O-1", "o-10", "o-9", "o-A", "o-é"];
    for k in 1..=order.len() {
        assert_eq!(
            flags(&count("1m", k), &timeline, AS_OF_2027),
            want(&[("r", SAME_INSTANT[0], &order[..k])]),
            "at_least {k}"
        );
    }
}

#[test]
fn equal_instant_sequence_steps_follow_the_id_order() {
    let rules = one("when: { sequence: { within: 1h, steps: [ { kind: a }, { kind: b } ] } }");
    let timeline = docs(&[
        (
            "subject: fwd",
            &[
                "{ id: f2, at: 2026-03-29T01:00:00Z, kind: b }",
                "{ id: f1, at: 2026-03-29T02:00:00+01:00, kind: a }",
            ],
        ),
        // r1 (the b) comes before r2 (the a) in the total order: no chain a < b.
        (
            "subject: rev",
            &[
                "{ id: r1, at: 2026-03-29T03:00:00+02:00, kind: b }",
                "{ id: r2, at: 2026-03-29T01:00:00Z, kind: a }",
            ],
        ),
    ]);
    assert_eq!(
        flags(&rules, &timeline, AS_OF_2027),
        want(&[("r", SAME_INSTANT[0], &["f1", "f2"])])
    );
}

#[test]
fn equal_instant_until_cancels_only_when_strictly_between_in_the_total_order() {
    let rules = one(
        "when: { sequence: { within: 1h, steps: [ { kind: a }, { kind: b } ], until: { attributes.stop: true } } }",
    );
    let stop = "attributes: { stop: true }";
    let [p1, p2, z] = SAME_INSTANT;
    let timeline = docs(&[
        // The `until` is the first step itself: not strictly between.
        (
            "subject: j",
            &[
                &format!("{{ id: j1, at: {p1}, kind: a, {stop} }}"),
                &format!("{{ id: j2, at: {z}, kind: b }}"),
            ],
        ),
        // The `until` is the last step itself: not strictly between.
        (
            "subject: k",
            &[
                &format!("{{ id: k1, at: {p2}, kind: a }}"),
                &format!("{{ id: k2, at: {p1}, kind: b, {stop} }}"),
            ],
        ),
        // u1 < u2 < u3: strictly between, cancels.
        (
            "subject: u",
            &[
                &format!("{{ id: u3, at: {p1}, kind: b }}"),
                &format!("{{ id: u2, at: {p2}, kind: z, {stop} }}"),
                &format!("{{ id: u1, at: {z}, kind: a }}"),
            ],
        ),
        // v0 before the first step.
        (
            "subject: v",
            &[
                &format!("{{ id: v1, at: {p1}, kind: a }}"),
                &format!("{{ id: v2, at: {p2}, kind: b }}"),
                &format!("{{ id: v0, at: {z}, kind: z, {stop} }}"),
            ],
        ),
        // w3 after the last step.
        (
            "subject: w",
            &[
                &format!("{{ id: w3, at: {p1}, kind: z, {stop} }}"),
                &format!("{{ id: w2, at: {p2}, kind: b }}"),
                &format!("{{ id: w1, at: {z}, kind: a }}"),
            ],
        ),
    ]);
    // One instant: output order is by subject.
    assert_eq!(
        flags(&rules, &timeline, AS_OF_2027),
        want(&[
            ("r", p1, &["j1", "j2"]),
            ("r", p1, &["k1", "k2"]),
            ("r", p1, &["v1", "v2"]),
            ("r", p1, &["w1", "w2"]),
        ])
    );
}

#[test]
fn equal_instant_cooldown_keeps_the_first_in_the_total_order_and_exactly_cooldown_later() {
    let rules = one("when: { match: { kind: x } }\ncooldown: 90m");
    let timeline = tl(&[
        "{ id: m-2, at: 2026-03-29T01:00:00Z, kind: x }",
        "{ id: m-10, at: 2026-03-29T03:00:00+02:00, kind: x }",
        "{ id: m-1, at: 2026-03-29T02:00:00+01:00, kind: x }",
        // Exactly 90 minutes after the kept m-1, in two offsets: n-a kept, n-b dropped.
        "{ id: n-b, at: 2026-03-29T02:30:00Z, kind: x }",
        "{ id: n-a, at: 2026-03-29T04:30:00+02:00, kind: x }",
    ]);
    assert_eq!(
        flags(&rules, &timeline, AS_OF_2027),
        want(&[
            ("r", "2026-03-29T02:00:00+01:00", &["m-1"]),
            ("r", "2026-03-29T03:30:00+01:00", &["n-a"]),
        ])
    );
}

#[test]
fn equal_instant_same_id_in_another_offset_is_a_different_observation() {
    let rules = one("when: { match: { subject.age: { lt: 18 } } }");
    // One instant (03-28 22:30Z), two local dates: 03-29 (18 years old) and 03-28 (17).
    let summer = "{ id: a, at: 2026-03-29T00:30:00+02:00, kind: x }";
    let utc = "{ id: a, at: 2026-03-28T22:30:00Z, kind: x }";
    for (first, second, flagged) in [(summer, utc, 0), (utc, summer, 1)] {
        let timeline = read(&doc("subject: s\nborn: 2008-03-29", &[first, second]));
        // Not identical content (the age differs), so §8: rejected and reported, the first kept.
        assert_eq!(timeline.duplicates(), 0, "{first} then {second}");
        assert_eq!(
            timeline.rejected().len(),
            1,
            "{first} then {second}: {:?}",
            timeline.rejected()
        );
        let rep = Engine::new(load(&rules)).evaluate(&timeline, ts(AS_OF_2027));
        assert_eq!(rep.flags.len(), flagged, "{first} then {second}");
    }
}

#[test]
fn repeated_observation_with_recorded_at_spelled_out_as_at_counts_once() {
    let timeline = read(&tl(&[
        "{ id: a, at: 2026-03-29T02:00:00+01:00, kind: x }",
        "{ id: a, at: 2026-03-29T02:00:00+01:00, recorded_at: 2026-03-29T02:00:00+01:00, kind: x }",
    ]));
    assert!(timeline.rejected().is_empty(), "{:?}", timeline.rejected());
    assert_eq!(timeline.duplicates(), 1);
    assert_eq!(timeline.observation_count(), 1);
}

// ---------------------------------------------------------------------------------------------
// 4. Extreme but valid dates
// ---------------------------------------------------------------------------------------------

/// The latest instant RFC 3339 can write: 10000-01-01T11:59:59Z.
const LATEST: &str = "9999-12-31T23:59:59-12:00";

#[test]
fn years_1900_and_2099_windows_and_ages() {
    let timeline = docs(&[
        (
            "subject: old",
            &[
                "{ id: p1, at: 1900-01-01T00:00:00+01:00, kind: x }",
                "{ id: p2, at: 1900-01-01T23:59:59+01:00, kind: x }",
            ],
        ),
        // Across the turn of 2099 to 2100 in two offsets: exactly 24 hours.
        (
            "subject: new",
            &[
                "{ id: n1, at: 2099-12-31T12:00:00+01:00, kind: x }",
                "{ id: n2, at: 2100-01-01T13:00:00+02:00, kind: x }",
            ],
        ),
    ]);
    assert_eq!(
        flags(&count("1d", 2), &timeline, "2101-01-01T00:00:00Z"),
        want(&[
            ("r", "1900-01-01T23:59:59+01:00", &["p1", "p2"]),
            ("r", "2100-01-01T12:00:00+01:00", &["n1", "n2"]),
        ])
    );
    assert!(!age_at_least("1882-03-01", 18, "1900-02-28T23:59:59+01:00"));
    assert!(age_at_least("1882-03-01", 18, "1900-03-01T00:00:00+01:00"));
    assert!(!age_at_least("2081-12-31", 18, "2099-12-30T23:59:59+01:00"));
    assert!(age_at_least("2081-12-31", 18, "2099-12-31T00:00:00+01:00"));
}

#[test]
fn year_9999_with_plus_14_and_minus_12_offsets() {
    // The same wall clock, 26 hours apart: 9999-12-31T09:59:59Z and 10000-01-01T11:59:59Z.
    let timeline = tl(&[
        "{ id: m2, at: 9999-12-31T23:59:59-12:00, kind: x }",
        "{ id: m1, at: 9999-12-31T23:59:59+14:00, kind: x }",
    ]);
    assert_eq!(flags(&count("1d", 2), &timeline, LATEST), want(&[]));
    let rep = report(&count("26h", 2), &timeline, LATEST);
    assert_eq!(summarize(&rep), want(&[("r", LATEST, &["m1", "m2"])]));
    let w = &rep.flags[0].window;
    assert_eq!(w.opened_at, ts("9999-12-31T23:59:59+14:00"));
    // Instants past year 9999 are held at its last second, in their offset (RFC 3339 has
    // four-digit years, and everything the crate writes must read back).
    assert_eq!(w.urgent_until, ts("9999-12-31T23:59:59+14:00"));
    // So the window has no length, and is closed at LATEST.
    assert_eq!(w.stage, Stage::Closed);
    assert!(serde_json::to_string(&rep).is_ok());
    // Before either happened, nothing counts.
    let early = report(&count("26h", 2), &timeline, "9999-12-31T09:59:58Z");
    assert!(early.flags.is_empty());
    assert_eq!(early.stats.ignored_after_as_of, 2);
}

#[test]
fn windows_and_deadlines_past_year_9999_do_not_panic() {
    let rules = format!(
        "rules:\n{}{}",
        rule(
            "m",
            "when: { match: { kind: x } }\nwindow: { urgent: 7d, closes: 1000d }"
        ),
        rule(
            "n",
            "when: { absence: { after: { kind: x }, expect: { kind: y }, within: 100w } }"
        ),
    );
    let at = "9999-12-31T23:59:59+14:00";
    let rep = report(
        &rules,
        &tl(&[&format!("{{ id: a, at: {at}, kind: x }}")]),
        LATEST,
    );
    // Held at the last second of year 9999 in the observation's offset, so that every instant
    // written is RFC 3339 with a four-digit year: the absence deadline is then reached at once.
    assert_eq!(
        summarize(&rep),
        want(&[("m", at, &["a"]), ("n", at, &["a"])])
    );
    let w = &rep.flags[0].window;
    assert_eq!(w.closes_at, ts(at));
    assert!(rep.pending.is_empty());
    let json = serde_json::to_string(&rep).unwrap();
    assert!(!json.contains("\"+10"), "{json}");
}

#[test]
fn as_of_far_in_the_future_closes_every_window_and_reaches_every_deadline() {
    let rules = format!(
        "rules:\n{}{}",
        rule("m", "when: { match: { kind: x } }"),
        rule(
            "n",
            "when: { absence: { after: { kind: x }, expect: { kind: y }, within: 72h } }"
        ),
    );
    let timeline = tl(&["{ id: a, at: 2026-03-28T12:00:00+01:00, kind: x }"]);
    for as_of in ["9999-12-31T23:59:59+14:00", LATEST] {
        let rep = report(&rules, &timeline, as_of);
        assert_eq!(
            summarize(&rep),
            want(&[
                ("m", "2026-03-28T12:00:00+01:00", &["a"]),
                ("n", "2026-03-31T12:00:00+01:00", &["a"]),
            ])
        );
        assert!(rep.flags.iter().all(|f| f.window.stage == Stage::Closed));
        assert!(rep.pending.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Very long timelines
// ---------------------------------------------------------------------------------------------

/// `n` observations of one subject as JSON Lines in a shuffled line order, and for each its
/// (UTC second, id, whether it counts): gaps of 0–40 minutes (0 gives equal instants), kinds x
/// (counts) and y, written in five offsets.
fn long_timeline(n: usize, seed: u64) -> (String, Vec<(i64, String, bool)>) {
    let offsets = [3600, 7200, 0, -12 * 3600, 14 * 3600];
    let mut t = ts("2026-01-01T00:00:00+01:00").timestamp();
    let mut x = seed;
    let mut lines = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for i in 0..n {
        x = lcg(x);
        t += ((x >> 33) % 41) as i64 * 60;
        let counts = !(x >> 20).is_multiple_of(5);
        let off = FixedOffset::east_opt(offsets[((x >> 40) % 5) as usize]).unwrap();
        let at = DateTime::from_timestamp(t, 0)
            .unwrap()
            .with_timezone(&off)
            .to_rfc3339();
        let id = format!("o-{i}");
        let kind = if counts { "x" } else { "y" };
        lines.push(format!(
            r#"{{"subject":"long","id":"{id}","at":"{at}","kind":"{kind}"}}"#
        ));
        truth.push((t, id, counts));
    }
    shuffle(&mut lines, seed);
    (lines.join("\n") + "\n", truth)
}

/// The firings of `count: {match: {kind: x}, within: <within_s seconds>, at_least: k}` straight
/// from design §5, by brute force: sort by (at, id bytes); W(o) = counted observations at or before
/// o in that order with at ≥ o.at − within; fire iff |W(o)| ≥ k and |W(o)| − 1 < k.
fn brute_force_count(
    truth: &[(i64, String, bool)],
    within_s: i64,
    k: usize,
) -> Vec<(i64, Vec<String>)> {
    let mut obs: Vec<&(i64, String, bool)> = truth.iter().filter(|o| o.2).collect();
    obs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.as_bytes().cmp(b.1.as_bytes())));
    let mut out = Vec::new();
    for i in 0..obs.len() {
        let w: Vec<&String> = (0..=i)
            .rev()
            .take_while(|&j| obs[j].0 >= obs[i].0 - within_s)
            .map(|j| &obs[j].1)
            .collect();
        if w.len() >= k && w.len() - 1 < k {
            out.push((obs[i].0, w.into_iter().rev().cloned().collect()));
        }
    }
    out
}

fn long_timeline_matches_brute_force(n: usize, seed: u64) {
    let (jsonl, truth) = long_timeline(n, seed);
    let mut timeline = Timeline::new();
    timeline.read_jsonl("long.jsonl", jsonl.as_bytes());
    assert!(
        timeline.rejected().is_empty(),
        "{:?}",
        &timeline.rejected()[..1]
    );
    assert_eq!(timeline.observation_count(), n);
    let rep = Engine::new(load(&count("1h", 3))).evaluate(&timeline, ts("2100-01-01T00:00:00Z"));
    assert_eq!(rep.stats.observations, n);
    let mut got: Vec<(i64, Vec<String>)> = rep
        .flags
        .iter()
        .map(|f| {
            (
                f.raised_at.timestamp(),
                f.evidence
                    .iter()
                    .map(|e| e.observation.to_string())
                    .collect(),
            )
        })
        .collect();
    got.sort();
    let mut expected = brute_force_count(&truth, 3600, 3);
    expected.sort();
    assert!(expected.len() > n / 20, "the case should fire often");
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
}

#[test]
fn long_timeline_of_10000_observations_matches_a_brute_force_count() {
    long_timeline_matches_brute_force(10_000, 1);
}

#[test]
fn long_timeline_of_50000_observations_matches_a_brute_force_count() {
    long_timeline_matches_brute_force(50_000, 2);
}

// ---------------------------------------------------------------------------------------------
// 6. Byte-identical output
// ---------------------------------------------------------------------------------------------

fn workload() -> Workload {
    generate(&WorkloadConfig {
        seed: 11,
        subjects: 120,
        observations_per_subject: 30,
        recruitment_share: 0.5,
        ..WorkloadConfig::default()
    })
}

const WORKLOAD_END: &str = "2027-01-15T00:00:00+01:00";

/// The workload's records added in a shuffled order, profiles interleaved with observations.
fn shuffled_timeline(w: &Workload, rules: &RuleSet, seed: u64) -> Timeline {
    enum Rec<'a> {
        Subject(&'a early_signal::Subject),
        Obs(&'a str, &'a Observation),
    }
    let mut recs: Vec<Rec<'_>> = w.subjects.iter().map(Rec::Subject).collect();
    recs.extend(w.observations.iter().map(|(s, o)| Rec::Obs(s.as_str(), o)));
    shuffle(&mut recs, seed);
    let mut tl = rules.new_timeline();
    for r in recs {
        match r {
            Rec::Subject(s) => tl.add_subject(s.clone()).unwrap(),
            Rec::Obs(s, o) => tl.add_observation(s, o.clone()).unwrap(),
        }
    }
    tl
}

#[test]
fn evaluate_is_byte_identical_across_runs_and_insertion_orders() {
    let w = workload();
    let rules = RuleSet::builtin();
    let engine = Engine::new(rules.clone());
    let as_of = ts(WORKLOAD_END);
    let timeline = w.timeline(&rules).unwrap();
    let first = serde_json::to_string(&engine.evaluate(&timeline, as_of)).unwrap();
    let rep = engine.evaluate(&timeline, as_of);
    assert!(rep.flags.len() >= 20, "{} flags", rep.flags.len());
    for _ in 0..4 {
        assert_eq!(
            serde_json::to_string(&engine.evaluate(&timeline, as_of)).unwrap(),
            first
        );
    }
    for seed in [1, 2, 3] {
        let shuffled = shuffled_timeline(&w, &rules, seed);
        assert_eq!(
            serde_json::to_string(&engine.evaluate(&shuffled, as_of)).unwrap(),
            first,
            "insertion order {seed}"
        );
    }
}

#[cfg(feature = "cli")]
#[test]
fn cli_eval_json_and_jsonl_are_byte_identical_across_runs() {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/timelines");
    let mut yaml: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    yaml.sort();
    assert!(yaml.len() >= 3, "{yaml:?}");
    let run = |files: &[PathBuf], extra: &[&str], format: &str| -> Vec<u8> {
        let out = Command::new(env!("CARGO_BIN_EXE_early-signal"))
            .arg("eval")
            .args(files)
            .args(extra)
            .args(["--as-of", "2026-12-01T00:00:00+01:00", "--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let subjects = dir.join("subjects.jsonl");
    let jsonl = [dir.join("observations.jsonl")];
    let subjects_arg = ["--subjects", subjects.to_str().unwrap()];
    for format in ["json", "jsonl"] {
        let first = run(&yaml, &[], format);
        assert!(first.len() > 100, "{}", String::from_utf8_lossy(&first));
        assert_eq!(first, run(&yaml, &[], format), "--format {format}");
        let bulk = run(&jsonl, &subjects_arg, format);
        assert!(bulk.len() > 100, "{}", String::from_utf8_lossy(&bulk));
        assert_eq!(
            bulk,
            run(&jsonl, &subjects_arg, format),
            "--format {format}"
        );
    }
    // The flags alone do not depend on the order of the input files.
    let mut reversed = yaml.clone();
    reversed.reverse();
    assert_eq!(run(&yaml, &[], "jsonl"), run(&reversed, &[], "jsonl"));
}

/// The workload fed to a fresh monitor in record order: every event (or refusal) as JSON, then
/// the snapshot after advancing to the end.
fn monitor_run(w: &Workload) -> (Vec<String>, String, Monitor) {
    let mut m = Monitor::new(Engine::new(RuleSet::builtin()), MonitorConfig::default());
    let mut log = Vec::new();
    let mut note = |r: Result<Vec<Event>, early_signal::MonitorError>| match r {
        Ok(events) => log.extend(events.iter().map(|e| serde_json::to_string(e).unwrap())),
        Err(e) => log.push(format!("refused: {e}")),
    };
    for s in &w.subjects {
        note(m.set_subject(s.clone()));
    }
    for (s, o) in &w.observations {
        note(m.observe(s, o.clone()));
    }
    note(Ok(m.advance_to(ts(WORKLOAD_END))));
    let snap = m.snapshot();
    (log, snap, m)
}

#[test]
fn monitor_events_and_snapshots_are_byte_identical_for_the_same_stream() {
    let w = workload();
    let (events_a, snap_a, a) = monitor_run(&w);
    let (events_b, snap_b, b) = monitor_run(&w);
    assert!(events_a.len() >= 20, "{} events", events_a.len());
    assert_eq!(events_a, events_b);
    assert_eq!(snap_a, snap_b);
    assert_eq!(
        serde_json::to_string(&a.flags()).unwrap(),
        serde_json::to_string(&b.flags()).unwrap()
    );
    // A restored monitor writes the same snapshot again.
    let restored = Monitor::restore(Engine::new(RuleSet::builtin()), &snap_a).unwrap();
    assert_eq!(restored.snapshot(), snap_a);
}

#[test]
fn monitor_equal_instants_in_any_arrival_order_net_to_the_batch_flags() {
    let rules = || Engine::new(load(&count("1m", 3)));
    let records = [
        ("o-9", "2026-03-29T02:00:00+01:00"),
        ("o-é", "2026-03-29T03:00:00+02:00"),
        ("O-1", "2026-03-29T01:00:00Z"),
        ("o-A", "2026-03-28T13:00:00-12:00"),
        ("o-10", "2026-03-29T15:00:00+14:00"),
    ];
    for seed in 0..6 {
        let mut order = records;
        shuffle(&mut order, seed);
        let mut m = Monitor::new(rules(), MonitorConfig::default());
        let mut net: Vec<(early_signal::FlagId, Vec<String>)> = Vec::new();
        for (id, at) in order {
            for e in m.observe("s", Observation::new(id, ts(at), "x")).unwrap() {
                match e {
                    Event::Raised(f) => {
                        net.retain(|(i, _)| *i != f.id);
                        let ev = f
                            .evidence
                            .iter()
                            .map(|e| e.observation.to_string())
                            .collect();
                        net.push((f.id, ev));
                    }
                    Event::Withdrawn { id, .. } => net.retain(|(i, _)| *i != id),
                }
            }
        }
        let ev: Vec<Vec<String>> = net.into_iter().map(|(_, ev)| ev).collect();
        assert_eq!(ev, [["O-1", "o-10", "o-9"]], "arrival order {order:?}");
    }
}

#[test]
fn monitor_snapshot_with_a_deadline_past_year_9999_restores() {
    let rules = one(
        "when: { absence: { after: { kind: x }, expect: { kind: y }, within: 4h } }\ncooldown: 1d",
    );
    let engine = || Engine::new(load(&rules));
    let mut m = Monitor::new(engine(), MonitorConfig::default());
    // Deadline 10000-01-01T00:00:00+14:00, held at 9999-12-31T23:59:59+14:00 (RFC 3339 years
    // have four digits), reached at LATEST.
    m.observe(
        "s",
        Observation::new("a", ts("9999-12-31T20:00:00+14:00"), "x"),
    )
    .unwrap();
    let events = m.advance_to(ts(LATEST));
    assert!(
        matches!(&events[..], [Event::Raised(f)] if f.raised_at == ts("9999-12-31T23:59:59+14:00")),
        "{events:?}"
    );
    let snap = m.snapshot();
    let restored = Monitor::restore(engine(), &snap)
        .unwrap_or_else(|e| panic!("snapshot does not restore: {e}\n{snap}"));
    assert_eq!(restored.snapshot(), snap);
}

/// The flags one evaluation raises for one youth share their evidence and explanations (in
/// groups of up to 64 KiB of text): with thousands of flags for each of two youths, every flag
/// still has its own evidence and the explanation of that evidence, nothing of a neighbour's.
#[test]
fn thousands_of_flags_of_one_youth_each_keep_their_own_evidence_and_explanation() {
    let rules = one("when: { match: { kind: x } }");
    let ats: Vec<String> = (0..2500)
        .map(|i| {
            let at = ts("2026-03-02T00:00:00+01:00") + chrono::TimeDelta::minutes(i);
            at.to_rfc3339()
        })
        .collect();
    let parts: Vec<(String, Vec<String>)> = ["s", "t"]
        .iter()
        .map(|s| {
            let obs = ats
                .iter()
                .enumerate()
                .map(|(i, at)| format!("{{ id: {s}-{i:04}, at: \"{at}\", kind: x }}"))
                .collect();
            (format!("subject: {s}"), obs)
        })
        .collect();
    let parts: Vec<(&str, Vec<&str>)> = parts
        .iter()
        .map(|(h, o)| (h.as_str(), o.iter().map(String::as_str).collect()))
        .collect();
    let parts: Vec<(&str, &[&str])> = parts.iter().map(|(h, o)| (*h, &o[..])).collect();
    let r = report(&rules, &docs(&parts), AS_OF_2027);
    assert_eq!(r.flags.len(), 5000);
    let text: usize = r.flags.iter().map(|f| f.explanation.len()).sum();
    assert!(text > 2 * 64 * 1024, "only {text} bytes of explanations");
    for f in &r.flags {
        let [e] = f.evidence.as_slice() else {
            panic!("{} has evidence {:?}", f.id, f.evidence)
        };
        assert!(e.observation.starts_with(f.subject.as_str()), "{f:?}");
        assert_eq!(e.at, f.raised_at);
        let at = ats
            .get(e.observation[2..].parse::<usize>().expect("a number"))
            .expect("an observation");
        assert_eq!(
            f.explanation,
            format!("test rule r: `x` recorded at {at} (rule r v1)")
        );
    }
}
