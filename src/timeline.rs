//! Subjects, observations and the timelines the engine evaluates (design §1).

use crate::attributes::Attributes;
use crate::hash::InputKeyed;
use crate::limits::Limits;
use crate::name::Name;
use crate::node::{Node, NodeKind, Pos};
use crate::report::{Rejection, Warning};
use crate::time::{Timestamp, parse_date, parse_timestamp};
use crate::vocabulary::{Vocabulary, is_builtin_protected};
use chrono::{NaiveDate, NaiveTime, TimeZone};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A scalar value of an attribute or a fact.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// `true` or `false`.
    Bool(bool),
    /// Any number; `14` equals `14.0`.
    Number(f64),
    /// A string. Readers that know a vocabulary hand a declared value (one of an attribute's
    /// or fact's `values`) the vocabulary's own copy, as they do kinds: see [`Name`].
    String(Name),
}

impl Value {
    /// Makes a string value the vocabulary's stored copy when it is declared.
    pub(crate) fn share(&mut self, names: &crate::name::Names) {
        if let Value::String(s) = self {
            names.share(s);
        }
    }

    /// The type name used in messages and vocabularies: `bool`, `number` or `string`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => f.write_str(s),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}

impl From<Name> for Value {
    fn from(s: Name) -> Self {
        Value::String(s)
    }
}

/// One end of a fact's validity: a date (start of that day in the observation's own offset) or an
/// exact instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Midnight at the start of this date, in the offset of the observation being evaluated.
    Date(NaiveDate),
    /// An exact instant.
    Instant(Timestamp),
}

impl Bound {
    /// The instant this bound stands for when evaluating an observation at `at`.
    pub fn resolve(&self, at: &Timestamp) -> Timestamp {
        match self {
            Bound::Instant(t) => *t,
            Bound::Date(d) => at
                .offset()
                .from_local_datetime(&d.and_time(NaiveTime::MIN))
                .single()
                .unwrap_or(*at),
        }
    }
}

/// A time-valid fact about a subject, valid over `[from, until)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// The fact's name, e.g. `residence`.
    pub name: String,
    /// Its value, e.g. `institution.open`.
    pub value: Value,
    /// Valid from (inclusive); `None` means from the beginning.
    pub from: Option<Bound>,
    /// Valid until (exclusive); `None` means without end.
    pub until: Option<Bound>,
}

impl Fact {
    /// Whether the fact holds at `at`.
    pub fn holds_at(&self, at: &Timestamp) -> bool {
        self.from.is_none_or(|b| b.resolve(at) <= *at)
            && self.until.is_none_or(|b| *at < b.resolve(at))
    }
}

/// A youth, identified by a pseudonymous id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Subject {
    /// Pseudonymous id.
    pub id: Name,
    /// Date of birth; needed for `subject.age`.
    pub born: Option<NaiveDate>,
    /// Time-valid facts.
    pub facts: Vec<Fact>,
}

/// One recorded sign about a subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Unique within the subject.
    pub id: Name,
    /// When it happened.
    pub at: Timestamp,
    /// When it was entered; `None` means the same as `at`.
    pub recorded_at: Option<Timestamp>,
    /// A dotted kind from the vocabulary, e.g. `contact.new`.
    pub kind: Name,
    /// How the contact happened, e.g. `online.social_media`.
    pub channel: Option<Name>,
    /// Pseudonymous id of the other person.
    pub counterpart: Option<Name>,
    /// The role that recorded it, e.g. `mentor`.
    pub source: Option<Name>,
    /// Scalar attributes.
    pub attributes: Attributes,
}

impl Observation {
    /// An observation with only the required fields set.
    pub fn new(id: impl Into<Name>, at: Timestamp, kind: impl Into<Name>) -> Self {
        Observation {
            id: id.into(),
            at,
            recorded_at: None,
            kind: kind.into(),
            channel: None,
            counterpart: None,
            source: None,
            attributes: Attributes::new(),
        }
    }

    /// When it was recorded: `recorded_at`, or `at` when not given.
    pub fn recorded(&self) -> Timestamp {
        self.recorded_at.unwrap_or(self.at)
    }

    /// Whether `other` is this record given again (design §8: it then counts once). Times must
    /// agree in their offsets too, since the local date decides ages and date-bounded facts; a
    /// `recorded_at` equal to `at` is the same as none.
    pub(crate) fn same_record(&self, other: &Observation) -> bool {
        let same = |a: Timestamp, b: Timestamp| a == b && a.offset() == b.offset();
        self.id == other.id
            && same(self.at, other.at)
            && same(self.recorded(), other.recorded())
            && self.kind == other.kind
            && self.channel == other.channel
            && self.counterpart == other.counterpart
            && self.source == other.source
            && self.attributes == other.attributes
    }

    /// The (`at`, `id`) total order of design §1.
    pub fn order_cmp(&self, other: &Observation) -> std::cmp::Ordering {
        self.at
            .cmp(&other.at)
            .then_with(|| self.id.as_bytes().cmp(other.id.as_bytes()))
    }
}

/// The observation ids of one subject, by a keyed hash of the id (so no id is stored twice);
/// the rare hash collision between different ids is kept in `overflow` and checked by id.
#[derive(Debug, Clone, Default)]
struct IdIndex {
    first: HashMap<u64, usize, std::hash::BuildHasherDefault<U64Hasher>>,
    overflow: Vec<usize>,
}

impl IdIndex {
    fn find(&self, hash: u64, id: &str, observations: &[Observation]) -> Option<usize> {
        let is = |i: &usize| observations.get(*i).is_some_and(|o| o.id == id);
        self.first
            .get(&hash)
            .filter(|i| is(i))
            .or_else(|| self.overflow.iter().find(|i| is(i)))
            .copied()
    }

    fn insert(&mut self, hash: u64, position: usize) {
        match self.first.entry(hash) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(position);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.overflow.push(position),
        }
    }
}

/// Passes a `u64` that is already a keyed hash through unchanged.
#[derive(Debug, Clone, Copy, Default)]
struct U64Hasher(u64);

impl std::hash::Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Whose copies the names of an observation being added are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Copies {
    /// As the caller made them: each is replaced by the vocabulary's copy where it has one.
    AsGiven,
    /// The timeline's vocabulary's copies already, where it has them (a reader built the
    /// observation with that vocabulary, `PlainObservation::build`): nothing to replace.
    Shared,
}

/// Where a record was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// File name as given.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column; 0 when unknown (JSON Lines).
    pub column: u32,
}

/// Everything known about one subject.
#[derive(Debug, Clone, Default)]
pub struct SubjectTimeline {
    pub(crate) subject: Subject,
    pub(crate) observations: Vec<Observation>,
    pub(crate) origins: Vec<Option<Origin>>,
    index: IdIndex,
    born_origin: Option<Origin>,
}

impl SubjectTimeline {
    /// The subject's profile.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// Its observations, in the order they were added (the engine sorts them).
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }
}

/// One observation read from a line of JSON Lines, not added to any timeline (see
/// [`Timeline::read_observation_line`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LineObservation {
    /// The youth's pseudonymous id (the line's `subject`).
    pub subject: String,
    /// The record, with its names shared with the vocabulary.
    pub observation: Observation,
    /// Protected attributes removed from it, one warning each.
    pub warnings: Vec<Warning>,
}

/// Error returned when a record cannot be added to a [`Timeline`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct InputError {
    /// What is wrong and how to fix it.
    pub reason: String,
}

/// Subjects with their observations: the input of [`Engine::evaluate`](crate::Engine::evaluate).
///
/// Build one with the readers ([`read_yaml`](Self::read_yaml), [`read_jsonl`](Self::read_jsonl),
/// [`read_subjects_jsonl`](Self::read_subjects_jsonl)) or record by record. Readers never stop at a
/// bad record: each one is kept in [`rejected`](Self::rejected) with its file, line and reason.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// By id; hashed because records of many subjects arrive interleaved and a lookup per record
    /// must not walk a tree of heap-allocated keys. [`subjects`](Self::subjects) sorts.
    subjects: HashMap<String, SubjectTimeline, InputKeyed>,
    /// Keyed hashing of observation ids (seeded from the system's randomness, so that input
    /// cannot aim at collisions: see [`InputKeyed`]).
    ids: InputKeyed,
    rejected: Vec<Rejection>,
    /// Rejections beyond [`Limits::max_rejections`], counted but not kept.
    rejections_not_listed: usize,
    pub(crate) warnings: Vec<Warning>,
    duplicates: usize,
    vocabulary: Option<Arc<Vocabulary>>,
    limits: Limits,
    /// Records the next subject's entry should make room for ([`expect_records`](Self::expect_records)).
    expected: usize,
}

impl Timeline {
    /// An empty timeline that checks records only against the built-in protected names.
    pub fn new() -> Self {
        Timeline::default()
    }

    /// An empty timeline that checks every record against `vocabulary` as it is added: undeclared
    /// kinds, channels, sources, attributes or facts, and values of the wrong type, are rejected.
    pub fn with_vocabulary(vocabulary: Arc<Vocabulary>) -> Self {
        Timeline {
            vocabulary: Some(vocabulary),
            ..Timeline::default()
        }
    }

    /// The subjects, in id order.
    pub fn subjects(&self) -> impl Iterator<Item = &SubjectTimeline> {
        let mut all: Vec<(&String, &SubjectTimeline)> = self.subjects.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all.into_iter().map(|(_, s)| s)
    }

    /// One subject.
    pub fn subject(&self, id: &str) -> Option<&SubjectTimeline> {
        self.subjects.get(id)
    }

    /// Number of observations held.
    pub fn observation_count(&self) -> usize {
        self.subjects.values().map(|s| s.observations.len()).sum()
    }

    /// Records that were refused, with where they came from and why.
    pub fn rejected(&self) -> &[Rejection] {
        &self.rejected
    }

    /// How many more records were refused than [`rejected`](Self::rejected) lists: the first
    /// [`Limits::max_rejections`] are kept, the rest only counted, so that a file of garbage
    /// cannot fill memory with reasons.
    pub fn rejections_not_listed(&self) -> usize {
        self.rejections_not_listed
    }

    /// Things worth knowing that did not reject a record (a stripped protected attribute, ...).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// How many observations were read twice with identical content (they count once).
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    pub(crate) fn vocabulary(&self) -> Option<&Arc<Vocabulary>> {
        self.vocabulary.as_ref()
    }

    /// Adds or merges a subject's profile. Facts are appended; a fact the vocabulary refuses is
    /// listed in [`rejected`](Self::rejected) and the rest is kept.
    ///
    /// # Errors
    /// A `born` that disagrees with the one already known: the two records may not be the same
    /// person, so nothing of this one is merged (the first is kept).
    pub fn add_subject(&mut self, subject: Subject) -> Result<(), InputError> {
        self.add_subject_from(subject, None)
    }

    /// Adds one observation of `subject` (created when new).
    ///
    /// An observation identical to one already held is ignored (it counts once); a different one
    /// under the same id is refused and the first is kept.
    ///
    /// # Errors
    /// A conflicting id, or (with a vocabulary) an undeclared name or a value of the wrong type.
    pub fn add_observation(
        &mut self,
        subject: &str,
        observation: Observation,
    ) -> Result<(), InputError> {
        self.add_observation_from(subject, observation, None, Copies::AsGiven)
            .map_err(|(e, _)| e)
    }

    /// The subject's entry, created when new (within [`Limits::max_subjects`]).
    fn entry(&mut self, subject: &str) -> Result<&mut SubjectTimeline, InputError> {
        // A timeline of one subject (as a batch reads each youth's records into, one youth at a
        // time) finds it without hashing: by comparing ids.
        if self.subjects.len() == 1 && self.subjects.keys().next().is_some_and(|k| k == subject) {
            return self.subjects.values_mut().next().ok_or_else(|| InputError {
                reason: format!("subject `{subject}` could not be found"),
            });
        }
        if !self.subjects.contains_key(subject) {
            if self.subjects.len() >= self.limits.max_subjects {
                return Err(InputError {
                    reason: format!(
                        "subject `{subject}` would be subject number {} of this timeline, more than the {} allowed (`max_subjects`); evaluate the input in parts",
                        self.subjects.len() + 1,
                        self.limits.max_subjects
                    ),
                });
            }
            let entry = SubjectTimeline {
                subject: Subject {
                    id: subject.into(),
                    ..Subject::default()
                },
                ..SubjectTimeline::default()
            };
            self.subjects.insert(subject.to_owned(), entry);
        }
        self.subjects.get_mut(subject).ok_or_else(|| InputError {
            reason: format!("subject `{subject}` could not be added"),
        })
    }

    pub(crate) fn add_subject_from(
        &mut self,
        mut subject: Subject,
        origin: Option<Origin>,
    ) -> Result<(), InputError> {
        if subject.id.is_empty() {
            return Err(InputError {
                reason: "subject id is empty".into(),
            });
        }
        let known = self.subjects.get(subject.id.as_str());
        if let (Some(born), Some(entry)) = (subject.born, known)
            && let Some(first) = entry.subject.born
            && first != born
        {
            let place = entry
                .born_origin
                .as_ref()
                .map(|o| format!(" (read at {}:{})", o.file, o.line))
                .unwrap_or_default();
            return Err(InputError {
                reason: format!(
                    "subject `{}` was already given born `{first}`{place}, which disagrees with `{born}`: these may be two different people under one id, so this record is not merged; correct the id or the date",
                    subject.id
                ),
            });
        }
        let vocab = self.vocabulary.clone();
        let mut facts = Vec::with_capacity(subject.facts.len());
        for mut fact in std::mem::take(&mut subject.facts) {
            if is_protected(vocab.as_deref(), &fact.name) {
                self.warnings.push(Warning::at(
                    format!("protected fact `{}` of subject `{}` was removed before evaluation; it may not be used", fact.name, subject.id),
                    origin.as_ref(),
                    Some(&subject.id),
                ));
                continue;
            }
            let verdict = match &fact.value {
                Value::Number(n) if !n.is_finite() => Err(format!(
                    "fact `{}` is not a finite number; numbers must be finite",
                    fact.name
                )),
                _ => vocab
                    .as_ref()
                    .map_or(Ok(()), |v| v.check_fact(&fact.name, &fact.value)),
            };
            if let Err(reason) = verdict {
                self.reject(Rejection::at(
                    reason,
                    origin.as_ref(),
                    Some(&subject.id),
                    None,
                ));
                continue;
            }
            if let Some(v) = &vocab {
                v.share_value(&mut fact.value);
            }
            facts.push(fact);
        }
        let entry = self.entry(&subject.id)?;
        if entry.subject.born.is_none() && subject.born.is_some() {
            entry.subject.born = subject.born;
            entry.born_origin = origin;
        }
        entry.subject.facts.extend(facts);
        Ok(())
    }

    /// The checks of an observation that do not depend on what is held (ids, protected and
    /// non-finite attributes, the vocabulary); the accepted record, with its names shared.
    /// Warnings (a protected attribute removed) are added to [`warnings`](Self::warnings).
    /// `names` says whether its names are this timeline's vocabulary's copies already.
    pub(crate) fn check_observation_from(
        &mut self,
        subject: &str,
        mut observation: Observation,
        origin: Option<&Origin>,
        names: Copies,
    ) -> Result<Observation, (InputError, String)> {
        if subject.is_empty() {
            return Err((
                InputError {
                    reason: "subject id is empty".into(),
                },
                observation.id.into(),
            ));
        }
        if observation.id.is_empty() {
            return Err((
                InputError {
                    reason: "observation id is empty".into(),
                },
                observation.id.into(),
            ));
        }
        let vocab = self.vocabulary.as_deref();
        // The vocabulary's copy of each name (a reader has usually handed them out already),
        // which the checks below recognise by address.
        if let (Some(v), Copies::AsGiven) = (vocab, names) {
            v.share(&mut observation);
        }
        for name in protected_attributes(vocab, &observation.attributes) {
            observation.attributes.remove(&name);
            self.warnings.push(Warning::at(
                format!(
                    "protected attribute `{name}` of observation `{}` was removed before evaluation; it may not be used",
                    observation.id
                ),
                origin,
                Some(subject),
            ));
        }
        if let Some((name, _)) = observation
            .attributes
            .iter()
            .find(|(_, v)| matches!(v, Value::Number(n) if !n.is_finite()))
        {
            let reason =
                format!("attribute `{name}` is not a finite number; numbers must be finite");
            return Err((InputError { reason }, observation.id.into()));
        }
        if let Some(v) = vocab
            && let Err(reason) = v.check_observation(&observation)
        {
            return Err((InputError { reason }, observation.id.into()));
        }
        Ok(observation)
    }

    pub(crate) fn add_observation_from(
        &mut self,
        subject: &str,
        observation: Observation,
        origin: Option<Origin>,
        names: Copies,
    ) -> Result<(), (InputError, String)> {
        let observation =
            self.check_observation_from(subject, observation, origin.as_ref(), names)?;
        let hash = std::hash::BuildHasher::hash_one(&self.ids, observation.id.as_str());
        let max = self.limits.max_observations_per_subject;
        // (At most a few thousand: the lines counted may turn out duplicates or refused.)
        let expected = std::mem::take(&mut self.expected).min(max).min(4096);
        let entry = match self.entry(subject) {
            Ok(e) => e,
            Err(e) => return Err((e, observation.id.into())),
        };
        if expected > 0 {
            entry.observations.reserve(expected);
            entry.origins.reserve(expected);
            entry.index.first.reserve(expected);
        }
        if let Some(i) = entry.index.find(hash, &observation.id, &entry.observations) {
            if entry
                .observations
                .get(i)
                .is_some_and(|held| held.same_record(&observation))
            {
                self.duplicates += 1;
                return Ok(());
            }
            let place = entry
                .origins
                .get(i)
                .and_then(|o| o.as_ref())
                .map(|o| format!(" read at {}:{}", o.file, o.line))
                .unwrap_or_default();
            return Err((
                InputError {
                    reason: format!(
                        "a different observation with id `{}` for subject `{subject}` was already{place}; the first one is kept; give this one its own id",
                        observation.id
                    ),
                },
                observation.id.into(),
            ));
        }
        if entry.observations.len() >= max {
            return Err((
                InputError {
                    reason: format!(
                        "subject `{subject}` already has {max} observations, the most one subject may have (`max_observations_per_subject`); this one is refused"
                    ),
                },
                observation.id.into(),
            ));
        }
        entry.index.insert(hash, entry.observations.len());
        entry.observations.push(observation);
        entry.origins.push(origin);
        Ok(())
    }

    /// Says that about `n` records of one subject are about to be added, so that the first of
    /// them makes room for all (a youth's lines are counted before they are read).
    pub(crate) fn expect_records(&mut self, n: usize) {
        self.expected = n;
    }

    /// An empty timeline with this one's vocabulary, limits and keyed id hashing (so that a
    /// subject moved between the two keeps its index), which lists every rejection: for reading
    /// one subject at a time, the caller applying the limit on listing.
    pub(crate) fn scratch(&self) -> Timeline {
        let mut limits = self.limits.clone();
        limits.max_rejections = usize::MAX;
        Timeline {
            ids: self.ids.clone(),
            vocabulary: self.vocabulary.clone(),
            limits,
            ..Timeline::default()
        }
    }

    /// The ids of the subjects held, in no particular order.
    pub(crate) fn subject_ids(&self) -> impl Iterator<Item = &str> {
        self.subjects.keys().map(String::as_str)
    }

    /// Takes subject `id` out of this timeline.
    pub(crate) fn take_subject(&mut self, id: &str) -> Option<SubjectTimeline> {
        self.subjects.remove(id)
    }

    /// Puts a subject taken from a timeline made by [`scratch`](Self::scratch) into it.
    pub(crate) fn put_subject(&mut self, st: SubjectTimeline) {
        self.subjects.insert(st.subject.id.to_string(), st);
    }

    /// The only subject held, when there is one.
    pub(crate) fn only_subject(&self) -> Option<&SubjectTimeline> {
        self.subjects.values().next()
    }

    /// Takes the rejections and warnings listed so far.
    pub(crate) fn take_notes(&mut self) -> (Vec<Rejection>, Vec<Warning>) {
        (
            std::mem::take(&mut self.rejected),
            std::mem::take(&mut self.warnings),
        )
    }

    /// Counts `n` rejections that are not listed.
    pub(crate) fn count_unlisted(&mut self, n: usize) {
        self.rejections_not_listed += n;
    }

    /// Adds `n` to the observations given more than once with identical content.
    pub(crate) fn count_duplicates(&mut self, n: usize) {
        self.duplicates += n;
    }

    /// Rejections and duplicates found while reading, as [`reject`](Self::reject) lists them.
    pub(crate) fn into_read(self) -> crate::eval::Read {
        crate::eval::Read {
            rejected: self.rejected,
            not_listed: self.rejections_not_listed,
            warnings: self.warnings,
            duplicates: self.duplicates,
        }
    }

    pub(crate) fn reject(&mut self, rejection: Rejection) {
        if self.rejected.len() < self.limits.max_rejections {
            self.rejected.push(rejection);
        } else {
            self.rejections_not_listed += 1;
        }
    }

    /// Reads YAML timeline documents: one subject per document, documents separated by `---`.
    ///
    /// Bad records are rejected one by one (see [`rejected`](Self::rejected)); the rest is kept. A
    /// YAML syntax error rejects only the document it is in.
    ///
    /// # Errors
    /// When the text is larger than [`Limits::max_yaml_timeline_bytes`] (64 MiB by default):
    /// hand-written timelines are small, and bulk input belongs in JSON Lines. Nothing of the text
    /// is read then.
    pub fn read_yaml(&mut self, file: &str, text: &str) -> Result<(), InputError> {
        if text.len() > self.limits.max_yaml_timeline_bytes {
            return Err(InputError {
                reason: format!(
                    "{file}: {} bytes is more than the {} bytes allowed for a YAML timeline (`max_yaml_timeline_bytes`); use JSON Lines for bulk input",
                    text.len(),
                    self.limits.max_yaml_timeline_bytes
                ),
            });
        }
        let file: Arc<str> = Arc::from(file);
        let limits = self.limits.clone();
        for doc in crate::load::parse_documents(text, &limits) {
            match doc {
                Ok(doc) => crate::input::read_subject_document(self, &file, &doc),
                Err(e) => self.reject(Rejection::at(
                    format!(
                        "this YAML document is not valid and was not read: {}",
                        e.message
                    ),
                    Some(&pos_origin(&file, e.pos)),
                    None,
                    None,
                )),
            }
        }
        Ok(())
    }

    /// The largest YAML timeline text [`read_yaml`](Self::read_yaml) accepts by default: 64 MiB
    /// (see [`Limits::max_yaml_timeline_bytes`]).
    pub const MAX_YAML_BYTES: usize = 64 * 1024 * 1024;

    /// Sets the limits on input (line length, observations per subject, subjects, YAML size and
    /// nesting); see [`Limits`]. Records beyond a limit are rejected with the limit's name.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Reads JSON Lines of observations: one object per line, each with `subject` and `id`.
    /// Blank lines are skipped; every other bad line is rejected with its line number, and a line
    /// that is not UTF-8 is rejected on its own (so pass the file's bytes as they are).
    pub fn read_jsonl(&mut self, file: &str, bytes: impl AsRef<[u8]>) {
        crate::input::read_jsonl(
            self,
            file,
            bytes.as_ref(),
            crate::input::Record::Observation,
        );
    }

    /// Reads one line of JSON Lines as an observation with every check
    /// [`read_jsonl`](Self::read_jsonl) applies to it (this timeline's vocabulary and limits),
    /// without adding it: for feeding a [`Monitor`](crate::Monitor) from JSON Lines one record at
    /// a time. `file` and `line_number` say where the line came from, for the rejection and the
    /// warnings.
    ///
    /// ```
    /// use early_signal::{RuleSet, Timeline};
    /// let timeline = RuleSet::builtin().new_timeline();
    /// let line = r#"{"subject": "y-1", "id": "a", "at": "2026-03-02T21:00:00+01:00", "kind": "disclosure"}"#;
    /// let read = timeline.read_observation_line("stdin", 1, line)?;
    /// assert_eq!((read.subject.as_str(), read.observation.kind.as_str()), ("y-1", "disclosure"));
    /// let typo = r#"{"subject": "y-1", "id": "b", "at": "2026-03-02T21:00:00+01:00", "kind": "disclosur"}"#;
    /// let refused = timeline.read_observation_line("stdin", 2, typo).unwrap_err();
    /// assert!(refused.reason.contains("did you mean `disclosure`"));
    /// # Ok::<(), early_signal::Rejection>(())
    /// ```
    ///
    /// # Errors
    /// The rejection `read_jsonl` would list for the line; a blank line, and text holding more
    /// than one line, are refused too.
    pub fn read_observation_line(
        &self,
        file: &str,
        line_number: u32,
        line: &str,
    ) -> Result<LineObservation, Rejection> {
        let mut scratch = Timeline {
            vocabulary: self.vocabulary.clone(),
            limits: self.limits.clone(),
            ..Timeline::default()
        };
        // The line's own rejection must be listed, whatever the limit on listing them.
        scratch.limits.max_rejections = scratch.limits.max_rejections.max(1);
        crate::input::read_observation_line(&mut scratch, file, line_number, line)
    }

    /// Reads JSON Lines of observations from `reader` line by line, as
    /// [`read_jsonl`](Self::read_jsonl) does, without holding the whole input in memory.
    ///
    /// ```
    /// let mut timeline = early_signal::Timeline::new();
    /// let input = br#"{"subject": "y-1", "id": "a", "at": "2026-03-02T21:00:00+01:00", "kind": "disclosure"}"#;
    /// timeline.read_jsonl_reader("in.jsonl", &input[..])?;
    /// assert_eq!(timeline.observation_count(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// Only when reading fails; bad lines are rejected one by one as with `read_jsonl`.
    pub fn read_jsonl_reader(
        &mut self,
        file: &str,
        reader: impl std::io::BufRead,
    ) -> std::io::Result<()> {
        crate::input::read_jsonl_from(self, file, reader, crate::input::Record::Observation)
    }

    /// Reads JSON Lines of subject records from `reader` line by line (see
    /// [`read_subjects_jsonl`](Self::read_subjects_jsonl)).
    ///
    /// # Errors
    /// Only when reading fails.
    pub fn read_subjects_jsonl_reader(
        &mut self,
        file: &str,
        reader: impl std::io::BufRead,
    ) -> std::io::Result<()> {
        crate::input::read_jsonl_from(self, file, reader, crate::input::Record::Subject)
    }

    /// Reads JSON Lines of subject records: `{"subject": .., "born": .., "facts": [..]}` per line.
    pub fn read_subjects_jsonl(&mut self, file: &str, bytes: impl AsRef<[u8]>) {
        crate::input::read_jsonl(self, file, bytes.as_ref(), crate::input::Record::Subject);
    }
}

pub(crate) fn is_protected(vocab: Option<&Vocabulary>, name: &str) -> bool {
    match vocab {
        Some(v) => v.is_protected(name),
        None => is_builtin_protected(name),
    }
}

/// The protected names among `attributes` (see [`Vocabulary::is_protected`]), in name order;
/// a name that is the vocabulary's stored copy of a declared attribute is known unprotected by
/// its address, so the common case neither compares text nor allocates.
pub(crate) fn protected_attributes(
    vocab: Option<&Vocabulary>,
    attributes: &Attributes,
) -> Vec<Name> {
    let declared = |k: &Name| vocab.is_some_and(|v| v.declares_attribute_copy(k));
    let protected = |k: &&Name| !declared(k) && is_protected(vocab, k);
    if attributes.keys().any(|k| protected(&k)) {
        attributes.keys().filter(protected).cloned().collect()
    } else {
        Vec::new()
    }
}

/// Converts a located node into an attribute or fact value.
pub(crate) fn scalar_value(node: &Node) -> Result<Option<Value>, String> {
    Ok(Some(match &node.kind {
        NodeKind::Null => return Ok(None),
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Number(n, _) => Value::Number(*n),
        NodeKind::Str(s) => Value::from(s.as_str()),
        _ => {
            return Err(format!(
                "expected a scalar (string, number or boolean), found {}",
                node.describe()
            ));
        }
    }))
}

/// Parses a fact bound: a date or an RFC 3339 timestamp.
pub(crate) fn parse_bound(text: &str) -> Result<Bound, String> {
    if let Ok(d) = parse_date(text) {
        return Ok(Bound::Date(d));
    }
    parse_timestamp(text)
        .map(Bound::Instant)
        .map_err(|_| format!("`{text}` is neither a date (`2026-01-10`) nor a timestamp with offset (`2026-01-10T08:00:00+01:00`)"))
}

pub(crate) fn pos_origin(file: &Arc<str>, pos: Pos) -> Origin {
    Origin {
        file: file.clone(),
        line: pos.line,
        column: pos.column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every held record is read from memory at least once per evaluation, and the monitor
    /// keeps each youth's records in one list that grows into fresh memory: their size is a
    /// large part of both costs (docs/performance-history.md, fourteenth round). A one-pointer
    /// `Name` makes it 128 bytes; a wider name or a larger inline attribute list shows up here.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_observation_is_128_bytes() {
        use std::mem::size_of;
        assert_eq!(size_of::<Name>(), 8);
        assert_eq!(size_of::<Option<Name>>(), 8);
        assert_eq!(size_of::<Value>(), 16);
        assert_eq!(size_of::<Attributes>(), 56);
        assert_eq!(size_of::<Observation>(), 128);
        assert_eq!(size_of::<crate::Flag>(), 208);
    }

    /// Room made for a youth's counted lines is capped: the count may be of lines that turn out
    /// duplicates or refused, and a million copies of one line must not reserve a million slots.
    #[test]
    fn expected_records_reserve_a_bounded_room() {
        let at: Timestamp = "2026-03-02T21:00:00+01:00".parse().expect("timestamp");
        for (expected, at_least, at_most) in [(0, 1, 64), (100, 100, 128), (1_000_000, 4096, 4096)]
        {
            let mut tl = Timeline::default();
            tl.expect_records(expected);
            tl.add_observation("y-1", Observation::new("o-1", at, "disclosure"))
                .expect("accepted");
            let held = tl.subject("y-1").expect("held");
            let room = held.observations.capacity();
            assert!(
                (at_least..=at_most).contains(&room),
                "{expected}: room for {room}"
            );
            // The hint is used once.
            tl.add_observation("y-2", Observation::new("o-1", at, "disclosure"))
                .expect("accepted");
            assert!(tl.subject("y-2").expect("held").observations.capacity() < 64);
        }
    }
}
