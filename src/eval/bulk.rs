//! Evaluating JSON Lines held in memory one youth at a time ([`Engine::evaluate_jsonl`]).
//!
//! Reading a whole file into a [`Timeline`] and then evaluating it touches every record twice,
//! long after it was written: records of thousands of youths arrive interleaved, so each one is
//! written into memory no cache holds any more, and all of them are held at once. Here the lines
//! are first grouped by youth (a scan that finds only the `subject` of a plain line), then each
//! youth's lines are read into a timeline of its own, evaluated and dropped before the next
//! youth: the same readers, checks and rules, on memory the cache still holds. The report is the
//! one reading the files and then evaluating gives; the reading notes are put back in line order.

use super::{Engine, Read};
use crate::input::{Record, read_jsonl_line};
use crate::report::{Rejection, Report, Warning};
use crate::time::Timestamp;
use crate::timeline::Timeline;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// Where one line of the input lies.
struct Line {
    /// Index of its file.
    file: u32,
    /// 1-based line number.
    number: u32,
    /// Byte range in its file, without the newline.
    start: usize,
    end: usize,
}

/// What a first look at a line finds.
enum Look<'a> {
    /// Nothing to read (blank).
    Blank,
    /// A plain observation of this subject.
    Subject(&'a str),
    /// Anything else: the readers decide.
    Other,
}

/// The notes reading leaves (rejections and warnings), each with the place of its line, put back
/// in line order at the end. Rejections beyond what the timeline lists are dropped as they come,
/// so that a file of garbage cannot fill memory with reasons.
struct Notes {
    rejected: Vec<((u32, u32), Rejection)>,
    warnings: Vec<((u32, u32), Warning)>,
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
    fn add(&mut self, place: (u32, u32), rejected: Vec<Rejection>, warnings: Vec<Warning>) {
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

impl Engine {
    /// Evaluates observations given as JSON Lines files held in memory, on top of `timeline`
    /// (which usually holds only the subject records), one youth at a time.
    ///
    /// The report is the one [`Timeline::read_jsonl_reader`] on each file in turn followed by
    /// [`evaluate`](Self::evaluate) gives, rejections and warnings included and in the same
    /// order. It is faster and holds less: the lines are grouped by youth first, and each
    /// youth's records are read, evaluated and dropped before the next youth's, instead of all
    /// records being held at once. What is held is the text itself and about 24 bytes per line.
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
        mut timeline: Timeline,
        files: &[(&str, &[u8])],
        as_of: Timestamp,
    ) -> Report {
        let limits = timeline.limits().clone();
        let names: Vec<Arc<str>> = files.iter().map(|(name, _)| Arc::from(*name)).collect();
        let room = limits
            .max_rejections
            .saturating_sub(timeline.rejected().len());
        let mut notes = Notes::new(room);

        // First pass, in line order: which youth each line belongs to. Lines that are not plain
        // are read on their own; a line refused then is refused whatever else is held (only a
        // limit of zero makes a first record depend on others, and then the files are read the
        // usual way below).
        // Owned keys: a key borrowed from the text would be a read of memory long gone from the
        // cache at every lookup.
        let mut group_of: HashMap<Box<str>, u32> = HashMap::new();
        let mut subjects: Vec<Box<str>> = Vec::new();
        let mut lines: Vec<Line> = Vec::new();
        let mut groups: Vec<u32> = Vec::new();
        let mut probe = timeline.scratch();
        let exact = limits.max_subjects > 0 && limits.max_observations_per_subject > 0;
        for (f, ((_, bytes), name)) in (0u32..).zip(files.iter().zip(&names)) {
            if !exact {
                break;
            }
            let mut start = 0usize;
            let mut number: u32 = 0;
            while start < bytes.len() {
                let end = bytes
                    .get(start..)
                    .and_then(crate::scan::newline)
                    .map_or(bytes.len(), |i| start + i);
                number = number.saturating_add(1);
                let raw = bytes.get(start..end).unwrap_or_default();
                let line = Line {
                    file: f,
                    number,
                    start,
                    end,
                };
                start = end.saturating_add(1);
                // As the line reader does: a line this long is refused before it is looked at.
                if raw.len() >= limits.max_line_bytes.saturating_add(2) {
                    let r = crate::input::too_long(name, number, raw.len(), limits.max_line_bytes);
                    notes.add((f, number), vec![r], Vec::new());
                    continue;
                }
                let subject: Cow<'_, str> = match look(raw, limits.max_line_bytes) {
                    Look::Blank => continue,
                    Look::Subject(s) => Cow::Borrowed(s),
                    Look::Other => {
                        read_jsonl_line(&mut probe, name, number, raw, Record::Observation);
                        let read = probe.only_subject().map(|st| st.subject().id.to_string());
                        let (rejected, warnings) = probe.take_notes();
                        probe = timeline.scratch();
                        match read {
                            // Read again with the youth's other lines, warnings and all.
                            Some(s) => Cow::Owned(s),
                            None => {
                                notes.add((f, number), rejected, warnings);
                                continue;
                            }
                        }
                    }
                };
                let g = match group_of.get(subject.as_ref()) {
                    Some(&g) => g,
                    None => {
                        let g = u32::try_from(subjects.len()).unwrap_or(u32::MAX);
                        let key: Box<str> = subject.into();
                        group_of.insert(key.clone(), g);
                        subjects.push(key);
                        g
                    }
                };
                lines.push(line);
                groups.push(g);
            }
        }
        // More youths than a timeline may hold: which are refused depends on the order their
        // records are accepted in, so the files are read as a whole, in order.
        let held: Vec<String> = timeline.subject_ids().map(str::to_owned).collect();
        let new = subjects
            .iter()
            .filter(|s| timeline.subject(s).is_none())
            .count();
        if !exact || held.len().saturating_add(new) > limits.max_subjects {
            drop(notes);
            for (name, bytes) in files {
                // Reading from memory cannot fail.
                let _ = timeline.read_jsonl_reader(name, *bytes);
            }
            return self.evaluate(&timeline, as_of);
        }

        // The lines of each youth together, in line order (a stable counting sort).
        let mut starts = vec![0usize; subjects.len() + 1];
        for &g in &groups {
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
        let mut order = vec![0u32; lines.len()];
        for (i, &g) in (0u32..).zip(&groups) {
            if let Some(at) = next.get_mut(g as usize)
                && let Some(slot) = order.get_mut(*at)
            {
                *slot = i;
                *at += 1;
            }
        }
        drop(groups);

        // Every youth, in id order as `evaluate` takes them: those with lines and those known
        // only from `timeline`.
        let mut all: Vec<(&str, Option<usize>)> = subjects
            .iter()
            .enumerate()
            .map(|(g, s)| (s.as_ref(), Some(g)))
            .chain(
                held.iter()
                    .filter(|s| !group_of.contains_key(s.as_str()))
                    .map(|s| (s.as_str(), None)),
            )
            .collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));

        let recheck = self.recheck(&timeline);
        // Each youth with its lines and what `timeline` held of it, in evaluation order.
        let mut youths: Vec<Youth<'_>> = all
            .into_iter()
            .map(|(id, g)| Youth {
                lines: g
                    .and_then(|g| Some(*starts.get(g)?..*starts.get(g + 1)?))
                    .and_then(|range| order.get(range))
                    .unwrap_or_default(),
                held: timeline.take_subject(id),
            })
            .collect();
        let input = Input {
            base: &timeline,
            files,
            names: &names,
            lines: &lines,
            as_of,
            recheck,
            room,
        };
        #[cfg(not(feature = "parallel"))]
        let done = self.read_and_evaluate(&input, &mut youths);
        // Youths are independent: read and evaluated in parts on all cores, merged in order as
        // they are done (so that the rejections beyond the listing limit are dropped as they come).
        #[cfg(feature = "parallel")]
        let done: Done = {
            use rayon::prelude::*;
            youths
                .par_chunks_mut(64)
                .map(|part| self.read_and_evaluate(&input, part))
                .reduce(|| Done::new(as_of, room), Done::merge)
        };
        drop(youths);
        notes.merge(done.notes);
        let (part, duplicates) = (done.report, done.duplicates);

        notes.trim();
        notes.warnings.sort_by_key(|(place, _)| *place);
        for (_, r) in notes.rejected {
            timeline.reject(r);
        }
        timeline.count_unlisted(notes.dropped);
        timeline
            .warnings
            .extend(notes.warnings.into_iter().map(|(_, w)| w));
        timeline.count_duplicates(duplicates);
        let read: Read = timeline.into_read();
        let mut report = self.report_for(as_of, read);
        report.append(part);
        self.finish(&mut report);
        report
    }
}

impl Engine {
    /// Reads the lines of each of `youths` into a timeline of its own, on top of what was held
    /// of it, and evaluates it; the notes reading left come with the place of their line.
    fn read_and_evaluate(&self, input: &Input<'_>, youths: &mut [Youth<'_>]) -> Done {
        let mut done = Done::new(input.as_of, input.room);
        let mut text: Vec<u8> = Vec::new();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for youth in youths {
            let mut one = input.base.scratch();
            if let Some(st) = youth.held.take() {
                one.put_subject(st);
            }
            // A youth's lines lie scattered over the text: copied together first, their reads
            // from memory overlap instead of waiting for one another.
            text.clear();
            spans.clear();
            for &i in youth.lines {
                let Some(line) = input.lines.get(i as usize) else {
                    continue;
                };
                let Some((_, bytes)) = input.files.get(line.file as usize) else {
                    continue;
                };
                let from = text.len();
                text.extend_from_slice(bytes.get(line.start..line.end).unwrap_or_default());
                spans.push((from, text.len()));
            }
            for (&i, &(from, to)) in youth.lines.iter().zip(&spans) {
                let (Some(line), Some(raw)) = (input.lines.get(i as usize), text.get(from..to))
                else {
                    continue;
                };
                let Some(name) = input.names.get(line.file as usize) else {
                    continue;
                };
                read_jsonl_line(&mut one, name, line.number, raw, Record::Observation);
                if !one.rejected().is_empty() || !one.warnings().is_empty() {
                    let (rejected, warnings) = one.take_notes();
                    done.notes.add((line.file, line.number), rejected, warnings);
                }
            }
            done.duplicates += one.duplicates();
            if let Some(st) = one.only_subject() {
                self.evaluate_subject(st, input.as_of, input.recheck, &mut done.report);
            }
        }
        done
    }
}

/// What every youth's reading shares.
struct Input<'a> {
    /// The timeline the records are read on top of (its vocabulary, limits and id hashing).
    base: &'a Timeline,
    files: &'a [(&'a str, &'a [u8])],
    names: &'a [Arc<str>],
    lines: &'a [Line],
    as_of: Timestamp,
    recheck: bool,
    /// How many rejections may still be listed.
    room: usize,
}

/// One youth to read and evaluate.
struct Youth<'a> {
    /// Its lines (indices into the lines), in line order.
    lines: &'a [u32],
    /// What the timeline held of it.
    held: Option<crate::timeline::SubjectTimeline>,
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

/// A first look at a line as the line reader will see it (without its newline).
fn look(raw: &[u8], max: usize) -> Look<'_> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.len() > max {
        return Look::Other;
    }
    let Ok(line) = std::str::from_utf8(raw) else {
        return Look::Other;
    };
    let line = line.trim_start_matches('\u{feff}').trim();
    if line.is_empty() {
        return Look::Blank;
    }
    match crate::scan::subject(line) {
        Some(s) if !s.is_empty() => Look::Subject(s),
        _ => Look::Other,
    }
}
