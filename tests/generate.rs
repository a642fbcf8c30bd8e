//! The synthetic workload generator: deterministic, valid for the default vocabulary, and with the
//! scenario timing the domain brief describes.

use early_signal::RuleSet;
use early_signal::generate::{Route, WorkloadConfig, generate};

fn config(seed: u64, subjects: usize, share: f64) -> WorkloadConfig {
    WorkloadConfig {
        seed,
        subjects,
        observations_per_subject: 50,
        recruitment_share: share,
        ..WorkloadConfig::default()
    }
}

fn jsonl(c: &WorkloadConfig) -> (Vec<u8>, Vec<u8>) {
    let w = generate(c);
    let (mut s, mut o) = (Vec::new(), Vec::new());
    w.write_jsonl(&mut s, &mut o).unwrap();
    (s, o)
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let a = jsonl(&config(7, 50, 0.2));
    assert_eq!(a, jsonl(&config(7, 50, 0.2)));
    assert_ne!(a, jsonl(&config(8, 50, 0.2)));
}

#[test]
fn every_record_fits_the_default_vocabulary_and_reads_back() {
    let c = config(3, 200, 0.3);
    let w = generate(&c);
    let rules = RuleSet::builtin();
    let tl = w.timeline(&rules).unwrap();
    assert_eq!(tl.observation_count(), w.observations.len());
    assert!(w.observations.len() >= 200 * 50);
    // Through the JSON Lines readers as `eval` reads the files.
    let (s, o) = jsonl(&c);
    let mut read = rules.new_timeline();
    read.read_subjects_jsonl("subjects.jsonl", &s);
    read.read_jsonl("observations.jsonl", &o);
    assert!(
        read.rejected().is_empty(),
        "{:?}",
        &read.rejected()[..3.min(read.rejected().len())]
    );
    assert!(read.warnings().is_empty(), "{:?}", read.warnings());
    assert_eq!(read.observation_count(), w.observations.len());
}

#[test]
fn the_stream_is_in_record_order() {
    let w = generate(&config(5, 100, 0.1));
    assert!(
        w.observations
            .windows(2)
            .all(|p| p[0].1.recorded() <= p[1].1.recorded())
    );
    assert!(w.observations.iter().any(|(_, o)| o.recorded_at.is_some()));
}

#[test]
fn scenarios_follow_the_domain_brief() {
    let w = generate(&WorkloadConfig {
        observations_per_subject: 10,
        ..config(11, 4000, 1.0)
    });
    let n = w.scenarios.len() as f64;
    assert!(n >= 3900.0);
    let days: Vec<f64> = w
        .scenarios
        .iter()
        .map(|s| (s.exploitation - s.first_contact).num_minutes() as f64 / 1440.0)
        .collect();
    let share = |f: &dyn Fn(&f64) -> bool| days.iter().filter(|d| f(d)).count() as f64 / n;
    let under_week = share(&|d| *d < 7.0);
    let under_month = share(&|d| *d < 30.0);
    assert!((0.45..0.55).contains(&under_week), "{under_week}");
    assert!((0.70..0.80).contains(&under_month), "{under_month}");
    let online = w.scenarios.iter().filter(|s| s.online).count() as f64 / n;
    assert!((0.75..0.85).contains(&online), "{online}");
    let coercion = w
        .scenarios
        .iter()
        .filter(|s| s.route == Route::Coercion)
        .count() as f64
        / n;
    assert!((0.46..0.56).contains(&coercion), "{coercion}");
    assert!(w.scenarios.iter().any(|s| s.during_leave));
}
