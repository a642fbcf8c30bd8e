//! Windows at odd instants: the evaluator's window arithmetic agrees with the calendar's.

use early_signal::{Engine, RuleSet, Timestamp};

const RULES: &str = r#"
rules:
  - id: r-count
    version: 1
    title: two x within a minute
    class: risk
    severity: low
    rationale: a window of one minute
    when:
      count: { match: { kind: x }, within: 1m, at_least: 2 }
  - id: r-absence
    version: 1
    title: no y within a minute of an x
    class: risk
    severity: low
    rationale: a deadline of one minute
    when:
      absence: { after: { kind: x }, expect: { kind: y }, within: 1m }
"#;

/// A leap second (`23:59:60`) is ordered before the next second and shifted as chrono shifts
/// it: `23:59:60 + 1m` is `00:00:59`, so `y` at `00:01:00` comes too late, and `x` at
/// `00:01:00` is more than a minute after it. Integer instants would put `23:59:60` at
/// `00:00:00` and decide both the other way (found by review; the old arithmetic is kept for
/// views that hold a leap second).
#[test]
fn a_leap_second_keeps_the_calendars_windows() {
    let rules = RuleSet::from_sources([("r.yaml", RULES)]).unwrap();
    let engine = Engine::new(rules.clone());
    let mut tl = rules.new_timeline();
    tl.read_yaml(
        "t.yaml",
        "
subject: y-1
observations:
  - { id: a, at: 2026-03-02T23:59:60Z, kind: x }
  - { id: b, at: 2026-03-03T00:01:00Z, kind: x }
  - { id: c, at: 2026-03-03T00:01:00Z, kind: y }
",
    )
    .unwrap();
    assert!(tl.rejected().is_empty(), "{:?}", tl.rejected());
    let as_of: Timestamp = "2026-03-04T00:00:00Z".parse().unwrap();
    let report = engine.evaluate(&tl, as_of);
    let fired: Vec<(String, String)> = report
        .flags
        .iter()
        .map(|f| (f.rule.to_string(), f.raised_at.to_rfc3339()))
        .collect();
    assert!(
        fired.contains(&("r-absence".into(), "2026-03-03T00:00:59+00:00".into())),
        "{fired:?}"
    );
    assert!(!fired.iter().any(|(r, _)| r == "r-count"), "{fired:?}");
}
