//! Property tests: the real evaluator agrees with a naive reference evaluator written straight
//! from the design (`tests/reference/mod.rs`), on randomly generated rules and timelines.
//!
//! Generated inputs are deliberately small and coarse (a 6-hour grid, four kinds, two
//! counterparts, windows that are multiples of 6 hours) so that patterns fire often and equal
//! timestamps and exact window edges are common; some times are nudged by a nanosecond or a second
//! to land just inside or just outside an edge.
//!
//! `PROPTEST_CASES=<n>` runs more cases than the default 256.

mod reference;

use chrono::{DateTime, FixedOffset};
use early_signal::{Engine, Observation, Report, RuleSet, Timeline, Value};
use proptest::prelude::*;
use proptest::sample::select;
use reference::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

static KINDS: [&str; 4] = ["k.a", "k.b", "k.c", "m.x"];
static KIND_PATTERNS: [&str; 10] = [
    "k.a", "k.b", "k.c", "m.x", "k.*", "*.b", "m.*", "*", "k*", "*.*",
];
static CHANNEL_PATTERNS: [&str; 5] = ["in_person", "online.chat", "online.*", "*", "*_*"];
const GRID: i64 = 6 * HOUR;
const SLOTS: i64 = 48; // 12 days of 6-hour slots
static OFFSETS: [i32; 4] = [0, 3600, 7200, 5 * 3600 + 1800];
/// Nudges off the grid: just before / after an edge.
static JITTER: [i64; 4] = [NS, -NS, SECOND, -SECOND];

fn dur(ns: i64, text: &'static str) -> Dur {
    Dur { ns, text }
}

fn within_strategy() -> impl Strategy<Value = Dur> {
    select(vec![
        (12 * HOUR, "12h"),
        (DAY, "1d"),
        (2 * DAY, "2d"),
        (36 * HOUR, "36h"),
        (3 * DAY, "3d"),
        (7 * DAY, "7d"),
        (7 * DAY, "1w"),
        (2 * DAY, "2880m"),
    ])
    .prop_map(|(m, t)| dur(m, t))
}

fn kind_m() -> impl Strategy<Value = StrM> {
    prop_oneof![
        4 => select(&KINDS[..]).prop_map(|s| StrM::Scalar(s.to_owned())),
        2 => select(&KIND_PATTERNS[4..]).prop_map(|s| StrM::Scalar(s.to_owned())),
        2 => proptest::collection::vec(select(&KIND_PATTERNS[..]), 1..=3)
            .prop_map(|v| StrM::List(v.into_iter().map(str::to_owned).collect())),
        1 => select(&KIND_PATTERNS[..]).prop_map(|s| StrM::Not(s.to_owned())),
        1 => select(&KIND_PATTERNS[..]).prop_map(|s| StrM::Eq(s.to_owned())),
    ]
}

fn channel_m() -> impl Strategy<Value = StrM> {
    prop_oneof![
        3 => select(&CHANNEL_PATTERNS[..]).prop_map(|s| StrM::Scalar(s.to_owned())),
        1 => select(&CHANNEL_PATTERNS[..]).prop_map(|s| StrM::Not(s.to_owned())),
        2 => any::<bool>().prop_map(StrM::Exists),
        1 => Just(StrM::List(vec!["in_person".into(), "online.*".into()])),
    ]
}

fn counterpart_m() -> impl Strategy<Value = StrM> {
    prop_oneof![
        4 => any::<bool>().prop_map(StrM::Exists),
        1 => select(vec!["c-1", "c-*"]).prop_map(|s| StrM::Scalar(s.to_owned())),
        1 => Just(StrM::Not("c-1".to_owned())),
    ]
}

fn num_m() -> impl Strategy<Value = NumM> {
    prop_oneof![
        (0i64..5, any::<bool>()).prop_map(|(n, f)| NumM::Eq(n, f)),
        (0i64..5).prop_map(NumM::Gte),
        (0i64..5).prop_map(NumM::Gt),
        (0i64..5).prop_map(NumM::Lt),
        (0i64..5).prop_map(NumM::Lte),
        any::<bool>().prop_map(NumM::Exists),
    ]
}

/// Values of the mixed attribute `w`: the number 1 and the string "1" must differ; `yes`/`on` are
/// strings in YAML 1.2.
fn w_value() -> impl Strategy<Value = W> {
    select(vec![
        W::Num(1),
        W::Num(2),
        W::Str("1"),
        W::Str("x"),
        W::Str("yes"),
        W::Str("on"),
        W::Bool(true),
        W::Bool(false),
    ])
}

fn w_literal() -> impl Strategy<Value = W> {
    prop_oneof![4 => w_value(), 1 => select(vec![W::Str("*"), W::Str("x*"), W::Str("o*")])]
}

fn w_m() -> impl Strategy<Value = WM> {
    prop_oneof![
        3 => w_literal().prop_map(WM::Scalar),
        1 => proptest::collection::vec(w_literal(), 1..=3).prop_map(WM::List),
        1 => proptest::collection::vec(w_literal(), 1..=3).prop_map(WM::In),
        1 => w_literal().prop_map(WM::Not),
        1 => (0i64..=2).prop_map(WM::Gte),
        1 => any::<bool>().prop_map(WM::Exists),
    ]
}

fn pred_strategy(depth: u32) -> BoxedStrategy<Pred> {
    use proptest::option::weighted;
    let leaf = (
        weighted(0.7, kind_m()),
        weighted(0.2, channel_m()),
        weighted(0.2, counterpart_m()),
        weighted(0.15, num_m()),
        weighted(0.15, w_m()),
        select(&KINDS[..]),
    );
    let fix = |mut p: Pred, fallback: &str| {
        if p == Pred::default() {
            p.kind = Some(StrM::Scalar(fallback.to_owned()));
        }
        p
    };
    if depth == 0 {
        leaf.prop_map(move |(kind, channel, counterpart, v, w, fallback)| {
            fix(
                Pred {
                    kind,
                    channel,
                    counterpart,
                    v,
                    w,
                    not: None,
                    any: None,
                },
                fallback,
            )
        })
        .boxed()
    } else {
        (
            leaf,
            weighted(0.12, pred_strategy(depth - 1)),
            weighted(
                0.12,
                proptest::collection::vec(pred_strategy(depth - 1), 1..=2),
            ),
        )
            .prop_map(
                move |((kind, channel, counterpart, v, w, fallback), not, any)| {
                    fix(
                        Pred {
                            kind,
                            channel,
                            counterpart,
                            v,
                            w,
                            not: not.map(Box::new),
                            any,
                        },
                        fallback,
                    )
                },
            )
            .boxed()
    }
}

/// A predicate on `kind` only (fires often).
fn kind_pred_strategy() -> impl Strategy<Value = Pred> {
    kind_m().prop_map(|k| Pred {
        kind: Some(k),
        ..Pred::default()
    })
}

/// Mostly kind-only, sometimes a full predicate.
fn step_strategy() -> BoxedStrategy<Pred> {
    prop_oneof![2 => kind_pred_strategy(), 1 => pred_strategy(1)].boxed()
}

fn field_strategy() -> impl Strategy<Value = Field> {
    prop_oneof![
        6 => Just(Field::Counterpart),
        1 => Just(Field::Channel),
        1 => Just(Field::AttrV),
        2 => Just(Field::AttrW),
    ]
}

fn pattern_strategy() -> impl Strategy<Value = Pattern> {
    use proptest::option::weighted;
    let matching = pred_strategy(2).prop_map(Pattern::Match);
    let count = (
        step_strategy(),
        within_strategy(),
        1usize..=3,
        weighted(0.3, field_strategy()),
        weighted(0.4, field_strategy()),
    )
        .prop_map(|(pred, within, at_least, distinct, by)| Pattern::Count {
            pred,
            within,
            at_least,
            distinct,
            by,
        });
    let sequence = (
        within_strategy(),
        proptest::collection::vec(step_strategy(), 2..=3),
        weighted(0.4, field_strategy()),
        weighted(0.3, pred_strategy(0)),
    )
        .prop_map(|(within, steps, by, until)| Pattern::Sequence {
            within,
            steps,
            by,
            until,
        });
    let absence = (
        pred_strategy(1),
        pred_strategy(1),
        within_strategy(),
        weighted(0.4, field_strategy()),
    )
        .prop_map(|(after, expect, within, by)| Pattern::Absence {
            after,
            expect,
            within,
            by,
        });
    let signals = (
        within_strategy(),
        proptest::collection::vec(pred_strategy(1), 2..=4),
    )
        .prop_flat_map(|(within, preds)| {
            let n = preds.len();
            (Just(within), Just(preds), 1..=n)
        })
        .prop_map(|(within, preds, at_least)| {
            let names = ["money", "missing_x", "pick-up", "online2"];
            let of = preds
                .into_iter()
                .enumerate()
                .map(|(i, p)| (names[i].to_owned(), p))
                .collect();
            Pattern::Signals {
                within,
                at_least,
                of,
            }
        });
    prop_oneof![2 => matching, 3 => count, 3 => sequence, 3 => absence, 3 => signals]
}

fn rule_strategy() -> impl Strategy<Value = Rule> {
    use proptest::option::weighted;
    (
        pattern_strategy(),
        select(vec![Sev::Low, Sev::Medium, Sev::High, Sev::Critical]),
        proptest::collection::vec(pred_strategy(0), 0..=2),
        weighted(
            0.35,
            select(vec![
                (12 * HOUR, "12h"),
                (DAY, "1d"),
                (2 * DAY, "2d"),
                (7 * DAY, "7d"),
            ])
            .prop_map(|(m, t)| dur(m, t)),
        ),
        weighted(
            0.25,
            select(vec![(DAY, "1d"), (3 * DAY, "3d"), (7 * DAY, "1w")])
                .prop_map(|(m, t)| dur(m, t)),
        ),
        weighted(
            0.25,
            select(vec![(7 * DAY, "7d"), (10 * DAY, "10d"), (14 * DAY, "2w")])
                .prop_map(|(m, t)| dur(m, t)),
        ),
    )
        .prop_map(
            |(pattern, severity, unless, cooldown, urgent, closes)| Rule {
                id: String::new(),
                severity,
                pattern,
                unless,
                cooldown,
                urgent,
                closes,
            },
        )
}

fn obs_strategy() -> impl Strategy<Value = Obs> {
    use proptest::option::weighted;
    (
        (1u32..=30, 0..SLOTS, weighted(0.1, select(&JITTER[..]))),
        (
            select(&OFFSETS[..]),
            weighted(0.3, -2i64..=8),
            select(&OFFSETS[..]),
        ),
        select(&KINDS[..]),
        weighted(0.5, select(vec!["in_person", "online.chat"])),
        weighted(0.65, select(vec!["c-1", "c-2"])),
        weighted(0.4, 0i64..5),
        (weighted(0.35, w_value()), any::<bool>()),
    )
        .prop_map(
            |(
                (id, slot, jitter),
                (at_offset, rec, rec_offset),
                kind,
                channel,
                counterpart,
                v,
                (w, w_null),
            )| {
                let at = slot * GRID + jitter.unwrap_or(0);
                Obs {
                    id: format!("o-{id}"),
                    at,
                    at_offset,
                    recorded_at: rec.map(|r| at + r * GRID),
                    rec_offset,
                    kind: kind.to_owned(),
                    channel: channel.map(str::to_owned),
                    counterpart: counterpart.map(str::to_owned),
                    v,
                    w_null: w.is_none() && w_null,
                    w,
                }
            },
        )
}

/// A subject with up to 25 observations; ids `o-1`..`o-30` (a repeated id keeps the first), or
/// omitted in the YAML (then `#<n>`). Sometimes split over two YAML documents, sometimes with
/// identical repeats.
fn subject_strategy(id: &'static str) -> impl Strategy<Value = SubjectData> {
    use proptest::option::weighted;
    (
        proptest::collection::vec(obs_strategy(), 0..=25),
        proptest::bool::weighted(0.15),
        weighted(0.15, 0usize..25),
        proptest::collection::vec(0usize..25, 0..=2),
    )
        .prop_map(move |(obs, omit_ids, split_at, repeats)| {
            let mut observations: Vec<Obs> = Vec::new();
            for o in obs {
                if !observations.iter().any(|x| x.id == o.id) {
                    observations.push(o);
                }
            }
            if omit_ids {
                // "In YAML timelines `id` may be omitted and becomes `#<n>`, the 1-based position in
                // that subject's list."
                for (i, o) in observations.iter_mut().enumerate() {
                    o.id = format!("#{}", i + 1);
                }
            }
            SubjectData {
                id: id.to_owned(),
                observations,
                omit_ids,
                split_at: if omit_ids { None } else { split_at },
                repeats,
            }
        })
}

/// One generated case.
#[derive(Clone)]
struct Case {
    rules: Vec<Rule>,
    subjects: Vec<SubjectData>,
    /// ns since the base.
    as_of: i64,
    as_of_offset: i32,
}

impl Case {
    fn rules_yaml(&self) -> String {
        render_rules(&self.rules)
    }
    fn timeline_yaml(&self) -> String {
        render_timeline(&self.subjects)
    }
    fn as_of(&self) -> DateTime<FixedOffset> {
        timestamp(self.as_of, self.as_of_offset)
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n===== rules (gen.yaml) =====\n{}", self.rules_yaml())?;
        writeln!(f, "===== timeline (t.yaml) =====\n{}", self.timeline_yaml())?;
        writeln!(
            f,
            "===== as_of: {} =====",
            rfc3339(self.as_of, self.as_of_offset)
        )
    }
}

fn case_strategy() -> impl Strategy<Value = Case> {
    use proptest::option::weighted;
    let subjects = prop_oneof![
        subject_strategy("y-9").prop_map(|s| vec![s]),
        (subject_strategy("y-9"), subject_strategy("y-10")).prop_map(|(a, b)| vec![a, b]),
    ];
    let as_of = prop_oneof![
        6 => ((0..=SLOTS + 30), weighted(0.15, select(&JITTER[..]))).prop_map(|(s, j)| s * GRID + j.unwrap_or(0)),
        1 => Just(200 * DAY),
    ];
    (
        proptest::collection::vec(rule_strategy(), 1..=3),
        subjects,
        as_of,
        select(&OFFSETS[..]),
    )
        .prop_map(|(mut rules, subjects, as_of, as_of_offset)| {
            for (i, r) in rules.iter_mut().enumerate() {
                r.id = format!("r-{}", i + 1);
            }
            Case {
                rules,
                subjects,
                as_of,
                as_of_offset,
            }
        })
}

// ---------------------------------------------------------------------------------------------
// The real engine, and conversion of its output to the model's shape
// ---------------------------------------------------------------------------------------------

fn load_rules(case: &Case) -> RuleSet {
    match RuleSet::from_yaml_str("gen.yaml", &case.rules_yaml()) {
        Ok(r) => r,
        Err(e) => panic!("generated rules rejected: {e}\n{case:?}"),
    }
}

fn timeline_from_yaml(case: &Case) -> Timeline {
    let mut tl = Timeline::new();
    if let Err(e) = tl.read_yaml("t.yaml", &case.timeline_yaml()) {
        panic!("generated timeline rejected: {e:?}\n{case:?}");
    }
    assert!(
        tl.rejected().is_empty(),
        "rejected records: {:?}\n{case:?}",
        tl.rejected()
    );
    tl
}

fn to_observation(o: &Obs) -> Observation {
    let mut attributes = early_signal::Attributes::new();
    if let Some(v) = o.v {
        attributes.insert("v".into(), Value::Number(v as f64));
    }
    if let Some(w) = &o.w {
        let value = match w {
            W::Num(n) => Value::Number(*n as f64),
            W::Str(s) => Value::from(*s),
            W::Bool(b) => Value::Bool(*b),
        };
        attributes.insert("w".into(), value);
    }
    Observation {
        id: o.id.as_str().into(),
        at: timestamp(o.at, o.at_offset),
        recorded_at: o.recorded_at.map(|r| timestamp(r, o.rec_offset)),
        kind: o.kind.as_str().into(),
        channel: o.channel.as_deref().map(Into::into),
        counterpart: o.counterpart.as_deref().map(Into::into),
        source: None,
        attributes,
    }
}

/// The timeline through the programmatic API, inserting observations in the order `perm` gives
/// over the concatenation of all subjects' observations.
fn timeline_from_api(case: &Case, perm: &[usize]) -> Timeline {
    let all: Vec<(&str, &Obs)> = case
        .subjects
        .iter()
        .flat_map(|s| s.observations.iter().map(move |o| (s.id.as_str(), o)))
        .collect();
    let mut tl = Timeline::new();
    for &i in perm {
        let (subject, o) = all[i];
        if let Err(e) = tl.add_observation(subject, to_observation(o)) {
            panic!(
                "add_observation({subject}, {}) failed: {e:?}\n{case:?}",
                o.id
            );
        }
    }
    tl
}

fn evaluate(case: &Case, tl: &Timeline, as_of: DateTime<FixedOffset>) -> Report {
    let engine = Engine::new(load_rules(case));
    engine.evaluate(tl, as_of)
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => format!("s:{s}"),
        Value::Number(n) => format!("n:{n}"),
        Value::Bool(b) => format!("b:{b}"),
    }
}

/// ns since the base.
fn ns(t: &DateTime<FixedOffset>) -> i64 {
    (t.timestamp() - BASE_UNIX) * SECOND + i64::from(t.timestamp_subsec_nanos())
}

fn sev(s: early_signal::Severity) -> Sev {
    match s {
        early_signal::Severity::Low => Sev::Low,
        early_signal::Severity::Medium => Sev::Medium,
        early_signal::Severity::High => Sev::High,
        early_signal::Severity::Critical => Sev::Critical,
    }
}

fn stage(s: early_signal::Stage) -> u8 {
    match s {
        early_signal::Stage::Urgent => 0,
        early_signal::Stage::Open => 1,
        early_signal::Stage::Closed => 2,
    }
}

fn key_text(key: &BTreeMap<String, Value>) -> Vec<(String, String)> {
    key.iter()
        .map(|(k, v)| (k.clone(), value_text(v)))
        .collect()
}

fn real_model(report: &Report) -> (Vec<MFlag>, Vec<MPending>) {
    let mut flags: Vec<MFlag> = report
        .flags
        .iter()
        .map(|f| MFlag {
            rule: f.rule.to_string(),
            subject: f.subject.to_string(),
            key: key_text(&f.key),
            raised_at: ns(&f.raised_at),
            evidence: f
                .evidence
                .iter()
                .map(|e| MEv {
                    observation: e.observation.to_string(),
                    at: ns(&e.at),
                    kind: e.kind.to_string(),
                    counterpart: e.counterpart.as_deref().map(String::from),
                    step: e.step,
                    indicator: e.indicator.as_deref().map(String::from),
                    role: e.role.map(String::from),
                })
                .collect(),
            known_at: ns(&f.known_at),
            opened_at: ns(&f.window.opened_at),
            urgent_until: ns(&f.window.urgent_until),
            closes_at: ns(&f.window.closes_at),
            stage: stage(f.window.stage),
            severity: sev(f.severity),
        })
        .collect();
    flags.sort();
    let mut pending: Vec<MPending> = report
        .pending
        .iter()
        .map(|p| MPending {
            rule: p.rule.to_string(),
            subject: p.subject.to_string(),
            key: key_text(&p.key),
            deadline: ns(&p.deadline),
            after: p.after.to_string(),
        })
        .collect();
    pending.sort();
    (flags, pending)
}

/// A readable diff of two sorted lists.
fn diff<T: Ord + fmt::Debug>(what: &str, model: &[T], real: &[T]) -> String {
    let m: BTreeSet<&T> = model.iter().collect();
    let r: BTreeSet<&T> = real.iter().collect();
    let mut out = String::new();
    for x in m.difference(&r) {
        out.push_str(&format!("  {what} only in the REFERENCE: {x:#?}\n"));
    }
    for x in r.difference(&m) {
        out.push_str(&format!("  {what} only in the REAL engine: {x:#?}\n"));
    }
    out
}

/// Compares the real report with the reference model; `Err` describes every difference.
fn compare(case: &Case, report: &Report) -> Result<(), String> {
    let expected = reference::evaluate(&case.rules, &case.subjects, case.as_of);
    let (flags, pending) = real_model(report);
    let mut out = String::new();
    if flags != expected.flags {
        out.push_str(&diff("flag", &expected.flags, &flags));
    }
    if pending != expected.pending {
        out.push_str(&diff("pending", &expected.pending, &pending));
    }
    if report.stats.ignored_after_as_of != expected.ignored {
        out.push_str(&format!(
            "  ignored_after_as_of: reference {}, real {}\n",
            expected.ignored, report.stats.ignored_after_as_of
        ));
    }
    // Stats: "observations that counted at as_of" — identical repeats count once.
    let read: usize = case.subjects.iter().map(|s| s.observations.len()).sum();
    if report.stats.observations + report.stats.ignored_after_as_of != read {
        out.push_str(&format!(
            "  stats: {read} distinct observations read, real counts {} + ignores {}\n",
            report.stats.observations, report.stats.ignored_after_as_of
        ));
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// Design §8: "Output order: stage, severity, raised_at ascending, then subject, rule id, flag id."
/// Plus: flag ids are unique, and a function of (rule, version, subject, key, first evidence).
fn check_order_and_ids(report: &Report, ids: &mut BTreeMap<String, String>) -> Result<(), String> {
    let sort_key = |f: &early_signal::Flag| {
        (
            stage(f.window.stage),
            std::cmp::Reverse(sev(f.severity)),
            ns(&f.raised_at),
            f.subject.as_bytes().to_vec(),
            f.rule.as_bytes().to_vec(),
            f.id,
        )
    };
    for w in report.flags.windows(2) {
        if sort_key(&w[0]) > sort_key(&w[1]) {
            return Err(format!(
                "flags out of design §8 order:\n{:#?}\n{:#?}",
                w[0], w[1]
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for f in &report.flags {
        if !seen.insert(f.id) {
            return Err(format!("duplicate flag id {}", f.id));
        }
        // §8: "the evidence observation that comes first in the total order".
        let first = f
            .evidence
            .iter()
            .min_by(|a, b| {
                a.at.cmp(&b.at)
                    .then_with(|| a.observation.as_bytes().cmp(b.observation.as_bytes()))
            })
            .map(|e| e.observation.to_string())
            .unwrap_or_default();
        let identity = format!(
            "{}\0{}\0{}\0{:?}\0{}",
            f.rule,
            f.rule_version,
            f.subject,
            key_text(&f.key),
            first
        );
        if let Some(old) = ids.insert(identity.clone(), f.id.to_string())
            && old != f.id
        {
            return Err(format!(
                "flag id not stable for {identity:?}: {old} vs {}",
                f.id
            ));
        }
        if !f.id.starts_with("fl-") {
            return Err(format!("flag id {} does not start with fl-", f.id));
        }
    }
    Ok(())
}

fn config() -> ProptestConfig {
    // PROPTEST_CASES=<n> runs more cases.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Rules and timeline read from YAML: the flags, pending absences and ignored count agree with
    /// the reference; output order and flag ids follow design §8.
    #[test]
    fn yaml_input_agrees_with_reference(case in case_strategy()) {
        let tl = timeline_from_yaml(&case);
        let report = evaluate(&case, &tl, case.as_of());
        if let Err(d) = compare(&case, &report) {
            prop_assert!(false, "real engine disagrees with the reference:\n{d}{case:?}");
        }
        let mut ids = BTreeMap::new();
        if let Err(d) = check_order_and_ids(&report, &mut ids) {
            prop_assert!(false, "{d}\n{case:?}");
        }
    }

    /// The programmatic API, observations inserted in a shuffled order: agrees with the reference,
    /// and gives exactly the report the YAML reader gives (flag ids, order, offsets included).
    /// Two evaluations (fresh rule sets and engines) give identical flags.
    #[test]
    fn insertion_order_does_not_matter(
        case in case_strategy(),
        perm in Just((0..60usize).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let n: usize = case.subjects.iter().map(|s| s.observations.len()).sum();
        let perm: Vec<usize> = perm.into_iter().filter(|&i| i < n).collect();
        let api = timeline_from_api(&case, &perm);
        let yaml = timeline_from_yaml(&case);
        let a = evaluate(&case, &api, case.as_of());
        let b = evaluate(&case, &yaml, case.as_of());
        let c = evaluate(&case, &api, case.as_of());
        if let Err(d) = compare(&case, &a) {
            prop_assert!(false, "real engine (programmatic timeline) disagrees with the reference:\n{d}{case:?}");
        }
        prop_assert_eq!(format!("{:#?}", a.flags), format!("{:#?}", b.flags), "API vs YAML timeline\n{:?}", case);
        prop_assert_eq!(format!("{:#?}", a.pending), format!("{:#?}", b.pending), "API vs YAML timeline\n{:?}", case);
        prop_assert_eq!(format!("{:#?}", a.flags), format!("{:#?}", c.flags), "two evaluations differ\n{:?}", case);
        prop_assert_eq!(format!("{:#?}", a.pending), format!("{:#?}", c.pending), "two evaluations differ\n{:?}", case);
    }

    /// Replaying one history at several `as_of`: each agrees with the reference, and a flag's id
    /// depends only on rule, version, subject, key and first evidence (design §8).
    #[test]
    fn replay_at_several_as_of(case in case_strategy(), deltas in proptest::collection::vec(-12i64..=12, 2)) {
        let tl = timeline_from_yaml(&case);
        let mut ids = BTreeMap::new();
        for d in deltas.into_iter().chain([1000]) {
            let mut c = case.clone();
            c.as_of = (case.as_of + d * GRID).max(0);
            let report = evaluate(&c, &tl, c.as_of());
            if let Err(diff) = compare(&c, &report) {
                prop_assert!(false, "real engine disagrees with the reference:\n{diff}{c:?}");
            }
            if let Err(e) = check_order_and_ids(&report, &mut ids) {
                prop_assert!(false, "{e}\n{c:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-written checks of the reference itself against the design's worked examples
// ---------------------------------------------------------------------------------------------

fn obs(id: &str, at: i64, kind: &str) -> Obs {
    Obs {
        id: id.into(),
        at,
        at_offset: 3600,
        recorded_at: None,
        rec_offset: 3600,
        kind: kind.into(),
        channel: None,
        counterpart: None,
        v: None,
        w: None,
        w_null: false,
    }
}

fn subject(observations: Vec<Obs>) -> SubjectData {
    SubjectData {
        id: "y-1".into(),
        observations,
        omit_ids: false,
        split_at: None,
        repeats: vec![],
    }
}

fn kind_pred(k: &str) -> Pred {
    Pred {
        kind: Some(StrM::Scalar(k.into())),
        ..Pred::default()
    }
}

fn rule(pattern: Pattern) -> Rule {
    Rule {
        id: "r-1".into(),
        severity: Sev::High,
        pattern,
        unless: vec![],
        cooldown: None,
        urgent: None,
        closes: None,
    }
}

fn evidence_ids(rep: &MReport) -> Vec<Vec<&str>> {
    rep.flags
        .iter()
        .map(|f| f.evidence.iter().map(|e| e.observation.as_str()).collect())
        .collect()
}

/// Design §5 count example: at_least 2 over 7d; a at day 0, b at day 1 fires; c at day 7½ fires
/// again, since a left the window at day 7.
#[test]
fn reference_count_example_from_design() {
    let r = rule(Pattern::Count {
        pred: kind_pred("k.a"),
        within: dur(7 * DAY, "7d"),
        at_least: 2,
        distinct: None,
        by: None,
    });
    let s = subject(vec![
        obs("a", 0, "k.a"),
        obs("b", DAY, "k.a"),
        obs("c", 7 * DAY + DAY / 2, "k.a"),
    ]);
    let rep = reference::evaluate(&[r], &[s], 30 * DAY);
    assert_eq!(evidence_ids(&rep), vec![vec!["a", "b"], vec!["b", "c"]]);
}

/// Glob semantics of design §8.
#[test]
fn reference_glob() {
    assert!(glob("k.*", "k.a"));
    assert!(glob("*", ""));
    assert!(glob("*.b", "k.b"));
    assert!(!glob("*.b", "k.bb"));
    assert!(glob("k*", "k.a"));
    assert!(!glob("k.a", "k.ab"));
    assert!(glob("*_*", "in_person"));
    assert!(!glob("*_*", "online.chat"));
}

/// A sequence flags at most once per first step; the evidence takes the earliest unused first step.
#[test]
fn reference_sequence_once_per_first_step() {
    let r = rule(Pattern::Sequence {
        within: dur(7 * DAY, "7d"),
        steps: vec![kind_pred("k.a"), kind_pred("k.b")],
        by: None,
        until: None,
    });
    let s = subject(vec![
        obs("o-1", 0, "k.a"),
        obs("o-2", DAY, "k.a"),
        obs("o-3", 2 * DAY, "k.b"),
        obs("o-4", 3 * DAY, "k.b"),
        obs("o-5", 4 * DAY, "k.b"),
    ]);
    let rep = reference::evaluate(&[r], &[s], 30 * DAY);
    assert_eq!(
        evidence_ids(&rep),
        vec![vec!["o-1", "o-3"], vec!["o-2", "o-4"]]
    );
}

/// Equal `at`: the total order breaks the tie by id, byte-wise (`o-10` < `o-9`).
#[test]
fn reference_ties_by_id_bytewise() {
    let r = rule(Pattern::Sequence {
        within: dur(DAY, "1d"),
        steps: vec![kind_pred("k.a"), kind_pred("k.b")],
        by: None,
        until: None,
    });
    let s = subject(vec![obs("o-9", 0, "k.a"), obs("o-10", 0, "k.b")]);
    assert!(
        reference::evaluate(std::slice::from_ref(&r), &[s], DAY)
            .flags
            .is_empty()
    );
    let s = subject(vec![obs("o-10", 0, "k.a"), obs("o-9", 0, "k.b")]);
    assert_eq!(
        evidence_ids(&reference::evaluate(&[r], &[s], DAY)),
        vec![vec!["o-10", "o-9"]]
    );
}

/// Not a check: prints how often the generated rules fire in the reference (run with
/// `cargo test --test reference_model -- --ignored --nocapture generator_coverage`).
#[test]
#[ignore]
fn generator_coverage() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut stats: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for _ in 0..2000 {
        let case = case_strategy().new_tree(&mut runner).unwrap().current();
        let rep = reference::evaluate(&case.rules, &case.subjects, case.as_of);
        for r in &case.rules {
            let name = match &r.pattern {
                Pattern::Match(_) => "match",
                Pattern::Count { .. } => "count",
                Pattern::Sequence { .. } => "sequence",
                Pattern::Absence { .. } => "absence",
                Pattern::Signals { .. } => "signals",
            };
            let e = stats.entry(name).or_default();
            e.0 += 1;
            if rep.flags.iter().any(|f| f.rule == r.id) {
                e.1 += 1;
            }
            e.2 += rep.pending.iter().filter(|p| p.rule == r.id).count();
        }
    }
    for (k, (rules, firing, pending)) in stats {
        println!("{k:10} rules {rules:5}  with flags {firing:5}  pending entries {pending:5}");
    }
}

// ---------------------------------------------------------------------------------------------
// The monitor against batch evaluation
// ---------------------------------------------------------------------------------------------

/// A flag as compared between monitor and batch: everything but the stage, which is taken at
/// different times.
fn flag_key(f: &early_signal::Flag) -> String {
    let mut f = f.clone();
    f.window.stage = early_signal::Stage::Urgent;
    format!("{f:?}")
}

/// Applies events to the set of live flags; panics on a withdrawal of an unknown flag.
fn apply(live: &mut BTreeMap<String, early_signal::Flag>, events: Vec<early_signal::Event>) {
    for e in events {
        match e {
            early_signal::Event::Raised(f) => {
                live.insert(f.id.to_string(), f);
            }
            early_signal::Event::Withdrawn { id, .. } => {
                assert!(
                    live.remove(id.as_str()).is_some(),
                    "withdrawn `{id}` was never raised"
                );
            }
        }
    }
}

/// Every observation of the case that counts at `as_of`, with its subject, in `perm` order
/// (indices past the end are skipped, missing ones appended).
fn arrivals<'c>(case: &'c Case, perm: &[usize]) -> Vec<(&'c str, &'c Obs)> {
    let all: Vec<(&str, &Obs)> = case
        .subjects
        .iter()
        .flat_map(|s| s.observations.iter().map(move |o| (s.id.as_str(), o)))
        .filter(|(_, o)| o.at <= case.as_of && o.recorded() <= case.as_of)
        .collect();
    let mut order: Vec<usize> = perm.iter().copied().filter(|&i| i < all.len()).collect();
    let missing: Vec<usize> = (0..all.len()).filter(|i| !order.contains(i)).collect();
    order.extend(missing);
    order.into_iter().map(|i| all[i]).collect()
}

/// Arrival by record time plus a delay of `delays[i]` grid slots, so that most observations
/// arrive in time and some late: `(arrival, index into arrivals(case, &[]))`, in arrival order.
fn arrival_order(case: &Case, delays: &[i64]) -> Vec<(i64, usize)> {
    let mut order: Vec<(i64, usize)> = arrivals(case, &[])
        .iter()
        .enumerate()
        .map(|(i, (_, o))| (o.recorded() + delays[i % delays.len()] * GRID, i))
        .collect();
    order.sort();
    order
}

/// Observes `o`, applying its events to `live`: `Ok(true)` when accepted, `Ok(false)` when refused
/// as too late (allowed), an error for any other refusal.
fn feed(
    monitor: &mut early_signal::Monitor,
    s: &str,
    o: &Obs,
    live: &mut BTreeMap<String, early_signal::Flag>,
) -> Result<bool, TestCaseError> {
    match monitor.observe(s, to_observation(o)) {
        Ok(events) => {
            apply(live, events);
            Ok(true)
        }
        Err(early_signal::MonitorError::TooLate { .. }) => Ok(false),
        Err(e) => Err(TestCaseError::fail(format!("{e} (observation {})", o.id))),
    }
}

fn batch_of(case: &Case, accepted: &[(&str, &Obs)]) -> Vec<String> {
    let mut tl = Timeline::new();
    for (s, o) in accepted {
        tl.add_observation(s, to_observation(o)).unwrap();
    }
    let report = evaluate(case, &tl, case.as_of());
    let mut out: Vec<String> = report.flags.iter().map(flag_key).collect();
    out.sort();
    out
}

fn live_keys(live: &BTreeMap<String, early_signal::Flag>) -> Vec<String> {
    let mut out: Vec<String> = live.values().map(flag_key).collect();
    out.sort();
    out
}

proptest! {
    #![proptest_config(config())]

    /// Observations in any arrival order, late ones included, then `advance_to(as_of)`: the flags
    /// raised and not withdrawn are exactly batch evaluation's, ids included. Sending an
    /// observation again changes nothing.
    #[test]
    fn monitor_agrees_with_batch_in_any_arrival_order(
        case in case_strategy(),
        perm in Just((0..60usize).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let engine = Engine::new(load_rules(&case));
        let config = early_signal::MonitorConfig {
            max_lateness: early_signal::Duration::days(36_500),
            ..early_signal::MonitorConfig::default()
        };
        let mut monitor = early_signal::Monitor::new(engine, config);
        let mut live = BTreeMap::new();
        let arrived = arrivals(&case, &perm);
        for (s, o) in &arrived {
            let events = monitor.observe(s, to_observation(o));
            prop_assert!(events.is_ok(), "{:?}\n{:?}", events, case);
            apply(&mut live, events.unwrap());
        }
        if let Some((s, o)) = arrived.first() {
            let again = monitor.observe(s, to_observation(o));
            prop_assert_eq!(again, Ok(vec![]), "re-sent observation\n{:?}", case);
        }
        apply(&mut live, monitor.advance_to(case.as_of()));
        prop_assert_eq!(live_keys(&live), batch_of(&case, &arrived), "monitor vs batch\n{:?}", case);
    }

    /// With a short lateness bound the monitor prunes and refuses what comes too late: the flags
    /// it leaves are exactly batch evaluation's over the observations it accepted.
    #[test]
    fn monitor_with_pruning_agrees_with_batch_on_what_it_accepted(
        case in case_strategy(),
        delays in proptest::collection::vec(0..12i64, 60),
        lateness_slots in 1..10u16,
    ) {
        let engine = Engine::new(load_rules(&case));
        let config = early_signal::MonitorConfig {
            max_lateness: early_signal::Duration::days(lateness_slots),
            ..early_signal::MonitorConfig::default()
        };
        let mut monitor = early_signal::Monitor::new(engine, config);
        let order = arrival_order(&case, &delays);
        let all = arrivals(&case, &[]);
        let mut live = BTreeMap::new();
        let mut accepted = Vec::new();
        for (_, i) in order {
            let (s, o) = all[i];
            if feed(&mut monitor, s, o, &mut live)? {
                accepted.push((s, o));
            }
        }
        apply(&mut live, monitor.advance_to(case.as_of()));
        prop_assert_eq!(live_keys(&live), batch_of(&case, &accepted), "monitor vs batch\n{:?}", case);
    }

    /// Snapshot at any point, restore, continue: the same events as never stopping.
    #[test]
    fn restored_monitor_continues_exactly(
        case in case_strategy(),
        perm in Just((0..60usize).collect::<Vec<_>>()).prop_shuffle(),
        cut in 0..60usize,
        lateness_slots in 1..20u16,
    ) {
        let engine = Engine::new(load_rules(&case));
        let config = early_signal::MonitorConfig {
            max_lateness: early_signal::Duration::days(lateness_slots),
            ..early_signal::MonitorConfig::default()
        };
        let arrived = arrivals(&case, &perm);
        let cut = cut.min(arrived.len());
        let mut a = early_signal::Monitor::new(engine.clone(), config);
        for (s, o) in &arrived[..cut] {
            let _ = a.observe(s, to_observation(o));
        }
        let snapshot = a.snapshot();
        let mut b = early_signal::Monitor::restore(engine, &snapshot)
            .unwrap_or_else(|e| panic!("{e}\n{snapshot}\n{case:?}"));
        prop_assert_eq!(b.snapshot(), snapshot.clone(), "snapshot of the restored monitor differs\n{:?}", case);
        for (s, o) in &arrived[cut..] {
            let ea = a.observe(s, to_observation(o));
            let eb = b.observe(s, to_observation(o));
            prop_assert_eq!(ea, eb, "after restore\n{:?}", case);
        }
        prop_assert_eq!(a.advance_to(case.as_of()), b.advance_to(case.as_of()));
        prop_assert_eq!(a.snapshot(), b.snapshot());
    }
}

proptest! {
    #![proptest_config(config())]

    /// Like the pruning test, but the clock also follows "wall-clock" ticks (`advance_to` at an
    /// arrival time), lateness bounds go down to minutes, and the monitor is saved and restored at
    /// a random point.
    #[test]
    fn monitor_with_ticks_and_a_restart_agrees_with_batch(
        case in case_strategy(),
        delays in proptest::collection::vec(0..12i64, 60),
        ticks in proptest::collection::vec(any::<bool>(), 60),
        lateness_slots in 1..10u16,
        cut in 0..60usize,
        lateness_minutes in proptest::option::weighted(0.3, 1..(3*24*60i64)),
    ) {
        let engine = Engine::new(load_rules(&case));
        let lateness = match lateness_minutes {
            Some(m) => early_signal::Duration::from_minutes(m).unwrap(),
            None => early_signal::Duration::days(lateness_slots),
        };
        let config = early_signal::MonitorConfig {
            max_lateness: lateness,
            ..early_signal::MonitorConfig::default()
        };
        let mut monitor = early_signal::Monitor::new(engine.clone(), config);
        let order = arrival_order(&case, &delays);
        let all = arrivals(&case, &[]);
        let mut live = BTreeMap::new();
        let mut accepted = Vec::new();
        for (n, (arrive, i)) in order.into_iter().enumerate() {
            if n == cut {
                let snap = monitor.snapshot();
                monitor = early_signal::Monitor::restore(engine.clone(), &snap).unwrap();
            }
            if ticks[n % ticks.len()] && arrive <= case.as_of {
                apply(&mut live, monitor.advance_to(timestamp(arrive, 0)));
            }
            let (s, o) = all[i];
            if feed(&mut monitor, s, o, &mut live)? {
                accepted.push((s, o));
            }
        }
        apply(&mut live, monitor.advance_to(case.as_of()));
        prop_assert_eq!(live_keys(&live), batch_of(&case, &accepted), "monitor vs batch\n{:?}", case);
    }
}

proptest! {
    #![proptest_config(config())]

    /// `Engine::explain` agrees with the evaluator on random rules and timelines: its flags are
    /// batch evaluation's, and every suggestion, added to what was recorded by `as_of`, makes the
    /// rule fire (with a suggested observation as evidence) when evaluated at the time it gives.
    #[test]
    fn explain_agrees_with_the_evaluator(case in case_strategy()) {
        let rules = load_rules(&case);
        let engine = Engine::new(rules.clone());
        let tl = timeline_from_yaml(&case);
        let as_of = case.as_of();
        let report = engine.evaluate(&tl, as_of);
        for st in tl.subjects() {
            let subject = st.subject().id.as_str();
            for rule in rules.rules() {
                let why = engine.explain(&tl, &rule.id, subject, as_of).unwrap();
                let mut expected: Vec<&str> = report
                    .flags
                    .iter()
                    .filter(|f| f.rule == rule.id && f.subject == subject)
                    .map(|f| f.id.as_str())
                    .collect();
                let mut got: Vec<&str> = why.flags.iter().map(|f| f.id.as_str()).collect();
                expected.sort_unstable();
                got.sort_unstable();
                prop_assert_eq!(got, expected, "{}\n{:?}", why, case);
                let Some(s) = why.near_miss.as_ref().and_then(|m| m.suggestion.as_ref()) else {
                    continue;
                };
                let mut known = Timeline::new();
                for x in tl.subjects() {
                    known.add_subject(x.subject().clone()).unwrap();
                    for o in x.observations().iter().filter(|o| o.recorded() <= as_of) {
                        known.add_observation(&x.subject().id, o.clone()).unwrap();
                    }
                }
                for o in &s.observations {
                    let added = known.add_observation(subject, o.clone());
                    prop_assert!(added.is_ok(), "{:?}\n{}\n{:?}", added, why, case);
                }
                let after = engine.evaluate(&known, s.evaluate_at);
                let fired = after.flags.iter().any(|f| {
                    f.rule == rule.id
                        && f.subject == subject
                        && (s.observations.is_empty()
                            || f.evidence
                                .iter()
                                .any(|e| s.observations.iter().any(|o| o.id == e.observation)))
                });
                prop_assert!(fired, "the suggestion does not fire:\n{}\n{:?}", why, case);
            }
        }
    }
}
