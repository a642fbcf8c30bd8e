//! Incremental evaluation: the flag comes when the deciding observation is recorded.
//!
//! A [`Monitor`] holds, per subject, the observations that can still matter and the flags that can
//! still change. Each [`observe`](Monitor::observe) returns the [`Event`]s it causes at once;
//! [`advance_to`](Monitor::advance_to) returns the events of absence deadlines that have passed.
//!
//! # Guarantees
//!
//! - **Equivalence with batch.** Feed a monitor the observations of a timeline in any arrival
//!   order, late ones included, and advance it to `as_of`: the flags raised and not withdrawn are
//!   exactly the flags [`Engine::evaluate`] gives for that timeline at `as_of`, ids included
//!   (their `stage` is the one at the time of the event). This holds as long as no observation is
//!   refused as too late, and subject profiles are set before the observations they concern.
//! - **Late data.** The monitor's clock is the latest time of entry (`recorded_at`, else `at`) it
//!   has seen, or the time it was advanced to. An observation that happened more than
//!   `max_lateness` before the clock is refused with [`MonitorError::TooLate`], never dropped
//!   silently; everything raised before that horizon is final. An observation recorded before it
//!   happens (a planned event) counts once the clock reaches its `at`, as in batch evaluation. A
//!   `recorded_at` more than `max_clock_step` ahead of the clock is refused
//!   ([`MonitorError::ClockJump`]): one wrong year would otherwise make every later record late.
//! - **Bounded memory.** Per subject the monitor keeps the observations inside the rule set's
//!   longest window before the horizon, the latest kept firing per key that a cooldown still needs,
//!   the sequence first steps still inside a window, and one timestamp per counterpart (its first
//!   contact, which a flag's recruitment window starts from). A subject is pruned when touched
//!   (at most once per day of clock, and always before its cap would refuse), and a rolling sweep
//!   over all subjects, two per call, prunes those left unpruned for a week (quiet ones). Caps on subjects and on observations (and
//!   counterparts) per subject refuse input instead of evicting anything. An id whose observation
//!   was pruned is not remembered: a different observation under it is then accepted.
//! - **Snapshots.** [`snapshot`](Monitor::snapshot) writes the state as a versioned JSON document;
//!   [`Monitor::restore`] reads it back, and the restored monitor behaves exactly like the
//!   original for every later observation. A snapshot taken with another rule set is refused.

use crate::eval::{Engine, FiringRecord, KindId, Resume, RuleRun, Seen, reuse};
use crate::flag::{Flag, FlagId, Key};
use crate::name::Name;
use crate::report::Pending;
use crate::rule::{Pattern, Rule};
use crate::time::{
    Duration, Instant, Timestamp, format_timestamp, instant, instant_plus, is_leap, minus,
    parse_timestamp, plus,
};
use crate::timeline::{Observation, Subject, Timeline, Value, is_protected, protected_attributes};
use serde::Serialize;
use serde::ser::SerializeMap;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The format name written into every snapshot.
const SNAPSHOT_FORMAT: &str = "early-signal monitor state";
/// The snapshot format version this crate writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Limits of a [`Monitor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorConfig {
    /// How long after it happened an observation may still arrive. Later ones are refused.
    pub max_lateness: Duration,
    /// The most subjects the monitor tracks at once; a new subject beyond it is refused.
    pub max_subjects: usize,
    /// The most observations (and the most counterparts) kept for one subject; an observation
    /// beyond it is refused.
    pub max_observations_per_subject: usize,
    /// How far one observation's `recorded_at` may move the clock ahead. Further is refused as a
    /// likely typo (one wrong year would otherwise refuse every later record as too late); move
    /// the clock with [`Monitor::advance_to`] when a jump is real.
    pub max_clock_step: Duration,
}

impl Default for MonitorConfig {
    /// 30 days of lateness, a million subjects, 10,000 observations per subject, clock steps of
    /// at most 30 days.
    fn default() -> Self {
        MonitorConfig {
            max_lateness: Duration::days(30),
            max_subjects: 1_000_000,
            max_observations_per_subject: 10_000,
            max_clock_step: Duration::days(30),
        }
    }
}

/// What an observation, a profile change or the passing of time did to the flags.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A new flag, or a flag whose content changed (same id: it replaces the earlier one).
    Raised(Flag),
    /// A flag raised earlier that no longer holds.
    Withdrawn {
        /// The flag's id.
        id: FlagId,
        /// Its subject.
        subject: Name,
        /// Its rule.
        rule: Name,
        /// Why, in plain language.
        reason: String,
    },
}

impl Serialize for Event {
    /// `{"event":"raised","flag":{…}}` or `{"event":"withdrawn","id":…,"subject":…,"rule":…,"reason":…}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Event::Raised(flag) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("event", "raised")?;
                m.serialize_entry("flag", flag)?;
                m.end()
            }
            Event::Withdrawn {
                id,
                subject,
                rule,
                reason,
            } => {
                let mut m = s.serialize_map(Some(5))?;
                m.serialize_entry("event", "withdrawn")?;
                m.serialize_entry("id", id)?;
                m.serialize_entry("subject", subject)?;
                m.serialize_entry("rule", rule)?;
                m.serialize_entry("reason", reason)?;
                m.end()
            }
        }
    }
}

/// Why the monitor refused an observation or a profile. The monitor's state is unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MonitorError {
    /// The observation happened more than `max_lateness` before the monitor's clock.
    #[error(
        "observation `{id}` of subject `{subject}` happened at {at}, more than {} (`max_lateness`) before the monitor's clock {clock}; flags before that are final. Raise `max_lateness` if such late records are normal in your systems",
        .max_lateness.words()
    )]
    TooLate {
        /// Subject id.
        subject: String,
        /// Observation id.
        id: String,
        /// When it happened (RFC 3339).
        at: String,
        /// The monitor's clock (RFC 3339).
        clock: String,
        /// The configured bound.
        max_lateness: Duration,
    },
    /// Another observation with this id is already held for the subject.
    #[error(
        "a different observation with id `{id}` is already held for subject `{subject}`; the first one is kept; give this one its own id"
    )]
    Conflict {
        /// Subject id.
        subject: String,
        /// Observation id.
        id: String,
    },
    /// The record does not fit the rule set's vocabulary, or is malformed.
    #[error("record of subject `{subject}` refused: {reason}")]
    Invalid {
        /// Subject id.
        subject: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Tracking this subject would exceed `max_subjects`.
    #[error(
        "subject `{subject}` is new, but the monitor already tracks {max} subjects (`max_subjects`); forget subjects that left care, or raise the limit"
    )]
    TooManySubjects {
        /// Subject id.
        subject: String,
        /// The configured limit.
        max: usize,
    },
    /// The observation was recorded further ahead of the clock than `max_clock_step`.
    #[error(
        "observation `{id}` of subject `{subject}` was recorded at {recorded}, more than {} (`max_clock_step`) after the monitor's clock {clock}; check the date. If it is right, advance the clock first",
        .max_clock_step.words()
    )]
    ClockJump {
        /// Subject id.
        subject: String,
        /// Observation id.
        id: String,
        /// Its `recorded_at` (or `at`), RFC 3339.
        recorded: String,
        /// The monitor's clock (RFC 3339).
        clock: String,
        /// The configured bound.
        max_clock_step: Duration,
    },
    /// Keeping this observation would exceed `max_observations_per_subject`.
    #[error(
        "subject `{subject}` already has {max} observations (or counterparts) inside the monitor's horizon (`max_observations_per_subject`); observation `{id}` is refused"
    )]
    TooManyObservations {
        /// Subject id.
        subject: String,
        /// Observation id.
        id: String,
        /// The configured limit.
        max: usize,
    },
}

/// Why a snapshot could not be restored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SnapshotError {
    /// The snapshot was written with another rule set.
    #[error(
        "the monitor state was saved with rule set {found}, but the loaded rules are {expected}; restore it with the rules it was saved with, or start without it"
    )]
    RulesetMismatch {
        /// The loaded rule set's digest.
        expected: String,
        /// The digest in the snapshot.
        found: String,
    },
    /// Not a snapshot this crate can read.
    #[error("not a monitor state this version can read: {0}")]
    Format(String),
}

/// The state of one rule for one subject.
#[derive(Debug, Clone, Default)]
struct RuleState {
    /// Firings, kept and dropped, sorted by `raised_at`; those before the horizon are final.
    records: Vec<FiringRecord>,
    /// Flags at or after the horizon, sorted by (`raised_at`, id): the ones a later observation
    /// can still change (older ones until the next prune).
    flags: Vec<Flag>,
    /// Absence deadlines not reached yet (also in the monitor's agenda).
    pending: Vec<Pending>,
}

impl RuleState {
    /// Whether it holds nothing (then it is not kept).
    fn is_empty(&self) -> bool {
        self.records.is_empty() && self.flags.is_empty() && self.pending.is_empty()
    }
}

/// Everything the monitor keeps about one subject.
#[derive(Debug, Clone)]
struct SubjectState {
    subject: Subject,
    /// Retained observations, in the (`at`, `id`) total order.
    obs: Vec<Observation>,
    /// The `at` and id of the first observation (in the total order) with each counterpart.
    first_contact: BTreeMap<Name, (Timestamp, Name)>,
    /// The state of the rules that have any for this subject.
    rules: RuleStates,
}

impl SubjectState {
    fn new(subject: Subject) -> Self {
        SubjectState {
            subject,
            obs: Vec::new(),
            first_contact: BTreeMap::new(),
            rules: RuleStates::default(),
        }
    }
}

/// The tracked subjects: states in slots, found by id through a keyed hash (ids come from
/// input), with the horizon each was last pruned at kept apart, so that the rolling sweep reads
/// a dense array and touches only the subjects it prunes.
#[derive(Debug, Clone, Default)]
struct Subjects {
    states: Vec<SubjectState>,
    /// By slot: the horizon the subject was last pruned at (not part of a snapshot).
    pruned_at: Vec<Option<Timestamp>>,
    slots: HashMap<Name, usize, crate::hash::InputKeyed>,
}

impl Subjects {
    fn len(&self) -> usize {
        self.states.len()
    }

    fn slot(&self, id: &str) -> Option<usize> {
        self.slots.get(id).copied()
    }

    fn contains_key(&self, id: &str) -> bool {
        self.slots.contains_key(id)
    }

    fn get(&self, id: &str) -> Option<&SubjectState> {
        self.states.get(self.slot(id)?)
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut SubjectState> {
        let slot = self.slot(id)?;
        self.states.get_mut(slot)
    }

    /// Adds a subject not tracked yet; returns its slot.
    fn insert(&mut self, state: SubjectState) -> usize {
        let slot = self.states.len();
        self.slots.insert(state.subject.id.clone(), slot);
        self.states.push(state);
        self.pruned_at.push(None);
        slot
    }

    /// Removes a subject; the last slot moves into its place.
    fn remove(&mut self, id: &str) -> Option<SubjectState> {
        let slot = self.slots.remove(id)?;
        let state = self.states.swap_remove(slot);
        self.pruned_at.swap_remove(slot);
        if let Some(moved) = self.states.get(slot) {
            self.slots.insert(moved.subject.id.clone(), slot);
        }
        Some(state)
    }

    fn values(&self) -> impl Iterator<Item = &SubjectState> {
        self.states.iter()
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut SubjectState> {
        self.states.iter_mut()
    }

    fn iter(&self) -> impl Iterator<Item = (&Name, &SubjectState)> {
        self.states.iter().map(|s| (&s.subject.id, s))
    }

    fn keys(&self) -> impl Iterator<Item = &Name> {
        self.states.iter().map(|s| &s.subject.id)
    }
}

/// Per-rule state of one subject, kept only for the rules that have any (most rules hold nothing
/// for most subjects), by rule index, ascending.
#[derive(Debug, Clone, Default)]
struct RuleStates(Vec<(usize, RuleState)>);

impl RuleStates {
    /// Rule `r`'s state, created empty when it has none (always `Some`).
    fn get_or_insert(&mut self, r: usize) -> Option<&mut RuleState> {
        let at = self.0.partition_point(|(x, _)| *x < r);
        if self.0.get(at).is_none_or(|(x, _)| *x != r) {
            self.0.insert(at, (r, RuleState::default()));
        }
        self.0.get_mut(at).map(|(_, rs)| rs)
    }

    /// Rule `r`'s state, if it has any.
    fn get_mut(&mut self, r: usize) -> Option<&mut RuleState> {
        let at = self.0.partition_point(|(x, _)| *x < r);
        self.0
            .get_mut(at)
            .filter(|(x, _)| *x == r)
            .map(|(_, rs)| rs)
    }

    /// Sets rule `r`'s state, which it has none of yet.
    fn insert(&mut self, r: usize, rs: RuleState) {
        let at = self.0.partition_point(|(x, _)| *x < r);
        self.0.insert(at, (r, rs));
    }

    fn iter(&self) -> impl Iterator<Item = (usize, &RuleState)> {
        self.0.iter().map(|(r, rs)| (*r, rs))
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut RuleState)> {
        self.0.iter_mut().map(|(r, rs)| (*r, rs))
    }

    /// Forgets rule `r`'s state.
    fn remove(&mut self, r: usize) {
        self.0.retain(|(x, _)| *x != r);
    }

    /// Drops the entries left with nothing in them.
    fn drop_empty(&mut self) {
        self.0.retain(|(_, rs)| !rs.is_empty());
    }
}

/// Flags as observations arrive: see the [module documentation](self) for its guarantees.
///
/// ```
/// use early_signal::{Engine, Event, Monitor, MonitorConfig, Observation, RuleSet};
/// let mut monitor = Monitor::new(Engine::new(RuleSet::builtin()), MonitorConfig::default());
/// let at = "2026-03-02T21:00:00+01:00".parse()?;
/// let events = monitor.observe("y-1", Observation::new("o-1", at, "disclosure"))?;
/// assert!(matches!(&events[..], [Event::Raised(flag)] if flag.rule == "harm-disclosure-or-advert"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Monitor {
    engine: Engine,
    config: MonitorConfig,
    /// Set only by [`Monitor::set_clock`], which keeps `horizon` with it.
    clock: Option<Timestamp>,
    /// `clock − max_lateness`, worked out when the clock moves.
    horizon: Option<Timestamp>,
    /// `clock + max_clock_step`, the latest record time accepted, worked out with the horizon.
    clock_limit: Option<Timestamp>,
    /// Listings sort by id.
    subjects: Subjects,
    /// When to evaluate a rule for a subject again: (time, subject, rule index, why).
    agenda: BTreeSet<(Timestamp, String, usize, Due)>,
    /// The longest window of any rule: how far back from the horizon observations are kept.
    retention: Duration,
    /// With the subject each concerns, so that `forget` can drop them.
    warnings: Vec<(String, String)>,
    /// Warnings not kept because more than [`MAX_WARNINGS`] waited.
    dropped_warnings: usize,
    /// The slot the rolling sweep (see `prune`) looks at next.
    sweep_pos: usize,
    /// Lists an `observe` and its re-runs need, kept from one call to the next.
    lists: Lists,
}

/// The lists an `observe` and its re-runs fill and empty again, kept so that their allocations
/// are reused: a re-run takes a few microseconds, and each list was an allocation. Every list
/// is empty between calls (nothing of a record outlives its call here), and the lists of
/// borrows hold `'static` in place of the borrows of a call (see [`reuse`]).
#[derive(Debug, Clone, Default)]
struct Lists {
    /// The rules an observation may affect.
    affected: Vec<usize>,
    /// The id of the observation being taken, for the reason of a withdrawal.
    cause: String,
    /// A re-run's kinds seen in the window: the kind, whether the rule sees it, its number.
    seen: Vec<(&'static Name, bool, KindId)>,
    /// A re-run's observations of kinds the rule sees, and their kinds' numbers.
    obs: Vec<&'static Observation>,
    kinds: Vec<KindId>,
    /// Their instants, or none when one is a leap second (the view then keeps the calendar's
    /// arithmetic).
    ats: Vec<Instant>,
    /// A re-run's working lists.
    run: Rerun,
}

/// The working lists of the monitor's rule runs ([`RuleRun`], with firing records), kept from
/// one re-run to the next; they hold nothing between runs, so a copy starts empty.
struct Rerun(RuleRun);

impl Default for Rerun {
    fn default() -> Self {
        Rerun(RuleRun::new(true))
    }
}

impl Clone for Rerun {
    fn clone(&self) -> Self {
        Rerun::default()
    }
}

impl std::fmt::Debug for Rerun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rerun")
    }
}

/// Why an entry is on the agenda. Both kinds can fall on the same time for the same subject and
/// rule; keeping them apart means that a deadline answered (and taken off) does not take a
/// planned observation with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// An observation recorded before it happens counts from its `at`.
    Planned,
    /// An absence deadline.
    Deadline,
}

/// Slots the rolling sweep looks at per call.
const SWEEP_STEP: usize = 2;

/// How many days a subject goes unpruned (its own records prune it at most daily) before the
/// sweep prunes it: the sweep is for subjects that went quiet.
const SWEEP_IDLE_DAYS: u16 = 7;

/// Warnings kept until [`Monitor::take_warnings`]; more are counted, not kept.
const MAX_WARNINGS: usize = 1000;

impl Monitor {
    /// A monitor for `engine`'s rules.
    pub fn new(engine: Engine, config: MonitorConfig) -> Self {
        let longest = |f: &dyn Fn(&Rule) -> Option<Duration>| {
            engine
                .rules()
                .rules()
                .iter()
                .filter_map(f)
                .max()
                .unwrap_or(Duration::days(1))
        };
        let retention = longest(&|r| r.pattern.within());
        Monitor {
            engine,
            config,
            clock: None,
            horizon: None,
            clock_limit: None,
            subjects: Subjects::default(),
            agenda: BTreeSet::new(),
            retention,
            warnings: Vec::new(),
            dropped_warnings: 0,
            sweep_pos: 0,
            lists: Lists::default(),
        }
    }

    /// Changes the caps on subjects and on observations per subject (e.g. after a restore).
    /// Lowering them refuses new input beyond them; nothing held is evicted.
    pub fn set_limits(&mut self, max_subjects: usize, max_observations_per_subject: usize) {
        self.config.max_subjects = max_subjects;
        self.config.max_observations_per_subject = max_observations_per_subject;
    }

    fn warn(&mut self, subject: &str, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push((subject.to_owned(), message));
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// The engine (and through it the rule set).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits.
    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    /// The latest `at`/`recorded_at` seen or advanced to; `None` before the first.
    pub fn clock(&self) -> Option<Timestamp> {
        self.clock
    }

    /// Observations that happened before this are refused: `clock − max_lateness`.
    pub fn horizon(&self) -> Option<Timestamp> {
        self.horizon
    }

    /// Moves the clock, and the horizon and the clock's limit with it. A stream holds many
    /// records of the same minute: a clock set to the instant and offset it has already keeps
    /// what was worked out for it (calendar arithmetic is a few hundred instructions a call).
    fn set_clock(&mut self, clock: Option<Timestamp>) {
        let unchanged = match (self.clock, clock) {
            (Some(old), Some(new)) => old == new && old.offset() == new.offset(),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            return;
        }
        self.clock = clock;
        self.horizon = clock.map(|c| minus(c, self.config.max_lateness));
        self.clock_limit = clock.map(|c| plus(c, self.config.max_clock_step));
    }

    /// Number of subjects tracked.
    pub fn subject_count(&self) -> usize {
        self.subjects.len()
    }

    /// Number of observations held, over all subjects.
    pub fn observation_count(&self) -> usize {
        self.subjects.values().map(|s| s.obs.len()).sum()
    }

    /// The flags a later observation can still change or withdraw (raised at or after the
    /// horizon), in the design's output order with the stage at the monitor's clock. Older flags
    /// are final: they were reported as events and are not kept.
    pub fn flags(&self) -> Vec<Flag> {
        let mut out: Vec<Flag> = self
            .sorted_subjects()
            .into_iter()
            .flat_map(|(_, s)| s.rules.iter().flat_map(|(_, r)| r.flags.iter()))
            // Older flags are final; pruning may not have dropped them yet.
            .filter(|f| self.horizon().is_none_or(|h| f.raised_at >= h))
            .cloned()
            .collect();
        if let Some(c) = self.clock {
            for f in &mut out {
                f.window.stage = f.window.stage_at(c);
            }
        }
        out.sort_by(crate::flag::output_order);
        out
    }

    /// Absence deadlines not reached yet, earliest first.
    pub fn pending(&self) -> Vec<Pending> {
        let mut out: Vec<Pending> = self
            .sorted_subjects()
            .into_iter()
            .flat_map(|(_, s)| s.rules.iter().flat_map(|(_, r)| r.pending.iter()))
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (a.deadline, &a.subject, &a.rule, &a.after)
                .cmp(&(b.deadline, &b.subject, &b.rule, &b.after))
        });
        out
    }

    /// Warnings gathered since the last call (protected attributes removed), oldest first. At most
    /// 1,000 are kept between calls; a last line says how many more there were.
    pub fn take_warnings(&mut self) -> Vec<String> {
        let mut out: Vec<String> = std::mem::take(&mut self.warnings)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        if self.dropped_warnings > 0 {
            out.push(format!(
                "{} more warning(s) were not kept; call take_warnings more often",
                std::mem::take(&mut self.dropped_warnings)
            ));
        }
        out
    }

    /// Records one observation of `subject` and returns the events it causes, including those of
    /// absence deadlines that its time has passed.
    ///
    /// Sending an identical observation again changes nothing. Protected attributes are removed
    /// (see [`take_warnings`](Self::take_warnings)).
    ///
    /// # Errors
    /// The observation is too late, conflicts with one held under its id, does not fit the
    /// vocabulary, or a cap would be exceeded. Nothing changes then.
    pub fn observe(
        &mut self,
        subject: &str,
        mut observation: Observation,
    ) -> Result<Vec<Event>, MonitorError> {
        let invalid = |reason: String| MonitorError::Invalid {
            subject: subject.to_owned(),
            reason,
        };
        if subject.is_empty() {
            return Err(invalid("the subject id is empty".into()));
        }
        if observation.id.is_empty() {
            return Err(invalid("the observation id is empty".into()));
        }
        if observation.kind.is_empty() {
            return Err(invalid(format!(
                "observation `{}` has an empty kind",
                observation.id
            )));
        }
        if let Some((name, _)) = observation
            .attributes
            .iter()
            .find(|(_, v)| matches!(v, Value::Number(n) if !n.is_finite()))
        {
            return Err(invalid(format!(
                "attribute `{name}` of observation `{}` is not a finite number",
                observation.id
            )));
        }
        let vocab = self.engine.rules().vocabulary();
        // Held observations share the vocabulary's copy of each name, which also makes the
        // checks below cheaper (by the copy's address).
        if let Some(v) = vocab {
            v.share(&mut observation);
        }
        let protected = protected_attributes(vocab, &observation.attributes);
        // Protected attributes are removed (with a warning once accepted), then the rest is checked.
        for name in &protected {
            observation.attributes.remove(name);
        }
        if let Some(v) = vocab
            && let Err(reason) = v.check_observation(&observation)
        {
            return Err(invalid(reason));
        }
        // The subject's slot, looked up once: nothing below adds or removes subjects until the
        // observation is accepted.
        let slot = self.subjects.slot(subject);
        // A copy of an observation still held changes nothing, however late it comes.
        if let Some(held) = slot
            .and_then(|slot| self.subjects.states.get(slot))
            .and_then(|st| st.obs.iter().find(|o| same_id(&o.id, &observation.id)))
        {
            if held.same_record(&observation) {
                return Ok(Vec::new());
            }
            return Err(MonitorError::Conflict {
                subject: subject.to_owned(),
                id: observation.id.into(),
            });
        }
        let horizon = self.horizon();
        if let (Some(clock), Some(limit)) = (self.clock, self.clock_limit)
            && observation.recorded() > limit
        {
            return Err(MonitorError::ClockJump {
                subject: subject.to_owned(),
                recorded: format_timestamp(&observation.recorded()),
                id: observation.id.into(),
                clock: format_timestamp(&clock),
                max_clock_step: self.config.max_clock_step,
            });
        }
        if let (Some(h), Some(clock)) = (horizon, self.clock)
            && observation.at < h
        {
            return Err(MonitorError::TooLate {
                subject: subject.to_owned(),
                id: observation.id.into(),
                at: format_timestamp(&observation.at),
                clock: format_timestamp(&clock),
                max_lateness: self.config.max_lateness,
            });
        }
        // The cap counts what must be kept: prune first, as a restored monitor would have.
        if let (Some(h), Some(slot)) = (horizon, slot)
            && self
                .subjects
                .states
                .get(slot)
                .is_some_and(|s| s.obs.len() >= self.config.max_observations_per_subject)
        {
            self.prune_slot(slot, h);
        }
        if let Some(state) = slot.and_then(|slot| self.subjects.states.get(slot)) {
            let new_counterpart = observation
                .counterpart
                .as_ref()
                .is_some_and(|c| !state.first_contact.contains_key(c));
            if state.obs.len() >= self.config.max_observations_per_subject
                || (new_counterpart
                    && state.first_contact.len() >= self.config.max_observations_per_subject)
            {
                return Err(MonitorError::TooManyObservations {
                    subject: subject.to_owned(),
                    id: observation.id.into(),
                    max: self.config.max_observations_per_subject,
                });
            }
        } else if self.subjects.len() >= self.config.max_subjects {
            return Err(MonitorError::TooManySubjects {
                subject: subject.to_owned(),
                max: self.config.max_subjects,
            });
        }
        for name in protected {
            self.warn(subject, format!(
                "protected attribute `{name}` of observation `{}` of subject `{subject}` was removed before evaluation; it may not be used",
                observation.id
            ));
        }
        // Accepted: from here on the state changes.
        let n_rules = self.engine.rules().rules().len();
        let slot = match slot {
            Some(slot) => slot,
            None => {
                let id = Subject {
                    id: subject.into(),
                    ..Subject::default()
                };
                self.subjects.insert(SubjectState::new(id))
            }
        };
        let Some(state) = self.subjects.states.get_mut(slot) else {
            return Ok(Vec::new());
        };
        // A first contact that moves earlier changes the window of the flags whose evidence
        // shares that counterpart, so every rule looks again. A counterpart seen for the first
        // time cannot: no held observation, so no flag, names it yet.
        let mut first_contact_moved = false;
        if let Some(c) = &observation.counterpart {
            match state.first_contact.get_mut(c) {
                Some(first) => {
                    if (observation.at, observation.id.as_str()) < (first.0, first.1.as_str()) {
                        first_contact_moved = true;
                        *first = (observation.at, observation.id.clone());
                    }
                }
                None => {
                    state
                        .first_contact
                        .insert(c.clone(), (observation.at, observation.id.clone()));
                }
            }
        }
        let mut affected = std::mem::take(&mut self.lists.affected);
        affected.clear();
        if first_contact_moved {
            affected.extend(0..n_rules);
        } else {
            // Only rules that can use its kind at all, and of those the ones it matches.
            let kind = self.engine.kind_id(&observation.kind);
            affected.extend(
                self.engine
                    .rules_for_id(kind, &observation.kind)
                    .iter()
                    .copied()
                    .filter(|&r| {
                        self.engine
                            .can_matter(r, &observation, kind, &state.subject)
                    }),
            );
        }
        let place = state
            .obs
            .partition_point(|o| o.order_cmp(&observation).is_lt());
        // The clock is the time of entry: an observation that happens later than it is recorded
        // (a planned event) counts once the clock reaches its `at`, as in batch evaluation.
        let entered = observation.recorded();
        let at = observation.at;
        let kind = observation.kind.clone();
        let mut id = std::mem::take(&mut self.lists.cause);
        id.clear();
        id.push_str(&observation.id);
        let cause = Cause::Observation(id);
        state.obs.insert(place, observation);
        let old_clock = self.clock;
        let clock = self.clock.map_or(entered, |c| c.max(entered));
        self.set_clock(Some(clock));
        if at > clock {
            // Rules that can see its kind look again when the clock reaches it (the same set a
            // restored monitor puts on its agenda).
            for r in (0..n_rules).filter(|&r| self.engine.rule_sees(r, &kind)) {
                self.agenda
                    .insert((at, subject.to_owned(), r, Due::Planned));
            }
        }
        // Firings raised before the new observation cannot change (each pattern decides at an
        // observation from that observation and earlier ones), nor can those before the old clock
        // (every deadline up to it has been handled); a moved first contact changes the window of
        // older flags too.
        let from = match (horizon, old_clock) {
            (Some(h), Some(c)) if !first_contact_moved => Some(h.max(at.min(c))),
            _ => horizon,
        };
        let mut events = Vec::new();
        for &r in &affected {
            self.reevaluate(subject, slot, r, from, &cause, &mut events);
        }
        // Put back empty: the monitor keeps nothing of a record beyond what its state holds
        // (`forget` must remove everything about a youth).
        affected.clear();
        self.lists.affected = affected;
        if let Cause::Observation(mut id) = cause {
            id.clear();
            self.lists.cause = id;
        }
        self.run_agenda(horizon, old_clock, &mut events);
        self.prune(Some(slot));
        Ok(events)
    }

    /// Sets (replaces) a subject's profile: `born` and facts. The rules are evaluated again for
    /// what can still change; flags before the horizon stay as they were.
    ///
    /// # Errors
    /// A fact the vocabulary refuses, or a new subject beyond `max_subjects`. Nothing changes then.
    pub fn set_subject(&mut self, subject: Subject) -> Result<Vec<Event>, MonitorError> {
        self.apply_profile(subject, false)
    }

    /// Merges a profile record into the subject's, as the batch readers merge subject records:
    /// facts are added, `born` is taken when none is known yet. Use it for a stream of partial
    /// records (`watch` does).
    ///
    /// # Errors
    /// As [`set_subject`](Self::set_subject), and a `born` that disagrees with the one known: the
    /// two records may not be the same person, so nothing of this one is merged.
    pub fn merge_subject(&mut self, subject: Subject) -> Result<Vec<Event>, MonitorError> {
        self.apply_profile(subject, true)
    }

    fn apply_profile(
        &mut self,
        mut subject: Subject,
        merge: bool,
    ) -> Result<Vec<Event>, MonitorError> {
        if subject.id.is_empty() {
            return Err(MonitorError::Invalid {
                subject: String::new(),
                reason: "the subject id is empty".into(),
            });
        }
        let vocab = self.engine.rules().vocabulary();
        let mut kept = Vec::with_capacity(subject.facts.len());
        let mut removed = Vec::new();
        for mut fact in std::mem::take(&mut subject.facts) {
            if is_protected(vocab, &fact.name) {
                removed.push(fact.name);
                continue;
            }
            if let Some(v) = vocab {
                v.check_fact(&fact.name, &fact.value)
                    .map_err(|reason| MonitorError::Invalid {
                        subject: subject.id.to_string(),
                        reason,
                    })?;
                v.share_value(&mut fact.value);
            }
            kept.push(fact);
        }
        subject.facts = kept;
        let id = subject.id.to_string();
        if merge
            && let Some(state) = self.subjects.get(id.as_str())
            && let (Some(known), Some(new)) = (state.subject.born, subject.born)
            && known != new
        {
            return Err(MonitorError::Invalid {
                subject: id,
                reason: format!(
                    "`born` {new} disagrees with the {known} already known: these may be two different people under one id, so this record is not merged; correct the id or the date"
                ),
            });
        }
        if !self.subjects.contains_key(id.as_str())
            && self.subjects.len() >= self.config.max_subjects
        {
            return Err(MonitorError::TooManySubjects {
                subject: id,
                max: self.config.max_subjects,
            });
        }
        for name in removed {
            self.warn(&id, format!(
                "protected fact `{name}` of subject `{id}` was removed before evaluation; it may not be used"
            ));
        }
        let slot = match self.subjects.slot(id.as_str()) {
            Some(slot) => {
                if let Some(state) = self.subjects.states.get_mut(slot) {
                    if merge {
                        state.subject.born = state.subject.born.or(subject.born);
                        state.subject.facts.extend(subject.facts);
                    } else {
                        state.subject = subject;
                    }
                }
                slot
            }
            None => self.subjects.insert(SubjectState::new(subject)),
        };
        let mut events = Vec::new();
        if self.clock.is_some() {
            let horizon = self.horizon();
            let cause = Cause::Profile;
            for r in 0..self.engine.rules().rules().len() {
                self.reevaluate(&id, slot, r, horizon, &cause, &mut events);
            }
        }
        Ok(events)
    }

    /// Moves the clock to `time` and returns the events of absence deadlines reached by then. An
    /// earlier time than the clock changes nothing.
    pub fn advance_to(&mut self, time: Timestamp) -> Vec<Event> {
        if self.clock.is_some_and(|c| time <= c) {
            return Vec::new();
        }
        let horizon = self.horizon();
        let old_clock = self.clock;
        self.set_clock(Some(time));
        let mut events = Vec::new();
        self.run_agenda(horizon, old_clock, &mut events);
        self.prune(None);
        events
    }

    /// Removes everything about `subject` (retention, the right to erasure). Returns whether the
    /// monitor knew it. No events: the flags are not withdrawn, the subject is gone.
    pub fn forget(&mut self, subject: &str) -> bool {
        let known = self.subjects.remove(subject).is_some();
        self.agenda.retain(|(_, s, ..)| s != subject);
        // Warnings not yet taken name it too.
        self.warnings.retain(|(s, _)| s != subject);
        known
    }

    /// Evaluates rule `r` for `subject` (whose state is in `slot`: looked up once by the caller,
    /// not once per rule) again at the clock, with every firing raised before
    /// `from` (at or after `horizon`) taken as it is, and appends the difference to `events`.
    ///
    /// `from` is the horizon (`None` before the clock is set: everything), or a later time before
    /// which the caller knows nothing can have changed. Only the observations from `from` minus the rule's window on can decide a
    /// firing at or after `from`, so the cost follows the window, not the history held.
    fn reevaluate(
        &mut self,
        subject: &str,
        slot: usize,
        r: usize,
        from: Option<Timestamp>,
        cause: &Cause,
        events: &mut Vec<Event>,
    ) {
        let (Some(clock), Some(rule)) = (self.clock, self.engine.rules().rules().get(r)) else {
            return;
        };
        let Some(state) = self.subjects.states.get_mut(slot) else {
            return;
        };
        // Most rules hold nothing for most youths: a run that leaves nothing adds no state.
        let mut fresh = RuleState::default();
        let had_state = state.rules.get_mut(r);
        let existed = had_state.is_some();
        let rs = had_state.unwrap_or(&mut fresh);
        let engine = &self.engine;
        // Held observations are in time order: the ones that count are one slice of them.
        let lo = match from {
            Some(f) => {
                let start = rule.pattern.within().map_or(f, |w| minus(f, w));
                state.obs.partition_point(|o| o.at < start)
            }
            None => 0,
        };
        let hi = state.obs.partition_point(|o| o.at <= clock);
        // The observations of kinds the rule sees, with the numbers of their kinds, remembered
        // per kind: a window holds few different ones (compared by stored copy first: held
        // observations share the vocabulary's).
        let window = state.obs.get(lo..hi).unwrap_or_default();
        let mut seen: Vec<(&Name, bool, KindId)> = reuse(std::mem::take(&mut self.lists.seen));
        let mut obs: Vec<&Observation> = reuse(std::mem::take(&mut self.lists.obs));
        let mut kinds = std::mem::take(&mut self.lists.kinds);
        kinds.clear();
        let mut ats = std::mem::take(&mut self.lists.ats);
        ats.clear();
        let mut leap = false;
        for o in window {
            let known = seen
                .iter()
                .find(|(k, ..)| k.same(&o.kind))
                .or_else(|| seen.iter().find(|(k, ..)| *k == &o.kind))
                .map(|&(_, sees, id)| (sees, id));
            let (sees, id) = known.unwrap_or_else(|| {
                let id = engine.kind_id(&o.kind);
                let sees = engine.rule_sees_id(r, id, &o.kind);
                seen.push((&o.kind, sees, id));
                (sees, id)
            });
            if sees {
                obs.push(o);
                kinds.push(id);
                ats.push(instant(&o.at));
                leap |= is_leap(&o.at);
            }
        }
        if leap {
            ats.clear();
        }
        let input = Seen {
            obs: &obs,
            kinds: &kinds,
            ats: &ats,
        };
        let first_contact = |c: &str| state.first_contact.get(c).map(|(t, _)| *t);
        // Records are sorted by `raised_at`: those before `from` are final.
        let settled = from.map_or(0, |f| rs.records.partition_point(|x| x.raised_at < f));
        let mut rerun = std::mem::take(&mut self.lists.run);
        let run = &mut rerun.0;
        match from {
            Some(from) => {
                let before = rs.records.get(..settled).unwrap_or_default();
                let used: HashSet<Name> = if matches!(rule.pattern, Pattern::Sequence { .. }) {
                    before.iter().filter_map(|f| f.first_step.clone()).collect()
                } else {
                    HashSet::new()
                };
                let mut last_kept: Vec<(Key, Timestamp)> = Vec::new();
                if rule.cooldown.is_some() {
                    for f in before.iter().filter(|f| f.kept) {
                        match last_kept.iter_mut().find(|(k, _)| *k == f.key) {
                            Some((_, t)) => *t = (*t).max(f.raised_at),
                            None => last_kept.push((f.key.clone(), f.raised_at)),
                        }
                    }
                }
                let resume = Resume { from, used: &used };
                self.engine.run_rule(
                    r,
                    input,
                    &state.subject,
                    clock,
                    Some((&resume, &last_kept)),
                    &first_contact,
                    run,
                );
            }
            None => {
                self.engine
                    .run_rule(r, input, &state.subject, clock, None, &first_contact, run)
            }
        }
        self.lists.seen = reuse(seen);
        self.lists.obs = reuse(obs);
        kinds.clear();
        ats.clear();
        self.lists.kinds = kinds;
        self.lists.ats = ats;
        let (mut new, mut records, pending) = run.take_found();
        self.lists.run = rerun;
        rs.records.truncate(settled);
        records.sort_by_key(|x| x.raised_at);
        rs.records.extend(records);
        // The flags that could change: raised at or after `from`. Older ones stay; those before
        // the horizon are final and go at the next prune.
        let keep = from.map_or(0, |f| rs.flags.partition_point(|x| x.raised_at < f));
        let old: Vec<Flag> = rs.flags.split_off(keep);
        new.sort_by(|a, b| a.raised_at.cmp(&b.raised_at).then_with(|| a.id.cmp(&b.id)));
        let old_by_id: HashMap<&str, &Flag> = old.iter().map(|f| (f.id.as_str(), f)).collect();
        let new_ids: HashSet<&str> = new.iter().map(|f| f.id.as_str()).collect();
        let mut withdrawn: Vec<&Flag> = old
            .iter()
            .filter(|f| !new_ids.contains(f.id.as_str()))
            .collect();
        withdrawn.sort_by_key(|f| f.id);
        events.extend(withdrawn.into_iter().map(|flag| Event::Withdrawn {
            id: flag.id,
            subject: flag.subject.clone(),
            rule: flag.rule.clone(),
            reason: cause.withdrawal(),
        }));
        events.extend(
            new.iter()
                .filter(|f| {
                    old_by_id
                        .get(f.id.as_str())
                        .is_none_or(|o| !same_flag(o, f))
                })
                .cloned()
                .map(Event::Raised),
        );
        drop(old_by_id);
        rs.flags.extend(new);
        // The agenda changes only where the deadlines did (most re-evaluations keep them all).
        let old_pending = std::mem::replace(&mut rs.pending, pending);
        for p in &old_pending {
            if !rs.pending.iter().any(|q| q.deadline == p.deadline) {
                self.agenda
                    .remove(&(p.deadline, subject.to_owned(), r, Due::Deadline));
            }
        }
        for p in &rs.pending {
            if !old_pending.iter().any(|q| q.deadline == p.deadline) {
                self.agenda
                    .insert((p.deadline, subject.to_owned(), r, Due::Deadline));
            }
        }
        let empty = rs.is_empty();
        if existed && empty {
            state.rules.remove(r);
        } else if !existed && !empty {
            state.rules.insert(r, fresh);
        }
    }

    /// Evaluates again every (subject, rule) whose absence deadline (or planned observation) the
    /// clock has reached since `old_clock`, from the earliest such time on.
    fn run_agenda(
        &mut self,
        horizon: Option<Timestamp>,
        old_clock: Option<Timestamp>,
        events: &mut Vec<Event>,
    ) {
        let Some(clock) = self.clock else { return };
        let mut due: BTreeMap<(String, usize), Timestamp> = BTreeMap::new();
        while let Some(first) = self.agenda.first() {
            if first.0 > clock {
                break;
            }
            if let Some((t, subject, r, _)) = self.agenda.pop_first() {
                // Popped in time order: the first entry of a pair is its earliest.
                due.entry((subject, r)).or_insert(t);
            }
        }
        for ((subject, r), t) in due {
            // What was raised before the deadline, and before the old clock, stays as it was.
            let from = match (horizon, old_clock) {
                (Some(h), Some(c)) => Some(h.max(t.min(c))),
                _ => horizon,
            };
            if let Some(slot) = self.subjects.slot(&subject) {
                self.reevaluate(&subject, slot, r, from, &Cause::Deadline, events);
            }
        }
    }

    /// Drops what the horizon has made unnecessary: for the subject in slot `touched` when it was
    /// last pruned a day of horizon ago or more, and for the quiet subjects among the next
    /// [`SWEEP_STEP`] slots of a rolling sweep over all of them (see [`SWEEP_IDLE_DAYS`]). So a
    /// subject that records arrive for holds at most a day more than its window needs, a quiet
    /// one is emptied within [`SWEEP_IDLE_DAYS`] plus one round of the sweep, and every call
    /// costs about the same.
    fn prune(&mut self, touched: Option<usize>) {
        let Some(h) = self.horizon() else { return };
        // `h >= plus(p, after)`, on instants (the same answer without calendar arithmetic),
        // except around a leap second.
        let h_at = instant(&h);
        let due = |p: &Option<Timestamp>, after: Duration| {
            p.is_none_or(|p| {
                if is_leap(&h) || is_leap(&p) {
                    h >= plus(p, after)
                } else {
                    h_at >= instant_plus(&p, instant(&p), after)
                }
            })
        };
        if let Some(slot) = touched
            && self
                .subjects
                .pruned_at
                .get(slot)
                .is_some_and(|p| due(p, Duration::days(1)))
        {
            self.prune_slot(slot, h);
        }
        for _ in 0..SWEEP_STEP.min(self.subjects.len()) {
            if self.sweep_pos >= self.subjects.len() {
                self.sweep_pos = 0;
            }
            let slot = self.sweep_pos;
            self.sweep_pos += 1;
            if self
                .subjects
                .pruned_at
                .get(slot)
                .is_some_and(|p| due(p, Duration::days(SWEEP_IDLE_DAYS)))
            {
                self.prune_slot(slot, h);
            }
        }
    }

    /// Prunes the subject in `slot` at horizon `h`.
    fn prune_slot(&mut self, slot: usize, h: Timestamp) {
        let rules = self.engine.rules().rules();
        if let (Some(state), Some(p)) = (
            self.subjects.states.get_mut(slot),
            self.subjects.pruned_at.get_mut(slot),
        ) {
            prune_subject(state, rules, h, self.retention);
            *p = Some(h);
        }
    }

    /// The subjects in id order, for listings that must not depend on hashing.
    fn sorted_subjects(&self) -> Vec<(&Name, &SubjectState)> {
        let mut all: Vec<(&Name, &SubjectState)> = self.subjects.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// The monitor's state as a versioned JSON document (see [`Monitor::restore`]).
    pub fn snapshot(&self) -> String {
        use serde_json::{Value as J, json};
        let rules = self.engine.rules().rules();
        let mut subjects = Vec::new();
        let mut observations = Vec::new();
        let mut contacts = Vec::new();
        let mut firings = Vec::new();
        // Written as if every subject had just been pruned, so that the snapshot does not depend
        // on when each subject was last touched.
        let horizon = self.horizon();
        for (id, state) in self.sorted_subjects() {
            let pruned;
            let state = match horizon {
                Some(h) => {
                    let mut copy = state.clone();
                    prune_subject(&mut copy, rules, h, self.retention);
                    pruned = copy;
                    &pruned
                }
                None => state,
            };
            subjects.push(state.subject.to_json());
            observations.extend(state.obs.iter().map(|o| o.to_json(id)));
            for (c, (t, o)) in &state.first_contact {
                contacts.push(json!({"subject": id, "counterpart": c, "at": format_timestamp(t), "observation": o}));
            }
            for (r, rs) in state.rules.iter() {
                for f in &rs.records {
                    let key: serde_json::Map<String, J> = f
                        .key
                        .iter()
                        .map(|(k, v)| (k.clone(), value_json(v)))
                        .collect();
                    firings.push(json!({
                        "subject": id,
                        "rule": rules.get(r).map(|x| x.id.as_str()).unwrap_or(""),
                        "raised_at": format_timestamp(&f.raised_at),
                        "key": key,
                        "first_step": f.first_step,
                        "kept": f.kept,
                    }));
                }
            }
        }
        let doc = json!({
            "format": SNAPSHOT_FORMAT,
            "version": SNAPSHOT_VERSION,
            "ruleset": self.engine.rules().digest(),
            "config": {
                "max_lateness": self.config.max_lateness.to_string(),
                "max_subjects": self.config.max_subjects,
                "max_observations_per_subject": self.config.max_observations_per_subject,
                "max_clock_step": self.config.max_clock_step.to_string(),
            },
            "clock": self.clock.map(|c| format_timestamp(&c)),
            "subjects": subjects,
            "observations": observations,
            "first_contacts": contacts,
            "firings": firings,
        });
        doc.to_string()
    }

    /// A monitor restored from [`snapshot`](Self::snapshot) output, with the limits saved in it.
    ///
    /// # Errors
    /// The snapshot was taken with another rule set, or is not a snapshot this crate can read.
    pub fn restore(engine: Engine, snapshot: &str) -> Result<Monitor, SnapshotError> {
        use serde_json::Value as J;
        let bad = |m: String| SnapshotError::Format(m);
        let doc: J = serde_json::from_str(snapshot).map_err(|e| bad(format!("not JSON: {e}")))?;
        if doc.get("format").and_then(J::as_str) != Some(SNAPSHOT_FORMAT) {
            return Err(bad(format!("`format` is not \"{SNAPSHOT_FORMAT}\"")));
        }
        match doc.get("version").and_then(J::as_u64) {
            Some(v) if v == u64::from(SNAPSHOT_VERSION) => {}
            other => {
                return Err(bad(format!(
                    "version {other:?}; this crate reads version {SNAPSHOT_VERSION}"
                )));
            }
        }
        let found = doc.get("ruleset").and_then(J::as_str).unwrap_or("");
        if found != engine.rules().digest() {
            return Err(SnapshotError::RulesetMismatch {
                expected: engine.rules().digest().to_owned(),
                found: found.to_owned(),
            });
        }
        let cfg = doc.get("config").ok_or_else(|| bad("no `config`".into()))?;
        let max_lateness = cfg
            .get("max_lateness")
            .and_then(J::as_str)
            .and_then(|s| Duration::parse(s).ok())
            .ok_or_else(|| bad("`config.max_lateness` is not a duration".into()))?;
        let limit = |name: &str| {
            cfg.get(name)
                .and_then(J::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| bad(format!("`config.{name}` is not a number")))
        };
        let max_clock_step = cfg
            .get("max_clock_step")
            .and_then(J::as_str)
            .and_then(|s| Duration::parse(s).ok())
            .ok_or_else(|| bad("`config.max_clock_step` is not a duration".into()))?;
        let config = MonitorConfig {
            max_lateness,
            max_subjects: limit("max_subjects")?,
            max_observations_per_subject: limit("max_observations_per_subject")?,
            max_clock_step,
        };
        let time = |v: Option<&J>, what: &str| -> Result<Timestamp, SnapshotError> {
            v.and_then(J::as_str)
                .ok_or_else(|| bad(format!("{what} is missing")))
                .and_then(|s| parse_timestamp(s).map_err(|m| bad(format!("{what}: {m}"))))
        };
        let list = |name: &str| -> Result<Vec<J>, SnapshotError> {
            match doc.get(name) {
                Some(J::Array(items)) => Ok(items.clone()),
                _ => Err(bad(format!("`{name}` is not a list"))),
            }
        };
        // Subjects and observations go through the ordinary readers, with every check.
        let lines =
            |items: &[J]| -> String { items.iter().map(|i| format!("{i}\n")).collect::<String>() };
        let mut tl: Timeline = engine.rules().new_timeline();
        // What the original held, it may hold again: the snapshot is read without the input caps.
        tl.set_limits(crate::limits::Limits {
            max_line_bytes: usize::MAX,
            max_yaml_timeline_bytes: usize::MAX,
            max_observations_per_subject: usize::MAX,
            max_subjects: usize::MAX,
            max_rejections: usize::MAX,
            ..crate::limits::Limits::default()
        });
        tl.read_subjects_jsonl("snapshot subjects", lines(&list("subjects")?));
        tl.read_jsonl("snapshot observations", lines(&list("observations")?));
        if let Some(r) = tl.rejected().first() {
            return Err(bad(format!("a record in it is refused: {r}")));
        }
        let mut monitor = Monitor::new(engine, config);
        monitor.set_clock(match doc.get("clock") {
            None | Some(J::Null) => None,
            Some(v) => Some(time(Some(v), "`clock`")?),
        });
        let n_rules = monitor.engine.rules().rules().len();
        for st in tl.subjects() {
            let mut obs = st.observations().to_vec();
            obs.sort_by(|a, b| a.order_cmp(b));
            monitor.subjects.insert(SubjectState {
                obs,
                ..SubjectState::new(st.subject().clone())
            });
        }
        for c in list("first_contacts")? {
            let subject = c.get("subject").and_then(J::as_str).unwrap_or("");
            let counterpart = c.get("counterpart").and_then(J::as_str).unwrap_or("");
            let at = time(c.get("at"), "a first contact's `at`")?;
            let observation = c.get("observation").and_then(J::as_str).unwrap_or("");
            let state = monitor
                .subjects
                .get_mut(subject)
                .ok_or_else(|| bad(format!("a first contact of unknown subject `{subject}`")))?;
            state
                .first_contact
                .insert(counterpart.into(), (at, observation.into()));
        }
        // A snapshot written here lists the first contact of every counterpart held; one edited
        // by hand may not, and a flag's window and the re-evaluation after a new counterpart
        // rely on it: the earliest held observation stands in for a missing or later one.
        for state in monitor.subjects.values_mut() {
            let SubjectState {
                obs, first_contact, ..
            } = state;
            for o in obs.iter() {
                let Some(c) = &o.counterpart else { continue };
                let earlier =
                    |(t, id): &(Timestamp, Name)| (*t, id.as_str()) <= (o.at, o.id.as_str());
                if !first_contact.get(c).is_some_and(earlier) {
                    first_contact.insert(c.clone(), (o.at, o.id.clone()));
                }
            }
        }
        let index: BTreeMap<&str, usize> = monitor
            .engine
            .rules()
            .rules()
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let horizon = monitor.horizon();
        for f in list("firings")? {
            let subject = f.get("subject").and_then(J::as_str).unwrap_or("");
            let rule = f.get("rule").and_then(J::as_str).unwrap_or("");
            let r = *index
                .get(rule)
                .ok_or_else(|| bad(format!("a firing of unknown rule `{rule}`")))?;
            let raised_at = time(f.get("raised_at"), "a firing's `raised_at`")?;
            // Only final firings are needed; the rest is evaluated again below.
            if horizon.is_some_and(|h| raised_at >= h) {
                continue;
            }
            let key: Key = match f.get("key") {
                Some(J::Object(m)) => m
                    .iter()
                    .filter_map(|(k, v)| json_value(v).map(|v| (k.clone(), v)))
                    .collect(),
                _ => Key::new(),
            };
            let record = FiringRecord {
                raised_at,
                key,
                first_step: f.get("first_step").and_then(J::as_str).map(Name::from),
                kept: f.get("kept").and_then(J::as_bool).unwrap_or(true),
            };
            let state = monitor
                .subjects
                .get_mut(subject)
                .ok_or_else(|| bad(format!("a firing of unknown subject `{subject}`")))?;
            if let Some(rs) = state.rules.get_or_insert(r) {
                rs.records.push(record);
            }
        }
        for state in monitor.subjects.values_mut() {
            for (_, rs) in state.rules.iter_mut() {
                rs.records.sort_by_key(|a| a.raised_at);
            }
        }
        // Observations that happen after the clock wait on the agenda, as they did in the original.
        if let Some(clock) = monitor.clock {
            let mut waiting = Vec::new();
            for (id, state) in monitor.subjects.iter() {
                for o in state.obs.iter().filter(|o| o.at > clock) {
                    for r in (0..n_rules).filter(|&r| monitor.engine.rule_sees(r, &o.kind)) {
                        waiting.push((o.at, id.to_string(), r, Due::Planned));
                    }
                }
            }
            monitor.agenda.extend(waiting);
        }
        // What can still change is evaluated again, exactly as the original last did.
        let mut ids: Vec<Name> = monitor.subjects.keys().cloned().collect();
        ids.sort_unstable();
        let mut ignored = Vec::new();
        for id in ids {
            let Some(slot) = monitor.subjects.slot(&id) else {
                continue;
            };
            for r in 0..n_rules {
                monitor.reevaluate(&id, slot, r, horizon, &Cause::Profile, &mut ignored);
            }
        }
        Ok(monitor)
    }
}

/// Drops one subject's observations, firings and flags that the horizon `h` has made unnecessary.
fn prune_subject(state: &mut SubjectState, rules: &[Rule], h: Timestamp, retention: Duration) {
    let keep_obs = minus(h, retention);
    let first_kept = state.obs.partition_point(|o| o.at < keep_obs);
    state.obs.drain(..first_kept);
    for (r, rs) in state.rules.iter_mut() {
        let Some(rule) = rules.get(r) else { continue };
        rs.flags.retain(|f| f.raised_at >= h);
        // Final firings matter only as the latest kept one per key (cooldown) and as used
        // sequence first steps still inside the window.
        let cooldown_from = rule.cooldown.map(|c| minus(h, c));
        let mut latest: Vec<(Key, Timestamp)> = Vec::new();
        if cooldown_from.is_some() {
            for f in rs.records.iter().filter(|f| f.kept && f.raised_at < h) {
                match latest.iter_mut().find(|(k, _)| *k == f.key) {
                    Some((_, t)) => *t = (*t).max(f.raised_at),
                    None => latest.push((f.key.clone(), f.raised_at)),
                }
            }
        }
        rs.records.retain(|f| {
            f.raised_at >= h
                || (f.first_step.is_some() && f.raised_at >= keep_obs)
                || (f.kept
                    && cooldown_from.is_some_and(|c| f.raised_at >= c)
                    && latest.iter().any(|(k, t)| *k == f.key && *t == f.raised_at))
        });
    }
    state.rules.drop_empty();
}

/// What made the monitor evaluate a rule again, for the reason of a withdrawal.
enum Cause {
    Observation(String),
    Profile,
    Deadline,
}

impl Cause {
    fn withdrawal(&self) -> String {
        match self {
            Cause::Observation(id) => format!(
                "the pattern no longer holds with observation `{id}`, which arrived late; a flag with the updated evidence replaces it if one still holds"
            ),
            Cause::Profile => {
                "the pattern no longer holds with the subject's updated profile".into()
            }
            Cause::Deadline => "the pattern no longer holds at the deadline".into(),
        }
    }
}

/// `a == b`, comparing the last bytes first: ids of one subject mostly differ at their end
/// (`o-1041`, `o-1042`), so most comparisons of a duplicate check stop there.
fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

/// Two flags are the same event when everything but the stage (which moves with time) is equal,
/// timestamps down to the offset they are written in (`==` on timestamps compares instants only).
fn same_flag(a: &Flag, b: &Flag) -> bool {
    let same_ts = |x: &Timestamp, y: &Timestamp| x == y && x.offset() == y.offset();
    let (wa, wb) = (&a.window, &b.window);
    a.id == b.id
        && a.rule == b.rule
        && a.rule_version == b.rule_version
        && a.ruleset == b.ruleset
        && a.subject == b.subject
        && a.class == b.class
        && a.severity == b.severity
        && a.key == b.key
        && same_ts(&a.raised_at, &b.raised_at)
        && same_ts(&a.known_at, &b.known_at)
        && a.evidence == b.evidence
        && a.evidence
            .iter()
            .zip(&b.evidence)
            .all(|(x, y)| same_ts(&x.at, &y.at))
        && same_ts(&wa.opened_at, &wb.opened_at)
        && same_ts(&wa.urgent_until, &wb.urgent_until)
        && same_ts(&wa.closes_at, &wb.closes_at)
        && a.explanation == b.explanation
}

fn value_json(v: &Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn json_value(v: &serde_json::Value) -> Option<Value> {
    match v {
        serde_json::Value::Bool(b) => Some(Value::Bool(*b)),
        serde_json::Value::Number(n) => n.as_f64().map(Value::Number),
        serde_json::Value::String(s) => Some(Value::from(s.as_str())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::timeline::{Fact, Observation, Subject, Value};
    use crate::{Engine, Event, Monitor, RuleSet, Timestamp};

    /// The re-runs' working lists hold nothing of a record between calls (`forget` must remove
    /// everything about a youth), and a rule keeps state for a youth only where it has some.
    #[test]
    fn reruns_keep_nothing_between_calls_and_rules_no_empty_state() {
        // The default pack, and a rule whose cooldown remembers its latest flag per key.
        let mut sources = vec![(
            "cooldown.yaml".to_owned(),
            "rules:\n  - id: again\n    version: 1\n    title: contact again\n    class: risk\n    \
             severity: low\n    rationale: test\n    cooldown: 7d\n    when:\n      \
             match: { kind: contact.new }\n"
                .to_owned(),
        )];
        sources.extend(
            crate::builtin::FILES
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned())),
        );
        let rules = RuleSet::from_sources(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .expect("rules load");
        let mut monitor = Monitor::new(Engine::new(rules), Default::default());
        let at = |t: &str| -> Timestamp { t.parse().expect("a timestamp") };
        // `again` fires on the first new contact; the cooldown drops the second (run together with
        // the first) and the third, a day later, which is judged on resume against the first
        // firing, settled by then.
        let mut again = 0;
        for (i, (t, kind)) in [
            ("2026-03-02T21:00:00+01:00", "contact.new"),
            ("2026-03-02T21:30:00+01:00", "contact.new"),
            ("2026-03-02T22:00:00+01:00", "disclosure"),
            ("2026-03-03T21:00:00+01:00", "contact.new"),
            ("2026-03-03T21:00:00+01:00", "disclosure"),
            ("2026-03-04T09:00:00+01:00", "meeting.in_person"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut o = Observation::new(format!("o-{i}"), at(t), kind);
            o.counterpart = Some(format!("c-{i}").into());
            let events = monitor.observe("y-1", o).expect("accepted");
            again += events
                .iter()
                .filter(|e| matches!(e, Event::Raised(f) if f.rule == "again"))
                .count();
            assert!(monitor.lists.run.0.holds_nothing(), "after `o-{i}`");
        }
        assert_eq!(again, 1, "the cooldown holds across runs");
        let state = monitor.subjects.get("y-1").expect("tracked");
        assert!(!state.rules.0.is_empty());
        for (r, rs) in state.rules.iter() {
            assert!(!rs.is_empty(), "rule {r} holds an empty state");
        }
    }

    /// A profile's declared fact value is held as the vocabulary's stored copy, as the readers
    /// hold it.
    #[test]
    fn profiles_hold_the_stored_copy_of_a_declared_value() {
        let rules = RuleSet::builtin();
        let stored = rules.vocabulary().map(|v| v.name("foster_care"));
        let mut monitor = Monitor::new(Engine::new(rules), Default::default());
        let subject = Subject {
            id: "y-1".into(),
            facts: vec![Fact {
                name: "residence".into(),
                value: Value::from("foster_care"),
                from: None,
                until: None,
            }],
            ..Subject::default()
        };
        monitor.set_subject(subject).expect("a declared fact");
        let held = monitor
            .subjects
            .get("y-1")
            .and_then(|s| s.subject.facts.first());
        let value = held.map(|f| &f.value);
        assert!(
            matches!((value, &stored), (Some(Value::String(s)), Some(c)) if s.same(c)),
            "{value:?}"
        );
    }
}
