//! The incremental monitor (issue 5, docs/performance.md): time per `observe` with many live
//! subjects, its median and 99th percentile, and the state kept per subject.
//!
//! `EARLY_SIGNAL_BENCH_SUBJECTS` (default 100,000) live subjects, 10 observations each over 30
//! days; the first half of the stream warms the monitor up, the second half is measured.
//! `EARLY_SIGNAL_BENCH_DAYS` lengthens the stream at the same density (one observation per
//! three days per subject): with 120, the measured half is a monitor in a steady state, whose
//! records leave the window as fast as they arrive (docs/performance.md). Each
//! observation is built from its text just before it is handed over, as an embedding program
//! builds it from its own records (see [`from_text`]).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use early_signal::generate::{WorkloadConfig, generate};
use early_signal::{Engine, Monitor, MonitorConfig, Name, Observation, RuleSet, Value};
use std::time::Instant;

fn subjects() -> usize {
    std::env::var("EARLY_SIGNAL_BENCH_SUBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// `o` built anew from its text, with names of its own: an embedding program reads its records
/// from its own store, so the monitor gets strings it has not seen, allocated as they arrive.
/// (A clone would hand over the generator's names, allocated together and, for kinds, already
/// the vocabulary's copies: an `observe` ran about 7% faster on those.)
fn from_text(o: &Observation) -> Observation {
    let name = |n: &Name| Name::from(n.as_str());
    Observation {
        id: name(&o.id),
        kind: name(&o.kind),
        channel: o.channel.as_ref().map(name),
        counterpart: o.counterpart.as_ref().map(name),
        source: o.source.as_ref().map(name),
        attributes: o
            .attributes
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(t) => Value::String(name(t)),
                    other => other.clone(),
                };
                (name(k), v)
            })
            .collect(),
        ..o.clone()
    }
}

/// Days of the stream (default 30).
fn days() -> u32 {
    std::env::var("EARLY_SIGNAL_BENCH_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

fn monitor(c: &mut Criterion) {
    let workload = generate(&WorkloadConfig {
        subjects: subjects(),
        observations_per_subject: (days() / 3).max(1) as usize,
        days: days(),
        ..WorkloadConfig::default()
    });
    let engine = Engine::new(RuleSet::builtin());
    let fresh = || {
        let mut m = Monitor::new(engine.clone(), MonitorConfig::default());
        for s in &workload.subjects {
            m.set_subject(s.clone()).expect("profile");
        }
        m
    };
    let half = workload.observations.len() / 2;
    let (warm, measured) = workload.observations.split_at(half);

    // Latency percentiles, measured once per observation (printed; criterion reports the mean).
    let mut m = fresh();
    for (s, o) in warm {
        let _ = m.observe(s, from_text(o));
    }
    let mut nanos: Vec<u128> = Vec::with_capacity(measured.len());
    for (s, o) in measured {
        let o = from_text(o);
        let t = Instant::now();
        let _ = m.observe(s, o);
        nanos.push(t.elapsed().as_nanos());
    }
    nanos.sort_unstable();
    let pct = |p: f64| nanos[((nanos.len() as f64 - 1.0) * p) as usize];
    let state = m.snapshot().len();
    println!(
        "monitor/observe latency over {} observations, {} live subjects: median {} ns, p99 {} ns, max {} ns; snapshot {} bytes ({} bytes per subject, {} observations held)",
        nanos.len(),
        m.subject_count(),
        pct(0.5),
        pct(0.99),
        nanos.last().copied().unwrap_or(0),
        state,
        state / m.subject_count().max(1),
        m.observation_count()
    );

    let mut g = c.benchmark_group("monitor");
    g.sample_size(10);
    g.throughput(Throughput::Elements(measured.len() as u64));
    g.bench_function("observe_second_half", |b| {
        b.iter_batched(
            || {
                let mut m = fresh();
                for (s, o) in warm {
                    let _ = m.observe(s, from_text(o));
                }
                let stream: Vec<(String, Observation)> = measured
                    .iter()
                    .map(|(s, o)| (s.clone(), from_text(o)))
                    .collect();
                (m, stream)
            },
            |(mut m, stream)| {
                for (s, o) in stream {
                    let _ = m.observe(&s, o);
                }
                m
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Rules of each pattern over the same kinds, for the one-subject benchmark.
const ONE_SUBJECT_RULES: &str = r#"
rules:
  - id: m
    version: 1
    title: match
    class: risk
    severity: low
    rationale: benchmark
    when:
      match: { kind: contact.new }
  - id: c
    version: 1
    title: count
    class: risk
    severity: low
    rationale: benchmark
    when:
      count: { match: { kind: contact.new }, within: 7d, at_least: 3, distinct: counterpart }
  - id: s
    version: 1
    title: seq
    class: risk
    severity: low
    rationale: benchmark
    when:
      sequence:
        within: 7d
        by: counterpart
        steps:
          - { kind: contact.new }
          - { kind: meeting.in_person }
  - id: a
    version: 1
    title: absence
    class: risk
    severity: low
    rationale: benchmark
    when:
      absence:
        after: { kind: contact.new }
        expect: { kind: meeting.in_person }
        within: 2d
"#;

/// One subject whose observations all fall inside one 7-day window (one every 2.5 minutes at
/// 4,000): the cost of an `observe` follows the observations inside the rules' windows, not the
/// history held. Reported per observation.
fn one_subject(c: &mut Criterion) {
    let engine = Engine::new(
        RuleSet::from_sources([("one-subject.yaml", ONE_SUBJECT_RULES)]).expect("rules"),
    );
    let start: early_signal::Timestamp = "2026-03-01T00:00:00+01:00".parse().expect("time");
    let mut g = c.benchmark_group("monitor/one_subject");
    g.sample_size(10);
    for n in [250usize, 1000, 4000] {
        let stream: Vec<Observation> = (0..n)
            .map(|i| {
                let at = start + chrono::Duration::seconds((i * 7 * 24 * 3600 / n) as i64);
                let kind = if i % 7 == 3 {
                    "meeting.in_person"
                } else {
                    "contact.new"
                };
                let mut o = Observation::new(format!("o-{i:05}"), at, kind);
                o.counterpart = Some(format!("c{}", i % 5).into());
                o
            })
            .collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("{n}_observations_in_one_window"), |b| {
            b.iter_batched(
                || stream.clone(),
                |stream| {
                    let mut m = Monitor::new(engine.clone(), MonitorConfig::default());
                    for o in stream {
                        let _ = m.observe("y-1", o);
                    }
                    m
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, monitor, one_subject);
criterion_main!(benches);
