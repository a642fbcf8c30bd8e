//! Backtesting: replay a history as it was recorded and see what a rule set would have flagged,
//! when, and how early in the recruitment window — and what a changed rule set would change.
//!
//! [`backtest`] feeds every observation to a [`Monitor`] in the order it was *recorded*
//! (`recorded_at`, else `at`), so nothing is known before it was written down, and keeps each
//! flag with the moment it was first raised. [`compare`] sets two such replays side by side.
//!
//! ```
//! use early_signal::backtest::{backtest, Options};
//! use early_signal::generate::{generate, WorkloadConfig};
//! use early_signal::{Engine, RuleSet};
//! let rules = RuleSet::builtin();
//! let region = generate(&WorkloadConfig { subjects: 50, observations_per_subject: 40, ..WorkloadConfig::default() });
//! let timeline = region.timeline(&rules)?;
//! let result = backtest(&Engine::new(rules), &timeline, &Options::default());
//! for rule in &result.rules {
//!     println!("{}: {} flags, {:.1} per 100 youth-months", rule.rule, rule.standing, rule.per_100_subject_months);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::Engine;
use crate::flag::{Flag, FlagId, Stage};
use crate::monitor::{Event, Monitor, MonitorConfig};
use crate::name::Name;
use crate::time::{Duration, Timestamp, format_timestamp};
use crate::timeline::{Observation, Timeline};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The period of a backtest.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Flags first raised before this are not counted (observations before it still count as
    /// history). Default: the first record; without records, `to`.
    pub from: Option<Timestamp>,
    /// The replay stops here: later records are not read. Default: the last record; without
    /// records, `from`.
    pub to: Option<Timestamp>,
}

/// One flag of a replay.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The flag as it stood at the end of the replay (or when it was withdrawn).
    pub flag: Flag,
    /// When it was first raised in the replay: the record time of the record that raised it,
    /// or the deadline that passed.
    pub known: Timestamp,
    /// Where its recruitment window stood then.
    pub stage_when_known: Stage,
    /// Withdrawn later in the replay (a later record showed the pattern did not hold).
    pub withdrawn: bool,
}

/// What one rule did in a replay.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSummary {
    /// The rule's id.
    pub rule: Name,
    /// Flags raised in the period and still standing at its end (not withdrawn). The rate,
    /// the timings and the stages below count these.
    pub standing: usize,
    /// Flags raised in the period and withdrawn later by a record that showed the pattern did
    /// not hold (in live use, tasks that were shown and then taken back).
    pub withdrawn: usize,
    /// `standing` per 100 subject-months of the period.
    pub per_100_subject_months: f64,
    /// Time from the window's opening to the flag being known, in hours: median, 90th
    /// percentile and maximum (`None` without flags).
    pub hours_to_known: Option<(f64, f64, f64)>,
    /// The same as a histogram: flags known within a day of the window opening, within a week,
    /// within 30 days, and later.
    pub known_within: [usize; 4],
    /// Flags known while the window was urgent, open and closed.
    pub stages: (usize, usize, usize),
}

/// The result of [`backtest`].
#[derive(Debug, Clone)]
pub struct Backtest {
    /// The rule set's digest.
    pub ruleset: String,
    /// The period. Without records and without [`Options::from`] and [`Options::to`] it is
    /// empty, at the Unix epoch (1970-01-01T00:00:00Z), so that the same input always gives
    /// the same result.
    pub from: Timestamp,
    /// The period's end.
    pub to: Timestamp,
    /// Subjects with at least one record replayed.
    pub subjects: usize,
    /// Subjects times the period's length in months (of 30.44 days).
    pub subject_months: f64,
    /// Records replayed.
    pub records: usize,
    /// Records the monitor refused (with the reason of the first few).
    pub refused: Vec<String>,
    /// How many were refused in all.
    pub refused_count: usize,
    /// One per rule of the rule set, in its order.
    pub rules: Vec<RuleSummary>,
    /// Every flag raised in the period, by known time.
    pub flags: Vec<Replayed>,
}

/// Replays `timeline` through a monitor of `engine`'s rules in the order records were written,
/// and summarises what each rule raised and when.
///
/// Every observation is accepted however late it was recorded (the monitor's lateness bound is
/// the largest gap between a record's time and its `recorded_at` in the input), so the flags
/// left standing at the end are those [`Engine::evaluate`] gives at `to`; flags a later record
/// withdrew are counted apart.
pub fn backtest(engine: &Engine, timeline: &Timeline, options: &Options) -> Backtest {
    let mut stream: Vec<(&str, &Observation)> = timeline
        .subjects()
        .flat_map(|st| {
            st.observations()
                .iter()
                .map(move |o| (st.subject().id.as_str(), o))
        })
        .filter(|(_, o)| options.to.is_none_or(|to| o.recorded() <= to))
        .collect();
    stream.sort_by(|a, b| {
        a.1.recorded()
            .cmp(&b.1.recorded())
            .then_with(|| a.1.at.cmp(&b.1.at))
            .then_with(|| a.0.cmp(b.0))
            .then_with(|| a.1.id.cmp(&b.1.id))
    });
    let first = stream.first().map(|(_, o)| o.recorded());
    let last = stream.last().map(|(_, o)| o.recorded());
    // Without records the bounds stand in for each other, and without either the period is
    // empty at a fixed instant: never the clock, which would change the result from run to run.
    let fixed = chrono::DateTime::UNIX_EPOCH.fixed_offset();
    let from = options.from.or(first).or(options.to).unwrap_or(fixed);
    let to = options.to.or(last).unwrap_or(from).max(from);
    // Every record arrives when it was written, so the latest any record is written after it
    // happened is all the lateness the monitor must accept: nothing is refused, and it keeps
    // only what the rules' windows need.
    let lateness_days = stream
        .iter()
        .map(|(_, o)| (o.recorded() - o.at).num_days())
        .max()
        .unwrap_or(0)
        .saturating_add(1)
        .max(1);
    let config = MonitorConfig {
        max_lateness: Duration::days(u16::try_from(lateness_days).unwrap_or(u16::MAX)),
        max_subjects: usize::MAX,
        max_observations_per_subject: usize::MAX,
        max_clock_step: Duration::days(u16::MAX),
    };
    let records = stream.len();
    let subjects = stream
        .iter()
        .map(|(s, _)| *s)
        .collect::<std::collections::HashSet<&str>>()
        .len();
    // Subjects are independent and each part keeps its own clock at the record time of its
    // latest record; deadlines that pass between its records are dated by the deadline itself,
    // so the parts together give exactly what one monitor would.
    let parts = partitions(stream);
    #[cfg(feature = "parallel")]
    let replays: Vec<Replay> = {
        use rayon::prelude::*;
        parts
            .into_par_iter()
            .map(|part| replay(engine, timeline, &config, part, to))
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let replays: Vec<Replay> = parts
        .into_iter()
        .map(|part| replay(engine, timeline, &config, part, to))
        .collect();
    let mut all: Vec<Replayed> = Vec::new();
    let mut placed: Vec<(Place, String)> = Vec::new();
    let mut refused_count = 0;
    for r in replays {
        all.extend(r.flags);
        placed.extend(r.refused);
        refused_count += r.refused_count;
    }
    // The first refusals in the order one monitor meets them (each part kept its own first
    // ones, so these are among them), whatever the number of parts; then listed by their text.
    placed.sort();
    placed.truncate(MAX_REFUSED);
    let mut refused: Vec<String> = placed.into_iter().map(|(_, reason)| reason).collect();
    refused.sort();
    let mut flags: Vec<Replayed> = all
        .into_iter()
        .filter(|r| r.known >= from && r.known <= to)
        .collect();
    flags.sort_by(|a, b| {
        a.known
            .cmp(&b.known)
            .then_with(|| a.flag.id.cmp(&b.flag.id))
    });
    let months = (to - from).num_seconds() as f64 / (30.44 * 86_400.0);
    let subject_months = subjects as f64 * months;
    let rules = engine
        .rules()
        .rules()
        .iter()
        .map(|r| summarise(&r.id, &flags, subject_months))
        .collect();
    Backtest {
        ruleset: engine.rules().digest().to_owned(),
        from,
        to,
        subjects,
        subject_months,
        records,
        refused,
        refused_count,
        rules,
        flags,
    }
}

/// How many refusals a backtest lists (it counts them all).
const MAX_REFUSED: usize = 20;

/// Where one monitor replaying the whole stream meets a refusal: the profiles first, by subject
/// id, then the records by their place in the stream.
type Place = (u8, String, usize);

/// What one part of the replay found.
struct Replay {
    flags: Vec<Replayed>,
    /// Its first refusals (at most [`MAX_REFUSED`]), with their places.
    refused: Vec<(Place, String)>,
    refused_count: usize,
}

/// The stream cut into parts by subject (one per thread with `parallel`), each in record order.
/// Each record comes with its place in the stream.
fn partitions<'a>(stream: Vec<(&'a str, &'a Observation)>) -> Vec<Part<'a>> {
    #[cfg(feature = "parallel")]
    let n = rayon::current_num_threads().max(1);
    #[cfg(not(feature = "parallel"))]
    let n = 1;
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut parts: Vec<Part<'a>> = vec![Vec::new(); n];
    for (place, (subject, o)) in stream.into_iter().enumerate() {
        let next = index.len();
        let p = *index.entry(subject).or_insert(next % n);
        if let Some(part) = parts.get_mut(p) {
            part.push((place, subject, o));
        }
    }
    parts
}

/// Some subjects' records, each with its place in the whole stream, in record order.
type Part<'a> = Vec<(usize, &'a str, &'a Observation)>;

/// Replays one part through its own monitor.
fn replay(
    engine: &Engine,
    timeline: &Timeline,
    config: &MonitorConfig,
    part: Part<'_>,
    to: Timestamp,
) -> Replay {
    let mut monitor = Monitor::new(engine.clone(), config.clone());
    let mut out = Replay {
        flags: Vec::new(),
        refused: Vec::new(),
        refused_count: 0,
    };
    // A part meets its refusals in the order of `Place`, so its first ones are kept.
    let refuse = |out: &mut Replay, place: Place, e: String| {
        out.refused_count += 1;
        if out.refused.len() < MAX_REFUSED {
            out.refused.push((place, e));
        }
    };
    let subjects: BTreeSet<&str> = part.iter().map(|(_, s, _)| *s).collect();
    for s in &subjects {
        if let Some(st) = timeline.subject(s)
            && let Err(e) = monitor.set_subject(st.subject().clone())
        {
            refuse(&mut out, (0, (*s).to_owned(), 0), e.to_string());
        }
    }
    let mut seen: HashMap<FlagId, Replayed> = HashMap::new();
    let apply =
        |seen: &mut HashMap<FlagId, Replayed>, events: Vec<Event>, at: Option<Timestamp>| {
            for e in events {
                match e {
                    Event::Raised(flag) => {
                        // Records are known when they are written; a deadline when it passes.
                        let known = at.map_or(flag.known_at, |t| t.max(flag.known_at));
                        match seen.get_mut(&flag.id) {
                            Some(r) => {
                                r.flag = flag;
                                r.withdrawn = false;
                            }
                            None => {
                                seen.insert(
                                    flag.id,
                                    Replayed {
                                        stage_when_known: flag.window.stage_at(known),
                                        known,
                                        flag,
                                        withdrawn: false,
                                    },
                                );
                            }
                        }
                    }
                    Event::Withdrawn { id, .. } => {
                        if let Some(r) = seen.get_mut(&id) {
                            r.withdrawn = true;
                        }
                    }
                }
            }
        };
    for (place, subject, o) in part {
        let recorded = o.recorded();
        apply(&mut seen, monitor.advance_to(recorded), None);
        match monitor.observe(subject, o.clone()) {
            Ok(events) => apply(&mut seen, events, Some(recorded)),
            Err(e) => refuse(&mut out, (1, String::new(), place), e.to_string()),
        }
    }
    apply(&mut seen, monitor.advance_to(to), None);
    out.flags = seen.into_values().collect();
    out
}

fn summarise(rule: &Name, flags: &[Replayed], subject_months: f64) -> RuleSummary {
    let mine: Vec<&Replayed> = flags.iter().filter(|r| r.flag.rule == *rule).collect();
    let kept: Vec<&&Replayed> = mine.iter().filter(|r| !r.withdrawn).collect();
    let mut hours: Vec<f64> = kept
        .iter()
        .map(|r| (r.known - r.flag.window.opened_at).num_seconds() as f64 / 3600.0)
        .collect();
    hours.sort_by(f64::total_cmp);
    let pick = |q: f64| -> f64 {
        let i = ((hours.len() as f64 - 1.0) * q).round() as usize;
        hours.get(i).copied().unwrap_or(0.0)
    };
    let count = |s: Stage| kept.iter().filter(|r| r.stage_when_known == s).count();
    RuleSummary {
        rule: rule.clone(),
        standing: kept.len(),
        withdrawn: mine.len() - kept.len(),
        per_100_subject_months: if subject_months > 0.0 {
            kept.len() as f64 * 100.0 / subject_months
        } else {
            0.0
        },
        hours_to_known: (!hours.is_empty()).then(|| (pick(0.5), pick(0.9), pick(1.0))),
        known_within: hours.iter().fold([0; 4], |mut b, &h| {
            let i = match h {
                h if h <= 24.0 => 0,
                h if h <= 7.0 * 24.0 => 1,
                h if h <= 30.0 * 24.0 => 2,
                _ => 3,
            };
            if let Some(n) = b.get_mut(i) {
                *n += 1;
            }
            b
        }),
        stages: (
            count(Stage::Urgent),
            count(Stage::Open),
            count(Stage::Closed),
        ),
    }
}

/// A flag's identity across two rule sets: rule, subject, key and first evidence (the rule's
/// version is left out, so a bumped version still compares).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlagRef {
    /// The rule.
    pub rule: String,
    /// The subject.
    pub subject: String,
    /// The key (`by` value), as text; empty without one.
    pub key: String,
    /// The first evidence observation.
    pub first: String,
    /// When it was known (in the replay it comes from).
    pub known: String,
}

/// What changes from a baseline rule set to a new one ([`compare`]).
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Flags only the new rule set raises.
    pub appeared: Vec<FlagRef>,
    /// Flags only the baseline raises.
    pub disappeared: Vec<FlagRef>,
    /// Flags both raise, known at a different time (new known time in `FlagRef::known`,
    /// baseline's in the pair's second).
    pub moved: Vec<(FlagRef, String)>,
    /// Flags both raise at the same time.
    pub unchanged: usize,
}

impl Comparison {
    /// Rule ids with any change, with (appeared, disappeared, moved) counts.
    pub fn per_rule(&self) -> BTreeMap<&str, (usize, usize, usize)> {
        let mut out: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
        for f in &self.appeared {
            out.entry(f.rule.as_str()).or_default().0 += 1;
        }
        for f in &self.disappeared {
            out.entry(f.rule.as_str()).or_default().1 += 1;
        }
        for (f, _) in &self.moved {
            out.entry(f.rule.as_str()).or_default().2 += 1;
        }
        out
    }

    /// Subjects with any change, with (appeared, disappeared, moved) counts.
    pub fn per_subject(&self) -> BTreeMap<&str, (usize, usize, usize)> {
        let mut out: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
        for f in &self.appeared {
            out.entry(f.subject.as_str()).or_default().0 += 1;
        }
        for f in &self.disappeared {
            out.entry(f.subject.as_str()).or_default().1 += 1;
        }
        for (f, _) in &self.moved {
            out.entry(f.subject.as_str()).or_default().2 += 1;
        }
        out
    }
}

fn flag_ref(r: &Replayed) -> FlagRef {
    let f = &r.flag;
    FlagRef {
        rule: f.rule.to_string(),
        subject: f.subject.to_string(),
        key: f
            .key
            .iter()
            .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(","),
        first: f
            .evidence
            .iter()
            .min_by(|a, b| {
                a.at.cmp(&b.at)
                    .then_with(|| a.observation.cmp(&b.observation))
            })
            .map(|e| e.observation.to_string())
            .unwrap_or_default(),
        known: format_timestamp(&r.known),
    }
}

/// The flags (standing at the end of each replay) that a new rule set adds, removes or moves
/// compared with a baseline, matched by rule id, subject, key and first evidence.
pub fn compare(new: &Backtest, baseline: &Backtest) -> Comparison {
    let index = |b: &Backtest| -> BTreeMap<(String, String, String, String), FlagRef> {
        b.flags
            .iter()
            .filter(|r| !r.withdrawn)
            .map(flag_ref)
            .map(|f| {
                (
                    (
                        f.rule.clone(),
                        f.subject.clone(),
                        f.key.clone(),
                        f.first.clone(),
                    ),
                    f,
                )
            })
            .collect()
    };
    let (n, b) = (index(new), index(baseline));
    let mut out = Comparison::default();
    for (k, f) in &n {
        match b.get(k) {
            None => out.appeared.push(f.clone()),
            Some(old) if old.known != f.known => out.moved.push((f.clone(), old.known.clone())),
            Some(_) => out.unchanged += 1,
        }
    }
    out.disappeared = b
        .iter()
        .filter(|(k, _)| !n.contains_key(*k))
        .map(|(_, f)| f.clone())
        .collect();
    out
}

impl Backtest {
    /// The summary as JSON (`early-signal backtest --format json`).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "ruleset": self.ruleset,
            "from": format_timestamp(&self.from),
            "to": format_timestamp(&self.to),
            "subjects": self.subjects,
            "subject_months": self.subject_months,
            "records": self.records,
            "refused": self.refused_count,
            "refused_examples": self.refused,
            "rules": self.rules.iter().map(|r| json!({
                "rule": r.rule.as_str(),
                "standing": r.standing,
                "raised": r.standing + r.withdrawn,
                "withdrawn": r.withdrawn,
                "per_100_subject_months": r.per_100_subject_months,
                "hours_from_window_open_to_known": r.hours_to_known.map(|(m, p, x)| json!({
                    "median": m, "p90": p, "max": x,
                })),
                "known_after_window_opened": {
                    "within_1_day": r.known_within[0],
                    "within_7_days": r.known_within[1],
                    "within_30_days": r.known_within[2],
                    "later": r.known_within[3],
                },
                "known_while": {
                    "urgent": r.stages.0, "open": r.stages.1, "closed": r.stages.2,
                },
            })).collect::<Vec<_>>(),
        })
    }
}

impl Comparison {
    /// The comparison as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let refs = |v: &[FlagRef]| -> Vec<serde_json::Value> {
            v.iter()
                .map(|f| json!({"rule": f.rule, "subject": f.subject, "key": f.key, "first_evidence": f.first, "known": f.known}))
                .collect()
        };
        json!({
            "appeared": refs(&self.appeared),
            "disappeared": refs(&self.disappeared),
            "moved": self.moved.iter().map(|(f, old)| json!({
                "rule": f.rule, "subject": f.subject, "key": f.key, "first_evidence": f.first,
                "known": f.known, "baseline_known": old,
            })).collect::<Vec<_>>(),
            "unchanged": self.unchanged,
            "per_rule": self.per_rule().into_iter().map(|(r, (a, d, m))| (r.to_owned(), json!({"appeared": a, "disappeared": d, "moved": m}))).collect::<serde_json::Map<_, _>>(),
        })
    }
}
