//! A deliberately naive reference evaluator of the rule language, written straight from
//! `shared/design/rule-language.md` (sections 1, 3, 4, 5, 6 and 8) and `docs/DECISIONS-draft.md`,
//! without looking at the library's evaluator. Quadratic (and worse) loops on purpose: every
//! function reads like the sentence of the design it implements.
//!
//! Times are nanoseconds since [`BASE_UNIX`] (nanosecond precision, design §8 "Times").

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// 2026-03-01T00:00:00Z.
pub const BASE_UNIX: i64 = 1_772_323_200;

pub const NS: i64 = 1;
pub const SECOND: i64 = 1_000_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Data (design §1)
// ---------------------------------------------------------------------------------------------

/// A value of the mixed-type attribute `w` (no vocabulary, so any scalar type is accepted).
#[derive(Clone, Debug, PartialEq)]
pub enum W {
    Num(i64),
    Str(&'static str),
    Bool(bool),
}

/// One observation. Only the fields the generated rules look at.
#[derive(Clone, Debug, PartialEq)]
pub struct Obs {
    pub id: String,
    /// Nanoseconds since the base.
    pub at: i64,
    /// UTC offset (seconds east) `at` is written in; does not change the instant.
    pub at_offset: i32,
    /// Nanoseconds since the base; `None` = same as `at`.
    pub recorded_at: Option<i64>,
    pub rec_offset: i32,
    pub kind: String,
    pub channel: Option<String>,
    pub counterpart: Option<String>,
    /// `attributes.v`, a number.
    pub v: Option<i64>,
    /// `attributes.w`, of any type.
    pub w: Option<W>,
    /// Write `w: null` in YAML when `w` is `None` ("An attribute given as null is absent").
    pub w_null: bool,
}

impl Obs {
    pub fn recorded(&self) -> i64 {
        self.recorded_at.unwrap_or(self.at)
    }
}

/// Design §1 "Order": by (`at`, `id`), ids compared byte-wise.
pub fn total_order(a: &Obs, b: &Obs) -> std::cmp::Ordering {
    a.at.cmp(&b.at)
        .then_with(|| a.id.as_bytes().cmp(b.id.as_bytes()))
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubjectData {
    pub id: String,
    pub observations: Vec<Obs>,
    /// YAML rendering: omit the ids (they are then `#<n>`, the 1-based position).
    pub omit_ids: bool,
    /// YAML rendering: split the subject over two documents after this many observations.
    pub split_at: Option<usize>,
    /// YAML rendering: repeat these observations (by index) verbatim at the end.
    pub repeats: Vec<usize>,
}

// ---------------------------------------------------------------------------------------------
// Predicates (design §4, §8 "Matchers")
// ---------------------------------------------------------------------------------------------

/// A matcher on a string field.
#[derive(Clone, Debug, PartialEq)]
pub enum StrM {
    /// A scalar: exact, or a glob when it contains `*`.
    Scalar(String),
    /// A list: any of (elements may be globs).
    List(Vec<String>),
    /// `{not: <scalar>}`.
    Not(String),
    /// `{exists: b}`.
    Exists(bool),
    /// `{eq: s}`: exact, never a glob.
    Eq(String),
}

/// A matcher on the number attribute `attributes.v`.
#[derive(Clone, Debug, PartialEq)]
pub enum NumM {
    /// Scalar number; `true` = written with `.0`.
    Eq(i64, bool),
    Gte(i64),
    Gt(i64),
    Lt(i64),
    Lte(i64),
    Exists(bool),
}

/// A matcher on the mixed attribute `attributes.w`.
#[derive(Clone, Debug, PartialEq)]
pub enum WM {
    Scalar(W),
    List(Vec<W>),
    /// `{in: [...]}`: exact, no globs.
    In(Vec<W>),
    /// `{not: scalar}`.
    Not(W),
    /// `{gte: n}`: holds only on numbers.
    Gte(i64),
    Exists(bool),
}

/// A predicate: a map whose entries must all hold.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Pred {
    pub kind: Option<StrM>,
    pub channel: Option<StrM>,
    pub counterpart: Option<StrM>,
    pub v: Option<NumM>,
    pub w: Option<WM>,
    pub not: Option<Box<Pred>>,
    pub any: Option<Vec<Pred>>,
}

/// Design §8: `*` matches any run of characters, including none; anchored at both ends; no other
/// character is special. Naive recursion.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// A scalar string matcher: exact, or glob if it contains `*`.
fn scalar_matches(pattern: &str, value: &str) -> bool {
    if pattern.contains('*') {
        glob(pattern, value)
    } else {
        pattern == value
    }
}

fn str_matches(m: &StrM, value: Option<&str>) -> bool {
    match m {
        // "A comparison on a missing field is false."
        StrM::Scalar(p) => value.is_some_and(|v| scalar_matches(p, v)),
        StrM::List(ps) => value.is_some_and(|v| ps.iter().any(|p| scalar_matches(p, v))),
        // "`eq` and `in` compare exactly (no globs)."
        StrM::Eq(p) => value.is_some_and(|v| p == v),
        // "`{exists: false}` and `not` are how to ask for absence": `not` holds on a missing field.
        StrM::Not(p) => !value.is_some_and(|v| scalar_matches(p, v)),
        StrM::Exists(b) => value.is_some() == *b,
    }
}

fn num_matches(m: &NumM, value: Option<i64>) -> bool {
    match (m, value) {
        (NumM::Exists(b), v) => v.is_some() == *b,
        (_, None) => false,
        (NumM::Eq(n, _), Some(v)) => v == *n,
        (NumM::Gte(n), Some(v)) => v >= *n,
        (NumM::Gt(n), Some(v)) => v > *n,
        (NumM::Lt(n), Some(v)) => v < *n,
        (NumM::Lte(n), Some(v)) => v <= *n,
    }
}

/// A scalar literal against a value: "a number never equals a string or a bool"; strings are
/// exact or globs.
fn w_scalar(lit: &W, value: &W, globs: bool) -> bool {
    match (lit, value) {
        (W::Num(a), W::Num(b)) => a == b,
        (W::Bool(a), W::Bool(b)) => a == b,
        (W::Str(p), W::Str(v)) => {
            if globs {
                scalar_matches(p, v)
            } else {
                p == v
            }
        }
        _ => false,
    }
}

fn w_matches(m: &WM, value: Option<&W>) -> bool {
    match m {
        WM::Exists(b) => value.is_some() == *b,
        WM::Not(l) => !value.is_some_and(|v| w_scalar(l, v, true)),
        WM::Scalar(l) => value.is_some_and(|v| w_scalar(l, v, true)),
        WM::List(ls) => value.is_some_and(|v| ls.iter().any(|l| w_scalar(l, v, true))),
        WM::In(ls) => value.is_some_and(|v| ls.iter().any(|l| w_scalar(l, v, false))),
        // "gt/gte/lt/lte hold only on numbers."
        WM::Gte(n) => matches!(value, Some(W::Num(v)) if v >= n),
    }
}

impl Pred {
    /// All entries must hold.
    pub fn matches(&self, o: &Obs) -> bool {
        self.kind
            .as_ref()
            .is_none_or(|m| str_matches(m, Some(&o.kind)))
            && self
                .channel
                .as_ref()
                .is_none_or(|m| str_matches(m, o.channel.as_deref()))
            && self
                .counterpart
                .as_ref()
                .is_none_or(|m| str_matches(m, o.counterpart.as_deref()))
            && self.v.as_ref().is_none_or(|m| num_matches(m, o.v))
            && self.w.as_ref().is_none_or(|m| w_matches(m, o.w.as_ref()))
            && self.not.as_ref().is_none_or(|p| !p.matches(o))
            && self
                .any
                .as_ref()
                .is_none_or(|ps| ps.iter().any(|p| p.matches(o)))
    }
}

// ---------------------------------------------------------------------------------------------
// Rules (design §3, §5)
// ---------------------------------------------------------------------------------------------

/// A duration: nanoseconds and how it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Dur {
    pub ns: i64,
    pub text: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sev {
    Low,
    Medium,
    High,
    Critical,
}

impl Sev {
    pub fn name(self) -> &'static str {
        match self {
            Sev::Low => "low",
            Sev::Medium => "medium",
            Sev::High => "high",
            Sev::Critical => "critical",
        }
    }
}

/// A `by` / `distinct` field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Field {
    Counterpart,
    Channel,
    AttrV,
    AttrW,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Counterpart => "counterpart",
            Field::Channel => "channel",
            Field::AttrV => "attributes.v",
            Field::AttrW => "attributes.w",
        }
    }
    /// The field's value, rendered as key values are compared (`s:` string, `n:` number, `b:`
    /// bool), so that the number 1 and the string "1" differ.
    pub fn value(self, o: &Obs) -> Option<String> {
        match self {
            Field::Counterpart => o.counterpart.as_ref().map(|c| format!("s:{c}")),
            Field::Channel => o.channel.as_ref().map(|c| format!("s:{c}")),
            Field::AttrV => o.v.map(|n| format!("n:{}", n as f64)),
            Field::AttrW => o.w.as_ref().map(|w| match w {
                W::Num(n) => format!("n:{}", *n as f64),
                W::Str(s) => format!("s:{s}"),
                W::Bool(b) => format!("b:{b}"),
            }),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    Match(Pred),
    Count {
        pred: Pred,
        within: Dur,
        at_least: usize,
        distinct: Option<Field>,
        by: Option<Field>,
    },
    Sequence {
        within: Dur,
        steps: Vec<Pred>,
        by: Option<Field>,
        until: Option<Pred>,
    },
    Absence {
        after: Pred,
        expect: Pred,
        within: Dur,
        by: Option<Field>,
    },
    Signals {
        within: Dur,
        at_least: usize,
        of: Vec<(String, Pred)>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: String,
    pub severity: Sev,
    pub pattern: Pattern,
    pub unless: Vec<Pred>,
    pub cooldown: Option<Dur>,
    pub urgent: Option<Dur>,
    pub closes: Option<Dur>,
}

// ---------------------------------------------------------------------------------------------
// Output of the model
// ---------------------------------------------------------------------------------------------

/// One evidence item, comparable with the real `Evidence` (times: ns since the base).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MEv {
    pub observation: String,
    pub at: i64,
    pub kind: String,
    pub counterpart: Option<String>,
    pub step: Option<u32>,
    pub indicator: Option<String>,
    pub role: Option<String>,
}

/// One flag, comparable with the real `Flag` (times: ns since the base).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MFlag {
    pub rule: String,
    pub subject: String,
    /// `(field, value)` with value rendered `s:…` / `n:…` / `b:…`; empty without `by`.
    pub key: Vec<(String, String)>,
    pub raised_at: i64,
    pub evidence: Vec<MEv>,
    pub known_at: i64,
    pub opened_at: i64,
    pub urgent_until: i64,
    pub closes_at: i64,
    /// 0 urgent, 1 open, 2 closed.
    pub stage: u8,
    pub severity: Sev,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MPending {
    pub rule: String,
    pub subject: String,
    pub key: Vec<(String, String)>,
    pub deadline: i64,
    pub after: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MReport {
    /// Sorted.
    pub flags: Vec<MFlag>,
    /// Sorted.
    pub pending: Vec<MPending>,
    /// Observations not counted at `as_of` (`at > as_of` or `recorded_at > as_of`).
    pub ignored: usize,
}

type Item<'a> = (&'a Obs, Option<u32>, Option<String>, Option<String>);

/// A firing before cooldown: design §3 cooldown and §8 "Cooldown order".
struct Firing<'a> {
    raised_at: i64,
    /// The firing observation (for absence: the `after` observation), for ordering.
    order_obs: &'a Obs,
    key: Vec<(String, String)>,
    /// Evidence: (observation, step, indicator, role).
    evidence: Vec<Item<'a>>,
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// Evaluates `rules` over `subjects` at `as_of` (ns since the base).
pub fn evaluate(rules: &[Rule], subjects: &[SubjectData], as_of: i64) -> MReport {
    let mut report = MReport::default();
    for s in subjects {
        // §6: "An observation counts at as_of when ... at ≤ as_of and recorded_at ≤ as_of. Others are
        // ignored and counted".
        let mut timeline: Vec<&Obs> = Vec::new();
        for o in &s.observations {
            if o.at <= as_of && o.recorded() <= as_of {
                timeline.push(o);
            } else {
                report.ignored += 1;
            }
        }
        timeline.sort_by(|a, b| total_order(a, b));

        for rule in rules {
            // §3: "An observation matching any `unless` entry is invisible to that rule."
            let view: Vec<&Obs> = timeline
                .iter()
                .copied()
                .filter(|o| !rule.unless.iter().any(|u| u.matches(o)))
                .collect();
            let (firings, pending) = fire(rule, &view, as_of);
            for (key, deadline, after) in pending {
                report.pending.push(MPending {
                    rule: rule.id.clone(),
                    subject: s.id.clone(),
                    key,
                    deadline,
                    after: after.id.clone(),
                });
            }
            for f in apply_cooldown(rule, firings) {
                report
                    .flags
                    .push(make_flag(rule, &s.id, &timeline, f, as_of));
            }
        }
    }
    report.flags.sort();
    report.pending.sort();
    report
}

/// Design §5 `W(o, d)`: the observations satisfying `matching` whose `at` is in
/// `[o.at − d, o.at]` and that come at or before `o` in the total order.
fn window<'a>(view: &[&'a Obs], o: &Obs, d: i64, matching: impl Fn(&Obs) -> bool) -> Vec<&'a Obs> {
    view.iter()
        .copied()
        .filter(|x| total_order(x, o) != std::cmp::Ordering::Greater)
        .filter(|x| x.at >= o.at - d && x.at <= o.at)
        .filter(|x| matching(x))
        .collect()
}

fn key_of(by: Option<Field>, value: &Option<String>) -> Vec<(String, String)> {
    match (by, value) {
        (Some(f), Some(v)) => vec![(f.name().to_owned(), v.clone())],
        _ => vec![],
    }
}

type PendingEntry<'a> = (Vec<(String, String)>, i64, &'a Obs);

fn fire<'a>(rule: &Rule, view: &[&'a Obs], as_of: i64) -> (Vec<Firing<'a>>, Vec<PendingEntry<'a>>) {
    let mut firings = Vec::new();
    let mut pending = Vec::new();
    match &rule.pattern {
        // "a flag at every matching observation"
        Pattern::Match(p) => {
            for o in view {
                if p.matches(o) {
                    firings.push(Firing {
                        raised_at: o.at,
                        order_obs: o,
                        key: vec![],
                        evidence: vec![(o, None, None, None)],
                    });
                }
            }
        }
        Pattern::Count {
            pred,
            within,
            at_least,
            distinct,
            by,
        } => {
            for o in view {
                if !pred.matches(o) {
                    continue;
                }
                // "With by, W(o) holds only observations with o's value of that field (observations
                // without the field never match)."
                let by_value = by.map(|f| f.value(o));
                if let Some(None) = by_value {
                    continue;
                }
                let w = window(view, o, within.ns, |x| {
                    pred.matches(x) && by.is_none_or(|f| f.value(x) == f.value(o))
                });
                let w_minus: Vec<&Obs> = w
                    .iter()
                    .copied()
                    .filter(|x| !std::ptr::eq(*x, *o))
                    .collect();
                // f(S): the number of observations, or of distinct values (observations without
                // the field don't count).
                let f = |s: &[&Obs]| -> usize {
                    match distinct {
                        None => s.len(),
                        Some(field) => s
                            .iter()
                            .filter_map(|x| field.value(x))
                            .collect::<BTreeSet<_>>()
                            .len(),
                    }
                };
                if f(&w) >= *at_least && f(&w_minus) < *at_least {
                    // Evidence: W(o); with distinct, the earliest observation of each value in W(o).
                    let evidence: Vec<&Obs> = match distinct {
                        None => w.clone(),
                        Some(field) => w
                            .iter()
                            .copied()
                            .filter(|x| {
                                let v = field.value(x);
                                v.is_some()
                                    && !w.iter().any(|y| {
                                        field.value(y) == v
                                            && total_order(y, x) == std::cmp::Ordering::Less
                                    })
                            })
                            .collect(),
                    };
                    firings.push(Firing {
                        raised_at: o.at,
                        order_obs: o,
                        key: key_of(*by, &by_value.flatten()),
                        evidence: evidence
                            .into_iter()
                            .map(|x| (x, None, None, None))
                            .collect(),
                    });
                }
            }
        }
        Pattern::Sequence {
            within,
            steps,
            by,
            until,
        } => {
            let k = steps.len();
            let mut used: Vec<&Obs> = Vec::new(); // first steps of earlier firings
            for (ik, ok) in view.iter().enumerate() {
                if !steps[k - 1].matches(ok) {
                    continue;
                }
                // "every step carries this field, all with one value"
                let same_by = |x: &Obs| match by {
                    None => true,
                    Some(f) => f.value(x).is_some() && f.value(x) == f.value(ok),
                };
                if !same_by(ok) {
                    continue;
                }
                // Is there a chain for steps i.. (after the observation at index `prev`) whose last
                // step is o_k?
                fn chain(
                    view: &[&Obs],
                    steps: &[Pred],
                    prev: usize,
                    i: usize,
                    ik: usize,
                    same_by: &dyn Fn(&Obs) -> bool,
                ) -> bool {
                    if i == steps.len() - 1 {
                        return prev < ik;
                    }
                    (prev + 1..ik).any(|j| {
                        steps[i].matches(view[j])
                            && same_by(view[j])
                            && chain(view, steps, j, i + 1, ik, same_by)
                    })
                }
                // The earliest o_1 that starts a match ending at o_k and is not used up.
                let first = (0..ik).find(|&i1| {
                    let o1 = view[i1];
                    steps[0].matches(o1)
                        && same_by(o1)
                        && ok.at - o1.at <= within.ns
                        && !used.iter().any(|u| std::ptr::eq(*u, o1))
                        // "no until observation strictly between o_1 and o_k (until ignores by)"
                        && !until.as_ref().is_some_and(|u| (i1 + 1..ik).any(|j| u.matches(view[j])))
                        && chain(view, steps, i1, 1, ik, &same_by)
                });
                let Some(i1) = first else { continue };
                // Evidence: o_1, then for each later step the earliest observation after the
                // previous one that still completes the chain; the last is o_k.
                let mut evidence = vec![(view[i1], Some(1u32), None, None)];
                let mut prev = i1;
                for (i, step) in steps.iter().enumerate().take(k - 1).skip(1) {
                    let j = (prev + 1..ik)
                        .find(|&j| {
                            step.matches(view[j])
                                && same_by(view[j])
                                && chain(view, steps, j, i + 1, ik, &same_by)
                        })
                        .expect("greedy choice always succeeds");
                    evidence.push((view[j], Some(i as u32 + 1), None, None));
                    prev = j;
                }
                evidence.push((*ok, Some(k as u32), None, None));
                used.push(view[i1]);
                let by_value = by.and_then(|f| f.value(ok));
                firings.push(Firing {
                    raised_at: ok.at,
                    order_obs: ok,
                    key: key_of(*by, &by_value),
                    evidence,
                });
            }
        }
        Pattern::Absence {
            after,
            expect,
            within,
            by,
        } => {
            for (ia, a) in view.iter().enumerate() {
                if !after.matches(a) {
                    continue;
                }
                let by_value = by.map(|f| f.value(a));
                if let Some(None) = by_value {
                    continue; // "With by, a must carry the field"
                }
                let deadline = a.at + within.ns;
                // "no expect observation e with a < e and e.at ≤ a.at + within (and, with by, the
                // same value)"
                let followed = view[ia + 1..].iter().any(|e| {
                    expect.matches(e)
                        && e.at <= deadline
                        && by.is_none_or(|f| f.value(e) == f.value(a))
                });
                if followed {
                    continue;
                }
                let key = key_of(*by, &by_value.flatten());
                // §8: "Reached" means as_of ≥ deadline.
                if as_of >= deadline {
                    firings.push(Firing {
                        raised_at: deadline,
                        order_obs: a,
                        key,
                        evidence: vec![(a, None, None, Some("after".to_owned()))],
                    });
                } else {
                    pending.push((key, deadline, *a));
                }
            }
        }
        Pattern::Signals {
            within,
            at_least,
            of,
        } => {
            let any_indicator = |x: &Obs| of.iter().any(|(_, p)| p.matches(x));
            let names = |s: &[&Obs]| -> usize {
                of.iter()
                    .filter(|(_, p)| s.iter().any(|x| p.matches(x)))
                    .count()
            };
            for o in view {
                let w = window(view, o, within.ns, any_indicator);
                let w_minus: Vec<&Obs> = w
                    .iter()
                    .copied()
                    .filter(|x| !std::ptr::eq(*x, *o))
                    .collect();
                if names(&w) >= *at_least && names(&w_minus) < *at_least {
                    // For each present indicator, its observations in W(o); ordered by the total
                    // order, then indicator declaration order (DECISIONS "evidence items").
                    let mut evidence = Vec::new();
                    for x in &w {
                        for (name, p) in of {
                            if p.matches(x) {
                                evidence.push((*x, None, Some(name.clone()), None));
                            }
                        }
                    }
                    firings.push(Firing {
                        raised_at: o.at,
                        order_obs: o,
                        key: vec![],
                        evidence,
                    });
                }
            }
        }
    }
    (firings, pending)
}

/// Design §3: "firings are taken in order of raised_at; a firing is dropped when a kept flag of the
/// same rule, subject and key was raised less than cooldown before it." §8: then by the total order
/// of the firing observation (absence: the after observation).
fn apply_cooldown<'a>(rule: &Rule, mut firings: Vec<Firing<'a>>) -> Vec<Firing<'a>> {
    let Some(cooldown) = &rule.cooldown else {
        return firings;
    };
    firings.sort_by(|a, b| {
        a.raised_at
            .cmp(&b.raised_at)
            .then_with(|| total_order(a.order_obs, b.order_obs))
    });
    let mut kept: Vec<Firing> = Vec::new();
    for f in firings {
        let dropped = kept
            .iter()
            .any(|k| k.key == f.key && f.raised_at - k.raised_at < cooldown.ns);
        if !dropped {
            kept.push(f);
        }
    }
    kept
}

fn make_flag(rule: &Rule, subject: &str, timeline: &[&Obs], f: Firing, as_of: i64) -> MFlag {
    // §6/§8: known_at = max(raised_at, latest recorded_at of the evidence).
    let known_at = f
        .evidence
        .iter()
        .map(|(o, ..)| o.recorded())
        .fold(f.raised_at, i64::max);
    // §6 recruitment window.
    let counterparts: BTreeSet<&str> = f
        .evidence
        .iter()
        .filter_map(|(o, ..)| o.counterpart.as_deref())
        .collect();
    let opened_at = if counterparts.len() == 1 {
        let c = *counterparts.iter().next().unwrap();
        // "the `at` of the first observation in the subject's timeline with counterpart c (whether or
        // not it matched the rule)": the timeline as counted at as_of, not the rule's
        // unless-filtered view.
        timeline
            .iter()
            .filter(|o| o.counterpart.as_deref() == Some(c))
            .map(|o| o.at)
            .min()
            .unwrap()
    } else {
        f.evidence.iter().map(|(o, ..)| o.at).min().unwrap()
    };
    let urgent = rule.urgent.as_ref().map_or(7 * DAY, |d| d.ns);
    let closes = rule.closes.as_ref().map_or(30 * DAY, |d| d.ns);
    let urgent_until = opened_at + urgent;
    let closes_at = opened_at + closes;
    // "urgent before urgent_until, open before closes_at, otherwise closed"
    let stage = if as_of < urgent_until {
        0
    } else if as_of < closes_at {
        1
    } else {
        2
    };
    MFlag {
        rule: rule.id.clone(),
        subject: subject.to_owned(),
        key: f.key,
        raised_at: f.raised_at,
        evidence: f
            .evidence
            .iter()
            .map(|(o, step, indicator, role)| MEv {
                observation: o.id.clone(),
                at: o.at,
                kind: o.kind.clone(),
                counterpart: o.counterpart.clone(),
                step: *step,
                indicator: indicator.clone(),
                role: role.clone(),
            })
            .collect(),
        known_at,
        opened_at,
        urgent_until,
        closes_at,
        stage,
        severity: rule.severity,
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering to YAML (the texts the real loader and reader get)
// ---------------------------------------------------------------------------------------------

fn q(s: &str) -> String {
    format!("{s:?}")
}

fn render_str_m(m: &StrM) -> String {
    match m {
        StrM::Scalar(s) => q(s),
        StrM::List(v) => format!(
            "[{}]",
            v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        ),
        StrM::Not(s) => format!("{{not: {}}}", q(s)),
        StrM::Exists(b) => format!("{{exists: {b}}}"),
        StrM::Eq(s) => format!("{{eq: {}}}", q(s)),
    }
}

fn render_num_m(m: &NumM) -> String {
    match m {
        NumM::Eq(n, false) => format!("{n}"),
        NumM::Eq(n, true) => format!("{n}.0"),
        NumM::Gte(n) => format!("{{gte: {n}}}"),
        NumM::Gt(n) => format!("{{gt: {n}}}"),
        NumM::Lt(n) => format!("{{lt: {n}}}"),
        NumM::Lte(n) => format!("{{lte: {n}}}"),
        NumM::Exists(b) => format!("{{exists: {b}}}"),
    }
}

/// A `w` value as YAML: plain strings `yes`, `on`, `x` stay unquoted (YAML 1.2: they are strings).
pub fn render_w(w: &W) -> String {
    match w {
        W::Num(n) => format!("{n}"),
        W::Bool(b) => format!("{b}"),
        W::Str(s) if s.chars().all(|c| c.is_ascii_alphabetic()) => (*s).to_owned(),
        W::Str(s) => q(s),
    }
}

fn render_w_m(m: &WM) -> String {
    let list = |ls: &[W]| ls.iter().map(render_w).collect::<Vec<_>>().join(", ");
    match m {
        WM::Scalar(l) => render_w(l),
        WM::List(ls) => format!("[{}]", list(ls)),
        WM::In(ls) => format!("{{in: [{}]}}", list(ls)),
        WM::Not(l) => format!("{{not: {}}}", render_w(l)),
        WM::Gte(n) => format!("{{gte: {n}}}"),
        WM::Exists(b) => format!("{{exists: {b}}}"),
    }
}

/// A predicate as a YAML flow mapping.
pub fn render_pred(p: &Pred) -> String {
    let mut parts = Vec::new();
    if let Some(m) = &p.kind {
        parts.push(format!("kind: {}", render_str_m(m)));
    }
    if let Some(m) = &p.channel {
        parts.push(format!("channel: {}", render_str_m(m)));
    }
    if let Some(m) = &p.counterpart {
        parts.push(format!("counterpart: {}", render_str_m(m)));
    }
    if let Some(m) = &p.v {
        parts.push(format!("attributes.v: {}", render_num_m(m)));
    }
    if let Some(m) = &p.w {
        parts.push(format!("attributes.w: {}", render_w_m(m)));
    }
    if let Some(n) = &p.not {
        parts.push(format!("not: {}", render_pred(n)));
    }
    if let Some(a) = &p.any {
        parts.push(format!(
            "any: [{}]",
            a.iter().map(render_pred).collect::<Vec<_>>().join(", ")
        ));
    }
    format!("{{{}}}", parts.join(", "))
}

/// The rule file (`rules:` only, no vocabulary).
pub fn render_rules(rules: &[Rule]) -> String {
    let mut y = String::from("rules:\n");
    for r in rules {
        let _ = writeln!(y, "  - id: {}", r.id);
        let _ = writeln!(y, "    version: 1");
        let _ = writeln!(y, "    title: generated rule {}", r.id);
        let _ = writeln!(y, "    class: risk");
        let _ = writeln!(y, "    severity: {}", r.severity.name());
        let _ = writeln!(
            y,
            "    rationale: generated by the reference-model property tests"
        );
        let _ = writeln!(y, "    when:");
        match &r.pattern {
            Pattern::Match(p) => {
                let _ = writeln!(y, "      match: {}", render_pred(p));
            }
            Pattern::Count {
                pred,
                within,
                at_least,
                distinct,
                by,
            } => {
                let _ = writeln!(y, "      count:");
                let _ = writeln!(y, "        match: {}", render_pred(pred));
                let _ = writeln!(y, "        within: {}", within.text);
                let _ = writeln!(y, "        at_least: {at_least}");
                if let Some(d) = distinct {
                    let _ = writeln!(y, "        distinct: {}", d.name());
                }
                if let Some(b) = by {
                    let _ = writeln!(y, "        by: {}", b.name());
                }
            }
            Pattern::Sequence {
                within,
                steps,
                by,
                until,
            } => {
                let _ = writeln!(y, "      sequence:");
                let _ = writeln!(y, "        within: {}", within.text);
                if let Some(b) = by {
                    let _ = writeln!(y, "        by: {}", b.name());
                }
                let _ = writeln!(y, "        steps:");
                for s in steps {
                    let _ = writeln!(y, "          - {}", render_pred(s));
                }
                if let Some(u) = until {
                    let _ = writeln!(y, "        until: {}", render_pred(u));
                }
            }
            Pattern::Absence {
                after,
                expect,
                within,
                by,
            } => {
                let _ = writeln!(y, "      absence:");
                let _ = writeln!(y, "        after: {}", render_pred(after));
                let _ = writeln!(y, "        expect: {}", render_pred(expect));
                let _ = writeln!(y, "        within: {}", within.text);
                if let Some(b) = by {
                    let _ = writeln!(y, "        by: {}", b.name());
                }
            }
            Pattern::Signals {
                within,
                at_least,
                of,
            } => {
                let _ = writeln!(y, "      signals:");
                let _ = writeln!(y, "        within: {}", within.text);
                let _ = writeln!(y, "        at_least: {at_least}");
                let _ = writeln!(y, "        of:");
                for (name, p) in of {
                    let _ = writeln!(y, "          {name}: {}", render_pred(p));
                }
            }
        }
        if !r.unless.is_empty() {
            let _ = writeln!(y, "    unless:");
            for (i, u) in r.unless.iter().enumerate() {
                let _ = writeln!(
                    y,
                    "      - {{reason: generated exception {}, match: {}}}",
                    i + 1,
                    render_pred(u)
                );
            }
        }
        if let Some(c) = &r.cooldown {
            let _ = writeln!(y, "    cooldown: {}", c.text);
        }
        if r.urgent.is_some() || r.closes.is_some() {
            let mut parts = Vec::new();
            if let Some(u) = &r.urgent {
                parts.push(format!("urgent: {}", u.text));
            }
            if let Some(c) = &r.closes {
                parts.push(format!("closes: {}", c.text));
            }
            let _ = writeln!(y, "    window: {{{}}}", parts.join(", "));
        }
    }
    y
}

/// The instant `ns` nanoseconds after the base, in the given offset (seconds east).
pub fn timestamp(ns: i64, offset_secs: i32) -> chrono::DateTime<chrono::FixedOffset> {
    use chrono::{DateTime, FixedOffset};
    let utc = DateTime::from_timestamp(
        BASE_UNIX + ns.div_euclid(SECOND),
        ns.rem_euclid(SECOND) as u32,
    )
    .unwrap();
    utc.with_timezone(&FixedOffset::east_opt(offset_secs).unwrap())
}

/// RFC 3339 text of `ns` since the base, written in the given offset (seconds east).
pub fn rfc3339(ns: i64, offset_secs: i32) -> String {
    timestamp(ns, offset_secs).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn render_obs(o: &Obs, omit_id: bool) -> String {
    let mut parts = Vec::new();
    if !omit_id {
        parts.push(format!("id: {}", o.id));
    }
    parts.push(format!("at: {}", rfc3339(o.at, o.at_offset)));
    if let Some(r) = o.recorded_at {
        parts.push(format!("recorded_at: {}", rfc3339(r, o.rec_offset)));
    }
    parts.push(format!("kind: {}", o.kind));
    if let Some(c) = &o.channel {
        parts.push(format!("channel: {c}"));
    }
    if let Some(c) = &o.counterpart {
        parts.push(format!("counterpart: {c}"));
    }
    let mut attrs = Vec::new();
    if let Some(v) = o.v {
        attrs.push(format!("v: {v}"));
    }
    match &o.w {
        Some(w) => attrs.push(format!("w: {}", render_w(w))),
        None if o.w_null => attrs.push("w: null".to_owned()),
        None => {}
    }
    if !attrs.is_empty() {
        parts.push(format!("attributes: {{{}}}", attrs.join(", ")));
    }
    format!("  - {{{}}}\n", parts.join(", "))
}

/// The timeline as YAML documents, one per subject (or two, when `split_at` is set).
pub fn render_timeline(subjects: &[SubjectData]) -> String {
    let mut docs: Vec<String> = Vec::new();
    for s in subjects {
        let n = s.observations.len();
        let cut = s.split_at.map_or(n, |c| c.min(n));
        let mut doc = format!("subject: {}\n", s.id);
        if n == 0 {
            doc.push_str("observations: []\n");
            docs.push(doc);
            continue;
        }
        doc.push_str("observations:\n");
        for o in &s.observations[..cut] {
            doc.push_str(&render_obs(o, s.omit_ids));
        }
        // Identical repeats count once (design §8).
        let mut rest = String::new();
        for o in &s.observations[cut..] {
            rest.push_str(&render_obs(o, s.omit_ids));
        }
        if !s.omit_ids {
            for &i in &s.repeats {
                if let Some(o) = s.observations.get(i) {
                    rest.push_str(&render_obs(o, false));
                }
            }
        }
        if cut == n {
            doc.push_str(&rest);
            docs.push(doc);
        } else {
            // "The same subject in two documents is merged."
            docs.push(doc);
            docs.push(format!("subject: {}\nobservations:\n{rest}", s.id));
        }
    }
    docs.join("---\n")
}
