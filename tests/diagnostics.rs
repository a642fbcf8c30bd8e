//! Snapshot tests of rule-loading diagnostics: a changed message is a reviewed diff.

use early_signal::RuleSet;

const VOCAB: &str = r#"
vocabulary:
  kinds:
    contact.new:
      description: first recorded contact with a person
      attributes:
        relation: { values: [peer, unknown_adult, known_adult, family] }
        age_gap_years: { type: number }
    meeting.in_person: { description: a meeting }
    missing.episode:
      description: the youth was missing
      attributes:
        overnight: { type: bool }
  channels: [in_person, online.social_media, online.messaging]
  sources: [mentor, school]
  facts:
    residence: { values: [home, institution.open, institution.closed] }
"#;

/// Loads `rules` with the vocabulary above and renders every error (the governance warnings have
/// their own tests below).
fn diagnose(rules: &str) -> String {
    diagnose_with(VOCAB, rules)
}

/// Loads `rules` with `vocab` and renders every error.
fn diagnose_with(vocab: &str, rules: &str) -> String {
    match RuleSet::from_sources([("vocabulary.yaml", vocab), ("rules.yaml", rules)]) {
        Ok(_) => String::from("loaded\n"),
        Err(e) => e
            .errors()
            .map(|d| d.render())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Loads `rules` (which must load) and renders its warnings.
fn lints(vocab: &str, rules: &str) -> String {
    let set = RuleSet::from_sources([("vocabulary.yaml", vocab), ("rules.yaml", rules)]).unwrap();
    set.warnings()
        .iter()
        .map(|d| d.render())
        .collect::<Vec<_>>()
        .join("\n")
}

fn rule(when: &str) -> String {
    format!(
        "rules:\n  - id: r\n    version: 1\n    title: t\n    class: risk\n    severity: high\n    rationale: why\n    when:\n{when}"
    )
}

macro_rules! snap {
    ($name:ident, $yaml:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(diagnose(&$yaml));
        }
    };
}

snap!(
    unknown_kind_suggests,
    rule("      match: { kind: contact.nwe }\n")
);
snap!(
    bad_duration,
    rule("      count: { match: { kind: contact.new }, within: 7 days, at_least: 3 }\n")
);
snap!(
    zero_duration,
    rule("      count: { match: { kind: contact.new }, within: 0d, at_least: 3 }\n")
);
snap!(
    protected_attribute,
    rule("      match: { kind: contact.new, attributes.nationality: x }\n")
);
snap!(
    protected_by,
    rule(
        "      count: { match: { kind: contact.new }, within: 7d, at_least: 2, by: attributes.religion }\n"
    )
);
snap!(
    number_against_enum,
    rule("      match: { attributes.relation: 3 }\n")
);
snap!(
    string_against_number,
    rule("      match: { attributes.age_gap_years: { gte: ten } }\n")
);
snap!(
    bool_yes_is_a_string,
    rule("      match: { attributes.overnight: yes }\n")
);
snap!(
    enum_value_typo,
    rule("      match: { attributes.relation: unknown_adlt }\n")
);
snap!(
    glob_matches_nothing,
    rule("      match: { channel: offline.* }\n")
);
snap!(unknown_field, rule("      match: { knd: contact.new }\n"));
snap!(
    unknown_operator,
    rule("      match: { attributes.age_gap_years: { gteq: 5 } }\n")
);
snap!(empty_predicate, rule("      match: {}\n"));
snap!(empty_any, rule("      match: { any: [] }\n"));
snap!(null_matcher, rule("      match: { counterpart: null }\n"));
snap!(
    one_step_sequence,
    rule("      sequence: { within: 7d, steps: [ { kind: contact.new } ] }\n")
);
snap!(
    signals_at_least_too_large,
    rule(
        "      signals: { within: 30d, at_least: 3, of: { a: { kind: contact.new }, b: { kind: missing.episode } } }\n"
    )
);
snap!(
    unknown_pattern,
    rule("      cont: { match: { kind: contact.new } }\n")
);
snap!(
    unknown_rule_field,
    format!(
        "{}    severty: high\n",
        rule("      match: { kind: contact.new }\n")
    )
);
snap!(
    unknown_placeholder,
    format!(
        "{}    message: \"{{countrpart}} met\"\n",
        rule("      match: { kind: contact.new }\n")
    )
);
snap!(
    unless_without_reason,
    format!(
        "{}    unless:\n      - match: {{ attributes.relation: family }}\n",
        rule("      match: { kind: contact.new }\n")
    )
);
snap!(
    duplicate_ids_name_both_places,
    format!(
        "{}{}",
        rule("      match: { kind: contact.new }\n"),
        rule("      match: { kind: meeting.in_person }\n").replacen("rules:\n", "", 1)
    )
);
snap!(
    missing_rationale,
    "rules:\n  - id: r\n    version: 1\n    title: t\n    class: risk\n    severity: high\n    when: { match: { kind: contact.new } }\n"
);
snap!(
    bad_id_and_severity,
    "rules:\n  - id: Bad_Id\n    version: 1\n    title: t\n    class: danger\n    severity: hgh\n    rationale: x\n    when: { match: { kind: contact.new } }\n"
);
snap!(
    duplicate_key,
    "rules:\n  - id: r\n    id: s\n    version: 1\n"
);
snap!(syntax_error, "rules:\n  - id: [r\n");
snap!(
    unknown_fact,
    rule("      match: { subject.residense: home }\n")
);
snap!(
    urgent_longer_than_window,
    format!(
        "{}    window: {{ urgent: 30d, closes: 7d }}\n",
        rule("      match: { kind: contact.new }\n")
    )
);

snap!(
    window_opens_unknown_value,
    format!(
        "{}    window: {{ opens: start }}\n",
        rule("      match: { kind: contact.new }\n")
    )
);
snap!(
    unknown_channel_and_source_say_where_to_declare_them,
    rule("      match: { kind: contact.new, channel: online.mesaging, source: police }\n")
);
snap!(
    unknown_source_suggests_and_says_where_to_declare_it,
    rule("      match: { kind: contact.new, source: mentr }\n")
);

#[test]
fn protected_names_repeated_by_the_vocabulary_are_listed_once() {
    // The default pack's vocabulary repeats the built-in names under `protected:`.
    let vocab = format!(
        "{VOCAB}  protected: [ethnicity, nationality, country_of_birth, religion, name, postcode, neighbourhood, custody_status]\n"
    );
    let out = diagnose_with(
        &vocab,
        &rule("      match: { kind: contact.new, attributes.religion: x }\n"),
    );
    assert_eq!(out.matches("`religion`").count(), 2, "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn without_vocabulary_names_are_not_checked_and_check_says_so() {
    let set =
        RuleSet::from_yaml_str("r.yaml", &rule("      match: { kind: anything.goes }\n")).unwrap();
    let w: Vec<String> = set.warnings().iter().map(|d| d.to_string()).collect();
    insta::assert_snapshot!(w.join("\n"));
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let yaml = format!(
        "{}{}",
        rule("      match: { kind: contact.nwe }\n"),
        rule("      count: { match: { kind: meeting.in_persn }, within: 7x, at_least: 0 }\n")
            .replacen("rules:\n", "", 1)
            .replacen("id: r", "id: r2", 1)
    );
    let err = RuleSet::from_sources([("vocabulary.yaml", VOCAB), ("rules.yaml", yaml.as_str())])
        .unwrap_err();
    assert_eq!(err.errors().count(), 4, "{err}");
}

#[test]
fn vocabulary_refuses_conflicting_attribute_types_and_a_fact_named_age() {
    let vocab = "vocabulary:\n  kinds:\n    a:\n      attributes: { hours: { type: number } }\n    b:\n      attributes: { hours: { type: bool } }\n  facts:\n    age: { type: number }\n";
    let err = RuleSet::from_yaml_str("vocabulary.yaml", vocab).unwrap_err();
    insta::assert_snapshot!(
        err.diagnostics
            .iter()
            .map(|d| d.render())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn differing_enumerations_of_one_attribute_are_merged_for_rules() {
    let vocab = "vocabulary:\n  kinds:\n    a:\n      attributes: { relation: { values: [peer] } }\n    b:\n      attributes: { relation: { values: [family] } }\n";
    let rules = "rules:\n  - { id: r, version: 1, title: t, class: risk, severity: low, rationale: x, when: { match: { attributes.relation: [peer, family] } } }\n";
    RuleSet::from_sources([("vocabulary.yaml", vocab), ("r.yaml", rules)]).unwrap();
}

snap!(
    enum_value_far_from_any_lists_the_values,
    rule("      match: { attributes.relation: stranger }\n")
);
snap!(
    protected_names_ignore_case_and_separators,
    rule("      match: { subject.Religion: x, attributes.country-of-birth: y }\n")
);
snap!(
    placeholder_left_open,
    format!(
        "{}    message: \"{{count {{subject}}\"\n",
        rule("      match: { kind: contact.new }\n")
    )
);
snap!(
    placeholder_typo_short,
    format!(
        "{}    message: \"{{cnt}}\"\n",
        rule("      match: { kind: contact.new }\n")
    )
);
snap!(
    pattern_fields_not_indented,
    "rules:\n  - id: r\n    version: 1\n    title: t\n    class: risk\n    severity: high\n    rationale: x\n    when:\n      match:\n      kind: contact.new\n"
);

/// A rule with a firing test and a near miss, so that only the lint under test speaks.
fn tested_rule(id: &str, when: &str) -> String {
    format!(
        "  - id: {id}\n    version: 1\n    title: t\n    class: risk\n    severity: high\n    rationale: why\n    when: {when}\n    tests:\n      - name: fires\n        timeline: {{ subject: t, observations: [ {{ id: a, at: 2026-03-01T00:00:00+01:00, kind: contact.new }} ] }}\n        expect: [ {{ rule: {id}, evidence: [a] }} ]\n      - name: near miss\n        timeline: {{ subject: t, observations: [ {{ id: a, at: 2026-03-01T00:00:00+01:00, kind: meeting.in_person }} ] }}\n        expect: []\n"
    )
}

const SMALL_VOCAB: &str = "vocabulary:\n  kinds:\n    contact.new: {}\n    meeting.in_person: {}\n";

#[test]
fn governance_warnings_for_untested_and_odd_rules() {
    let rules = format!(
        "rules:\n{}{}{}",
        rule("      match: { kind: contact.new }\n")
            .replacen("rules:\n", "", 1)
            .replacen("id: r", "id: untested", 1),
        tested_rule(
            "count-of-one",
            "{ count: { match: { kind: contact.new }, within: 7d, at_least: 1 } }"
        ),
        tested_rule(
            "long-window",
            "{ count: { match: { kind: contact.new }, within: 400d, at_least: 2 } }"
        ),
    );
    insta::assert_snapshot!(lints(SMALL_VOCAB, &rules));
}

#[test]
fn governance_warns_about_vocabulary_no_rule_uses() {
    let vocab = "vocabulary:\n  kinds:\n    contact.new: { attributes: { relation: { values: [peer] }, hours: { type: number } } }\n    meeting.in_person: {}\n    stay.hotel: {}\n  channels: [in_person, online.chat]\n  sources: [mentor]\n  facts:\n    residence: { values: [home] }\n";
    let rules = format!(
        "rules:\n{}",
        tested_rule(
            "r",
            "{ match: { kind: [contact.*, meeting.in_person], channel: online.*, attributes.relation: peer } }"
        )
    );
    insta::assert_snapshot!(lints(vocab, &rules));
}

#[test]
fn protected_names_in_test_timelines_are_errors() {
    let rules = format!(
        "rules:\n{}",
        tested_rule("r", "{ match: { kind: contact.new } }")
    )
    .replacen(
        "kind: contact.new } ]",
        "kind: contact.new, attributes: { Religion: x } } ]",
        1,
    );
    insta::assert_snapshot!(diagnose(&rules));
}

#[test]
fn undeclared_source_in_a_test_timeline_says_where_to_declare_it() {
    let rules = format!(
        "rules:\n{}",
        tested_rule("r", "{ match: { kind: contact.new } }")
    )
    .replacen(
        "kind: contact.new } ]",
        "kind: contact.new, source: mentr } ]",
        1,
    );
    insta::assert_snapshot!(diagnose(&rules));
}

/// Loads `rules` (which must fail) and renders every diagnostic, warnings included, as
/// `early-signal check` prints them.
fn everything(vocab: &str, rules: &str) -> String {
    let err =
        RuleSet::from_sources([("vocabulary.yaml", vocab), ("rules.yaml", rules)]).unwrap_err();
    err.diagnostics
        .iter()
        .map(|d| d.render())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_unused_vocabulary_warnings_when_a_rule_is_refused() {
    // `broken` is the only rule that uses `meeting.in_person`; refused, it would make the kind
    // look unused.
    let rules = format!(
        "rules:\n{}{}",
        tested_rule("good", "{ match: { kind: contact.new } }"),
        tested_rule(
            "broken",
            "{ count: { match: { kind: meeting.in_person }, within: 7 days, at_least: 2 } }"
        ),
    );
    let out = everything(SMALL_VOCAB, &rules);
    assert!(!out.contains("no rule uses it"), "{out}");
    insta::assert_snapshot!(out);
}
