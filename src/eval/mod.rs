//! The evaluator: rules × a timeline at `as_of` → a [`Report`].

mod bulk;
pub use bulk::JsonlBatch;
mod compiled;
mod explain;
mod packed;
mod patterns;
mod why;

use crate::flag::{Evidence, EvidenceList, Flag, FlagText, Key, Pieces, Stage, Window, flag_id};
use crate::name::Name;
use crate::report::{Pending, Rejection, Report, Stats, Warning};
use crate::rule::{Field, Pattern, Pred, Rule, fact_overlap};
use crate::ruleset::RuleSet;
use crate::time::Timestamp;
use crate::time::plus;
use crate::time::{Instant, instant, is_leap};
use crate::timeline::{Observation, Subject, SubjectTimeline, Timeline};
pub(crate) use compiled::KindId;
use compiled::{Compiled, KindCache, Kinds};
pub(crate) use patterns::Resume;
use patterns::{Firing, Item, View};
use std::collections::BTreeSet;
use std::sync::Arc;
pub use why::{ExplainError, Explanation, Hidden, NearMiss, Suggestion};

/// Evaluates a [`RuleSet`] against timelines.
///
/// ```
/// use early_signal::{Engine, RuleSet, Timeline};
/// let engine = Engine::new(RuleSet::builtin());
/// let mut timeline = Timeline::new();
/// timeline.read_yaml("t.yaml", "
/// subject: y-1
/// observations:
///   - { id: a, at: 2026-03-02T21:00:00+01:00, kind: disclosure }
/// ")?;
/// let report = engine.evaluate(&timeline, "2026-03-03T00:00:00+01:00".parse()?);
/// assert_eq!(report.flags.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    rules: RuleSet,
    needs_age: bool,
    facts_used: BTreeSet<String>,
    index: KindIndex,
    /// The kinds the engine knows, numbered for `index` and `compiled`.
    kinds: Kinds,
    /// Per rule, its predicates compiled against `kinds`.
    compiled: Vec<Compiled>,
    /// Per rule, the fewest observations it can fire on: a short list read for every rule
    /// and subject, where the rules themselves lie far apart in memory.
    fewest: Vec<usize>,
}

/// Which rules can use an observation of a given kind, so that each rule sees only those.
#[derive(Debug, Clone, Default)]
struct KindIndex {
    by_kind: crate::hash::FastMap<String, Vec<usize>>,
    /// Rules whose predicates do not bound the kind.
    any: Vec<usize>,
    /// `by_kind` by kind number ([`Kinds`]); `None` for `any`.
    by_id: Vec<Option<Vec<usize>>>,
}

impl KindIndex {
    fn new(rules: &RuleSet) -> Self {
        let declared: Option<Vec<&str>> = rules
            .vocabulary()
            .map(|v| v.kinds().keys().map(String::as_str).collect());
        let mut index = KindIndex::default();
        for (r, rule) in rules.rules().iter().enumerate() {
            match rule.kinds(declared.as_deref()) {
                Some(kinds) => {
                    for k in kinds {
                        index.by_kind.entry(k).or_default().push(r);
                    }
                }
                None => index.any.push(r),
            }
        }
        for rs in index.by_kind.values_mut() {
            rs.extend(&index.any);
            rs.sort_unstable();
        }
        index
    }

    /// Every kind the index names, and every declared kind: those worth numbering.
    fn kinds(&self, rules: &RuleSet) -> Kinds {
        let mut names: BTreeSet<String> = self.by_kind.keys().cloned().collect();
        if let Some(v) = rules.vocabulary() {
            names.extend(v.kinds().keys().cloned());
        }
        Kinds::new(names, rules.vocabulary())
    }

    /// Fills `by_id` for `kinds`: the lists of the kinds rules name (a kind no rule names has
    /// none, and gets `any`).
    fn number(&mut self, kinds: &Kinds) {
        self.by_id = kinds
            .names()
            .iter()
            .map(|k| self.by_kind.get(k.as_str()).cloned())
            .collect();
    }

    /// [`KindIndex::rules_for`] by kind number; `name` is the kind, for a kind the numbering
    /// left out.
    #[inline]
    fn rules_for_id(&self, kind: KindId, name: &str) -> &[usize] {
        match self.by_id.get(kind as usize) {
            Some(Some(rules)) => rules,
            Some(None) => &self.any,
            None => self.rules_for(name),
        }
    }

    /// The rules (by index, ascending) that can use an observation of `kind`.
    fn rules_for(&self, kind: &str) -> &[usize] {
        self.by_kind.get(kind).map_or(&self.any, Vec::as_slice)
    }
}

impl Engine {
    /// An engine for `rules`.
    pub fn new(rules: RuleSet) -> Self {
        let needs_age = rules.rules().iter().any(Rule::needs_age);
        let mut facts_used = BTreeSet::new();
        for r in rules.rules() {
            r.for_each_pred(&mut |p| {
                for f in p.fields() {
                    if let Field::Fact(n) = f {
                        facts_used.insert(n.clone());
                    }
                }
            });
        }
        let mut index = KindIndex::new(&rules);
        let mut kinds = index.kinds(&rules);
        let tables: usize = rules
            .rules()
            .iter()
            .map(|r| {
                let mut n = 0usize;
                r.for_each_pred(&mut |p| n += usize::from(compiled::tests_kind(p)));
                n
            })
            .sum();
        if tables.saturating_mul(kinds.names().len()) > compiled::MAX_TABLE_ENTRIES {
            kinds = kinds.unnumbered();
        }
        index.number(&kinds);
        let compiled = rules
            .rules()
            .iter()
            .map(|r| Compiled::new(r, &kinds))
            .collect();
        let fewest = rules
            .rules()
            .iter()
            .map(|r| r.pattern.fewest_observations())
            .collect();
        Engine {
            rules,
            needs_age,
            facts_used,
            index,
            kinds,
            compiled,
            fewest,
        }
    }

    /// The number of `kind` for [`Engine::run_rule`].
    pub(crate) fn kind_id(&self, kind: &Name) -> KindId {
        self.kinds.id(kind)
    }

    /// The rules (by index, ascending) that can use an observation of kind `name`, whose
    /// number is `kind`.
    pub(crate) fn rules_for_id(&self, kind: KindId, name: &str) -> &[usize] {
        self.index.rules_for_id(kind, name)
    }

    /// Whether `o` (whose kind has number `kind`) can change what rule number `r` finds: it
    /// satisfies one of the rule's predicates.
    pub(crate) fn can_matter(&self, r: usize, o: &Observation, kind: KindId, s: &Subject) -> bool {
        self.compiled
            .get(r)
            .is_some_and(|c| c.any_matches(o, kind, s))
    }

    /// Whether rule number `r` can use an observation of kind `name`, whose number is `kind`.
    pub(crate) fn rule_sees_id(&self, r: usize, kind: KindId, name: &str) -> bool {
        self.index
            .rules_for_id(kind, name)
            .binary_search(&r)
            .is_ok()
    }

    /// Whether rule number `r` can use an observation of `kind` at all.
    pub(crate) fn rule_sees(&self, r: usize, kind: &str) -> bool {
        self.index.rules_for(kind).binary_search(&r).is_ok()
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Evaluates every subject of `timeline` at `as_of`.
    ///
    /// Only observations that have happened and been recorded by `as_of` count (design §6), so an
    /// earlier `as_of` replays exactly what could have been known then. Records the timeline
    /// rejected while reading are carried into the report; observations that do not fit this rule
    /// set's vocabulary are rejected here.
    pub fn evaluate(&self, timeline: &Timeline, as_of: Timestamp) -> Report {
        let mut report = self.report_for(
            as_of,
            Read {
                rejected: timeline.rejected().to_vec(),
                not_listed: timeline.rejections_not_listed(),
                warnings: timeline.warnings().to_vec(),
                duplicates: timeline.duplicates(),
            },
        );
        let recheck = self.recheck(timeline);
        // Subjects are independent: on several threads each is evaluated into its own report,
        // merged in subject order, so the result is identical to the serial one.
        #[cfg(feature = "parallel")]
        if several_threads() {
            use rayon::prelude::*;
            let subjects: Vec<&SubjectTimeline> = timeline.subjects().collect();
            let parts: Vec<Report> = subjects
                .par_iter()
                .map_init(Scratch::default, |scratch, st| {
                    let mut part = Report::part(as_of);
                    self.evaluate_subject(st, as_of, recheck, &mut part, scratch);
                    part
                })
                .collect();
            for part in parts {
                report.append(part);
            }
            self.finish(&mut report);
            return report;
        }
        let mut part = Report::part(as_of);
        let mut scratch = Scratch::default();
        for st in timeline.subjects() {
            self.evaluate_subject(st, as_of, recheck, &mut part, &mut scratch);
        }
        report.append(part);
        self.finish(&mut report);
        report
    }

    /// A report that starts with what reading found: the readers' rejections and warnings
    /// first, then the warnings about counts that concern all of it.
    fn report_for(&self, as_of: Timestamp, read: Read) -> Report {
        let mut report = Report {
            as_of,
            ruleset: self.rules.digest().to_owned(),
            flags: Vec::new(),
            pending: Vec::new(),
            rejected: read.rejected,
            warnings: read.warnings,
            stats: Stats::default(),
        };
        if read.not_listed > 0 {
            report.warnings.push(Warning::new(format!(
                "{} more record(s) were rejected than are listed (the first {} are); fix the listed problems and read the input again",
                read.not_listed,
                report.rejected.len()
            )));
        }
        if read.duplicates > 0 {
            report.warnings.push(Warning::new(format!(
                "{} observation(s) were given more than once with identical content; each counts once",
                read.duplicates
            )));
        }
        report
    }

    /// Whether the records of `timeline` must be checked against this rule set's vocabulary:
    /// records already checked against this very vocabulary need no second check.
    fn recheck(&self, timeline: &Timeline) -> bool {
        match (self.rules.vocabulary_arc(), timeline.vocabulary()) {
            (Some(mine), Some(theirs)) => !Arc::ptr_eq(mine, theirs) && **mine != **theirs,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// The closing warning and the output order.
    fn finish(&self, report: &mut Report) {
        if report.stats.ignored_after_as_of > 0 {
            report.warnings.push(Warning::new(format!(
                "{} observation(s) happened or were recorded after as_of {} and were ignored",
                report.stats.ignored_after_as_of,
                crate::time::format_timestamp(&report.as_of)
            )));
        }
        crate::flag::sort_for_output(&mut report.flags);
        report.pending.sort_by(|a, b| {
            a.deadline
                .cmp(&b.deadline)
                .then_with(|| a.subject.cmp(&b.subject))
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.after.cmp(&b.after))
        });
    }

    fn evaluate_subject(
        &self,
        st: &SubjectTimeline,
        as_of: Timestamp,
        recheck: bool,
        report: &mut Report,
        scratch: &mut Scratch,
    ) {
        let subject = st.subject();
        report.stats.subjects += 1;
        let mut obs: Vec<&Observation> = Vec::with_capacity(st.observations.len());
        for (i, o) in st.observations.iter().enumerate() {
            if o.at > as_of || o.recorded() > as_of {
                report.stats.ignored_after_as_of += 1;
                continue;
            }
            if recheck
                && let Some(Err(reason)) = self.rules.vocabulary().map(|v| v.check_observation(o))
            {
                let origin = st.origins.get(i).and_then(|x| x.as_ref());
                report.rejected.push(Rejection::at(
                    reason,
                    origin,
                    Some(&subject.id),
                    Some(&o.id),
                ));
                continue;
            }
            obs.push(o);
        }
        sort_in_order(&mut obs);
        report.stats.observations += obs.len();
        if self.needs_age && subject.born.is_none() && !obs.is_empty() {
            report.warnings.push(Warning::at(
                format!("subject `{}` has no `born`; rules that use `subject.age` cannot match its observations", subject.id),
                None,
                Some(&subject.id),
            ));
        }
        if let (Some(born), Some(first)) = (subject.born, obs.first())
            && first.at.date_naive() < born
        {
            report.warnings.push(Warning::at(
                format!(
                    "subject `{}` was born on {born}, after its observation `{}` of {}: check the date of birth (`subject.age` is negative before it)",
                    subject.id,
                    first.id,
                    first.at.date_naive()
                ),
                None,
                Some(&subject.id),
            ));
        }
        for fact in &self.facts_used {
            // Overlap needs two facts of that name: most subjects have at most one.
            let several = subject
                .facts
                .iter()
                .filter(|f| f.name == *fact)
                .nth(1)
                .is_some();
            if several && obs.iter().any(|o| fact_overlap(subject, fact, &o.at)) {
                report.warnings.push(Warning::at(
                    format!("subject `{}` has several `{fact}` facts valid at the same time; the one with the latest `from` is used", subject.id),
                    None,
                    Some(&subject.id),
                ));
            }
        }
        let first_contact = |c: &str| {
            obs.iter()
                .find(|o| o.counterpart.as_deref() == Some(c))
                .map(|o| o.at)
        };
        // Each rule sees only the observations of kinds it can use.
        // One flat list grouped by rule (a counting sort), in the total order within each rule,
        // rather than a growing list per rule: with many rules that was an allocation each.
        let Scratch {
            ids,
            kind_cache,
            ats,
            starts,
            next,
            grouped_ids,
            grouped_ats,
            run,
        } = scratch;
        ids.clear();
        ids.extend(
            obs.iter()
                .map(|o| self.kinds.id_cached(&o.kind, kind_cache)),
        );
        // Instants for the windows, unless a record is a leap second (then each view keeps the
        // calendar's arithmetic, and works out what it needs).
        let leap = obs.iter().any(|o| is_leap(&o.at));
        ats.clear();
        if !leap {
            ats.extend(obs.iter().map(|o| instant(&o.at)));
        }
        // How many observations each rule sees; a rule that sees too few to fire on gets none.
        starts.clear();
        starts.resize(self.fewest.len() + 1, 0);
        for (o, &id) in obs.iter().zip(ids.iter()) {
            for &r in self.index.rules_for_id(id, &o.kind) {
                if let Some(c) = starts.get_mut(r + 1) {
                    *c += 1;
                }
            }
        }
        for (c, &fewest) in starts.iter_mut().skip(1).zip(&self.fewest) {
            if *c < fewest {
                *c = 0;
            }
        }
        for r in 1..starts.len() {
            let before = starts.get(r - 1).copied().unwrap_or(0);
            if let Some(c) = starts.get_mut(r) {
                *c += before;
            }
        }
        next.clear();
        next.extend_from_slice(starts);
        // Every slot is written below; the first observation only fills them until then.
        let Some(&fill) = obs.first() else { return };
        let total = starts.last().copied().unwrap_or(0);
        let mut grouped: Vec<&Observation> = vec![fill; total];
        grouped_ids.clear();
        grouped_ids.resize(total, 0);
        grouped_ats.clear();
        grouped_ats.resize(if leap { 0 } else { total }, 0);
        for (i, (o, &id)) in obs.iter().zip(ids.iter()).enumerate() {
            let instant = ats.get(i).copied().unwrap_or_default();
            for &r in self.index.rules_for_id(id, &o.kind) {
                // A rule's room ends where the next rule's begins (none for a rule left out).
                let end = starts.get(r + 1).copied().unwrap_or(0);
                if let Some(at) = next.get_mut(r)
                    && *at < end
                    && let Some(slot) = grouped.get_mut(*at)
                    && let Some(slot_id) = grouped_ids.get_mut(*at)
                {
                    *slot = o;
                    *slot_id = id;
                    if let Some(slot_at) = grouped_ats.get_mut(*at) {
                        *slot_at = instant;
                    }
                    *at += 1;
                }
            }
        }
        // The rules add their flags and deadlines straight to the report's lists (lent to the
        // run, which only adds to them): a flag is a large value, better moved once.
        std::mem::swap(&mut run.flags, &mut report.flags);
        std::mem::swap(&mut run.pending, &mut report.pending);
        for (r, bounds) in starts.windows(2).enumerate() {
            let seen = match bounds {
                [from, to] if from < to => Seen {
                    obs: grouped.get(*from..*to).unwrap_or_default(),
                    kinds: grouped_ids.get(*from..*to).unwrap_or_default(),
                    ats: grouped_ats.get(*from..*to).unwrap_or_default(),
                },
                _ => continue,
            };
            self.run_rule(r, seen, subject, as_of, None, &first_contact, run);
        }
        run.pieces.seal(&mut run.flags);
        // Nothing of this youth is left in the lists kept for the next one.
        debug_assert!(run.pieces.is_empty() && run.buffers.items.is_empty());
        std::mem::swap(&mut run.flags, &mut report.flags);
        std::mem::swap(&mut run.pending, &mut report.pending);
    }

    /// Rule number `r` over one subject's counted observations (sorted in the total order) at
    /// `as_of`.
    ///
    /// With `resume` only firings raised at or after `resume.from` are produced, the cooldown
    /// starts from `resume.last_kept`, and `sequence` first steps in `resume.used` stay used: what
    /// lies before `from` is final (the monitor's horizon). `first_contact` gives the `at` of the
    /// subject's first observation with a counterpart. What it finds is added to `run`.
    #[allow(
        clippy::too_many_arguments,
        reason = "one internal entry point for the batch and the monitor"
    )]
    pub(crate) fn run_rule(
        &self,
        r: usize,
        seen: Seen<'_>,
        subject: &Subject,
        as_of: Timestamp,
        resume: Option<(&Resume<'_>, &[(Key, Timestamp)])>,
        first_contact: &dyn Fn(&str) -> Option<Timestamp>,
        run: &mut RuleRun,
    ) {
        let (Some(rule), Some(compiled)) = (self.rules.rules().get(r), self.compiled.get(r)) else {
            return;
        };
        let Seen { obs, kinds, ats } = seen;
        // Too few observations to fire on (`unless` can only hide more): no firing, no pending
        // absence, nothing to record.
        if obs.len() < self.fewest.get(r).copied().unwrap_or(0) {
            return;
        }
        let looked_up: Vec<KindId>;
        let kinds = if kinds.len() == obs.len() {
            kinds
        } else {
            looked_up = obs.iter().map(|o| self.kinds.id(&o.kind)).collect();
            &looked_up
        };
        // Instants come along only when given for every observation (then none is a leap
        // second); otherwise the view works them out.
        let ats = if ats.len() == obs.len() { ats } else { &[] };
        // With `unless`, the view borrows lists kept in `run` from one run to the next (put
        // back, empty, at the end); a rule without it leaves them where they are.
        let hides = !compiled.unless.is_empty();
        let (mut unhidden, mut unhidden_kinds, mut unhidden_ats): (Vec<&Observation>, _, _) =
            if hides {
                (
                    reuse(std::mem::take(&mut run.unhidden)),
                    std::mem::take(&mut run.unhidden_kinds),
                    std::mem::take(&mut run.unhidden_ats),
                )
            } else {
                Default::default()
            };
        let view = if !hides {
            View::new(obs, kinds, ats, subject)
        } else {
            for (i, (&o, &k)) in obs.iter().zip(kinds).enumerate() {
                if !compiled.unless.iter().any(|u| u.matches(o, k, subject)) {
                    unhidden.push(o);
                    unhidden_kinds.push(k);
                    unhidden_ats.extend(ats.get(i));
                }
            }
            View::new(
                &unhidden[..],
                &unhidden_kinds[..],
                &unhidden_ats[..],
                subject,
            )
        };
        let mut firings = match &compiled.pattern {
            Pattern::Match(p) => view.match_(p, &mut run.buffers.items),
            Pattern::Count {
                pred,
                within,
                at_least,
                distinct,
                by,
            } => view.count(
                pred,
                *within,
                *at_least,
                distinct,
                by,
                &mut run.buffers.items,
            ),
            Pattern::Sequence {
                within,
                by,
                steps,
                until,
            } => view.sequence(
                steps,
                *within,
                by,
                until,
                resume.map(|(r, _)| r),
                &mut run.buffers,
            ),
            Pattern::Absence {
                after,
                expect,
                within,
                by,
            } => {
                let (fired, waits) =
                    view.absence(after, expect, *within, by, as_of, &mut run.buffers);
                for w in waits {
                    run.pending.push(Pending {
                        rule: rule.id.clone(),
                        subject: subject.id.clone(),
                        key: w.key,
                        deadline: w.deadline,
                        after: view.get(w.after).map(|o| o.id.clone()).unwrap_or_default(),
                    });
                }
                fired
            }
            Pattern::Signals {
                within,
                at_least,
                of,
            } => view.signals(
                of,
                compiled.indicators.as_ref(),
                *within,
                *at_least,
                &mut run.buffers,
            ),
        };
        if let Some((r, _)) = resume {
            firings.retain(|f| f.raised_at >= r.from);
        }
        let last_kept = resume.map_or(&[][..], |(_, k)| k);
        let mut kept = std::mem::take(&mut run.kept);
        cooldown(
            rule,
            &mut firings,
            last_kept,
            &mut run.latest_kept,
            &mut kept,
        );
        for (f, &kept) in firings.into_iter().zip(&kept) {
            if run.with_records {
                run.records.push(FiringRecord {
                    raised_at: f.raised_at,
                    key: f.key.clone(),
                    first_step: match rule.pattern {
                        Pattern::Sequence { .. } => run
                            .buffers
                            .items
                            .get(f.evidence.clone())
                            .unwrap_or_default()
                            .iter()
                            .map(|it| it.idx)
                            .min()
                            .and_then(|i| view.get(i))
                            .map(|o| o.id.clone()),
                        _ => None,
                    },
                    kept,
                });
            }
            if kept {
                let items = run
                    .buffers
                    .items
                    .get_mut(f.evidence.clone())
                    .unwrap_or_default();
                run.pieces.push(&mut run.flags, |pieces| {
                    self.flag(rule, &view, (f, items), as_of, first_contact, pieces)
                });
            }
        }
        run.kept = kept;
        run.buffers.items.clear();
        if hides {
            drop(view);
            run.unhidden = reuse(unhidden);
            unhidden_kinds.clear();
            unhidden_ats.clear();
            run.unhidden_kinds = unhidden_kinds;
            run.unhidden_ats = unhidden_ats;
        }
    }

    fn flag(
        &self,
        rule: &Rule,
        view: &View<'_>,
        (f, items): (Firing, &mut [Item]),
        as_of: Timestamp,
        first_contact: &dyn Fn(&str) -> Option<Timestamp>,
        pieces: &mut Pieces,
    ) -> Flag {
        let subject = &view.subject.id;
        let indicators: &[(Name, Pred)] = match &rule.pattern {
            Pattern::Signals { of, .. } => of,
            _ => &[],
        };
        // The firing's evidence is its own: it is put in order where it lies.
        items.sort_by(|a, b| a.idx.cmp(&b.idx).then(a.indicator.cmp(&b.indicator)));
        let items = &*items;
        // The evidence and the explanation are added to the lists the flags share
        // (`Pieces::push` notes this flag's parts of them).
        let evidence = &mut pieces.evidence;
        evidence.reserve(items.len());
        let mut known_at = f.raised_at;
        let mut span: Option<(Timestamp, Timestamp)> = None;
        let mut counterparts = Counterparts::None;
        for it in items {
            let Some(o) = view.get(it.idx) else { continue };
            evidence.push(Evidence {
                observation: o.id.clone(),
                at: o.at,
                kind: o.kind.clone(),
                counterpart: o.counterpart.clone(),
                step: it.step,
                indicator: it
                    .indicator
                    .and_then(|n| indicators.get(n))
                    .map(|(n, _)| n.clone()),
                role: it.after.then_some("after"),
            });
            known_at = known_at.max(o.recorded());
            span = Some(match span {
                Some((first, last)) => (first.min(o.at), last.max(o.at)),
                None => (o.at, o.at),
            });
            if let Some(c) = o.counterpart.as_deref() {
                counterparts.add(c);
            }
        }
        let (earliest, latest) = span.unwrap_or((f.raised_at, f.raised_at));
        // Harm signals (a disclosure, an advertisement) say that harm may already be happening:
        // their window runs from the evidence, not from a first contact that may lie months back,
        // which would otherwise rank a critical flag as `closed` (see docs/rule-language.md §9).
        let opened_at = match counterparts {
            _ if rule.opens == crate::rule::WindowOpens::Evidence => earliest,
            Counterparts::One(c) => first_contact(c).unwrap_or(earliest),
            Counterparts::None | Counterparts::Several => earliest,
        };
        let urgent_until = plus(opened_at, rule.urgent);
        let closes_at = plus(opened_at, rule.closes);
        // Items are in index order: the first is the earliest in the total order.
        let first = items
            .first()
            .and_then(|it| view.get(it.idx))
            .map(|o| o.id.as_str())
            .unwrap_or("");
        let id = flag_id(&rule.id, rule.version, subject, &f.key, first);
        explain::explain(
            rule,
            view,
            (&f, items),
            (earliest, latest),
            counterparts.words(),
            indicators,
            &mut pieces.text,
        );
        Flag {
            id,
            rule: rule.id.clone(),
            rule_version: rule.version,
            ruleset: self.rules.digest_name().clone(),
            subject: subject.clone(),
            class: rule.class,
            severity: rule.severity,
            key: f.key,
            raised_at: f.raised_at,
            known_at,
            evidence: EvidenceList::default(),
            window: Window {
                opened_at,
                urgent_until,
                closes_at,
                stage: Stage::Urgent,
            }
            .at(as_of),
            explanation: FlagText::default(),
        }
    }
}

/// The counterparts a flag's evidence names: none, one, or several different ones.
#[derive(Clone, Copy)]
enum Counterparts<'a> {
    None,
    One(&'a str),
    Several,
}

impl<'a> Counterparts<'a> {
    fn add(&mut self, c: &'a str) {
        *self = match *self {
            Counterparts::None => Counterparts::One(c),
            Counterparts::One(x) if x == c => Counterparts::One(x),
            Counterparts::One(_) | Counterparts::Several => Counterparts::Several,
        };
    }

    /// How an explanation names them.
    fn words(self) -> &'a str {
        match self {
            Counterparts::None => "an unrecorded person",
            Counterparts::One(c) => c,
            Counterparts::Several => "several counterparts",
        }
    }
}

/// Whether batch work is worth splitting: the `parallel` feature's pool has more than one
/// thread (one thread does the work serially, without the cost of splitting and merging it).
#[cfg(feature = "parallel")]
pub(crate) fn several_threads() -> bool {
    rayon::current_num_threads() > 1
}

/// Sorts `obs` in the total order (design §1). Records mostly arrive in time order with a few
/// entered late, so an insertion sort moves those few cheaply; input far from that order (more
/// than a few moves per record) is left to the general sort.
fn sort_in_order(obs: &mut [&Observation]) {
    let mut budget = obs.len().saturating_mul(4);
    for i in 1..obs.len() {
        let mut j = i;
        while let (Some(a), Some(b)) = (obs.get(j.wrapping_sub(1)), obs.get(j)) {
            if a.order_cmp(b).is_le() {
                break;
            }
            if budget == 0 {
                obs.sort_by(|a, b| a.order_cmp(b));
                return;
            }
            budget -= 1;
            obs.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Marks firings closer than `cooldown` to a kept flag of the same key as dropped (design §3,
/// §8): `kept` gets one entry per firing, in the order `firings` is left in (by `raised_at`,
/// then the firing observation, when the rule has a cooldown). `last_kept` holds the latest kept
/// flag per key from before these firings; `last` is working room, kept from run to run.
fn cooldown(
    rule: &Rule,
    firings: &mut [Firing],
    last_kept: &[(Key, Timestamp)],
    last: &mut Vec<(Key, Timestamp)>,
    kept: &mut Vec<bool>,
) {
    kept.clear();
    let Some(cd) = rule.cooldown else {
        kept.resize(firings.len(), true);
        return;
    };
    // The patterns mostly give their firings in this order already (a stable sort keeps the
    // order of firings at one observation, one per key).
    let order = |a: &Firing, b: &Firing| a.raised_at.cmp(&b.raised_at).then(a.order.cmp(&b.order));
    if !firings.is_sorted_by(|a, b| order(a, b).is_le()) {
        firings.sort_by(order);
    }
    last.clear();
    last.extend_from_slice(last_kept);
    for f in firings.iter() {
        kept.push(match last.iter_mut().find(|(k, _)| *k == f.key) {
            Some((_, t)) if f.raised_at < plus(*t, cd) => false,
            Some((_, t)) => {
                *t = f.raised_at;
                true
            }
            None => {
                last.push((f.key.clone(), f.raised_at));
                true
            }
        });
    }
    // The keys are the firings' own copies: nothing of a youth is kept past its run.
    last.clear();
}

/// The observations one rule sees (sorted in the total order), with what is known of them
/// already: the numbers of their kinds ([`Engine::kind_id`]) and their `at`s as instants (given
/// only when no observation is a leap second). A list that does not have one entry per
/// observation is worked out by [`Engine::run_rule`] and the view.
#[derive(Clone, Copy)]
pub(crate) struct Seen<'a> {
    pub obs: &'a [&'a Observation],
    pub kinds: &'a [KindId],
    pub ats: &'a [Instant],
}

impl<'a> Seen<'a> {
    /// Observations alone.
    pub(crate) fn new(obs: &'a [&'a Observation]) -> Self {
        Seen {
            obs,
            kinds: &[],
            ats: &[],
        }
    }
}

/// What reading the input found, before any rule ran.
pub(crate) struct Read {
    /// Refused records, as many as are listed.
    pub rejected: Vec<Rejection>,
    /// Refused records beyond those listed.
    pub not_listed: usize,
    /// Warnings from reading.
    pub warnings: Vec<Warning>,
    /// Observations given more than once with identical content.
    pub duplicates: usize,
}

/// The lists [`Engine::evaluate_subject`] works in, kept from one subject to the next so that
/// their room is taken once, not for every subject.
#[derive(Default)]
pub(crate) struct Scratch {
    /// The numbers of the counted observations' kinds.
    ids: Vec<KindId>,
    /// Kind numbers by the address of the vocabulary's copy (see [`Kinds::id_cached`]).
    kind_cache: KindCache,
    /// Their `at`s as instants (empty when one is a leap second).
    ats: Vec<Instant>,
    /// Per rule, where its observations start in the grouped lists (one more: the end).
    starts: Vec<usize>,
    /// Per rule, the next free place while grouping.
    next: Vec<usize>,
    /// The kind numbers and instants, grouped by rule.
    grouped_ids: Vec<KindId>,
    grouped_ats: Vec<Instant>,
    /// The rule run, which holds the report's lists while the rules run.
    run: RuleRun,
}

/// An empty list of `U` in `v`'s allocation: the standard library collects in place when `T`
/// and `U` have the same size and alignment (here: borrows of one type with different
/// lifetimes, for lists of borrowed records kept from one run to the next), and allocates anew
/// otherwise. No item is converted: the list is emptied first. The standard library does not
/// promise the in-place collect; the unit test `reuse_keeps_the_allocation_and_empties_the_list`
/// notices if it stops (then this costs an allocation per call again, and gives the same
/// results).
pub(crate) fn reuse<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// What [`Engine::run_rule`] found for one rule and one subject.
pub(crate) struct RuleRun {
    /// The flags (firings kept by the cooldown). A flag's evidence and explanation are given
    /// to it when `pieces` is sealed, so the flags are read through [`RuleRun::found`] or
    /// [`RuleRun::take_found`], which seal first; the batch, which lends the report's list
    /// here, seals at the end of each youth. Nothing may reorder or shorten the list while a
    /// flag in it waits for its pieces (their places are noted).
    flags: Vec<Flag>,
    /// Every firing, kept or dropped, for resuming later (when `with_records`).
    pub records: Vec<FiringRecord>,
    /// Absence deadlines not reached yet.
    pub pending: Vec<Pending>,
    /// Whether `records` is filled: only the monitor resumes from them.
    with_records: bool,
    /// The evidence and explanations of the flags found, until they are sealed (when they are
    /// taken, or in the batch at the end of each youth: a youth's flags share two
    /// allocations).
    pieces: Pieces,
    /// What the runs work in, kept from one run to the next.
    buffers: patterns::Buffers,
    /// The cooldown's verdict per firing, and its latest kept flag per key.
    kept: Vec<bool>,
    latest_kept: Vec<(Key, Timestamp)>,
    /// The observations a rule with `unless` sees, with their kinds and instants: empty between
    /// runs, kept for their allocations ([`reuse`]).
    unhidden: Vec<&'static Observation>,
    unhidden_kinds: Vec<KindId>,
    unhidden_ats: Vec<Instant>,
}

impl Default for RuleRun {
    /// Without the firing records.
    fn default() -> Self {
        RuleRun::new(false)
    }
}

impl RuleRun {
    /// Empty lists; `with_records` asks for the firing records too.
    pub(crate) fn new(with_records: bool) -> Self {
        RuleRun {
            flags: Vec::new(),
            records: Vec::new(),
            pending: Vec::new(),
            with_records,
            pieces: Pieces::default(),
            buffers: patterns::Buffers::default(),
            kept: Vec::new(),
            latest_kept: Vec::new(),
            unhidden: Vec::new(),
            unhidden_kinds: Vec::new(),
            unhidden_ats: Vec::new(),
        }
    }

    /// Takes what the runs found (flags, firing records, pending deadlines) and empties the
    /// working lists, keeping their allocations for the next run: between runs they hold
    /// nothing of any record (the cooldown empties its list of keys itself).
    pub(crate) fn take_found(&mut self) -> (Vec<Flag>, Vec<FiringRecord>, Vec<Pending>) {
        self.pieces.seal(&mut self.flags);
        debug_assert!(self.pieces.is_empty());
        self.buffers.clear();
        self.kept.clear();
        (
            std::mem::take(&mut self.flags),
            std::mem::take(&mut self.records),
            std::mem::take(&mut self.pending),
        )
    }

    /// The flags found so far, each with its evidence and explanation.
    pub(crate) fn found(&mut self) -> &[Flag] {
        self.pieces.seal(&mut self.flags);
        &self.flags
    }

    /// Whether it holds nothing: found, working or remembered.
    #[cfg(test)]
    pub(crate) fn holds_nothing(&self) -> bool {
        self.flags.is_empty()
            && self.pieces.is_empty()
            && self.records.is_empty()
            && self.pending.is_empty()
            && self.buffers.is_empty()
            && self.kept.is_empty()
            && self.latest_kept.is_empty()
            && self.unhidden.is_empty()
            && self.unhidden_kinds.is_empty()
            && self.unhidden_ats.is_empty()
    }
}

/// A firing as the monitor remembers it once its flag is final.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FiringRecord {
    pub raised_at: Timestamp,
    pub key: Key,
    /// `sequence`: the id of the first step, which no later firing may use again.
    pub first_step: Option<Name>,
    /// Kept by the cooldown (a flag), or dropped.
    pub kept: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `reuse` keeps the allocation for borrows of another lifetime (the point of the kept lists
    /// of the monitor and of `unless`), and gives an empty list whatever it was given.
    #[test]
    fn reuse_keeps_the_allocation_and_empties_the_list() {
        let numbers = [1u8, 2, 3];
        let mut held: Vec<&'static u8> = Vec::with_capacity(16);
        held.push(&7);
        let address = held.as_ptr() as usize;
        let mut borrowed: Vec<&u8> = reuse(held);
        assert!(borrowed.is_empty());
        assert!(borrowed.capacity() >= 16);
        assert_eq!(borrowed.as_ptr() as usize, address);
        borrowed.extend(&numbers);
        let back: Vec<&'static u8> = reuse(borrowed);
        assert!(back.is_empty());
        assert_eq!(back.as_ptr() as usize, address);
    }

    fn observations(n: usize, seconds: &[u16]) -> Vec<Observation> {
        let base: Timestamp = "2026-03-02T21:00:00+01:00".parse().expect("a timestamp");
        (0..n)
            .map(|i| {
                let at =
                    base + chrono::TimeDelta::seconds(i64::from(*seconds.get(i).unwrap_or(&0)));
                Observation::new(format!("o-{}", n - i), at, "contact.new")
            })
            .collect()
    }

    proptest! {
        /// The insertion sort with its fallback sorts as the general sort does: nearly sorted
        /// input, input in reverse (past the budget), and ties broken by id.
        #[test]
        fn sorting_in_order_is_the_total_order(
            seconds in prop::collection::vec(0u16..50, 0..300),
            reversed in any::<bool>(),
        ) {
            let mut seconds = seconds;
            if reversed {
                seconds.sort_unstable_by(|a, b| b.cmp(a));
            }
            let held = observations(seconds.len(), &seconds);
            let mut mine: Vec<&Observation> = held.iter().collect();
            let mut general = mine.clone();
            sort_in_order(&mut mine);
            general.sort_by(|a, b| a.order_cmp(b));
            let ids = |v: &[&Observation]| v.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
            prop_assert_eq!(ids(&mine), ids(&general));
        }
    }

    /// The cooldown judges a rule's firings in time order, per key, whatever order they are
    /// handed over in, and leaves them in that order with one verdict each.
    #[test]
    fn the_cooldown_judges_firings_in_time_order() {
        let rules = RuleSet::builtin();
        let Some((rule, cd)) = rules.rules().iter().find_map(|r| Some((r, r.cooldown?))) else {
            panic!("the default pack has a rule with a cooldown");
        };
        let start: Timestamp = "2026-03-01T00:00:00+01:00".parse().expect("a timestamp");
        let key = |k: &str| -> Key {
            [(
                "counterpart".to_owned(),
                crate::timeline::Value::String(k.into()),
            )]
            .into()
        };
        let firing = |at: Timestamp, order: usize, k: &str| Firing {
            raised_at: at,
            order,
            key: key(k),
            evidence: 0..0,
            count: 1,
            indicators: Vec::new(),
        };
        // Within the cooldown of the first for key `a`, then past it; `b` has its own.
        let mut firings = vec![
            firing(plus(plus(start, cd), cd), 3, "a"),
            firing(plus(start, cd), 2, "b"),
            firing(start, 0, "a"),
            firing(start, 1, "a"),
        ];
        let (mut last, mut kept) = (Vec::new(), vec![false; 9]);
        cooldown(rule, &mut firings, &[], &mut last, &mut kept);
        let order: Vec<usize> = firings.iter().map(|f| f.order).collect();
        assert_eq!(order, [0, 1, 2, 3]);
        assert_eq!(kept, [true, false, true, true]);
        assert!(last.is_empty(), "nothing of the youth is kept");
        // A flag of `a` kept before these firings starts the cooldown earlier.
        cooldown(
            rule,
            &mut firings,
            &[(key("a"), start)],
            &mut last,
            &mut kept,
        );
        assert_eq!(kept, [false, false, true, true]);
        // At one instant the firing observation decides, and the earlier one is kept.
        let mut tied = vec![firing(start, 5, "a"), firing(start, 4, "a")];
        cooldown(rule, &mut tied, &[], &mut last, &mut kept);
        let order: Vec<usize> = tied.iter().map(|f| f.order).collect();
        assert_eq!(order, [4, 5]);
        assert_eq!(kept, [true, false]);
    }
}
