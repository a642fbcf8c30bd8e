//! The built-in rule pack: it loads cleanly, its embedded tests pass, and it is the `rules/` directory.

use early_signal::{Engine, RuleSet};

#[test]
fn builtin_pack_loads_without_warnings() {
    let set = RuleSet::builtin();
    assert!(!set.rules().is_empty());
    // Until the full pack lands, vocabulary entries may be declared before a rule uses them.
    let other: Vec<_> = set
        .warnings()
        .iter()
        .filter(|d| !d.message.contains("no rule uses it"))
        .collect();
    assert!(other.is_empty(), "{other:?}");
    assert!(set.vocabulary().is_some());
}

#[test]
fn builtin_pack_is_the_rules_directory() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let loaded = RuleSet::load(dir).unwrap();
    assert_eq!(loaded.digest(), RuleSet::builtin().digest());
}

#[test]
fn every_embedded_rule_test_passes() {
    let outcomes = RuleSet::builtin().run_tests();
    assert!(!outcomes.is_empty());
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn every_rule_has_a_firing_test_and_a_near_miss() {
    let set = RuleSet::builtin();
    let outcomes = set.run_tests();
    for rule in set.rules() {
        let mine: Vec<_> = outcomes.iter().filter(|o| o.rule == rule.id).collect();
        assert!(
            mine.iter().any(|o| !o.expected.is_empty()),
            "{} has no test that fires",
            rule.id
        );
        assert!(
            mine.iter().any(|o| o.expected.is_empty()),
            "{} has no near miss",
            rule.id
        );
    }
}

#[test]
fn example_timelines_flag_what_their_headers_say() {
    let engine = Engine::new(RuleSet::builtin());
    let read = |name: &str| {
        let path = format!("{}/examples/timelines/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut tl = engine.rules().new_timeline();
        tl.read_yaml(&path, &std::fs::read_to_string(&path).unwrap())
            .unwrap();
        assert!(tl.rejected().is_empty(), "{:?}", tl.rejected());
        tl
    };
    let as_of = "2026-11-30T00:00:00+01:00".parse().unwrap();
    let quiet = engine.evaluate(&read("quiet.yaml"), as_of);
    assert!(quiet.flags.is_empty(), "{:#?}", quiet.flags);
    assert!(quiet.pending.is_empty());
    let busy = engine.evaluate(&read("recruitment-window.yaml"), as_of);
    let mut rules: Vec<&str> = busy.flags.iter().map(|f| f.rule.as_str()).collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "missing-without-return-interview",
            "online-contact-then-meeting",
            "repeated-missing",
            "signal-combination"
        ]
    );
}
