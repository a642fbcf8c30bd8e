//! Batch evaluation of the built-in pack over a small synthetic timeline.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use early_signal::{Engine, Observation, RuleSet, Timeline, Timestamp};
use std::hint::black_box;

fn timeline(subjects: usize, per_subject: usize) -> Timeline {
    let kinds = [
        "contact.new",
        "meeting.in_person",
        "missing.episode",
        "missing.episode.end",
        "return.interview",
        "vehicle.pickup",
        "item.unexplained",
        "truancy",
    ];
    let start: Timestamp = "2026-01-01T08:00:00+01:00"
        .parse()
        .expect("valid timestamp");
    let mut tl = Timeline::new();
    for s in 0..subjects {
        for i in 0..per_subject {
            let at = start + chrono::TimeDelta::hours((i * 7 + s % 5) as i64);
            let mut o = Observation::new(format!("o-{i}"), at, kinds[(i * 3 + s) % kinds.len()]);
            o.counterpart = Some(format!("c-{}", (i + s) % 4));
            tl.add_observation(&format!("y-{s}"), o)
                .expect("valid observation");
        }
    }
    tl
}

fn batch(c: &mut Criterion) {
    let engine = Engine::new(RuleSet::builtin());
    let tl = timeline(100, 100);
    let as_of: Timestamp = "2026-06-01T00:00:00+01:00"
        .parse()
        .expect("valid timestamp");
    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::Elements(tl.observation_count() as u64));
    g.bench_function("builtin_100x100", |b| {
        b.iter(|| black_box(engine.evaluate(&tl, as_of)))
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    // Parse and check the pack from text each time (`RuleSet::builtin()` caches its result).
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("rules directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "vocabulary.yaml")
        .collect();
    names.sort();
    names.insert(0, "vocabulary.yaml".into());
    let files: Vec<(String, String)> = names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(format!("{dir}/{n}")).expect("rule file");
            (n, text)
        })
        .collect();
    c.bench_function("load_default_pack", |b| {
        b.iter(|| {
            black_box(RuleSet::from_sources(
                files.iter().map(|(n, t)| (n.as_str(), t.as_str())),
            ))
        })
    });
}

criterion_group!(benches, batch, load);
criterion_main!(benches);
