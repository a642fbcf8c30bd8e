//! The incremental monitor: events, late data, limits, erasure and snapshots. Equivalence with
//! batch evaluation on random rules and timelines is a property test in `reference_model.rs`.

use early_signal::{
    Duration, Engine, Event, FlagId, Monitor, MonitorConfig, MonitorError, Observation, RuleSet,
    SnapshotError, Subject, Timestamp,
};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn obs(id: &str, at: &str, kind: &str) -> Observation {
    Observation::new(id, ts(at), kind)
}

fn with_counterpart(mut o: Observation, c: &str) -> Observation {
    o.counterpart = Some(c.into());
    o
}

const RULES: &str = r#"
rules:
  - id: three-in-a-week
    version: 1
    title: three x within 7 days
    class: risk
    severity: medium
    rationale: test
    when: { count: { match: { kind: x }, within: 7d, at_least: 3 } }
  - id: contact-then-meeting
    version: 1
    title: contact then meeting
    class: risk
    severity: high
    rationale: test
    when:
      sequence:
        within: 7d
        by: counterpart
        steps: [ { kind: contact }, { kind: meeting } ]
        until: { kind: check }
  - id: no-interview
    version: 1
    title: no interview within 72h
    class: risk
    severity: medium
    rationale: test
    when: { absence: { after: { kind: end }, expect: { kind: interview }, within: 72h } }
  - id: minor-stay
    version: 1
    title: minor stay
    class: risk
    severity: high
    rationale: test
    when: { match: { kind: stay, subject.age: { lt: 18 } } }
"#;

fn monitor(config: MonitorConfig) -> Monitor {
    Monitor::new(
        Engine::new(RuleSet::from_yaml_str("rules.yaml", RULES).unwrap()),
        config,
    )
}

fn raised(events: &[Event]) -> Vec<(String, Vec<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Raised(f) => Some((
                f.rule.to_string(),
                f.evidence
                    .iter()
                    .map(|e| e.observation.to_string())
                    .collect(),
            )),
            Event::Withdrawn { .. } => None,
        })
        .collect()
}

fn withdrawn(events: &[Event]) -> Vec<FlagId> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Withdrawn { id, .. } => Some(*id),
            Event::Raised(_) => None,
        })
        .collect()
}

#[test]
fn the_flag_comes_with_the_deciding_observation() {
    let mut m = monitor(MonitorConfig::default());
    assert!(
        m.observe("y", obs("a", "2026-03-01T10:00:00+01:00", "x"))
            .unwrap()
            .is_empty()
    );
    assert!(
        m.observe("y", obs("b", "2026-03-02T10:00:00+01:00", "x"))
            .unwrap()
            .is_empty()
    );
    let events = m
        .observe("y", obs("c", "2026-03-03T10:00:00+01:00", "x"))
        .unwrap();
    assert_eq!(
        raised(&events),
        [(
            "three-in-a-week".to_owned(),
            vec!["a".into(), "b".into(), "c".into()]
        )]
    );
    assert_eq!(m.flags().len(), 1);
}

#[test]
fn a_late_observation_moves_a_count_flag() {
    let mut m = monitor(MonitorConfig::default());
    m.observe("y", obs("b", "2026-03-02T10:00:00+01:00", "x"))
        .unwrap();
    m.observe("y", obs("c", "2026-03-03T10:00:00+01:00", "x"))
        .unwrap();
    let first = m
        .observe("y", obs("d", "2026-03-04T10:00:00+01:00", "x"))
        .unwrap();
    let old_id = match &first[..] {
        [Event::Raised(f)] => f.id,
        other => panic!("{other:?}"),
    };
    // `a` happened before the others but arrives last: the threshold is now crossed at `c`.
    let events = m
        .observe("y", obs("a", "2026-03-01T10:00:00+01:00", "x"))
        .unwrap();
    assert_eq!(withdrawn(&events), [old_id]);
    assert_eq!(
        raised(&events),
        [(
            "three-in-a-week".to_owned(),
            vec!["a".into(), "b".into(), "c".into()]
        )]
    );
    match &events[0] {
        Event::Withdrawn { reason, .. } => assert!(reason.contains("`a`"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_late_until_cancels_a_sequence() {
    let mut m = monitor(MonitorConfig::default());
    m.observe(
        "y",
        with_counterpart(obs("a", "2026-03-01T10:00:00+01:00", "contact"), "c"),
    )
    .unwrap();
    let events = m
        .observe(
            "y",
            with_counterpart(obs("b", "2026-03-03T10:00:00+01:00", "meeting"), "c"),
        )
        .unwrap();
    assert_eq!(raised(&events).len(), 1);
    // A safety check between the two steps, recorded late: the sequence no longer holds.
    let events = m
        .observe("y", obs("k", "2026-03-02T10:00:00+01:00", "check"))
        .unwrap();
    assert_eq!(withdrawn(&events).len(), 1);
    assert!(raised(&events).is_empty());
    assert!(m.flags().is_empty());
}

#[test]
fn absence_fires_when_time_passes_the_deadline() {
    let mut m = monitor(MonitorConfig::default());
    assert!(
        m.observe("y", obs("e", "2026-03-01T10:00:00+01:00", "end"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(m.pending().len(), 1);
    assert!(m.advance_to(ts("2026-03-04T09:59:00+01:00")).is_empty());
    let events = m.advance_to(ts("2026-03-04T10:00:00+01:00"));
    assert_eq!(
        raised(&events),
        [("no-interview".to_owned(), vec!["e".into()])]
    );
    assert!(m.pending().is_empty());
    // Another subject's observation can carry the clock past a deadline too.
    m.observe("z", obs("e", "2026-03-05T10:00:00+01:00", "end"))
        .unwrap();
    let events = m
        .observe("w", obs("q", "2026-03-09T00:00:00+01:00", "other"))
        .unwrap();
    assert_eq!(
        raised(&events),
        [("no-interview".to_owned(), vec!["e".into()])]
    );
}

#[test]
fn a_late_interview_withdraws_an_absence_flag() {
    let mut m = monitor(MonitorConfig::default());
    m.observe("y", obs("e", "2026-03-01T10:00:00+01:00", "end"))
        .unwrap();
    assert_eq!(m.advance_to(ts("2026-03-05T00:00:00+01:00")).len(), 1);
    let events = m
        .observe("y", obs("i", "2026-03-02T10:00:00+01:00", "interview"))
        .unwrap();
    assert_eq!(withdrawn(&events).len(), 1);
}

#[test]
fn a_profile_set_later_applies_to_what_can_still_change() {
    let mut m = monitor(MonitorConfig::default());
    // Without `born`, `subject.age` is absent and the minor rule cannot match.
    assert!(
        m.observe("y", obs("s", "2026-03-01T23:00:00+01:00", "stay"))
            .unwrap()
            .is_empty()
    );
    let subject = Subject {
        id: "y".into(),
        born: Some("2011-05-05".parse().unwrap()),
        facts: vec![],
    };
    let events = m.set_subject(subject).unwrap();
    assert_eq!(
        raised(&events),
        [("minor-stay".to_owned(), vec!["s".into()])]
    );
}

#[test]
fn identical_again_changes_nothing_and_a_different_one_is_refused() {
    let mut m = monitor(MonitorConfig::default());
    let a = obs("a", "2026-03-01T10:00:00+01:00", "x");
    m.observe("y", a.clone()).unwrap();
    assert_eq!(m.observe("y", a), Ok(vec![]));
    let err = m
        .observe("y", obs("a", "2026-03-01T11:00:00+01:00", "x"))
        .unwrap_err();
    assert!(matches!(err, MonitorError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("its own id"));
}

#[test]
fn too_late_is_refused_with_the_reason_and_changes_nothing() {
    let mut m = monitor(MonitorConfig {
        max_lateness: Duration::parse("2d").unwrap(),
        ..MonitorConfig::default()
    });
    m.observe("y", obs("a", "2026-03-10T10:00:00+01:00", "x"))
        .unwrap();
    let before = m.snapshot();
    let err = m
        .observe("y", obs("b", "2026-03-08T09:59:00+01:00", "x"))
        .unwrap_err();
    assert!(matches!(err, MonitorError::TooLate { .. }), "{err}");
    assert!(err.to_string().contains("max_lateness"), "{err}");
    assert_eq!(m.snapshot(), before);
    // Exactly at the bound it is still accepted.
    m.observe("y", obs("c", "2026-03-08T10:00:00+01:00", "x"))
        .unwrap();
}

#[test]
fn memory_is_bounded_by_the_longest_window_and_the_lateness() {
    let mut m = monitor(MonitorConfig {
        max_lateness: Duration::parse("1d").unwrap(),
        ..MonitorConfig::default()
    });
    let base = ts("2026-01-01T00:00:00+01:00");
    for day in 0..365 {
        let at = base + chrono::TimeDelta::days(day);
        m.observe("y", Observation::new(format!("o-{day}"), at, "x"))
            .unwrap();
    }
    // Longest window 7d, lateness 1d: about 8 days of one observation a day.
    assert!(m.observation_count() <= 10, "{}", m.observation_count());
}

#[test]
fn caps_refuse_instead_of_evicting() {
    let mut m = monitor(MonitorConfig {
        max_subjects: 2,
        max_observations_per_subject: 2,
        ..MonitorConfig::default()
    });
    m.observe("a", obs("1", "2026-03-01T10:00:00+01:00", "x"))
        .unwrap();
    m.observe("b", obs("1", "2026-03-01T10:00:00+01:00", "x"))
        .unwrap();
    let err = m
        .observe("c", obs("1", "2026-03-01T10:00:00+01:00", "x"))
        .unwrap_err();
    assert!(
        matches!(err, MonitorError::TooManySubjects { max: 2, .. }),
        "{err}"
    );
    m.observe("a", obs("2", "2026-03-01T11:00:00+01:00", "x"))
        .unwrap();
    let err = m
        .observe("a", obs("3", "2026-03-01T12:00:00+01:00", "x"))
        .unwrap_err();
    assert!(
        matches!(err, MonitorError::TooManyObservations { max: 2, .. }),
        "{err}"
    );
    assert_eq!(m.subject_count(), 2);
    assert_eq!(m.observation_count(), 3);
}

#[test]
fn forget_removes_everything_about_a_subject() {
    let mut m = monitor(MonitorConfig::default());
    m.observe("y", obs("e", "2026-03-01T10:00:00+01:00", "end"))
        .unwrap();
    m.observe("y", obs("s", "2026-03-01T11:00:00+01:00", "x"))
        .unwrap();
    assert!(m.forget("y"));
    assert!(!m.forget("y"));
    assert_eq!(m.subject_count(), 0);
    assert!(m.pending().is_empty());
    assert!(!m.snapshot().contains("\"y\""));
    assert!(m.advance_to(ts("2026-04-01T00:00:00+01:00")).is_empty());
}

#[test]
fn vocabulary_and_protected_names_apply() {
    let set = RuleSet::builtin();
    let mut m = Monitor::new(Engine::new(set), MonitorConfig::default());
    let err = m
        .observe("y", obs("a", "2026-03-01T10:00:00+01:00", "contact.nieuw"))
        .unwrap_err();
    assert!(
        err.to_string().contains("did you mean `contact.new`"),
        "{err}"
    );
    let mut o = obs("b", "2026-03-01T10:00:00+01:00", "disclosure");
    o.attributes.insert("nationality".into(), "x".into());
    let events = m.observe("y", o).unwrap();
    assert_eq!(events.len(), 1);
    let warnings = m.take_warnings();
    assert!(
        warnings[0].contains("protected attribute `nationality`"),
        "{warnings:?}"
    );
}

#[test]
fn snapshot_restores_exactly_and_refuses_other_rules() {
    let mut a = monitor(MonitorConfig::default());
    a.observe("y", obs("a", "2026-03-01T10:00:00+01:00", "x"))
        .unwrap();
    a.observe("y", obs("e", "2026-03-01T12:00:00+01:00", "end"))
        .unwrap();
    let snapshot = a.snapshot();
    let engine = Engine::new(RuleSet::from_yaml_str("rules.yaml", RULES).unwrap());
    let mut b = Monitor::restore(engine, &snapshot).unwrap();
    assert_eq!(b.snapshot(), snapshot);
    for m in [&mut a, &mut b] {
        m.observe("y", obs("b", "2026-03-02T10:00:00+01:00", "x"))
            .unwrap();
    }
    let next = |m: &mut Monitor| m.observe("y", obs("c", "2026-03-03T10:00:00+01:00", "x"));
    assert_eq!(next(&mut a), next(&mut b));
    assert_eq!(
        a.advance_to(ts("2026-03-09T00:00:00+01:00")),
        b.advance_to(ts("2026-03-09T00:00:00+01:00"))
    );

    let other = Engine::new(RuleSet::builtin());
    let err = Monitor::restore(other, &snapshot).unwrap_err();
    assert!(
        matches!(err, SnapshotError::RulesetMismatch { .. }),
        "{err}"
    );
    let engine = Engine::new(RuleSet::from_yaml_str("rules.yaml", RULES).unwrap());
    let err = Monitor::restore(engine.clone(), "{}").unwrap_err();
    assert!(matches!(err, SnapshotError::Format(_)), "{err}");
    let newer = snapshot.replace("\"version\":1", "\"version\":99");
    let err = Monitor::restore(engine, &newer).unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
}

#[test]
fn events_serialise_as_json_lines() {
    let mut m = monitor(MonitorConfig::default());
    m.observe("y", obs("b", "2026-03-02T10:00:00+01:00", "x"))
        .unwrap();
    m.observe("y", obs("c", "2026-03-03T10:00:00+01:00", "x"))
        .unwrap();
    let raised = m
        .observe("y", obs("d", "2026-03-04T10:00:00+01:00", "x"))
        .unwrap();
    let json = serde_json::to_value(&raised[0]).unwrap();
    assert_eq!(json["event"], "raised");
    assert_eq!(json["flag"]["rule"], "three-in-a-week");
    let moved = m
        .observe("y", obs("a", "2026-03-01T10:00:00+01:00", "x"))
        .unwrap();
    let json = serde_json::to_value(&moved[0]).unwrap();
    assert_eq!(json["event"], "withdrawn");
    assert_eq!(json["rule"], "three-in-a-week");
    assert!(json["reason"].as_str().unwrap().contains("late"));
}

#[test]
fn a_planned_event_counts_when_it_happens_and_does_not_move_the_clock() {
    let mut m = monitor(MonitorConfig::default());
    let mut end = obs("e", "2026-03-02T22:00:00+01:00", "end");
    end.recorded_at = Some(ts("2026-03-02T22:05:00+01:00"));
    m.observe("y", end).unwrap();
    // Recorded now, happening next week: the clock stays at the time of entry.
    let mut planned = obs("p", "2026-03-09T10:00:00+01:00", "x");
    planned.recorded_at = Some(ts("2026-03-02T22:30:00+01:00"));
    assert!(m.observe("z", planned).unwrap().is_empty());
    assert_eq!(m.clock(), Some(ts("2026-03-02T22:30:00+01:00")));
    // The absence deadline of `e` fires only when time really passes it.
    assert!(m.advance_to(ts("2026-03-05T21:59:00+01:00")).is_empty());
    assert_eq!(m.advance_to(ts("2026-03-05T22:00:00+01:00")).len(), 1);
}

#[test]
fn a_recorded_at_far_ahead_is_refused_as_a_likely_typo() {
    let mut m = monitor(MonitorConfig::default());
    m.observe("y", obs("a", "2026-03-02T10:00:00+01:00", "x"))
        .unwrap();
    let mut typo = obs("b", "2026-03-02T11:00:00+01:00", "x");
    typo.recorded_at = Some(ts("2062-03-02T11:00:00+01:00"));
    let err = m.observe("y", typo).unwrap_err();
    assert!(matches!(err, MonitorError::ClockJump { .. }), "{err}");
    assert!(err.to_string().contains("check the date"), "{err}");
    // Records on time still go through.
    m.observe("y", obs("c", "2026-03-02T12:00:00+01:00", "x"))
        .unwrap();
}

#[test]
fn merge_subject_merges_like_the_batch_readers() {
    let mut m = monitor(MonitorConfig::default());
    let born = Subject {
        id: "y".into(),
        born: Some("2011-05-05".parse().unwrap()),
        facts: vec![],
    };
    m.merge_subject(born.clone()).unwrap();
    let facts_only = Subject {
        id: "y".into(),
        born: None,
        facts: vec![],
    };
    m.merge_subject(facts_only).unwrap();
    // `born` is kept, so the minor rule still applies.
    let events = m
        .observe("y", obs("s", "2026-03-01T23:00:00+01:00", "stay"))
        .unwrap();
    assert_eq!(
        raised(&events),
        [("minor-stay".to_owned(), vec!["s".into()])]
    );
    let other = Subject {
        born: Some("2009-01-01".parse().unwrap()),
        ..born
    };
    let err = m.merge_subject(other).unwrap_err();
    assert!(err.to_string().contains("disagrees"), "{err}");
}

#[test]
fn numbers_that_are_not_finite_and_empty_kinds_are_refused() {
    let mut m = monitor(MonitorConfig::default());
    let mut o = obs("a", "2026-03-01T10:00:00+01:00", "x");
    o.attributes
        .insert("v".into(), early_signal::Value::Number(f64::NAN));
    assert!(matches!(
        m.observe("y", o),
        Err(MonitorError::Invalid { .. })
    ));
    let empty = obs("b", "2026-03-01T10:00:00+01:00", "");
    assert!(matches!(
        m.observe("y", empty),
        Err(MonitorError::Invalid { .. })
    ));
}

#[test]
fn final_firings_do_not_pile_up() {
    // One `match` firing per observation; only the latest kept one per key is needed later.
    let rules = "rules:\n  - id: every\n    version: 1\n    title: t\n    class: risk\n    severity: low\n    rationale: test\n    when: { match: { kind: x } }\n    cooldown: 3650d\n";
    let mut m = Monitor::new(
        Engine::new(RuleSet::from_yaml_str("r.yaml", rules).unwrap()),
        MonitorConfig {
            max_lateness: Duration::parse("1h").unwrap(),
            ..MonitorConfig::default()
        },
    );
    let base = ts("2026-01-01T00:00:00+01:00");
    for i in 0..2000 {
        let at = base + chrono::TimeDelta::hours(i);
        m.observe("y", Observation::new(format!("o-{i}"), at, "x"))
            .unwrap();
    }
    let snapshot = m.snapshot();
    let firings = snapshot.matches("\"raised_at\"").count();
    assert!(firings <= 3, "{firings} firing records kept");
}

#[test]
fn numbers_survive_a_snapshot_exactly() {
    let mut a = monitor(MonitorConfig::default());
    let mut o = obs("a", "2026-03-01T10:00:00+01:00", "x");
    o.attributes
        .insert("v".into(), early_signal::Value::Number(3.25527e-18));
    a.observe("y", o.clone()).unwrap();
    let engine = Engine::new(RuleSet::from_yaml_str("rules.yaml", RULES).unwrap());
    let mut b = Monitor::restore(engine, &a.snapshot()).unwrap();
    // The same observation again is recognised as the same, not a conflict.
    assert_eq!(b.observe("y", o), Ok(vec![]));
}

#[test]
fn the_cap_counts_only_what_must_be_kept_and_flags_are_those_that_can_change() {
    // Without windows the monitor keeps a day before the horizon (one hour of lateness): with
    // observations 13 hours apart at most three are needed, however rarely the subject was last
    // pruned (at most once per day of clock).
    let rules = "rules:\n  - id: every\n    version: 1\n    title: t\n    class: risk\n    severity: low\n    rationale: test\n    when: { match: { kind: x } }\n";
    let mut m = Monitor::new(
        Engine::new(RuleSet::from_yaml_str("r.yaml", rules).unwrap()),
        MonitorConfig {
            max_lateness: Duration::parse("1h").unwrap(),
            max_observations_per_subject: 3,
            ..MonitorConfig::default()
        },
    );
    let base = ts("2026-01-01T00:00:00+01:00");
    for i in 0..10 {
        let at = base + chrono::TimeDelta::hours(13 * i);
        m.observe("y", Observation::new(format!("o-{i}"), at, "x"))
            .unwrap_or_else(|e| panic!("observation {i}: {e}"));
    }
    // Only the last flag can still change (the others are before the horizon).
    let live: Vec<String> = m
        .flags()
        .iter()
        .map(|f| f.evidence[0].observation.to_string())
        .collect();
    assert_eq!(live, ["o-9"]);
}

#[test]
fn forget_removes_the_subject_everywhere_and_the_sweep_goes_on() {
    let mut m = monitor(MonitorConfig::default());
    for s in ["a", "b", "c"] {
        m.observe(s, obs(&format!("{s}-1"), "2026-03-01T10:00:00+01:00", "x"))
            .unwrap();
    }
    assert!(m.forget("b"));
    assert!(!m.forget("b"));
    assert_eq!(m.subject_count(), 2);
    // Later calls sweep the remaining subjects without tripping over the forgotten one.
    for i in 0..5 {
        m.observe(
            "a",
            obs(&format!("a-{}", i + 2), "2026-03-02T10:00:00+01:00", "x"),
        )
        .unwrap();
    }
    assert!(m.snapshot().contains("\"a\"") && !m.snapshot().contains("\"b\""));
}

#[test]
fn a_subject_that_goes_quiet_is_emptied_by_the_sweep() {
    let mut m = monitor(MonitorConfig::default());
    let day0: early_signal::Timestamp = "2026-03-01T10:00:00+01:00".parse().unwrap();
    for i in 0..50 {
        let at = day0 + chrono::Duration::minutes(i);
        m.observe("quiet", obs(&format!("q-{i}"), &at.to_rfc3339(), "x"))
            .unwrap();
    }
    // Another subject's records move the clock for 50 days: past the 7-day windows and the
    // 30-day lateness bound (day 37), and the week more a quiet subject may stay unpruned; the
    // quiet one is never touched again.
    for d in 1..=50 {
        let at = day0 + chrono::Duration::days(d);
        m.observe("busy", obs(&format!("b-{d}"), &at.to_rfc3339(), "x"))
            .unwrap();
    }
    assert_eq!(m.subject_count(), 2);
    assert!(
        m.observation_count() <= 50,
        "the quiet subject's 50 observations should have been pruned; {} held",
        m.observation_count()
    );
}

/// A planned record whose time is exactly another record's absence deadline: answering that
/// deadline must not take the planned record off the agenda (found by a review's fuzzing).
#[test]
fn a_planned_record_at_a_deadline_still_counts_when_the_deadline_is_answered() {
    let mut m = monitor(MonitorConfig::default());
    m.observe("y", obs("e1", "2026-01-01T00:00:00+01:00", "end"))
        .unwrap();
    // Planned for 4 January 00:00, e1's deadline, entered on 1 January.
    let mut planned = obs("e2", "2026-01-04T00:00:00+01:00", "end");
    planned.recorded_at = Some(ts("2026-01-01T01:00:00+01:00"));
    m.observe("y", planned).unwrap();
    m.observe("y", obs("i1", "2026-01-01T02:00:00+01:00", "interview"))
        .unwrap();
    let events = m.advance_to(ts("2026-01-10T00:00:00+01:00"));
    let raised: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Raised(f) if f.rule == "no-interview" => {
                Some(f.evidence[0].observation.to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(raised, ["e2"], "{events:?}");
}

/// A snapshot edited by hand that lost its first contacts gets them back from the observations
/// held, so that flag windows and later re-evaluations stay as they were.
#[test]
fn a_snapshot_without_first_contacts_gets_them_from_the_observations() {
    let mut a = monitor(MonitorConfig::default());
    for (id, at, c) in [
        ("c1", "2026-03-01T10:00:00+01:00", "p"),
        ("c2", "2026-03-02T10:00:00+01:00", "q"),
        ("c3", "2026-03-03T10:00:00+01:00", "p"),
    ] {
        a.observe("y", with_counterpart(obs(id, at, "x"), c))
            .unwrap();
    }
    let snapshot = a.snapshot();
    let mut doc: serde_json::Value = serde_json::from_str(&snapshot).unwrap();
    let contacts = doc["first_contacts"].as_array_mut().unwrap();
    assert_eq!(contacts.len(), 2);
    contacts.clear();
    let engine = a.engine().clone();
    let b = Monitor::restore(engine, &doc.to_string()).unwrap();
    assert_eq!(b.snapshot(), snapshot);
}

/// Erasure covers the warnings not yet taken: they name the subject.
#[test]
fn forget_drops_the_warnings_that_name_the_subject() {
    let mut m = monitor(MonitorConfig::default());
    for s in ["gone", "kept"] {
        let mut o = obs(&format!("{s}-1"), "2026-03-01T10:00:00+01:00", "x");
        o.attributes
            .insert("religion".into(), early_signal::Value::from("x"));
        m.observe(s, o).unwrap();
    }
    assert!(m.forget("gone"));
    let warnings = m.take_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("`kept`") && !warnings[0].contains("`gone`"));
}

/// An embedding program hands a monitor to a worker thread, or shares it behind a lock, and
/// evaluates on a pool: the public types allow it (this fails to compile otherwise).
#[test]
fn the_public_types_can_cross_threads() {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<Monitor>();
    send_and_sync::<Engine>();
    send_and_sync::<RuleSet>();
    send_and_sync::<early_signal::Timeline>();
    send_and_sync::<early_signal::Report>();
    send_and_sync::<early_signal::Flag>();
    send_and_sync::<Event>();
}
