//! The command-line tool: each command, its output formats and its exit codes.
#![cfg(feature = "cli")]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_early-signal");

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("early-signal-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const RULES: &str = r#"
vocabulary:
  kinds:
    contact.new: { description: new contact }
    meeting.in_person: { description: a meeting }
    missing.episode.end: { description: a missing episode ended }
    return.interview: { description: a return interview }
  channels: [in_person, online.social_media]
rules:
  - id: online-contact-then-meeting
    version: 1
    title: New online contact followed by a meeting
    class: risk
    severity: high
    rationale: half of recruitments took under a week
    when:
      sequence:
        within: 7d
        by: counterpart
        steps:
          - { kind: contact.new, channel: online.* }
          - { kind: meeting.in_person }
    tests:
      - name: fires
        timeline:
          subject: t-1
          observations:
            - { id: a, at: 2026-03-02T21:00:00+01:00, kind: contact.new, channel: online.social_media, counterpart: c-1 }
            - { id: b, at: 2026-03-04T18:00:00+01:00, kind: meeting.in_person, counterpart: c-1 }
        expect:
          - { rule: online-contact-then-meeting, evidence: [a, b] }
  - id: no-return-interview
    version: 1
    title: No return interview
    class: risk
    severity: medium
    rationale: returns must be talked through
    when:
      absence:
        after: { kind: missing.episode.end }
        expect: { kind: return.interview }
        within: 72h
"#;

const TIMELINE: &str = r#"
subject: y-1
observations:
  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: contact.new, channel: online.social_media, counterpart: c-1 }
  - { id: b, at: 2026-03-04T18:00:00+01:00, kind: meeting.in_person, counterpart: c-1 }
  - { id: c, at: 2026-03-05T08:00:00+01:00, kind: missing.episode.end }
  - { id: d, at: 2026-03-05T09:00:00, kind: meeting.in_person }
---
subject: y-2
observations:
  - { id: a, at: 2026-03-01T08:00:00+01:00, kind: missing.episode.end }
"#;

#[test]
fn eval_table_lists_flags_most_urgent_first_and_reports_rejections_on_stderr() {
    let dir = scratch("table");
    let rules = write(&dir, "rules.yaml", RULES);
    let tl = write(&dir, "t.yaml", TIMELINE);
    let o = run(&[
        "eval",
        tl.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--as-of",
        "2026-03-06T00:00:00+01:00",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[2].starts_with("urgent  high"), "{out}");
    assert!(lines[3].starts_with("urgent  medium"), "{out}");
    assert!(
        out.contains(
            "pending y-1 no-return-interview after `c`: deadline 2026-03-08T08:00:00+01:00"
        ),
        "{out}"
    );
    assert!(
        out.contains("2 flag(s), 1 pending, 1 rejected record(s)"),
        "{out}"
    );
    let err = stderr(&o);
    assert!(err.contains("t.yaml:7:18: rejected (subject `y-1`, observation `d`): `at`: timestamp `2026-03-05T09:00:00` has no UTC offset"), "{err}");
}

#[test]
fn eval_json_is_one_document_with_the_design_fields() {
    let dir = scratch("json");
    let rules = write(&dir, "rules.yaml", RULES);
    let tl = write(&dir, "t.yaml", TIMELINE);
    let o = run(&[
        "eval",
        tl.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--as-of",
        "2026-03-06T00:00:00+01:00",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "as_of", "ruleset", "flags", "pending", "warnings", "rejected", "stats",
    ] {
        assert!(doc.get(key).is_some(), "missing {key}");
    }
    let flag = &doc["flags"][0];
    for key in [
        "id",
        "rule",
        "rule_version",
        "ruleset",
        "subject",
        "class",
        "severity",
        "key",
        "raised_at",
        "known_at",
        "evidence",
        "window",
        "explanation",
    ] {
        assert!(flag.get(key).is_some(), "flag lacks {key}: {flag}");
    }
    assert_eq!(flag["key"]["counterpart"], "c-1");
    assert_eq!(flag["evidence"][0]["step"], 1);
    assert_eq!(flag["window"]["stage"], "urgent");
    assert_eq!(doc["pending"][0]["after"], "c");
    assert_eq!(doc["rejected"][0]["line"], 7);
}

#[test]
fn eval_jsonl_prints_one_flag_per_line() {
    let dir = scratch("jsonl");
    let rules = write(&dir, "rules.yaml", RULES);
    let tl = write(&dir, "t.yaml", TIMELINE);
    let o = run(&[
        "eval",
        tl.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--as-of",
        "2026-03-06T00:00:00+01:00",
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["id"].as_str().unwrap().starts_with("fl-"));
    }
}

#[test]
fn eval_reads_json_lines_with_a_subjects_file() {
    let dir = scratch("jsonl-in");
    let rules = write(&dir, "rules.yaml", RULES);
    let obs = write(
        &dir,
        "obs.jsonl",
        concat!(
            r#"{"subject":"y-1","id":"a","at":"2026-03-02T21:00:00+01:00","kind":"contact.new","channel":"online.social_media","counterpart":"c-1"}"#,
            "\n\n",
            r#"{"subject":"y-1","id":"b","at":"2026-03-04T18:00:00+01:00","kind":"meeting.in_person","counterpart":"c-1"}"#,
            "\n",
            r#"{"subject":"y-1","id":"x","at":"2026-03-04T18:00:00+01:00","kind":"meeting.inperson"}"#,
            "\n",
            "{not json\n",
            r#"{"id":"y","at":"2026-03-04T18:00:00+01:00","kind":"meeting.in_person"}"#,
            "\n",
        ),
    );
    let subjects = write(
        &dir,
        "subjects.jsonl",
        "{\"subject\":\"y-1\",\"born\":\"2011-04-01\"}\n",
    );
    let o = run(&[
        "eval",
        obs.to_str().unwrap(),
        "--subjects",
        subjects.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--as-of",
        "2026-03-06T00:00:00+01:00",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["flags"].as_array().unwrap().len(), 1);
    let rejected = doc["rejected"].as_array().unwrap();
    let lines: Vec<u64> = rejected
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 5, 6], "{rejected:?}");
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains("did you mean `meeting.in_person`?")
    );
}

#[test]
fn eval_on_the_builtin_pack_runs_without_rules() {
    let dir = scratch("builtin");
    let tl = write(
        &dir,
        "t.yaml",
        "subject: y-9\nobservations:\n  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: disclosure }\n",
    );
    let o = run(&[
        "eval",
        tl.to_str().unwrap(),
        "--as-of",
        "2026-03-03T00:00:00+01:00",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["flags"][0]["class"], "harm");
}

/// One thread or several, the batch commands print the same bytes: the serial path and the
/// parallel one (youths in parts, merged in order) are compared on a region large enough to be
/// split, with its rejections and warnings, and with more records refused in `backtest`'s
/// replay than it lists.
#[test]
fn eval_and_backtest_print_the_same_on_one_thread_and_several() {
    let dir = scratch("threads");
    let region = dir.join("region");
    let o = run(&[
        "generate",
        "--out",
        region.to_str().unwrap(),
        "--subjects",
        "400",
        "--per-subject",
        "20",
        "--days",
        "60",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A few lines the readers refuse or warn about, among the others.
    let observations = region.join("observations.jsonl");
    let mut text = std::fs::read_to_string(&observations).unwrap();
    text.push_str("{not json\n");
    text.push_str(r#"{"subject":"y-000007","id":"x-1","at":"2026-01-20T10:00:00+01:00","kind":"meeting.inperson"}"#);
    text.push('\n');
    // More records than `backtest` lists that its replay refuses (too late for any monitor),
    // entered in the reverse order of their ids: the list is the first ones one monitor meets.
    for i in (1..=30).rev() {
        let _ = writeln!(
            text,
            r#"{{"subject":"y-{i:06}","id":"late-{i:02}","at":"1800-01-01T00:00:00+01:00","recorded_at":"2026-01-{:02}T12:00:00+01:00","kind":"meeting.in_person"}}"#,
            31 - i
        );
    }
    std::fs::write(&observations, text).unwrap();
    let subjects = region.join("subjects.jsonl");
    let (obs, subjects) = (observations.to_str().unwrap(), subjects.to_str().unwrap());
    let commands: [&[&str]; 2] = [
        &[
            "eval",
            obs,
            "--subjects",
            subjects,
            "--as-of",
            "2026-03-01T00:00:00+01:00",
            "--format",
            "json",
        ],
        &["backtest", obs, "--subjects", subjects, "--format", "json"],
    ];
    for args in commands {
        let outputs: Vec<Output> = ["1", "2", "3"]
            .iter()
            .map(|n| run(&[args, &["--threads", n]].concat()))
            .collect();
        for o in &outputs {
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(o));
        }
        let doc: serde_json::Value = serde_json::from_slice(&outputs[0].stdout).unwrap();
        if args[0] == "eval" {
            assert!(doc["flags"].as_array().unwrap().len() > 10, "{args:?}");
            assert_eq!(doc["rejected"].as_array().unwrap().len(), 2, "{args:?}");
        } else {
            assert_eq!(doc["backtest"]["refused"], 30, "{args:?}");
        }
        for o in &outputs[1..] {
            assert!(o.stdout == outputs[0].stdout, "{args:?}: stdout differs");
            assert_eq!(stderr(o), stderr(&outputs[0]), "{args:?}");
        }
    }
}

#[test]
fn unusable_input_or_arguments_exit_2_with_a_message() {
    let dir = scratch("unusable");
    let tl = write(&dir, "t.yaml", TIMELINE);
    let txt = write(&dir, "t.txt", "x");
    let bad_rules = write(&dir, "bad.yaml", "rules:\n  - id: r\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["eval", "/nonexistent/t.yaml"],
            "cannot read `/nonexistent/t.yaml`",
        ),
        (vec!["eval", txt.to_str().unwrap()], "cannot tell the type"),
        (
            vec![
                "eval",
                tl.to_str().unwrap(),
                "--as-of",
                "2026-03-06T00:00:00",
            ],
            "no UTC offset",
        ),
        (
            vec![
                "eval",
                tl.to_str().unwrap(),
                "--rules",
                bad_rules.to_str().unwrap(),
            ],
            "missing field",
        ),
        (
            vec!["eval", tl.to_str().unwrap(), "--rules", "/nonexistent"],
            "does not exist",
        ),
        (vec!["eval"], "required"),
        (vec!["check", "/nonexistent"], "does not exist"),
        (vec!["frobnicate"], "unrecognized subcommand"),
        (
            vec!["eval", tl.to_str().unwrap(), "--threads", "0"],
            "invalid value '0' for '--threads <N>'",
        ),
        (
            vec!["--threads", "2000", "eval", tl.to_str().unwrap()],
            "2000 is not in 1..=1024",
        ),
        (
            vec!["eval", tl.to_str().unwrap(), "--threads", "abc"],
            "invalid value 'abc' for '--threads <N>'",
        ),
    ];
    for (args, needle) in cases {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn check_reports_every_problem_with_a_caret_and_exits_1() {
    let dir = scratch("check");
    let bad = write(
        &dir,
        "bad.yaml",
        &RULES
            .replace("kind: contact.new, channel", "kind: contact.nwe, channel")
            .replace("within: 72h", "within: 3 days"),
    );
    let o = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("error: unknown kind `contact.nwe`"), "{out}");
    assert!(out.contains("did you mean `contact.new`?"), "{out}");
    assert!(
        out.contains("error: `within`: `3 days` is not a duration"),
        "{out}"
    );
    // The rule's own test uses the misspelt kind too: that is reported at its line as well.
    assert!(out.contains("error: test `fires` of rule `online-contact-then-meeting`: timeline record refused: undeclared kind `contact.nwe`"), "{out}");
    assert!(out.contains("3 error(s)"), "{out}");
    let caret = out
        .lines()
        .skip_while(|l| !l.contains("contact.nwe, channel"))
        .nth(1)
        .unwrap();
    let src = out
        .lines()
        .find(|l| l.contains("contact.nwe, channel"))
        .unwrap();
    assert_eq!(
        caret.find('^').unwrap(),
        src.find("contact.nwe").unwrap(),
        "{src}\n{caret}"
    );

    let o = run(&["check", bad.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["errors"], 3);
    assert_eq!(doc["diagnostics"][0]["line"], 21);
}

#[test]
fn check_accepts_good_rules_and_the_builtin_pack() {
    let dir = scratch("check-ok");
    let good = write(&dir, "rules.yaml", RULES);
    let o = run(&["check", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("2 rule(s)"));
    let o = run(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("built-in rule pack"));
}

#[test]
fn test_runs_embedded_tests_and_exits_1_on_failure() {
    let dir = scratch("test");
    let good = write(&dir, "rules.yaml", RULES);
    let o = run(&["test", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 passed, 0 failed"), "{}", stdout(&o));
    let failing = write(
        &dir,
        "failing.yaml",
        &RULES.replace("evidence: [a, b]", "evidence: [a]"),
    );
    let o = run(&["test", failing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAILED online-contact-then-meeting :: fires"),
        "{out}"
    );
    assert!(out.contains("expected: [a]\n"), "{out}");
    assert!(out.contains("actual:   [a, b]\n"), "{out}");
    assert!(out.contains("- [a]  expected, not raised"), "{out}");
    assert!(out.contains("+ [a, b]  raised, not expected"), "{out}");
    assert!(out.contains("0 passed, 1 failed"), "{out}");
    let o = run(&["test"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn test_failure_on_a_mismatched_field_prints_the_evidence_readably() {
    let dir = scratch("test-fields");
    let failing = write(
        &dir,
        "failing.yaml",
        &RULES.replace(
            "evidence: [a, b] }",
            "evidence: [a, b], stage: open, severity: low, raised_at: 2026-03-04T19:00:00+01:00 }",
        ),
    );
    let o = run(&["test", failing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("       flag [a, b]: expected raised_at 2026-03-04T19:00:00+01:00, got 2026-03-04T18:00:00+01:00\n"),
        "{out}"
    );
    assert!(
        out.contains("       flag [a, b]: expected severity low, got high\n"),
        "{out}"
    );
    assert!(
        out.contains("       flag [a, b]: expected stage open, got urgent\n"),
        "{out}"
    );
    assert!(!out.contains('"'), "{out}");
}

/// A rule set of `n` rules, each with one test (and so a warning for the missing near miss), whose
/// `check`, `test` and `eval` outputs are far larger than a pipe holds.
fn many_rules(dir: &Path, n: usize) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    write(
        &rules,
        "vocabulary.yaml",
        "vocabulary:\n  kinds:\n    contact.new: { description: new contact }\n",
    );
    let name = "a test with a long name ".repeat(40);
    let mut text = String::from("rules:\n");
    for i in 0..n {
        writeln!(
            text,
            "  - {{ id: r-{i}, version: 1, title: t, class: risk, severity: low, rationale: x, when: {{ match: {{ kind: contact.new }} }}, tests: [ {{ name: '{name}', timeline: {{ subject: t, observations: [ {{ id: a, at: 2026-03-01T00:00:00+01:00, kind: contact.new }} ] }}, expect: [ {{ rule: r-{i}, evidence: [a] }} ] }} ] }}"
        )
        .unwrap();
    }
    write(&rules, "rules.yaml", &text);
    rules
}

/// Runs the tool, reads the first line of its output and closes the pipe, as `| head -1` does.
fn run_closing_stdout_early(args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty(), "{args:?}: no output");
    child.wait_with_output().unwrap()
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    let dir = scratch("pipe");
    let rules = many_rules(&dir, 300);
    let rules = rules.to_str().unwrap();
    let mut timeline = String::new();
    for s in 0..20 {
        writeln!(
            timeline,
            r#"{{"subject":"y-{s}","id":"a","at":"2026-03-01T00:00:00+01:00","kind":"contact.new"}}"#
        )
        .unwrap();
    }
    let tl = write(&dir, "t.jsonl", &timeline);
    let tl = tl.to_str().unwrap();
    let eval = [
        "eval",
        tl,
        "--rules",
        rules,
        "--as-of",
        "2026-03-02T00:00:00+01:00",
    ];
    for args in [
        &["check", rules][..],
        &["check", rules, "--format", "json"],
        &["test", rules],
        &eval,
        &[&eval[..], &["--format", "jsonl"]].concat(),
    ] {
        // More than a pipe holds (64 KiB on Linux), so the tool is still writing when the reader
        // leaves.
        let full = run(args);
        assert!(
            full.stdout.len() > 96 * 1024,
            "{args:?}: {}",
            full.stdout.len()
        );
        let o = run_closing_stdout_early(args);
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
        assert_eq!(
            o.status.code(),
            full.status.code(),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    }
}

/// The README's first command, as a new user runs it.
#[test]
fn readme_command_on_the_bundled_timeline() {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let o = Command::new(BIN)
        .current_dir(manifest)
        .args([
            "eval",
            "examples/timelines/recruitment-window.yaml",
            "--as-of",
            "2026-11-20T00:00:00+01:00",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The digest changes with every edit of the pack; the flags are what this snapshot guards.
    let out = stdout(&o);
    let digest = out
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap_or("")
        .to_owned();
    insta::assert_snapshot!(out.replace(&digest, "sha256:[digest]"));
    let o = Command::new(BIN)
        .current_dir(manifest)
        .args([
            "eval",
            "examples/timelines/quiet.yaml",
            "--as-of",
            "2026-11-20T00:00:00+01:00",
        ])
        .output()
        .unwrap();
    assert!(stdout(&o).contains("no flags"), "{}", stdout(&o));
}

#[test]
fn a_json_lines_line_that_is_not_utf8_is_rejected_alone() {
    let dir = scratch("utf8");
    let path = dir.join("obs.jsonl");
    let mut bytes =
        br#"{"subject":"y-1","id":"a","at":"2026-03-02T21:00:00+01:00","kind":"disclosure"}"#
            .to_vec();
    bytes.extend_from_slice(b"\n{\"subject\":\"y-1\",\"id\":\"b\",\"kind\":\"disc\xffosure\"}\n");
    std::fs::write(&path, bytes).unwrap();
    let o = run(&[
        "eval",
        path.to_str().unwrap(),
        "--as-of",
        "2026-03-03T00:00:00+01:00",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["flags"].as_array().unwrap().len(), 1);
    assert_eq!(doc["rejected"][0]["line"], 2);
    assert!(
        doc["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not valid UTF-8")
    );
}

#[test]
fn check_deny_warnings_fails_on_warnings() {
    let dir = scratch("deny");
    // The rule loads, but has no tests: a governance warning.
    let rules = write(
        &dir,
        "rules.yaml",
        "rules:\n  - { id: r, version: 1, title: t, class: risk, severity: low, rationale: x, when: { match: { kind: x } } }\n",
    );
    let o = run(&["check", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("warning: rule `r` has no tests"),
        "{}",
        stdout(&o)
    );
    let o = run(&["check", rules.to_str().unwrap(), "--deny-warnings"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("refused by --deny-warnings"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "check",
        rules.to_str().unwrap(),
        "--deny-warnings",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["errors"], 0);
}

#[test]
fn explain_tells_firings_and_near_misses_in_text_and_json() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/timelines/recruitment-window.yaml"
    );
    let as_of = "2026-11-20T00:00:00+01:00";
    let fired = run(&[
        "explain",
        "--rule",
        "repeated-missing",
        "--subject",
        "y-0001",
        example,
        "--as-of",
        as_of,
    ]);
    assert!(fired.status.success(), "{}", stderr(&fired));
    let text = stdout(&fired);
    assert!(text.contains("fired at 17 Nov 2026 22:00"), "{text}");
    assert!(text.contains("evidence: o-06"), "{text}");

    let waiting = run(&[
        "explain",
        "--rule",
        "missing-without-return-interview",
        "--subject",
        "y-0001",
        example,
        "--as-of",
        as_of,
        "--format",
        "json",
    ]);
    assert!(waiting.status.success(), "{}", stderr(&waiting));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&waiting)).unwrap();
    assert_eq!(doc["flags"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        doc["near_miss"]["suggestion"]["evaluate_at"],
        "2026-11-21T12:00:00+01:00"
    );

    let unknown = run(&[
        "explain",
        "--rule",
        "repeated-mising",
        "--subject",
        "y-0001",
        example,
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean `repeated-missing`"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn backtest_reports_per_rule_and_the_changes_against_a_baseline() {
    let dir = scratch("backtest");
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(root.join("rules")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("missing.yaml") {
            let i = text.find("id: repeated-missing").unwrap();
            let j = i + text[i..].find("at_least: 3").unwrap();
            text.replace_range(j..j + "at_least: 3".len(), "at_least: 2");
        }
        std::fs::write(rules.join(path.file_name().unwrap()), text).unwrap();
    }
    let example = root.join("examples/timelines/recruitment-window.yaml");
    let out = run(&[
        "backtest",
        example.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--baseline",
        root.join("rules").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("replayed 17 records of 1 subject(s)"),
        "{text}"
    );
    // Two episodes now suffice: the flag is known at the second, four days earlier.
    assert!(
        text.contains("~ repeated-missing y-0001 (first evidence o-06) known 2026-11-13T23:00:00+01:00 instead of 2026-11-17T22:00:00+01:00"),
        "{text}"
    );

    let json = run(&["backtest", example.to_str().unwrap(), "--format", "json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let rules = doc["backtest"]["rules"].as_array().unwrap();
    let repeated = rules
        .iter()
        .find(|r| r["rule"] == "repeated-missing")
        .unwrap();
    assert_eq!(repeated["standing"], 1);
    assert!(doc["changes"].is_null());

    // A baseline with its own vocabulary reads the input with it: the custom kinds its rules
    // use are not lost because the default vocabulary refuses them.
    let custom = root.join("examples/custom-rules");
    let out = run(&[
        "backtest",
        custom.join("timelines/example.yaml").to_str().unwrap(),
        "--rules",
        root.join("rules").to_str().unwrap(),
        "--baseline",
        custom.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("compared with the baseline: 0 flag(s) appear, 3 disappear"),
        "{text}"
    );
    let out = run(&[
        "backtest",
        example.to_str().unwrap(),
        "--from",
        "2026-12-01T00:00:00+01:00",
        "--to",
        "2026-11-01T00:00:00+01:00",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is after --to"), "{}", stderr(&out));
}

#[test]
fn schema_prints_the_json_schema_of_each_format() {
    use early_signal::schema::Format;
    let o = run(&["schema"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        printed,
        early_signal::schema::rules(),
        "`rules` is the default"
    );
    for format in Format::ALL {
        let o = run(&["schema", format.name()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let printed: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(printed, format.schema(), "{}", format.name());
    }
    let o = run(&["schema", "rule"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("rules"), "{}", stderr(&o));
}

#[test]
fn report_writes_one_page_for_a_subject_and_lists_the_ids_for_an_unknown_one() {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let dir = scratch("report");
    let html = dir.join("case.html");
    let html_arg = html.display().to_string();
    let args = |subject: &'static str| {
        [
            "report",
            "examples/timelines/several-subjects.yaml",
            "--subject",
            subject,
            "--as-of",
            "2026-12-01T00:00:00+01:00",
            "--html",
        ]
    };
    let o = Command::new(BIN)
        .current_dir(manifest)
        .args(args("y-0004"))
        .arg(&html_arg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("subject `y-0004`, 2 flag(s)"),
        "{}",
        stderr(&o)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("coercion-sign") && page.contains("harm-disclosure-or-advert"));
    // Only this subject: the other subjects' flags are not on the page.
    assert!(!page.contains("y-0003") && !page.contains("missing-from-institution"));

    // `--html -` writes the same page to standard output.
    let o = Command::new(BIN)
        .current_dir(manifest)
        .args(args("y-0004"))
        .arg("-")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), page);

    let o = Command::new(BIN)
        .current_dir(manifest)
        .args(args("y-9999"))
        .arg(&html_arg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: no subject `y-9999` in the input (3 subject(s) were read: `y-0003`, `y-0004`, `y-0005`)\n\
         help: the id is the `subject` field of a timeline document or JSON Lines record; `early-signal eval INPUT... --format jsonl` lists the flagged subjects\n"
    );
}
