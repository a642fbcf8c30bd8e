//! Why a rule did or did not fire for one subject: [`Engine::explain`].
//!
//! The firings come from the evaluator itself. Where the rule did not fire, the closest attempt
//! is found per pattern (the fullest window, the longest partial chain, the wait that was met),
//! and an observation that would complete it is built — from a similar observation of the
//! subject where there is one, else from the rule's predicates and the vocabulary — and then
//! *checked with the evaluator*: a suggestion is only given when adding it makes the rule fire.

use super::Engine;
use super::patterns::View;
use super::{RuleRun, Seen};
use crate::flag::{Flag, Key};
use crate::name::Name;
use crate::rule::{CmpOp, Field, FieldValue, Lit, Matcher, Pattern, Pred, Rule};
use crate::time::{Duration, Timestamp, format_timestamp, minus, plus};
use crate::timeline::{Observation, Subject, SubjectTimeline, Timeline, Value};
use crate::vocabulary::{ValueType, Vocabulary};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt;

/// What [`Engine::explain`] found for one rule and one subject at `as_of`.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The rule's id.
    pub rule: Name,
    /// Its title.
    pub title: String,
    /// Its pattern: `match`, `count`, `sequence`, `absence` or `signals`.
    pub pattern: &'static str,
    /// The subject.
    pub subject: Name,
    /// The evaluation time.
    pub as_of: Timestamp,
    /// The flags the rule raised for the subject, as [`Engine::evaluate`] gives them.
    pub flags: Vec<Flag>,
    /// Firings the rule's `cooldown` dropped (no flag), with their time and key.
    pub dropped: Vec<(Timestamp, Key)>,
    /// Observations of kinds the rule can use that an `unless` exception hides from it.
    pub hidden: Vec<Hidden>,
    /// Where the rule did not fire: the closest it came. When it fired for some `by` values
    /// (counterparts, say), the closest it came for the others ([`NearMiss::scope`]).
    pub near_miss: Option<NearMiss>,
    /// `absence` waits whose deadline is still ahead at `as_of`.
    pub pending: Vec<crate::report::Pending>,
    /// Observations of kinds the rule can use, counted at `as_of` and not hidden.
    pub seen: usize,
    /// The subject's observations that happened or were recorded after `as_of` (not counted).
    pub after_as_of: usize,
}

/// An observation an `unless` exception hides from the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Hidden {
    /// The observation's id.
    pub observation: Name,
    /// When it happened.
    pub at: Timestamp,
    /// Its kind.
    pub kind: Name,
    /// The exception's `reason`.
    pub reason: String,
}

/// The closest a rule came to firing, in plain language and as data.
#[derive(Debug, Clone)]
pub struct NearMiss {
    /// `None` when the rule did not fire at all; else which attempts this is about, e.g.
    /// "counterpart other than c-1".
    pub scope: Option<String>,
    /// What was there, e.g. "2 of 3 distinct counterparts within 7 days: c1 on 2 Mar 2026 10:00,
    /// c2 on 5 Mar 2026 09:00".
    pub closest: String,
    /// The ids of the observations that made up that closest attempt, in time order.
    pub evidence: Vec<Name>,
    /// What was missing, e.g. "a third before 9 Mar 2026 10:00 would have flagged".
    pub missing: String,
    /// Observations that would make the rule fire, checked with the evaluator; `None` when
    /// none could be built (the text still says what is missing).
    pub suggestion: Option<Suggestion>,
    /// Without a suggestion: conditions on the subject's profile (`subject.age`, facts) that do
    /// not hold at `as_of`, which no added observation can change, e.g. "subject.residence is
    /// `home`; the rule asks subject.residence matches `institution.*`".
    pub profile: Vec<String>,
}

/// Observations that, added to the subject's timeline, make the rule fire when evaluated at
/// `evaluate_at` (the later of `as_of` and the last of them; for a wait, its deadline).
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The observations to add (ids starting with `suggested-`; recorded when they happen).
    /// Empty when only time is missing (an `absence` deadline not reached yet).
    pub observations: Vec<Observation>,
    /// When the rule then fires, at the latest.
    pub evaluate_at: Timestamp,
}

/// Why [`Engine::explain`] could not explain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExplainError {
    /// No rule with this id in the rule set.
    #[error("no rule `{id}` in the rule set{hint}")]
    UnknownRule {
        /// The id asked for.
        id: String,
        /// A "did you mean" hint, or empty.
        hint: String,
    },
    /// No subject with this id in the timeline.
    #[error("no subject `{id}` in the input{hint}")]
    UnknownSubject {
        /// The id asked for.
        id: String,
        /// A "did you mean" hint, or empty.
        hint: String,
    },
}

impl Engine {
    /// Explains, for one rule and one subject of `timeline` at `as_of`, each firing and — where
    /// the rule did not fire — the closest it came, with observations that would have made it
    /// fire (checked with this evaluator).
    ///
    /// ```
    /// use early_signal::{Engine, RuleSet, Timeline};
    /// let engine = Engine::new(RuleSet::builtin());
    /// let mut timeline = Timeline::new();
    /// timeline.read_yaml("t.yaml", "
    /// subject: y-1
    /// observations:
    ///   - { id: a, at: 2026-03-02T22:00:00+01:00, kind: missing.episode }
    ///   - { id: b, at: 2026-03-09T23:00:00+01:00, kind: missing.episode }
    /// ")?;
    /// let why = engine.explain(&timeline, "repeated-missing", "y-1", "2026-03-10T00:00:00+01:00".parse()?)?;
    /// assert!(why.flags.is_empty());
    /// let miss = why.near_miss.as_ref().expect("a near miss");
    /// assert!(miss.closest.starts_with("2 of 3"), "{}", miss.closest);
    /// // A third episode within the month, checked with the evaluator:
    /// let suggestion = miss.suggestion.as_ref().expect("a suggestion");
    /// assert_eq!(suggestion.observations.len(), 1);
    /// println!("{why}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The rule or the subject is unknown.
    pub fn explain(
        &self,
        timeline: &Timeline,
        rule: &str,
        subject: &str,
        as_of: Timestamp,
    ) -> Result<Explanation, ExplainError> {
        let rules = self.rules.rules();
        let Some(r) = rules.iter().position(|x| x.id == rule) else {
            let ids: Vec<&str> = rules.iter().map(|x| x.id.as_str()).collect();
            return Err(ExplainError::UnknownRule {
                id: rule.to_owned(),
                hint: hint(rule, &ids),
            });
        };
        let Some(st) = timeline.subject(subject) else {
            let ids: Vec<&str> = timeline
                .subjects()
                .map(|s| s.subject().id.as_str())
                .collect();
            let mut hint = hint(subject, &ids);
            if hint.is_empty() {
                hint = match ids.len() {
                    0 => "; the input has no subjects".to_owned(),
                    1..=5 => format!("; the input has {}", crate::vocabulary::list(&ids)),
                    n => format!("; the input has {n} subjects"),
                };
            }
            return Err(ExplainError::UnknownSubject {
                id: subject.to_owned(),
                hint,
            });
        };
        let Some(rule) = rules.get(r) else {
            return Err(ExplainError::UnknownRule {
                id: rule.to_owned(),
                hint: String::new(),
            });
        };
        Ok(Why {
            engine: self,
            r,
            rule,
            st,
            as_of,
        }
        .explain())
    }
}

/// "; did you mean `x`?" for the closest of `known`, or empty.
/// `t` plus `n` minutes (`t` itself where that cannot be represented).
fn add_min(t: Timestamp, n: usize) -> Timestamp {
    i64::try_from(n)
        .ok()
        .and_then(|n| t.checked_add_signed(chrono::TimeDelta::minutes(n)))
        .unwrap_or(t)
}

/// "; did you mean `x`?" for the closest of `known`, or empty.
fn hint(asked: &str, known: &[&str]) -> String {
    crate::vocabulary::did_you_mean(asked, known.iter().copied())
}

/// The work of one explanation.
struct Why<'e> {
    engine: &'e Engine,
    r: usize,
    rule: &'e Rule,
    st: &'e SubjectTimeline,
    as_of: Timestamp,
}

impl<'e> Why<'e> {
    fn subject(&self) -> &'e Subject {
        self.st.subject()
    }

    fn vocabulary(&self) -> Option<&'e Vocabulary> {
        self.engine.rules.vocabulary()
    }

    /// The subject's observations that count at `at` and that the rule can use (before
    /// `unless`), in the total order, with `extra` added.
    fn counted<'a>(&'a self, extra: &'a [Observation], at: Timestamp) -> Vec<&'a Observation> {
        let mut obs = self.all_counted(extra, at);
        obs.retain(|o| self.engine.rule_sees(self.r, &o.kind));
        obs
    }

    fn hidden_by(&self, o: &Observation) -> Option<&'e str> {
        self.rule
            .unless
            .iter()
            .find(|u| u.pred.matches(o, self.subject()))
            .map(|u| u.reason.as_str())
    }

    fn first_contact<'a>(obs: &'a [&'a Observation]) -> impl Fn(&str) -> Option<Timestamp> + 'a {
        move |c: &str| {
            obs.iter()
                .find(|o| o.counterpart.as_deref() == Some(c))
                .map(|o| o.at)
        }
    }

    fn explain(&self) -> Explanation {
        let obs = self.counted(&[], self.as_of);
        // First contacts count every observation of the subject, as in batch evaluation.
        let all = self.all_counted(&[], self.as_of);
        let mut run = RuleRun::new(true);
        self.engine.run_rule(
            self.r,
            Seen::new(&obs),
            self.subject(),
            self.as_of,
            None,
            &Self::first_contact(&all),
            &mut run,
        );
        let dropped = run
            .records
            .iter()
            .filter(|f| !f.kept)
            .map(|f| (f.raised_at, f.key.clone()))
            .collect();
        let hidden: Vec<Hidden> = obs
            .iter()
            .filter_map(|o| {
                self.hidden_by(o).map(|reason| Hidden {
                    observation: o.id.clone(),
                    at: o.at,
                    kind: o.kind.clone(),
                    reason: reason.to_owned(),
                })
            })
            .collect();
        let view = View::new(
            obs.iter()
                .copied()
                .filter(|o| self.hidden_by(o).is_none())
                .collect::<Vec<_>>(),
            Vec::new(),
            Vec::new(),
            self.subject(),
        );
        let (mut flags, _, _) = run.take_found();
        crate::flag::sort_for_output(&mut flags);
        let mut near_miss = if flags.is_empty() {
            Some(self.near_miss(&view))
        } else {
            self.near_miss_for_other_keys(&view, &flags)
        };
        if let Some(m) = near_miss.as_mut()
            && m.suggestion.is_none()
        {
            m.profile = self.profile_blocks();
        }
        Explanation {
            rule: self.rule.id.clone(),
            title: self.rule.title.clone(),
            pattern: self.rule.pattern_name(),
            subject: self.subject().id.clone(),
            as_of: self.as_of,
            flags,
            dropped,
            hidden,
            near_miss,
            pending: run.pending,
            seen: view.obs.len(),
            after_as_of: self
                .st
                .observations()
                .iter()
                .filter(|o| o.at > self.as_of || o.recorded() > self.as_of)
                .count(),
        }
    }

    /// Every observation of the subject that counts at `at` (any kind), with `extra`. Records
    /// written after `as_of` are left out even when `at` is later: an explanation uses what was
    /// known at `as_of`, and what-ifs add only their own observations to it.
    fn all_counted<'a>(&'a self, extra: &'a [Observation], at: Timestamp) -> Vec<&'a Observation> {
        let vocab = self.vocabulary();
        let mut obs: Vec<&Observation> = self
            .st
            .observations()
            .iter()
            .filter(|o| o.recorded() <= self.as_of)
            .chain(extra)
            .filter(|o| o.at <= at && o.recorded() <= at)
            .filter(|o| vocab.is_none_or(|v| v.check_observation(o).is_ok()))
            .collect();
        obs.sort_by(|a, b| a.order_cmp(b));
        obs
    }

    /// Whether adding `extra` makes the rule raise a flag at `at` with one of them as evidence
    /// (or, with no extra, a flag at all).
    fn fires_with(&self, extra: &[Observation], at: Timestamp) -> bool {
        if let Some(v) = self.vocabulary()
            && extra.iter().any(|o| v.check_observation(o).is_err())
        {
            return false;
        }
        let obs = self.counted(extra, at);
        let all = self.all_counted(extra, at);
        let mut run = RuleRun::new(false);
        self.engine.run_rule(
            self.r,
            Seen::new(&obs),
            self.subject(),
            at,
            None,
            &Self::first_contact(&all),
            &mut run,
        );
        run.found().iter().any(|f| {
            extra.is_empty()
                || f.evidence
                    .iter()
                    .any(|e| extra.iter().any(|x| x.id == e.observation))
        })
    }

    /// A suggestion when `extra` (checked) makes the rule fire.
    fn checked(&self, extra: Vec<Observation>) -> Option<Suggestion> {
        let last = extra.iter().map(|o| o.at).max().unwrap_or(self.as_of);
        let at = last.max(self.as_of);
        self.fires_with(&extra, at).then_some(Suggestion {
            observations: extra,
            evaluate_at: at,
        })
    }

    /// The rule's tests on the subject's profile (age, facts) that fail at `as_of`.
    fn profile_blocks(&self) -> Vec<String> {
        let probe = Observation::new("probe", self.as_of, "probe");
        let mut out: Vec<String> = Vec::new();
        self.rule.for_each_pred(&mut |p| {
            p.for_each_test(&mut |field, m| {
                if !matches!(field, Field::Age | Field::Fact(_)) {
                    return;
                }
                let v = field.value(&probe, self.subject());
                if m.matches(v) {
                    return;
                }
                let has = match v {
                    Some(v) => format!("is {}", show(v)),
                    None => "is not known".to_owned(),
                };
                let line = format!(
                    "{field} {has} at {}; the rule asks {field} {}",
                    short(&self.as_of),
                    matcher_text(m)
                );
                if !out.contains(&line) {
                    out.push(line);
                }
            });
        });
        out
    }

    /// For a rule with `by` that fired for some values: the closest it came for the others.
    fn near_miss_for_other_keys(&self, view: &View<'_>, flags: &[Flag]) -> Option<NearMiss> {
        let by = match &self.rule.pattern {
            Pattern::Count { by: Some(f), .. }
            | Pattern::Sequence { by: Some(f), .. }
            | Pattern::Absence { by: Some(f), .. } => f,
            _ => return None,
        };
        let name = by.to_string();
        let flagged: Vec<&Value> = flags.iter().filter_map(|f| f.key.get(&name)).collect();
        let others = View::new(
            view.obs
                .iter()
                .copied()
                .filter(|o| {
                    by.value(o, view.subject)
                        .is_some_and(|v| !flagged.contains(&&v.to_value()))
                })
                .collect::<Vec<_>>(),
            Vec::new(),
            Vec::new(),
            view.subject,
        );
        if others.obs.is_empty() {
            return None;
        }
        let listed: Vec<String> = flagged.iter().map(|v| show_value(v)).collect();
        let mut miss = self.near_miss(&others);
        miss.scope = Some(format!("{by} other than {}", listed.join(", ")));
        Some(miss)
    }

    fn near_miss(&self, view: &View<'_>) -> NearMiss {
        match &self.rule.pattern {
            Pattern::Match(p) => self.near_match(view, p),
            Pattern::Count {
                pred,
                within,
                at_least,
                distinct,
                by,
            } => self.near_count(
                view,
                pred,
                *within,
                *at_least,
                distinct.as_ref(),
                by.as_ref(),
            ),
            Pattern::Sequence {
                within,
                by,
                steps,
                until,
            } => self.near_sequence(view, steps, *within, by.as_ref(), until.as_ref()),
            Pattern::Absence {
                after,
                expect,
                within,
                by,
            } => self.near_absence(view, after, expect, *within, by.as_ref()),
            Pattern::Signals {
                within,
                at_least,
                of,
            } => self.near_signals(view, of, *within, *at_least),
        }
    }

    /// "no observation where …", saying how many such observations an exception hid.
    fn none_where(&self, pred: &Pred) -> String {
        let hidden = self
            .st
            .observations()
            .iter()
            .filter(|o| o.at <= self.as_of && o.recorded() <= self.as_of)
            .filter(|o| pred.matches(o, self.subject()) && self.hidden_by(o).is_some())
            .count();
        match hidden {
            0 => format!("no observation where {}", pred_text(pred)),
            n => format!(
                "no observation where {} that no exception hides ({n} hidden)",
                pred_text(pred)
            ),
        }
    }

    /// A time after everything recorded for the subject and not before `as_of`'s last
    /// observation: where a suggestion that completes nothing earlier goes.
    fn fresh_time(&self, view: &View<'_>) -> Timestamp {
        view.obs.last().map_or(self.as_of, |o| add_min(o.at, 1))
    }

    fn near_match(&self, view: &View<'_>, pred: &Pred) -> NearMiss {
        let closest = match closest_to(view, pred) {
            Some((o, failing)) => format!(
                "no observation matched; the closest, {}, fails: {}",
                describe(o),
                failing.join("; ")
            ),
            None => format!(
                "no observation of a kind the rule can use ({} counted at {})",
                view.obs.len(),
                short(&self.as_of)
            ),
        };
        let at = self.fresh_time(view);
        let suggestion = self
            .build(pred, at, 1, &[], None)
            .and_then(|o| self.checked(vec![o]));
        NearMiss {
            scope: None,
            profile: Vec::new(),
            closest,
            evidence: Vec::new(),
            missing: format!(
                "an observation where {} would have flagged",
                pred_text(pred)
            ),
            suggestion,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn near_count(
        &self,
        view: &View<'_>,
        pred: &Pred,
        within: Duration,
        at_least: usize,
        distinct: Option<&Field>,
        by: Option<&Field>,
    ) -> NearMiss {
        let subject = view.subject;
        let matching: Vec<&Observation> = view
            .obs
            .iter()
            .copied()
            .filter(|o| pred.matches(o, subject))
            .filter(|o| by.is_none_or(|f| f.value(o, subject).is_some()))
            .collect();
        let what = match distinct {
            Some(f) => format!("distinct {}", plural_field(f)),
            None => "matching observations".to_owned(),
        };
        // The fullest window ending at a matching observation (the latest on a tie).
        let mut best: Vec<&Observation> = Vec::new();
        for (i, o) in matching.iter().enumerate() {
            let key = by.and_then(|f| f.value(o, subject));
            let start = minus(o.at, within);
            let mut window: Vec<&Observation> = Vec::new();
            let mut values: Vec<FieldValue<'_>> = Vec::new();
            for x in matching.get(..=i).unwrap_or_default() {
                if x.at < start || by.is_some_and(|f| f.value(x, subject) != key) {
                    continue;
                }
                match distinct {
                    Some(f) => {
                        if let Some(v) = f.value(x, subject)
                            && !values.contains(&v)
                        {
                            values.push(v);
                            window.push(x);
                        }
                    }
                    None => window.push(x),
                }
            }
            if window.len() >= best.len() {
                best = window;
            }
        }
        let k = best.len();
        let need = at_least.saturating_sub(k);
        let within_words = within.words();
        if k == 0 {
            let at = self.fresh_time(view);
            // The first one decides the `by` value (made up when it has none); the rest follow.
            let extra = (at_least <= Self::MAX_SUGGESTED)
                .then(|| self.build(pred, at, 1, &[], None))
                .flatten()
                .and_then(|mut first| {
                    let key = match by {
                        Some(f) => {
                            if f.value(&first, subject).is_none() {
                                let v = self.fresh_value(f, &first, &[], 1)?;
                                set_field(&mut first, f, v);
                            }
                            Some((f, f.value(&first, subject)?.to_value()))
                        }
                        None => None,
                    };
                    self.build_many(
                        pred,
                        at,
                        at_least,
                        distinct,
                        &[],
                        key.as_ref(),
                        Some(&first),
                    )
                });
            return NearMiss {
                scope: None,
                profile: Vec::new(),
                closest: self.none_where(pred),
                evidence: Vec::new(),
                missing: format!("{at_least} {what} within {within_words} would have flagged"),
                suggestion: extra.and_then(|e| self.checked(e)),
            };
        }
        let earliest = best.first().map_or(self.as_of, |o| o.at);
        // The window stays this full until the first of the values it holds was last seen
        // `within` ago (without `distinct`: until the oldest of the latest `k` observations).
        let group_key = by.and_then(|f| best.first().and_then(|o| f.value(o, subject)));
        let in_group: Vec<&Observation> = matching
            .iter()
            .copied()
            .filter(|o| by.is_none_or(|f| f.value(o, subject) == group_key))
            .collect();
        let last_seen = match distinct {
            Some(f) => best
                .iter()
                .filter_map(|b| {
                    let v = f.value(b, subject);
                    in_group
                        .iter()
                        .filter(|o| f.value(o, subject) == v)
                        .map(|o| o.at)
                        .max()
                })
                .min(),
            None => in_group
                .len()
                .checked_sub(k)
                .and_then(|i| in_group.get(i))
                .map(|o| o.at),
        };
        let deadline = plus(last_seen.unwrap_or(earliest), within);
        let listed: Vec<String> = best
            .iter()
            .map(|o| match distinct.and_then(|f| f.value(o, subject)) {
                Some(v) => format!("{} on {}", show(v), short(&o.at)),
                None => format!("{} on {}", o.id, short(&o.at)),
            })
            .collect();
        let key_text = by
            .and_then(|f| {
                best.first()
                    .and_then(|o| f.value(o, subject))
                    .map(|v| (f, v))
            })
            .map(|(f, v)| format!(" with {f} {}", show(v)))
            .unwrap_or_default();
        let missing = if need == 0 {
            "the count was reached but no flag was kept (see the cooldown)".to_owned()
        } else if need == 1 {
            format!(
                "{} {} at or before {} would have flagged",
                article_ordinal(at_least),
                singular(&what),
                short(&deadline)
            )
        } else {
            format!(
                "{need} more at or before {} would have flagged",
                short(&deadline)
            )
        };
        let key = by.and_then(|f| {
            best.first()
                .and_then(|o| f.value(o, subject))
                .map(|v| (f, v.to_value()))
        });
        let template = best.last().copied();
        let extra = (need > 0 && need <= Self::MAX_SUGGESTED)
            .then(|| {
                let last = template.map_or(earliest, |o| o.at);
                let at = add_min(last, 1).min(deadline);
                let taken: Vec<FieldValue<'_>> = best
                    .iter()
                    .filter_map(|o| distinct.and_then(|f| f.value(o, subject)))
                    .collect();
                self.build_many(pred, at, need, distinct, &taken, key.as_ref(), template)
            })
            .flatten();
        // Observations in that window with another value that the rule does not count, and why.
        let mut not_counted = String::new();
        if let Some(f) = distinct {
            let taken: Vec<FieldValue<'_>> =
                best.iter().filter_map(|o| f.value(o, subject)).collect();
            let start = minus(earliest, within);
            let mut others: Vec<&Observation> = self
                .st
                .observations()
                .iter()
                .filter(|o| o.at >= start && o.at <= deadline)
                .filter(|o| o.at <= self.as_of && o.recorded() <= self.as_of)
                .filter(|o| f.value(o, subject).is_some_and(|v| !taken.contains(&v)))
                .filter(|o| !pred.matches(o, subject) || self.hidden_by(o).is_some())
                .collect();
            // The nearest first: hidden ones, then those failing the fewest tests.
            others.sort_by_key(|o| {
                (
                    self.hidden_by(o).is_none(),
                    failing(pred, o, subject).len(),
                    o.at,
                )
            });
            let more = others.len().saturating_sub(3);
            let mut others: Vec<String> = others
                .into_iter()
                .take(3)
                .map(|o| match self.hidden_by(o) {
                    Some(reason) => format!(
                        "{} (hidden by an exception: {})",
                        describe(o),
                        reason.trim()
                    ),
                    None => format!("{} ({})", describe(o), self.why_not(pred, o)),
                })
                .collect();
            if more > 0 {
                others.push(format!("and {more} more"));
            }
            if !others.is_empty() {
                not_counted = format!("; in that period but not counted: {}", others.join(", "));
            }
        }
        NearMiss {
            scope: None,
            profile: Vec::new(),
            closest: format!(
                "{k} of {at_least} {what} within {within_words}{key_text}: {}{not_counted}",
                listed.join(", ")
            ),
            evidence: best.iter().map(|o| o.id.clone()).collect(),
            missing,
            suggestion: extra.and_then(|e| self.checked(e)),
        }
    }

    fn near_sequence(
        &self,
        view: &View<'_>,
        steps: &[Pred],
        within: Duration,
        by: Option<&Field>,
        until: Option<&Pred>,
    ) -> NearMiss {
        let subject = view.subject;
        let n = view.obs.len();
        // The longest chain from each first step (greedy, earliest first, as the evaluator),
        // and any `until` after its first step within the window.
        let mut best: (Vec<usize>, Option<usize>) = (Vec::new(), None);
        let first = steps.first();
        for j in (0..n)
            .filter(|&j| first.is_some_and(|p| view.get(j).is_some_and(|o| p.matches(o, subject))))
        {
            let Some(oj) = view.get(j) else { continue };
            let key = by.and_then(|f| f.value(oj, subject));
            if by.is_some() && key.is_none() {
                continue;
            }
            let end = plus(oj.at, within);
            let same = |o: &Observation| by.is_none_or(|f| f.value(o, subject) == key);
            let mut chain = vec![j];
            let mut prev = j;
            for step in steps.iter().skip(1) {
                let next = (prev + 1..n).find(|&i| {
                    view.get(i)
                        .is_some_and(|o| o.at <= end && same(o) && step.matches(o, subject))
                });
                match next {
                    Some(i) => {
                        chain.push(i);
                        prev = i;
                    }
                    None => break,
                }
            }
            let last = chain.last().copied().unwrap_or(j);
            let cancel = until.and_then(|u| {
                (j + 1..n).find(|&i| {
                    view.get(i).is_some_and(|o| {
                        o.at <= end
                            && u.matches(o, subject)
                            && (i < last || chain.len() < steps.len())
                    })
                })
            });
            if chain.len() >= best.0.len() {
                best = (chain, cancel);
            }
        }
        let (chain, cancel) = best;
        let within_words = within.words();
        let chain_obs: Vec<&Observation> = chain.iter().filter_map(|&i| view.get(i)).collect();
        let key = by.and_then(|f| {
            chain_obs
                .first()
                .and_then(|o| f.value(o, subject))
                .map(|v| (f, v.to_value()))
        });
        let key_text = key
            .as_ref()
            .map(|(f, v)| format!(" with {f} {}", show_value(v)))
            .unwrap_or_default();
        let done = chain.len();
        let closest = if done == 0 {
            format!(
                "step 1 never matched: {}",
                first.map(|p| self.none_where(p)).unwrap_or_default()
            )
        } else {
            let listed: Vec<String> = chain_obs
                .iter()
                .enumerate()
                .map(|(s, o)| format!("step {}: {}", s + 1, describe(o)))
                .collect();
            let mut text = listed.join("; ");
            if let Some(next) = steps.get(done) {
                let from = chain_obs.first().map_or(self.as_of, |o| o.at);
                text.push_str(&format!(
                    "; step {} never matched: no observation where {}{key_text} within {within_words} of {}",
                    done + 1,
                    pred_text(next),
                    short(&from)
                ));
            }
            if let Some(c) = cancel.and_then(|i| view.get(i)) {
                text.push_str(&format!(
                    "; cancelled by {} (`until`: it lies between the first and the last step)",
                    describe(c)
                ));
            }
            text
        };
        // Complete the chain: the missing steps one minute apart after its last observation. A
        // complete chain that did not fire is built again after whatever stopped it.
        let complete = done >= steps.len();
        let cancelled_at = cancel.and_then(|i| view.get(i)).map(|o| o.at);
        let start = match (complete, chain_obs.last()) {
            (true, _) => add_min(
                cancelled_at.map_or(self.fresh_time(view), |t| t.max(self.fresh_time(view))),
                1,
            ),
            (false, Some(o)) => add_min(o.at, 1),
            (false, None) => self.fresh_time(view),
        };
        let from_step = if complete { 0 } else { done };
        let mut extra = Vec::new();
        let mut ok = true;
        let mut key = key;
        for (s, step) in steps.iter().enumerate().skip(from_step) {
            let at = add_min(start, s - from_step);
            match self.build(
                step,
                at,
                extra.len() + 1,
                &extra,
                key.as_ref().map(|(f, v)| (*f, v)),
            ) {
                Some(mut o) => {
                    // A chain built from its first step keeps that step's `by` value (one is
                    // made up when the step has none).
                    if key.is_none()
                        && let Some(f) = by
                    {
                        if f.value(&o, subject).is_none()
                            && let Some(v) = self.fresh_value(f, &o, &[], 1)
                        {
                            set_field(&mut o, f, v);
                        }
                        key = f.value(&o, subject).map(|v| (f, v.to_value()));
                    }
                    extra.push(o);
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        let deadline = chain_obs.first().map(|o| plus(o.at, within));
        let missing = match (done, deadline) {
            (0, _) => format!(
                "all {} steps{key_text} within {within_words} would have flagged",
                steps.len()
            ),
            (d, _) if d >= steps.len() && cancel.is_some() => {
                "the chain was complete, but an `until` observation between its ends cancels it; a chain after it would have flagged".to_owned()
            }
            (d, _) if d >= steps.len() => {
                "the chain was complete, but its first step was already used by an earlier flag (each first step flags once); a new chain would have flagged".to_owned()
            }
            (d, Some(deadline)) => format!(
                "step{} {}{key_text} at or before {} would have flagged",
                if steps.len() - d > 1 { "s" } else { "" },
                (d + 1..=steps.len())
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                short(&deadline)
            ),
            (_, None) => String::new(),
        };
        NearMiss {
            scope: None,
            profile: Vec::new(),
            closest,
            evidence: chain_obs.iter().map(|o| o.id.clone()).collect(),
            missing,
            suggestion: (ok && !extra.is_empty())
                .then(|| self.checked(extra))
                .flatten(),
        }
    }

    fn near_absence(
        &self,
        view: &View<'_>,
        after: &Pred,
        expect: &Pred,
        within: Duration,
        by: Option<&Field>,
    ) -> NearMiss {
        let subject = view.subject;
        let within_words = within.words();
        let n = view.obs.len();
        let last_after = (0..n).rev().find(|&a| {
            view.get(a).is_some_and(|o| {
                after.matches(o, subject) && by.is_none_or(|f| f.value(o, subject).is_some())
            })
        });
        let Some(a) = last_after.and_then(|a| view.get(a).map(|o| (a, o))) else {
            let at = self.fresh_time(view);
            // Checked at the time the suggestion gives: by then more may be recorded (an
            // `expect` entered late), which a check at the deadline alone would miss.
            let suggestion = self.build(after, at, 1, &[], None).and_then(|o| {
                let evaluate_at = plus(o.at, within).max(self.as_of);
                let extra = vec![o];
                self.fires_with(&extra, evaluate_at).then_some(Suggestion {
                    observations: extra,
                    evaluate_at,
                })
            });
            return NearMiss {
                scope: None,
                profile: Vec::new(),
                closest: format!("nothing to wait after: {}", self.none_where(after)),
                evidence: Vec::new(),
                missing: format!(
                    "an observation where {} and then none where {} within {within_words} would have flagged",
                    pred_text(after),
                    pred_text(expect)
                ),
                suggestion,
            };
        };
        let (a, oa) = a;
        let key = by.and_then(|f| f.value(oa, subject));
        let deadline = plus(oa.at, within);
        let met = (a + 1..n).filter_map(|e| view.get(e)).find(|o| {
            o.at <= deadline
                && expect.matches(o, subject)
                && by.is_none_or(|f| f.value(o, subject) == key)
        });
        match met {
            None => NearMiss {
                scope: None,
                profile: Vec::new(),
                closest: format!(
                    "waiting since {}: nothing where {} yet",
                    describe(oa),
                    pred_text(expect)
                ),
                evidence: vec![oa.id.clone()],
                missing: format!(
                    "the deadline {} is not reached at {}; it flags then unless such an observation comes",
                    short(&deadline),
                    short(&self.as_of)
                ),
                suggestion: self.fires_with(&[], deadline).then_some(Suggestion {
                    observations: Vec::new(),
                    evaluate_at: deadline,
                }),
            },
            Some(oe) => {
                let at = self.fresh_time(view).max(add_min(oe.at, 1));
                let key_value = by.zip(key).map(|(f, v)| (f, v.to_value()));
                let suggestion = self
                    .build(after, at, 1, &[], key_value.as_ref().map(|(f, v)| (*f, v)))
                    .and_then(|o| {
                        let evaluate_at = plus(o.at, within).max(self.as_of);
                        let extra = vec![o];
                        self.fires_with(&extra, evaluate_at).then_some(Suggestion {
                            observations: extra,
                            evaluate_at,
                        })
                    });
                NearMiss {
                    scope: None,
                    profile: Vec::new(),
                    closest: format!(
                        "the wait after {} was met by {} within {within_words}",
                        describe(oa),
                        describe(oe)
                    ),
                    evidence: vec![oa.id.clone(), oe.id.clone()],
                    missing: format!(
                        "no observation where {} within {within_words} after it would have flagged",
                        pred_text(expect)
                    ),
                    suggestion,
                }
            }
        }
    }

    fn near_signals(
        &self,
        view: &View<'_>,
        of: &[(Name, Pred)],
        within: Duration,
        at_least: usize,
    ) -> NearMiss {
        let subject = view.subject;
        let hits = |o: &Observation| -> Vec<usize> {
            of.iter()
                .enumerate()
                .filter(|(_, (_, p))| p.matches(o, subject))
                .map(|(n, _)| n)
                .collect()
        };
        // The window with the most different indicators (the latest on a tie).
        let mut best: (BTreeMap<usize, &Observation>, Timestamp) = (BTreeMap::new(), self.as_of);
        for (i, o) in view.obs.iter().enumerate() {
            if hits(o).is_empty() {
                continue;
            }
            let start = minus(o.at, within);
            let mut present: BTreeMap<usize, &Observation> = BTreeMap::new();
            for x in view.obs.get(..=i).unwrap_or_default() {
                if x.at >= start {
                    for n in hits(x) {
                        present.entry(n).or_insert(x);
                    }
                }
            }
            if present.len() >= best.0.len() {
                let earliest = present.values().map(|o| o.at).min().unwrap_or(o.at);
                best = (present, earliest);
            }
        }
        let (present, earliest) = best;
        let k = present.len();
        let need = at_least.saturating_sub(k);
        // The indicators stay inside the window until the first of them was last seen `within` ago.
        let last_seen = present
            .keys()
            .filter_map(|&n| {
                view.obs
                    .iter()
                    .filter(|o| hits(o).contains(&n))
                    .map(|o| o.at)
                    .max()
            })
            .min();
        let deadline = plus(last_seen.unwrap_or(earliest), within);
        let absent: Vec<usize> = (0..of.len()).filter(|n| !present.contains_key(n)).collect();
        let name = |n: usize| of.get(n).map(|(x, _)| x.to_string()).unwrap_or_default();
        let listed: Vec<String> = present
            .iter()
            .map(|(&n, o)| format!("{} ({} on {})", name(n), o.id, short(&o.at)))
            .collect();
        let closest = format!(
            "{k} of {at_least} indicators within {}{}{}; not seen: {}",
            within.words(),
            if k > 0 { ": " } else { "" },
            listed.join(", "),
            absent
                .iter()
                .map(|&n| name(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let missing = if k == 0 {
            format!(
                "{at_least} of them within {} would have flagged",
                within.words()
            )
        } else {
            format!(
                "{} of the ones not seen at or before {} would have flagged",
                if need == 1 {
                    "any one".to_owned()
                } else {
                    format!("any {need}")
                },
                short(&deadline)
            )
        };
        // Try the missing indicators in order until enough observations are built.
        let start = match present.values().map(|o| o.at).max() {
            Some(t) => add_min(t, 1).min(deadline),
            None => self.fresh_time(view),
        };
        let mut extra: Vec<Observation> = Vec::new();
        for &n in &absent {
            if extra.len() >= need {
                break;
            }
            let at = add_min(start, extra.len());
            if let Some((_, p)) = of.get(n)
                && let Some(o) = self.build(p, at, extra.len() + 1, &extra, None)
            {
                extra.push(o);
            }
        }
        NearMiss {
            scope: None,
            profile: Vec::new(),
            closest,
            evidence: present.values().map(|o| o.id.clone()).collect(),
            missing,
            suggestion: (need > 0 && extra.len() >= need)
                .then(|| self.checked(extra))
                .flatten(),
        }
    }

    /// Why `pred` does not hold for `o`, short: the failing tests when they read briefly, else
    /// whether its kind is one the rule counts at all.
    fn why_not(&self, pred: &Pred, o: &Observation) -> String {
        let tests = failing(pred, o, self.subject()).join("; ");
        if tests.chars().count() <= 120 {
            return format!("fails: {tests}");
        }
        let declared: Option<Vec<&str>> = self
            .vocabulary()
            .map(|v| v.kinds().keys().map(String::as_str).collect());
        match pred.kinds(declared.as_deref()) {
            Some(kinds) if !kinds.contains(o.kind.as_str()) => {
                format!("the rule does not count kind `{}`", o.kind)
            }
            _ => "the rule's condition does not hold for it".to_owned(),
        }
    }

    /// The most observations a suggestion adds; a rule that needs more gets the text only.
    const MAX_SUGGESTED: usize = 20;

    /// `n` observations matching `pred` one minute apart from `at`, with `distinct` values
    /// other than `taken` and the `by` key, copied from `template` where it fits.
    #[allow(clippy::too_many_arguments)]
    fn build_many(
        &self,
        pred: &Pred,
        at: Timestamp,
        n: usize,
        distinct: Option<&Field>,
        taken: &[FieldValue<'_>],
        key: Option<&(&Field, Value)>,
        template: Option<&Observation>,
    ) -> Option<Vec<Observation>> {
        let mut out: Vec<Observation> = Vec::new();
        let mut used: Vec<Value> = taken.iter().map(|v| v.to_value()).collect();
        for i in 0..n {
            let t = add_min(at, i);
            let mut o = match template {
                Some(tpl) => self.copy(tpl, t, i + 1, &out),
                None => self.build(pred, t, i + 1, &out, key.map(|(f, v)| (*f, v)))?,
            };
            if let Some((f, v)) = key {
                set_field(&mut o, f, v.clone());
            }
            if let Some(f) = distinct {
                let v = self.fresh_value(f, &o, &used, i + 1)?;
                set_field(&mut o, f, v.clone());
                used.push(v);
            }
            if !pred.matches(&o, self.subject()) || self.hidden_by(&o).is_some() {
                // The template does not fit at this time (an age, a fact): build from the rule.
                let mut built = self.build(pred, t, i + 1, &out, key.map(|(f, v)| (*f, v)))?;
                if let Some(f) = distinct {
                    let v = self.fresh_value(f, &built, &used, i + 1)?;
                    set_field(&mut built, f, v.clone());
                    used.push(v);
                }
                o = built;
            }
            out.push(o);
        }
        Some(out)
    }

    /// A copy of `tpl` at `at` under a new id.
    fn copy(
        &self,
        tpl: &Observation,
        at: Timestamp,
        n: usize,
        taken: &[Observation],
    ) -> Observation {
        let mut o = tpl.clone();
        o.id = self.new_id(n, taken).into();
        o.at = at;
        o.recorded_at = None;
        o
    }

    /// An id no observation of the subject (or of `taken`) has.
    fn new_id(&self, n: usize, taken: &[Observation]) -> String {
        let exists = |id: &str| {
            self.st.observations().iter().any(|o| o.id == id) || taken.iter().any(|o| o.id == id)
        };
        let mut i = n;
        loop {
            let id = format!("suggested-{i}");
            if !exists(&id) {
                return id;
            }
            i += 1;
        }
    }

    /// A value of `field` for `o` that is none of `used` and fits the vocabulary.
    fn fresh_value(
        &self,
        field: &Field,
        o: &Observation,
        used: &[Value],
        n: usize,
    ) -> Option<Value> {
        let candidates: Vec<Value> = match field {
            Field::Counterpart => (n..n + 50)
                .map(|i| Value::from(format!("suggested-contact-{i}")))
                .collect(),
            Field::Kind | Field::Channel | Field::Source => {
                self.names_for(field).into_iter().map(Value::from).collect()
            }
            Field::Attribute(a) => self.values_for(a),
            Field::Age | Field::Fact(_) => Vec::new(),
        };
        candidates.into_iter().find(|v| {
            !used.contains(v) && {
                let mut x = o.clone();
                set_field(&mut x, field, v.clone());
                self.vocabulary()
                    .is_none_or(|voc| voc.check_observation(&x).is_ok())
            }
        })
    }

    /// Declared kinds, channels or sources.
    fn names_for(&self, field: &Field) -> Vec<String> {
        let Some(v) = self.vocabulary() else {
            return Vec::new();
        };
        match field {
            Field::Kind => v.kinds().keys().cloned().collect(),
            Field::Channel => v.channels().iter().cloned().collect(),
            Field::Source => v.sources().iter().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// Candidate values for attribute `a`, from its declared type.
    fn values_for(&self, a: &str) -> Vec<Value> {
        match self.vocabulary().and_then(|v| v.attribute_type(a)) {
            Some(ValueType::Values(vs)) => vs.iter().map(|v| Value::from(v.as_str())).collect(),
            Some(ValueType::Bool) => vec![Value::Bool(true), Value::Bool(false)],
            Some(ValueType::Number) => (0..50).map(|i| Value::Number(f64::from(i))).collect(),
            Some(ValueType::String) | None => {
                (1..50).map(|i| Value::from(format!("value-{i}"))).collect()
            }
        }
    }

    /// One observation at `at` for which `pred` holds, not hidden by an exception, that the
    /// vocabulary accepts, with the `by` key when given: copied from the latest such observation
    /// of the subject, else built from the predicate.
    fn build(
        &self,
        pred: &Pred,
        at: Timestamp,
        n: usize,
        taken: &[Observation],
        key: Option<(&Field, &Value)>,
    ) -> Option<Observation> {
        let subject = self.subject();
        let fits = |o: &Observation| {
            pred.matches(o, subject)
                && self.hidden_by(o).is_none()
                && self
                    .vocabulary()
                    .is_none_or(|v| v.check_observation(o).is_ok())
        };
        let with_key = |mut o: Observation| {
            if let Some((f, v)) = key {
                set_field(&mut o, f, v.clone());
            }
            o
        };
        let mut templates: Vec<&Observation> = self.st.observations().iter().collect();
        templates.sort_by(|a, b| b.order_cmp(a));
        for tpl in templates {
            let o = with_key(self.copy(tpl, at, n, taken));
            if fits(&o) {
                return Some(o);
            }
        }
        let id = self.new_id(n, taken);
        for o in self.solve(pred, id, at) {
            let o = with_key(o);
            if fits(&o) {
                return Some(o);
            }
        }
        None
    }

    /// Candidate observations for `pred` built from its tests: a kind it names (or any declared
    /// one), then each test of an `all` satisfied in turn; `any` tries its branches.
    fn solve(&self, pred: &Pred, id: String, at: Timestamp) -> Vec<Observation> {
        let declared: Option<Vec<&str>> = self
            .vocabulary()
            .map(|v| v.kinds().keys().map(String::as_str).collect());
        let kinds: Vec<String> = match pred.kinds(declared.as_deref()) {
            Some(k) => k.into_iter().collect(),
            None => self.names_for(&Field::Kind),
        };
        let mut out = Vec::new();
        for kind in kinds.into_iter().take(40) {
            let kind = match self.vocabulary() {
                Some(v) => v.name(&kind),
                None => Name::from(kind.as_str()),
            };
            let base = Observation::new(id.clone(), at, kind);
            for o in self.satisfy(pred, base) {
                if out.len() < 200 {
                    out.push(o);
                }
            }
        }
        out
    }

    /// Ways to make `pred` hold by setting fields of `o` (a few alternatives, not all).
    fn satisfy(&self, pred: &Pred, o: Observation) -> Vec<Observation> {
        match pred {
            Pred::All(ps) => {
                let mut current = vec![o];
                for p in ps {
                    let mut next = Vec::new();
                    for c in current {
                        next.extend(self.satisfy(p, c));
                        if next.len() > 8 {
                            break;
                        }
                    }
                    current = next;
                }
                current
            }
            Pred::Any(ps) => ps
                .iter()
                .flat_map(|p| self.satisfy(p, o.clone()))
                .take(8)
                .collect(),
            // A negation is left as it is: the final check decides.
            Pred::Not(_) => vec![o],
            Pred::Test(field, m) => {
                if m.matches(field.value(&o, self.subject())) {
                    return vec![o];
                }
                self.values_matching(field, m)
                    .into_iter()
                    .take(4)
                    .map(|v| {
                        let mut x = o.clone();
                        set_field(&mut x, field, v);
                        x
                    })
                    .collect()
            }
        }
    }

    /// Values of `field` that `m` accepts (a few).
    fn values_matching(&self, field: &Field, m: &Matcher) -> Vec<Value> {
        let mut candidates: Vec<Value> = literal_values(m);
        match field {
            Field::Kind | Field::Channel | Field::Source => {
                candidates.extend(self.names_for(field).into_iter().map(Value::from))
            }
            Field::Counterpart => candidates.push(Value::from("suggested-contact")),
            Field::Attribute(a) => candidates.extend(self.values_for(a)),
            Field::Age | Field::Fact(_) => return Vec::new(),
        }
        candidates
            .into_iter()
            .filter(|v| m.matches(Some(borrow(v))))
            .collect()
    }
}

fn borrow(v: &Value) -> FieldValue<'_> {
    match v {
        Value::String(s) => FieldValue::Str(s),
        Value::Number(n) => FieldValue::Num(*n),
        Value::Bool(b) => FieldValue::Bool(*b),
    }
}

/// Literal values a matcher names, and numbers on either side of its comparisons.
fn literal_values(m: &Matcher) -> Vec<Value> {
    match m {
        Matcher::Eq(Lit::Str(s)) => vec![Value::from(s.as_str())],
        Matcher::Eq(Lit::Num(n)) => vec![Value::Number(*n)],
        Matcher::Eq(Lit::Bool(b)) => vec![Value::Bool(*b)],
        Matcher::Glob(p) => vec![Value::from(p.replace('*', "x"))],
        Matcher::AnyOf(ms) | Matcher::All(ms) => ms.iter().flat_map(literal_values).collect(),
        Matcher::Cmp(op, x) => {
            let v = match op {
                CmpOp::Gt => x.floor() + 1.0,
                CmpOp::Gte => *x,
                CmpOp::Lt => x.ceil() - 1.0,
                CmpOp::Lte => *x,
            };
            vec![Value::Number(v)]
        }
        Matcher::Exists(_) | Matcher::Not(_) => Vec::new(),
    }
}

/// Sets an observation's field (subject fields cannot be set).
fn set_field(o: &mut Observation, field: &Field, v: Value) {
    let text = |v: Value| match v {
        Value::String(s) => s.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
    };
    match field {
        Field::Kind => o.kind = Name::from(text(v).as_str()),
        Field::Channel => o.channel = Some(Name::from(text(v).as_str())),
        Field::Source => o.source = Some(Name::from(text(v).as_str())),
        Field::Counterpart => o.counterpart = Some(Name::from(text(v))),
        Field::Attribute(a) => {
            o.attributes.insert(Name::from(a.as_str()), v);
        }
        Field::Age | Field::Fact(_) => {}
    }
}

/// The tests of `pred`'s top-level `all` that `o` fails, in words.
fn failing(pred: &Pred, o: &Observation, subject: &Subject) -> Vec<String> {
    let parts: Vec<&Pred> = match pred {
        Pred::All(ps) => ps.iter().collect(),
        p => vec![p],
    };
    parts
        .into_iter()
        .filter(|p| !p.matches(o, subject))
        .map(pred_text)
        .collect()
}

/// The observation of `view` that satisfies the most tests of `pred`'s top-level `all`, with the
/// tests it fails.
fn closest_to<'a>(view: &View<'a>, pred: &Pred) -> Option<(&'a Observation, Vec<String>)> {
    let parts: Vec<&Pred> = match pred {
        Pred::All(ps) => ps.iter().collect(),
        p => vec![p],
    };
    view.obs
        .iter()
        .map(|o| {
            let failing: Vec<String> = parts
                .iter()
                .filter(|p| !p.matches(o, view.subject))
                .map(|p| pred_text(p))
                .collect();
            (*o, failing)
        })
        .min_by_key(|(_, f)| f.len())
}

/// A predicate in words, e.g. "kind is `contact.new` and channel matches `online.*`".
pub(crate) fn pred_text(p: &Pred) -> String {
    // Inside an `any`, an `all` of several tests is bracketed so the grouping stays visible.
    let part = |q: &Pred| match q {
        Pred::All(qs) if qs.len() > 1 => format!("({})", pred_text(q)),
        _ => pred_text(q),
    };
    match p {
        Pred::All(ps) => ps.iter().map(pred_text).collect::<Vec<_>>().join(" and "),
        Pred::Any(ps) => format!("({})", ps.iter().map(part).collect::<Vec<_>>().join(" or ")),
        Pred::Not(p) => format!("not ({})", pred_text(p)),
        Pred::Test(f, m) => format!("{f} {}", matcher_text(m)),
    }
}

fn matcher_text(m: &Matcher) -> String {
    match m {
        Matcher::Eq(l) => format!("is {}", lit_text(l)),
        Matcher::Glob(g) => format!("matches `{g}`"),
        Matcher::AnyOf(ms) => {
            let all_eq: Option<Vec<String>> = ms
                .iter()
                .map(|m| match m {
                    Matcher::Eq(l) => Some(lit_text(l)),
                    Matcher::Glob(g) => Some(format!("`{g}`")),
                    _ => None,
                })
                .collect();
            match all_eq {
                Some(v) => format!("is one of {}", v.join(", ")),
                None => format!(
                    "({})",
                    ms.iter().map(matcher_text).collect::<Vec<_>>().join(" or ")
                ),
            }
        }
        Matcher::All(ms) => ms
            .iter()
            .map(matcher_text)
            .collect::<Vec<_>>()
            .join(" and "),
        Matcher::Cmp(op, x) => {
            let op = match op {
                CmpOp::Gt => ">",
                CmpOp::Gte => "≥",
                CmpOp::Lt => "<",
                CmpOp::Lte => "≤",
            };
            format!("{op} {x}")
        }
        Matcher::Exists(true) => "is present".to_owned(),
        Matcher::Exists(false) => "is absent".to_owned(),
        Matcher::Not(m) => format!("not ({})", matcher_text(m)),
    }
}

fn lit_text(l: &Lit) -> String {
    match l {
        Lit::Str(s) => format!("`{s}`"),
        Lit::Num(n) => n.to_string(),
        Lit::Bool(b) => b.to_string(),
    }
}

fn show(v: FieldValue<'_>) -> String {
    match v {
        FieldValue::Str(s) => s.to_owned(),
        FieldValue::Num(n) => n.to_string(),
        FieldValue::Bool(b) => b.to_string(),
    }
}

fn show_value(v: &Value) -> String {
    show(borrow(v))
}

/// "`contact.new` o-1 on 2 Mar 2026 10:00 (counterpart c1)".
fn describe(o: &Observation) -> String {
    let mut s = format!("`{}` {} on {}", o.kind, o.id, short(&o.at));
    if let Some(c) = &o.counterpart {
        s.push_str(&format!(" (counterpart {c})"));
    }
    s
}

/// "2 Mar 2026 10:00" in the timestamp's own offset.
pub(crate) fn short(t: &Timestamp) -> String {
    t.format("%-d %b %Y %H:%M").to_string()
}

fn plural_field(f: &Field) -> String {
    match f {
        Field::Counterpart => "counterparts".to_owned(),
        Field::Channel => "channels".to_owned(),
        Field::Source => "sources".to_owned(),
        Field::Kind => "kinds".to_owned(),
        other => format!("values of {other}"),
    }
}

/// "distinct counterparts" → "distinct counterpart".
fn singular(what: &str) -> String {
    match what {
        "matching observations" => "matching observation".to_owned(),
        w => w.strip_suffix('s').unwrap_or(w).to_owned(),
    }
}

/// "a third", "a 12th".
fn article_ordinal(n: usize) -> String {
    let word = match n {
        1 => "first".to_owned(),
        2 => "second".to_owned(),
        3 => "third".to_owned(),
        4 => "fourth".to_owned(),
        5 => "fifth".to_owned(),
        6 => "sixth".to_owned(),
        7 => "seventh".to_owned(),
        8 => "eighth".to_owned(),
        9 => "ninth".to_owned(),
        10 => "tenth".to_owned(),
        n => format!("{n}th"),
    };
    format!("a {word}")
}

impl fmt::Display for Explanation {
    /// The explanation in plain language, one statement per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "rule {} ({}, {}) for subject {} at {}",
            self.rule,
            self.title,
            self.pattern,
            self.subject,
            short(&self.as_of)
        )?;
        writeln!(
            f,
            "  the rule looks at {} observation(s): of kinds it can use, recorded by as_of, not hidden by an exception{}",
            self.seen,
            if self.after_as_of > 0 {
                format!(
                    "; {} of the subject's observations happened or were recorded after as_of and do not count yet",
                    self.after_as_of
                )
            } else {
                String::new()
            }
        )?;
        for fl in &self.flags {
            writeln!(
                f,
                "  fired at {} (flag {}, {} {}, stage {}): {}",
                short(&fl.raised_at),
                fl.id,
                fl.severity,
                fl.class,
                fl.window.stage,
                fl.explanation
            )?;
            let ev: Vec<String> = fl
                .evidence
                .iter()
                .map(|e| format!("{} `{}` on {}", e.observation, e.kind, short(&e.at)))
                .collect();
            writeln!(f, "    evidence: {}", ev.join(", "))?;
            writeln!(
                f,
                "    window: opened {}, urgent until {}, closes {}",
                short(&fl.window.opened_at),
                short(&fl.window.urgent_until),
                short(&fl.window.closes_at)
            )?;
        }
        for (t, key) in &self.dropped {
            let key: Vec<String> = key
                .iter()
                .map(|(k, v)| format!("{k} {}", show_value(v)))
                .collect();
            writeln!(
                f,
                "  a firing at {}{} was dropped by the cooldown (a flag with the same key was raised shortly before)",
                short(t),
                if key.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", key.join(", "))
                }
            )?;
        }
        // Grouped by exception, whose reasons can be long.
        let mut by_reason: Vec<(&str, Vec<String>)> = Vec::new();
        for h in &self.hidden {
            let item = format!("{} (`{}` on {})", h.observation, h.kind, short(&h.at));
            match by_reason.iter_mut().find(|(r, _)| *r == h.reason.trim()) {
                Some((_, items)) => items.push(item),
                None => by_reason.push((h.reason.trim(), vec![item])),
            }
        }
        for (reason, items) in by_reason {
            writeln!(
                f,
                "  hidden by an exception ({reason}): {}",
                items.join(", ")
            )?;
        }
        // Without a flag the near miss already tells the latest wait.
        let waits = if self.flags.is_empty() && self.pending.len() <= 1 {
            &[][..]
        } else {
            &self.pending[..]
        };
        for p in waits {
            writeln!(
                f,
                "  waiting after {}: flags at {} unless the expected observation comes",
                p.after,
                short(&p.deadline)
            )?;
        }
        if let Some(m) = &self.near_miss {
            match &m.scope {
                None => writeln!(f, "  did not fire. Closest: {}", m.closest)?,
                Some(scope) => writeln!(f, "  for {scope}, closest: {}", m.closest)?,
            }
            writeln!(f, "  {}", capitalise(&m.missing))?;
            match &m.suggestion {
                Some(s) if s.observations.is_empty() => writeln!(
                    f,
                    "  it will flag when evaluated at {} if nothing changes",
                    short(&s.evaluate_at)
                )?,
                Some(s) => {
                    writeln!(
                        f,
                        "  for example, adding these makes it flag (checked, evaluated at {}):",
                        short(&s.evaluate_at)
                    )?;
                    for o in &s.observations {
                        writeln!(f, "    {}", o.to_json(&self.subject))?;
                    }
                }
                None if m.profile.is_empty() => writeln!(
                    f,
                    "  (no single example observation could be built that makes it flag)"
                )?,
                None => writeln!(
                    f,
                    "  (no example observation could be built; conditions on the subject's profile that do not hold: {})",
                    m.profile.join("; ")
                )?,
            }
        }
        Ok(())
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Explanation {
    /// The explanation as JSON (`early-signal explain --format json`).
    pub fn to_json(&self) -> serde_json::Value {
        let flags: Vec<serde_json::Value> = self
            .flags
            .iter()
            .map(|f| serde_json::to_value(f).unwrap_or(serde_json::Value::Null))
            .collect();
        let key_json = |k: &Key| -> serde_json::Value {
            serde_json::to_value(k).unwrap_or(serde_json::Value::Null)
        };
        json!({
            "rule": self.rule.as_str(),
            "title": self.title,
            "pattern": self.pattern,
            "subject": self.subject.as_str(),
            "as_of": format_timestamp(&self.as_of),
            "seen": self.seen,
            "after_as_of": self.after_as_of,
            "flags": flags,
            "dropped_by_cooldown": self.dropped.iter().map(|(t, k)| json!({
                "raised_at": format_timestamp(t),
                "key": key_json(k),
            })).collect::<Vec<_>>(),
            "hidden": self.hidden.iter().map(|h| json!({
                "observation": h.observation,
                "at": format_timestamp(&h.at),
                "kind": h.kind.as_str(),
                "reason": h.reason.trim(),
            })).collect::<Vec<_>>(),
            "pending": self.pending.iter().map(|p| json!({
                "after": p.after,
                "deadline": format_timestamp(&p.deadline),
                "key": key_json(&p.key),
            })).collect::<Vec<_>>(),
            "near_miss": self.near_miss.as_ref().map(|m| json!({
                "scope": m.scope,
                "profile": m.profile,
                "closest": m.closest,
                "evidence": m.evidence,
                "missing": m.missing,
                "suggestion": m.suggestion.as_ref().map(|s| json!({
                    "observations": s.observations.iter().map(|o| o.to_json(&self.subject)).collect::<Vec<_>>(),
                    "evaluate_at": format_timestamp(&s.evaluate_at),
                })),
            })),
        })
    }
}
