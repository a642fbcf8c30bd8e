//! Prints what `structured_eval` makes of input files: the rule file, the timeline, whether the
//! rules load and how many flags the batch evaluation gives. `show_case FILE...`; with `--summary`
//! only the counts over all files.

use arbitrary::{Arbitrary, Unstructured};
use early_signal::{Engine, RuleSet};
use early_signal_fuzz::structured::{Case, render_rules, render_timeline, timestamp};

fn main() {
    let mut summary = false;
    let (mut files, mut loaded, mut flagged, mut observations) = (0, 0, 0, 0);
    for path in std::env::args().skip(1) {
        if path == "--summary" {
            summary = true;
            continue;
        }
        let data = std::fs::read(&path).expect("readable file");
        let Ok(case) = Case::arbitrary_take_rest(Unstructured::new(&data)) else {
            continue;
        };
        files += 1;
        let rules = render_rules(&case);
        let timeline = render_timeline(&case);
        let set = RuleSet::from_yaml_str("fuzz.yaml", &rules);
        if !summary {
            println!("===== {path}\n----- rules\n{rules}----- timeline\n{timeline}");
        }
        match set {
            Ok(set) => {
                loaded += 1;
                let mut tl = set.new_timeline();
                tl.read_yaml("t.yaml", &timeline).unwrap();
                observations += tl.observation_count();
                let as_of = early_signal_fuzz::ts(&timestamp(i64::from(case.as_of_slot % 80), 0, case.as_of_offset));
                let report = Engine::new(set).evaluate(&tl, as_of);
                if !report.flags.is_empty() {
                    flagged += 1;
                }
                if !summary {
                    println!("----- loads; {} observations, {} flags, {} rejected", tl.observation_count(), report.flags.len(), report.rejected.len());
                }
            }
            Err(e) if !summary => println!("----- does not load: {e}"),
            Err(_) => {}
        }
    }
    println!("{files} cases, {loaded} load, {flagged} flag, {observations} observations in loaded cases");
}
