//! The custom rule set in `examples/custom-rules/`, the runnable example behind
//! docs/writing-rules.md: a copy of the default pack plus local additions. It must not drift from
//! the default pack, must load without a single warning, and its example timeline must flag what
//! the walkthrough and the timeline's header say.

mod support;

use early_signal::{Engine, RuleSet, Stage, Timestamp};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn custom_dir() -> String {
    format!("{ROOT}/examples/custom-rules")
}

fn custom() -> RuleSet {
    RuleSet::load(custom_dir())
        .unwrap_or_else(|e| panic!("examples/custom-rules/ does not load:\n{e}"))
}

fn default_pack() -> RuleSet {
    RuleSet::load(format!("{ROOT}/rules")).unwrap()
}

/// The `*.yaml` file names directly in `dir`, sorted.
fn yaml_files(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_default_rule_file_is_copied_unchanged() {
    let defaults = yaml_files(&format!("{ROOT}/rules"));
    let mut drifted = Vec::new();
    for name in defaults.iter().filter(|n| *n != "vocabulary.yaml") {
        let original = std::fs::read(format!("{ROOT}/rules/{name}")).unwrap();
        match std::fs::read(format!("{}/{name}", custom_dir())) {
            Ok(copy) if copy == original => {}
            Ok(_) => drifted.push(format!(
                "examples/custom-rules/{name} differs from rules/{name}"
            )),
            Err(_) => drifted.push(format!("examples/custom-rules/{name} is missing")),
        }
    }
    assert!(
        drifted.is_empty(),
        "{}\nthe example keeps the default rule files unchanged (local changes go in local*.yaml); \
         re-copy them: for f in rules/*.yaml; do [ \"$f\" = rules/vocabulary.yaml ] || cp \"$f\" examples/custom-rules/; done",
        drifted.join("\n")
    );

    // And nothing stale: every other rule file of the example is a local one.
    let stale: Vec<_> = yaml_files(&custom_dir())
        .into_iter()
        .filter(|n| n != "vocabulary.yaml" && !n.starts_with("local") && !defaults.contains(n))
        .collect();
    assert!(
        stale.is_empty(),
        "{stale:?} in examples/custom-rules/ are neither a default rule file (any more) nor a local \
         one (`local*.yaml`): remove them, or rename a local file"
    );
}

#[test]
fn the_custom_vocabulary_is_the_default_one_plus_marked_local_entries() {
    let default_set = default_pack();
    let custom_set = custom();
    let (d, c) = (
        default_set.vocabulary().unwrap(),
        custom_set.vocabulary().unwrap(),
    );
    let fix = "copy rules/vocabulary.yaml over examples/custom-rules/vocabulary.yaml and put the \
               `# local:` entries back";

    for (name, decl) in d.kinds() {
        assert_eq!(
            c.kinds().get(name),
            Some(decl),
            "kind `{name}` is missing or declared differently in the custom vocabulary: {fix}"
        );
    }
    for name in d.channels() {
        assert!(
            c.channels().contains(name),
            "channel `{name}` is missing: {fix}"
        );
    }
    for name in d.sources() {
        assert!(
            c.sources().contains(name),
            "source `{name}` is missing: {fix}"
        );
    }
    for (name, ty) in d.facts() {
        assert_eq!(
            c.facts().get(name),
            Some(ty),
            "fact `{name}` is missing or differs: {fix}"
        );
    }
    for name in d.protected() {
        assert!(
            c.is_protected(name),
            "protected name `{name}` is missing: {fix}"
        );
    }

    // Whatever the custom vocabulary adds is marked `# local:` on its line or in the comment
    // right above it, so an upgrade of the default vocabulary is a quick merge.
    let text = std::fs::read_to_string(format!("{}/vocabulary.yaml", custom_dir())).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let marked = |declaration: &dyn Fn(&str) -> bool| {
        let Some(i) = lines.iter().position(|l| declaration(l.trim())) else {
            return false;
        };
        lines[i].contains("# local:")
            || lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.trim_start().starts_with('#'))
                .any(|l| l.contains("# local:"))
    };
    let mut added = Vec::new();
    for name in c.kinds().keys().filter(|k| !d.kinds().contains_key(*k)) {
        added.push(name.clone());
        let decl = format!("{name}:");
        assert!(
            marked(&|l: &str| l.starts_with(&decl)),
            "local kind `{name}` is not marked `# local:`"
        );
    }
    for name in c.facts().keys().filter(|k| !d.facts().contains_key(*k)) {
        added.push(name.clone());
        let decl = format!("{name}:");
        assert!(
            marked(&|l: &str| l.starts_with(&decl)),
            "local fact `{name}` is not marked `# local:`"
        );
    }
    let list_items = c
        .channels()
        .difference(d.channels())
        .chain(c.sources().difference(d.sources()));
    for name in list_items {
        added.push(name.clone());
        assert!(
            marked(&|l: &str| l
                .strip_prefix("- ")
                .is_some_and(|r| { r.split_whitespace().next() == Some(name.as_str()) })),
            "local channel or source `{name}` is not marked `# local:`"
        );
    }
    // What the walkthrough's step 2 adds.
    assert_eq!(added, ["whereabouts.unknown_night", "attendance_officer"]);
}

#[test]
fn the_custom_set_loads_without_warnings_and_its_tests_pass() {
    let set = custom();
    // `check --deny-warnings` passes: every rule is tested, every vocabulary entry (the local ones
    // too) is read by a rule.
    assert!(
        set.warnings().is_empty(),
        "check examples/custom-rules/ warns:\n{}",
        set.warnings()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The default rules plus the local ones, which are prefixed `local-`.
    let ids: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
    for rule in default_pack().rules() {
        assert!(
            ids.contains(&rule.id.as_str()),
            "default rule `{}` is missing",
            rule.id
        );
    }
    let mut local: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|i| i.starts_with("local-"))
        .collect();
    local.sort_unstable();
    assert_eq!(
        local,
        [
            "local-repeated-missing-institution",
            "local-truancy-then-unknown-night",
            "local-unknown-nights",
        ]
    );
    assert_eq!(ids.len(), default_pack().rules().len() + local.len());

    let outcomes = set.run_tests();
    assert!(outcomes.iter().any(|o| o.rule.starts_with("local-")));
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

/// The local rules' thresholds and windows are pinned from both sides, like the default pack's:
/// one step up or down makes an embedded test fail.
#[test]
fn local_thresholds_and_windows_are_pinned_by_a_test_on_each_side() {
    let dir = custom_dir();
    let files: Vec<(String, String)> = std::iter::once("vocabulary.yaml".to_owned())
        .chain(
            yaml_files(&dir)
                .into_iter()
                .filter(|n| n != "vocabulary.yaml"),
        )
        .map(|n| {
            let text = std::fs::read_to_string(Path::new(&dir).join(&n)).unwrap();
            (n, text)
        })
        .collect();
    let (mutants, unpinned) = support::unpinned_thresholds(&files, |n| n.starts_with("local"));
    assert!(unpinned.is_empty(), "{unpinned:#?}");
    assert_eq!(
        mutants, 10,
        "three local rules: two thresholds and three windows, each up and down"
    );
}

/// Subject, rule, evidence ids and stage of every flag, in output order.
type Row = (String, String, Vec<String>, Stage);

fn flags(set: RuleSet, as_of: &str, rejected: usize) -> Vec<Row> {
    let path = format!("{}/timelines/example.yaml", custom_dir());
    let mut tl = set.new_timeline();
    tl.read_yaml(&path, &std::fs::read_to_string(&path).unwrap())
        .unwrap();
    assert_eq!(tl.rejected().len(), rejected, "{:#?}", tl.rejected());
    let as_of: Timestamp = as_of.parse().unwrap();
    Engine::new(set)
        .evaluate(&tl, as_of)
        .flags
        .iter()
        .map(|f| {
            let ev = f
                .evidence
                .iter()
                .map(|e| e.observation.to_string())
                .collect();
            (
                f.subject.to_string(),
                f.rule.to_string(),
                ev,
                f.window.stage,
            )
        })
        .collect()
}

fn rows(rows: &[(&str, &[&str], Stage)]) -> Vec<Row> {
    rows.iter()
        .map(|(rule, ev, stage)| {
            let ev = ev.iter().map(|e| (*e).to_owned()).collect();
            ("y-0301".to_owned(), (*rule).to_owned(), ev, *stage)
        })
        .collect()
}

#[test]
fn the_example_timeline_flags_what_the_walkthrough_says() {
    use Stage::{Open, Urgent};
    // docs/writing-rules.md step 7 and 9, and the timeline's header.
    assert_eq!(
        flags(custom(), "2026-11-20T00:00:00+01:00", 0),
        rows(&[
            ("local-unknown-nights", &["o-05", "o-10"], Urgent),
            ("missing-from-institution", &["o-01"], Open),
            ("missing-from-institution", &["o-06"], Open),
            ("local-truancy-then-unknown-night", &["o-04", "o-05"], Open),
            (
                "local-repeated-missing-institution",
                &["o-01", "o-06"],
                Open
            ),
        ])
    );
    // Replayed on the Sunday morning.
    assert_eq!(
        flags(custom(), "2026-11-08T08:00:00+01:00", 0),
        rows(&[
            ("missing-from-institution", &["o-01"], Urgent),
            (
                "local-truancy-then-unknown-night",
                &["o-04", "o-05"],
                Urgent
            ),
        ])
    );
    // Without `--rules`: the built-in pack rejects the records with the local kind or source.
    assert_eq!(
        flags(RuleSet::builtin(), "2026-11-20T00:00:00+01:00", 6),
        rows(&[
            ("missing-from-institution", &["o-01"], Open),
            ("missing-from-institution", &["o-06"], Open),
        ])
    );
}
