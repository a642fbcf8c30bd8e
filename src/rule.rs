//! Compiled rules: patterns, predicates and matchers (design §3–§5), and how a predicate is tested
//! against one observation.

use crate::flag::{Class, Severity};
use crate::name::Name;
use crate::node::{Node, Pos};
use crate::time::{Duration, Timestamp};
use crate::timeline::{Observation, Subject, Value};
use chrono::Datelike;
use std::collections::BTreeSet;
use std::fmt;

/// A loaded, checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique id in the rule set.
    pub id: Name,
    /// Bumped on any semantic change.
    pub version: u32,
    /// Short title.
    pub title: String,
    /// Risk or harm.
    pub class: Class,
    /// Severity of its flags.
    pub severity: Severity,
    /// Why the pattern matters.
    pub rationale: String,
    /// Sources behind the rationale.
    pub references: Vec<String>,
    /// Firings closer than this to a kept flag with the same key are dropped.
    pub cooldown: Option<Duration>,
    /// The urgent period of the recruitment window.
    pub urgent: Duration,
    /// The length of the recruitment window.
    pub closes: Duration,
    /// Where the recruitment window opens.
    pub opens: WindowOpens,
    /// File it was loaded from.
    pub file: String,
    /// Where its `id` was written.
    pub pos: Pos,
    pub(crate) pattern: Pattern,
    pub(crate) unless: Vec<Unless>,
    pub(crate) message: Option<Template>,
    pub(crate) tests: Vec<RuleTest>,
}

/// Where a flag's recruitment window opens (`window.opens`, docs/rule-language.md §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename_all = "snake_case", transform = crate::schema::plain_enum)
)]
pub enum WindowOpens {
    /// At the first contact with the counterpart the evidence shares, else the earliest evidence
    /// (`first_contact`, the default for class `risk`).
    FirstContact,
    /// At the earliest evidence (`evidence`, the default for class `harm`).
    Evidence,
}

impl Rule {
    /// The pattern's name: `match`, `count`, `sequence`, `absence` or `signals`.
    pub fn pattern_name(&self) -> &'static str {
        match self.pattern {
            Pattern::Match(_) => "match",
            Pattern::Count { .. } => "count",
            Pattern::Sequence { .. } => "sequence",
            Pattern::Absence { .. } => "absence",
            Pattern::Signals { .. } => "signals",
        }
    }

    /// Whether any predicate of the rule uses `subject.age`.
    pub fn needs_age(&self) -> bool {
        let mut found = false;
        self.for_each_pred(&mut |p| found |= p.uses_age());
        found
    }

    /// Number of embedded tests.
    pub fn test_count(&self) -> usize {
        self.tests.len()
    }

    /// The fields named by `by` and `distinct`.
    pub(crate) fn key_fields(&self) -> Vec<&Field> {
        match &self.pattern {
            Pattern::Count { distinct, by, .. } => distinct.iter().chain(by.iter()).collect(),
            Pattern::Sequence { by, .. } | Pattern::Absence { by, .. } => by.iter().collect(),
            Pattern::Match(_) | Pattern::Signals { .. } => Vec::new(),
        }
    }

    /// The kinds of observation this rule's pattern can use (`None`: any kind). Observations of
    /// other kinds cannot change what the rule finds; `unless` only hides observations.
    pub(crate) fn kinds(&self, declared: Option<&[&str]>) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for p in self.pattern.preds() {
            out.extend(p.kinds(declared)?);
        }
        Some(out)
    }

    pub(crate) fn for_each_pred(&self, f: &mut impl FnMut(&Pred)) {
        self.pattern.preds().for_each(&mut *f);
        self.unless.iter().for_each(|u| f(&u.pred));
    }
}

/// An exception: observations matching `pred` are invisible to the rule.
#[derive(Debug, Clone)]
pub(crate) struct Unless {
    #[allow(dead_code)]
    pub reason: String,
    pub pred: Pred,
}

/// The five patterns, over predicates of type `P` (as loaded: [`Pred`]; as an engine runs them:
/// compiled tests).
#[derive(Debug, Clone)]
pub(crate) enum Pattern<P = Pred> {
    Match(P),
    Count {
        pred: P,
        within: Duration,
        at_least: usize,
        distinct: Option<Field>,
        by: Option<Field>,
    },
    Sequence {
        within: Duration,
        by: Option<Field>,
        steps: Vec<P>,
        until: Option<P>,
    },
    Absence {
        after: P,
        expect: P,
        within: Duration,
        by: Option<Field>,
    },
    Signals {
        within: Duration,
        at_least: usize,
        of: Vec<(Name, P)>,
    },
}

impl<P> Pattern<P> {
    /// The same pattern with each predicate `p` replaced by `f(p)`.
    pub(crate) fn map<Q>(&self, f: &impl Fn(&P) -> Q) -> Pattern<Q> {
        match self {
            Pattern::Match(p) => Pattern::Match(f(p)),
            Pattern::Count {
                pred,
                within,
                at_least,
                distinct,
                by,
            } => Pattern::Count {
                pred: f(pred),
                within: *within,
                at_least: *at_least,
                distinct: distinct.clone(),
                by: by.clone(),
            },
            Pattern::Sequence {
                within,
                by,
                steps,
                until,
            } => Pattern::Sequence {
                within: *within,
                by: by.clone(),
                steps: steps.iter().map(f).collect(),
                until: until.as_ref().map(f),
            },
            Pattern::Absence {
                after,
                expect,
                within,
                by,
            } => Pattern::Absence {
                after: f(after),
                expect: f(expect),
                within: *within,
                by: by.clone(),
            },
            Pattern::Signals {
                within,
                at_least,
                of,
            } => Pattern::Signals {
                within: *within,
                at_least: *at_least,
                of: of.iter().map(|(n, p)| (n.clone(), f(p))).collect(),
            },
        }
    }

    /// Every predicate of the pattern, in order (steps, then `until`; `after`, then `expect`).
    /// (An iterator, not a list: the monitor asks this for every observation.)
    pub(crate) fn preds(&self) -> impl Iterator<Item = &P> {
        let none: &[P] = &[];
        let (one, two, steps, until, of): (_, _, _, _, &[(Name, P)]) = match self {
            Pattern::Match(p) | Pattern::Count { pred: p, .. } => (Some(p), None, none, None, &[]),
            Pattern::Sequence { steps, until, .. } => {
                (None, None, steps.as_slice(), until.as_ref(), &[])
            }
            Pattern::Absence { after, expect, .. } => (Some(after), Some(expect), none, None, &[]),
            Pattern::Signals { of, .. } => (None, None, none, None, of.as_slice()),
        };
        one.into_iter()
            .chain(two)
            .chain(steps)
            .chain(until)
            .chain(of.iter().map(|(_, p)| p))
    }

    pub(crate) fn within(&self) -> Option<Duration> {
        match self {
            Pattern::Match(_) => None,
            Pattern::Count { within, .. }
            | Pattern::Sequence { within, .. }
            | Pattern::Absence { within, .. }
            | Pattern::Signals { within, .. } => Some(*within),
        }
    }

    /// The fewest observations the pattern can fire on (design §7): `count` needs `at_least`
    /// of them, a `sequence` one per step (one observation cannot fill two steps), the others
    /// one. A rule that sees fewer need not run.
    pub(crate) fn fewest_observations(&self) -> usize {
        match self {
            Pattern::Count { at_least, .. } => *at_least,
            Pattern::Sequence { steps, .. } => steps.len(),
            Pattern::Match(_) | Pattern::Absence { .. } | Pattern::Signals { .. } => 1,
        }
    }
}

/// A field of an observation (or of its subject) that predicates, `by` and `distinct` read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Kind,
    Channel,
    Counterpart,
    Source,
    /// The attribute's name: the vocabulary's stored copy when the rule set has a vocabulary,
    /// the copy observations' attribute names share, so a lookup usually stops at the address.
    Attribute(Name),
    Age,
    Fact(String),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Kind => f.write_str("kind"),
            Field::Channel => f.write_str("channel"),
            Field::Counterpart => f.write_str("counterpart"),
            Field::Source => f.write_str("source"),
            Field::Attribute(a) => write!(f, "attributes.{a}"),
            Field::Age => f.write_str("subject.age"),
            Field::Fact(n) => write!(f, "subject.{n}"),
        }
    }
}

/// A borrowed field value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FieldValue<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
}

impl FieldValue<'_> {
    pub(crate) fn to_value(self) -> Value {
        match self {
            FieldValue::Str(s) => Value::from(s),
            FieldValue::Num(n) => Value::Number(n),
            FieldValue::Bool(b) => Value::Bool(b),
        }
    }
}

fn borrow(v: &Value) -> FieldValue<'_> {
    match v {
        Value::String(s) => FieldValue::Str(s),
        Value::Number(n) => FieldValue::Num(*n),
        Value::Bool(b) => FieldValue::Bool(*b),
    }
}

impl Field {
    /// The value of this field for `o` of `subject`, or `None` when absent.
    pub(crate) fn value<'a>(
        &self,
        o: &'a Observation,
        subject: &'a Subject,
    ) -> Option<FieldValue<'a>> {
        match self {
            Field::Kind => Some(FieldValue::Str(&o.kind)),
            Field::Channel => o.channel.as_deref().map(FieldValue::Str),
            Field::Counterpart => o.counterpart.as_deref().map(FieldValue::Str),
            Field::Source => o.source.as_deref().map(FieldValue::Str),
            Field::Attribute(a) => o.attributes.get_shared(a).map(borrow),
            Field::Age => age_at(subject, &o.at).map(|a| FieldValue::Num(f64::from(a))),
            Field::Fact(name) => fact_at(subject, name, &o.at).map(borrow),
        }
    }
}

/// Whole years at the local date of `at` (design §8: the birthday's date in the observation's
/// local date; 29 February birthdays turn on 1 March in other years).
pub(crate) fn age_at(subject: &Subject, at: &Timestamp) -> Option<i32> {
    let born = subject.born?;
    let today = at.date_naive();
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    Some(years)
}

/// The fact `name` valid at `at`: the one with the latest `from` when several are valid.
pub(crate) fn fact_at<'a>(subject: &'a Subject, name: &str, at: &Timestamp) -> Option<&'a Value> {
    let mut best: Option<(&crate::timeline::Fact, Option<Timestamp>)> = None;
    for f in subject
        .facts
        .iter()
        .filter(|f| f.name == name && f.holds_at(at))
    {
        let from = f.from.map(|b| b.resolve(at));
        match &best {
            Some((_, bfrom)) if from < *bfrom => {}
            _ => best = Some((f, from)),
        }
    }
    best.map(|(f, _)| &f.value)
}

/// Whether several facts named `name` are valid at `at` (a warning, design §8).
pub(crate) fn fact_overlap(subject: &Subject, name: &str, at: &Timestamp) -> bool {
    subject
        .facts
        .iter()
        .filter(|f| f.name == name && f.holds_at(at))
        .count()
        > 1
}

/// A predicate over one observation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pred {
    All(Vec<Pred>),
    Any(Vec<Pred>),
    Not(Box<Pred>),
    Test(Field, Matcher),
}

impl Pred {
    pub(crate) fn matches(&self, o: &Observation, s: &Subject) -> bool {
        match self {
            Pred::All(ps) => ps.iter().all(|p| p.matches(o, s)),
            Pred::Any(ps) => ps.iter().any(|p| p.matches(o, s)),
            Pred::Not(p) => !p.matches(o, s),
            Pred::Test(field, m) => m.matches(field.value(o, s)),
        }
    }

    /// Calls `f` with every field test in the predicate, however deeply nested.
    pub(crate) fn for_each_test<'a>(&'a self, f: &mut impl FnMut(&'a Field, &'a Matcher)) {
        match self {
            Pred::All(ps) | Pred::Any(ps) => ps.iter().for_each(|p| p.for_each_test(f)),
            Pred::Not(p) => p.for_each_test(f),
            Pred::Test(field, m) => f(field, m),
        }
    }

    /// The kinds an observation must have for this predicate to hold, or `None` when any kind
    /// might. `declared` is the vocabulary's kinds (every evaluated observation has one of them);
    /// without a vocabulary only exact kinds bound the set.
    pub(crate) fn kinds(&self, declared: Option<&[&str]>) -> Option<BTreeSet<String>> {
        match self {
            Pred::Test(Field::Kind, m) => match declared {
                Some(all) => Some(
                    all.iter()
                        .filter(|k| m.matches(Some(FieldValue::Str(k))))
                        .map(|k| (*k).to_owned())
                        .collect(),
                ),
                None => m.exact_strings(),
            },
            Pred::Test(..) | Pred::Not(_) => None,
            Pred::All(ps) => ps
                .iter()
                .filter_map(|p| p.kinds(declared))
                .reduce(|a, b| a.intersection(&b).cloned().collect()),
            Pred::Any(ps) => {
                let mut out = BTreeSet::new();
                for p in ps {
                    out.extend(p.kinds(declared)?);
                }
                Some(out)
            }
        }
    }

    pub(crate) fn uses_age(&self) -> bool {
        self.fields().iter().any(|f| **f == Field::Age)
    }

    pub(crate) fn fields(&self) -> Vec<&Field> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a Field>) {
        match self {
            Pred::All(ps) | Pred::Any(ps) => ps.iter().for_each(|p| p.collect_fields(out)),
            Pred::Not(p) => p.collect_fields(out),
            Pred::Test(f, _) => out.push(f),
        }
    }
}

/// A literal in a rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl Lit {
    fn equals(&self, v: FieldValue<'_>) -> bool {
        match (self, v) {
            (Lit::Str(a), FieldValue::Str(b)) => a == b,
            (Lit::Num(a), FieldValue::Num(b)) => *a == b,
            (Lit::Bool(a), FieldValue::Bool(b)) => *a == b,
            _ => false,
        }
    }
}

/// A matcher for one field value (design §4 and §8).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Matcher {
    Eq(Lit),
    Glob(String),
    AnyOf(Vec<Matcher>),
    All(Vec<Matcher>),
    Cmp(CmpOp, f64),
    Exists(bool),
    Not(Box<Matcher>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Matcher {
    /// The strings this matcher accepts when it accepts only exact strings, else `None`.
    fn exact_strings(&self) -> Option<BTreeSet<String>> {
        match self {
            Matcher::Eq(Lit::Str(s)) => Some(BTreeSet::from([s.clone()])),
            Matcher::AnyOf(ms) => {
                let mut out = BTreeSet::new();
                for m in ms {
                    out.extend(m.exact_strings()?);
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The strings this matcher names, with whether each is a glob (negated ones included: a rule
    /// that says `not: x` still refers to `x`).
    pub(crate) fn names<'a>(&'a self, out: &mut Vec<(&'a str, bool)>) {
        match self {
            Matcher::Eq(Lit::Str(s)) => out.push((s, false)),
            Matcher::Glob(p) => out.push((p, true)),
            Matcher::AnyOf(ms) | Matcher::All(ms) => ms.iter().for_each(|m| m.names(out)),
            Matcher::Not(m) => m.names(out),
            Matcher::Eq(_) | Matcher::Cmp(..) | Matcher::Exists(_) => {}
        }
    }

    pub(crate) fn matches(&self, v: Option<FieldValue<'_>>) -> bool {
        match self {
            Matcher::Exists(want) => v.is_some() == *want,
            Matcher::Not(m) => !m.matches(v),
            Matcher::AnyOf(ms) => ms.iter().any(|m| m.matches(v)),
            Matcher::All(ms) => ms.iter().all(|m| m.matches(v)),
            Matcher::Eq(lit) => v.is_some_and(|v| lit.equals(v)),
            Matcher::Glob(p) => matches!(v, Some(FieldValue::Str(s)) if glob(p, s)),
            Matcher::Cmp(op, x) => match v {
                Some(FieldValue::Num(n)) => match op {
                    CmpOp::Gt => n > *x,
                    CmpOp::Gte => n >= *x,
                    CmpOp::Lt => n < *x,
                    CmpOp::Lte => n <= *x,
                },
                _ => false,
            },
        }
    }
}

/// `*` matches any run of characters (dots included, possibly empty); anchored at both ends;
/// no other character is special.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tc) = t.get(ti) {
        let pc = p.get(pi).copied();
        if pc == Some(b'*') {
            star = Some((pi, ti));
            pi += 1;
        } else if pc == Some(tc) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|&c| c == b'*')
}

/// A message template: literal text and placeholders (design §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template(pub Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Text(String),
    Placeholder(Placeholder),
}

/// The fixed set of message placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholder {
    Rule,
    Title,
    Subject,
    Counterpart,
    Count,
    Within,
    Gap,
    FirstAt,
    LastAt,
    Indicators,
}

impl Placeholder {
    pub(crate) const ALL: &'static [(&'static str, Placeholder)] = &[
        ("rule", Placeholder::Rule),
        ("title", Placeholder::Title),
        ("subject", Placeholder::Subject),
        ("counterpart", Placeholder::Counterpart),
        ("count", Placeholder::Count),
        ("within", Placeholder::Within),
        ("gap", Placeholder::Gap),
        ("first_at", Placeholder::FirstAt),
        ("last_at", Placeholder::LastAt),
        ("indicators", Placeholder::Indicators),
    ];
}

/// An embedded rule test (design §7).
#[derive(Debug, Clone)]
pub(crate) struct RuleTest {
    pub name: String,
    pub as_of: Option<Timestamp>,
    pub timeline: Node,
    pub expect: Vec<Expect>,
    pub pos: Pos,
}

/// One expected flag of a rule test.
#[derive(Debug, Clone)]
pub(crate) struct Expect {
    pub evidence: Vec<String>,
    pub raised_at: Option<Timestamp>,
    pub severity: Option<Severity>,
    pub stage: Option<crate::flag::Stage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("online.*", "online.social_media"));
        assert!(glob("online.*", "online."));
        assert!(!glob("online.*", "online"));
        assert!(glob("*", ""));
        assert!(glob("*.new", "contact.new"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("contact.new", "contact.new"));
        assert!(!glob("contact.ne", "contact.new"));
        assert!(glob("**", "x.y"));
        assert!(glob("a?c", "a?c"));
        assert!(!glob("a?c", "abc"));
    }
}
