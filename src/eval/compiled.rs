//! Predicates compiled once per engine: each decided ahead of time as far as the kind decides it.
//!
//! Most tests in a rule are on the observation's kind, and a rule set knows a few dozen kinds.
//! So, for every kind the engine knows, every predicate is partially evaluated when the engine
//! is built: for that kind it is then false, true, or a smaller predicate over the other fields
//! (channel, attributes, …), with the cheap tests first. When rules run, an observation's kind
//! number picks the answer, and only what is left is tested. This gives the same answers as
//! testing the whole predicate: predicates have no effects, so their order does not matter.
//!
//! An observation whose kind the engine does not know (possible only without a vocabulary, or
//! past the table's size) is tested with the whole predicate, and so is every observation for a
//! predicate that tests no kind (it has no table).
//!
//! The tables take one `u32` per kind for each predicate that tests the kind; an engine whose
//! tables would pass [`MAX_TABLE_ENTRIES`] in all numbers no kinds and tests whole predicates.
//!
//! What is left once the kind is fixed is compiled too ([`Check`]). A test of a channel, a
//! source or an attribute with declared `values` (up to [`MAX_COPIES`] of them) holds the
//! vocabulary's stored copies of those strings with its answer for each: records read with the
//! vocabulary share those copies, so such a test is a few address comparisons instead of a walk
//! through the matcher and the text. A string that is not a stored copy is tested by its text,
//! as before.

use crate::hash::FastMap;
use crate::name::Name;
use crate::rule::{Field, FieldValue, Matcher, Pattern, Pred, Rule};
use crate::timeline::{Observation, Subject, Value};
use crate::vocabulary::{ValueType, Vocabulary};
use std::collections::BTreeSet;

/// An observation's kind as a number of the engine's [`Kinds`], or [`UNKNOWN`].
pub(crate) type KindId = u32;

/// The most table entries (kinds × predicates that test the kind) an engine compiles: 16 M
/// entries, 64 MB. The default pack needs about 6,000; 1,000 generated rules about 130,000.
pub(crate) const MAX_TABLE_ENTRIES: usize = 1 << 24;

/// The most stored copies a compiled string test holds ([`Check::Str`]); a field with more
/// declared strings is tested by its text.
const MAX_COPIES: usize = 16;

/// The number of a kind the engine does not know.
pub(crate) const UNKNOWN: KindId = KindId::MAX;

/// The kinds an engine knows, numbered.
#[derive(Debug, Clone, Default)]
pub(crate) struct Kinds {
    ids: FastMap<String, KindId>,
    names: Vec<String>,
    /// The vocabulary's stored copies of the kinds (records read with it share them), held so
    /// that their addresses stay theirs, and the numbers by address: a lookup that hashes one
    /// word instead of the string.
    #[allow(
        dead_code,
        reason = "held, never read: it keeps the addresses in `by_addr` taken"
    )]
    stored: Vec<Name>,
    by_addr: FastMap<usize, KindId>,
    /// The vocabulary's stored copies of the strings string tests can meet.
    strings: Strings,
}

/// The vocabulary's stored copies of `names`.
fn copies<'a>(v: &Vocabulary, names: impl IntoIterator<Item = &'a String>) -> Vec<Name> {
    names.into_iter().map(|n| v.name(n)).collect()
}

/// A small direct-mapped cache of kind numbers by copy address, for [`Kinds::id_cached`]. It
/// remembers which numbering filled it and starts over when handed to another.
#[derive(Debug, Default)]
pub(crate) struct KindCache {
    /// The numbering that filled it (the address of its list of stored copies).
    owner: usize,
    slots: Vec<(usize, KindId)>,
}

impl KindCache {
    const SLOTS: usize = 64;
}

/// The vocabulary's stored copies of the declared channels, sources and attribute values: the
/// strings a [`Check::Str`] knows its answers for.
#[derive(Debug, Clone, Default)]
struct Strings {
    channels: Vec<Name>,
    sources: Vec<Name>,
    /// Attribute name → the copies of its declared `values`.
    values: FastMap<String, Vec<Name>>,
}

impl Strings {
    fn of(vocabulary: Option<&Vocabulary>) -> Self {
        let Some(v) = vocabulary else {
            return Strings::default();
        };
        Strings {
            channels: copies(v, &v.channels),
            sources: copies(v, &v.sources),
            values: v
                .attributes
                .iter()
                .filter_map(|(a, ty)| match ty {
                    ValueType::Values(vs) => Some((a.clone(), copies(v, vs))),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The copies a test of `field` can meet (none for a field without declared strings).
    fn for_field(&self, field: &Field) -> &[Name] {
        match field {
            Field::Channel => &self.channels,
            Field::Source => &self.sources,
            Field::Attribute(a) => self.values.get(a.as_str()).map_or(&[], Vec::as_slice),
            Field::Kind | Field::Counterpart | Field::Age | Field::Fact(_) => &[],
        }
    }
}

impl Kinds {
    /// Numbers `names` in their order; names past the last number stay unknown. `vocabulary`
    /// gives the stored copies of declared names.
    pub(crate) fn new(names: BTreeSet<String>, vocabulary: Option<&Vocabulary>) -> Self {
        let cap = usize::try_from(UNKNOWN).unwrap_or(usize::MAX);
        let names: Vec<String> = names.into_iter().take(cap).collect();
        let ids: FastMap<String, KindId> = names
            .iter()
            .zip(0..UNKNOWN)
            .map(|(n, i)| (n.clone(), i))
            .collect();
        let stored: Vec<Name> = match vocabulary {
            Some(v) => names.iter().map(|n| v.name(n)).collect(),
            None => Vec::new(),
        };
        let by_addr = stored
            .iter()
            .zip(0..UNKNOWN)
            .map(|(n, i)| (n.addr(), i))
            .collect();
        Kinds {
            ids,
            names,
            stored,
            by_addr,
            strings: Strings::of(vocabulary),
        }
    }

    /// The number of `kind`, or [`UNKNOWN`].
    #[inline]
    pub(crate) fn id(&self, kind: &Name) -> KindId {
        match self.by_addr.get(&kind.addr()) {
            Some(&id) => id,
            None => self.ids.get(kind.as_str()).copied().unwrap_or(UNKNOWN),
        }
    }

    /// [`Kinds::id`], remembering the numbers of the vocabulary's copies in `cache`: a
    /// youth's records name a few kinds many times, and a slot of the cache is one comparison
    /// where the map is a hash and a probe. Only this numbering's own copies are remembered
    /// (it holds them), so an address in the cache cannot be taken by another string while it
    /// lives; a cache filled by another numbering is emptied first.
    #[inline]
    pub(crate) fn id_cached(&self, kind: &Name, cache: &mut KindCache) -> KindId {
        let owner = self.stored.as_ptr() as usize;
        if cache.owner != owner {
            cache.owner = owner;
            cache.slots.clear();
        }
        let addr = kind.addr();
        // The text of a `Name` lies 16 bytes into its allocation (after the length and the
        // count), which is itself 16-byte aligned on 64-bit targets with the usual allocators:
        // the bits above the lowest four differ between copies. (Only speed depends on it: the
        // empty name, one static copy rather than an allocation, at worst shares a slot.)
        let slot = (addr >> 4) % KindCache::SLOTS;
        if let Some(&(a, id)) = cache.slots.get(slot)
            && a == addr
        {
            return id;
        }
        match self.by_addr.get(&addr) {
            Some(&id) => {
                if cache.slots.len() < KindCache::SLOTS {
                    cache.slots.resize(KindCache::SLOTS, (0, UNKNOWN));
                }
                if let Some(entry) = cache.slots.get_mut(slot) {
                    *entry = (addr, id);
                }
                id
            }
            None => self.ids.get(kind.as_str()).copied().unwrap_or(UNKNOWN),
        }
    }

    /// The kinds, in the order of their numbers.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// These kinds without their numbers (every observation's kind unknown), keeping the
    /// stored copies that string tests answer by.
    pub(crate) fn unnumbered(self) -> Self {
        Kinds {
            strings: self.strings,
            ..Kinds::default()
        }
    }
}

/// A predicate with its answer for each known kind.
#[derive(Debug, Clone)]
pub(crate) struct Test {
    whole: Check,
    /// Per kind number: [`NO`], [`YES`], or `REST + i` for `rests[i]`.
    by_kind: Box<[u32]>,
    rests: Vec<Check>,
}

const NO: u32 = 0;
const YES: u32 = 1;
const REST: u32 = 2;

/// A predicate with the kind fixed.
enum Partial {
    No,
    Yes,
    Rest(Pred),
}

impl Test {
    pub(crate) fn new(pred: &Pred, kinds: &Kinds) -> Self {
        let whole = Check::new(pred, &kinds.strings);
        let mut rests: Vec<Pred> = Vec::new();
        if !tests_kind(pred) {
            // The kind decides nothing: no table, the whole predicate every time.
            return Test {
                whole,
                by_kind: Box::new([]),
                rests: Vec::new(),
            };
        }
        let by_kind = kinds
            .names()
            .iter()
            .map(|k| match partial(pred, k) {
                Partial::No => NO,
                Partial::Yes => YES,
                Partial::Rest(p) => {
                    let i = match rests.iter().position(|r| *r == p) {
                        Some(i) => i,
                        None => {
                            rests.push(p);
                            rests.len() - 1
                        }
                    };
                    REST.saturating_add(u32::try_from(i).unwrap_or(u32::MAX - REST))
                }
            })
            .collect();
        Test {
            whole,
            by_kind,
            rests: rests
                .iter()
                .map(|p| Check::new(p, &kinds.strings))
                .collect(),
        }
    }

    /// The answer for every observation of kind number `kind`, when the kind decides it.
    fn decided(&self, kind: KindId) -> Option<bool> {
        match self.by_kind.get(kind as usize) {
            Some(&NO) => Some(false),
            Some(&YES) => Some(true),
            _ => None,
        }
    }

    /// Whether `o`, whose kind has number `kind`, of subject `s` satisfies the predicate.
    #[inline]
    pub(crate) fn matches(&self, o: &Observation, kind: KindId, s: &Subject) -> bool {
        // `u32` to `usize` widens on every target the crate builds for (`KindId` is 32-bit).
        match self.by_kind.get(kind as usize) {
            Some(&NO) => false,
            Some(&YES) => true,
            Some(&r) => match self.rests.get((r - REST) as usize) {
                Some(p) => p.matches(o, s),
                None => self.whole.matches(o, s),
            },
            None => self.whole.matches(o, s),
        }
    }
}

/// A predicate over the fields other than the kind, compiled: string tests with declared values
/// answer by the stored copy's address (see the module's documentation).
#[derive(Debug, Clone)]
enum Check {
    /// A test of a channel, a source or a string attribute, with its answer for each stored
    /// copy the field can hold (held, so that their addresses stay theirs; a few, searched in
    /// order), and for the field not given. Any other value (a string that is not a stored
    /// copy, a number) is tested by `m`.
    Str {
        field: Field,
        m: Matcher,
        answers: Box<[(Name, bool)]>,
        absent: bool,
    },
    /// Any other test.
    Test(Field, Matcher),
    All(Box<[Check]>),
    Any(Box<[Check]>),
    Not(Box<Check>),
}

impl Check {
    fn new(p: &Pred, strings: &Strings) -> Self {
        let each = |ps: &[Pred]| ps.iter().map(|q| Check::new(q, strings)).collect();
        match p {
            Pred::All(ps) => Check::All(each(ps)),
            Pred::Any(ps) => Check::Any(each(ps)),
            Pred::Not(q) => Check::Not(Box::new(Check::new(q, strings))),
            Pred::Test(field, m) => match strings.for_field(field) {
                // Past a few copies a walk through them costs more than the matcher.
                copies if copies.is_empty() || copies.len() > MAX_COPIES => {
                    Check::Test(field.clone(), m.clone())
                }
                copies => Check::Str {
                    field: field.clone(),
                    m: m.clone(),
                    answers: copies
                        .iter()
                        .map(|c| (c.clone(), m.matches(Some(FieldValue::Str(c)))))
                        .collect(),
                    absent: m.matches(None),
                },
            },
        }
    }

    fn matches(&self, o: &Observation, s: &Subject) -> bool {
        match self {
            Check::Str {
                field,
                m,
                answers,
                absent,
            } => {
                let given = match field {
                    Field::Channel => o.channel.as_ref(),
                    Field::Source => o.source.as_ref(),
                    Field::Attribute(a) => match o.attributes.get_shared(a) {
                        Some(Value::String(v)) => Some(v),
                        Some(_) => return m.matches(field.value(o, s)),
                        None => None,
                    },
                    _ => return m.matches(field.value(o, s)),
                };
                match given {
                    None => *absent,
                    Some(v) => match answers.iter().find(|(c, _)| c.same(v)) {
                        Some(&(_, answer)) => answer,
                        None => m.matches(Some(FieldValue::Str(v))),
                    },
                }
            }
            Check::Test(field, m) => m.matches(field.value(o, s)),
            Check::All(cs) => cs.iter().all(|c| c.matches(o, s)),
            Check::Any(cs) => cs.iter().any(|c| c.matches(o, s)),
            Check::Not(c) => !c.matches(o, s),
        }
    }
}

/// Whether `p` tests the kind anywhere.
pub(crate) fn tests_kind(p: &Pred) -> bool {
    let mut found = false;
    p.for_each_test(&mut |field, _| found |= *field == Field::Kind);
    found
}

/// `p` for observations of kind `kind`.
fn partial(p: &Pred, kind: &str) -> Partial {
    match p {
        Pred::Test(Field::Kind, m) => {
            if m.matches(Some(FieldValue::Str(kind))) {
                Partial::Yes
            } else {
                Partial::No
            }
        }
        Pred::Test(..) => Partial::Rest(p.clone()),
        Pred::Not(q) => match partial(q, kind) {
            Partial::No => Partial::Yes,
            Partial::Yes => Partial::No,
            Partial::Rest(r) => Partial::Rest(Pred::Not(Box::new(r))),
        },
        Pred::All(ps) => junction(ps, kind, false, Pred::All),
        Pred::Any(ps) => junction(ps, kind, true, Pred::Any),
    }
}

/// `all` (`stop` false) or `any` (`stop` true) of `ps` for kind `kind`: decided as soon as one
/// part is decided `stop`, else what is left.
fn junction(ps: &[Pred], kind: &str, stop: bool, join: fn(Vec<Pred>) -> Pred) -> Partial {
    let mut rest = Vec::new();
    for q in ps {
        match partial(q, kind) {
            Partial::Rest(r) => rest.push(r),
            Partial::Yes if stop => return Partial::Yes,
            Partial::No if !stop => return Partial::No,
            Partial::Yes | Partial::No => {}
        }
    }
    joined(rest, if stop { Partial::No } else { Partial::Yes }, join)
}

/// What is left of `all` or `any` once decided parts are dropped, cheapest tests first.
fn joined(mut rest: Vec<Pred>, empty: Partial, join: fn(Vec<Pred>) -> Pred) -> Partial {
    rest.sort_by_key(cost);
    match rest.len() {
        0 => empty,
        1 => rest.pop().map_or(empty, Partial::Rest),
        _ => Partial::Rest(join(rest)),
    }
}

/// A rough rank of how much testing `p` costs: names first, then strings and attributes, then
/// the subject's age and facts.
fn cost(p: &Pred) -> u8 {
    match p {
        Pred::Test(f, _) => match f {
            Field::Kind | Field::Channel | Field::Source => 0,
            Field::Counterpart => 1,
            Field::Attribute(_) => 2,
            Field::Age => 3,
            Field::Fact(_) => 4,
        },
        Pred::Not(q) => cost(q),
        Pred::All(ps) | Pred::Any(ps) => ps.iter().map(cost).max().unwrap_or(0),
    }
}

/// For a `signals` rule: per kind number, the indicators every observation of that kind counts
/// for (a bit each) and those whose test is left to run. An observation then tests only the
/// indicators its kind leaves open, instead of all of them (most kinds count for none or one).
#[derive(Debug, Clone)]
pub(crate) struct Indicators {
    by_kind: Vec<(u64, Box<[u8]>)>,
}

impl Indicators {
    /// The table for `of`, or `None` with more than 64 indicators, no kinds numbered, or no
    /// indicator that tests the kind (then the table would leave every test open).
    fn new(of: &[(Name, Test)], kinds: &Kinds) -> Option<Self> {
        if of.len() > 64 || kinds.names().is_empty() || of.iter().all(|(_, t)| t.by_kind.is_empty())
        {
            return None;
        }
        let by_kind = (0..kinds.names().len())
            .map(|k| {
                let kind = KindId::try_from(k).unwrap_or(UNKNOWN);
                let mut yes = 0u64;
                let mut open = Vec::new();
                for (n, (_, test)) in of.iter().enumerate() {
                    match test.decided(kind) {
                        Some(true) => yes |= 1 << n,
                        Some(false) => {}
                        None => open.push(u8::try_from(n).unwrap_or(u8::MAX)),
                    }
                }
                (yes, open.into_boxed_slice())
            })
            .collect();
        Some(Indicators { by_kind })
    }

    /// The indicators observations of kind number `kind` count for, as bits, and those left to
    /// test; `None` for a kind the table does not know.
    #[inline]
    pub(crate) fn for_kind(&self, kind: KindId) -> Option<(u64, &[u8])> {
        self.by_kind
            .get(kind as usize)
            .map(|(yes, open)| (*yes, &open[..]))
    }
}

/// A rule's pattern with its predicates compiled, and its `unless` predicates.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub unless: Vec<Test>,
    pub pattern: Pattern<Test>,
    /// For a `signals` pattern, its indicators by kind.
    pub indicators: Option<Indicators>,
}

impl Compiled {
    pub(crate) fn new(rule: &Rule, kinds: &Kinds) -> Self {
        let compile = |p: &Pred| Test::new(p, kinds);
        let pattern = rule.pattern.map(&compile);
        let indicators = match &pattern {
            Pattern::Signals { of, .. } => Indicators::new(of, kinds),
            _ => None,
        };
        Compiled {
            unless: rule.unless.iter().map(|u| compile(&u.pred)).collect(),
            pattern,
            indicators,
        }
    }

    /// Whether any of the rule's predicates (its pattern's and its `unless`) holds for `o`.
    pub(crate) fn any_matches(&self, o: &Observation, kind: KindId, s: &Subject) -> bool {
        self.pattern
            .preds()
            .chain(&self.unless)
            .any(|t| t.matches(o, kind, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::patterns::View;
    use crate::rule::{CmpOp, Lit};
    use proptest::prelude::*;
    use proptest::sample::select;

    const KINDS: [&str; 5] = [
        "contact.new",
        "contact.meeting",
        "injury",
        "secrecy",
        "x.other",
    ];
    const WORDS: [&str; 4] = ["online.chat", "phone", "peer", "family"];

    fn matcher() -> impl Strategy<Value = Matcher> {
        let leaf = prop_oneof![
            select(&KINDS[..]).prop_map(|k| Matcher::Eq(Lit::Str(k.to_owned()))),
            select(&WORDS[..]).prop_map(|w| Matcher::Eq(Lit::Str(w.to_owned()))),
            select(&["contact.*", "*", "online.*", "*e*"][..])
                .prop_map(|g| Matcher::Glob(g.to_owned())),
            any::<bool>().prop_map(|b| Matcher::Eq(Lit::Bool(b))),
            (0.0..10.0f64).prop_map(|n| Matcher::Cmp(CmpOp::Gte, n.floor())),
            any::<bool>().prop_map(Matcher::Exists),
        ];
        leaf.prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Matcher::AnyOf),
                prop::collection::vec(inner.clone(), 0..3).prop_map(Matcher::All),
                inner.prop_map(|m| Matcher::Not(Box::new(m))),
            ]
        })
    }

    fn field() -> impl Strategy<Value = Field> {
        prop_oneof![
            3 => Just(Field::Kind),
            1 => Just(Field::Channel),
            1 => Just(Field::Source),
            1 => Just(Field::Counterpart),
            2 => select(&["relation", "age_gap_years", "explained"][..]).prop_map(|a| Field::Attribute(Name::from(a))),
        ]
    }

    fn pred() -> impl Strategy<Value = Pred> {
        let leaf = (field(), matcher()).prop_map(|(f, m)| Pred::Test(f, m));
        leaf.prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Pred::All),
                prop::collection::vec(inner.clone(), 0..4).prop_map(Pred::Any),
                inner.prop_map(|p| Pred::Not(Box::new(p))),
            ]
        })
    }

    fn observation() -> impl Strategy<Value = Observation> {
        (
            select(&KINDS[..]),
            proptest::option::of(select(&WORDS[..])),
            proptest::option::of(select(&WORDS[..])),
            proptest::option::of(select(&WORDS[..])),
            proptest::option::of(prop_oneof![
                select(&WORDS[..]).prop_map(Value::from),
                (0u8..10).prop_map(|n| Value::Number(f64::from(n))),
                any::<bool>().prop_map(Value::Bool),
            ]),
            select(&["relation", "age_gap_years", "explained"][..]),
        )
            .prop_map(|(kind, channel, source, counterpart, value, attribute)| {
                let at = "2026-03-02T21:00:00+01:00".parse().expect("a timestamp");
                let mut o = Observation::new("o", at, kind);
                o.channel = channel.map(Name::from);
                o.source = source.map(Name::from);
                o.counterpart = counterpart.map(Name::from);
                if let Some(v) = value {
                    o.attributes.insert(Name::from(attribute), v);
                }
                o
            })
    }

    /// Kinds numbered as a rule set's would be, the first `known` of [`KINDS`], with stored
    /// copies of the channels, sources and `relation` values in [`WORDS`] but the last (which
    /// stays undeclared), as a vocabulary would hold them.
    fn kinds(known: usize) -> Kinds {
        let mut kinds = Kinds::new(
            KINDS.iter().take(known).map(|k| (*k).to_owned()).collect(),
            None,
        );
        let declared = || WORDS.iter().take(WORDS.len() - 1).map(|w| Name::from(*w));
        kinds.strings = Strings {
            channels: declared().collect(),
            sources: declared().collect(),
            values: [("relation".to_owned(), declared().collect())]
                .into_iter()
                .collect(),
        };
        kinds
    }

    /// `o` with its channel, source and string attribute values replaced by the stored copies
    /// of `kinds` where it has the same text, as a reader that knows the vocabulary hands out.
    fn shared(mut o: Observation, kinds: &Kinds) -> Observation {
        let copy = |n: &mut Name, copies: &[Name]| {
            if let Some(c) = copies.iter().find(|c| c.as_str() == n.as_str()) {
                *n = c.clone();
            }
        };
        if let Some(c) = &mut o.channel {
            copy(c, &kinds.strings.channels);
        }
        if let Some(c) = &mut o.source {
            copy(c, &kinds.strings.sources);
        }
        let pairs: Vec<(Name, Value)> = o
            .attributes
            .iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                if let Value::String(n) = &mut v {
                    copy(n, kinds.strings.for_field(&Field::Attribute(k.clone())));
                }
                (k.clone(), v)
            })
            .collect();
        o.attributes = pairs.into_iter().collect();
        o
    }

    proptest! {
        /// A compiled test answers as the whole predicate does, for known kinds (some of the
        /// kinds are left out of the table, to check the fallback too), for records whose
        /// strings are the stored copies and for records whose strings are their own.
        #[test]
        fn compiled_tests_answer_as_the_predicate(
            p in pred(),
            obs in prop::collection::vec((observation(), any::<bool>()), 1..8),
            known in 0usize..=KINDS.len(),
        ) {
            let kinds = kinds(known);
            let test = Test::new(&p, &kinds);
            let subject = Subject { id: Name::from("s"), born: None, facts: Vec::new() };
            for (o, share) in obs {
                let o = if share { shared(o, &kinds) } else { o };
                prop_assert_eq!(
                    test.matches(&o, kinds.id(&o.kind), &subject),
                    p.matches(&o, &subject),
                    "{:?} on {:?}", p, o
                );
            }
        }

        /// A `signals` rule's indicator table changes nothing: the rule fires with the same
        /// evidence and indicators with the table as when every indicator is tested.
        #[test]
        fn signals_fire_alike_with_and_without_the_indicator_table(
            of in prop::collection::vec(pred(), 1..7),
            obs in prop::collection::vec((observation(), any::<bool>()), 1..12),
            known in 0usize..=KINDS.len(),
            at_least in 1usize..4,
        ) {
            let kinds = kinds(known);
            let of: Vec<(Name, Test)> = of
                .iter()
                .enumerate()
                .map(|(n, p)| (Name::from(format!("i{n}")), Test::new(p, &kinds)))
                .collect();
            let table = Indicators::new(&of, &kinds);
            let start: crate::time::Timestamp =
                "2026-03-02T21:00:00+01:00".parse().expect("a timestamp");
            let held: Vec<Observation> = obs
                .into_iter()
                .enumerate()
                .map(|(i, (mut o, share))| {
                    o.at = start + chrono::Duration::hours(i64::try_from(i).unwrap_or(0) * 20);
                    if share { shared(o, &kinds) } else { o }
                })
                .collect();
            let refs: Vec<&Observation> = held.iter().collect();
            let ids: Vec<KindId> = held.iter().map(|o| kinds.id(&o.kind)).collect();
            let subject = Subject { id: Name::from("s"), born: None, facts: Vec::new() };
            let no_instants: Vec<crate::time::Instant> = Vec::new();
            let view = View::new(&refs[..], &ids[..], &no_instants[..], &subject);
            let within = crate::time::Duration::days(3);
            // One set of buffers for both, as a run reuses them.
            let mut buffers = super::super::patterns::Buffers::default();
            // Each firing with its evidence (a range of the run's list of items).
            let mut run = |table: Option<&Indicators>| {
                let firings = view.signals(&of, table, within, at_least, &mut buffers);
                let shown: Vec<String> = firings
                    .iter()
                    .map(|f| format!("{:?} {:?} {:?} {:?}", f.raised_at, f.indicators,
                        buffers.items.get(f.evidence.clone()), f.count))
                    .collect();
                buffers.items.clear();
                shown
            };
            let with = run(table.as_ref());
            let without = run(None);
            prop_assert_eq!(with, without);
        }
    }

    #[test]
    fn indicator_tables_hold_up_to_64_indicators() {
        let kinds = kinds(KINDS.len());
        let pred = Pred::Test(Field::Kind, Matcher::Eq(Lit::Str("injury".into())));
        let of = |n: usize| -> Vec<(Name, Test)> {
            (0..n)
                .map(|i| (Name::from(format!("i{i}")), Test::new(&pred, &kinds)))
                .collect()
        };
        let injury = kinds.id(&Name::from("injury"));
        let table = Indicators::new(&of(64), &kinds).expect("a table for 64");
        assert_eq!(table.for_kind(injury), Some((u64::MAX, &[][..])));
        assert!(Indicators::new(&of(65), &kinds).is_none());
        // No indicator tests the kind: a table would leave every test open.
        let channel = Pred::Test(Field::Channel, Matcher::Exists(true));
        let open = vec![(Name::from("c"), Test::new(&channel, &kinds))];
        assert!(Indicators::new(&open, &kinds).is_none());
    }

    /// The default vocabulary's copies are the ones its records are given, so the compiled
    /// string tests answer from them.
    #[test]
    fn string_tests_answer_from_the_copies_records_share() {
        let rules = crate::RuleSet::builtin();
        let vocabulary = rules
            .vocabulary()
            .expect("the default pack has a vocabulary");
        let strings = Strings::of(Some(vocabulary));
        let at = "2026-03-02T21:00:00+01:00".parse().expect("a timestamp");
        let mut o = Observation::new("o", at, "contact.new");
        o.channel = Some(Name::from("online.messaging"));
        o.source = Some(Name::from("police"));
        o.attributes
            .insert(Name::from("relation"), Value::from("family"));
        vocabulary.share(&mut o);
        let held =
            |copies: &[Name], n: Option<&Name>| n.is_some_and(|n| copies.iter().any(|c| c.same(n)));
        assert!(held(&strings.channels, o.channel.as_ref()));
        assert!(held(&strings.sources, o.source.as_ref()));
        let relation = Field::Attribute(Name::from("relation"));
        let value = match o.attributes.get("relation") {
            Some(Value::String(v)) => Some(v),
            _ => None,
        };
        assert!(held(strings.for_field(&relation), value));
        let subject = Subject {
            id: Name::from("s"),
            born: None,
            facts: Vec::new(),
        };
        for (field, m, want) in [
            (Field::Channel, Matcher::Glob("online.*".into()), true),
            (Field::Source, Matcher::Eq(Lit::Str("school".into())), false),
            (
                relation.clone(),
                Matcher::Not(Box::new(Matcher::Eq(Lit::Str("peer".into())))),
                true,
            ),
        ] {
            let check = Check::new(&Pred::Test(field, m), &strings);
            assert!(matches!(check, Check::Str { .. }), "{check:?}");
            assert_eq!(check.matches(&o, &subject), want, "{check:?}");
        }
    }

    /// Kind numbers from the cache are the numbering's own, with colliding slots, names that
    /// are not stored copies, and a cache handed from one numbering to another that numbers
    /// the same copies differently.
    #[test]
    fn cached_kind_numbers_are_the_numberings() {
        let numbered = |names: &[Name], reverse: bool| {
            let mut kinds = Kinds::new(names.iter().map(|n| n.to_string()).collect(), None);
            kinds.stored = names.to_vec();
            let count = KindId::try_from(names.len()).unwrap_or(UNKNOWN);
            kinds.by_addr = names
                .iter()
                .zip(0..count)
                .map(|(n, i)| (n.addr(), if reverse { count - 1 - i } else { i }))
                .collect();
            kinds
        };
        // Few kinds (most in a slot of their own) and many (slots shared).
        for count in [20, 200] {
            let names: Vec<Name> = (0..count)
                .map(|i| Name::from(format!("k.{i:03}")))
                .collect();
            let (up, down) = (numbered(&names, false), numbered(&names, true));
            let mut cache = KindCache::default();
            for kinds in [&up, &down, &up] {
                for round in 0..3 {
                    for (i, n) in names.iter().enumerate() {
                        let n = if round == 2 && i % 2 == 0 {
                            Name::from(n.as_str())
                        } else {
                            n.clone()
                        };
                        assert_eq!(kinds.id_cached(&n, &mut cache), kinds.id(&n), "{n}");
                    }
                }
            }
        }
    }

    #[test]
    fn kinds_past_the_table_are_unknown() {
        let kinds = Kinds::new(["a".to_owned(), "b".to_owned()].into(), None);
        assert_eq!(kinds.id(&Name::from("b")), 1);
        assert_eq!(kinds.id(&Name::from("c")), UNKNOWN);
    }
}
