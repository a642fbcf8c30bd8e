//! `Engine::explain` agrees with the evaluator: its flags are the evaluator's, and the
//! observations it says are missing make the rule fire when added (issue 7).

use early_signal::generate::{WorkloadConfig, generate};
use early_signal::{Engine, Explanation, RuleSet, Timeline, Timestamp};
use std::collections::BTreeMap;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Adds the suggestion to a copy of the timeline and evaluates at its time: the rule must flag
/// the subject, with a suggested observation as evidence when there are any.
fn suggestion_fires(engine: &Engine, timeline: &Timeline, why: &Explanation) -> Option<bool> {
    let s = why.near_miss.as_ref()?.suggestion.as_ref()?;
    // What was known at as_of, plus the suggestion.
    let mut tl = known_at(timeline, why.as_of);
    for o in &s.observations {
        tl.add_observation(&why.subject, o.clone())
            .unwrap_or_else(|e| panic!("suggested observation refused: {e}\n{why}"));
    }
    let report = engine.evaluate(&tl, s.evaluate_at);
    let fired = report.flags.iter().any(|f| {
        f.rule == why.rule
            && f.subject == why.subject
            && (s.observations.is_empty()
                || f.evidence
                    .iter()
                    .any(|e| s.observations.iter().any(|o| o.id == e.observation)))
    });
    Some(fired)
}

/// The records of `timeline` written by `as_of`.
fn known_at(timeline: &Timeline, as_of: Timestamp) -> Timeline {
    let mut tl = Timeline::with_vocabulary(std::sync::Arc::new(
        RuleSet::builtin().vocabulary().unwrap().clone(),
    ));
    for st in timeline.subjects() {
        tl.add_subject(st.subject().clone()).unwrap();
        for o in st.observations().iter().filter(|o| o.recorded() <= as_of) {
            tl.add_observation(&st.subject().id, o.clone()).unwrap();
        }
    }
    tl
}

#[test]
fn near_misses_on_a_synthetic_region_are_completed_by_their_suggestions() {
    let workload = generate(&WorkloadConfig {
        subjects: 150,
        observations_per_subject: 40,
        days: 120,
        recruitment_share: 0.2,
        ..WorkloadConfig::default()
    });
    let rules = RuleSet::builtin();
    let timeline = workload.timeline(&rules).unwrap();
    let engine = Engine::new(rules.clone());
    // Mid-period and at the end: some windows open, some closed.
    let mut checked: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for as_of in [
        ts("2026-02-20T12:00:00+01:00"),
        ts("2026-05-01T00:00:00+02:00"),
    ] {
        let report = engine.evaluate(&timeline, as_of);
        for st in timeline.subjects().take(40) {
            let subject = st.subject().id.as_str();
            for rule in rules.rules() {
                let why = engine.explain(&timeline, &rule.id, subject, as_of).unwrap();
                // The firings are exactly the evaluator's.
                let mut expected: Vec<&str> = report
                    .flags
                    .iter()
                    .filter(|f| f.rule == rule.id && f.subject == subject)
                    .map(|f| f.id.as_str())
                    .collect();
                let mut got: Vec<&str> = why.flags.iter().map(|f| f.id.as_str()).collect();
                expected.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, expected, "{why}");
                if why.flags.is_empty() {
                    assert!(
                        why.near_miss.as_ref().is_some_and(|m| m.scope.is_none()),
                        "{why}"
                    );
                }
                let entry = checked.entry(rule.pattern_name()).or_default();
                entry.0 += usize::from(why.near_miss.is_some());
                if let Some(fired) = suggestion_fires(&engine, &timeline, &why) {
                    assert!(fired, "the suggestion does not make the rule fire:\n{why}");
                    entry.1 += 1;
                }
            }
        }
    }
    // Every pattern was exercised, and most near misses came with a checked suggestion.
    for pattern in ["match", "count", "sequence", "absence", "signals"] {
        let (misses, suggested) = checked.get(pattern).copied().unwrap_or_default();
        assert!(misses > 0, "no near miss for {pattern}: {checked:?}");
        assert!(
            suggested * 2 >= misses,
            "{pattern}: only {suggested} of {misses} near misses have a suggestion"
        );
    }
}

const RULES: &str = r#"
rules:
  - id: three-new-contacts
    version: 1
    title: Three new contacts within a week
    class: risk
    severity: medium
    rationale: synthetic test rule
    when:
      count: { match: { kind: contact.new }, within: 7d, at_least: 3, distinct: counterpart }
    unless:
      - reason: family members are not the pattern this rule is about
        match: { attributes.relation: family }
  - id: contact-then-meeting
    version: 1
    title: Contact then meeting with the same person
    class: risk
    severity: high
    rationale: synthetic test rule
    when:
      sequence:
        within: 7d
        by: counterpart
        steps:
          - { kind: contact.new }
          - { kind: meeting.in_person }
        until: { kind: safety.check }
  - id: no-interview
    version: 1
    title: No return interview
    class: risk
    severity: medium
    rationale: synthetic test rule
    when:
      absence:
        after: { kind: missing.episode.end }
        expect: { kind: return.interview }
        within: 72h
"#;

fn custom() -> (Engine, RuleSet) {
    let vocab = std::fs::read_to_string("rules/vocabulary.yaml").unwrap();
    let rules =
        RuleSet::from_sources([("vocabulary.yaml", vocab.as_str()), ("t.yaml", RULES)]).unwrap();
    (Engine::new(rules.clone()), rules)
}

fn timeline(rules: &RuleSet, yaml: &str) -> Timeline {
    let mut tl = rules.new_timeline();
    tl.read_yaml("t.yaml", yaml).unwrap();
    assert!(tl.rejected().is_empty(), "{:?}", tl.rejected());
    tl
}

#[test]
fn a_count_two_of_three_names_the_two_and_the_deadline() {
    let (engine, rules) = custom();
    let tl = timeline(
        &rules,
        "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: contact.new, counterpart: c1 }
  - { id: o-2, at: 2026-03-05T09:00:00+01:00, kind: contact.new, counterpart: c2 }
  - { id: o-9, at: 2026-03-06T09:00:00+01:00, kind: contact.new, counterpart: c9, attributes: { relation: family } }
",
    );
    let why = engine
        .explain(
            &tl,
            "three-new-contacts",
            "y-1",
            ts("2026-03-07T00:00:00+01:00"),
        )
        .unwrap();
    insta::assert_snapshot!(why.to_string());
    assert_eq!(suggestion_fires(&engine, &tl, &why), Some(true));
}

#[test]
fn a_sequence_names_the_step_that_never_matched_and_a_cancelling_until() {
    let (engine, rules) = custom();
    let tl = timeline(
        &rules,
        "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: contact.new, counterpart: c1 }
  - { id: o-2, at: 2026-03-03T10:00:00+01:00, kind: meeting.in_person, counterpart: c2 }
",
    );
    let as_of = ts("2026-03-04T00:00:00+01:00");
    let why = engine
        .explain(&tl, "contact-then-meeting", "y-1", as_of)
        .unwrap();
    insta::assert_snapshot!("sequence_step_2", why.to_string());
    assert_eq!(suggestion_fires(&engine, &tl, &why), Some(true));

    let cancelled = timeline(
        &rules,
        "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: contact.new, counterpart: c1 }
  - { id: o-2, at: 2026-03-02T12:00:00+01:00, kind: safety.check }
  - { id: o-3, at: 2026-03-03T10:00:00+01:00, kind: meeting.in_person, counterpart: c1 }
",
    );
    let why = engine
        .explain(&cancelled, "contact-then-meeting", "y-1", as_of)
        .unwrap();
    insta::assert_snapshot!("sequence_cancelled", why.to_string());
}

#[test]
fn an_absence_says_what_met_the_wait_or_when_it_will_flag() {
    let (engine, rules) = custom();
    let tl = timeline(
        &rules,
        "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: missing.episode.end }
  - { id: o-2, at: 2026-03-03T10:00:00+01:00, kind: return.interview }
  - { id: o-3, at: 2026-03-10T10:00:00+01:00, kind: missing.episode.end }
",
    );
    let early = engine
        .explain(&tl, "no-interview", "y-1", ts("2026-03-11T00:00:00+01:00"))
        .unwrap();
    insta::assert_snapshot!("absence_waiting", early.to_string());
    assert_eq!(suggestion_fires(&engine, &tl, &early), Some(true));
    let met = engine
        .explain(&tl, "no-interview", "y-1", ts("2026-03-04T00:00:00+01:00"))
        .unwrap();
    insta::assert_snapshot!("absence_met", met.to_string());
    assert_eq!(suggestion_fires(&engine, &tl, &met), Some(true));
}

#[test]
fn unknown_rules_and_subjects_are_named_with_a_hint() {
    let (engine, rules) = custom();
    let tl = timeline(
        &rules,
        "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: contact.new, counterpart: c1 }
",
    );
    let at = ts("2026-03-04T00:00:00+01:00");
    let e = engine
        .explain(&tl, "three-new-contact", "y-1", at)
        .unwrap_err();
    assert!(
        e.to_string().contains("did you mean `three-new-contacts`"),
        "{e}"
    );
    let e = engine
        .explain(&tl, "three-new-contacts", "z-9", at)
        .unwrap_err();
    assert!(e.to_string().contains("`y-1`"), "{e}");
}

#[test]
fn json_output_has_the_near_miss_and_the_suggestion() {
    let (engine, rules) = custom();
    let tl = timeline(
        &rules,
        "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: contact.new, counterpart: c1 }
",
    );
    let why = engine
        .explain(
            &tl,
            "contact-then-meeting",
            "y-1",
            ts("2026-03-04T00:00:00+01:00"),
        )
        .unwrap();
    let j = why.to_json();
    assert_eq!(j["rule"], "contact-then-meeting");
    assert_eq!(j["near_miss"]["evidence"][0], "o-1");
    assert_eq!(
        j["near_miss"]["suggestion"]["observations"][0]["kind"],
        "meeting.in_person"
    );
    assert_eq!(
        j["near_miss"]["suggestion"]["observations"][0]["counterpart"],
        "c1"
    );
}

#[test]
fn a_distinct_count_stays_open_until_its_values_were_last_seen_a_window_ago() {
    let (engine, rules) = custom();
    let text = "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: contact.new, counterpart: c1 }
  - { id: o-2, at: 2026-03-05T09:00:00+01:00, kind: contact.new, counterpart: c2 }
  - { id: o-3, at: 2026-03-06T10:00:00+01:00, kind: contact.new, counterpart: c1 }
";
    let tl = timeline(&rules, text);
    let why = engine
        .explain(
            &tl,
            "three-new-contacts",
            "y-1",
            ts("2026-03-07T00:00:00+01:00"),
        )
        .unwrap();
    let miss = why.near_miss.as_ref().unwrap();
    // c2 was last seen on 5 Mar 09:00, c1 on 6 Mar: the window holds both until 12 Mar 09:00.
    assert!(
        miss.missing.contains("at or before 12 Mar 2026 09:00"),
        "{why}"
    );
    let third = |at: &str| {
        let mut tl = timeline(&rules, text);
        let mut o = early_signal::Observation::new("o-4", ts(at), "contact.new");
        o.counterpart = Some("c3".into());
        tl.add_observation("y-1", o).unwrap();
        engine
            .evaluate(&tl, ts("2026-03-20T00:00:00+01:00"))
            .flags
            .iter()
            .any(|f| f.rule == "three-new-contacts")
    };
    assert!(third("2026-03-12T09:00:00+01:00"));
    assert!(!third("2026-03-12T09:01:00+01:00"));
}

#[test]
fn a_rule_that_fired_for_one_counterpart_explains_the_others() {
    let (engine, rules) = custom();
    let tl = timeline(
        &rules,
        "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: contact.new, counterpart: c1 }
  - { id: o-2, at: 2026-03-03T10:00:00+01:00, kind: meeting.in_person, counterpart: c1 }
  - { id: o-3, at: 2026-03-04T10:00:00+01:00, kind: contact.new, counterpart: c2 }
",
    );
    let why = engine
        .explain(
            &tl,
            "contact-then-meeting",
            "y-1",
            ts("2026-03-05T00:00:00+01:00"),
        )
        .unwrap();
    assert_eq!(why.flags.len(), 1);
    let miss = why.near_miss.as_ref().expect("a near miss for c2");
    assert_eq!(miss.scope.as_deref(), Some("counterpart other than c1"));
    assert_eq!(miss.evidence, vec!["o-3"]);
    assert_eq!(suggestion_fires(&engine, &tl, &why), Some(true));
}

#[test]
fn records_written_after_as_of_do_not_decide_a_what_if() {
    let (engine, rules) = custom();
    // The interview happened in time but was written down after as_of.
    let tl = timeline(
        &rules,
        "
subject: y-1
observations:
  - { id: o-1, at: 2026-03-02T10:00:00+01:00, kind: missing.episode.end }
  - { id: o-2, at: 2026-03-03T10:00:00+01:00, recorded_at: 2026-03-06T10:00:00+01:00, kind: return.interview }
",
    );
    let why = engine
        .explain(&tl, "no-interview", "y-1", ts("2026-03-03T12:00:00+01:00"))
        .unwrap();
    let s = why
        .near_miss
        .as_ref()
        .unwrap()
        .suggestion
        .as_ref()
        .expect("a wait");
    assert!(s.observations.is_empty(), "{why}");
    assert_eq!(s.evaluate_at, ts("2026-03-05T10:00:00+01:00"));
}

#[test]
fn a_profile_that_blocks_the_rule_is_named_when_no_example_can_be_built() {
    let rules = RuleSet::builtin();
    let engine = Engine::new(rules.clone());
    let tl = timeline(
        &rules,
        "
subject: y-7
born: 2010-01-01
facts:
  - { name: residence, value: home }
observations:
  - { id: o-1, at: 2026-03-02T22:00:00+01:00, kind: missing.episode, attributes: { overnight: true } }
",
    );
    let why = engine
        .explain(
            &tl,
            "missing-from-institution",
            "y-7",
            ts("2026-03-05T00:00:00+01:00"),
        )
        .unwrap();
    let miss = why.near_miss.as_ref().unwrap();
    assert!(miss.suggestion.is_none(), "{why}");
    assert!(
        miss.profile
            .iter()
            .any(|p| p.starts_with("subject.residence is home")),
        "{why}"
    );
}

/// An absence suggestion is checked at the time it gives (the later of its deadline and
/// `as_of`), not at the deadline alone: an `expect` recorded after the deadline but before
/// `as_of` meets the wait. Found by the reference-model property test: the suggestion
/// `k.c` for counterpart c-2 at 18:01 was "checked" at its deadline, before o-1 was recorded,
/// and did not fire when evaluated at `as_of`.
#[test]
fn an_absence_suggestion_is_checked_when_it_says() {
    let rules = RuleSet::from_sources([(
        "gen.yaml",
        r#"
rules:
  - id: r-1
    version: 1
    title: generated rule r-1
    class: risk
    severity: low
    rationale: a wait after `k.c` for anything but `*.b`
    when:
      absence:
        after: {kind: "k.c"}
        expect: {kind: {not: "*.b"}}
        within: 2880m
        by: counterpart
"#,
    )])
    .unwrap();
    let engine = Engine::new(rules.clone());
    let mut tl = rules.new_timeline();
    tl.read_yaml(
        "t.yaml",
        "
subject: y-9
observations:
  - {id: o-1, at: 2026-03-11T18:00:00Z, recorded_at: 2026-03-12T00:00:00Z, kind: k.c, counterpart: c-2}
  - {id: o-2, at: 2026-03-09T18:00:00Z, kind: k.a, counterpart: c-1}
",
    )
    .unwrap();
    let as_of = ts("2026-09-17T00:00:00Z");
    let why = engine.explain(&tl, "r-1", "y-9", as_of).unwrap();
    let Some(s) = why.near_miss.as_ref().and_then(|m| m.suggestion.as_ref()) else {
        return;
    };
    assert!(s.evaluate_at >= as_of, "{why}");
    let mut known = rules.new_timeline();
    known
        .read_yaml("t.yaml", "subject: y-9\nobservations: []\n")
        .unwrap();
    for st in tl.subjects() {
        for o in st.observations() {
            known.add_observation("y-9", o.clone()).unwrap();
        }
    }
    for o in &s.observations {
        known.add_observation("y-9", o.clone()).unwrap();
    }
    let report = engine.evaluate(&known, s.evaluate_at);
    assert!(
        report.flags.iter().any(|f| f
            .evidence
            .iter()
            .any(|e| s.observations.iter().any(|o| o.id == e.observation))),
        "the suggestion does not fire:\n{why}"
    );
}
