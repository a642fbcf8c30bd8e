//! Flags: the engine's output, with evidence, the recruitment window and an explanation (design §6).

use crate::name::Name;
use crate::time::{Timestamp, format_timestamp};
use crate::timeline::Value;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The `by` value a flag is about, written as `{"<field>": value}`; empty without `by`.
pub type Key = BTreeMap<String, Value>;

/// Risk signals and harm signals are separate classes (domain brief, governance 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(transform = crate::schema::plain_enum)
)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// A sign that recruitment may be under way.
    Risk,
    /// A sign that harm may already be happening (a disclosure, an advertisement).
    Harm,
}

/// How serious a rule's flags are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(transform = crate::schema::plain_enum)
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// Where the recruitment window stands at `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(transform = crate::schema::plain_enum)
)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Before `urgent_until`.
    Urgent,
    /// Before `closes_at`.
    Open,
    /// At or after `closes_at`.
    Closed,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Urgent => "urgent",
            Stage::Open => "open",
            Stage::Closed => "closed",
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Risk => "risk",
            Class::Harm => "harm",
        })
    }
}

/// The recruitment window of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First contact with the counterpart the evidence shares, else the earliest evidence.
    #[serde(serialize_with = "ser_ts")]
    pub opened_at: Timestamp,
    /// `opened_at` + the urgent period (default 7 days).
    #[serde(serialize_with = "ser_ts")]
    pub urgent_until: Timestamp,
    /// `opened_at` + the window (default 30 days).
    #[serde(serialize_with = "ser_ts")]
    pub closes_at: Timestamp,
    /// The stage at `as_of`.
    pub stage: Stage,
}

impl Window {
    /// The stage at `t`: `urgent` before `urgent_until`, `open` before `closes_at`, else `closed`.
    pub fn stage_at(&self, t: Timestamp) -> Stage {
        if t < self.urgent_until {
            Stage::Urgent
        } else if t < self.closes_at {
            Stage::Open
        } else {
            Stage::Closed
        }
    }

    /// This window with its stage taken at `t`.
    pub(crate) fn at(self, t: Timestamp) -> Self {
        Window {
            stage: self.stage_at(t),
            ..self
        }
    }
}

/// One observation behind a flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Observation id (the observation's own, shared).
    pub observation: Name,
    /// When it happened.
    #[serde(serialize_with = "ser_ts")]
    pub at: Timestamp,
    /// Its kind.
    pub kind: Name,
    /// Its counterpart, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<Name>,
    /// For `sequence`: the 1-based step it completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// For `signals`: the indicator it counts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator: Option<Name>,
    /// For `absence`: `after`, the observation that was not followed up (a fixed word, so no
    /// string of its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
}

/// A flag's explanation: plain-language text that reads like a `&str` (it derefs to one,
/// compares with strings, prints and serialises as its text).
///
/// The flags one evaluation raises for one youth keep their explanations in one shared
/// allocation (and their evidence in another, see [`EvidenceList`]), so a flag costs no
/// allocation of its own for them, and cloning a flag copies neither. Holding any one of those
/// flags keeps both allocations (at most about 64 KiB of text and 1,024 pieces of evidence)
/// until the last of them is dropped; [`Flag::unshare`] gives a flag copies of its own, for a
/// program that keeps a few flags of a large report. The monitor's flags share only with the
/// flags of the same re-run of their rule for the same youth.
///
/// It is immutable: to change one, build another (`FlagText::from(format!(..))`).
///
/// ```
/// use early_signal::FlagText;
/// let text = FlagText::from("three new contacts within 7 days (rule r v1)");
/// assert_eq!(text, "three new contacts within 7 days (rule r v1)");
/// assert!(text.ends_with("(rule r v1)"));
/// assert_eq!(String::from(text.clone()), text.as_str());
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlagText(arcstr::Substr);

impl FlagText {
    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text at `range` of `shared`; empty when `range` is not in it.
    fn part_of(shared: &arcstr::ArcStr, range: std::ops::Range<usize>) -> Self {
        FlagText(
            shared
                .get(range)
                .and_then(|part| shared.try_substr_from(part))
                .unwrap_or_default(),
        )
    }
}

crate::name::string_like!(FlagText);

impl From<&str> for FlagText {
    fn from(s: &str) -> Self {
        FlagText(arcstr::Substr::from(s))
    }
}

impl From<String> for FlagText {
    fn from(s: String) -> Self {
        FlagText(arcstr::Substr::from(s))
    }
}

impl From<&String> for FlagText {
    fn from(s: &String) -> Self {
        FlagText::from(s.as_str())
    }
}

impl From<std::borrow::Cow<'_, str>> for FlagText {
    fn from(s: std::borrow::Cow<'_, str>) -> Self {
        FlagText::from(s.as_ref())
    }
}

/// A flag's evidence: the observations that matched, in the total order. It reads like a
/// slice of [`Evidence`] (it derefs to one: `len`, `iter`, indexing), and serialises as a list.
///
/// Shared like [`FlagText`]: the flags one evaluation raises for one youth keep their evidence
/// in one allocation, which lives until the last of them is dropped. It is immutable: to
/// change one, build another from a `Vec` (`let mut v = list.to_vec(); ...; v.into()`).
///
/// ```
/// use early_signal::{Evidence, EvidenceList};
/// let list = EvidenceList::from(Vec::<Evidence>::new());
/// assert!(list.is_empty());
/// assert_eq!(list, EvidenceList::default());
/// ```
#[derive(Clone, Default)]
pub struct EvidenceList {
    /// The shared list (none when empty), and where this flag's part of it starts and ends.
    items: Option<Arc<[Evidence]>>,
    start: u32,
    end: u32,
}

impl EvidenceList {
    /// The evidence as a slice.
    pub fn as_slice(&self) -> &[Evidence] {
        let range = self.start as usize..self.end as usize;
        self.items
            .as_deref()
            .and_then(|items| items.get(range))
            .unwrap_or_default()
    }

    /// The items at `range` of `shared`; empty when `range` is empty or not in it.
    fn part_of(shared: Option<&Arc<[Evidence]>>, range: std::ops::Range<usize>) -> Self {
        match (shared, u32::try_from(range.start), u32::try_from(range.end)) {
            (Some(shared), Ok(start), Ok(end)) if range.end <= shared.len() && start < end => {
                EvidenceList {
                    items: Some(Arc::clone(shared)),
                    start,
                    end,
                }
            }
            _ => EvidenceList::default(),
        }
    }
}

impl std::ops::Deref for EvidenceList {
    type Target = [Evidence];
    fn deref(&self) -> &[Evidence] {
        self.as_slice()
    }
}

impl AsRef<[Evidence]> for EvidenceList {
    fn as_ref(&self) -> &[Evidence] {
        self.as_slice()
    }
}

impl PartialEq for EvidenceList {
    fn eq(&self, other: &EvidenceList) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for EvidenceList {}

impl PartialEq<[Evidence]> for EvidenceList {
    fn eq(&self, other: &[Evidence]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<Vec<Evidence>> for EvidenceList {
    fn eq(&self, other: &Vec<Evidence>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for EvidenceList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Serialize for EvidenceList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

impl From<Vec<Evidence>> for EvidenceList {
    fn from(items: Vec<Evidence>) -> Self {
        if items.is_empty() {
            return EvidenceList::default();
        }
        let shared: Arc<[Evidence]> = items.into();
        let len = shared.len();
        EvidenceList::part_of(Some(&shared), 0..len)
    }
}

impl FromIterator<Evidence> for EvidenceList {
    fn from_iter<I: IntoIterator<Item = Evidence>>(items: I) -> Self {
        EvidenceList::from(items.into_iter().collect::<Vec<_>>())
    }
}

impl From<&[Evidence]> for EvidenceList {
    fn from(items: &[Evidence]) -> Self {
        EvidenceList::from(items.to_vec())
    }
}

impl From<EvidenceList> for Vec<Evidence> {
    fn from(list: EvidenceList) -> Self {
        list.as_slice().to_vec()
    }
}

impl PartialEq<&[Evidence]> for EvidenceList {
    fn eq(&self, other: &&[Evidence]) -> bool {
        self.as_slice() == *other
    }
}

impl<const N: usize> PartialEq<[Evidence; N]> for EvidenceList {
    fn eq(&self, other: &[Evidence; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<EvidenceList> for [Evidence] {
    fn eq(&self, other: &EvidenceList) -> bool {
        self == other.as_slice()
    }
}

impl PartialEq<EvidenceList> for Vec<Evidence> {
    fn eq(&self, other: &EvidenceList) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// By value: clones of the pieces of evidence (the list itself is shared).
impl IntoIterator for EvidenceList {
    type Item = Evidence;
    type IntoIter = std::vec::IntoIter<Evidence>;
    fn into_iter(self) -> Self::IntoIter {
        Vec::from(self).into_iter()
    }
}

impl<'a> IntoIterator for &'a EvidenceList {
    type Item = &'a Evidence;
    type IntoIter = std::slice::Iter<'a, Evidence>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

/// The evidence and explanations of flags being raised, written into two shared lists, and
/// given to their flags by [`Pieces::seal`]: the flags of one youth (or of one rule run in
/// the monitor) share two allocations instead of making two each.
#[derive(Default)]
pub(crate) struct Pieces {
    /// The evidence of every flag not sealed yet, one after the other.
    pub evidence: Vec<Evidence>,
    /// Their explanations, one after the other.
    pub text: String,
    /// Per flag not sealed yet: its place in the list of flags, and its parts of the two above.
    unsealed: Vec<(usize, std::ops::Range<usize>, std::ops::Range<usize>)>,
}

impl Pieces {
    /// How much text and how many pieces of evidence the flags of one seal may share: holding
    /// one flag keeps at most this much (and one flag's more) alive.
    const TEXT_PER_SEAL: usize = 64 * 1024;
    const EVIDENCE_PER_SEAL: usize = 1024;

    /// Notes that the flag at `place` has the evidence from `evidence_from` and the text from
    /// `text_from` to the end of the lists.
    pub fn add(&mut self, place: usize, evidence_from: usize, text_from: usize) {
        self.unsealed.push((
            place,
            evidence_from..self.evidence.len(),
            text_from..self.text.len(),
        ));
    }

    /// Adds the flag `build` makes (writing its evidence and explanation into these lists) to
    /// the end of `flags`, noting its parts; seals when the lists are full.
    pub fn push(&mut self, flags: &mut Vec<Flag>, build: impl FnOnce(&mut Self) -> Flag) {
        let (evidence_from, text_from) = (self.evidence.len(), self.text.len());
        let flag = build(self);
        self.add(flags.len(), evidence_from, text_from);
        flags.push(flag);
        if self.full() {
            self.seal(flags);
        }
    }

    /// Whether the lists are large enough to be sealed now.
    pub fn full(&self) -> bool {
        self.text.len() >= Self::TEXT_PER_SEAL || self.evidence.len() >= Self::EVIDENCE_PER_SEAL
    }

    /// Whether no flag waits for its evidence and explanation.
    pub fn is_empty(&self) -> bool {
        self.unsealed.is_empty() && self.evidence.is_empty() && self.text.is_empty()
    }

    /// Gives each flag noted since the last seal its evidence and explanation (in `flags`, at
    /// the places noted), as parts of two shared allocations, and empties the lists (keeping
    /// their room).
    pub fn seal(&mut self, flags: &mut [Flag]) {
        if self.unsealed.is_empty() {
            self.evidence.clear();
            self.text.clear();
            return;
        }
        let evidence: Option<Arc<[Evidence]>> =
            (!self.evidence.is_empty()).then(|| self.evidence.drain(..).collect());
        let text = arcstr::ArcStr::from(self.text.as_str());
        self.text.clear();
        for (place, items, words) in self.unsealed.drain(..) {
            debug_assert!(
                place < flags.len(),
                "a flag waiting for its pieces went missing"
            );
            if let Some(flag) = flags.get_mut(place) {
                flag.evidence = EvidenceList::part_of(evidence.as_ref(), items);
                flag.explanation = FlagText::part_of(&text, words);
            }
        }
    }
}

/// A flag's stable id (design §8): `fl-` and sixteen lowercase hexadecimal digits of a digest.
///
/// Held inline (it is `Copy`), so a flag's id costs no allocation of its own. It reads like a
/// `&str` (it derefs to one), compares with strings, serialises as a string, and parses back
/// from one, for programs that keep flag ids and look flags up by them later.
///
/// ```
/// use early_signal::FlagId;
/// let id: FlagId = "fl-0123456789abcdef".parse().expect("a flag id");
/// assert_eq!(id, "fl-0123456789abcdef");
/// assert!(id.starts_with("fl-"));
/// assert_eq!(String::from(id), "fl-0123456789abcdef");
/// assert!("fl-0123".parse::<FlagId>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlagId([u8; FlagId::LEN]);

impl FlagId {
    /// The length of every flag id: `fl-` and sixteen digits.
    const LEN: usize = 19;

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `from_digest` and `from_str`).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// `fl-` and the first eight bytes of `digest` in hexadecimal.
    fn from_digest(digest: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut id = *b"fl-0000000000000000";
        for (pair, b) in id
            .get_mut(3..)
            .unwrap_or_default()
            .chunks_mut(2)
            .zip(digest)
        {
            for (slot, nibble) in pair.iter_mut().zip([b >> 4, b & 0xf]) {
                *slot = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            }
        }
        FlagId(id)
    }
}

/// A string that is not a flag id: not `fl-` and sixteen lowercase hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a flag id: a flag id is `fl-` and 16 lowercase hexadecimal digits")]
pub struct ParseFlagIdError(String);

impl std::str::FromStr for FlagId {
    type Err = ParseFlagIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("fl-").unwrap_or_default();
        match <[u8; FlagId::LEN]>::try_from(s.as_bytes()) {
            Ok(bytes)
                if digits.len() == 16
                    && digits
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
            {
                Ok(FlagId(bytes))
            }
            _ => Err(ParseFlagIdError(s.to_owned())),
        }
    }
}

crate::name::string_like!(FlagId);

/// A flag: a task for a professional, never a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// Stable id: a digest of rule id, version, subject, key and the first evidence observation.
    pub id: FlagId,
    /// Rule id.
    pub rule: Name,
    /// Rule version.
    pub rule_version: u32,
    /// Digest of the rule set that raised it.
    pub ruleset: Name,
    /// Subject id.
    pub subject: Name,
    /// Risk or harm.
    pub class: Class,
    /// Severity of the rule.
    pub severity: Severity,
    /// The `by` value, when the rule has one.
    pub key: Key,
    /// `at` of the completing observation, or the absence deadline.
    #[serde(serialize_with = "ser_ts")]
    pub raised_at: Timestamp,
    /// When it could first have been known: the latest of `raised_at` and the evidence's `recorded_at`.
    #[serde(serialize_with = "ser_ts")]
    pub known_at: Timestamp,
    /// The observations that matched.
    pub evidence: EvidenceList,
    /// The recruitment window.
    pub window: Window,
    /// Why, in plain language.
    pub explanation: FlagText,
}

impl Flag {
    /// Gives this flag copies of its own of its evidence and explanation, so that keeping it
    /// no longer keeps the other flags' (see [`FlagText`]): for a program that keeps a few
    /// flags of a large report for long.
    ///
    /// ```
    /// # use early_signal::{Engine, RuleSet, Timeline};
    /// # let rules = RuleSet::builtin();
    /// # let mut timeline = Timeline::new();
    /// # timeline.read_yaml("t.yaml", include_str!("../examples/timelines/recruitment-window.yaml"));
    /// # let report = Engine::new(rules).evaluate(&timeline, "2026-11-20T00:00:00+01:00".parse().unwrap());
    /// let mut kept = report.flags[0].clone();
    /// drop(report);
    /// kept.unshare();
    /// assert!(!kept.explanation.is_empty());
    /// ```
    pub fn unshare(&mut self) {
        self.evidence = EvidenceList::from(self.evidence.as_slice());
        self.explanation = FlagText::from(self.explanation.as_str());
    }
}

pub(crate) fn ser_ts<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(t))
}

/// The design §8 output order: stage, severity (critical first), `raised_at`, subject, rule, id.
pub(crate) fn output_order(a: &Flag, b: &Flag) -> std::cmp::Ordering {
    a.window
        .stage
        .cmp(&b.window.stage)
        .then_with(|| b.severity.cmp(&a.severity))
        .then_with(|| a.raised_at.cmp(&b.raised_at))
        .then_with(|| a.subject.as_bytes().cmp(b.subject.as_bytes()))
        .then_with(|| a.rule.as_bytes().cmp(b.rule.as_bytes()))
        .then_with(|| a.id.cmp(&b.id))
}

/// Puts `flags` in [`output_order`], as a stable sort would, swapping each flag into place at
/// most once (a flag is a large value, and a merge sort would move it at every level).
///
/// The order's first three keys (stage, severity, `raised_at`) are copied into one small list
/// and compared there; only flags that tie on all three are looked at themselves.
pub(crate) fn sort_for_output(flags: &mut [Flag]) {
    use std::cmp::Reverse;
    let mut order: Vec<(Stage, Reverse<Severity>, i64, u32, usize)> = flags
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (secs, nanos) = (
                f.raised_at.timestamp(),
                f.raised_at.timestamp_subsec_nanos(),
            );
            (f.window.stage, Reverse(f.severity), secs, nanos, i)
        })
        .collect();
    // The instant as seconds and nanoseconds orders as the timestamp does, leap seconds
    // included (their nanoseconds run past a billion within the second before).
    order.sort_unstable_by(|a, b| {
        (a.0, a.1, a.2, a.3)
            .cmp(&(b.0, b.1, b.2, b.3))
            .then_with(|| match (flags.get(a.4), flags.get(b.4)) {
                (Some(x), Some(y)) => output_order(x, y),
                _ => std::cmp::Ordering::Equal,
            })
            .then(a.4.cmp(&b.4))
    });
    // Place `k` takes the flag now at `from[k]`: the permutation is applied in place, cycle by
    // cycle, one swap per flag, with no second list of flags (megabytes of fresh memory).
    let mut from: Vec<usize> = order.into_iter().map(|k| k.4).collect();
    for start in 0..from.len() {
        let mut place = start;
        while let Some(&source) = from.get(place) {
            if let Some(done) = from.get_mut(place) {
                *done = place;
            }
            // The cycle closes where the flag first moved out of `start` belongs (at once for
            // a flag already in place).
            if source == start {
                break;
            }
            flags.swap(place, source);
            place = source;
        }
    }
}

/// `n` in decimal, written into `digits` (twenty hold any `u64`): flags, ids and explanations
/// write numbers without a string of their own, and without the formatting machinery.
pub(crate) fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &str {
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + u8::try_from(n % 10).unwrap_or(0);
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(digits.get(start..).unwrap_or_default()).unwrap_or_default()
}

/// The stable flag id (design §8).
pub(crate) fn flag_id(
    rule: &str,
    version: u32,
    subject: &str,
    key: &Key,
    first_evidence: &str,
) -> FlagId {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    let mut digits = [0u8; 20];
    h.update(decimal(u64::from(version), &mut digits).as_bytes());
    h.update([0]);
    h.update(subject.as_bytes());
    h.update([0]);
    for (field, value) in key {
        h.update(field.as_bytes());
        h.update([b'=']);
        h.update(value.type_name().as_bytes());
        h.update([b':']);
        h.update(value.to_string().as_bytes());
        h.update([0x1f]);
    }
    h.update([0]);
    h.update(first_evidence.as_bytes());
    FlagId::from_digest(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// A flag with the fields the output order reads; `n` is kept in its explanation, to tell
    /// equal flags apart.
    fn flag(
        (stage, severity, second, subject, rule, id): (Stage, Severity, i64, &str, &str, &str),
        n: usize,
    ) -> Flag {
        let base: Timestamp = "2026-03-02T21:00:00+01:00".parse().expect("a timestamp");
        // Some flags in another offset: the same instant written differently.
        let offset = chrono::FixedOffset::east_opt(if second % 2 == 0 { 3600 } else { -7200 });
        let raised_at =
            (base + chrono::TimeDelta::seconds(second)).with_timezone(&offset.expect("an offset"));
        Flag {
            id: id.parse().expect("a flag id"),
            rule: Name::from(rule),
            rule_version: 1,
            ruleset: Name::from("sha256:x"),
            subject: Name::from(subject),
            class: Class::Risk,
            severity,
            key: Key::new(),
            raised_at,
            known_at: raised_at,
            evidence: EvidenceList::default(),
            window: Window {
                opened_at: raised_at,
                urgent_until: raised_at,
                closes_at: raised_at,
                stage,
            },
            explanation: n.to_string().into(),
        }
    }

    /// `n` flags of one youth and rule, told apart by their explanations ("0", "1", ...).
    fn flags_of_one_youth(n: usize) -> Vec<Flag> {
        let key = (
            Stage::Closed,
            Severity::High,
            0,
            "y",
            "r",
            "fl-0000000000000000",
        );
        (0..n).map(|i| flag(key, i)).collect()
    }

    fn evidence(id: &str) -> Evidence {
        Evidence {
            observation: Name::from(id),
            at: "2026-03-02T21:00:00+01:00".parse().expect("a timestamp"),
            kind: Name::from("contact.new"),
            counterpart: None,
            step: None,
            indicator: None,
            role: None,
        }
    }

    /// Sealing gives each noted flag its own part of the shared lists, and empties them (so
    /// that the next youth's text does not pile on this one's); a group is full at 64 KiB of
    /// text or 1,024 pieces of evidence.
    #[test]
    fn a_seal_gives_each_flag_its_part_and_empties_the_lists() {
        let mut flags = flags_of_one_youth(3);
        let mut pieces = Pieces::default();
        // Flags 2 and 0 (in that order), with two pieces of evidence and one.
        for (place, ids, text) in [(2, &["a", "b"][..], "two"), (0, &["c"][..], "one")] {
            let from = (pieces.evidence.len(), pieces.text.len());
            pieces.evidence.extend(ids.iter().map(|id| evidence(id)));
            pieces.text.push_str(text);
            pieces.add(place, from.0, from.1);
        }
        assert!(!pieces.full());
        pieces.seal(&mut flags);
        assert!(pieces.is_empty() && !pieces.full());
        let ids = |f: &Flag| -> Vec<String> {
            f.evidence
                .iter()
                .map(|e| e.observation.to_string())
                .collect()
        };
        assert_eq!(
            (ids(&flags[2]), flags[2].explanation.as_str()),
            (vec!["a".into(), "b".into()], "two")
        );
        assert_eq!(
            (ids(&flags[0]), flags[0].explanation.as_str()),
            (vec!["c".into()], "one")
        );
        // Flag 1 was not noted: it keeps what it had.
        assert_eq!(flags[1].explanation, "1");
        assert!(flags[1].evidence.is_empty());
        // Full by text or by evidence.
        pieces.text.push_str(&"x".repeat(Pieces::TEXT_PER_SEAL));
        assert!(pieces.full());
        pieces.seal(&mut flags);
        assert!(pieces.is_empty() && !pieces.full());
        pieces
            .evidence
            .extend((0..Pieces::EVIDENCE_PER_SEAL).map(|_| evidence("e")));
        assert!(pieces.full());
        pieces.seal(&mut flags);
        assert!(pieces.is_empty());
    }

    /// The shared types convert and compare as the `Vec` and the `String` they replace, and a
    /// flag can be given copies of its own.
    #[test]
    fn evidence_lists_and_flag_texts_convert_and_compare_both_ways() {
        let v = vec![evidence("a"), evidence("b")];
        let list = EvidenceList::from(v.clone());
        assert_eq!(list, v);
        assert_eq!(v, list);
        assert_eq!(list, v.as_slice());
        assert_eq!(*v.as_slice(), list);
        assert_eq!(list, [evidence("a"), evidence("b")]);
        assert_eq!(EvidenceList::from(v.as_slice()), list);
        assert_eq!(Vec::from(list.clone()), v);
        assert_eq!(list.clone().into_iter().collect::<Vec<_>>(), v);
        assert_eq!((&list).into_iter().count(), 2);
        assert_eq!(v.iter().cloned().collect::<EvidenceList>(), list);
        assert_eq!(format!("{list:?}"), format!("{v:?}"));
        assert_eq!(
            serde_json::to_string(&list).expect("serialises"),
            serde_json::to_string(&v).expect("serialises")
        );
        let text = FlagText::from(String::from("why"));
        assert_eq!(text, "why");
        assert_eq!("why", text);
        assert_eq!(String::from("why"), text);
        assert_eq!(FlagText::from(&String::from("why")), text);
        assert_eq!(FlagText::from(std::borrow::Cow::Borrowed("why")), text);
        assert_eq!(format!("[{text:>5}]"), "[  why]");
        assert_eq!(serde_json::to_string(&text).expect("serialises"), "\"why\"");
        // A flag whose parts come from a shared list keeps equal copies of its own.
        let mut flags = flags_of_one_youth(2);
        let mut pieces = Pieces::default();
        for place in 0..2 {
            let from = (pieces.evidence.len(), pieces.text.len());
            pieces.evidence.push(evidence("a"));
            pieces.text.push_str("shared");
            pieces.add(place, from.0, from.1);
        }
        pieces.seal(&mut flags);
        let before = flags[1].clone();
        flags[1].unshare();
        assert_eq!(flags[1], before);
    }

    #[test]
    fn flag_ids_parse_back_and_refuse_what_is_not_one() {
        let id = flag_id("r", 1, "y-1", &Key::new(), "o-1");
        assert_eq!(id.len(), 19);
        assert_eq!(id.to_string().parse::<FlagId>(), Ok(id));
        for bad in [
            "",
            "fl-",
            "fl-0123456789abcde",
            "fl-0123456789abcdef0",
            "fl-0123456789ABCDEF",
            "fx-0123456789abcdef",
            "fl-0123456789abcdeg",
            "fl-0123456789abcdé",
        ] {
            assert!(bad.parse::<FlagId>().is_err(), "{bad:?}");
        }
        // A map keyed by ids is searched with a string (hashes agree with `Borrow<str>`).
        let map: std::collections::HashMap<FlagId, u8> = [(id, 7)].into();
        assert_eq!(map.get(id.as_str()), Some(&7));
        assert_eq!(format!("{id:?}"), format!("{:?}", id.as_str()));
        assert_eq!(format!("[{id:>20}]"), format!("[ {id}]"));
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 100, 4_294_967_295, u64::MAX] {
            let mut digits = [0; 20];
            assert_eq!(decimal(n, &mut digits), n.to_string());
        }
    }

    proptest! {
        #[test]
        fn any_number_is_written_as_display_writes_it(n in any::<u64>()) {
            let mut digits = [0; 20];
            prop_assert_eq!(decimal(n, &mut digits), n.to_string());
        }

        /// Flag ids order as their strings do (the output order ends with the id).
        #[test]
        fn flag_ids_order_as_their_text(a in any::<[u8; 8]>(), b in any::<[u8; 8]>()) {
            let (x, y) = (FlagId::from_digest(&a), FlagId::from_digest(&b));
            prop_assert_eq!(x.cmp(&y), x.as_str().cmp(y.as_str()));
            prop_assert_eq!(x == y, x.as_str() == y.as_str());
        }

        /// Sorting for output puts flags where a stable sort by the output order puts them,
        /// ties on every key included.
        #[test]
        fn flags_are_sorted_as_a_stable_sort_sorts_them(
            fields in prop::collection::vec(
                (
                    select(&[Stage::Urgent, Stage::Open, Stage::Closed][..]),
                    select(&[Severity::Low, Severity::High, Severity::Critical][..]),
                    -3i64..3,
                    select(&["y-1", "y-2", "y-10"][..]),
                    select(&["r-a", "r-b"][..]),
                    select(&["fl-0000000000000001", "fl-0000000000000002"][..]),
                ),
                0..60,
            ),
        ) {
            let flags: Vec<Flag> = fields.iter().enumerate().map(|(n, f)| flag(*f, n)).collect();
            let mut mine = flags.clone();
            sort_for_output(&mut mine);
            let mut stable = flags;
            stable.sort_by(output_order);
            let order = |v: &[Flag]| v.iter().map(|f| f.explanation.clone()).collect::<Vec<_>>();
            prop_assert_eq!(order(&mine), order(&stable));
        }
    }
}
