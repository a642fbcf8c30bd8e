//! An `arbitrary` structure → a small, mostly valid rule file (with or without a vocabulary) and
//! a YAML timeline, after the generators of `tests/reference_model.rs`: a coarse 6-hour grid, few
//! kinds and counterparts, windows in whole hours, so that patterns fire and window edges are hit.
//!
//! What loads is evaluated; the timeline's observations are then fed to a `Monitor` in an
//! arbitrary order (profiles first), the monitor is advanced, snapshotted and restored. When the
//! monitor refused nothing, its flags and pending deadlines must be the batch evaluation's at the
//! time every observation counts (the equivalence `src/monitor.rs` promises).
#![no_main]

use early_signal::{Engine, Monitor, MonitorConfig, Observation, RuleSet, Timestamp};
use early_signal_fuzz::structured::{Case, render_rules, render_timeline, timestamp};
use libfuzzer_sys::fuzz_target;

fn flag_view(f: &early_signal::Flag) -> (String, String, String, Timestamp, Vec<String>) {
    (
        f.id.to_string(),
        f.rule.to_string(),
        f.subject.to_string(),
        f.raised_at,
        f.evidence.iter().map(|e| e.observation.to_string()).collect(),
    )
}

fuzz_target!(|case: Case| {
    if case.rules.is_empty() {
        return;
    }
    let rules_yaml = render_rules(&case);
    let Ok(set) = RuleSet::from_yaml_str("fuzz.yaml", &rules_yaml) else {
        return;
    };
    let mut timeline = set.new_timeline();
    let timeline_yaml = render_timeline(&case);
    timeline.read_yaml("t.yaml", &timeline_yaml).expect("small timeline");
    let engine = Engine::new(set);
    let as_of = early_signal_fuzz::ts(&timestamp(i64::from(case.as_of_slot % 80), 0, case.as_of_offset));
    let _ = engine.evaluate(&timeline, as_of);

    // The monitor: profiles first, then every observation in the arrival order `order` gives.
    let mut all: Vec<(String, Observation)> = Vec::new();
    for s in timeline.subjects() {
        for o in s.observations() {
            all.push((s.subject().id.to_string(), o.clone()));
        }
    }
    let mut arrival: Vec<usize> = (0..all.len()).collect();
    arrival.sort_by_key(|&i| case.order.get(i).copied().unwrap_or(0));
    let config = if case.wide {
        MonitorConfig {
            max_lateness: early_signal::Duration::days(36_500),
            max_clock_step: early_signal::Duration::days(36_500),
            ..MonitorConfig::default()
        }
    } else {
        MonitorConfig::default()
    };
    let mut monitor = Monitor::new(engine.clone(), config);
    let mut refused = false;
    for s in timeline.subjects() {
        refused |= monitor.set_subject(s.subject().clone()).is_err();
    }
    for &i in &arrival {
        let (subject, o) = &all[i];
        refused |= monitor.observe(subject, o.clone()).is_err();
    }
    // Every observation counts at `end`.
    let end = all
        .iter()
        .map(|(_, o)| o.at.max(o.recorded()))
        .max()
        .unwrap_or(as_of)
        .max(as_of);
    let _ = monitor.advance_to(end);
    let snapshot = monitor.snapshot();
    let restored = Monitor::restore(engine.clone(), &snapshot).expect("own snapshot restores");
    assert_eq!(restored.snapshot(), snapshot, "snapshot → restore → snapshot differs");
    if !refused {
        let report = engine.evaluate(&timeline, end);
        let mut batch: Vec<_> = report.flags.iter().map(flag_view).collect();
        let mut live: Vec<_> = monitor.flags().iter().map(flag_view).collect();
        batch.sort();
        live.sort();
        assert_eq!(batch, live, "monitor flags differ from batch at {end}\n{rules_yaml}\n{timeline_yaml}");
        let pend = |p: &early_signal::Pending| (p.rule.clone(), p.subject.clone(), p.deadline, p.after.clone());
        let mut bp: Vec<_> = report.pending.iter().map(pend).collect();
        let mut lp: Vec<_> = monitor.pending().iter().map(pend).collect();
        bp.sort();
        lp.sort();
        assert_eq!(bp, lp, "monitor pending differs from batch at {end}\n{rules_yaml}\n{timeline_yaml}");
    }
});
