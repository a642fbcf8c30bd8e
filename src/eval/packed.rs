//! A plain observation line kept packed between reading and evaluating it.
//!
//! [`JsonlBatch`](super::JsonlBatch) holds every line until the youth it belongs to is
//! evaluated. A line the scanner reads in full is checked as it is read (timestamps parsed,
//! attributes scalar and each named once: a [`PlainObservation`]) and held in this form: its
//! values with their lengths, no keys, quotes or punctuation, and each name the vocabulary
//! declares (a kind, channel, source, attribute name or declared value) as its number in the
//! vocabulary's [`Names`], so that reading it back hands out the vocabulary's copy without
//! looking the name up again. Reading it back takes the lengths and checks the rest of the text
//! as UTF-8 once, rather than scanning the JSON a second time. The subject is left out: the
//! reader is given it (it is the youth's id). A typical line takes about a quarter of its room
//! with a vocabulary, about half without; a line of many numeric attributes can take up to
//! about twice it (eight bytes for a number written as one digit).
//!
//! The form is private to one process run: nothing packed is written anywhere.

use crate::input::{PlainObservation, PlainValue, Word};
use crate::name::Names;
use crate::time::Timestamp;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use smallvec::SmallVec;
use std::borrow::Cow;

/// Bits of the first byte: which optional fields follow.
const RECORDED_AT: u8 = 1;
const CHANNEL: u8 = 2;
const COUNTERPART: u8 = 4;
const SOURCE: u8 = 8;
/// The line keeps its subject (else the reader is given it: it is the youth's id).
const SUBJECT: u8 = 16;

/// Tags of attribute values.
const STR: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const NUMBER: u8 = 3;

/// Appends `p` to `out`: first the length of its text, then the fixed parts (which fields are
/// given, timestamps, the lengths of the strings, the numbers of the names `names` declares,
/// attribute tags and numbers), then the text of all its other strings one after the other, so
/// that reading it back checks the text as UTF-8 once. The subject is left out unless
/// `own_subject`: the reader is given it. The text is gathered in `text` while the fixed parts
/// are written (what it held before is dropped). Every length fits in a `u32`: the caller packs
/// only lines shorter than 4 GiB.
pub(super) fn encode(
    p: &PlainObservation<'_>,
    names: Option<&Names>,
    own_subject: bool,
    out: &mut Vec<u8>,
    text: &mut Vec<u8>,
) {
    text.clear();
    let start = out.len();
    // The text's length, set when it is known.
    out.push(0);
    let mut present = 0;
    for (bit, given) in [
        (RECORDED_AT, p.recorded_at.is_some()),
        (CHANNEL, p.channel.is_some()),
        (COUNTERPART, p.counterpart.is_some()),
        (SOURCE, p.source.is_some()),
        (SUBJECT, own_subject),
    ] {
        if given {
            present |= bit;
        }
    }
    out.push(present);
    timestamp(&p.at, out);
    if let Some(t) = &p.recorded_at {
        timestamp(t, out);
    }
    let string = |s: &str, out: &mut Vec<u8>, text: &mut Vec<u8>| {
        length(s.len(), out);
        text.extend_from_slice(s.as_bytes());
    };
    // With names: a declared name as its number plus one, any other as zero and then as a
    // string. Without: every name as a string.
    let word = |w: &Word<'_>, out: &mut Vec<u8>, text: &mut Vec<u8>| match names {
        None => string(w.as_str(), out, text),
        Some(names) => match names.number(w.as_str()) {
            Some(n) => length(n as usize + 1, out),
            None => {
                out.push(0);
                string(w.as_str(), out, text);
            }
        },
    };
    if own_subject {
        string(&p.subject, out, text);
    }
    string(&p.id, out, text);
    word(&p.kind, out, text);
    if let Some(c) = &p.channel {
        word(c, out, text);
    }
    if let Some(c) = &p.counterpart {
        string(c, out, text);
    }
    if let Some(s) = &p.source {
        word(s, out, text);
    }
    length(p.attributes.len(), out);
    for (key, value) in &p.attributes {
        word(key, out, text);
        match value {
            PlainValue::Str(s) => {
                out.push(STR);
                word(s, out, text);
            }
            PlainValue::Bool(false) => out.push(FALSE),
            PlainValue::Bool(true) => out.push(TRUE),
            PlainValue::Number(n) => {
                out.push(NUMBER);
                out.extend_from_slice(&n.to_bits().to_le_bytes());
            }
        }
    }
    // The text's length in front: one byte, as most are, or five (the four move the fixed
    // parts along, which only a long line pays for).
    let n = text.len();
    match u8::try_from(n) {
        Ok(short) if short < u8::MAX => {
            if let Some(first) = out.get_mut(start) {
                *first = short;
            }
        }
        _ => {
            if let Some(first) = out.get_mut(start) {
                *first = u8::MAX;
            }
            let long = u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
            let at = (start + 1).min(out.len());
            out.splice(at..at, long);
        }
    }
    out.extend_from_slice(text);
}

/// A length as one byte when it is below 255 (as most are), else 255 and four bytes (see
/// [`encode`]: it fits).
fn length(n: usize, out: &mut Vec<u8>) {
    match u8::try_from(n) {
        Ok(short) if short < u8::MAX => out.push(short),
        _ => {
            out.push(u8::MAX);
            out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
        }
    }
}

/// What [`encode`] wrote with the same `names`, with `subject` as its subject unless it kept its
/// own; `None` only for bytes it did not write.
pub(super) fn decode<'a>(
    bytes: &'a [u8],
    names: Option<&Names>,
    subject: &'a str,
) -> Option<PlainObservation<'a>> {
    let mut r = Reader {
        fixed: bytes,
        text: "",
    };
    let n = r.length()?;
    let (fixed, text) = r.fixed.split_at_checked(r.fixed.len().checked_sub(n)?)?;
    r = Reader {
        fixed,
        text: std::str::from_utf8(text).ok()?,
    };
    let present = r.byte()?;
    let at = r.timestamp()?;
    let recorded_at = match present & RECORDED_AT {
        0 => None,
        _ => Some(r.timestamp()?),
    };
    // (The text of each string comes in the order of their lengths.)
    let subject = match present & SUBJECT {
        0 => Cow::Borrowed(subject),
        _ => r.text()?,
    };
    let id = r.text()?;
    let kind = r.word(names)?;
    let channel = match present & CHANNEL {
        0 => None,
        _ => Some(r.word(names)?),
    };
    let counterpart = match present & COUNTERPART {
        0 => None,
        _ => Some(r.text()?),
    };
    let source = match present & SOURCE {
        0 => None,
        _ => Some(r.word(names)?),
    };
    let n = r.length()?;
    let mut attributes = SmallVec::with_capacity(n.min(crate::Attributes::MAX));
    for _ in 0..n {
        let key = r.word(names)?;
        let value = match r.byte()? {
            STR => PlainValue::Str(r.word(names)?),
            FALSE => PlainValue::Bool(false),
            TRUE => PlainValue::Bool(true),
            NUMBER => PlainValue::Number(f64::from_bits(u64::from_le_bytes(r.array()?))),
            _ => return None,
        };
        attributes.push((key, value));
    }
    (r.fixed.is_empty() && r.text.is_empty()).then_some(PlainObservation {
        subject,
        id,
        at,
        recorded_at,
        kind,
        channel,
        counterpart,
        source,
        attributes,
    })
}

/// A timestamp as its instant (days and time of day in UTC, the time's nanoseconds running past
/// a billion in a leap second) and its offset: 16 bytes.
fn timestamp(t: &Timestamp, out: &mut Vec<u8>) {
    let utc = t.naive_utc();
    out.extend_from_slice(&utc.date().num_days_from_ce().to_le_bytes());
    out.extend_from_slice(&utc.time().num_seconds_from_midnight().to_le_bytes());
    out.extend_from_slice(&utc.time().nanosecond().to_le_bytes());
    out.extend_from_slice(&t.offset().local_minus_utc().to_le_bytes());
}

/// What is left to read: of the fixed-size parts, and of the text.
struct Reader<'a> {
    fixed: &'a [u8],
    text: &'a str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.fixed.split_at_checked(n)?;
        self.fixed = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn byte(&mut self) -> Option<u8> {
        let [b] = self.array()?;
        Some(b)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.array()?))
    }

    /// A length as [`length`] wrote it.
    fn length(&mut self) -> Option<usize> {
        match self.byte()? {
            u8::MAX => Some(self.u32()? as usize),
            short => Some(usize::from(short)),
        }
    }

    /// The next string: its length from the fixed parts, its text from the text.
    fn text(&mut self) -> Option<Cow<'a, str>> {
        let n = self.length()?;
        let (head, rest) = self.text.split_at_checked(n)?;
        self.text = rest;
        Some(Cow::Borrowed(head))
    }

    /// The next word, as [`encode`] wrote it: with `names`, a number plus one, or zero and then
    /// as a string; without, as a string.
    fn word(&mut self, names: Option<&Names>) -> Option<Word<'a>> {
        let Some(names) = names else {
            return self.text().map(Word::Text);
        };
        match self.length()? {
            0 => self.text().map(Word::Text),
            n => {
                let number = u32::try_from(n - 1).ok()?;
                Some(Word::Shared(names.numbered(number)?.clone()))
            }
        }
    }

    fn timestamp(&mut self) -> Option<Timestamp> {
        let date = NaiveDate::from_num_days_from_ce_opt(self.i32()?)?;
        let (seconds, nanos) = (self.u32()?, self.u32()?);
        let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos)?;
        let offset = FixedOffset::east_opt(self.i32()?)?;
        Some(DateTime::from_naive_utc_and_offset(
            NaiveDateTime::new(date, time),
            offset,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::PlainObservation;
    use proptest::prelude::*;

    fn plain(line: &str) -> PlainObservation<'_> {
        let f = crate::scan::observation(line).expect("scanned");
        PlainObservation::check(f).expect("plain")
    }

    /// Names a vocabulary might declare, some of them in the lines below: more than 254, so
    /// that numbers take both their one-byte and their five-byte form (`f0` to `f399` are
    /// numbered 9 to 408).
    fn declared() -> Names {
        let mut names = Names::default();
        for n in [
            "contact.new",
            "in_person",
            "mentor",
            "relation",
            "peer",
            "k",
            "é",
            "b",
            "x",
        ] {
            names.declare(n);
        }
        for i in 0..400 {
            names.declare(&format!("f{i}"));
        }
        names
    }

    /// Packs `p` with and without `declared` names, with and without its subject, and checks
    /// that it comes back as it was.
    fn round_trip(p: &PlainObservation<'_>) {
        let names = declared();
        let cases = [None, Some(&names)]
            .into_iter()
            .flat_map(|names| [(names, false), (names, true)]);
        for (names, own_subject) in cases {
            let mut bytes = Vec::new();
            encode(p, names, own_subject, &mut bytes, &mut Vec::new());
            // The reader is given the youth's id; a line that kept its subject ignores it.
            let given = if own_subject { "another" } else { &p.subject };
            let back = decode(&bytes, names, given).expect("decoded");
            // (As text: the two borrow from different places.)
            assert_eq!(format!("{back:?}"), format!("{p:?}"));
            // The same instants, offsets and text, leap seconds included.
            assert_eq!(back.at.to_rfc3339(), p.at.to_rfc3339());
            assert_eq!(
                back.recorded_at.map(|t| t.to_rfc3339()),
                p.recorded_at.map(|t| t.to_rfc3339())
            );
            // A declared name comes back as the stored copy itself, any other as text.
            let mut words = vec![&back.kind];
            words.extend(back.channel.iter().chain(back.source.iter()));
            for (key, value) in &back.attributes {
                words.push(key);
                if let PlainValue::Str(w) = value {
                    words.push(w);
                }
            }
            for w in words {
                let number = names.and_then(|n| n.number(w.as_str()));
                match (w, number) {
                    (Word::Shared(n), Some(i)) => {
                        assert!(names.and_then(|x| x.numbered(i)).is_some_and(|x| x.same(n)));
                    }
                    (Word::Text(_), None) => {}
                    _ => panic!("`{}` came back in the wrong form", w.as_str()),
                }
            }
            drop(back);
            // Nothing more, nothing less: every shorter prefix is refused, as is a byte more.
            for end in 0..bytes.len() {
                assert!(decode(bytes.get(..end).unwrap_or_default(), names, given).is_none());
            }
            bytes.push(0);
            assert!(decode(&bytes, names, given).is_none());
        }
    }

    #[test]
    fn declared_names_are_packed_as_numbers() {
        let line = r#"{"at":"2026-01-01T00:01:00+01:00","attributes":{"age_gap_years":0.0,"relation":"peer"},"channel":"in_person","counterpart":"c-1149-3","id":"o-82","kind":"contact.new","source":"mentor","subject":"y-001149"}"#;
        let p = plain(line);
        let (mut as_text, mut as_numbers) = (Vec::new(), Vec::new());
        let mut text = b"left from before".to_vec();
        encode(&p, None, true, &mut as_text, &mut text);
        encode(&p, Some(&declared()), true, &mut as_numbers, &mut text);
        // `contact.new`, `in_person`, `mentor`, `relation` and `peer`: 38 bytes of text, and
        // each word's length becomes its number; the name not declared (`age_gap_years`) takes
        // a byte more, which marks it as text.
        assert_eq!(as_text.len() - as_numbers.len(), 38 - 1);
        // Numbers that the names do not have are not read as anything.
        assert!(decode(&as_numbers, Some(&Names::default()), "y-001149").is_none());
        // Without its subject the line is 9 bytes shorter (`y-001149` and its length).
        let mut without = Vec::new();
        encode(&p, Some(&declared()), false, &mut without, &mut text);
        assert_eq!(as_numbers.len() - without.len(), 9);
    }

    #[test]
    fn typical_lines_come_back_as_they_were_read() {
        for line in [
            r#"{"subject":"y-1","id":"o-1","at":"2026-03-02T10:00:00+01:00","kind":"contact.new"}"#,
            r#"{"at":"2026-01-01T00:01:00+01:00","attributes":{"age_gap_years":0.0,"relation":"peer"},"channel":"in_person","counterpart":"c-1149-3","id":"o-82","kind":"contact.new","source":"mentor","subject":"y-001149"}"#,
            r#"{"subject":"y-1","id":"o-2","at":"2016-12-31T23:59:60.5Z","recorded_at":"2017-01-01T00:59:59.999999999+01:00","kind":"k","attributes":{"b":true,"a":false,"n":-1e-300,"z":null,"s":"é"}}"#,
            r#"{"subject":"ÿ","id":"o-3","at":"0001-01-01T00:00:00-23:59","kind":"k","channel":null,"counterpart":"","source":"s","attributes":{}}"#,
            r#"{"subject":"y","id":"o","at":"9999-12-31T23:59:59+23:59","kind":"k","attributes":null}"#,
        ] {
            round_trip(&plain(line));
        }
        // Names numbered around 254, where a number's one-byte form ends, in every place a
        // name can be.
        for f in [0, 243, 244, 245, 246, 247, 290, 399] {
            let n = format!("f{f}");
            let line = format!(
                r#"{{"subject":"y","id":"o","at":"2026-03-02T10:00:00Z","kind":"{n}","channel":"{n}","source":"{n}","attributes":{{"{n}":"{n}","zz":"f0"}}}}"#
            );
            round_trip(&plain(&line));
        }
        // A line's text of 254 bytes and below takes one byte for its length, from 255 on five.
        for n in 245..=256 {
            let long = "y".repeat(n);
            let line = format!(
                r#"{{"subject":"{long}","id":"o-12","at":"2026-03-02T10:00:00Z","kind":"k"}}"#
            );
            round_trip(&plain(&line));
        }
        // Strings of 254 bytes and below take one byte for their length; from 255 on, five.
        for n in [254, 255, 256, 70_000] {
            let long = "x".repeat(n);
            let line = format!(
                r#"{{"subject":"{long}","id":"{long}","at":"2026-03-02T10:00:00Z","kind":"k","counterpart":"{long}","attributes":{{"{long}":"{long}"}}}}"#
            );
            round_trip(&plain(&line));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_plain_line_comes_back_as_it_was_read((line, _) in crate::scan::tests::line()) {
            if let Some(p) = crate::scan::observation(&line).and_then(PlainObservation::check) {
                round_trip(&p);
            }
        }

        #[test]
        fn any_instant_comes_back(
            seconds in -62_135_596_800i64..253_402_300_799,
            nanos in 0u32..1_000_000_000,
            leap in any::<bool>(),
            offset in -86_399i32..=86_399,
        ) {
            // A leap second: the last second of a minute with its nanoseconds past a billion.
            let seconds = if leap { seconds - seconds.rem_euclid(60) + 59 } else { seconds };
            let utc = DateTime::from_timestamp(seconds, nanos).expect("in range").naive_utc();
            let utc = if leap {
                let time = NaiveTime::from_hms_nano_opt(utc.hour(), utc.minute(), 59, nanos + 1_000_000_000)
                    .expect("leap second");
                NaiveDateTime::new(utc.date(), time)
            } else {
                utc
            };
            let offset = FixedOffset::east_opt(offset).expect("offset");
            let t: Timestamp = DateTime::from_naive_utc_and_offset(utc, offset);
            let mut bytes = Vec::new();
            timestamp(&t, &mut bytes);
            let back = Reader { fixed: &bytes, text: "" }.timestamp().expect("decoded");
            prop_assert_eq!(back, t);
            prop_assert_eq!(back.to_rfc3339(), t.to_rfc3339());
        }
    }
}
