//! The five patterns of design §5, each producing the firings of one rule for one subject.
//!
//! Every function receives the rule's view of the subject: the observations that count at `as_of`
//! and are not hidden by `unless`, sorted in the (`at`, `id`) total order.

use super::compiled::{Indicators, KindId, Test, UNKNOWN};
use crate::flag::Key;
use crate::hash::{FastSet, InputKeyed};
use crate::name::Name;
use crate::rule::{Field, FieldValue};
use crate::time::{
    Duration, Instant, Timestamp, instant, instant_minus, instant_plus, is_leap, minus, plus,
};
use crate::timeline::{Observation, Subject};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};

/// One evidence item: an index into the view and its role.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub idx: usize,
    pub step: Option<u32>,
    pub indicator: Option<usize>,
    pub after: bool,
}

impl Item {
    fn plain(idx: usize) -> Self {
        Item {
            idx,
            step: None,
            indicator: None,
            after: false,
        }
    }
}

/// A firing before cooldown.
#[derive(Debug, Clone)]
pub(crate) struct Firing {
    pub raised_at: Timestamp,
    /// Index in the view of the firing observation (for absence: the `after` observation).
    pub order: usize,
    pub key: Key,
    /// Its evidence: a range of [`Buffers::items`], where every firing of the run keeps its
    /// own (one list for the run, not one per firing).
    pub evidence: std::ops::Range<usize>,
    /// count: f(W(o)); signals: indicators present; else the number of evidence observations.
    pub count: usize,
    /// signals: indices of the indicators present.
    pub indicators: Vec<usize>,
}

/// Where an incremental re-evaluation starts: firings raised before `from` are final and known.
pub(crate) struct Resume<'s> {
    pub from: Timestamp,
    /// Ids of the first steps of final `sequence` firings.
    pub used: &'s HashSet<Name>,
}

/// An absence deadline not reached at `as_of`.
#[derive(Debug, Clone)]
pub(crate) struct Wait {
    pub after: usize,
    pub key: Key,
    pub deadline: Timestamp,
}

/// Lists a rule's run works in, kept from one run to the next (in [`super::RuleRun`]), so that
/// a run does not allocate them afresh: with 1,000 rules a youth's observations go through
/// hundreds of runs. Each run clears what it uses first.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    /// `signals`: the window, its observations' indicators and the count of each indicator.
    window: VecDeque<(usize, std::ops::Range<usize>)>,
    hits: Vec<usize>,
    counts: Vec<usize>,
    /// `absence`: which observations are an `expect`.
    mask: Vec<bool>,
    /// `sequence`: the observations that match the first step.
    firsts: Vec<usize>,
    /// The evidence of the run's firings, one after the other (see [`Firing::evidence`]).
    pub items: Vec<Item>,
}

impl Buffers {
    /// Empties every list, keeping its allocation.
    pub(crate) fn clear(&mut self) {
        self.window.clear();
        self.hits.clear();
        self.counts.clear();
        self.mask.clear();
        self.firsts.clear();
        self.items.clear();
    }

    /// Whether every list is empty.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.window.is_empty()
            && self.hits.is_empty()
            && self.counts.is_empty()
            && self.mask.is_empty()
            && self.firsts.is_empty()
            && self.items.is_empty()
    }
}

/// A sequence's step predicates, evaluated once per observation, and its `by` field.
struct Steps<'f> {
    /// Indices of the observations that match the first step, ascending.
    firsts: Vec<usize>,
    middle: Vec<Vec<bool>>,
    /// Read where a step matches, not for every observation: reading a name's text is the
    /// first touch of its allocation, which an observation no step matches never needs.
    by: Option<&'f Field>,
}

pub(crate) struct View<'a> {
    /// Borrowed when a rule hides nothing (no `unless`), so that most views copy nothing.
    pub obs: Cow<'a, [&'a Observation]>,
    /// The number of each observation's kind, for the compiled [`Test`]s.
    kinds: Cow<'a, [KindId]>,
    /// Each observation's `at` as an [`Instant`], for the windows.
    ats: Cow<'a, [Instant]>,
    /// Some `at` is a leap second (`:60`), which instants cannot order or shift as the calendar
    /// does: windows then use timestamps.
    leap: bool,
    pub subject: &'a Subject,
}

/// One end of a window: an instant, or a timestamp when the view holds a leap second.
#[derive(Clone, Copy)]
enum Edge {
    At(Instant),
    Time(Timestamp),
}

/// A hashable rendering of a field value, for grouping by `by` and counting `distinct`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GroupKey<'a> {
    Str(&'a str),
    Num(u64),
    Bool(bool),
}

fn group_key(v: FieldValue<'_>) -> GroupKey<'_> {
    match v {
        FieldValue::Str(s) => GroupKey::Str(s),
        // +0.0 and -0.0 are equal numbers.
        FieldValue::Num(n) => GroupKey::Num(if n == 0.0 { 0 } else { n.to_bits() }),
        FieldValue::Bool(b) => GroupKey::Bool(b),
    }
}

fn key_of(field: &Option<Field>, v: Option<FieldValue<'_>>) -> Key {
    let mut key = Key::new();
    if let (Some(f), Some(v)) = (field, v) {
        key.insert(f.to_string(), v.to_value());
    }
    key
}

impl<'a> View<'a> {
    /// The view of `obs` (sorted in the total order), whose kinds have the numbers `kinds`
    /// (unknown where `kinds` is short) and whose `at`s are the instants `ats`. Callers give
    /// `ats` only for observations none of which is a leap second; without them the view works
    /// them out and notes a leap second.
    pub(crate) fn new(
        obs: impl Into<Cow<'a, [&'a Observation]>>,
        kinds: impl Into<Cow<'a, [KindId]>>,
        ats: impl Into<Cow<'a, [Instant]>>,
        subject: &'a Subject,
    ) -> Self {
        let (obs, kinds, ats) = (obs.into(), kinds.into(), ats.into());
        let (ats, leap) = if ats.len() == obs.len() {
            (ats, false)
        } else {
            let leap = obs.iter().any(|o| is_leap(&o.at));
            (
                Cow::Owned(obs.iter().map(|o| instant(&o.at)).collect()),
                leap,
            )
        };
        View {
            obs,
            kinds,
            ats,
            leap,
            subject,
        }
    }

    /// Observation number `i` of the view (indices come from the view itself).
    pub(crate) fn get(&self, i: usize) -> Option<&'a Observation> {
        self.obs.get(i).copied()
    }

    fn matches(&self, p: &Test, i: usize) -> bool {
        self.obs.get(i).is_some_and(|o| {
            let kind = self.kinds.get(i).copied().unwrap_or(UNKNOWN);
            p.matches(o, kind, self.subject)
        })
    }

    fn value(&self, f: &Field, i: usize) -> Option<FieldValue<'_>> {
        self.obs.get(i).and_then(|o| f.value(o, self.subject))
    }

    /// `at` of observation `i` as an instant (the fallback is never used, as for [`View::at`]).
    fn instant(&self, i: usize) -> Instant {
        self.ats.get(i).copied().unwrap_or(Instant::MIN)
    }

    /// The start of the window of length `within` that ends at observation `i`: `minus(at, within)`.
    fn window_start(&self, i: usize, within: Duration) -> Edge {
        match self.obs.get(i) {
            Some(o) if self.leap => Edge::Time(minus(o.at, within)),
            Some(o) => Edge::At(instant_minus(&o.at, self.instant(i), within)),
            None => Edge::At(Instant::MIN),
        }
    }

    /// The deadline `within` after observation `i`: `plus(at, within)`.
    fn deadline(&self, i: usize, within: Duration) -> Edge {
        match self.obs.get(i) {
            Some(o) if self.leap => Edge::Time(plus(o.at, within)),
            Some(o) => Edge::At(instant_plus(&o.at, self.instant(i), within)),
            None => Edge::At(Instant::MIN),
        }
    }

    /// Whether observation `j` happened before `edge`.
    fn before(&self, j: usize, edge: Edge) -> bool {
        match edge {
            Edge::At(x) => self.instant(j) < x,
            Edge::Time(t) => self.at(j) < t,
        }
    }

    /// Whether observation `j` happened after `edge`.
    fn after(&self, j: usize, edge: Edge) -> bool {
        match edge {
            Edge::At(x) => self.instant(j) > x,
            Edge::Time(t) => self.at(j) > t,
        }
    }

    /// `at` of observation `i`; indices come from the view itself, so the fallback (the earliest
    /// representable time) is never used.
    fn at(&self, i: usize) -> Timestamp {
        self.obs.get(i).map_or(
            chrono::DateTime::<chrono::Utc>::MIN_UTC.fixed_offset(),
            |o| o.at,
        )
    }

    /// `match`: a firing at every matching observation.
    pub(crate) fn match_(&self, pred: &Test, items: &mut Vec<Item>) -> Vec<Firing> {
        (0..self.obs.len())
            .filter(|&i| self.matches(pred, i))
            .map(|i| {
                items.push(Item::plain(i));
                Firing {
                    raised_at: self.at(i),
                    order: i,
                    key: Key::new(),
                    evidence: items.len() - 1..items.len(),
                    count: 1,
                    indicators: vec![],
                }
            })
            .collect()
    }

    /// `count`: fires where the (distinct) count in the window crosses `at_least`.
    pub(crate) fn count(
        &self,
        pred: &Test,
        within: Duration,
        at_least: usize,
        distinct: &Option<Field>,
        by: &Option<Field>,
        items: &mut Vec<Item>,
    ) -> Vec<Firing> {
        // Per `by` group: the window (indices, in order) and, with `distinct`, counts per value.
        struct Group<'v> {
            window: VecDeque<usize>,
            values: HashMap<GroupKey<'v>, usize, InputKeyed>,
        }
        // Keyed by values from input: hashed with seeds drawn for this run (see `crate::hash`),
        // shared by its maps.
        let hasher = InputKeyed::default();
        let mut groups: HashMap<Option<GroupKey<'_>>, Group<'_>, InputKeyed> =
            HashMap::with_hasher(hasher.clone());
        let mut out = Vec::new();
        for i in 0..self.obs.len() {
            if !self.matches(pred, i) {
                continue;
            }
            let by_value = match by {
                Some(f) => match self.value(f, i) {
                    Some(v) => Some(v),
                    None => continue,
                },
                None => None,
            };
            let g = groups
                .entry(by_value.map(group_key))
                .or_insert_with(|| Group {
                    window: VecDeque::new(),
                    values: HashMap::with_hasher(hasher.clone()),
                });
            let start = self.window_start(i, within);
            while let Some(&front) = g.window.front() {
                if !self.before(front, start) {
                    break;
                }
                g.window.pop_front();
                if let Some(v) = distinct.as_ref().and_then(|f| self.value(f, front))
                    && let Some(c) = g.values.get_mut(&group_key(v))
                {
                    *c -= 1;
                    if *c == 0 {
                        g.values.remove(&group_key(v));
                    }
                }
            }
            g.window.push_back(i);
            let (fires, count) = match distinct {
                None => (g.window.len() == at_least, g.window.len()),
                Some(f) => match self.value(f, i) {
                    None => (false, g.values.len()),
                    Some(v) => {
                        let c = g.values.entry(group_key(v)).or_insert(0);
                        *c += 1;
                        let is_new = *c == 1;
                        (is_new && g.values.len() == at_least, g.values.len())
                    }
                },
            };
            if !fires {
                continue;
            }
            let from = items.len();
            match distinct {
                None => items.extend(g.window.iter().map(|&j| Item::plain(j))),
                Some(f) => {
                    let mut seen = HashSet::with_hasher(hasher.clone());
                    items.extend(
                        g.window
                            .iter()
                            .filter(|&&j| {
                                self.value(f, j).is_some_and(|v| seen.insert(group_key(v)))
                            })
                            .map(|&j| Item::plain(j)),
                    );
                }
            }
            out.push(Firing {
                raised_at: self.at(i),
                order: i,
                key: key_of(by, by_value),
                evidence: from..items.len(),
                count,
                indicators: vec![],
            });
        }
        out
    }

    /// `sequence`: fires at the last step of a chain whose first step is not used up yet.
    ///
    /// With `resume`, firings completed before `resume.from` are taken as already decided: they
    /// are not produced again, and the first steps they used (`resume.used`) stay used.
    pub(crate) fn sequence(
        &self,
        steps: &[Test],
        within: Duration,
        by: &Option<Field>,
        until: &Option<Test>,
        resume: Option<&Resume<'_>>,
        buffers: &mut Buffers,
    ) -> Vec<Firing> {
        let (Some(first), Some(last)) = (steps.first(), steps.last()) else {
            return Vec::new();
        };
        let middle = steps.get(1..steps.len() - 1).unwrap_or(&[]);
        // Indices, which input does not choose.
        let mut used: FastSet<usize> = match resume {
            Some(r) => self
                .obs
                .iter()
                .enumerate()
                .filter(|(_, o)| r.used.contains(o.id.as_str()))
                .map(|(j, _)| j)
                .collect(),
            None => FastSet::default(),
        };
        let mut last_until: Option<usize> = None;
        let mut out = Vec::new();
        // Each step's predicate and the `by` value, once per observation.
        let mut firsts = std::mem::take(&mut buffers.firsts);
        firsts.clear();
        firsts.extend((0..self.obs.len()).filter(|&i| self.matches(first, i)));
        let steps = Steps {
            firsts,
            middle: middle.iter().map(|p| self.mask(p)).collect(),
            by: by.as_ref(),
        };
        // The last step and `until` are tested once per observation, in order: no mask needed.
        for k in 0..self.obs.len() {
            let decided = resume.is_some_and(|r| self.at(k) < r.from);
            let from = buffers.items.len();
            if !decided
                && self.matches(last, k)
                && self.chain_ending_at(k, &steps, within, last_until, &used, &mut buffers.items)
            {
                if let Some(c) = buffers.items.get(from) {
                    used.insert(c.idx);
                }
                out.push(Firing {
                    raised_at: self.at(k),
                    order: k,
                    key: key_of(by, by.as_ref().and_then(|f| self.value(f, k))),
                    evidence: from..buffers.items.len(),
                    count: buffers.items.len() - from,
                    indicators: vec![],
                });
            }
            // Checked after `k` is used as a last step: `until` must lie strictly between the ends.
            if until.as_ref().is_some_and(|u| self.matches(u, k)) {
                last_until = Some(k);
            }
        }
        buffers.firsts = steps.firsts;
        out
    }

    /// Whether `p` holds, for every observation of the view.
    fn mask(&self, p: &Test) -> Vec<bool> {
        (0..self.obs.len()).map(|i| self.matches(p, i)).collect()
    }

    /// Adds to `items` the evidence of the match ending at `k` with the earliest unused first
    /// step, and says whether there is one (nothing is added when there is none). With `by`,
    /// every step has `k`'s value of it, which must be given.
    fn chain_ending_at(
        &self,
        k: usize,
        steps: &Steps<'_>,
        within: Duration,
        last_until: Option<usize>,
        used: &FastSet<usize>,
        items: &mut Vec<Item>,
    ) -> bool {
        let start = self.window_start(k, within);
        // Read once a first step is in reach (most `k`s have none).
        let key_of_k = std::cell::OnceCell::new();
        let same = |j: usize| {
            steps.by.is_none_or(|f| {
                let key = *key_of_k.get_or_init(|| self.value(f, k));
                key.is_some() && self.value(f, j) == key
            })
        };
        let step = |idx: usize, n: usize| Item {
            idx,
            step: Some(n as u32),
            indicator: None,
            after: false,
        };
        // No `until` strictly between o_1 and o_k: o_1 is at or after the last one before o_k.
        // The view is in time order, so the window starts at a binary-searched index.
        let lo = last_until.unwrap_or(0).max(match start {
            Edge::At(x) => self.ats.partition_point(|&at| at < x),
            Edge::Time(t) => self.obs.partition_point(|o| o.at < t),
        });
        let from = steps.firsts.partition_point(|&j| j < lo);
        let candidates = steps
            .firsts
            .get(from..)
            .unwrap_or_default()
            .iter()
            .copied()
            .take_while(|&j| j < k)
            .filter(|&j| !used.contains(&j) && same(j));
        for j in candidates {
            let start = items.len();
            items.push(step(j, 1));
            let mut prev = Some(j);
            for (s, m) in steps.middle.iter().enumerate() {
                // Greedy, earliest first: always finds a completion when one exists.
                prev = prev.and_then(|p| (p + 1..k).find(|&i| flag_at(m, i) && same(i)));
                match prev {
                    Some(i) => items.push(step(i, s + 2)),
                    None => break,
                }
            }
            if prev.is_some() {
                items.push(step(k, steps.middle.len() + 2));
                return true;
            }
            items.truncate(start);
        }
        false
    }

    /// `absence`: fires at the deadline of each `after` not followed in time by an `expect`.
    pub(crate) fn absence(
        &self,
        after: &Test,
        expect: &Test,
        within: Duration,
        by: &Option<Field>,
        as_of: Timestamp,
        buffers: &mut Buffers,
    ) -> (Vec<Firing>, Vec<Wait>) {
        let mut fired = Vec::new();
        let mut waits = Vec::new();
        let expected = &mut buffers.mask;
        expected.clear();
        expected.extend((0..self.obs.len()).map(|i| self.matches(expect, i)));
        let expected = &*expected;
        for a in 0..self.obs.len() {
            if !self.matches(after, a) {
                continue;
            }
            let key = match by {
                Some(f) => match self.value(f, a) {
                    Some(v) => Some(v),
                    None => continue,
                },
                None => None,
            };
            let deadline_at = self.deadline(a, within);
            let met = (a + 1..self.obs.len())
                .take_while(|&e| !self.after(e, deadline_at))
                .any(|e| {
                    flag_at(expected, e) && by.as_ref().is_none_or(|f| self.value(f, e) == key)
                });
            if met {
                continue;
            }
            let k = key_of(by, key);
            let deadline = plus(self.at(a), within);
            if as_of >= deadline {
                buffers.items.push(Item {
                    idx: a,
                    step: None,
                    indicator: None,
                    after: true,
                });
                fired.push(Firing {
                    raised_at: deadline,
                    order: a,
                    key: k,
                    evidence: buffers.items.len() - 1..buffers.items.len(),
                    count: 1,
                    indicators: vec![],
                });
            } else {
                waits.push(Wait {
                    after: a,
                    key: k,
                    deadline,
                });
            }
        }
        (fired, waits)
    }

    /// `signals`: fires where the number of different indicators in the window crosses `at_least`.
    pub(crate) fn signals(
        &self,
        of: &[(crate::name::Name, Test)],
        indicators: Option<&Indicators>,
        within: Duration,
        at_least: usize,
        buffers: &mut Buffers,
    ) -> Vec<Firing> {
        // The window: each observation with the range of its indicators in `hits`, which only
        // grows (kept from run to run rather than allocated per observation or per run).
        let Buffers {
            window,
            hits,
            counts,
            items,
            ..
        } = buffers;
        window.clear();
        hits.clear();
        counts.clear();
        counts.resize(of.len(), 0);
        let mut out = Vec::new();
        for i in 0..self.obs.len() {
            let mut first = hits.len();
            let kind = self.kinds.get(i).copied().unwrap_or(UNKNOWN);
            match indicators.and_then(|t| t.for_kind(kind)) {
                // The indicators the kind decides, and the tests it leaves open; in order.
                Some((mut bits, open)) => {
                    for &n in open {
                        let n = usize::from(n);
                        if of.get(n).is_some_and(|(_, p)| self.matches(p, i)) {
                            bits |= 1 << n;
                        }
                    }
                    while bits != 0 {
                        hits.push(bits.trailing_zeros() as usize);
                        bits &= bits - 1;
                    }
                }
                None => hits.extend(
                    of.iter()
                        .enumerate()
                        .filter(|(_, (_, p))| self.matches(p, i))
                        .map(|(n, _)| n),
                ),
            }
            if hits.len() == first {
                continue;
            }
            let start = self.window_start(i, within);
            while let Some((front, _)) = window.front() {
                if !self.before(*front, start) {
                    break;
                }
                if let Some((_, old)) = window.pop_front() {
                    for &n in hits.get(old).unwrap_or_default() {
                        if let Some(c) = counts.get_mut(n) {
                            *c -= 1;
                        }
                    }
                }
            }
            // Hits that left the window are dropped once they are half the list, so that it
            // holds about what the window holds, not every hit of the run.
            let live = window.front().map_or(first, |(_, r)| r.start);
            if live > hits.len() / 2 {
                hits.drain(..live);
                for (_, r) in window.iter_mut() {
                    *r = r.start - live..r.end - live;
                }
                first -= live;
            }
            let before = counts.iter().filter(|&&c| c > 0).count();
            for &n in hits.get(first..).unwrap_or_default() {
                if let Some(c) = counts.get_mut(n) {
                    *c += 1;
                }
            }
            let after = counts.iter().filter(|&&c| c > 0).count();
            window.push_back((i, first..hits.len()));
            if after >= at_least && before < at_least {
                let from = items.len();
                for (j, hs) in window.iter() {
                    for &n in hits.get(hs.clone()).unwrap_or_default() {
                        items.push(Item {
                            idx: *j,
                            step: None,
                            indicator: Some(n),
                            after: false,
                        });
                    }
                }
                let indicators: Vec<usize> = counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(n, _)| n)
                    .collect();
                out.push(Firing {
                    raised_at: self.at(i),
                    order: i,
                    key: Key::new(),
                    evidence: from..items.len(),
                    count: indicators.len(),
                    indicators,
                });
            }
        }
        out
    }
}

/// Entry `i` of a per-observation mask (false past its end).
fn flag_at(mask: &[bool], i: usize) -> bool {
    mask.get(i).copied().unwrap_or(false)
}
