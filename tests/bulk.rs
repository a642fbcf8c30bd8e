//! `Engine::evaluate_jsonl` (one youth at a time) gives exactly the report of reading the files
//! into a timeline and evaluating it: flags, pending deadlines, rejections, warnings and counts,
//! in the same order.

use early_signal::generate::{WorkloadConfig, generate};
use early_signal::{Engine, Limits, Report, RuleSet, Timeline, Timestamp};

fn as_of() -> Timestamp {
    "2026-03-20T00:00:00+01:00".parse().unwrap()
}

/// The report both ways, asserted equal.
fn both(
    rules: &RuleSet,
    subjects: &str,
    files: &[(&str, &[u8])],
    limits: Option<Limits>,
    as_of: Timestamp,
) -> Report {
    let base = || {
        let mut tl = rules.new_timeline();
        if let Some(l) = &limits {
            tl.set_limits(l.clone());
        }
        tl.read_subjects_jsonl_reader("s.jsonl", subjects.as_bytes())
            .unwrap();
        tl
    };
    let engine = Engine::new(rules.clone());
    let mut whole: Timeline = base();
    for (name, bytes) in files {
        whole.read_jsonl_reader(name, *bytes).unwrap();
    }
    let expected = engine.evaluate(&whole, as_of);
    let got = engine.evaluate_jsonl(base(), files, as_of);
    assert_eq!(
        serde_json::to_string_pretty(&got).unwrap(),
        serde_json::to_string_pretty(&expected).unwrap()
    );
    assert_eq!(got, expected);
    expected
}

const SUBJECTS: &str = r#"{"subject": "y-1", "born": "2011-05-01"}
{"subject": "y-2", "born": "2010-01-01", "facts": [{"name": "residence", "value": "institution.open"}]}
{"subject": "y-9", "born": "2010-01-01"}
{"subject": "y-2", "born": "2010-02-02"}
"#;

fn line(subject: &str, id: &str, day: u32, kind: &str, extra: &str) -> String {
    format!(
        r#"{{"subject": "{subject}", "id": "{id}", "at": "2026-03-{day:02}T21:00:00+01:00", "kind": "{kind}"{extra}}}"#
    )
}

#[test]
fn odd_lines_give_the_same_report() {
    let rules = RuleSet::builtin();
    let mut text = String::new();
    let mut add = |l: String| {
        text.push_str(&l);
        text.push('\n');
    };
    add(line(
        "y-1",
        "a",
        2,
        "contact.new",
        r#", "channel": "online.social_media", "counterpart": "c-1""#,
    ));
    add(line(
        "y-1",
        "a",
        2,
        "contact.new",
        r#", "channel": "online.social_media", "counterpart": "c-1""#,
    ));
    add(line("y-1", "a", 3, "contact.new", ""));
    add(line(
        "y-1",
        "b",
        3,
        "meeting.in_person",
        r#", "counterpart": "c-1""#,
    ));
    add(line(
        "y-2",
        "a",
        4,
        "disclosure",
        r#", "attributes": {"ethnicity": "x", "religion": "y"}"#,
    ));
    add(line("y-2", "b", 4, "disclosre", ""));
    add(line(
        "y-3",
        "a",
        5,
        "threat.blackmail",
        r#", "counterpart": "c-2""#,
    ));
    add("{\"subject\": \"y-\\u0031\", \"id\": \"e\", \"at\": \"2026-03-05T21:00:00+01:00\", \"kind\": \"disclosure\"}".into());
    add("{\"subject\": \"y-4\", \"id\": \"e\", \"at\": \"2026-03-05T21:00:00+01:00\", \"kind\": \"disclosure\"} trailing".into());
    add("not json".into());
    add(String::new());
    add("   ".into());
    add("[\"y-1\", \"z\"]".into());
    add(line("y-5", "a", 6, "missing.episode", "") + "\r");
    add(format!(
        "\u{feff}{}",
        line("y-5", "b", 7, "missing.episode", "")
    ));
    add(line("", "a", 6, "missing.episode", ""));
    add(line("y-6", "", 6, "missing.episode", ""));
    add(line("y-7", "a", 30, "disclosure", ""));
    add(line(
        "y-1",
        "c",
        8,
        "contact.new",
        r#", "attributes": {"age_gap_years": 1e999}"#,
    ));
    add(r#"{"id": "x", "at": "2026-03-05T21:00:00+01:00", "kind": "disclosure"}"#.into());
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"{\"subject\": \"y-8\", \"id\": \"\xff\"}\n");
    bytes.extend_from_slice(line("y-8", "a", 9, "disclosure", "").as_bytes());
    let second = format!(
        "{}\n{}\n",
        line(
            "y-1",
            "a",
            2,
            "contact.new",
            r#", "channel": "online.social_media", "counterpart": "c-1""#
        ),
        line("y-8", "b", 9, "disclosure", "")
    );
    let report = both(
        &rules,
        SUBJECTS,
        &[("one.jsonl", &bytes), ("two.jsonl", second.as_bytes())],
        None,
        as_of(),
    );
    assert!(report.rejected.len() >= 10, "{:#?}", report.rejected);
    assert!(!report.flags.is_empty());
}

#[test]
fn limits_give_the_same_report() {
    let rules = RuleSet::builtin();
    let mut text = String::new();
    for s in 0..6 {
        for i in 0..5 {
            text.push_str(&line(
                &format!("y-{s}"),
                &format!("o-{i}"),
                1 + i,
                "disclosure",
                "",
            ));
            text.push('\n');
        }
        text.push_str("broken\n");
    }
    text.push_str(&format!("{}\n", "x".repeat(300)));
    // Too long and ending in `\r`: the line reader counts the `\r` too.
    text.push_str(&format!("{}\r\n", "y".repeat(300)));
    let limited = |f: &dyn Fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        both(
            &rules,
            SUBJECTS,
            &[("o.jsonl", text.as_bytes())],
            Some(l),
            as_of(),
        )
    };
    let r = limited(&|l| l.max_rejections = 3);
    assert_eq!(r.rejected.len(), 3);
    limited(&|l| l.max_rejections = 0);
    limited(&|l| l.max_observations_per_subject = 2);
    limited(&|l| l.max_line_bytes = 120);
    limited(&|l| l.max_line_bytes = 200);
    // More youths than may be held, and limits of zero: read in order, as the readers do.
    limited(&|l| l.max_subjects = 4);
    limited(&|l| l.max_subjects = 0);
    limited(&|l| l.max_observations_per_subject = 0);
}

/// A generated region of `n` youths with 40 records each: its subject records and its
/// observations as JSON Lines.
fn region(n: usize) -> (String, Vec<u8>) {
    let workload = generate(&WorkloadConfig {
        subjects: n,
        observations_per_subject: 40,
        ..WorkloadConfig::default()
    });
    let (mut subjects, mut observations) = (Vec::new(), Vec::new());
    workload
        .write_jsonl(&mut subjects, &mut observations)
        .unwrap();
    (String::from_utf8(subjects).unwrap(), observations)
}

#[test]
fn a_generated_region_gives_the_same_report() {
    let rules = RuleSet::builtin();
    let (subjects, observations) = region(300);
    let (first, second) = observations.split_at(observations.len() / 2);
    let cut = first.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let (first, rest) = observations.split_at(cut);
    let _ = second;
    for as_of in ["2026-02-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00"] {
        let report = both(
            &rules,
            &subjects,
            &[("a.jsonl", first), ("b.jsonl", rest)],
            None,
            as_of.parse().unwrap(),
        );
        assert!(report.stats.subjects >= 300);
    }
}

/// Without a vocabulary every name is packed as text (with one, declared names are packed as
/// numbers): the same report either way.
#[test]
fn a_rule_set_without_a_vocabulary_gives_the_same_report() {
    let rule = include_str!("../benches/duckdb/three-new-contacts.yaml");
    let rules = RuleSet::from_sources([("three-new-contacts.yaml", rule)]).unwrap();
    assert!(rules.vocabulary().is_none());
    let (subjects, observations) = region(200);
    let report = both(
        &rules,
        &subjects,
        &[("a.jsonl", &observations)],
        None,
        "2027-01-01T00:00:00+01:00".parse().unwrap(),
    );
    assert!(!report.flags.is_empty());
}

// Random inputs on random timelines and limits: tests/bulk_inputs.rs.
