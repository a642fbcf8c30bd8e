//! A hand-written reader for the flat JSON layout of a well-formed observation line.
//!
//! [`observation`] reads one JSON Lines observation into the same [`FastObservation`] that
//! `serde_json::from_str` would give, without going through serde. It only takes the plain
//! case: whenever anything is unusual (an escape or a control character in a string, an unknown
//! or repeated key, a nested attribute value, a number it does not convert with certainty,
//! trailing text) it returns `None`, and the caller falls back to serde and then to the general
//! path, which words the precise error. Whenever it returns `Some`, the result is the one serde
//! gives (the property test below checks this).

use crate::input::{FastObservation, RawAttributes, RawValue};
use serde_json::{Number, Value};
use std::borrow::Cow;

/// Longest mantissa (integer and fraction digits together) converted here; longer numbers go to
/// serde. Both conversions are correctly rounded, so they agree; the bound keeps well away from
/// any digit truncation inside serde_json's float parser.
const MAX_MANTISSA_DIGITS: usize = 64;
/// Longest exponent (in digits) converted here; longer ones go to serde, which saturates or
/// refuses them in ways not worth copying.
const MAX_EXPONENT_DIGITS: usize = 4;

/// The `subject` of `line`, a JSON object shaped like an observation: whenever this gives a
/// subject, any reader that accepts the line reads that subject. It is a skim, not a check: it
/// follows strings, nesting and the top-level keys (numbers, literals and the rest of the grammar
/// are left to the readers, which refuse a line that breaks them, whatever its group). `None`
/// when it cannot tell — a top-level key or the subject written with escapes, a subject that is
/// not a plain string, a key given twice, anything after the object but JSON whitespace — and
/// for a line not shaped like an observation: a key that is not a field of one, or `subject`,
/// `id`, `at` or `kind` missing or not a string. (A caller keeps the lines it can place, so
/// lines that are plainly no observation must not be placed.) A fraction of what
/// [`observation`] costs.
pub(crate) fn subject(line: &[u8]) -> Option<&str> {
    let ws = |i: &mut usize| {
        while matches!(line.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *i += 1;
        }
    };
    let mut i = 0;
    ws(&mut i);
    if line.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut subject = None;
    let mut seen = 0u16;
    // Nesting below the top-level object, and whether its next string is a key.
    let mut depth = 0usize;
    let mut key = true;
    loop {
        match *line.get(i)? {
            b'"' => {
                let start = i + 1;
                let (end, plain) = string_close(line, start)?;
                i = end + 1;
                if depth > 0 || !key {
                    continue;
                }
                key = false;
                if !plain {
                    return None;
                }
                let field = match line.get(start..end)? {
                    b"subject" => Field::Subject,
                    b"id" => Field::Id,
                    b"at" => Field::At,
                    b"kind" => Field::Kind,
                    b"recorded_at" => Field::RecordedAt,
                    b"channel" => Field::Channel,
                    b"counterpart" => Field::Counterpart,
                    b"source" => Field::Source,
                    b"attributes" => Field::Attributes,
                    _ => return None,
                };
                if seen & field as u16 != 0 {
                    return None;
                }
                seen |= field as u16;
                ws(&mut i);
                if line.get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
                ws(&mut i);
                let text = matches!(field, Field::Subject | Field::Id | Field::At | Field::Kind);
                if text && line.get(i) != Some(&b'"') {
                    return None;
                }
                if let Field::Subject = field {
                    let (end, plain) = string_close(line, i + 1)?;
                    if !plain {
                        return None;
                    }
                    subject = Some(std::str::from_utf8(line.get(i + 1..end)?).ok()?);
                    i = end + 1;
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            b'}' => {
                i += 1;
                ws(&mut i);
                let needed = Field::Subject as u16 | Field::Id as u16 | Field::At as u16;
                let needed = needed | Field::Kind as u16;
                return if i == line.len() && seen & needed == needed {
                    subject
                } else {
                    None
                };
            }
            b',' if depth == 0 => key = true,
            _ => {}
        }
        i += 1;
    }
}

/// The closing quote of the string whose text starts at `start`, and whether the text is plain
/// (no escapes); `None` when the string does not end or holds a control character.
fn string_close(line: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start;
    let mut plain = true;
    loop {
        i += string_end(line.get(i..)?)?;
        match *line.get(i)? {
            b'"' => return Some((i, plain)),
            b'\\' => {
                plain = false;
                i += 2;
            }
            _ => return None,
        }
    }
}

/// Reads `line`, a single JSON object, as an observation; `None` when it is not the plain case.
pub(crate) fn observation(line: &str) -> Option<FastObservation<'_>> {
    let mut c = Cursor { s: line, i: 0 };
    let mut subject = None;
    let mut id = None;
    let mut at = None;
    let mut recorded_at = None;
    let mut kind = None;
    let mut channel = None;
    let mut counterpart = None;
    let mut source = None;
    let mut attributes = None;
    let mut seen = 0u16;
    c.ws();
    if !c.eat(b'{') {
        return None;
    }
    c.ws();
    if !c.eat(b'}') {
        loop {
            let field = c.field()?;
            c.colon()?;
            if seen & field as u16 != 0 {
                return None;
            }
            seen |= field as u16;
            match field {
                Field::Subject => subject = Some(c.string()?),
                Field::Id => id = Some(c.string()?),
                Field::At => at = Some(c.string()?),
                Field::Kind => kind = Some(c.string()?),
                Field::RecordedAt => recorded_at = c.optional_string()?,
                Field::Channel => channel = c.optional_string()?,
                Field::Counterpart => counterpart = c.optional_string()?,
                Field::Source => source = c.optional_string()?,
                Field::Attributes => attributes = c.attributes()?,
            }
            if !c.more()? {
                break;
            }
        }
    }
    c.ws();
    if c.i != line.len() {
        return None;
    }
    Some(FastObservation {
        subject: Cow::Borrowed(subject?),
        id: Cow::Borrowed(id?),
        at: Cow::Borrowed(at?),
        recorded_at: recorded_at.map(Cow::Borrowed),
        kind: Cow::Borrowed(kind?),
        channel: channel.map(Cow::Borrowed),
        counterpart: counterpart.map(Cow::Borrowed),
        source: source.map(Cow::Borrowed),
        attributes,
    })
}

/// `0x01` in every byte of a word.
const ONES: u64 = u64::from_ne_bytes([1; 8]);
/// `0x80` in every byte of a word.
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// The offset of the first byte of `bytes` that ends the plain part of a JSON string: a quote, a
/// backslash or a control character. Eight bytes at a time: in each mask below the lowest flagged
/// byte is exact (a false flag can only sit above a true one), so the lowest of all is the first.
fn string_end(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    while let Some(chunk) = bytes.get(offset..offset + 8) {
        let stop = stops(u64::from_le_bytes(chunk.try_into().ok()?));
        if stop != 0 {
            return Some(offset + (stop.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    // The last few bytes, one at a time.
    let tail = bytes.get(offset..)?;
    let at = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(offset + at)
}

/// Flags (high bit set) the bytes of `w` that are a quote, a backslash or below `0x20`; above
/// the lowest flagged byte, flags may be false.
fn stops(w: u64) -> u64 {
    /// Flags the bytes of `w` that are zero.
    fn zero(w: u64) -> u64 {
        w.wrapping_sub(ONES) & !w & HIGH
    }
    zero(w ^ (ONES * u64::from(b'"')))
        | zero(w ^ (ONES * u64::from(b'\\')))
        | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
}

/// The fields of an observation, each with its bit in the set of fields seen.
#[derive(Clone, Copy)]
enum Field {
    Subject = 1,
    Id = 2,
    At = 4,
    RecordedAt = 8,
    Kind = 16,
    Channel = 32,
    Counterpart = 64,
    Source = 128,
    Attributes = 256,
}

/// An attribute value as written, borrowed from the line.
enum Scalar<'a> {
    Str(&'a str),
    Bool(bool),
    Null,
    Number(Number),
}

/// A position in the line being read.
struct Cursor<'a> {
    /// The whole line.
    s: &'a str,
    /// The byte offset of the next unread byte.
    i: usize,
}

impl<'a> Cursor<'a> {
    /// The next byte, not consumed.
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    /// Skips JSON whitespace: space, tab, line feed and carriage return.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Consumes `b` if it comes next.
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// Consumes `word` if it comes next.
    fn eat_word(&mut self, word: &str) -> bool {
        let hit = self
            .s
            .as_bytes()
            .get(self.i..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()));
        if hit {
            self.i += word.len();
        }
        hit
    }

    /// Consumes a run of ASCII digits; returns how many.
    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// A string without escapes or control characters, borrowed from the line.
    fn string(&mut self) -> Option<&'a str> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.i;
        let rest = self.s.as_bytes().get(start..)?;
        let len = string_end(rest)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.i = start + len + 1;
        self.s.get(start..start + len)
    }

    /// A key naming one of the fields, written without escapes.
    fn field(&mut self) -> Option<Field> {
        let rest = self.s.as_bytes().get(self.i..)?;
        // The quoted name, closing quote included: a key that starts so is exactly that name.
        // (Each compared as a literal, which the compiler turns into a few word compares.)
        let (field, quoted) = match rest.get(1)? {
            b'a' if rest.starts_with(b"\"at\"") => (Field::At, 4),
            b'a' if rest.starts_with(b"\"attributes\"") => (Field::Attributes, 12),
            b'c' if rest.starts_with(b"\"channel\"") => (Field::Channel, 9),
            b'c' if rest.starts_with(b"\"counterpart\"") => (Field::Counterpart, 13),
            b'i' if rest.starts_with(b"\"id\"") => (Field::Id, 4),
            b'k' if rest.starts_with(b"\"kind\"") => (Field::Kind, 6),
            b'r' if rest.starts_with(b"\"recorded_at\"") => (Field::RecordedAt, 13),
            b's' if rest.starts_with(b"\"source\"") => (Field::Source, 8),
            b's' if rest.starts_with(b"\"subject\"") => (Field::Subject, 9),
            _ => return None,
        };
        self.i += quoted;
        Some(field)
    }

    /// A string or `null` (absent, as serde reads an `Option`).
    fn optional_string(&mut self) -> Option<Option<&'a str>> {
        if self.eat_word("null") {
            Some(None)
        } else {
            self.string().map(Some)
        }
    }

    /// `null` or an object of scalar attribute values.
    fn attributes(&mut self) -> Option<Option<RawAttributes<'a>>> {
        let mut out = smallvec::SmallVec::new();
        let given = self.each_attribute(|key, value| {
            let value = match value {
                Scalar::Str(s) => RawValue::Str(Cow::Borrowed(s)),
                Scalar::Bool(b) => RawValue::Other(Value::Bool(b)),
                Scalar::Null => RawValue::Other(Value::Null),
                Scalar::Number(n) => RawValue::Other(Value::Number(n)),
            };
            out.push((Cow::Borrowed(key), value));
        })?;
        Some(given.then_some(RawAttributes(out)))
    }

    /// `null` (false) or an object of scalar attribute values (true), each handed to `each`.
    fn each_attribute(&mut self, mut each: impl FnMut(&'a str, Scalar<'a>)) -> Option<bool> {
        if self.eat_word("null") {
            return Some(false);
        }
        if !self.eat(b'{') {
            return None;
        }
        self.ws();
        if self.eat(b'}') {
            return Some(true);
        }
        loop {
            let key = self.string()?;
            self.colon()?;
            let value = match self.peek()? {
                b'"' => Scalar::Str(self.string()?),
                b't' if self.eat_word("true") => Scalar::Bool(true),
                b'f' if self.eat_word("false") => Scalar::Bool(false),
                b'n' if self.eat_word("null") => Scalar::Null,
                b'-' | b'0'..=b'9' => Scalar::Number(self.number()?),
                _ => return None,
            };
            each(key, value);
            if !self.more()? {
                return Some(true);
            }
        }
    }

    /// The `:` after a key, with the whitespace around it.
    fn colon(&mut self) -> Option<()> {
        self.ws();
        self.eat(b':').then(|| self.ws())
    }

    /// After a member of an object: `,` (true: another member follows) or the closing `}`
    /// (false), with the whitespace around them; `None` for anything else.
    fn more(&mut self) -> Option<bool> {
        self.ws();
        if self.eat(b',') {
            self.ws();
            return Some(true);
        }
        self.eat(b'}').then_some(false)
    }

    /// A number following the JSON grammar, as serde_json makes it: an integer that fits is a
    /// `u64` (or, negative, an `i64`; `-0` is the float `-0.0`), anything else an `f64`.
    fn number(&mut self) -> Option<Number> {
        let start = self.i;
        let negative = self.eat(b'-');
        let int_start = self.i;
        let int_digits = match self.peek()? {
            b'0' => {
                self.i += 1;
                1
            }
            b'1'..=b'9' => self.digits(),
            _ => return None,
        };
        let int_end = self.i;
        let mut mantissa_digits = int_digits;
        let mut integer = true;
        if self.eat(b'.') {
            let n = self.digits();
            if n == 0 {
                return None;
            }
            mantissa_digits += n;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            let n = self.digits();
            if n == 0 || n > MAX_EXPONENT_DIGITS {
                return None;
            }
            integer = false;
        }
        if integer && let Ok(magnitude) = self.s.get(int_start..int_end)?.parse::<u64>() {
            // serde_json's `parse_number`, step for step.
            if !negative {
                return Some(Number::from(magnitude));
            }
            let neg = (magnitude as i64).wrapping_neg();
            return if neg >= 0 {
                Number::from_f64(-(magnitude as f64))
            } else {
                Some(Number::from(neg))
            };
        }
        if mantissa_digits > MAX_MANTISSA_DIGITS {
            return None;
        }
        // Correctly rounded, as serde_json's `float_roundtrip` parser is; serde refuses what
        // overflows to infinity, and so does `from_f64`.
        let f: f64 = self.s.get(start..self.i)?.parse().ok()?;
        Number::from_f64(f)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{observation, subject};
    use crate::input::{FastObservation, RawValue};
    use proptest::prelude::*;
    use proptest::sample::select;
    use serde_json::Value;

    /// A piece of JSON text, and whether it is plain: text the scanner must take whenever serde
    /// accepts the line it is part of.
    type Piece = (String, bool);

    /// Checks one line: a scanned line equals what serde reads; a plain line serde reads is
    /// scanned.
    fn check(line: &str, plain: bool) -> Result<(), TestCaseError> {
        let scanned = observation(line);
        let serde: Option<FastObservation<'_>> = serde_json::from_str(line).ok();
        if let Some(s) = &scanned {
            let Some(d) = &serde else {
                return Err(TestCaseError::fail(format!(
                    "scanner took a line serde refuses: {line:?}"
                )));
            };
            prop_assert_eq!(s, d, "line {:?}", line);
            let attrs = |o: &FastObservation<'_>| -> Vec<Option<u64>> {
                o.attributes
                    .iter()
                    .flat_map(|a| &a.0)
                    .map(|(_, v)| match v {
                        RawValue::Other(Value::Number(n)) => n.as_f64().map(f64::to_bits),
                        _ => None,
                    })
                    .collect()
            };
            prop_assert_eq!(attrs(s), attrs(d), "number bits differ in {:?}", line);
        }
        if plain && serde.is_some() {
            prop_assert!(scanned.is_some(), "scanner left a plain line: {:?}", line);
        }
        // The skim finds the subject any reader that takes the line reads.
        let skimmed = subject(line.as_bytes());
        if let Some(s) = &scanned {
            prop_assert_eq!(skimmed, Some(s.subject.as_ref()), "line {:?}", line);
        }
        if let (Some(skimmed), Ok(v)) = (skimmed, serde_json::from_str::<Value>(line)) {
            prop_assert_eq!(v.get("subject").and_then(Value::as_str), Some(skimmed));
        }
        Ok(())
    }

    fn quoted(s: &str) -> String {
        format!("\"{s}\"")
    }

    /// Strings: plain ones (ASCII and not), with escapes, with control characters, malformed.
    fn string() -> BoxedStrategy<Piece> {
        let parts = select(vec![
            "a",
            "é",
            "😀",
            " ",
            "\\n",
            "\\\"",
            "\\\\",
            "\\/",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\u0000",
            "\\t",
            "\u{7f}",
        ]);
        let bad_parts = select(vec!["a", "\u{1}", "\t", "\u{1f}", "\\x", "\\u12", "\\"]);
        prop_oneof![
            20 => "[a-zA-Z0-9 _.:+-]{0,12}".prop_map(|s| (quoted(&s), true)),
            4 => "[a-zé漢😀\u{7f} ]{0,5}".prop_map(|s| (quoted(&s), true)),
            3 => prop::collection::vec(parts, 0..5).prop_map(|p| (quoted(&p.concat()), false)),
            1 => prop::collection::vec(bad_parts, 0..3).prop_map(|p| (quoted(&p.concat()), false)),
            1 => select(vec!["\"abc", "'a'", "\"a\"\"", "abc", "\"\u{2028}\""])
                .prop_map(|s| (s.to_owned(), s == "\"\u{2028}\"")),
        ]
        .boxed()
    }

    /// Number literals of many shapes, valid and not.
    fn number() -> BoxedStrategy<Piece> {
        let special = select(vec![
            ("0", true),
            ("-0", true),
            ("0.0", true),
            ("-0.0", true),
            ("-0e0", true),
            ("1.0e400", true),
            ("-1.0e400", true),
            ("1e-400", true),
            ("-1e-400", true),
            ("0e400", true),
            ("4.9406564584124654e-324", true),
            ("2.4703282292062327e-324", true),
            ("2.4703282292062328e-324", true),
            ("2.2250738585072011e-308", true),
            ("2.2250738585072014e-308", true),
            ("1.7976931348623157e308", true),
            ("1.7976931348623158e308", true),
            ("1.7976931348623159e308", true),
            ("9007199254740993", true),
            ("9007199254740993.0", true),
            ("9007199254740993.000000000000000000000000001", true),
            ("18446744073709551615", true),
            ("18446744073709551616", true),
            ("-9223372036854775807", true),
            ("-9223372036854775808", true),
            ("-9223372036854775809", true),
            ("-18446744073709551615", true),
            ("-18446744073709551616", true),
            ("123456789012345678901234567890", true),
            ("1E+2", true),
            ("1e-0", true),
            ("100e-2", true),
            ("1e99999", false),
            ("1e-99999", false),
            ("0e99999", false),
            ("1e00001", false),
            ("1e99999999999", false),
            ("1e-99999999999", false),
            (
                "10000000000000000000000000000000000000000000000000000000000000000000000",
                false,
            ),
            ("01", false),
            ("-01", false),
            ("1.", false),
            (".5", false),
            ("+1", false),
            ("1e", false),
            ("1e+", false),
            ("1.e5", false),
            ("--1", false),
            ("-", false),
            ("0x10", false),
            ("NaN", false),
            ("Infinity", false),
            ("1_000", false),
        ]);
        prop_oneof![
            2 => any::<u64>().prop_map(|n| (n.to_string(), true)),
            2 => any::<i64>().prop_map(|n| (n.to_string(), true)),
            2 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| (format!("{f:?}"), true)),
            1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| (format!("{f:e}"), true)),
            1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| {
                let s = format!("{f}");
                let digits = s.bytes().filter(u8::is_ascii_digit).count();
                (s, digits <= super::MAX_MANTISSA_DIGITS)
            }),
            3 => "-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?".prop_map(|s| (s, true)),
            3 => special.prop_map(|(s, p)| (s.to_owned(), p)),
        ]
        .boxed()
    }

    /// Whitespace JSON allows between tokens, often none.
    fn good_ws() -> BoxedStrategy<Piece> {
        select(vec!["", "", "", " ", "\t", "\n", "\r", "  \r\n"])
            .prop_map(|s| (s.to_owned(), true))
            .boxed()
    }

    /// Whitespace that JSON refuses (Unicode spaces, vertical tab, form feed).
    fn bad_ws() -> BoxedStrategy<Piece> {
        select(vec!["\u{a0}", "\u{feff}", "\u{b}", "\u{c}", "\u{2028}"])
            .prop_map(|s| (s.to_owned(), false))
            .boxed()
    }

    /// Whitespace between tokens, rarely one JSON refuses.
    fn ws() -> BoxedStrategy<Piece> {
        prop_oneof![60 => good_ws(), 1 => bad_ws()].boxed()
    }

    /// An attribute value of any JSON type, nested ones included.
    fn attribute_value() -> BoxedStrategy<Piece> {
        let good = select(vec!["true", "false", "null"]).prop_map(|s| (s.to_owned(), true));
        let bad = select(vec![
            ("[]", false),
            ("[1]", false),
            ("{}", false),
            ("{\"a\":1}", false),
            ("[\"x\",{\"b\":null}]", false),
            ("tru", false),
            ("nul", false),
            ("True", false),
            ("truex", false),
        ])
        .prop_map(|(s, p)| (s.to_owned(), p));
        prop_oneof![5 => string(), 5 => number(), 3 => good, 1 => bad].boxed()
    }

    /// The value of `attributes`: mostly an object, sometimes null or something else.
    fn attributes() -> BoxedStrategy<Piece> {
        let key = prop_oneof![
            12 => select(vec!["relation", "age_gap_years", "a", "b", "a", "é", ""])
                .prop_map(|k| (quoted(k), true)),
            1 => select(vec!["re\\u006cation", "a\\n", "\u{1}"]).prop_map(|k| (quoted(k), false)),
        ];
        let entry = (ws(), key, ws(), ws(), attribute_value(), ws());
        let object = prop::collection::vec(entry, 0..5).prop_map(|entries| {
            let mut plain = true;
            let body: Vec<String> = entries
                .into_iter()
                .map(|(w1, k, w2, w3, v, w4)| {
                    plain &= w1.1 && k.1 && w2.1 && w3.1 && v.1 && w4.1;
                    format!("{}{}{}:{}{}{}", w1.0, k.0, w2.0, w3.0, v.0, w4.0)
                })
                .collect();
            (format!("{{{}}}", body.join(",")), plain)
        });
        prop_oneof![
            6 => object,
            1 => select(vec![("null", true), ("[]", false), ("\"x\"", false), ("1", false)])
                .prop_map(|(s, p)| (s.to_owned(), p)),
        ]
        .boxed()
    }

    /// The value of a string field: mostly a string, sometimes null or another type.
    fn field_value() -> BoxedStrategy<Piece> {
        prop_oneof![
            30 => string(),
            1 => Just(("null".to_owned(), true)),
            1 => attribute_value(),
        ]
        .boxed()
    }

    /// The nine field names, as the general reader knows them.
    const NAMES: &[&str] = crate::input::OBSERVATION_FIELDS;

    /// A line: some of the nine fields in any order, perhaps an unknown or repeated key, random
    /// whitespace, perhaps trailing text or a truncation.
    pub(crate) fn line() -> impl Strategy<Value = (String, bool)> {
        let values = (
            [
                field_value(),
                field_value(),
                field_value(),
                field_value(),
                field_value(),
            ],
            [field_value(), field_value(), field_value()],
            attributes(),
        );
        let order = Just((0..NAMES.len()).collect::<Vec<usize>>()).prop_shuffle();
        let include = prop::collection::vec(prop::bool::weighted(0.95), NAMES.len());
        let extra = prop::option::weighted(
            0.1,
            (
                select(vec![
                    "Subject",
                    "extra",
                    "subject ",
                    "subj\\u0065ct",
                    "attributes",
                    "id",
                ]),
                field_value(),
                any::<prop::sample::Index>(),
            ),
        );
        let spaces = prop_oneof![
            9 => prop::collection::vec(good_ws(), 40),
            1 => prop::collection::vec(prop_oneof![4 => good_ws(), 1 => bad_ws()], 40),
        ];
        let trailing = select(vec![
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            ("", true),
            (" \n", true),
            ("x", false),
            ("}", false),
            (",", false),
            ("{}", false),
            ("\u{0}", false),
            (" 1", false),
        ]);
        let cut = prop::option::weighted(0.05, any::<prop::sample::Index>());
        (values, order, include, extra, spaces, trailing, cut).prop_map(
            |(
                ([a, b, c, d, e], [f, g, h], attrs),
                order,
                include,
                extra,
                spaces,
                trailing,
                cut,
            )| {
                let values = [a, b, c, d, e, f, g, h, attrs];
                let mut ws = spaces.into_iter().cycle();
                let mut plain = true;
                let mut next_ws = |plain: &mut bool| {
                    let (s, p) = ws.next().unwrap_or_default();
                    *plain &= p;
                    s
                };
                let mut entries: Vec<String> = Vec::new();
                for i in order {
                    if !include.get(i).copied().unwrap_or(true) {
                        continue;
                    }
                    let (value, p) = &values[i];
                    plain &= *p;
                    entries.push(format!(
                        "{}\"{}\"{}:{}{}{}",
                        next_ws(&mut plain),
                        NAMES[i],
                        next_ws(&mut plain),
                        next_ws(&mut plain),
                        value,
                        next_ws(&mut plain)
                    ));
                }
                if let Some((key, (value, _), at)) = extra {
                    let at = at.index(entries.len() + 1);
                    entries.insert(at, format!("\"{key}\":{value}"));
                    plain = false;
                }
                let mut text = format!(
                    "{}{{{}{}}}{}{}",
                    next_ws(&mut plain),
                    next_ws(&mut plain),
                    entries.join(","),
                    next_ws(&mut plain),
                    trailing.0
                );
                plain &= trailing.1;
                if let Some(cut) = cut {
                    let mut at = cut.index(text.len() + 1);
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    text.truncate(at);
                    plain = false;
                }
                (text, plain)
            },
        )
    }

    /// Wraps an attribute value into an otherwise typical line.
    fn with_attribute(value: &str) -> String {
        format!(
            r#"{{"at":"2026-01-01T00:01:00+01:00","attributes":{{"n":{value}}},"id":"o-1","kind":"k","subject":"y-1"}}"#
        )
    }

    /// A JSON value of any shape, `subject` keys and escapes included, sometimes broken.
    fn any_value(depth: u32) -> BoxedStrategy<String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("-1.5e3".to_owned()),
            Just("\"y-1\"".to_owned()),
            Just("\"y\\\"2\"".to_owned()),
            Just("\"}]{[,:\"".to_owned()),
            Just("\"\\u0079\"".to_owned()),
            Just("\"é\"".to_owned()),
            Just("\"\"".to_owned()),
        ];
        if depth == 0 {
            return leaf.boxed();
        }
        prop_oneof![
            3 => leaf,
            1 => prop::collection::vec(any_value(depth - 1), 0..3)
                .prop_map(|vs| format!("[{}]", vs.join(","))),
            1 => object(depth - 1),
        ]
        .boxed()
    }

    /// An object whose keys are often `subject`, sometimes written with escapes.
    fn object(depth: u32) -> BoxedStrategy<String> {
        let key = prop_oneof![
            3 => Just("\"subject\""),
            1 => Just("\"subj\\u0065ct\""),
            2 => Just("\"id\""),
            2 => Just("\"at\""),
            2 => Just("\"kind\""),
            1 => Just("\"attributes\""),
            1 => Just("\"subject \""),
            1 => Just("\"\\\"subject\""),
        ];
        let ws = prop_oneof![6 => Just(""), 1 => Just(" "), 1 => Just("\t"), 1 => Just("\u{a0}")];
        prop::collection::vec((key, ws.clone(), any_value(depth), ws), 0..7)
            .prop_map(|fields| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(k, w1, v, w2)| format!("{w1}{k}{w2}:{w1}{v}{w2}"))
                    .collect();
                format!("{{{}}}", fields.join(","))
            })
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(ProptestConfig::default().cases.max(4096)))]

        /// Whatever subject the skim gives, a reader of JSON that accepts the line reads: the
        /// object's one `subject` key, whose value is that string.
        #[test]
        fn the_skim_gives_the_subject_readers_read(
            text in object(2),
            tail in prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just(" x"), 1 => Just("}")],
        ) {
            let line = format!("{text}{tail}");
            let skimmed = subject(line.as_bytes());
            // (A line serde refuses may give anything: the readers refuse it too.)
            if let (Some(s), Ok(v)) = (skimmed, serde_json::from_str::<Value>(&line)) {
                // serde_json keeps the last of repeated keys, so a skim that took the first of
                // two differing subjects fails here.
                prop_assert_eq!(v.get("subject").and_then(Value::as_str), Some(s), "{:?}", line);
            }
            // (That it gives a subject whenever the scanner reads the line is checked by
            // `scanner_agrees_with_serde`.)
        }
    }

    proptest! {
        /// The word-at-a-time search finds the byte a plain byte-by-byte search finds.
        #[test]
        fn string_end_is_the_first_stop(bytes in prop::collection::vec(
            prop_oneof![4 => 0x20u8..0x7f, 1 => any::<u8>(), 1 => select(vec![b'"', b'\\', 0, 0x1f, 0x20, 0x80, 0xff])],
            0..40,
        )) {
            let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(super::string_end(&bytes), naive);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(ProptestConfig::default().cases.max(4096)))]

        /// Whatever the scanner reads, serde reads the same; what serde reads of a plain line,
        /// the scanner reads too.
        #[test]
        fn scanner_agrees_with_serde((text, plain) in line()) {
            check(&text, plain)?;
        }

        /// Numbers in the JSON grammar, densely: correctly rounded as serde_json does it.
        #[test]
        fn numbers_agree_with_serde(
            negative in any::<bool>(),
            digits in "[1-9][0-9]{0,40}",
            point in any::<prop::sample::Index>(),
            exponent in -360i32..330,
        ) {
            let point = point.index(digits.len());
            let (int, frac) = digits.split_at(point.max(1));
            let sign = if negative { "-" } else { "" };
            let frac = if frac.is_empty() { String::new() } else { format!(".{frac}") };
            let literal = format!("{sign}{int}{frac}e{exponent}");
            check(&with_attribute(&literal), true)?;
            let literal = format!("{sign}{int}{frac}");
            check(&with_attribute(&literal), true)?;
        }
    }

    /// The skim places only lines shaped like an observation, and reads their subject.
    #[test]
    fn the_skim_wants_an_observation_shape() {
        let ok = r#"{"at":"t","attributes":{"subject":"n","x":[1,{"a":"}"}]},"id":"o","kind":"k","subject":"y-1"}"#;
        assert_eq!(subject(ok.as_bytes()), Some("y-1"));
        assert_eq!(
            subject(br#" { "subject" : "y" , "id" : "o" , "at" : "t" , "kind" : "k" } "#),
            Some("y")
        );
        for line in [
            r#"{"subject":"y-1"}"#,
            r#"{"subject":"y-1","id":"o","at":"t"}"#,
            r#"{"subject":"y-1","id":"o","at":"t","kind":"k","extra":1}"#,
            r#"{"subject":"y-1","id":1,"at":"t","kind":"k"}"#,
            r#"{"subject":"y-1","id":"o","at":"t","kind":"k","id":"p"}"#,
            r#"{"subject":"y-1","id":"o","at":"t","kind":"k","subject":"y-2"}"#,
            r#"{"subj\u0065ct":"y-1","id":"o","at":"t","kind":"k"}"#,
            r#"{"subject":"y\u002d1","id":"o","at":"t","kind":"k"}"#,
            r#"{"subject":null,"id":"o","at":"t","kind":"k"}"#,
            r#"{"subject":"y-1","id":"o","at":"t","kind":"k"} x"#,
            r#"{"subject":"y-1","id":"o","at":"t","kind":"k""#,
            r#"["y-1","o","t","k"]"#,
        ] {
            assert_eq!(subject(line.as_bytes()), None, "{line}");
        }
    }

    /// Typical lines are taken, and every one of them equals serde's reading.
    #[test]
    fn typical_lines() {
        for line in [
            r#"{"at":"2026-01-01T00:01:00+01:00","attributes":{"age_gap_years":0.0,"relation":"peer"},"channel":"in_person","counterpart":"c-1149-3","id":"o-82","kind":"contact.new","source":"mentor","subject":"y-001149"}"#,
            r#"{"at":"2026-01-01T00:02:00+01:00","id":"o-68","kind":"safety.check","source":"youth_worker","subject":"y-006450"}"#,
            r#" { "subject" : "y" , "id" : "o" , "at" : "t" , "kind" : "k" , "channel" : null , "attributes" : { } } "#,
            r#"{"subject":"y","id":"o","at":"t","kind":"k","attributes":null,"source":null}"#,
            r#"{"subject":"","id":"","at":"","kind":"","attributes":{"a":1,"a":null,"b":-0,"c":true,"d":"é😀"}}"#,
        ] {
            assert!(observation(line).is_some(), "{line}");
            check(line, true).unwrap();
        }
        for line in [
            r#"{"subject":"y","id":"o","at":"t"}"#,
            r#"{"subject":"y","id":"o","at":"t","kind":"k","kind":"k"}"#,
            r#"{"subject":"y","id":"o","at":"t","kind":"k","other":1}"#,
            r#"{"subject":"y\n","id":"o","at":"t","kind":"k"}"#,
            r#"{"subject":"y","id":"o","at":"t","kind":"k","attributes":{"a":[1]}}"#,
            r#"{"subject":"y","id":"o","at":"t","kind":"k"} x"#,
            r#"{"subject":"y","id":"o","at":"t","kind":"k",}"#,
            r#"{"subject":"y","id":"o","at":"t","kind":null}"#,
            "{\"subject\":\"y\",\"id\":\"o\",\"at\":\"t\",\"kind\":\"k\u{1}\"}",
        ] {
            assert!(observation(line).is_none(), "{line}");
        }
    }

    /// Numbers: the variant serde_json gives (u64, i64 or f64) and the exact float.
    #[test]
    fn numbers_as_serde_makes_them() {
        for literal in [
            "0",
            "-0",
            "7",
            "-7",
            "0.5",
            "-0.0",
            "1e2",
            "1E-2",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "2.4703282292062328e-324",
            "1.7976931348623158e308",
        ] {
            let line = with_attribute(literal);
            assert!(observation(&line).is_some(), "{literal}");
            check(&line, true).unwrap();
        }
        for literal in [
            "1.0e400", "-1e309", "1e00001", "01", "1.", ".5", "+1", "NaN",
        ] {
            assert!(observation(&with_attribute(literal)).is_none(), "{literal}");
        }
    }

    /// Every line of a generated region is taken by the scanner, as serde reads it.
    #[test]
    fn generated_region_is_scanned() {
        let config = crate::generate::WorkloadConfig {
            subjects: 60,
            observations_per_subject: 40,
            recruitment_share: 0.3,
            ..Default::default()
        };
        let workload = crate::generate::generate(&config);
        let mut subjects = Vec::new();
        let mut observations = Vec::new();
        workload
            .write_jsonl(&mut subjects, &mut observations)
            .unwrap();
        let text = String::from_utf8(observations).unwrap();
        let mut lines = 0;
        for line in text.lines() {
            assert!(observation(line).is_some(), "not scanned: {line}");
            check(line, true).unwrap();
            lines += 1;
        }
        assert!(lines > 1000, "{lines} lines");
    }
}
