//! Bytes → a rule file (beside the default vocabulary, alone, and as the vocabulary of a default
//! rule file). Whatever loads is compiled into an engine, its embedded tests are run, and it
//! evaluates an example timeline.
#![no_main]

use early_signal::{Engine, RuleSet};
use early_signal_fuzz::{EXAMPLE_TIMELINE, RULE_FILES, VOCABULARY, as_ofs};
use libfuzzer_sys::fuzz_target;

fn exercise(set: RuleSet) {
    let _ = set.digest();
    let _ = set.warnings().len();
    for rule in set.rules() {
        let _ = (rule.pattern_name(), rule.needs_age(), rule.test_count());
    }
    let _ = set.run_tests();
    let mut timeline = set.new_timeline();
    let _ = timeline.read_yaml("t.yaml", EXAMPLE_TIMELINE);
    let engine = Engine::new(set);
    for as_of in as_ofs() {
        let _ = engine.evaluate(&timeline, as_of);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    // 1. A rule file beside the default vocabulary.
    if let Ok(set) = RuleSet::from_sources([("vocabulary.yaml", VOCABULARY), ("fuzz.yaml", text)]) {
        exercise(set);
    }
    // 2. The same file alone (it may hold `vocabulary:` and `rules:`).
    if let Ok(set) = RuleSet::from_yaml_str("fuzz.yaml", text) {
        exercise(set);
    }
    // 3. The file as the vocabulary of one default rule file (picked by the input's length).
    let (name, rules) = RULE_FILES[data.len() % RULE_FILES.len()];
    if let Ok(set) = RuleSet::from_sources([("vocabulary.yaml", text), (name, rules)]) {
        exercise(set);
    }
});
