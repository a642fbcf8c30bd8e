//! JSON Lines read and evaluated one youth at a time ([`JsonlBatch`], [`Engine::evaluate_jsonl`]).
//!
//! Reading every record into a [`Timeline`] and then evaluating it touches every record twice,
//! long after it was written: records of thousands of youths arrive interleaved, so each one is
//! written into memory no cache holds any more, and all of them are held at once. Here the lines
//! are kept and grouped by youth as they are read, then each youth's lines are read into a
//! timeline of its own, evaluated and dropped before the next youth: the same readers, checks and
//! rules, on memory the cache still holds. A plain line (the scanner reads it in full) is checked
//! as it comes and kept packed, its values without the JSON around them, so that it is not
//! scanned twice ([`super::packed`]); any other line is kept as text, placed by a skim that finds
//! only its `subject`. The report is the one reading the files and then evaluating gives; the
//! reading notes are put back in line order.

use super::{Engine, Read, Scratch, packed};
use crate::hash::IdKey;
use crate::input::{PlainObservation, Record, add_plain, read_jsonl_line};
use crate::report::{Rejection, Report, Warning};
use crate::time::Timestamp;
use crate::timeline::{SubjectTimeline, Timeline};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;

/// Where one kept line of the input lies: 32 bytes, held for every line until the end.
struct Line {
    /// Where its bytes start in the kept text: the line without its newline, or packed. They
    /// end where the next kept line's bytes begin (the kept text is the kept lines one after
    /// the other), or with the text ([`bytes`]).
    start: usize,
    /// Its place among all lines read, in reading order.
    place: u64,
    /// Index of its file.
    file: u32,
    /// 1-based line number in its file (as the readers give it: at most `u32::MAX`).
    number: u32,
    /// Whether the line is kept packed ([`packed::encode`]) rather than as text.
    packed: bool,
}

/// The kept bytes of line `i` of `lines`, which lie in `text` (see [`Line::start`]).
fn bytes<'t>(text: &'t [u8], lines: &[Line], i: usize) -> &'t [u8] {
    let start = lines.get(i).map_or(text.len(), |l| l.start);
    let end = lines.get(i + 1).map_or(text.len(), |l| l.start);
    text.get(start..end).unwrap_or_default()
}

/// What a first look at a line finds.
#[allow(
    clippy::large_enum_variant,
    reason = "returned once per line and taken apart at once: boxing would allocate per line"
)]
enum Look<'a> {
    /// Nothing to read (blank).
    Blank,
    /// A plain observation, read and checked as far as it can be without the vocabulary.
    Plain(PlainObservation<'a>),
    /// An observation of this subject, whatever else it holds.
    Subject(&'a str),
    /// Anything else: the readers decide.
    Other,
}

/// The notes reading leaves (rejections and warnings), each with the place of its line, put back
/// in line order at the end. Rejections beyond what the timeline lists are dropped as they come,
/// so that a file of garbage cannot fill memory with reasons.
struct Notes {
    rejected: Vec<(u64, Rejection)>,
    warnings: Vec<(u64, Warning)>,
    /// How many more may be listed.
    room: usize,
    /// Rejections dropped beyond `room`.
    dropped: usize,
}

impl Notes {
    /// No notes yet; at most `room` rejections are to be listed.
    fn new(room: usize) -> Self {
        Notes {
            rejected: Vec::new(),
            warnings: Vec::new(),
            room,
            dropped: 0,
        }
    }

    /// The notes of the line at `place`.
    fn add(&mut self, place: u64, rejected: Vec<Rejection>, warnings: Vec<Warning>) {
        self.rejected
            .extend(rejected.into_iter().map(|r| (place, r)));
        self.warnings
            .extend(warnings.into_iter().map(|w| (place, w)));
        self.bound();
    }

    /// Takes in the notes of other lines (gathered with the same `room`).
    fn merge(&mut self, other: Notes) {
        self.rejected.extend(other.rejected);
        self.warnings.extend(other.warnings);
        // Dropped there: beyond `room` rejections of earlier lines, so beyond them here too.
        self.dropped += other.dropped;
        self.bound();
    }

    /// Trims when the rejections held reach twice what may be listed.
    fn bound(&mut self) {
        if self.rejected.len() >= self.room.saturating_mul(2).max(1024) {
            self.trim();
        }
    }

    /// Keeps the first `room` rejections in line order.
    fn trim(&mut self) {
        // One rejection per line at most, so the places are distinct.
        self.rejected.sort_unstable_by_key(|(place, _)| *place);
        if self.rejected.len() > self.room {
            self.dropped += self.rejected.len() - self.room;
            self.rejected.truncate(self.room);
        }
    }
}

/// JSON Lines observations read file by file, then evaluated one youth at a time
/// ([`Engine::jsonl_batch`]).
///
/// [`evaluate`](Self::evaluate) gives the report that reading the same files into the timeline
/// with [`Timeline::read_jsonl_reader`] and then calling [`Engine::evaluate`] gives, rejections
/// and warnings included and in the same order, in less time and memory: it holds the lines that
/// can be observations — a plain one packed, its checked values without the JSON, its subject
/// held once for its youth and the names the vocabulary declares as numbers (typically about a
/// quarter of its text), any other as text — plus about 40 bytes per line to find each youth's
/// lines, not every parsed record, and each youth's records only while that youth is evaluated.
/// Lines that are too long, blank or refused on their own are not kept (their reasons are, within
/// [`Limits::max_rejections`](crate::Limits::max_rejections)).
///
/// ```
/// use early_signal::{Engine, RuleSet};
/// let rules = RuleSet::builtin();
/// let timeline = rules.new_timeline();
/// let engine = Engine::new(rules);
/// let mut batch = engine.jsonl_batch(timeline);
/// let input = br#"{"subject": "y-1", "id": "a", "at": "2026-03-02T21:00:00+01:00", "kind": "disclosure"}"#;
/// batch.read("in.jsonl", &input[..])?;
/// let report = batch.evaluate("2026-03-03T00:00:00+01:00".parse()?);
/// assert_eq!(report.flags.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JsonlBatch<'e> {
    engine: &'e Engine,
    /// What the records are read on top of (usually the subject records).
    timeline: Timeline,
    /// The files' names, by index.
    names: Vec<Arc<str>>,
    /// The kept lines, one after the other: as text or packed.
    text: Vec<u8>,
    /// Where a line's strings are gathered while it is packed.
    packing: Vec<u8>,
    lines: Vec<Line>,
    /// The youth (index into `youths`) of each kept line; `u32::MAX` past that many youths, when
    /// the lines are read in order instead ([`JsonlBatch::evaluate`]).
    groups: Vec<u32>,
    group_of: HashMap<IdKey, usize, crate::hash::InputKeyed>,
    youths: Vec<Box<str>>,
    /// Lines read so far, over all files.
    places: u64,
    notes: Notes,
    /// Whether a line refused on its own would be refused whatever else is held, so that lines
    /// can be looked at apart (false when a limit is zero: every line is kept and read in order).
    apart: bool,
    /// An empty timeline to read a line that is not plain on its own.
    probe: Timeline,
}

impl std::fmt::Debug for JsonlBatch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlBatch")
            .field("files", &self.names)
            .field("lines_read", &self.places)
            .field("lines_kept", &self.lines.len())
            .field("youths", &self.youths.len())
            .field("text_bytes", &self.text.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// A batch of JSON Lines observations read on top of `timeline` (usually holding only the
    /// subject records) and evaluated one youth at a time: see [`JsonlBatch`].
    pub fn jsonl_batch(&self, timeline: Timeline) -> JsonlBatch<'_> {
        let limits = timeline.limits();
        let room = limits
            .max_rejections
            .saturating_sub(timeline.rejected().len());
        let apart = limits.max_subjects > 0 && limits.max_observations_per_subject > 0;
        JsonlBatch {
            engine: self,
            probe: timeline.scratch(),
            timeline,
            names: Vec::new(),
            text: Vec::new(),
            packing: Vec::new(),
            lines: Vec::new(),
            groups: Vec::new(),
            group_of: HashMap::default(),
            youths: Vec::new(),
            places: 0,
            notes: Notes::new(room),
            apart,
        }
    }

    /// Evaluates JSON Lines files held in memory on top of `timeline`, one youth at a time: a
    /// [`JsonlBatch`] that reads `files` in turn. The report is the one
    /// [`Timeline::read_jsonl_reader`] on each file followed by [`evaluate`](Self::evaluate)
    /// gives.
    ///
    /// ```
    /// use early_signal::{Engine, RuleSet};
    /// let rules = RuleSet::builtin();
    /// let timeline = rules.new_timeline();
    /// let input = br#"{"subject": "y-1", "id": "a", "at": "2026-03-02T21:00:00+01:00", "kind": "disclosure"}"#;
    /// let engine = Engine::new(rules);
    /// let as_of = "2026-03-03T00:00:00+01:00".parse()?;
    /// let report = engine.evaluate_jsonl(timeline, &[("in.jsonl", &input[..])], as_of);
    /// assert_eq!(report.flags.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_jsonl(
        &self,
        timeline: Timeline,
        files: &[(&str, &[u8])],
        as_of: Timestamp,
    ) -> Report {
        let mut batch = self.jsonl_batch(timeline);
        for (name, bytes) in files {
            // Reading from memory cannot fail.
            let _ = batch.read(name, *bytes);
        }
        batch.evaluate(as_of)
    }
}

impl JsonlBatch<'_> {
    /// Reads one file of JSON Lines observations from `reader`, line by line as
    /// [`Timeline::read_jsonl_reader`] does: a line longer than
    /// [`Limits::max_line_bytes`](crate::Limits::max_line_bytes) is refused without being held.
    ///
    /// # Errors
    /// Only when reading fails; what was read before stays in the batch.
    pub fn read(&mut self, file: &str, mut reader: impl BufRead) -> std::io::Result<()> {
        let name: Arc<str> = Arc::from(file);
        let f = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.clone());
        let max = self.timeline.limits().max_line_bytes;
        // The longest line held: one with a `\r\n` ending, whose `\r` the readers take off.
        let longest = max.saturating_add(1);
        // Lines are looked at where the reader holds them; one that runs past the end of its
        // buffer is gathered here first (at most `longest` bytes).
        let mut gathered: Vec<u8> = Vec::new();
        let mut number: u32 = 0;
        loop {
            let buf = match reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                // The last line, without a newline.
                if !gathered.is_empty() {
                    number = number.saturating_add(1);
                    self.take_line(&name, f, number, &gathered);
                }
                return Ok(());
            }
            let (part, used, ended) = match memchr::memchr(b'\n', buf) {
                Some(i) => (buf.get(..i).unwrap_or_default(), i + 1, true),
                None => (buf, buf.len(), false),
            };
            let so_far = gathered.len().saturating_add(part.len());
            if so_far > longest {
                // Too long: refused without being held.
                reader.consume(used);
                gathered.clear();
                let rest = if ended {
                    0
                } else {
                    crate::input::skip_line(&mut reader)?
                };
                number = number.saturating_add(1);
                let place = self.next_place();
                let r = crate::input::too_long(&name, number, so_far.saturating_add(rest), max);
                self.notes.add(place, vec![r], Vec::new());
                continue;
            }
            if !ended {
                gathered.extend_from_slice(part);
            } else if gathered.is_empty() {
                number = number.saturating_add(1);
                self.take_line(&name, f, number, part);
            } else {
                gathered.extend_from_slice(part);
                number = number.saturating_add(1);
                self.take_line(&name, f, number, &gathered);
                gathered.clear();
            }
            reader.consume(used);
        }
    }

    /// The place of the next line read.
    fn next_place(&mut self) -> u64 {
        let place = self.places;
        self.places += 1;
        place
    }

    /// Keeps line `number` of file `f` (named `name`), its bytes `raw` without the newline, with
    /// its youth's lines: packed when it is plain, as text when the readers must see it, not at
    /// all when it is blank or refused on its own (its reasons are noted). When lines cannot be
    /// looked at apart (a limit is zero), every line is kept as text, in order.
    fn take_line(&mut self, name: &Arc<str>, f: u32, number: u32, raw: &[u8]) {
        let place = self.next_place();
        let max = self.timeline.limits().max_line_bytes;
        let start = self.text.len();
        let mut line = Line {
            start,
            place,
            file: f,
            number,
            packed: false,
        };
        if !self.apart {
            self.text.extend_from_slice(raw);
            self.lines.push(line);
            return;
        }
        // The youth's number; nothing of the line is kept when it is blank or refused on its own.
        let g = match look(raw, max) {
            Look::Blank => return,
            Look::Plain(p) => {
                let g = self.group(Cow::Borrowed(&p.subject));
                let names = self.timeline.vocabulary().map(|v| &v.names);
                // The line's subject is its youth's id, found by the youth's number; from the
                // (2^32 - 1)th youth on, numbers are not kept (the lines are read in order), and
                // the line keeps its subject itself.
                let own_subject = !u32::try_from(g).is_ok_and(|n| n < u32::MAX);
                packed::encode(&p, names, own_subject, &mut self.text, &mut self.packing);
                line.packed = true;
                g
            }
            Look::Subject(s) => {
                self.text.extend_from_slice(raw);
                self.group(Cow::Borrowed(s))
            }
            Look::Other => {
                read_jsonl_line(&mut self.probe, name, number, raw, Record::Observation);
                let read = self
                    .probe
                    .only_subject()
                    .map(|st| st.subject().id.to_string());
                let (rejected, warnings) = self.probe.take_notes();
                self.probe = self.timeline.scratch();
                // Read again with the youth's other lines, warnings and all.
                let Some(youth) = read else {
                    self.notes.add(place, rejected, warnings);
                    return;
                };
                self.text.extend_from_slice(raw);
                self.group(Cow::Owned(youth))
            }
        };
        self.lines.push(line);
        self.groups.push(u32::try_from(g).unwrap_or(u32::MAX));
    }

    /// The number of `youth`, a new one when it has no lines yet.
    fn group(&mut self, youth: Cow<'_, str>) -> usize {
        match self.group_of.get(youth.as_bytes()) {
            Some(&g) => g,
            None => {
                let g = self.youths.len();
                self.group_of.insert(IdKey::new(&youth), g);
                let key: Box<str> = youth.into();
                self.youths.push(key);
                g
            }
        }
    }

    /// Reads each youth's lines into a timeline of its own and evaluates it at `as_of`.
    pub fn evaluate(mut self, as_of: Timestamp) -> Report {
        let engine = self.engine;
        let limits = self.timeline.limits().clone();
        let held: Vec<String> = self.timeline.subject_ids().map(str::to_owned).collect();
        let new = self
            .youths
            .iter()
            .filter(|s| self.timeline.subject(s).is_none())
            .count();
        let recheck = engine.recheck(&self.timeline);
        let room = self.notes.room;
        // With a limit of zero, or more youths than a timeline may hold, which records are
        // refused depends on the order they are accepted in: the kept lines are read in order
        // into one timeline. (Lines refused on their own were refused whatever else was held.)
        // Youths and kept lines are counted in 32 bits when grouped: with 2^32 - 1 youths or
        // more, or more than 2^32 kept lines (hundreds of gigabytes), the lines are read in
        // order instead.
        let numbered = u32::try_from(self.youths.len()).is_ok_and(|n| n < u32::MAX)
            && u32::try_from(self.lines.len()).is_ok();
        let done =
            if !self.apart || !numbered || held.len().saturating_add(new) > limits.max_subjects {
                let mut in_order = self.timeline.scratch();
                for id in &held {
                    if let Some(st) = self.timeline.take_subject(id) {
                        in_order.put_subject(st);
                    }
                }
                let mut done = Done::new(as_of, room);
                for (i, line) in self.lines.iter().enumerate() {
                    let raw = bytes(&self.text, &self.lines, i);
                    let Some(name) = self.names.get(line.file as usize) else {
                        continue;
                    };
                    // (A packed line's subject is its youth's id, unless it kept its own.)
                    let subject = self
                        .groups
                        .get(i)
                        .filter(|&&g| g < u32::MAX)
                        .and_then(|&g| self.youths.get(g as usize))
                        .map_or("", |s| s);
                    read_line(&mut in_order, name, (line, raw), subject, &mut done.notes);
                }
                done.duplicates = in_order.duplicates();
                let mut scratch = Scratch::default();
                for st in in_order.subjects() {
                    engine.evaluate_subject(st, as_of, recheck, &mut done.report, &mut scratch);
                }
                done
            } else {
                self.by_youth(&held, as_of, recheck)
            };
        let mut notes = std::mem::replace(&mut self.notes, Notes::new(room));
        notes.merge(done.notes);
        notes.trim();
        notes.warnings.sort_by_key(|(place, _)| *place);
        let mut timeline = self.timeline;
        for (_, r) in notes.rejected {
            timeline.reject(r);
        }
        timeline.count_unlisted(notes.dropped);
        timeline
            .warnings
            .extend(notes.warnings.into_iter().map(|(_, w)| w));
        timeline.count_duplicates(done.duplicates);
        let read: Read = timeline.into_read();
        let mut report = engine.report_for(as_of, read);
        report.append(done.report);
        engine.finish(&mut report);
        report
    }

    /// Every youth (those with lines and those only `held` by the timeline) read into a
    /// timeline of its own and evaluated, in id order as [`Engine::evaluate`] takes them.
    fn by_youth(&mut self, held: &[String], as_of: Timestamp, recheck: bool) -> Done {
        // The lines of each youth together, in line order (a stable counting sort).
        let mut starts = vec![0usize; self.youths.len() + 1];
        for &g in &self.groups {
            if let Some(c) = starts.get_mut(g as usize + 1) {
                *c += 1;
            }
        }
        for i in 1..starts.len() {
            let before = starts.get(i - 1).copied().unwrap_or(0);
            if let Some(c) = starts.get_mut(i) {
                *c += before;
            }
        }
        let mut next = starts.clone();
        // Kept-line indices fit in 32 bits here (`evaluate` reads more lines in order).
        let mut order = vec![0u32; self.lines.len()];
        for (i, &g) in self.groups.iter().enumerate() {
            if let Some(at) = next.get_mut(g as usize)
                && let Some(slot) = order.get_mut(*at)
            {
                *slot = u32::try_from(i).unwrap_or(u32::MAX);
                *at += 1;
            }
        }
        self.groups = Vec::new();
        let mut ids: Vec<(&str, Option<usize>)> = self
            .youths
            .iter()
            .enumerate()
            .map(|(g, s)| (s.as_ref(), Some(g)))
            .chain(
                held.iter()
                    .filter(|s| !self.group_of.contains_key(s.as_bytes()))
                    .map(|s| (s.as_str(), None)),
            )
            .collect();
        ids.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut youths: Vec<Youth<'_>> = ids
            .into_iter()
            .map(|(id, g)| Youth {
                id,
                lines: g
                    .and_then(|g| Some(*starts.get(g)?..*starts.get(g + 1)?))
                    .and_then(|range| order.get(range))
                    .unwrap_or_default(),
                held: self.timeline.take_subject(id),
            })
            .collect();
        let shared = Shared {
            base: &self.timeline,
            text: &self.text,
            names: &self.names,
            lines: &self.lines,
            as_of,
            recheck,
            room: self.notes.room,
        };
        let engine = self.engine;
        // Youths are independent: on several threads read and evaluated in parts, merged in
        // order as they are done (so that the rejections beyond the listing limit are dropped as
        // they come).
        #[cfg(feature = "parallel")]
        if super::several_threads() {
            use rayon::prelude::*;
            return youths
                .par_chunks_mut(64)
                .map(|part| engine.read_and_evaluate(&shared, part))
                .reduce(|| Done::new(as_of, shared.room), Done::merge);
        }
        engine.read_and_evaluate(&shared, &mut youths)
    }
}

impl Engine {
    /// Reads the lines of each of `youths` into a timeline of its own, on top of what was held
    /// of it, and evaluates it; the notes reading left come with the place of their line.
    fn read_and_evaluate(&self, shared: &Shared<'_>, youths: &mut [Youth<'_>]) -> Done {
        let mut done = Done::new(shared.as_of, shared.room);
        let mut text: Vec<u8> = Vec::new();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut scratch = Scratch::default();
        for youth in youths {
            let mut own = shared.base.scratch();
            if let Some(st) = youth.held.take() {
                own.put_subject(st);
            }
            own.expect_records(youth.lines.len());
            // A youth's lines lie scattered over the text: copied together first, their reads
            // from memory overlap instead of waiting for one another.
            text.clear();
            spans.clear();
            for &i in youth.lines {
                let from = text.len();
                text.extend_from_slice(bytes(shared.text, shared.lines, i as usize));
                spans.push((from, text.len()));
            }
            for (&i, &(from, to)) in youth.lines.iter().zip(&spans) {
                let (Some(line), Some(raw)) = (shared.lines.get(i as usize), text.get(from..to))
                else {
                    continue;
                };
                let Some(name) = shared.names.get(line.file as usize) else {
                    continue;
                };
                read_line(&mut own, name, (line, raw), youth.id, &mut done.notes);
            }
            done.duplicates += own.duplicates();
            if let Some(st) = own.only_subject() {
                self.evaluate_subject(
                    st,
                    shared.as_of,
                    shared.recheck,
                    &mut done.report,
                    &mut scratch,
                );
            }
        }
        done
    }
}

/// What every youth's reading shares.
struct Shared<'a> {
    /// The timeline the records are read on top of (its vocabulary, limits and id hashing).
    base: &'a Timeline,
    text: &'a [u8],
    names: &'a [Arc<str>],
    lines: &'a [Line],
    as_of: Timestamp,
    recheck: bool,
    /// How many rejections may still be listed.
    room: usize,
}

/// One youth to read and evaluate.
struct Youth<'a> {
    /// Its id.
    id: &'a str,
    /// Its lines (indices into the lines), in line order.
    lines: &'a [u32],
    /// What the timeline held of it.
    held: Option<SubjectTimeline>,
}

/// What reading and evaluating some youths gave.
struct Done {
    /// What reading their lines noted, rejections beyond the listing limit dropped.
    notes: Notes,
    duplicates: usize,
    report: Report,
}

impl Done {
    fn new(as_of: Timestamp, room: usize) -> Self {
        Done {
            notes: Notes::new(room),
            duplicates: 0,
            report: Report::part(as_of),
        }
    }

    /// `self` then `next` (the youths that come after).
    #[cfg(feature = "parallel")]
    fn merge(mut self, next: Done) -> Done {
        self.notes.merge(next.notes);
        self.duplicates += next.duplicates;
        self.report.append(next.report);
        self
    }
}

/// Reads kept line `line` (its text or packed form `raw`) into `tl` as the line reader does;
/// what reading it noted goes to `notes` with the line's place.
fn read_line(
    tl: &mut Timeline,
    name: &Arc<str>,
    (line, raw): (&Line, &[u8]),
    subject: &str,
    notes: &mut Notes,
) {
    if line.packed {
        let origin = crate::timeline::Origin {
            file: name.clone(),
            line: line.number,
            column: 0,
        };
        let names = tl.vocabulary().map(|v| &v.names);
        match packed::decode(raw, names, subject) {
            Some(p) => add_plain(tl, origin, p),
            // Not reached: the bytes are the ones `packed::encode` wrote.
            None => tl.reject(Rejection::at(
                "the line was read but could not be taken back from memory (an internal error; please report it)".into(),
                Some(&origin),
                None,
                None,
            )),
        }
    } else {
        read_jsonl_line(tl, name, line.number, raw, Record::Observation);
    }
    if !tl.rejected().is_empty() || !tl.warnings().is_empty() {
        let (rejected, warnings) = tl.take_notes();
        notes.add(line.place, rejected, warnings);
    }
}

/// A first look at a line as the line reader will see it (without its newline).
fn look(raw: &[u8], max: usize) -> Look<'_> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.len() > max {
        return Look::Other;
    }
    // (Only in UTF-8: a line that is not is left to be read alone, and refused.)
    let Ok(text) = std::str::from_utf8(raw) else {
        return Look::Other;
    };
    let line = text.trim_start_matches('\u{feff}').trim();
    if line.is_empty() {
        return Look::Blank;
    }
    // Most lines: read in full as `read_jsonl_line` reads them, to be packed (every length in
    // the packed form must fit in 32 bits).
    if u32::try_from(line.len()).is_ok()
        && let Some(p) = crate::input::scan_plain(line)
    {
        return Look::Plain(p);
    }
    // Any other object after JSON whitespace: skimmed for its subject.
    let start = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
    let first = start
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first.and_then(|i| start.get(i)) == Some(&b'{') {
        return match crate::scan::subject(start) {
            Some(s) if !s.is_empty() => Look::Subject(s),
            _ => Look::Other,
        };
    }
    Look::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Held for every line of the input until the end: its size is in the docs' memory figures.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_kept_line_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Line>(), 32);
    }

    #[test]
    fn a_kept_line_ends_where_the_next_starts() {
        let line = |start| Line {
            start,
            place: 0,
            file: 0,
            number: 1,
            packed: false,
        };
        let lines = [line(0), line(3), line(3), line(7)];
        let text = b"abcdefghij";
        let all: Vec<&[u8]> = (0..5).map(|i| bytes(text, &lines, i)).collect();
        assert_eq!(all, [&b"abc"[..], b"", b"defg", b"hij", b""]);
    }
}
