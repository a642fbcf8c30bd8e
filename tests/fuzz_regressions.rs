//! Inputs found by fuzzing (`fuzz/`, see docs/robustness.md), replayed through the public API.
//!
//! `replay_*` do what the fuzz target of the same name does with one input, without libFuzzer.
//! The seed corpus is replayed on every run; each crash the fuzzers found has its own test, with
//! the minimised input saved under `fuzz/regressions/<target>/`. A test marked
//! `#[ignore = "fuzz crash: …"]` fails today: it is a bug in the library still to be fixed; run it
//! with `cargo test --test fuzz_regressions -- --ignored`.

use early_signal::{Engine, Monitor, Observation, RuleSet, Timeline, Timestamp};
use std::path::Path;

const VOCABULARY: &str = include_str!("../rules/vocabulary.yaml");
const EXAMPLE_TIMELINE: &str = include_str!("../examples/timelines/recruitment-window.yaml");

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn as_ofs() -> [Timestamp; 3] {
    [
        ts("2026-03-10T00:00:00+01:00"),
        ts("2026-12-31T23:59:59.999999999-12:00"),
        ts("2100-01-01T00:00:00Z"),
    ]
}

/// The default rule files (not the vocabulary), in load order.
fn rule_files() -> Vec<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "vocabulary.yaml")
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("rules").join(&n),
            )
            .unwrap();
            (n, text)
        })
        .collect()
}

fn exercise(set: RuleSet) {
    let _ = set.run_tests();
    let mut timeline = set.new_timeline();
    timeline.read_yaml("t.yaml", EXAMPLE_TIMELINE).unwrap();
    let engine = Engine::new(set);
    for as_of in as_ofs() {
        let _ = engine.evaluate(&timeline, as_of);
    }
}

/// The `rule_loader` target.
fn replay_rule_loader(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    if let Ok(set) = RuleSet::from_sources([("vocabulary.yaml", VOCABULARY), ("fuzz.yaml", text)]) {
        exercise(set);
    }
    if let Ok(set) = RuleSet::from_yaml_str("fuzz.yaml", text) {
        exercise(set);
    }
    let files = rule_files();
    let (name, rules) = &files[data.len() % files.len()];
    if let Ok(set) = RuleSet::from_sources([("vocabulary.yaml", text), (name.as_str(), rules)]) {
        exercise(set);
    }
}

/// The `timeline_readers` target.
fn replay_timeline_readers(data: &[u8]) {
    let engine = Engine::new(RuleSet::builtin());
    let vocabulary = RuleSet::builtin().vocabulary_arc().cloned().unwrap();
    let text = String::from_utf8_lossy(data);
    for checked in [false, true] {
        let fresh = || {
            if checked {
                Timeline::with_vocabulary(vocabulary.clone())
            } else {
                Timeline::new()
            }
        };
        let mut yaml = fresh();
        let _ = yaml.read_yaml("t.yaml", &text);
        let mut jsonl = fresh();
        jsonl.read_jsonl("o.jsonl", data);
        let mut subjects = fresh();
        subjects.read_subjects_jsonl("s.jsonl", data);
        subjects.read_jsonl("o.jsonl", data);
        let mut streamed = fresh();
        streamed.read_jsonl_reader("o.jsonl", data).unwrap();
        for tl in [&yaml, &jsonl, &subjects, &streamed] {
            for as_of in as_ofs() {
                let _ = engine.evaluate(tl, as_of);
            }
        }
    }
}

/// The `monitor_restore` target.
fn replay_monitor_restore(data: &[u8]) {
    let engine = Engine::new(RuleSet::builtin());
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut monitor) = Monitor::restore(engine.clone(), text) else {
        return;
    };
    let again = monitor.snapshot();
    Monitor::restore(engine, &again).expect("a monitor's own snapshot restores");
    let at = monitor
        .clock()
        .unwrap_or_else(|| ts("2026-03-02T21:00:00+01:00"));
    let _ = monitor.observe("y-1", Observation::new("fuzz-o", at, "disclosure"));
    if let Some(later) = monitor
        .clock()
        .and_then(|c| c.checked_add_signed(early_signal::Duration::days(40).as_delta()))
    {
        let _ = monitor.advance_to(later);
    }
    let _ = monitor.snapshot();
}

fn files_in(dir: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => return Vec::new(),
    };
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn the_seed_corpus_replays() {
    for data in files_in("fuzz/seeds/rule_loader") {
        replay_rule_loader(&data);
    }
    for data in files_in("fuzz/seeds/timeline_readers") {
        replay_timeline_readers(&data);
    }
    let seeds = files_in("fuzz/seeds/monitor_restore");
    assert!(!seeds.is_empty());
    for data in seeds {
        replay_monitor_restore(&data);
    }
}

/// Every input saved under `fuzz/regressions/<target>/` (none yet: the runs found no crash).
#[test]
fn saved_crash_inputs_replay() {
    for data in files_in("fuzz/regressions/rule_loader") {
        replay_rule_loader(&data);
    }
    for data in files_in("fuzz/regressions/timeline_readers") {
        replay_timeline_readers(&data);
    }
    for data in files_in("fuzz/regressions/monitor_restore") {
        replay_monitor_restore(&data);
    }
}
