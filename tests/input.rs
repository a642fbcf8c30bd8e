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

/// A record refused in JSON Lines is told what to write in JSON's words (an object, an array,
/// `"at": "…"`), and the same record in YAML in YAML's (a mapping, a list, `at: …`).
#[test]
fn refusals_speak_the_notation_of_the_record() {
    let mut json = Timeline::new();
    json.read_jsonl(
        "o.jsonl",
        concat!(
            "{\"subject\":\"y-1\",\"id\":\"a\",\"kind\":\"x\"}\n",
            "{\"subject\":\"y-1\",\"id\":\"b\",\"at\":\"2026-03-01T00:00:00+01:00\"}\n",
            "[1]\n",
            "{\"subject\":\"y-1\",\"id\":\"c\",\"at\":\"2026-03-01T00:00:00+01:00\",\"kind\":\"x\",\"attributes\":{\"n\":[1]}}\n",
        ),
    );
    json.read_subjects_jsonl(
        "s.jsonl",
        "{\"born\":\"2011-01-01\"}\n{\"subject\":\"y-1\",\"facts\":[[1]]}\n",
    );
    assert_reasons(
        &json,
        &[
            "e.g. `\"at\": \"2026-03-02T21:14:00+01:00\"`",
            "e.g. `\"kind\": \"contact.new\"`",
            "an observation must be an object, found an array",
            "attribute `n`: expected a scalar (string, number or boolean), found an array",
            "e.g. `\"subject\": \"y-1042\"`",
            "a fact must be an object like `{ \"name\": \"residence\", \"value\": \"home\", \"from\": \"2026-01-10\" }`, found an array",
        ],
    );
    let mut yaml = Timeline::new();
    let _ = yaml.read_yaml(
        "t.yaml",
        "subject: y-1\nfacts: [[1]]\nobservations:\n  - { id: a, kind: x }\n  - [1]\n",
    );
    assert_reasons(
        &yaml,
        &[
            "a fact must be a mapping like `{ name: residence, value: home, from: 2026-01-10 }`, found a list",
            "e.g. `at: 2026-03-02T21:14:00+01:00`",
            "an observation must be a mapping, found a list",
        ],
    );
}

/// `tl` refused one record for each of `expected`, in order, each reason containing its words.
fn assert_reasons(tl: &Timeline, expected: &[&str]) {
    let reasons: Vec<String> = tl.rejected().iter().map(|r| r.to_string()).collect();
    assert_eq!(reasons.len(), expected.len(), "{reasons:#?}");
    for (reason, words) in reasons.iter().zip(expected) {
        assert!(reason.contains(words), "{reason}: wanted {words}");
    }
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

/// `read_observation_line` gives, line by line, what `read_jsonl` keeps or refuses for that line.
#[test]
fn one_line_is_read_as_read_jsonl_reads_it() {
    let rules = RuleSet::builtin();
    let reader = rules.new_timeline();
    let lines = [
        r#"{"subject":"y-1","id":"a","at":"2026-03-02T21:00:00+01:00","kind":"contact.new","channel":"online.social_media","counterpart":"c-1","attributes":{"relation":"unknown","age_gap_years":6}}"#,
        r#"  {"subject":"y-1","id":"b","at":"2026-03-02T21:00:00+01:00","kind":"disclosure","source":"mentor"}  "#,
        // escapes and key order take the general path
        r#"{"kind":"disclosure","id":"c\u0041","subject":"y-\u0031","at":"2026-03-02T21:00:00+01:00"}"#,
        r#"{"subject":"y-1","id":"d","at":"2026-03-02T21:00:00+01:00","kind":"disclosur"}"#,
        r#"{"subject":"y-1","id":"e","at":"2026-03-02T21:00:00+01:00","kind":"disclosure","attributes":{"religion":"x"}}"#,
        r#"{"subject":"y-1","id":"f","at":"2026-03-02","kind":"disclosure"}"#,
        r#"{"subject":"y-1","id":"g","at":"2026-03-02T21:00:00+01:00","kind":"disclosure","extra":1}"#,
        r#"{"subject":"y-1","born":"2010-04-01"}"#,
        r#"{"advance_to":"2026-03-03T00:00:00+01:00"}"#,
        r#"{"subject":"y-1","id":"h","at":"2026-03-02T21:00:00+01:00","kind":"disclosure""#,
        "",
        "[1,2]",
    ];
    for (i, line) in lines.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap();
        let read = reader.read_observation_line("in.jsonl", n, line);
        let mut whole = rules.new_timeline();
        // The line at its own number, so that rejections and warnings carry the same place.
        let text = format!("{}{line}", "\n".repeat(i));
        whole.read_jsonl("in.jsonl", text.as_bytes());
        match (&read, whole.rejected().first()) {
            (Err(refused), Some(expected)) => assert_eq!(refused, expected, "line {n}"),
            (Ok(got), None) => {
                let st = whole.subjects().next().expect("one subject");
                assert_eq!(got.subject, st.subject().id.as_str(), "line {n}");
                assert_eq!(&got.observation, &st.observations()[0], "line {n}");
                assert_eq!(got.warnings, whole.warnings(), "line {n}");
            }
            (Err(refused), None) => {
                // Only lines that hold no observation at all.
                assert_eq!(whole.observation_count(), 0, "line {n}: {refused:?}");
                assert!(refused.reason.contains("no observation"), "line {n}");
            }
            (Ok(got), Some(expected)) => {
                panic!("line {n}: read {got:?}, but read_jsonl refused it: {expected:?}")
            }
        }
    }
}

/// A JSON array is not an observation, whatever it holds (serde's derived readers would take the
/// array form of a struct).
#[test]
fn an_array_line_is_refused_not_read_as_an_observation() {
    let line = r#"["y-1","a","2026-03-02T21:00:00+01:00",null,"disclosure"]"#;
    let mut tl = RuleSet::builtin().new_timeline();
    tl.read_jsonl("in.jsonl", line);
    assert_eq!(tl.observation_count(), 0);
    let refused = &tl.rejected()[0];
    assert!(
        refused.reason.contains("must be an object"),
        "{}",
        refused.reason
    );
    let reader = RuleSet::builtin().new_timeline();
    assert_eq!(
        reader
            .read_observation_line("in.jsonl", 1, line)
            .unwrap_err(),
        *refused
    );
}

/// The limits of the timeline apply to a single line too; the line's own reason is given even
/// when the timeline lists no rejections; text of two lines is not one line.
#[test]
fn one_line_is_read_under_the_timeline_limits() {
    let line = r#"{"subject":"y-1","id":"a","at":"2026-03-02T21:00:00+01:00","kind":"disclosure"}"#;
    for limits in [
        early_signal::Limits {
            max_subjects: 0,
            ..Default::default()
        },
        early_signal::Limits {
            max_observations_per_subject: 0,
            ..Default::default()
        },
    ] {
        let mut reader = RuleSet::builtin().new_timeline();
        reader.set_limits(limits.clone());
        let mut whole = RuleSet::builtin().new_timeline();
        whole.set_limits(limits);
        whole.read_jsonl("in.jsonl", line);
        assert_eq!(
            reader
                .read_observation_line("in.jsonl", 1, line)
                .unwrap_err(),
            whole.rejected()[0]
        );
    }
    let mut quiet = RuleSet::builtin().new_timeline();
    quiet.set_limits(early_signal::Limits {
        max_rejections: 0,
        ..Default::default()
    });
    let typo = line.replace("disclosure", "disclosur");
    let refused = quiet
        .read_observation_line("in.jsonl", 1, &typo)
        .unwrap_err();
    assert!(
        refused.reason.contains("undeclared kind"),
        "{}",
        refused.reason
    );
    let two = line.replace(",\"id\"", ",\n\"id\"");
    let refused = quiet
        .read_observation_line("in.jsonl", 1, &two)
        .unwrap_err();
    assert!(
        refused.reason.contains("more than one line"),
        "{}",
        refused.reason
    );
}

#[test]
fn a_non_finite_number_in_a_yaml_timeline_refuses_only_its_record() {
    let mut tl = Timeline::new();
    tl.read_yaml(
        "t.yaml",
        "subject: y-1\nfacts:\n  - { name: score, value: .nan }\n  - { name: residence, value: home }\nobservations:\n  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: disclosure }\n  - { id: b, at: 2026-03-02T22:00:00+01:00, kind: contact.new, attributes: { age_gap_years: .inf } }\n  - { id: c, at: 2026-03-02T23:00:00+01:00, kind: disclosure, attributes: { n: -.inf } }\n  - { id: d, at: 2026-03-02T23:30:00+01:00, kind: disclosure }\n",
    )
    .unwrap();
    let st = tl.subject("y-1").unwrap();
    let kept: Vec<&str> = st.observations().iter().map(|o| o.id.as_str()).collect();
    assert_eq!(kept, ["a", "d"]);
    assert_eq!(st.subject().facts.len(), 1);
    let refused: Vec<(Option<u32>, &str)> = tl
        .rejected()
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert!(refused[0].1.contains("fact `score` is not a finite number"));
    assert_eq!((refused[1].0, refused[2].0), (Some(7), Some(8)));
    assert!(
        refused[1]
            .1
            .contains("`age_gap_years` is not a finite number")
    );
}

#[test]
fn non_finite_numbers_in_rule_files_are_still_refused() {
    let err = RuleSet::from_yaml_str(
        "r.yaml",
        "vocabulary:\n  kinds: { x: { attributes: { n: { type: number } } } }\nrules:\n  - id: r\n    title: t\n    class: contact\n    severity: low\n    rationale: r\n    when:\n      match: { kind: x, attributes.n: { gte: .inf } }\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("finite"), "{err}");
}

#[test]
fn a_birth_date_after_an_observation_is_warned_about() {
    let mut tl = Timeline::new();
    tl.read_yaml(
        "t.yaml",
        "subject: y-1\nborn: 2027-01-01\nobservations:\n  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: disclosure }\n---\nsubject: y-2\nborn: 2011-01-01\nobservations:\n  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: disclosure }\n",
    )
    .unwrap();
    let report =
        Engine::new(RuleSet::builtin()).evaluate(&tl, "2026-03-03T00:00:00+01:00".parse().unwrap());
    let warned: Vec<(Option<&str>, &str)> = report
        .warnings
        .iter()
        .map(|w| (w.subject.as_deref(), w.message.as_str()))
        .collect();
    assert_eq!(warned.len(), 1, "{warned:#?}");
    assert_eq!(warned[0].0, Some("y-1"));
    assert!(
        warned[0]
            .1
            .contains("born on 2027-01-01, after its observation `a`")
    );
}
