//! A corpus of hostile and malformed inputs, with snapshots of exactly what the library says.
//!
//! - `tests/corpus/rules/*.yaml`: rule files, each with one problem, loaded with the default
//!   vocabulary (`rules/vocabulary.yaml`) so that the diagnostics name the corpus file.
//! - `tests/corpus/timelines/*.{yaml,jsonl}` (`*.subjects.jsonl`: subject records): timelines
//!   read with the default vocabulary; the snapshot lists every rejection and warning and what
//!   was kept.
//!
//! Every input that loads is also evaluated. Each case must finish well within [`LIMIT`], a
//! generous sanity bound for a debug build (performance is not what this tests). Inputs too big
//! to commit (100 000 levels of nesting, a 100 KB line, a 2 MB line) are generated here.

use early_signal::{Diagnostic, Engine, Level, RuleSet, Timeline, Timestamp};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const VOCAB: &str = include_str!("../rules/vocabulary.yaml");
const LIMIT: Duration = Duration::from_secs(5);

fn as_of() -> Timestamp {
    "2026-06-01T00:00:00+01:00".parse().unwrap()
}

/// The files of one corpus directory, in byte-wise name order.
fn corpus(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// The snapshot suffix: the file name without its last extension.
fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Makes invisible characters visible and cuts very long lines, so that snapshots stay readable.
fn visible(text: &str, max_line: usize) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let mut n = 0;
        let mut cut = 0usize;
        for c in line.chars() {
            if n >= max_line && c != '\n' {
                cut += c.len_utf8();
                continue;
            }
            n += 1;
            match c {
                '\n' => out.push('\n'),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control()
                    || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}') =>
                {
                    write!(out, "\\u{{{:x}}}", c as u32).unwrap()
                }
                c => out.push(c),
            }
        }
        if cut > 0 {
            let nl = out.ends_with('\n');
            if nl {
                out.pop();
            }
            write!(out, "…[{cut} more bytes]").unwrap();
            if nl {
                out.push('\n');
            }
        }
    }
    out
}

/// The stack every case runs on: the 8 MiB of a main thread, which the CLI has.
///
/// The YAML layer recurses once per nesting level with large frames: in a debug build a 2 MiB
/// thread (the default for spawned threads, and for these tests) overflows at about 44 levels of
/// nested flow mappings, well below the depth budget of 128 (see the ignored tests at the end).
/// A stack overflow aborts the process and cannot be caught, so the corpus runs on 8 MiB to
/// record what the library says.
const CASE_STACK: usize = 8 * 1024 * 1024;

/// Runs `f` on a thread with `stack` bytes of stack, turning a panic into an `Err` with its
/// message, and measures it.
fn guarded_on<T: Send>(
    stack: usize,
    what: &str,
    f: impl FnOnce() -> T + Send,
) -> (Result<T, String>, Duration) {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(s, || guarded_here(what, f))
            .unwrap()
            .join()
            .unwrap()
    })
}

fn guarded<T: Send>(what: &str, f: impl FnOnce() -> T + Send) -> (Result<T, String>, Duration) {
    guarded_on(CASE_STACK, what, f)
}

/// Runs `f` on this thread, turning a panic into an `Err` with its message, and measures it.
fn guarded_here<T>(what: &str, f: impl FnOnce() -> T) -> (Result<T, String>, Duration) {
    let start = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{what} PANICKED: {msg}")
    });
    (r, start.elapsed())
}

// --- rules ------------------------------------------------------------------------------------

/// A small timeline that touches most kinds of the default pack, for evaluating loaded rules.
const SAMPLE: &str = "subject: y-1
born: 2011-04-01
facts:
  - { name: residence, value: institution.open, from: 2026-01-01 }
observations:
  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: contact.new, channel: online.social_media, counterpart: c-1, attributes: { relation: unknown_adult, age_gap_years: 9 } }
  - { id: b, at: 2026-03-03T18:00:00+01:00, kind: meeting.in_person, counterpart: c-1 }
  - { id: c, at: 2026-03-04T18:00:00+01:00, kind: contact.new, channel: online.messaging, counterpart: c-2 }
  - { id: d, at: 2026-03-05T23:00:00+01:00, kind: missing.episode, attributes: { overnight: true } }
  - { id: e, at: 2026-03-06T10:00:00+01:00, kind: missing.episode.end }
  - { id: f, at: 2026-03-07T10:00:00+01:00, kind: money.unexplained }
  - { id: g, at: 2026-03-08T10:00:00+01:00, kind: vehicle.pickup, counterpart: c-1, attributes: { taxi: true } }
";

/// Loads one rule file with the default vocabulary and renders everything it says; when it
/// loads, also runs its embedded tests and evaluates [`SAMPLE`].
fn rule_case(path: &Path, bytes: &[u8]) -> String {
    let name = file_name(path);
    let mut out = String::new();
    let loaded = match std::str::from_utf8(bytes) {
        Ok(text) => RuleSet::from_sources([("vocabulary.yaml", VOCAB), (name.as_str(), text)]),
        Err(e) => {
            // `from_sources` takes text; a file that is not UTF-8 can only come through the
            // path loader (which the CLI uses). Paths relative to the package root.
            writeln!(out, "(not UTF-8: {e}; loaded with RuleSet::load_paths)").unwrap();
            let rel = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
            RuleSet::load_paths(&[Path::new("rules/vocabulary.yaml"), rel])
        }
    };
    match loaded {
        Err(e) => {
            let errors = e.errors().count();
            let warnings = e.diagnostics.len() - errors;
            writeln!(
                out,
                "== load: refused ({errors} error(s), {warnings} warning(s))"
            )
            .unwrap();
            render_diagnostics(&mut out, &e.diagnostics);
        }
        Ok(set) => {
            writeln!(
                out,
                "== load: ok ({} rule(s), {} warning(s))",
                set.rules().len(),
                set.warnings().len()
            )
            .unwrap();
            render_diagnostics(&mut out, set.warnings());
            for t in set.run_tests() {
                writeln!(
                    out,
                    "== test `{}` of `{}` at {}: {}",
                    t.name,
                    t.rule,
                    t.location,
                    if t.passed { "passed" } else { "FAILED" }
                )
                .unwrap();
                for p in &t.problems {
                    writeln!(out, "   {p}").unwrap();
                }
            }
            let mut tl = set.new_timeline();
            tl.read_yaml("sample.yaml", SAMPLE).unwrap();
            let report = Engine::new(set).evaluate(&tl, as_of());
            write_report(&mut out, &tl, &report);
        }
    }
    out
}

/// Renders diagnostics; the warnings that a vocabulary entry is unused are only counted (one
/// rule cannot use the whole default vocabulary, so they are expected and say nothing new).
fn render_diagnostics(out: &mut String, diags: &[Diagnostic]) {
    let unused = |d: &Diagnostic| {
        d.level == Level::Warning
            && d.file == "vocabulary.yaml"
            && d.message.ends_with("is declared but no rule uses it")
    };
    for d in diags.iter().filter(|d| !unused(d)) {
        out.push_str(&d.render());
    }
    let n = diags.iter().filter(|d| unused(d)).count();
    if n > 0 {
        writeln!(
            out,
            "(+ {n} warnings `... is declared but no rule uses it` about vocabulary.yaml)"
        )
        .unwrap();
    }
}

fn write_report(out: &mut String, tl: &Timeline, report: &early_signal::Report) {
    writeln!(
        out,
        "== evaluate at {}: {} flag(s), {} pending",
        as_of().to_rfc3339(),
        report.flags.len(),
        report.pending.len()
    )
    .unwrap();
    for f in &report.flags {
        let ev: Vec<&str> = f.evidence.iter().map(|e| e.observation.as_str()).collect();
        writeln!(out, "   flag {} {} [{}]", f.rule, f.subject, ev.join(", ")).unwrap();
    }
    for r in report.rejected.iter().skip(tl.rejected().len()) {
        writeln!(out, "   rejected at evaluation: {r}").unwrap();
    }
    for w in report.warnings.iter().skip(tl.warnings().len()) {
        writeln!(out, "   warning at evaluation: {w}").unwrap();
    }
}

/// Loads one rule text (generated) and renders it, with the timing check.
fn rule_text_case(name: &str, text: &str, max_line: usize) -> String {
    let (r, took) = guarded(name, || rule_case(Path::new(name), text.as_bytes()));
    let out = r.unwrap_or_else(|p| panic!("{p}"));
    assert!(took < LIMIT, "{name} took {took:?}");
    visible(&out, max_line)
}

/// Corpus files known to take longer than [`LIMIT`] in a debug build: none since alias expansion
/// is bounded by the text's size (the alias bombs took 5-8 s before).
const KNOWN_SLOW: &[&str] = &[];

/// Records a case over the time bound, unless it is known to be slow; prints every case over a
/// second.
fn note_time(slow: &mut Vec<String>, name: &str, took: Duration) {
    if took >= Duration::from_secs(1) {
        eprintln!("{name}: {took:?}");
    }
    if took >= LIMIT && !KNOWN_SLOW.contains(&name) {
        slow.push(format!("{name}: {took:?}"));
    }
}

#[test]
fn alias_bomb_rule_file_is_refused_within_the_bound() {
    let path = corpus("rules")
        .into_iter()
        .find(|p| file_name(p) == "44-alias-bomb.yaml")
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (r, took) = guarded("alias bomb", || rule_case(&path, &bytes));
    r.unwrap();
    assert!(took < LIMIT, "took {took:?}");
}

#[test]
fn alias_bomb_timeline_is_refused_within_the_bound() {
    let path = corpus("timelines")
        .into_iter()
        .find(|p| file_name(p) == "28-alias-bomb.yaml")
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (r, took) = guarded("alias bomb", || timeline_case("28-alias-bomb.yaml", &bytes));
    r.unwrap();
    assert!(took < LIMIT, "took {took:?}");
}

#[test]
fn rule_corpus() {
    let files = corpus("rules");
    assert!(files.len() >= 45, "{} rule files", files.len());
    let mut slow = Vec::new();
    let mut panics = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let (r, took) = guarded(&file_name(path), || rule_case(path, &bytes));
        note_time(&mut slow, &file_name(path), took);
        let out = match r {
            Ok(out) => out,
            Err(p) => {
                panics.push(p);
                continue;
            }
        };
        insta::with_settings!({snapshot_suffix => stem(path), input_file => path, prepend_module_to_snapshot => true}, {
            insta::assert_snapshot!(visible(&out, 4000));
        });
    }
    assert!(
        panics.is_empty() && slow.is_empty(),
        "panics: {panics:#?}\nslow: {slow:#?}"
    );
}

const RULE_HEAD: &str = "rules:\n  - id: r\n    version: 1\n    title: t\n    class: risk\n    severity: high\n    rationale: why\n";

/// `depth` levels of `not` in flow style around one predicate (an even depth is the predicate
/// itself).
fn nested_not(depth: usize) -> String {
    format!(
        "{RULE_HEAD}    when:\n      match: {}{{ kind: contact.new }}{}\n",
        "{ not: ".repeat(depth),
        " }".repeat(depth)
    )
}

#[test]
fn rules_nested_100_000_deep() {
    insta::assert_snapshot!(rule_text_case("deep.yaml", &nested_not(100_000), 300));
}

#[test]
fn rules_nested_lists_100_000_deep() {
    let text = format!(
        "{RULE_HEAD}    references: {}x{}\n    when:\n      match: {{ kind: contact.new }}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    insta::assert_snapshot!(rule_text_case("deep-lists.yaml", &text, 300));
}

#[test]
fn rules_nested_within_the_predicate_depth_limit_load_and_evaluate() {
    // 8 levels of `not` are within `max_predicate_depth` (8): the rule loads and is evaluated.
    insta::assert_snapshot!(rule_text_case("nested-8.yaml", &nested_not(8), 300));
}

#[test]
fn rules_nested_just_over_the_predicate_depth_limit() {
    insta::assert_snapshot!(rule_text_case("nested-9.yaml", &nested_not(9), 300));
}

#[test]
fn rules_nested_over_the_yaml_depth_limit() {
    insta::assert_snapshot!(rule_text_case("nested-40.yaml", &nested_not(40), 300));
}

#[test]
fn rules_line_of_100_kb() {
    let text = format!(
        "{RULE_HEAD}    when:\n      match: {{ kind: contact.new }}\n    message: \"{}\"\n",
        "x".repeat(100 * 1024)
    );
    insta::assert_snapshot!(rule_text_case("long-line.yaml", &text, 300));
}

#[test]
fn rules_line_of_100_kb_with_an_error_at_its_end() {
    let text = format!(
        "{RULE_HEAD}    when:\n      match: {{ kind: contact.new, counterpart: \"{}\", channel: onlin.* }}\n",
        "x".repeat(100 * 1024)
    );
    let out = rule_text_case("long-line-error.yaml", &text, 300);
    insta::assert_snapshot!(out);
}

// --- timelines --------------------------------------------------------------------------------

/// Reads one timeline file with the default vocabulary and renders what was kept, rejected and
/// warned about, then the evaluation with the default pack.
fn timeline_case(name: &str, bytes: &[u8]) -> String {
    let set = RuleSet::builtin();
    let mut tl = set.new_timeline();
    let mut out = String::new();
    if name.ends_with(".subjects.jsonl") {
        tl.read_subjects_jsonl(name, bytes);
        let mut streamed = set.new_timeline();
        streamed.read_subjects_jsonl_reader(name, bytes).unwrap();
        same_reading(&mut out, &tl, &streamed);
    } else if name.ends_with(".jsonl") {
        tl.read_jsonl(name, bytes);
        // The CLI reads line by line: it must say exactly the same.
        let mut streamed = set.new_timeline();
        streamed.read_jsonl_reader(name, bytes).unwrap();
        same_reading(&mut out, &tl, &streamed);
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                if let Err(e) = tl.read_yaml(name, text) {
                    writeln!(out, "== read_yaml refused the text: {}", e.reason).unwrap();
                }
            }
            Err(e) => {
                // `read_yaml` takes text; the CLI reads the file with `read_to_string`.
                let io = String::from_utf8(bytes.to_vec())
                    .map(|_| ())
                    .map_err(|_| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "stream did not contain valid UTF-8",
                        )
                    })
                    .unwrap_err();
                writeln!(
                    out,
                    "== not UTF-8 ({e}); read_yaml takes &str, and the CLI stops with: cannot read `{name}`: {io}"
                )
                .unwrap();
                return out;
            }
        }
    }
    write_timeline(&mut out, &tl);
    let report = Engine::new(set).evaluate(&tl, as_of());
    write_report(&mut out, &tl, &report);
    out
}

fn same_reading(out: &mut String, whole: &Timeline, streamed: &Timeline) {
    if whole.rejected() != streamed.rejected()
        || whole.warnings() != streamed.warnings()
        || whole.observation_count() != streamed.observation_count()
    {
        writeln!(
            out,
            "== DIFFERENCE: read_jsonl and read_jsonl_reader disagree"
        )
        .unwrap();
        writeln!(out, "   streamed kept {}", streamed.observation_count()).unwrap();
        for r in streamed.rejected() {
            writeln!(out, "   streamed rejected: {r}").unwrap();
        }
    }
}

fn write_timeline(out: &mut String, tl: &Timeline) {
    let subjects: Vec<String> = tl
        .subjects()
        .map(|s| {
            let ids: Vec<&str> = s.observations().iter().map(|o| o.id.as_str()).collect();
            format!(
                "{:?} born={:?} facts={} observations=[{}]",
                s.subject().id.as_str(),
                s.subject().born,
                s.subject().facts.len(),
                ids.join(", ")
            )
        })
        .collect();
    writeln!(
        out,
        "== kept: {} observation(s), {} duplicate(s), {} subject(s)",
        tl.observation_count(),
        tl.duplicates(),
        subjects.len()
    )
    .unwrap();
    for s in subjects {
        writeln!(out, "   subject {s}").unwrap();
    }
    writeln!(out, "== rejected: {}", tl.rejected().len()).unwrap();
    for r in tl.rejected() {
        writeln!(
            out,
            "-- file={:?} line={:?} column={:?} subject={:?} id={:?}\n   reason: {}\n   display: {r}",
            r.file, r.line, r.column, r.subject, r.id, r.reason
        )
        .unwrap();
    }
    writeln!(out, "== warnings: {}", tl.warnings().len()).unwrap();
    for w in tl.warnings() {
        writeln!(out, "   {w}").unwrap();
    }
}

fn timeline_text_case(name: &str, bytes: &[u8], max_line: usize) -> String {
    let (r, took) = guarded(name, || timeline_case(name, bytes));
    let out = r.unwrap_or_else(|p| panic!("{p}"));
    assert!(took < LIMIT, "{name} took {took:?}");
    visible(&out, max_line)
}

#[test]
fn timeline_corpus() {
    let files = corpus("timelines");
    assert!(files.len() >= 22, "{} timeline files", files.len());
    let mut slow = Vec::new();
    let mut panics = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let name = file_name(path);
        let (r, took) = guarded(&name, || timeline_case(&name, &bytes));
        note_time(&mut slow, &name, took);
        let out = match r {
            Ok(out) => out,
            Err(p) => {
                panics.push(p);
                continue;
            }
        };
        insta::with_settings!({snapshot_suffix => stem(path), input_file => path, prepend_module_to_snapshot => true}, {
            insta::assert_snapshot!(visible(&out, 4000));
        });
    }
    assert!(
        panics.is_empty() && slow.is_empty(),
        "panics: {panics:#?}\nslow: {slow:#?}"
    );
}

#[test]
fn timeline_jsonl_line_of_2_mb() {
    let big = "c".repeat(2 * 1024 * 1024);
    let text = format!(
        "{{\"subject\":\"y-1\",\"id\":\"a\",\"at\":\"2026-03-02T21:14:00+01:00\",\"kind\":\"contact.new\",\"counterpart\":\"{big}\"}}\n\
         {{\"subject\":\"y-1\",\"id\":\"b\",\"at\":\"2026-03-02T21:14:00+01:00\",\"kind\":\"contact.new\",\"note\":\"{big}\"}}\n\
         {{\"subject\":\"y-1\",\"id\":\"c\",\"at\":\"2026-03-02T21:14:00+01:00\",\"kind\":\"contact.nwe\",\"counterpart\":\"{big}\"}}\n"
    );
    insta::assert_snapshot!(timeline_text_case("big.jsonl", text.as_bytes(), 300));
}

#[test]
fn timeline_jsonl_nested_100_000_deep() {
    let text = format!(
        "{{\"subject\":\"y-1\",\"id\":\"a\",\"at\":\"2026-03-02T21:14:00+01:00\",\"kind\":\"contact.new\",\"attributes\":{{\"relation\":{}1{}}}}}\n\
         {{\"subject\":\"y-1\",\"id\":\"b\",\"at\":\"2026-03-02T21:14:00+01:00\",\"kind\":\"contact.new\"}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    insta::assert_snapshot!(timeline_text_case("deep.jsonl", text.as_bytes(), 300));
}

#[test]
fn timeline_yaml_nested_100_000_deep() {
    let text = format!(
        "subject: y-1\nobservations:\n  - {{ id: a, at: 2026-03-02T21:14:00+01:00, kind: contact.new, attributes: {{ relation: {}peer{} }} }}\n---\nsubject: y-2\nobservations:\n  - {{ id: a, at: 2026-03-02T21:14:00+01:00, kind: contact.new }}\n",
        "{ x: ".repeat(100_000),
        " }".repeat(100_000)
    );
    insta::assert_snapshot!(timeline_text_case("deep.yaml", text.as_bytes(), 300));
}

#[test]
fn timeline_yaml_line_of_2_mb() {
    let text = format!(
        "subject: y-1\nobservations:\n  - {{ id: a, at: 2026-03-02T21:14:00+01:00, kind: contact.new, counterpart: {} }}\n  - {{ id: b, at: 2026-03-02T21:14:00+01:00, kind: contact.nwe, counterpart: {} }}\n",
        "c".repeat(2 * 1024 * 1024),
        "c".repeat(2 * 1024 * 1024),
    );
    insta::assert_snapshot!(timeline_text_case("big.yaml", text.as_bytes(), 300));
}

#[test]
fn timeline_jsonl_100_000_lines_of_one_duplicate_id() {
    // Every line after the first conflicts with it: one rejection per line, each naming line 1.
    let mut text = String::new();
    for i in 0..100_000 {
        writeln!(
            text,
            "{{\"subject\":\"y-1\",\"id\":\"a\",\"at\":\"2026-03-02T21:14:00+01:00\",\"kind\":\"contact.new\",\"counterpart\":\"c-{i}\"}}"
        )
        .unwrap();
    }
    let set = RuleSet::builtin();
    let (r, took) = guarded("dupes", || {
        let mut tl = set.new_timeline();
        tl.read_jsonl("dupes.jsonl", text.as_bytes());
        let report = Engine::new(set.clone()).evaluate(&tl, as_of());
        (
            tl.observation_count(),
            tl.rejected().len(),
            report.flags.len(),
            tl.rejected()[99_998].to_string(),
        )
    });
    let r = r.unwrap_or_else(|p| panic!("{p}"));
    assert!(took < LIMIT, "took {took:?}");
    insta::assert_snapshot!(format!("{r:#?}"));
}

// --- deep nesting on an ordinary 2 MiB thread -------------------------------------------------
//
// Found by this corpus: nesting within the old depth limit (128) overflowed a 2 MiB stack in a
// debug build and aborted the process. `max_yaml_depth` is 32 now; these must pass.

const SMALL_STACK: usize = 2 * 1024 * 1024;

#[test]
fn rules_50_nested_maps_are_refused_on_a_2_mib_thread() {
    let (r, _) = guarded_on(SMALL_STACK, "nested-50", || {
        rule_case(Path::new("nested-50.yaml"), nested_not(50).as_bytes())
    });
    r.unwrap();
}

#[test]
fn rules_100_000_nested_maps_are_refused_on_a_2_mib_thread() {
    let (r, _) = guarded_on(SMALL_STACK, "nested-100000", || {
        rule_case(Path::new("deep.yaml"), nested_not(100_000).as_bytes())
    });
    r.unwrap();
}

#[test]
fn timeline_50_nested_maps_are_refused_on_a_2_mib_thread() {
    let text = format!(
        "subject: y-1\nobservations:\n  - {{ id: a, at: 2026-03-02T21:14:00+01:00, kind: contact.new, attributes: {{ relation: {}peer{} }} }}\n",
        "{ x: ".repeat(50),
        " }".repeat(50)
    );
    let (r, _) = guarded_on(SMALL_STACK, "tl-nested-50", || {
        timeline_case("deep.yaml", text.as_bytes())
    });
    r.unwrap();
}

#[test]
fn rules_60_nested_lists_are_refused_on_a_2_mib_thread() {
    let text = format!(
        "{RULE_HEAD}    when:\n      match: {{ any: {}{{ kind: contact.new }}{} }}\n",
        "[".repeat(60),
        "]".repeat(60)
    );
    let (r, _) = guarded_on(SMALL_STACK, "lists-60", || {
        rule_case(Path::new("lists-60.yaml"), text.as_bytes())
    });
    r.unwrap();
}
