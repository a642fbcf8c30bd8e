//! `Engine::evaluate_jsonl` on wider inputs, checked against reading the files into a
//! timeline and evaluating it (odd lines, preloaded timelines, timelines without a vocabulary,
//! custom rule sets, small limits), and a check that it holds no more memory than reading does.

use early_signal::{Engine, Limits, Report, RuleSet, Timeline, Timestamp};
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Counts the bytes allocated now and at most, for the memory test.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Tests of this file run one at a time, so that the memory test measures only itself.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Bytes allocated at most while `f` runs, above what was allocated when it started.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = NOW.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed) - start)
}

fn builtin() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(RuleSet::builtin)
}

/// A rule set without a vocabulary: any kind is read, protected names are the built-in ones.
fn custom() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        RuleSet::from_yaml_str(
            "c.yaml",
            "rules:
  - id: any-disclosure
    version: 1
    title: any disclosure
    class: risk
    severity: high
    rationale: review
    when: { match: { kind: disclosure } }
  - id: two-contacts
    version: 1
    title: two contacts
    class: risk
    severity: medium
    rationale: review
    when:
      count:
        match: { kind: contact.* }
        at_least: 2
        within: 7d
",
        )
        .unwrap()
    })
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// How the timeline is made before the JSON Lines are read on top of it.
#[derive(Debug, Clone)]
struct Base {
    /// With the rule set's vocabulary, or `Timeline::new()`.
    vocabulary: bool,
    limits: Limits,
    subjects: String,
    yaml: Option<String>,
}

impl Base {
    fn make(&self, rules: &RuleSet) -> Timeline {
        let mut tl = if self.vocabulary {
            rules.new_timeline()
        } else {
            Timeline::new()
        };
        tl.set_limits(self.limits.clone());
        tl.read_subjects_jsonl_reader("s.jsonl", self.subjects.as_bytes())
            .unwrap();
        if let Some(y) = &self.yaml {
            tl.read_yaml("t.yaml", y).unwrap();
        }
        tl
    }
}

/// The report both ways, asserted equal.
fn both(rules: &RuleSet, base: &Base, files: &[(&str, &[u8])], as_of: Timestamp) -> Report {
    let engine = Engine::new(rules.clone());
    let mut whole = base.make(rules);
    for (name, bytes) in files {
        whole.read_jsonl_reader(name, *bytes).unwrap();
    }
    let expected = engine.evaluate(&whole, as_of);
    let got = engine.evaluate_jsonl(base.make(rules), files, as_of);
    assert_eq!(
        serde_json::to_string_pretty(&got).unwrap(),
        serde_json::to_string_pretty(&expected).unwrap()
    );
    assert_eq!(got, expected);
    expected
}

/// [`both`], and the batch reading each file through a reader whose buffer holds `capacity`
/// bytes (lines then run over the end of the buffer, some more than once).
fn both_buffered(
    rules: &RuleSet,
    base: &Base,
    files: &[(&str, &[u8])],
    as_of: Timestamp,
    capacity: usize,
) {
    let expected = both(rules, base, files, as_of);
    let engine = Engine::new(rules.clone());
    let mut batch = engine.jsonl_batch(base.make(rules));
    for (name, bytes) in files {
        batch
            .read(name, std::io::BufReader::with_capacity(capacity, *bytes))
            .unwrap();
    }
    assert_eq!(
        batch.evaluate(as_of),
        expected,
        "buffer of {capacity} bytes"
    );
    // The same through a reader that hands out `capacity` bytes at a time and is interrupted
    // before each, as a pipe may be: both readers try again.
    let mut batch = engine.jsonl_batch(base.make(rules));
    let mut whole = base.make(rules);
    for (name, bytes) in files {
        batch.read(name, Choppy::new(bytes, capacity)).unwrap();
        whole
            .read_jsonl_reader(name, Choppy::new(bytes, capacity))
            .unwrap();
    }
    assert_eq!(
        batch.evaluate(as_of),
        expected,
        "interrupted, {capacity} bytes at a time"
    );
    assert_eq!(engine.evaluate(&whole, as_of), expected);
}

/// A reader of `bytes` that hands out at most `step` of them at a time and fails with
/// `Interrupted` once before each.
struct Choppy<'a> {
    bytes: &'a [u8],
    step: usize,
    interrupt: bool,
}

impl<'a> Choppy<'a> {
    fn new(bytes: &'a [u8], step: usize) -> Self {
        Choppy {
            bytes,
            step: step.max(1),
            interrupt: true,
        }
    }
}

impl std::io::Read for Choppy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = std::io::BufRead::fill_buf(self)?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for Choppy<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if std::mem::take(&mut self.interrupt) {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        Ok(&self.bytes[..self.step.min(self.bytes.len())])
    }

    fn consume(&mut self, amount: usize) {
        self.bytes = &self.bytes[amount.min(self.bytes.len())..];
        self.interrupt = true;
    }
}

fn plain_base() -> Base {
    Base {
        vocabulary: true,
        limits: Limits::default(),
        subjects: String::new(),
        yaml: None,
    }
}

fn obs(subject: &str, id: &str, day: u32, kind: &str, extra: &str) -> String {
    format!(
        r#"{{"subject": "{subject}", "id": "{id}", "at": "2026-03-{day:02}T21:00:00+01:00", "kind": "{kind}"{extra}}}"#
    )
}

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

/// `text` evaluated with the default pack (listing at most 10 rejections) both ways, which must
/// agree: the report, and the peak memory of reading then evaluating and of `evaluate_jsonl`.
fn both_ways_with_peaks(text: &[u8]) -> (early_signal::Report, usize, usize) {
    let rules = builtin();
    let base = Base {
        limits: Limits {
            max_rejections: 10,
            ..Limits::default()
        },
        ..plain_base()
    };
    let engine = Engine::new(rules.clone());
    let files = [("a.jsonl", text)];
    let as_of = ts("2026-03-20T00:00:00+01:00");
    let (expected, old) = peak_of(|| {
        let mut tl = base.make(rules);
        tl.read_jsonl_reader("a.jsonl", text).unwrap();
        engine.evaluate(&tl, as_of)
    });
    let (got, new) = peak_of(|| engine.evaluate_jsonl(base.make(rules), &files, as_of));
    assert_eq!(got, expected);
    (got, old, new)
}

/// Lines the reader refuses, all of plain youths: reading lists only `max_rejections` of them and
/// counts the rest, so evaluating them one youth at a time must not hold a reason per line.
#[test]
fn refused_lines_of_plain_youths_are_not_all_held() {
    let _one = serial();
    let lines = 30_000;
    let mut text = String::new();
    for i in 0..lines {
        // An undeclared kind: refused by the vocabulary, after the reader grouped it by youth.
        text.push_str(&obs(
            &format!("y-{}", i % 300),
            &format!("o-{i}"),
            2,
            "no.such.kind",
            "",
        ));
        text.push('\n');
    }
    let (got, old, new) = both_ways_with_peaks(text.as_bytes());
    assert_eq!(got.rejected.len(), 10);
    // The batch keeps lines that look like observations until it evaluates them (packed, or as
    // text; up to twice that while it grows), plus about 40 bytes a line (where the line lies,
    // its youth, its place in its youth's order): not a reason per refused line.
    let allowed = old + 2 * text.len() + 48 * lines + (1 << 20);
    assert!(
        new <= allowed,
        "evaluate_jsonl held {new} bytes at most, reading then evaluating {old}: a reason per refused line is held"
    );
}

/// Lines that are plainly no observation, each naming a youth of its own (a subject and nothing
/// else, an unknown key, no kind, bytes that are not UTF-8): refused on their own, so
/// not kept, not grouped and given no youth (a review found that a skim which placed any object
/// with a `subject` held about 440 bytes for each such line).
#[test]
fn lines_that_are_no_observation_are_not_held() {
    let _one = serial();
    let lines = 40_000;
    let mut text: Vec<u8> = obs("y-0", "o-0", 2, "disclosure", "").into_bytes();
    text.push(b'\n');
    for i in 0..lines {
        let line = match i % 4 {
            0 => format!(r#"{{"subject":"y-{i}"}}"#),
            1 => format!(
                r#"{{"subject":"y-{i}","id":"o","at":"2026-03-02T10:00:00+01:00","kind":"disclosure","colour":"red"}}"#
            ),
            2 => format!(r#"{{"subject":"y-{i}","id":"o","at":"2026-03-02T10:00:00+01:00"}}"#),
            _ => format!(
                r#"{{"subject":"y-{i}","id":"o","at":"2026-03-02T10:00:00+01:00","kind":"disclosure","source":"~"}}"#
            ),
        };
        let mut bytes = line.into_bytes();
        // Not UTF-8: a lone continuation byte for the source.
        for b in bytes.iter_mut().filter(|b| **b == b'~') {
            *b = 0x80;
        }
        text.extend_from_slice(&bytes);
        text.push(b'\n');
    }
    let (got, _, new) = both_ways_with_peaks(&text);
    assert_eq!(got.flags.len(), 1);
    // The one observation's text and youth, and the input itself; nothing per refused line.
    assert!(
        new <= text.len() + (4 << 20),
        "evaluate_jsonl held {new} bytes for {} bytes of input whose lines are no observations but one",
        text.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Hand cases
// ---------------------------------------------------------------------------------------------

#[test]
fn subjects_only_in_the_subjects_file_and_preloaded_youths() {
    let _one = serial();
    let subjects = r#"{"subject": "y-1", "born": "2011-05-01"}
{"subject": "y-0", "born": "2010-01-01", "facts": [{"name": "residence", "value": "institution.open"}, {"name": "religion", "value": "x"}]}
{"subject": "y-2", "born": "2010-01-01"}
{"subject": "y-2", "born": "2010-02-02"}
not json
{"subject": "zz", "born": "2009-01-01", "facts": [{"name": "residence", "value": "nowhere"}]}
"#;
    let yaml = "subject: y-1
observations:
  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: contact.new, counterpart: c-1, channel: online.social_media }
  - { id: late, at: 2026-04-02T21:00:00+01:00, kind: disclosure }
---
subject: y-3
born: 2012-01-01
observations:
  - { id: a, at: 2026-03-03T21:00:00+01:00, kind: disclosure, attributes: { nationality: x } }
";
    let file = [
        obs("y-1", "a", 2, "contact.new", r#", "channel": "online.social_media", "counterpart": "c-1""#),
        obs("y-1", "a", 3, "contact.new", ""),
        obs("y-3", "a", 3, "disclosure", r#", "attributes": {"nationality": "x"}"#),
        obs("y-3", "b", 4, "meeting.in_person", r#", "counterpart": "c-1", "attributes": {"religion": "r", "nationality": "n"}"#),
        obs("y-4", "a", 30, "disclosure", ""),
        "{\"subject\": \"y\\u002d1\", \"id\": \"b\", \"at\": \"2026-03-04T21:00:00+01:00\", \"kind\": \"meeting.in_person\", \"counterpart\": \"c-1\"}".into(),
    ]
    .join("\n");
    for vocabulary in [true, false] {
        for max_rejections in [0, 1, 2, 3, 100] {
            let base = Base {
                vocabulary,
                limits: Limits {
                    max_rejections,
                    ..Limits::default()
                },
                subjects: subjects.into(),
                yaml: Some(yaml.into()),
            };
            for as_of in ["2026-03-20T00:00:00+01:00", "2026-03-03T00:00:00+01:00"] {
                both(builtin(), &base, &[("a.jsonl", file.as_bytes())], ts(as_of));
                both(custom(), &base, &[("a.jsonl", file.as_bytes())], ts(as_of));
            }
        }
    }
}

#[test]
fn lines_around_the_length_limit() {
    let _one = serial();
    let plain = obs("y-1", "a", 2, "disclosure", "");
    let n = plain.len();
    let mut lines = Vec::new();
    for pad in 0..4 {
        let padded = plain.replacen('{', &format!("{{{}", " ".repeat(pad)), 1);
        lines.push(padded.clone());
        lines.push(format!("{padded}\r"));
        lines.push(format!("{padded}\r\r"));
        lines.push(format!("\u{feff}{padded}"));
        lines.push(format!(" {padded} "));
    }
    let text = lines.join("\n");
    for max in n.saturating_sub(3)..n + 8 {
        for ending in ["", "\n", "\r\n", "\r"] {
            let body = format!("{text}{ending}");
            let base = Base {
                limits: Limits {
                    max_line_bytes: max,
                    max_rejections: 5,
                    ..Limits::default()
                },
                ..plain_base()
            };
            for capacity in [1, n - 1, n, n + 1, 1 << 16] {
                both_buffered(
                    builtin(),
                    &base,
                    &[("a.jsonl", body.as_bytes()), ("b.jsonl", plain.as_bytes())],
                    ts("2026-03-20T00:00:00+01:00"),
                    capacity,
                );
            }
        }
    }
    for max in [0, 1, 2] {
        let base = Base {
            limits: Limits {
                max_line_bytes: max,
                ..Limits::default()
            },
            ..plain_base()
        };
        for capacity in [1, 2, 3, 64] {
            both_buffered(
                builtin(),
                &base,
                &[("a.jsonl", b"\n\r\n \r\n\r\r\nx\n\xef\xbb\xbf\n{}\n")],
                ts("2026-03-20T00:00:00+01:00"),
                capacity,
            );
        }
    }
}

#[test]
fn many_and_empty_files() {
    let _one = serial();
    let a = obs("y-1", "a", 2, "contact.new", r#", "counterpart": "c""#);
    let b = obs("y-1", "a", 2, "contact.new", r#", "counterpart": "d""#);
    let c = obs("y-2", "a", 2, "disclosure", "");
    let files: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| {
            let text = match i % 5 {
                0 => String::new(),
                1 => a.clone(),
                2 => format!("{b}\n"),
                3 => format!("{c}\n\n{a}"),
                _ => "\n\n".into(),
            };
            (format!("f{i}.jsonl"), text.into_bytes())
        })
        .collect();
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    for max_rejections in [0, 3, 100] {
        let base = Base {
            limits: Limits {
                max_rejections,
                ..Limits::default()
            },
            ..plain_base()
        };
        both(builtin(), &base, &files, ts("2026-03-20T00:00:00+01:00"));
    }
    both(
        builtin(),
        &plain_base(),
        &[],
        ts("2026-03-20T00:00:00+01:00"),
    );
}

#[test]
fn max_subjects_around_the_count() {
    let _one = serial();
    let subjects = "{\"subject\": \"y-1\", \"born\": \"2011-05-01\"}\n{\"subject\": \"s-only\", \"born\": \"2011-05-01\"}\n";
    let file = [
        obs("y-1", "a", 2, "disclosure", ""),
        obs("y-2", "a", 2, "no.such", ""),
        obs("y-3", "a", 2, "disclosure", ""),
        "{\"subject\": \"y-\\u0034\", \"id\": \"a\", \"at\": \"2026-03-02T21:00:00+01:00\", \"kind\": \"disclosure\"}".into(),
        obs("y-5", "a", 2, "disclosure", ""),
    ]
    .join("\n");
    for max_subjects in 0..8 {
        for per in [0, 1, 5] {
            let base = Base {
                limits: Limits {
                    max_subjects,
                    max_observations_per_subject: per,
                    max_rejections: 2,
                    ..Limits::default()
                },
                subjects: subjects.into(),
                ..plain_base()
            };
            both(
                builtin(),
                &base,
                &[("a.jsonl", file.as_bytes())],
                ts("2026-03-20T00:00:00+01:00"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Random inputs
// ---------------------------------------------------------------------------------------------

fn arb_subject() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["y-1", "y-2", "y-3", "s-only", "é", "y-1 ", "Y-1", ""])
}

/// One observation line, plain or bent in a way the skim may read differently from the reader.
fn arb_line() -> impl Strategy<Value = Vec<u8>> {
    let id = prop::sample::select(vec!["a", "b", "c", ""]);
    let kind = prop::sample::select(vec![
        "contact.new",
        "meeting.in_person",
        "disclosure",
        "missing.episode",
        "threat.blackmail",
        "contactnew",
    ]);
    let extra = prop::sample::select(vec![
        "",
        r#", "channel": "online.social_media", "counterpart": "c-1""#,
        r#", "counterpart": "c-1", "source": "mentor""#,
        r#", "attributes": {"relation": "peer", "age_gap_years": 1}"#,
        r#", "attributes": {"nationality": "x", "religion": "y"}"#,
        r#", "attributes": {"religion": "y", "age_gap_years": 1e999}"#,
        r#", "attributes": {"relation": "peer", "relation": null}"#,
        r#", "attributes": {"x": [1]}"#,
        r#", "recorded_at": "2026-03-25T10:00:00+01:00""#,
        r#", "subject": "y-2""#,
        r#", "channel": null"#,
    ]);
    (arb_subject(), id, 1..28u32, kind, extra, 0..20u8, 0..4u8).prop_map(
        |(s, i, d, k, e, form, edge)| {
            let plain = obs(s, i, d, k, e);
            let mut line: Vec<u8> = match form {
                0 => plain
                    .replacen("\"subject\": \"", "\"subject\": \"\\u0079", 1)
                    .into_bytes(),
                1 => plain
                    .replacen("\"subject\"", "\"sub\\u006aect\"", 1)
                    .into_bytes(),
                2 => plain.replacen('{', "{ \"colour\": 1,", 1).into_bytes(),
                3 => Vec::new(),
                4 => plain.replacen("2026-03", "2026-13", 1).into_bytes(),
                5 => plain
                    .replacen("\"subject\": \"", "\"subject\": \"\t", 1)
                    .into_bytes(),
                6 => plain.replacen(": ", ":\u{a0}", 1).into_bytes(),
                7 => plain.replacen(", ", " ,\t", 2).into_bytes(),
                8 => {
                    let mut b = plain.into_bytes();
                    let at = b.len() / 2;
                    b.insert(at, 0xff);
                    b
                }
                9 => format!("[{plain}]").into_bytes(),
                10 => plain
                    .replacen("\"subject\": \"", "\"subject\": 1, \"x\": \"", 1)
                    .into_bytes(),
                11 => plain.replacen("\"y-", "\"y\\/", 1).into_bytes(),
                12 => format!("{plain} {{}}").into_bytes(),
                _ => plain.into_bytes(),
            };
            match edge {
                0 => line.extend_from_slice(b"\r"),
                1 => {
                    let mut b = "\u{feff} ".as_bytes().to_vec();
                    b.extend(line);
                    line = b;
                }
                2 => line.extend_from_slice(" \u{3000}".as_bytes()),
                _ => {}
            }
            line
        },
    )
}

fn arb_subjects_file() -> impl Strategy<Value = String> {
    let line = prop::sample::select(vec![
        r#"{"subject": "y-1", "born": "2011-05-01"}"#,
        r#"{"subject": "y-2", "born": "2010-01-01", "facts": [{"name": "residence", "value": "institution.open"}]}"#,
        r#"{"subject": "y-2", "born": "2010-02-02"}"#,
        r#"{"subject": "s-only", "born": "2010-02-02", "facts": [{"name": "religion", "value": "x"}]}"#,
        r#"{"subject": "y-3", "facts": [{"name": "residence", "value": "nowhere"}]}"#,
        r#"{"subject": "é", "born": "2012-02-02"}"#,
        "garbage",
    ]);
    prop::collection::vec(line, 0..5).prop_map(|l| l.join("\n"))
}

fn arb_yaml() -> impl Strategy<Value = Option<String>> {
    prop::sample::select(vec![
        None,
        Some(
            "subject: y-1
observations:
  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: contact.new, counterpart: c-1, channel: online.social_media }
  - { id: z, at: 2026-03-05T21:00:00+01:00, kind: meeting.in_person, counterpart: c-1 }
"
            .to_string(),
        ),
        Some(
            "subject: y-9
born: 2011-01-01
observations:
  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: disclosure, attributes: { religion: x } }
---
subject: y-2
observations:
  - { id: b, at: 2026-03-02T21:00:00+01:00, kind: bogus }
"
            .to_string(),
        ),
    ])
}

/// A file of random lines, with or without its last newline, `\n` or `\r\n` separated.
fn arb_file() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(arb_line(), 0..25),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, last)| {
            let sep: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            let mut out = lines.join(sep);
            if last {
                out.extend_from_slice(sep);
            }
            out
        })
}

fn arb_limits() -> impl Strategy<Value = Limits> {
    (
        prop::sample::select(vec![0usize, 1, 2, 5, 100_000]),
        prop::sample::select(vec![0usize, 1, 2, 1_000_000]),
        prop::sample::select(vec![0usize, 1, 3, 5, 10_000_000]),
        prop::sample::select(vec![0usize, 80, 110, 140, 1 << 20]),
    )
        .prop_map(|(rejections, per, subjects, line)| Limits {
            max_rejections: rejections,
            max_observations_per_subject: per,
            max_subjects: subjects,
            max_line_bytes: line,
            ..Limits::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn random_inputs_on_random_timelines_give_the_same_report(
        files in prop::collection::vec(arb_file(), 0..4),
        subjects in arb_subjects_file(),
        yaml in arb_yaml(),
        limits in arb_limits(),
        vocabulary in any::<bool>(),
        use_custom in any::<bool>(),
        capacity in 1..300usize,
        as_of in prop::sample::select(vec![
            "2026-03-20T00:00:00+01:00",
            "2026-03-05T00:00:00+01:00",
            "2027-01-01T00:00:00Z",
        ]),
    ) {
        let _one = serial();
        let rules = if use_custom { custom() } else { builtin() };
        let base = Base { vocabulary, limits, subjects, yaml };
        let names: Vec<String> = (0..files.len()).map(|i| format!("f{i}.jsonl")).collect();
        let files: Vec<(&str, &[u8])> =
            names.iter().map(String::as_str).zip(files.iter().map(Vec::as_slice)).collect();
        both_buffered(rules, &base, &files, ts(as_of), capacity);
    }
}
