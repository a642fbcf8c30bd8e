//! Backtests replay a history as recorded: what stands at the end is what batch evaluation
//! gives, nothing is known before it was written, and a comparison accounts for every change.

use early_signal::backtest::{Options, backtest, compare};
use early_signal::generate::{WorkloadConfig, generate};
use early_signal::{Engine, RuleSet, Timeline};
use std::collections::BTreeSet;

fn region() -> (RuleSet, Timeline) {
    let rules = RuleSet::builtin();
    let workload = generate(&WorkloadConfig {
        subjects: 300,
        observations_per_subject: 60,
        days: 180,
        recruitment_share: 0.1,
        ..WorkloadConfig::default()
    });
    let timeline = workload.timeline(&rules).unwrap();
    (rules, timeline)
}

#[test]
fn flags_standing_at_the_end_are_batch_evaluations_and_none_is_known_early() {
    let (rules, timeline) = region();
    let engine = Engine::new(rules);
    let result = backtest(&engine, &timeline, &Options::default());
    assert_eq!(result.refused_count, 0, "{:?}", result.refused);
    assert_eq!(result.records, timeline.observation_count());
    let standing: BTreeSet<&str> = result
        .flags
        .iter()
        .filter(|r| !r.withdrawn)
        .map(|r| r.flag.id.as_str())
        .collect();
    let report = engine.evaluate(&timeline, result.to);
    let batch: BTreeSet<&str> = report.flags.iter().map(|f| f.id.as_str()).collect();
    assert!(!batch.is_empty());
    assert_eq!(standing, batch);
    for r in &result.flags {
        assert!(r.known >= result.from && r.known <= result.to);
        assert_eq!(r.stage_when_known, r.flag.window.stage_at(r.known));
    }
    // Known as soon as batch evaluation at that moment has it, and not a second before.
    for r in result.flags.iter().step_by(result.flags.len() / 40 + 1) {
        let has = |t| {
            engine
                .evaluate(&timeline, t)
                .flags
                .iter()
                .any(|f| f.id == r.flag.id)
        };
        assert!(has(r.known), "{} not in batch at {}", r.flag.id, r.known);
        assert!(
            !has(r.known - chrono::TimeDelta::seconds(1)),
            "{} known early",
            r.flag.id
        );
    }
    for s in &result.rules {
        let (u, o, c) = s.stages;
        assert_eq!(u + o + c, s.standing, "{}", s.rule);
        assert_eq!(
            s.known_within.iter().sum::<usize>(),
            s.standing,
            "{}",
            s.rule
        );
        let n = result
            .flags
            .iter()
            .filter(|r| r.flag.rule == s.rule && !r.withdrawn)
            .count();
        assert_eq!(n, s.standing);
    }
    // Subject-months: 300 youths over about half a year.
    assert!(result.subject_months > 1000.0 && result.subject_months < 2000.0);
}

#[test]
fn a_period_counts_only_flags_known_inside_it() {
    let (rules, timeline) = region();
    let engine = Engine::new(rules);
    let all = backtest(&engine, &timeline, &Options::default());
    let from = "2026-03-01T00:00:00+01:00".parse().unwrap();
    let to = "2026-05-01T00:00:00+02:00".parse().unwrap();
    let part = backtest(
        &engine,
        &timeline,
        &Options {
            from: Some(from),
            to: Some(to),
        },
    );
    assert!(part.flags.iter().all(|r| r.known >= from && r.known <= to));
    // The same flags known in that period as in the whole replay (history before it counts).
    let inside = |r: &&early_signal::backtest::Replayed| r.known >= from && r.known <= to;
    let a: BTreeSet<&str> = all
        .flags
        .iter()
        .filter(inside)
        .map(|r| r.flag.id.as_str())
        .collect();
    let b: BTreeSet<&str> = part.flags.iter().map(|r| r.flag.id.as_str()).collect();
    assert_eq!(a, b);
}

#[test]
fn a_lower_threshold_adds_flags_and_the_comparison_accounts_for_each() {
    let (rules, timeline) = region();
    let pack = |at_least: &str| {
        let mut sources = Vec::new();
        for entry in std::fs::read_dir("rules").unwrap() {
            let path = entry.unwrap().path();
            let mut text = std::fs::read_to_string(&path).unwrap();
            if path.ends_with("missing.yaml") {
                let i = text.find("id: repeated-missing").unwrap();
                let j = i + text[i..].find("at_least: 3").unwrap();
                text.replace_range(j..j + "at_least: 3".len(), at_least);
            }
            sources.push((path.display().to_string(), text));
        }
        RuleSet::from_sources(sources.iter().map(|(p, t)| (p.as_str(), t.as_str()))).unwrap()
    };
    let baseline = backtest(&Engine::new(rules), &timeline, &Options::default());
    let lower = backtest(
        &Engine::new(pack("at_least: 2")),
        &timeline,
        &Options::default(),
    );
    let changes = compare(&lower, &baseline);
    let standing =
        |b: &early_signal::backtest::Backtest| b.flags.iter().filter(|r| !r.withdrawn).count();
    assert_eq!(
        standing(&lower) + changes.disappeared.len(),
        standing(&baseline) + changes.appeared.len()
    );
    assert!(!changes.appeared.is_empty());
    // Only the changed rule changes.
    assert_eq!(
        changes.per_rule().keys().copied().collect::<Vec<_>>(),
        vec!["repeated-missing"]
    );
    let count = |b: &early_signal::backtest::Backtest| {
        b.rules
            .iter()
            .find(|r| r.rule == "repeated-missing")
            .unwrap()
            .standing
    };
    assert!(count(&lower) > count(&baseline));
}

/// An input without records gives the same period every time: the bounds given, one standing in
/// for the other, or else the Unix epoch, never the clock (the period is part of the report).
#[test]
fn without_records_the_period_does_not_depend_on_the_clock() {
    let rules = RuleSet::builtin();
    let timeline = rules.new_timeline();
    let engine = Engine::new(rules);
    let epoch = chrono::DateTime::UNIX_EPOCH.fixed_offset();
    let result = backtest(&engine, &timeline, &Options::default());
    assert_eq!((result.from, result.to), (epoch, epoch));
    assert_eq!(result.records, 0);
    assert!(result.flags.is_empty());
    let day: early_signal::Timestamp = "2026-11-20T00:00:00+01:00".parse().unwrap();
    for (from, to) in [(Some(day), None), (None, Some(day))] {
        let result = backtest(&engine, &timeline, &Options { from, to });
        assert_eq!((result.from, result.to), (day, day));
    }
}
