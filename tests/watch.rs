//! `early-signal watch`: shuffled and late arrivals give the flags `eval` gives; stopping (at the
//! end of input or by SIGTERM) and restarting with `--state` changes nothing; bad lines are
//! reported with their line number and the rest is processed.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_early-signal");
const AS_OF: &str = "2026-12-31T00:00:00+01:00";

fn example(name: &str) -> String {
    format!("{}/examples/timelines/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The example observations in a fixed shuffled order, so that many arrive late.
fn shuffled_lines() -> Vec<String> {
    let text = std::fs::read_to_string(example("observations.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let n = lines.len();
    let mut order: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % n).collect();
    order.dedup();
    assert_eq!(order.len(), n, "7 must be coprime with the line count");
    lines = order.into_iter().map(|i| lines[i].clone()).collect();
    lines
}

/// Starts `watch` with piped stdin, stdout and stderr.
fn spawn_watch(args: &[&str]) -> std::process::Child {
    Command::new(BIN)
        .arg("watch")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `watch` with `input` on stdin; returns stdout, stderr and the exit code.
fn watch(args: &[&str], input: &str) -> (String, String, i32) {
    let mut child = spawn_watch(args);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// Applies a stream of events: flag id → (rule, subject, evidence ids).
fn net(events: &str, live: &mut BTreeMap<String, (String, String, Vec<String>)>) {
    for line in events.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        match e["event"].as_str().unwrap() {
            "raised" => {
                let (id, flag) = summary(&e["flag"]);
                live.insert(id, flag);
            }
            "withdrawn" => {
                let id = e["id"].as_str().unwrap();
                assert!(live.remove(id).is_some(), "withdrawn {id} never raised");
                assert!(!e["reason"].as_str().unwrap().is_empty());
            }
            other => panic!("unknown event {other}"),
        }
    }
}

/// A flag's id and (rule, subject, evidence ids), from its JSON.
fn summary(f: &serde_json::Value) -> (String, (String, String, Vec<String>)) {
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    let evidence = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| text(&x["observation"]))
        .collect();
    (
        text(&f["id"]),
        (text(&f["rule"]), text(&f["subject"]), evidence),
    )
}

/// `eval` on the same data: flag id → (rule, subject, evidence ids).
fn eval_flags() -> BTreeMap<String, (String, String, Vec<String>)> {
    let out = Command::new(BIN)
        .args(["eval", &example("observations.jsonl"), "--subjects"])
        .arg(example("subjects.jsonl"))
        .args(["--as-of", AS_OF, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut flags = BTreeMap::new();
    for f in report["flags"].as_array().unwrap() {
        let (id, flag) = summary(f);
        flags.insert(id, flag);
    }
    assert!(flags.len() >= 5, "the example should flag: {flags:?}");
    flags
}

fn subjects_arg() -> String {
    example("subjects.jsonl")
}

#[test]
fn shuffled_and_late_arrivals_give_the_flags_eval_gives() {
    let mut input = shuffled_lines().join("\n");
    input.push_str(&format!("\n{{\"advance_to\": \"{AS_OF}\"}}\n"));
    let subjects = subjects_arg();
    let (stdout, stderr, code) = watch(&["--subjects", &subjects, "--max-lateness", "90d"], &input);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let mut live = BTreeMap::new();
    net(&stdout, &mut live);
    assert_eq!(live, eval_flags());
    // Shuffled input moves thresholds: some flags were raised and later withdrawn.
    assert!(stdout.contains("\"withdrawn\""), "{stdout}");
}

#[test]
fn as_of_advances_the_clock_at_the_end_of_input_like_eval() {
    let input = shuffled_lines().join("\n");
    let subjects = subjects_arg();
    let (stdout, stderr, code) = watch(
        &[
            "--subjects",
            &subjects,
            "--max-lateness",
            "90d",
            "--as-of",
            AS_OF,
        ],
        &input,
    );
    assert_eq!(code, 0, "{stderr}");
    let mut live = BTreeMap::new();
    net(&stdout, &mut live);
    assert_eq!(live, eval_flags());
}

#[test]
fn realtime_fires_a_deadline_without_a_new_line() {
    // A missing episode that ended 72 hours less 2 seconds ago, with no return interview: the
    // deadline comes 2 seconds after the line. A wall-clock tick raises the flag while stdin
    // stays open and no other line comes.
    let ended = chrono::Local::now().fixed_offset() - chrono::TimeDelta::hours(72)
        + chrono::TimeDelta::seconds(2);
    let line = format!(
        r#"{{"subject": "y-1", "id": "e", "at": "{}", "kind": "missing.episode.end"}}"#,
        ended.to_rfc3339()
    );
    let mut child = spawn_watch(&["--realtime", "--tick", "1"]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{line}").unwrap();
    stdin.flush().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut event = String::new();
    out.read_line(&mut event).unwrap();
    assert!(
        event.contains("missing-without-return-interview"),
        "{event}"
    );
    let raised: serde_json::Value = serde_json::from_str(&event).unwrap();
    let raised_at =
        chrono::DateTime::parse_from_rfc3339(raised["flag"]["raised_at"].as_str().unwrap())
            .unwrap();
    assert_eq!(raised_at, ended + chrono::TimeDelta::hours(72));
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn stopping_at_end_of_input_and_restarting_with_state_changes_nothing() {
    let dir = tempdir();
    let state = format!("{dir}/state.json");
    let lines = shuffled_lines();
    let subjects = subjects_arg();
    let args = [
        "--subjects",
        &subjects,
        "--max-lateness",
        "90d",
        "--state",
        &state,
    ];
    let mut live = BTreeMap::new();
    for (i, part) in lines.chunks(lines.len() / 3 + 1).enumerate() {
        let mut input = part.join("\n");
        input.push('\n');
        let (stdout, stderr, code) = watch(&args, &input);
        assert_eq!(code, 0, "part {i}: {stderr}");
        net(&stdout, &mut live);
        assert!(std::path::Path::new(&state).exists());
    }
    let (stdout, _, _) = watch(&args, &format!("{{\"advance_to\": \"{AS_OF}\"}}\n"));
    net(&stdout, &mut live);
    assert_eq!(live, eval_flags());
}

#[test]
fn sigterm_saves_the_state_and_a_restart_continues_exactly() {
    let dir = tempdir();
    let state = format!("{dir}/state.json");
    let lines = shuffled_lines();
    let (first, rest) = lines.split_at(lines.len() / 2);
    let subjects = subjects_arg();
    let mut child = spawn_watch(&[
        "--subjects",
        &subjects,
        "--max-lateness",
        "90d",
        "--state",
        &state,
    ]);
    let mut stdin = child.stdin.take().unwrap();
    for l in first {
        writeln!(stdin, "{l}").unwrap();
    }
    // A line that is reported on stderr tells when everything before it has been processed.
    writeln!(stdin, "not json").unwrap();
    stdin.flush().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(
        line.starts_with(&format!("stdin:{}: not valid JSON", first.len() + 1)),
        "{line}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(0), "exit after SIGTERM");
    assert!(
        std::path::Path::new(&state).exists(),
        "state saved on SIGTERM"
    );
    let mut live = BTreeMap::new();
    net(&String::from_utf8(out.stdout).unwrap(), &mut live);

    let mut input = rest.join("\n");
    input.push_str(&format!("\n{{\"advance_to\": \"{AS_OF}\"}}\n"));
    let (stdout, stderr, code) = watch(
        &[
            "--subjects",
            &subjects,
            "--max-lateness",
            "90d",
            "--state",
            &state,
        ],
        &input,
    );
    assert_eq!(code, 0, "{stderr}");
    net(&stdout, &mut live);
    assert_eq!(live, eval_flags());
}

#[test]
fn bad_lines_are_reported_with_their_number_and_the_rest_is_processed() {
    let input = [
        r#"{"subject": "y-1", "id": "a", "at": "2026-03-01T10:00:00+01:00", "kind": "disclosure"}"#,
        r#"{"subject": "y-1", "id": "b", "at": "2026-03-01T10:00:00", "kind": "disclosure"}"#,
        "not json",
        r#"{"subject": "y-1", "id": "c", "at": "2026-03-01T11:00:00+01:00", "kind": "disclosur"}"#,
        r#"{"subject": "y-1", "id": "a", "at": "2026-03-01T12:00:00+01:00", "kind": "disclosure"}"#,
        r#"{"subject": "y-1", "id": "d", "at": "2026-03-02T10:00:00+01:00", "kind": "advertisement.found"}"#,
    ]
    .join("\n");
    let (stdout, stderr, code) = watch(&[], &input);
    assert_eq!(code, 0);
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(errors.len(), 4, "{stderr}");
    assert!(
        errors[0].starts_with("stdin:2:") && errors[0].contains("offset"),
        "{stderr}"
    );
    assert!(errors[1].starts_with("stdin:3: not valid JSON"), "{stderr}");
    assert!(
        errors[2].starts_with("stdin:4:") && errors[2].contains("did you mean"),
        "{stderr}"
    );
    assert!(
        errors[3].starts_with("stdin:5:") && errors[3].contains("own id"),
        "{stderr}"
    );
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

#[test]
fn a_state_from_other_rules_is_refused() {
    let dir = tempdir();
    let state = format!("{dir}/state.json");
    let (_, stderr, code) = watch(
        &["--state", &state],
        r#"{"subject": "y-1", "id": "a", "at": "2026-03-01T10:00:00+01:00", "kind": "disclosure"}"#,
    );
    assert_eq!(code, 0, "{stderr}");
    let rules = format!("{dir}/rules.yaml");
    std::fs::write(
        &rules,
        "rules:\n  - id: r\n    version: 1\n    title: t\n    class: risk\n    severity: low\n    rationale: test\n    when: { match: { kind: x } }\n",
    )
    .unwrap();
    let (_, stderr, code) = watch(&["--state", &state, "--rules", &rules], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("saved with rule set"), "{stderr}");
    let (_, stderr, code) = watch(&["--state", &state, "--max-lateness", "5d"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("--max-lateness"), "{stderr}");
}

#[test]
fn a_profile_given_after_a_restart_reports_the_flags_it_causes() {
    let dir = tempdir();
    let rules = format!("{dir}/rules.yaml");
    std::fs::write(
        &rules,
        "rules:\n  - id: minor-x\n    version: 1\n    title: minor x\n    class: risk\n    severity: low\n    rationale: test\n    when: { match: { kind: x, subject.age: { lt: 18 } } }\n",
    )
    .unwrap();
    let subjects = format!("{dir}/subjects.jsonl");
    std::fs::write(&subjects, "{\"subject\":\"y\",\"born\":\"2012-01-01\"}\n").unwrap();
    let state = format!("{dir}/state.json");
    let line = r#"{"subject":"y","id":"o-1","at":"2026-03-01T10:00:00+01:00","kind":"x"}"#;
    // Without `born` the rule cannot match.
    let (stdout, _, code) = watch(&["--rules", &rules, "--state", &state], line);
    assert_eq!((stdout.as_str(), code), ("", 0));
    // The profile arrives after a restart: the flag it causes is written.
    let (stdout, stderr, code) = watch(
        &[
            "--rules",
            &rules,
            "--state",
            &state,
            "--subjects",
            &subjects,
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"minor-x\""), "{stdout}");
}

#[test]
fn an_observation_missing_its_kind_gets_the_observation_message() {
    let (_, stderr, _) = watch(
        &[],
        r#"{"subject": "y-1", "id": "a", "at": "2026-03-01T10:00:00+01:00"}"#,
    );
    assert!(
        stderr.contains("stdin:1:") && stderr.contains("kind"),
        "{stderr}"
    );
}

/// A fresh directory under the target dir (no extra dev-dependency).
fn tempdir() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = format!(
        "{}/watch-test-{}-{}",
        env!("CARGO_TARGET_TMPDIR"),
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
