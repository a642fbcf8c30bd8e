//! A plain observation line kept packed between reading and evaluating it.
//!
//! [`JsonlBatch`](super::JsonlBatch) holds every line until the youth it belongs to is
//! evaluated. A line the scanner reads in full is checked as it is read (timestamps parsed,
//! attributes scalar and each named once: a [`PlainObservation`]) and held in this form: its
//! values with their lengths, no keys, quotes or punctuation. Reading it back takes the lengths
//! and checks the text as UTF-8 once, rather than scanning the JSON a second time. A typical
//! line takes about half its room; a line of many numeric attributes can take up to about twice
//! it (eight bytes for a number written as one digit).
//!
//! The form is private to one process run: nothing packed is written anywhere.

use crate::input::{PlainObservation, PlainValue};
use crate::time::Timestamp;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use std::borrow::Cow;

/// Bits of the first byte: which optional fields follow.
const RECORDED_AT: u8 = 1;
const CHANNEL: u8 = 2;
const COUNTERPART: u8 = 4;
const SOURCE: u8 = 8;

/// Tags of attribute values.
const STR: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const NUMBER: u8 = 3;

/// Appends `p` to `out`: first the length of its text, then the fixed parts (which fields are
/// given, timestamps, the lengths of the strings, attribute tags and numbers), then the text of
/// all its strings one after the other, so that reading it back checks the text as UTF-8 once.
/// Every length fits in a `u32`: the caller packs only lines shorter than 4 GiB.
pub(super) fn encode(p: &PlainObservation<'_>, out: &mut Vec<u8>) {
    let optional = [&p.channel, &p.counterpart, &p.source];
    let mut text = p.subject.len() + p.id.len() + p.kind.len();
    let mut present = 0;
    if p.recorded_at.is_some() {
        present |= RECORDED_AT;
    }
    for (bit, s) in [CHANNEL, COUNTERPART, SOURCE].into_iter().zip(optional) {
        if let Some(s) = s {
            present |= bit;
            text += s.len();
        }
    }
    for (key, value) in &p.attributes {
        text += key.len();
        if let PlainValue::Str(s) = value {
            text += s.len();
        }
    }
    // The most the fixed-size parts take: 1 + 2 × 16 and eight lengths of at most 5 bytes, and
    // 14 per attribute.
    out.reserve(73 + 14 * p.attributes.len() + text);
    length(text, out);
    out.push(present);
    timestamp(&p.at, out);
    if let Some(t) = &p.recorded_at {
        timestamp(t, out);
    }
    for s in [&p.subject, &p.id, &p.kind] {
        length(s.len(), out);
    }
    for s in optional.into_iter().flatten() {
        length(s.len(), out);
    }
    length(p.attributes.len(), out);
    for (key, value) in &p.attributes {
        length(key.len(), out);
        match value {
            PlainValue::Str(s) => {
                out.push(STR);
                length(s.len(), out);
            }
            PlainValue::Bool(false) => out.push(FALSE),
            PlainValue::Bool(true) => out.push(TRUE),
            PlainValue::Number(n) => {
                out.push(NUMBER);
                out.extend_from_slice(&n.to_bits().to_le_bytes());
            }
        }
    }
    for s in [&p.subject, &p.id, &p.kind] {
        out.extend_from_slice(s.as_bytes());
    }
    for s in optional.into_iter().flatten() {
        out.extend_from_slice(s.as_bytes());
    }
    for (key, value) in &p.attributes {
        out.extend_from_slice(key.as_bytes());
        if let PlainValue::Str(s) = value {
            out.extend_from_slice(s.as_bytes());
        }
    }
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

/// What [`encode`] wrote; `None` only for bytes it did not write.
pub(super) fn decode(bytes: &[u8]) -> Option<PlainObservation<'_>> {
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
    let subject = r.text()?;
    let id = r.text()?;
    let kind = r.text()?;
    let mut optional = |bit: u8| match present & bit {
        0 => Some(None),
        _ => r.text().map(Some),
    };
    let channel = optional(CHANNEL)?;
    let counterpart = optional(COUNTERPART)?;
    let source = optional(SOURCE)?;
    let n = r.length()?;
    let mut attributes = smallvec::SmallVec::with_capacity(n.min(crate::Attributes::MAX));
    for _ in 0..n {
        let key = r.text()?;
        let value = match r.byte()? {
            STR => PlainValue::Str(r.text()?),
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

    fn round_trip(p: &PlainObservation<'_>) {
        let mut bytes = Vec::new();
        encode(p, &mut bytes);
        let back = decode(&bytes).expect("decoded");
        // (As text: the two borrow from different places.)
        assert_eq!(format!("{back:?}"), format!("{p:?}"));
        // The same instants, offsets and text, leap seconds included.
        assert_eq!(back.at.to_rfc3339(), p.at.to_rfc3339());
        assert_eq!(
            back.recorded_at.map(|t| t.to_rfc3339()),
            p.recorded_at.map(|t| t.to_rfc3339())
        );
        drop(back);
        // Nothing more, nothing less: every shorter prefix is refused, as is a byte more.
        for end in 0..bytes.len() {
            assert!(decode(bytes.get(..end).unwrap_or_default()).is_none());
        }
        bytes.push(0);
        assert!(decode(&bytes).is_none());
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
        // Lengths of 254 and below take one byte; from 255 on, five.
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
