//! Timeline readers: one bad record is refused on its own, with its place and reason.

use early_signal::{Engine, RuleSet, Timeline};

#[test]
fn a_born_that_disagrees_refuses_that_document_and_its_observations() {
    let mut tl = Timeline::new();
    tl.read_yaml(
        "t.yaml",
        "subject: y-1\nborn: 2011-04-01\nobservations:\n  - { id: a, at: 2026-03-01T00:00:00+01:00, kind: x }\n---\nsubject: y-1\nborn: 2012-04-01\nobservations:\n  - { id: b, at: 2026-03-02T00:00:00+01:00, kind: x }\n",
    )
    .unwrap();
    let st = tl.subject("y-1").unwrap();
    assert_eq!(st.observations().len(), 1);
    let lines: Vec<Option<u32>> = tl.rejected().iter().map(|r| r.line).collect();
    assert_eq!(lines, [Some(6), Some(9)], "{:#?}", tl.rejected());
    assert!(
        tl.rejected()[0]
            .reason
            .contains("may be two different people")
    );
    assert_eq!(tl.rejected()[1].id.as_deref(), Some("b"));
}

#[test]
fn a_broken_yaml_document_loses_only_itself() {
    let mut tl = Timeline::new();
    tl.read_yaml(
        "t.yaml",
        "subject: y-1\nobservations:\n  - { id: a, at: 2026-03-01T00:00:00+01:00, kind: x }\n---\nsubject: y-2\nobservations:\n  - { id: a, at: [2026\n---\nsubject: y-3\nobservations:\n  - { id: a, at: 2026-03-01T00:00:00+01:00, kind: x }\n",
    )
    .unwrap();
    let ids: Vec<&str> = tl.subjects().map(|s| s.subject().id.as_str()).collect();
    assert_eq!(ids, ["y-1", "y-3"]);
    assert_eq!(tl.rejected().len(), 1);
    assert_eq!(tl.rejected()[0].file.as_deref(), Some("t.yaml"));
    assert!(
        tl.rejected()[0].line.is_some_and(|l| (5..=8).contains(&l)),
        "{:?}",
        tl.rejected()
    );
}

#[test]
fn unknown_fields_and_bad_facts_are_reported_and_the_rest_is_kept() {
    let rules = RuleSet::from_yaml_str(
        "r.yaml",
        "vocabulary:\n  kinds: { x: {} }\n  facts: { residence: { values: [home, institution.open] } }\nrules: []\n",
    )
    .unwrap();
    let mut tl = rules.new_timeline();
    tl.read_yaml(
        "t.yaml",
        "subject: y-1\nfacts:\n  - { name: residence, value: hotel }\n  - { name: residence, value: home }\nobservations:\n  - { id: a, at: 2026-03-01T00:00:00+01:00, kind: x, colour: red }\n  - { id: b, at: 2026-03-01T00:00:00+01:00, kind: x }\n",
    )
    .unwrap();
    let st = tl.subject("y-1").unwrap();
    assert_eq!(st.subject().facts.len(), 1);
    assert_eq!(st.observations().len(), 1);
    let reasons: Vec<String> = tl.rejected().iter().map(|r| r.to_string()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:#?}");
    assert!(
        reasons[0].contains("`hotel` is not one of the declared values"),
        "{reasons:#?}"
    );
    assert!(reasons[0].starts_with("t.yaml:3:5:"), "{reasons:#?}");
    assert!(reasons[1].starts_with("t.yaml:6:54:"), "{reasons:#?}");
    assert!(
        reasons[1].contains("unknown field `colour`"),
        "{reasons:#?}"
    );
}

#[test]
fn evaluating_with_a_vocabulary_rejects_records_a_plain_timeline_accepted() {
    let rules = RuleSet::from_yaml_str(
        "r.yaml",
        "vocabulary:\n  kinds: { x: {} }\nrules:\n  - { id: r, version: 1, title: t, class: risk, severity: low, rationale: x, when: { match: { kind: x } } }\n",
    )
    .unwrap();
    let mut tl = Timeline::new();
    tl.read_jsonl(
        "o.jsonl",
        "{\"subject\":\"y-1\",\"id\":\"a\",\"at\":\"2026-03-01T00:00:00+01:00\",\"kind\":\"x\"}\n{\"subject\":\"y-1\",\"id\":\"b\",\"at\":\"2026-03-01T00:00:00+01:00\",\"kind\":\"z\"}\n",
    );
    assert!(tl.rejected().is_empty());
    let report = Engine::new(rules).evaluate(&tl, "2026-03-02T00:00:00+01:00".parse().unwrap());
    assert_eq!(report.flags.len(), 1);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, Some(2));
    assert_eq!(report.rejected[0].id.as_deref(), Some("b"));
}

#[test]
fn json_number_ids_are_taken_as_written() {
    let mut tl = Timeline::new();
    tl.read_jsonl(
        "o.jsonl",
        "{\"subject\":1042,\"id\":17,\"at\":\"2026-03-01T00:00:00+01:00\",\"kind\":\"x\"}\n",
    );
    assert!(tl.rejected().is_empty(), "{:?}", tl.rejected());
    assert_eq!(tl.subject("1042").unwrap().observations()[0].id, "17");
}

#[test]
fn an_undeclared_channel_or_source_says_where_to_declare_it() {
    let rules = RuleSet::from_yaml_str(
        "r.yaml",
        "vocabulary:\n  kinds: { x: {} }\n  channels: [in_person, online.chat]\n  sources: [mentor, school]\nrules: []\n",
    )
    .unwrap();
    let mut tl = rules.new_timeline();
    tl.read_yaml(
        "t.yaml",
        "subject: y-1\nobservations:\n  - { id: a, at: 2026-03-01T00:00:00+01:00, kind: x, channel: online.chta }\n  - { id: b, at: 2026-03-01T00:00:00+01:00, kind: x, source: mentr }\n  - { id: c, at: 2026-03-01T00:00:00+01:00, kind: x, source: police }\n",
    )
    .unwrap();
    let reasons: Vec<&str> = tl.rejected().iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "undeclared channel `online.chta`; correct it, or declare it under `channels:` in vocabulary.yaml; did you mean `online.chat`?",
            "undeclared source `mentr`; correct it, or declare it under `sources:` in vocabulary.yaml; did you mean `mentor`?",
            "undeclared source `police`; correct it, or declare it under `sources:` in vocabulary.yaml",
        ]
    );
    // Records read without the vocabulary are checked when evaluated, with the same message.
    let mut plain = Timeline::new();
    plain.read_jsonl(
        "o.jsonl",
        "{\"subject\":\"y-1\",\"id\":\"a\",\"at\":\"2026-03-01T00:00:00+01:00\",\"kind\":\"x\",\"source\":\"mentr\"}\n",
    );
    let report = Engine::new(rules).evaluate(&plain, "2026-03-02T00:00:00+01:00".parse().unwrap());
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].reason, reasons[1]);
}

// --- found by review: hostile shapes within the default limits --------------------------------

/// A generous bound for hostile input in a debug build (the corpus uses the same): quadratic
/// work on a 1 MiB line took 10-15 s before it was fixed.
const HOSTILE_BOUND: std::time::Duration = std::time::Duration::from_secs(5);

#[test]
fn a_line_with_many_keys_is_refused_quickly_on_both_paths() {
    let many = |prefix: &str| -> String {
        (0..60_000)
            .rev()
            .map(|i| format!("\"{prefix}{i}\":1"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let top = format!("{{\"subject\":\"y-1\",\"id\":\"a\",{}}}\n", many("k"));
    let attrs = format!(
        "{{\"subject\":\"y-1\",\"id\":\"b\",\"at\":\"2026-03-02T21:00:00+01:00\",\"kind\":\"x\",\"attributes\":{{{}}}}}\n",
        many("a")
    );
    for line in [top, attrs] {
        let start = std::time::Instant::now();
        let mut tl = Timeline::new();
        tl.read_jsonl("many.jsonl", line.as_bytes());
        assert_eq!(tl.observation_count(), 0);
        assert_eq!(tl.rejected().len(), 1, "{:?}", tl.rejected());
        assert!(start.elapsed() < HOSTILE_BOUND, "{:?}", start.elapsed());
    }
}

#[test]
fn an_attribute_given_twice_is_refused_also_when_one_value_is_null() {
    for attrs in [
        r#"{"relation":"unknown_adult","relation":null}"#,
        r#"{"relation":null,"relation":"peer"}"#,
        r#"{"relation":"peer","relation":"family"}"#,
    ] {
        let line = format!(
            "{{\"subject\":\"y-1\",\"id\":\"a\",\"at\":\"2026-03-02T21:00:00+01:00\",\"kind\":\"contact.new\",\"attributes\":{attrs}}}\n"
        );
        let mut tl = Timeline::new();
        tl.read_jsonl("dup.jsonl", line.as_bytes());
        assert_eq!(tl.observation_count(), 0, "{attrs}");
        assert!(
            tl.rejected()[0].reason.contains("appears twice"),
            "{:?}",
            tl.rejected()
        );
    }
}

#[test]
fn rejections_are_listed_up_to_the_limit_and_counted_beyond_it() {
    let mut tl = Timeline::new();
    tl.set_limits(early_signal::Limits {
        max_rejections: 10,
        ..early_signal::Limits::default()
    });
    tl.read_jsonl("garbage.jsonl", "x\n".repeat(1000));
    assert_eq!(tl.rejected().len(), 10);
    assert_eq!(tl.rejections_not_listed(), 990);
    let report = early_signal::Engine::new(early_signal::RuleSet::builtin())
        .evaluate(&tl, "2027-01-01T00:00:00+01:00".parse().unwrap());
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.message.contains("990 more record(s)")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn many_small_alias_bombs_in_one_yaml_file_are_each_refused_quickly() {
    let bomb = {
        let mut lines = vec![
            "subject: y-1".to_owned(),
            "x:".to_owned(),
            "  - &a [l,l,l,l,l,l,l,l,l]".to_owned(),
        ];
        let mut prev = 'a';
        for n in "bcdefghi".chars() {
            lines.push(format!(
                "  - &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
            ));
            prev = n;
        }
        lines.join("\n")
    };
    let text = vec![bomb; 200].join("\n---\n");
    let start = std::time::Instant::now();
    let mut tl = Timeline::new();
    tl.read_yaml("bombs.yaml", &text).unwrap();
    assert_eq!(tl.rejected().len(), 200);
    assert!(start.elapsed() < HOSTILE_BOUND, "{:?}", start.elapsed());
}

#[test]
fn a_crlf_line_of_exactly_the_limit_is_read() {
    let mut tl = Timeline::new();
    let head =
        r#"{"subject":"y-1","id":"a","at":"2026-03-02T21:00:00+01:00","kind":"x","counterpart":""#;
    let pad = 200 - head.len() - 2;
    let line = format!("{head}{}\"}}", "c".repeat(pad));
    assert_eq!(line.len(), 200);
    tl.set_limits(early_signal::Limits {
        max_line_bytes: 200,
        ..early_signal::Limits::default()
    });
    tl.read_jsonl_reader("crlf.jsonl", format!("{line}\r\n{line}x\r\n").as_bytes())
        .unwrap();
    assert_eq!(tl.observation_count(), 1, "{:?}", tl.rejected());
    assert_eq!(tl.rejected().len(), 1);
    assert!(tl.rejected()[0].reason.contains("more than the 200"));
}
