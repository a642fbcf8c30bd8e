//! Batch evaluation and rule loading (issue 5, docs/performance.md).
//!
//! - `batch/default_pack`: the default pack over a generated region, observations per second;
//! - `batch/generated_rules_1000`: the same workload under 1,000 generated rules;
//! - `jsonl/read_then_evaluate` and `jsonl/one_youth_at_a_time`: from JSON Lines text in memory
//!   to the report with the default pack, lines per second: read into a timeline and evaluated,
//!   or with `Engine::evaluate_jsonl` (the `eval` command's way);
//! - `load/default_pack` and `load/generated_rules_1000`: parsing and checking the rule sets;
//!   `load/engine_*`: building an engine from them (indexing rules by kind and compiling their
//!   predicates).
//!
//! `EARLY_SIGNAL_BENCH_SUBJECTS` (default 10,000) sets the region's size; each youth has 100
//! observations over a year.
//!
//! The targets are for one core, so with the `parallel` feature (on with the default `cli`) the
//! benchmarks run on one thread unless `RAYON_NUM_THREADS` says otherwise:
//! `RAYON_NUM_THREADS=2 cargo bench --bench evaluate` measures both cores of a 2-core machine.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use early_signal::generate::{WorkloadConfig, generate, rules_yaml};
use early_signal::{Engine, RuleSet, Timestamp};
use std::hint::black_box;

fn subjects() -> usize {
    std::env::var("EARLY_SIGNAL_BENCH_SUBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn pack_files() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("rules directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "vocabulary.yaml")
        .collect();
    names.sort();
    names.insert(0, "vocabulary.yaml".into());
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(format!("{dir}/{n}")).expect("rule file");
            (n, text)
        })
        .collect()
}

fn generated_rule_files(n: usize) -> Vec<(String, String)> {
    let vocabulary = pack_files().swap_remove(0);
    vec![vocabulary, ("generated.yaml".into(), rules_yaml(n, 7))]
}

fn load_set(files: &[(String, String)]) -> RuleSet {
    RuleSet::from_sources(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).expect("rules load")
}

/// One thread for the `parallel` feature's pool, unless `RAYON_NUM_THREADS` sets it.
fn threads() {
    #[cfg(feature = "parallel")]
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // Fails only when the pool already runs, with the number it was given then.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global();
    }
}

fn batch(c: &mut Criterion) {
    threads();
    let config = WorkloadConfig {
        subjects: subjects(),
        ..WorkloadConfig::default()
    };
    let workload = generate(&config);
    // A tenth of the region for 1,000 rules, so that one iteration stays within seconds.
    let small = generate(&WorkloadConfig {
        subjects: (config.subjects / 10).max(1),
        ..config.clone()
    });
    let as_of: Timestamp = "2027-01-01T00:00:00+01:00".parse().expect("timestamp");
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    for (name, rules, workload) in [
        ("default_pack", RuleSet::builtin(), &workload),
        (
            "generated_rules_1000",
            load_set(&generated_rule_files(1000)),
            &small,
        ),
    ] {
        let timeline = workload.timeline(&rules).expect("generated records fit");
        g.throughput(Throughput::Elements(timeline.observation_count() as u64));
        let engine = Engine::new(rules);
        g.bench_function(name, |b| {
            b.iter(|| black_box(engine.evaluate(&timeline, as_of)))
        });
    }
    g.finish();
}

fn jsonl(c: &mut Criterion) {
    threads();
    let workload = generate(&WorkloadConfig {
        subjects: subjects(),
        ..WorkloadConfig::default()
    });
    let (mut subjects_text, mut text) = (Vec::new(), Vec::new());
    workload
        .write_jsonl(&mut subjects_text, &mut text)
        .expect("written to memory");
    drop(workload);
    let lines = text.iter().filter(|&&b| b == b'\n').count();
    let rules = RuleSet::builtin();
    let engine = Engine::new(rules.clone());
    let as_of: Timestamp = "2027-01-01T00:00:00+01:00".parse().expect("timestamp");
    let with_subjects = || {
        let mut tl = rules.new_timeline();
        tl.read_subjects_jsonl("subjects.jsonl", &subjects_text);
        tl
    };
    let mut g = c.benchmark_group("jsonl");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function("read_then_evaluate", |b| {
        b.iter(|| {
            let mut tl = with_subjects();
            tl.read_jsonl("observations.jsonl", &text);
            black_box(engine.evaluate(&tl, as_of))
        })
    });
    g.bench_function("one_youth_at_a_time", |b| {
        b.iter(|| {
            let files = [("observations.jsonl", text.as_slice())];
            black_box(engine.evaluate_jsonl(with_subjects(), &files, as_of))
        })
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    let pack = pack_files();
    g.bench_function("default_pack", |b| b.iter(|| black_box(load_set(&pack))));
    let generated = generated_rule_files(1000);
    g.sample_size(20);
    g.bench_function("generated_rules_1000", |b| {
        b.iter(|| black_box(load_set(&generated)))
    });
    // Building the engine compiles every predicate for every kind: part of what loading costs.
    let (pack_set, generated_set) = (load_set(&pack), load_set(&generated));
    g.bench_function("engine_default_pack", |b| {
        b.iter(|| black_box(Engine::new(pack_set.clone())))
    });
    g.bench_function("engine_generated_rules_1000", |b| {
        b.iter(|| black_box(Engine::new(generated_set.clone())))
    });
    g.finish();
}

criterion_group!(benches, batch, jsonl, load);
criterion_main!(benches);
