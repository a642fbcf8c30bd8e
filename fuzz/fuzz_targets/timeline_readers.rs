//! Bytes → the timeline readers (YAML, JSON Lines of observations, JSON Lines of subjects), with
//! and without the default vocabulary; every timeline read is evaluated with the builtin pack.
#![no_main]

use early_signal::{Limits, RuleSet, Timeline};
use early_signal_fuzz::{as_ofs, builtin_engine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let engine = builtin_engine();
    let vocabulary = RuleSet::builtin().vocabulary_arc().cloned();
    let text = String::from_utf8_lossy(data);
    for checked in [false, true] {
        let fresh = || match (&vocabulary, checked) {
            (Some(v), true) => Timeline::with_vocabulary(v.clone()),
            _ => Timeline::new(),
        };
        let mut yaml = fresh();
        let _ = yaml.read_yaml("t.yaml", &text);
        let mut jsonl = fresh();
        jsonl.read_jsonl("o.jsonl", data);
        let mut subjects = fresh();
        subjects.read_subjects_jsonl("s.jsonl", data);
        // Subjects first, then observations, into one timeline (as the CLI does).
        subjects.read_jsonl("o.jsonl", data);
        let mut streamed = fresh();
        let _ = streamed.read_jsonl_reader("o.jsonl", data);
        // One line at a time, `read_observation_line` keeps or refuses what `read_jsonl` does.
        let reader = fresh();
        for (i, line) in text.split('\n').enumerate().take(16) {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let read = reader.read_observation_line("o.jsonl", n, line);
            let mut whole = fresh();
            whole.read_jsonl("o.jsonl", format!("{}{line}", "\n".repeat(i)).as_bytes());
            match (&read, whole.rejected().first()) {
                (Err(refused), Some(expected)) => assert_eq!(refused, expected),
                (Ok(got), None) => {
                    let st = whole.subjects().next().expect("one subject");
                    assert_eq!(got.subject, st.subject().id.as_str());
                    assert_eq!(Some(&got.observation), st.observations().first());
                    assert_eq!(got.warnings.as_slice(), whole.warnings());
                }
                (Err(_), None) => assert_eq!(whole.observation_count(), 0),
                (Ok(_), Some(_)) => panic!("read a line that read_jsonl refuses"),
            }
        }
        // One youth at a time gives the report of reading the files and then evaluating, also
        // with the input cut into two files and with the subjects read first.
        let cut = data.len() / 2;
        let (first, second) = data.split_at(cut);
        let mut both = fresh();
        // Half the time a short line limit, so that lines are refused as too long, also where
        // they run over the end of the small buffers below.
        if let Some(&b) = data.get(1)
            && b % 2 == 1
        {
            both.set_limits(Limits {
                max_line_bytes: 16 + usize::from(b),
                ..Limits::default()
            });
        }
        both.read_subjects_jsonl("s.jsonl", data);
        let base = both.clone();
        let _ = both.read_jsonl_reader("a.jsonl", first);
        let _ = both.read_jsonl_reader("b.jsonl", second);
        for as_of in as_ofs().into_iter().take(2) {
            let expected = engine.evaluate(&both, as_of);
            let got = engine.evaluate_jsonl(base.clone(), &[("a.jsonl", first), ("b.jsonl", second)], as_of);
            assert_eq!(got, expected);
            // Read through small buffers, so that lines run over their ends.
            let capacity = 1 + data.first().copied().map_or(0, usize::from) % 64;
            let mut batch = engine.jsonl_batch(base.clone());
            let _ = batch.read("a.jsonl", std::io::BufReader::with_capacity(capacity, first));
            let _ = batch.read("b.jsonl", std::io::BufReader::with_capacity(capacity, second));
            assert_eq!(batch.evaluate(as_of), expected);
        }
        for tl in [&yaml, &jsonl, &subjects, &streamed] {
            let _ = tl.observation_count();
            for s in tl.subjects() {
                let _ = (s.subject(), s.observations().len());
            }
            for r in tl.rejected() {
                let _ = r.to_string();
            }
            for w in tl.warnings() {
                let _ = w.to_string();
            }
            for as_of in as_ofs() {
                let report = engine.evaluate(tl, as_of);
                let _ = report.flags.len();
            }
        }
    }
});
