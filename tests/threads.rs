//! With the `parallel` feature, one thread takes the serial path and several split the work:
//! each way gives the same report, whatever the machine's cores (the pools are built here, so
//! both paths run on a one-core machine as on a many-core one).
#![cfg(feature = "parallel")]

use early_signal::generate::{WorkloadConfig, generate};
use early_signal::{Engine, RuleSet, Timestamp, backtest};

/// `f` run on a pool of `n` threads.
fn on<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("a thread pool")
        .install(f)
}

#[test]
fn evaluating_and_replaying_give_the_same_on_one_thread_and_several() {
    let workload = generate(&WorkloadConfig {
        subjects: 300,
        observations_per_subject: 20,
        days: 60,
        ..WorkloadConfig::default()
    });
    let rules = RuleSet::builtin();
    let engine = Engine::new(rules.clone());
    let as_of: Timestamp = "2026-03-01T00:00:00+01:00".parse().expect("a timestamp");
    let timeline = workload.timeline(&rules).expect("a timeline");
    let (mut subjects, mut observations) = (Vec::new(), Vec::new());
    workload
        .write_jsonl(&mut subjects, &mut observations)
        .expect("written to memory");
    // A line the readers refuse and one with an undeclared kind, among the others.
    observations.extend_from_slice(b"{not json\n");
    observations.extend_from_slice(
        br#"{"subject":"y-000007","id":"x-1","at":"2026-01-20T10:00:00+01:00","kind":"meeting.inperson"}"#,
    );
    observations.push(b'\n');

    let runs: Vec<(String, String, String)> = [1, 2, 3]
        .into_iter()
        .map(|n| {
            on(n, || {
                let batch = engine.evaluate(&timeline, as_of);
                let mut read = rules.new_timeline();
                read.read_subjects_jsonl("subjects.jsonl", &subjects);
                let bulk = engine.evaluate_jsonl(
                    read,
                    &[("observations.jsonl", observations.as_slice())],
                    as_of,
                );
                let replay = backtest::backtest(&engine, &timeline, &backtest::Options::default());
                (
                    serde_json::to_string(&batch).expect("json"),
                    serde_json::to_string(&bulk).expect("json"),
                    replay.to_json().to_string(),
                )
            })
        })
        .collect();
    let (batch, bulk, _) = &runs[0];
    assert!(batch.contains("\"flags\":[{"), "some flags are raised");
    assert!(
        bulk.contains("meeting.inperson"),
        "the refused line is listed"
    );
    for (n, run) in runs.iter().enumerate().skip(1) {
        assert!(
            run.0 == runs[0].0,
            "Engine::evaluate differs on {} threads",
            n + 1
        );
        assert!(
            run.1 == runs[0].1,
            "evaluate_jsonl differs on {} threads",
            n + 1
        );
        assert!(run.2 == runs[0].2, "backtest differs on {} threads", n + 1);
    }
}
