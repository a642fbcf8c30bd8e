//! Flags: the engine's output, with evidence, the recruitment window and an explanation (design §6).

use crate::name::Name;
use crate::time::{Timestamp, format_timestamp};
use crate::timeline::Value;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

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
    /// Observation id.
    pub observation: String,
    /// When it happened.
    #[serde(serialize_with = "ser_ts")]
    pub at: Timestamp,
    /// Its kind.
    pub kind: Name,
    /// Its counterpart, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<String>,
    /// For `sequence`: the 1-based step it completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// For `signals`: the indicator it counts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator: Option<Name>,
    /// For `absence`: `after`, the observation that was not followed up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A flag: a task for a professional, never a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// Stable id: a digest of rule id, version, subject, key and the first evidence observation.
    pub id: String,
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
    pub evidence: Vec<Evidence>,
    /// The recruitment window.
    pub window: Window,
    /// Why, in plain language.
    pub explanation: String,
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
) -> String {
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
    let digest = h.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(19);
    id.push_str("fl-");
    for b in digest.iter().take(8) {
        for nibble in [b >> 4, b & 0xf] {
            id.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    id
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
            id: id.to_owned(),
            rule: Name::from(rule),
            rule_version: 1,
            ruleset: Name::from("sha256:x"),
            subject: Name::from(subject),
            class: Class::Risk,
            severity,
            key: Key::new(),
            raised_at,
            known_at: raised_at,
            evidence: Vec::new(),
            window: Window {
                opened_at: raised_at,
                urgent_until: raised_at,
                closes_at: raised_at,
                stage,
            },
            explanation: n.to_string(),
        }
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
                    select(&["fl-1", "fl-2"][..]),
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
