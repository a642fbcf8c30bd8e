//! The built-in rule pack: it loads cleanly, its embedded tests pass, and it is the `rules/` directory.

mod support;

use early_signal::{Engine, RuleSet, Timestamp};

#[test]
fn builtin_pack_loads_without_warnings() {
    let set = RuleSet::builtin();
    // No governance warning either: every rule is tested, and every vocabulary entry is used.
    assert!(set.warnings().is_empty(), "{:#?}", set.warnings());
    assert!(set.vocabulary().is_some());
}

#[test]
fn builtin_pack_has_the_shape_the_catalogue_promises() {
    let set = RuleSet::builtin();
    let n = set.rules().len();
    assert!((10..=15).contains(&n), "{n} rules");
    let mut patterns: Vec<&str> = set.rules().iter().map(|r| r.pattern_name()).collect();
    patterns.sort();
    patterns.dedup();
    assert_eq!(
        patterns,
        ["absence", "count", "match", "sequence", "signals"]
    );
    for rule in set.rules() {
        assert!(!rule.rationale.trim().is_empty(), "{}", rule.id);
        assert!(!rule.references.is_empty(), "{} has no references", rule.id);
    }
    let kinds = set.vocabulary().map_or(0, |v| v.kinds().len());
    assert!(kinds >= 25, "{kinds} kinds");
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

/// Rule ids and evidence ids of every flag, in output order.
fn flags(engine: &Engine, file: &str, as_of: &str) -> Vec<(String, String, Vec<String>)> {
    let path = format!("{}/examples/timelines/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut tl = engine.rules().new_timeline();
    tl.read_yaml(&path, &std::fs::read_to_string(&path).unwrap())
        .unwrap();
    assert!(tl.rejected().is_empty(), "{:?}", tl.rejected());
    let as_of: Timestamp = as_of.parse().unwrap();
    let report = engine.evaluate(&tl, as_of);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    report
        .flags
        .iter()
        .map(|f| {
            let ev = f
                .evidence
                .iter()
                .map(|e| e.observation.to_string())
                .collect();
            (f.subject.to_string(), f.rule.to_string(), ev)
        })
        .collect()
}

fn expected(rows: &[(&str, &str, &[&str])]) -> Vec<(String, String, Vec<String>)> {
    rows.iter()
        .map(|(s, r, ev)| {
            let ev = ev.iter().map(|e| e.to_string()).collect();
            (s.to_string(), r.to_string(), ev)
        })
        .collect()
}

#[test]
fn quiet_timeline_stays_quiet() {
    let engine = Engine::new(RuleSet::builtin());
    assert_eq!(
        flags(&engine, "quiet.yaml", "2026-11-30T00:00:00+01:00"),
        []
    );
}

#[test]
fn recruitment_timeline_flags_what_its_header_says() {
    let engine = Engine::new(RuleSet::builtin());
    assert_eq!(
        flags(
            &engine,
            "recruitment-window.yaml",
            "2026-11-20T00:00:00+01:00"
        ),
        expected(&[
            ("y-0001", "missing-from-institution", &["o-16"]),
            ("y-0001", "online-contact-then-meeting", &["o-01", "o-02"]),
            ("y-0001", "signal-combination", &["o-01", "o-03", "o-04"]),
            ("y-0001", "missing-from-institution", &["o-06"]),
            ("y-0001", "coercion-sign", &["o-14"]),
            ("y-0001", "money-phone-debt", &["o-03", "o-05"]),
            ("y-0001", "repeated-missing", &["o-06", "o-12", "o-16"]),
        ])
    );
}

#[test]
fn several_subjects_flag_what_the_header_says() {
    let engine = Engine::new(RuleSet::builtin());
    assert_eq!(
        flags(
            &engine,
            "several-subjects.yaml",
            "2026-12-01T00:00:00+01:00"
        ),
        expected(&[
            ("y-0004", "harm-disclosure-or-advert", &["o-04"]),
            ("y-0004", "coercion-sign", &["o-02"]),
            ("y-0003", "missing-from-institution", &["o-02"]),
            ("y-0003", "missing-without-return-interview", &["o-03"]),
        ])
    );
}

/// Every rule file of the pack, vocabulary first, as `(name, text)`.
fn pack_files() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "vocabulary.yaml")
        .collect();
    names.sort();
    names.insert(0, "vocabulary.yaml".to_owned());
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(format!("{dir}/{n}")).unwrap();
            (n, text)
        })
        .collect()
}

/// The tests pin every threshold and window of the pack from both sides: moving an `at_least`
/// or a `within` one step up or down makes at least one embedded test fail. So a changed
/// threshold can never pass `early-signal test` unnoticed.
#[test]
fn every_threshold_and_window_is_pinned_by_a_test_on_each_side() {
    let (mutants, unpinned) = support::unpinned_thresholds(&pack_files(), |_| true);
    assert!(unpinned.is_empty(), "{unpinned:#?}");
    assert!(mutants >= 20, "only {mutants} mutants");
}
