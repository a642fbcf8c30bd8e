//! Timestamps, dates and the rule language's durations.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, TimeDelta, TimeZone};
use std::fmt;

/// An instant with the UTC offset it was written in.
///
/// Every timestamp in the rule language carries an offset: a local time without one is ambiguous
/// and is refused when read. Comparisons are by instant, so `12:00+01:00` equals `11:00Z`.
pub type Timestamp = DateTime<FixedOffset>;

/// Parses an RFC 3339 timestamp; the offset (`Z` or `+01:00`) is required.
///
/// # Errors
/// A message saying what is wrong and how to write it instead.
pub fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Some(t) = usual_timestamp(text.as_bytes()) {
        return Ok(t);
    }
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => Ok(t),
        Err(_) => {
            let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"));
            if naive.is_ok() {
                Err(format!(
                    "timestamp `{text}` has no UTC offset; add one, e.g. `{text}+01:00` or `{text}Z`"
                ))
            } else if NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() {
                Err(format!(
                    "`{text}` is a date, but a timestamp with time and offset is needed here, e.g. `{text}T00:00:00+01:00`"
                ))
            } else if let Some(why) = out_of_range(text) {
                Err(format!("`{text}`: {why}"))
            } else {
                Err(format!(
                    "`{text}` is not an RFC 3339 timestamp; write e.g. `2026-03-02T21:14:00+01:00`"
                ))
            }
        }
    }
}

/// The timestamp written in the usual form — `YYYY-MM-DDTHH:MM:SS`, a fraction of one to nine
/// digits or none, then `Z` or `±HH:MM` — read by position; `None` for anything else (a leap
/// second, a lower-case `t` or `z`, a space for the `T`, a longer fraction, a date that does
/// not exist, ...), which chrono's RFC 3339 parser then reads or refuses. A test checks that
/// whatever this reads, chrono reads the same. Most records' timestamps take this way, and it
/// costs about a quarter of chrono's general parser, which reads the text item by item.
fn usual_timestamp(b: &[u8]) -> Option<Timestamp> {
    use chrono::{NaiveDateTime, NaiveTime};
    /// The number written by the digits of `b[from..from + n]`.
    fn digits(b: &[u8], from: usize, n: usize) -> Option<u32> {
        b.get(from..from.checked_add(n)?)?
            .iter()
            .try_fold(0u32, |v, &c| {
                c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
            })
    }
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(b, 0, 4)?).ok()?,
        digits(b, 5, 2)?,
        digits(b, 8, 2)?,
    )?;
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if second > 59 {
        return None;
    }
    // The fraction, scaled to nanoseconds.
    let mut i = 19;
    let mut nanos = 0;
    if at(i, b'.') {
        let n = b
            .get(i + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&n) {
            return None;
        }
        nanos = digits(b, i + 1, n)? * 10u32.pow(9 - u32::try_from(n).ok()?);
        i += 1 + n;
    }
    let offset = match (b.get(i), b.len() - i) {
        (Some(b'Z'), 1) => 0,
        (Some(&sign @ (b'+' | b'-')), 6) if at(i + 3, b':') => {
            let (h, m) = (digits(b, i + 1, 2)?, digits(b, i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i32::try_from(h * 3600 + m * 60).ok()?;
            if sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let offset = FixedOffset::east_opt(offset)?;
    let utc = NaiveDateTime::new(date, time).checked_sub_offset(offset)?;
    Some(DateTime::from_naive_utc_and_offset(utc, offset))
}

/// Parses a calendar date `YYYY-MM-DD`.
///
/// # Errors
/// A message naming the value and the expected form.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        match out_of_range(text.trim()) {
            Some(why) => format!("`{text}`: {why}"),
            None => format!("`{text}` is not a valid date; write `YYYY-MM-DD`, e.g. `2011-04-01`"),
        }
    })
}

/// For text shaped like a date or timestamp whose numbers are out of range, what is wrong.
fn out_of_range(text: &str) -> Option<String> {
    let num = |s: Option<&str>| {
        s.filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?
            .parse::<u32>()
            .ok()
    };
    let (date, time) = match text.find(['T', 't', ' ']) {
        Some(i) => (text.get(..i)?, text.get(i + 1..)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year_text = parts.next()?;
    let (year, month, day) = (
        num(Some(year_text))?,
        num(parts.next())?,
        num(parts.next())?,
    );
    if year_text.len() < 4 {
        return None;
    }
    if year_text.len() > 4 {
        return Some(format!(
            "the year must have four digits (0000 to 9999), found `{year_text}`"
        ));
    }
    if !(1..=12).contains(&month) {
        return Some(format!("there is no month {month}"));
    }
    let year = i32::try_from(year).ok()?;
    if NaiveDate::from_ymd_opt(year, month, day).is_none() {
        let name = NaiveDate::from_ymd_opt(year, month, 1)?.format("%B");
        return Some(format!("there is no {day} {name} {year}"));
    }
    let mut hms = time?.get(..8)?.split(':');
    let (h, m, s) = (num(hms.next())?, num(hms.next())?, num(hms.next())?);
    if h > 23 {
        return Some(format!("hour {h} does not exist (00 to 23)"));
    }
    if m > 59 {
        return Some(format!("minute {m} does not exist (00 to 59)"));
    }
    if s > 60 {
        return Some(format!(
            "second {s} does not exist (00 to 59, or 60 for a leap second)"
        ));
    }
    None
}

/// `t` shifted by `minutes` as `t.checked_add_signed(TimeDelta::minutes(minutes))` shifts it,
/// worked out from the UTC time of day and a whole number of days, which costs about a third of
/// chrono's general arithmetic (the monitor shifts a few times per observation). `None` for a
/// leap second (chrono shifts those in its own way) and wherever the date leaves chrono's range:
/// callers then ask chrono. A property test holds the two to the same answers.
fn shifted(t: Timestamp, minutes: i64) -> Option<Timestamp> {
    use chrono::{Days, NaiveTime, Timelike};
    let utc = t.naive_utc();
    let time = utc.time();
    let nanos = time.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let secs = i64::from(time.num_seconds_from_midnight()).checked_add(minutes.checked_mul(60)?)?;
    let days = secs.div_euclid(86_400);
    let secs = u32::try_from(secs.rem_euclid(86_400)).ok()?;
    let date = if days >= 0 {
        utc.date().checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        utc.date().checked_sub_days(Days::new(days.unsigned_abs()))
    }?;
    let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)?;
    Some(DateTime::from_naive_utc_and_offset(
        date.and_time(time),
        *t.offset(),
    ))
}

/// `t + d`, held at the end of year 9999 (in `t`'s offset): RFC 3339 has four-digit years, and
/// every instant the crate writes must read back.
pub(crate) fn plus(t: Timestamp, d: Duration) -> Timestamp {
    use chrono::Datelike;
    // The year in UTC is read without offset arithmetic; before 9998 in UTC, the local year is
    // before 9999 in any offset (offsets are under a day).
    if let Some(r) = shifted(t, d.minutes)
        && r.naive_utc().year() < 9998
    {
        return r;
    }
    if let Some(r) = t.checked_add_signed(d.as_delta())
        && r.year() < 9999
    {
        return r;
    }
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .and_then(|n| t.offset().from_local_datetime(&n).single());
    match (t.checked_add_signed(d.as_delta()), last) {
        (Some(r), Some(last)) => r.min(last).max(t),
        (Some(r), None) => r,
        (None, Some(last)) => last.max(t),
        (None, None) => t,
    }
}

/// `t − d`, held at the start of year 0000 (in `t`'s offset), as [`plus`] is at 9999.
pub(crate) fn minus(t: Timestamp, d: Duration) -> Timestamp {
    use chrono::Datelike;
    // As in `plus`: after year 1 in UTC, the local year is after 0 in any offset.
    if let Some(r) = shifted(t, -d.minutes)
        && r.naive_utc().year() > 1
    {
        return r;
    }
    if let Some(r) = t.checked_sub_signed(d.as_delta())
        && r.year() > 0
    {
        return r;
    }
    let first = NaiveDate::from_ymd_opt(0, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|n| t.offset().from_local_datetime(&n).single());
    match (t.checked_sub_signed(d.as_delta()), first) {
        (Some(r), Some(first)) => r.max(first).min(t),
        (Some(r), None) => r,
        (None, Some(first)) => first.min(t),
        (None, None) => t,
    }
}

/// An instant as nanoseconds since 1970-01-01T00:00:00Z, compared and shifted with integer
/// operations instead of calendar arithmetic. Exact for every [`Timestamp`] but a leap second
/// (`:60`, which chrono orders before the next second and shifts in its own way): callers use
/// timestamps where [`is_leap`] holds.
pub(crate) type Instant = i128;

const NANOS: i128 = 1_000_000_000;
/// 0000-01-01T00:00:00 and 9999-12-31T23:59:59 read as UTC, in seconds since 1970.
const FIRST_SECS: i128 = -62_167_219_200;
const LAST_SECS: i128 = 253_402_300_799;

/// Whether `t` is a leap second (`…:59:60…`).
pub(crate) fn is_leap(t: &Timestamp) -> bool {
    t.timestamp_subsec_nanos() >= 1_000_000_000
}

/// `t` as an [`Instant`].
pub(crate) fn instant(t: &Timestamp) -> Instant {
    i128::from(t.timestamp()) * NANOS + i128::from(t.timestamp_subsec_nanos())
}

fn offset_nanos(t: &Timestamp) -> i128 {
    i128::from(t.offset().local_minus_utc()) * NANOS
}

fn duration_nanos(d: Duration) -> i128 {
    i128::from(d.minutes) * 60 * NANOS
}

/// `instant(&minus(*t, d))`, where `at == instant(t)`.
pub(crate) fn instant_minus(t: &Timestamp, at: Instant, d: Duration) -> Instant {
    let r = at - duration_nanos(d);
    let first = FIRST_SECS * NANOS - offset_nanos(t);
    if r >= first { r } else { first.min(at) }
}

/// `instant(&plus(*t, d))`, where `at == instant(t)`.
pub(crate) fn instant_plus(t: &Timestamp, at: Instant, d: Duration) -> Instant {
    let r = at + duration_nanos(d);
    let last = LAST_SECS * NANOS - offset_nanos(t);
    if r <= last { r } else { last.max(at) }
}

/// Formats a timestamp as RFC 3339 in its own offset, with as many fraction digits as it needs.
pub fn format_timestamp(t: &Timestamp) -> String {
    let mut out = String::with_capacity(35);
    write_timestamp(&mut out, t);
    out
}

/// Appends [`format_timestamp`]'s text to `out`, without a string of its own: reports and
/// explanations write a few timestamps for every flag.
pub(crate) fn write_timestamp(out: &mut String, t: &Timestamp) {
    use chrono::{Datelike, Timelike};
    let local = t.naive_local();
    let (year, nanos, offset) = (
        local.year(),
        local.nanosecond(),
        t.offset().local_minus_utc(),
    );
    // Leap seconds, years beyond four digits and offsets with seconds are chrono's to write.
    let plain = (0..=9999).contains(&year) && nanos < 1_000_000_000 && offset % 60 == 0;
    let (true, Ok(year)) = (plain, u32::try_from(year)) else {
        out.push_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, false));
        return;
    };
    digits(out, year, 4);
    out.push('-');
    digits(out, local.month(), 2);
    out.push('-');
    digits(out, local.day(), 2);
    out.push('T');
    digits(out, local.hour(), 2);
    out.push(':');
    digits(out, local.minute(), 2);
    out.push(':');
    digits(out, local.second(), 2);
    // `AutoSi`: none, or milli-, micro- or nanoseconds, as few as show the fraction exactly.
    if nanos != 0 {
        out.push('.');
        if nanos % 1_000_000 == 0 {
            digits(out, nanos / 1_000_000, 3);
        } else if nanos % 1_000 == 0 {
            digits(out, nanos / 1_000, 6);
        } else {
            digits(out, nanos, 9);
        }
    }
    out.push(if offset < 0 { '-' } else { '+' });
    let minutes = offset.unsigned_abs() / 60;
    digits(out, minutes / 60, 2);
    out.push(':');
    digits(out, minutes % 60, 2);
}

/// Appends the last `width` decimal digits of `n`, with leading zeros.
fn digits(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        out.push(char::from_digit(n / 10u32.pow(place) % 10, 10).unwrap_or('0'));
    }
}

/// A positive duration of the rule language: `<n><unit>` with unit `m`, `h`, `d` or `w`.
///
/// Durations are exact: `7d` is always 168 hours, also across a daylight-saving change.
///
/// Two durations are equal when they are equally long (`7d` equals `1w`); the unit written is kept
/// only for display.
#[derive(Debug, Clone, Copy)]
pub struct Duration {
    minutes: i64,
    unit: char,
}

impl PartialEq for Duration {
    fn eq(&self, other: &Self) -> bool {
        self.minutes == other.minutes
    }
}
impl Eq for Duration {}
impl PartialOrd for Duration {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Duration {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.minutes.cmp(&other.minutes)
    }
}
impl std::hash::Hash for Duration {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.minutes.hash(state);
    }
}

/// The longest duration accepted: 100 years. Longer windows are certainly mistakes, and the bound
/// keeps every timestamp computation far from overflow.
const MAX_MINUTES: i64 = 100 * 366 * 24 * 60;

impl Duration {
    /// A duration of whole days (at least 1, at most 100 years), written `<n>d`.
    pub fn days(days: u16) -> Self {
        let minutes = (i64::from(days) * 24 * 60).clamp(24 * 60, MAX_MINUTES);
        Duration { minutes, unit: 'd' }
    }

    /// A duration of whole minutes, or `None` unless `1 ≤ minutes ≤` 100 years.
    pub fn from_minutes(minutes: i64) -> Option<Self> {
        let unit = [(24 * 60, 'd'), (60, 'h')]
            .into_iter()
            .find(|(per, _)| minutes % per == 0)
            .map_or('m', |(_, u)| u);
        (1..=MAX_MINUTES)
            .contains(&minutes)
            .then_some(Duration { minutes, unit })
    }

    /// Parses `<n><unit>`: e.g. `90m`, `72h`, `7d`, `2w`.
    ///
    /// # Errors
    /// A message that says what is wrong and how to write the duration instead.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let help = "write a positive whole number and a unit: `m` minutes, `h` hours, `d` days or `w` weeks, e.g. `7d` or `72h`";
        let Some(unit) = t.chars().last() else {
            return Err(format!("empty duration; {help}"));
        };
        let digits = &t[..t.len() - unit.len_utf8()];
        let per = match unit {
            'm' => 1,
            'h' => 60,
            'd' => 24 * 60,
            'w' => 7 * 24 * 60,
            _ => return Err(format!("`{t}` is not a duration; {help}")),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            if digits.starts_with('-') {
                return Err(format!(
                    "duration `{t}` is negative; windows must be positive"
                ));
            }
            return Err(format!("`{t}` is not a duration; {help}"));
        }
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("duration `{t}` is too long; the longest allowed is 100 years"))?;
        if n == 0 {
            return Err(format!("duration `{t}` is zero; windows must be positive"));
        }
        n.checked_mul(per)
            .and_then(Duration::from_minutes)
            .map(|d| Duration { unit, ..d })
            .ok_or_else(|| format!("duration `{t}` is too long; the longest allowed is 100 years"))
    }

    /// The duration as a [`TimeDelta`].
    pub fn as_delta(self) -> TimeDelta {
        TimeDelta::minutes(self.minutes)
    }

    /// Whole minutes.
    pub fn minutes(self) -> i64 {
        self.minutes
    }
}

impl fmt::Display for Duration {
    /// The rule-language form, in the unit it was written with (`72h` stays `72h`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.minutes / unit_minutes(self.unit), self.unit)
    }
}

fn unit_minutes(unit: char) -> i64 {
    match unit {
        'w' => 7 * 24 * 60,
        'd' => 24 * 60,
        'h' => 60,
        _ => 1,
    }
}

impl Duration {
    /// The duration in words, in the unit it was written with: "72 hours", "7 days", "2 weeks".
    pub fn words(&self) -> String {
        let mut out = String::new();
        self.write_words(&mut out);
        out
    }

    /// Appends [`words`](Self::words) to `out`.
    pub(crate) fn write_words(&self, out: &mut String) {
        let unit = match self.unit {
            'w' => "week",
            'd' => "day",
            'h' => "hour",
            _ => "minute",
        };
        amount(out, self.minutes / unit_minutes(self.unit), unit);
    }
}

/// Writes a length of time in words for explanations: "2 days 3 hours", "45 minutes".
/// Uses at most two units and truncates the rest (it is for people, not for arithmetic).
pub fn words(delta: TimeDelta) -> String {
    let mut out = String::new();
    write_words(&mut out, delta);
    out
}

/// Appends [`words`] to `out`.
pub(crate) fn write_words(out: &mut String, delta: TimeDelta) {
    let total = delta.num_minutes().max(0);
    let (d, h, m) = (total / 1440, (total % 1440) / 60, total % 60);
    let (big, small) = match (d, h, m) {
        (0, 0, m) => ((m, "minute"), None),
        (0, h, 0) => ((h, "hour"), None),
        (0, h, m) => ((h, "hour"), Some((m, "minute"))),
        (d, 0, _) => ((d, "day"), None),
        (d, h, _) => ((d, "day"), Some((h, "hour"))),
    };
    amount(out, big.0, big.1);
    if let Some((n, unit)) = small {
        out.push(' ');
        amount(out, n, unit);
    }
}

/// Appends "1 `unit`" or "`n` `unit`s".
fn amount(out: &mut String, n: i64, unit: &str) {
    use std::fmt::Write;
    // Writing to a `String` cannot fail.
    let _ = write!(out, "{n} {unit}");
    if n != 1 {
        out.push('s');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_exactly() {
        assert_eq!(Duration::parse("7d").unwrap().minutes(), 7 * 1440);
        assert_eq!(Duration::parse("72h").unwrap().minutes(), 72 * 60);
        assert_eq!(Duration::parse("2w").unwrap().minutes(), 14 * 1440);
        assert_eq!(Duration::parse("90m").unwrap().minutes(), 90);
        assert_eq!(Duration::parse("7d").unwrap().to_string(), "7d");
        assert_eq!(Duration::parse("2w").unwrap().to_string(), "2w");
        assert_eq!(Duration::parse("72h").unwrap().to_string(), "72h");
        assert_eq!(
            Duration::parse("72h").unwrap(),
            Duration::parse("3d").unwrap()
        );
        assert_eq!(Duration::parse("72h").unwrap().words(), "72 hours");
        assert_eq!(Duration::parse("1w").unwrap().words(), "1 week");
        assert_eq!(Duration::from_minutes(90).unwrap().to_string(), "90m");
    }

    #[test]
    fn bad_durations_say_why() {
        for (text, needle) in [
            ("0d", "zero"),
            ("-3d", "negative"),
            ("7 days", "not a duration"),
            ("7", "not a duration"),
            ("d", "not a duration"),
            ("", "empty"),
            ("99999999999999999999d", "too long"),
            ("1.5d", "not a duration"),
            ("7D", "not a duration"),
            ("٣d", "not a duration"),
        ] {
            let err = Duration::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn timestamps_need_an_offset() {
        assert!(parse_timestamp("2026-03-02T21:14:00+01:00").is_ok());
        assert!(parse_timestamp("2026-03-02T21:14:00Z").is_ok());
        let err = parse_timestamp("2026-03-02T21:14:00").unwrap_err();
        assert!(err.contains("no UTC offset"), "{err}");
        let err = parse_timestamp("2026-03-02").unwrap_err();
        assert!(err.contains("is a date"), "{err}");
        assert!(parse_timestamp("2026-02-30T10:00:00Z").is_err());
    }

    #[test]
    fn words_for_people() {
        assert_eq!(words(TimeDelta::minutes(0)), "0 minutes");
        assert_eq!(words(TimeDelta::minutes(61)), "1 hour 1 minute");
        assert_eq!(words(TimeDelta::minutes(3 * 1440 + 120)), "3 days 2 hours");
        assert_eq!(words(TimeDelta::minutes(2 * 1440)), "2 days");
    }

    mod instants {
        use super::*;
        use chrono::{FixedOffset, TimeZone};
        use proptest::prelude::*;

        /// Seconds since 1970 in years 0000–9999, often near either end, and up to `outside`
        /// seconds beyond them.
        fn seconds(outside: i64) -> impl Strategy<Value = i64> {
            prop_oneof![
                (FIRST_SECS as i64 - outside)..(FIRST_SECS as i64 + 200_000),
                (LAST_SECS as i64 - 200_000)..(LAST_SECS as i64 + outside),
                (FIRST_SECS as i64)..(LAST_SECS as i64),
            ]
        }

        /// Instants across the whole range, the edges of years 0000 and 9999 included.
        fn timestamp() -> impl Strategy<Value = Timestamp> {
            (seconds(200_000), 0u32..1_000_000_000, -86_399i32..86_400).prop_filter_map(
                "representable",
                |(s, n, off)| {
                    let o = FixedOffset::east_opt(off)?;
                    o.timestamp_opt(s, n).single()
                },
            )
        }

        fn duration() -> impl Strategy<Value = Duration> {
            prop_oneof![1i64..3000, 1i64..=MAX_MINUTES]
                .prop_filter_map("positive", Duration::from_minutes)
        }

        /// Timestamp text near the usual form: valid and invalid numbers in every field, the
        /// separators chrono also takes, fractions of any length, leap seconds, odd offsets.
        fn near_usual() -> impl Strategy<Value = String> {
            let two = prop_oneof![3 => 0u32..60, 1 => 0u32..100];
            (
                prop_oneof![3 => 1900u32..2100, 1 => 0u32..10_000],
                prop_oneof![4 => 1u32..13, 1 => 0u32..100],
                prop_oneof![4 => 1u32..29, 1 => 0u32..100],
                prop::sample::select(vec!["T", "t", " ", "x"]),
                (
                    0u32..30,
                    two.clone(),
                    prop_oneof![4 => 0u32..60, 1 => 58u32..62],
                ),
                prop_oneof![3 => Just(String::new()), 2 => "\\.[0-9]{0,11}"],
                prop_oneof![
                    Just("Z".to_owned()),
                    Just("z".to_owned()),
                    Just("-00:00".to_owned()),
                    (prop::sample::select(vec!['+', '-']), 0u32..30, two)
                        .prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
                    "[+-][0-9]{1,4}",
                ],
            )
                .prop_map(|(y, mo, d, t, (h, mi, s), frac, off)| {
                    format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{frac}{off}")
                })
        }

        /// [`near_usual`] text, often with one character replaced, taken out or put in at any
        /// place (a digit, a separator, a sign, a letter, a space, a non-ASCII letter), so that
        /// every check of the quick reader meets text that should fail it.
        fn damaged() -> impl Strategy<Value = String> {
            let ch = prop_oneof![
                prop::sample::select(vec![
                    '0', '5', '9', '-', ':', '.', '+', 'T', 'Z', ' ', 'a', '/'
                ]),
                Just('é'),
                any::<char>(),
            ];
            (near_usual(), 0usize..40, 0u8..4, ch).prop_map(|(text, at, how, c)| {
                let mut chars: Vec<char> = text.chars().collect();
                let at = at.min(chars.len());
                match how {
                    0 => {}
                    1 if at < chars.len() => chars[at] = c,
                    2 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => chars.insert(at, c),
                }
                chars.into_iter().collect()
            })
        }

        /// Whether `text` is in the form the quick reader takes, told apart by pattern (the
        /// date and time may still not exist).
        fn is_usual(text: &str) -> bool {
            let b = text.as_bytes();
            let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
            let all = |r: std::ops::Range<usize>| r.into_iter().all(digit);
            let base = all(0..4)
                && b.get(4) == Some(&b'-')
                && all(5..7)
                && b.get(7) == Some(&b'-')
                && all(8..10)
                && b.get(10) == Some(&b'T')
                && all(11..13)
                && b.get(13) == Some(&b':')
                && all(14..16)
                && b.get(16) == Some(&b':')
                && all(17..19)
                && b.get(17).is_some_and(|c| *c <= b'5');
            let mut i = 19;
            if b.get(i) == Some(&b'.') {
                let n = b
                    .iter()
                    .skip(i + 1)
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if !(1..=9).contains(&n) {
                    return false;
                }
                i += 1 + n;
            }
            let rest = text.get(i..).unwrap_or("");
            let offset = rest == "Z"
                || (rest.len() == 6
                    && matches!(rest.get(..1), Some("+" | "-"))
                    && rest.get(3..4) == Some(":")
                    && rest
                        .get(1..3)
                        .and_then(|h| h.parse::<u32>().ok())
                        .is_some_and(|h| h <= 23)
                    && rest
                        .get(4..6)
                        .and_then(|m| m.parse::<u32>().ok())
                        .is_some_and(|m| m <= 59)
                    && rest
                        .get(1..3)
                        .is_some_and(|h| h.bytes().all(|c| c.is_ascii_digit()))
                    && rest
                        .get(4..6)
                        .is_some_and(|m| m.bytes().all(|c| c.is_ascii_digit())));
            base && offset
        }

        /// Texts a review found that a too-lenient quick reader would take, and every offset
        /// from `±00:00` to `±99:99` at both ends of the years: the quick reader gives chrono's
        /// answer (or leaves it to chrono) for each.
        #[test]
        fn the_quick_reader_agrees_with_chrono_on_near_misses() {
            let agree = |text: &str| {
                if let Some(quick) = usual_timestamp(text.as_bytes()) {
                    let chrono = DateTime::parse_from_rfc3339(text);
                    assert_eq!(Some(quick), chrono.ok(), "{text}");
                    assert_eq!(
                        chrono.map(|c| c.offset().local_minus_utc()).ok(),
                        Some(quick.offset().local_minus_utc()),
                        "{text}"
                    );
                }
            };
            for text in [
                "2024-02-29T23:59:59.123456789+05030",
                "2024-02-29T23:59:59ZZ",
                "2024-02-29T23:59:59+05:030",
                "2024002-29T23:59:59Z",
                "2024-02-29T23059:59Z",
                "-024-02-29T23:59:59Z",
                "2024-02-29T23:59:59+05:60",
                "2024-02-29T23:59:59Zx",
                "2024-02-29T23:59:59+05:30é",
                "2024-02-29T23:59:59.Z",
                "2024-02-29T23:59:59.1234567890Z",
            ] {
                agree(text);
                assert_eq!(usual_timestamp(text.as_bytes()), None, "{text}");
            }
            for base in ["0000-01-01T00:00:00", "9999-12-31T23:59:59"] {
                for sign in ['+', '-'] {
                    for h in 0..100 {
                        for m in 0..100 {
                            agree(&format!("{base}{sign}{h:02}:{m:02}"));
                        }
                    }
                }
            }
        }

        proptest! {
            // Cheap cases (a few microseconds each), and a damaged separator is one of many
            // places: enough of them that every check of the quick reader is met every run.
            #![proptest_config(ProptestConfig::with_cases(20_000))]

            /// Whatever the quick reader reads, chrono reads the same: the instant and the
            /// offset. And it reads the usual form.
            #[test]
            fn the_usual_form_is_read_as_chrono_reads_it(text in damaged()) {
                let chrono = DateTime::parse_from_rfc3339(&text);
                match usual_timestamp(text.as_bytes()) {
                    Some(quick) => {
                        let chrono = chrono.map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
                        prop_assert_eq!(quick, chrono);
                        prop_assert_eq!(quick.offset(), chrono.offset());
                        prop_assert_eq!(quick.to_rfc3339(), chrono.to_rfc3339());
                    }
                    // Chrono may read it; then it is not in the usual form.
                    None => prop_assert!(
                        !(chrono.is_ok() && is_usual(&text)),
                        "{}: chrono reads it, the quick reader does not", text
                    ),
                }
            }
        }

        proptest! {
            #[test]
            fn shifts_agree_with_the_calendar(t in timestamp(), d in duration()) {
                let at = instant(&t);
                prop_assert_eq!(instant_minus(&t, at, d), instant(&minus(t, d)));
                prop_assert_eq!(instant_plus(&t, at, d), instant(&plus(t, d)));
            }

            /// The quick shift gives chrono's answer, offset included, or leaves it to chrono:
            /// leap seconds, any offset, the edges of chrono's range, shifts both ways.
            #[test]
            fn the_quick_shift_is_chronos_shift(
                secs in prop_oneof![
                    seconds(200_000),
                    // Near the ends of chrono's own range (about ±262,000 years).
                    (-8_334_632_851_200i64 - 200_000)..(-8_334_632_851_200i64 + 200_000),
                    (8_210_298_412_799i64 - 200_000)..(8_210_298_412_799i64 + 200_000),
                ],
                nanos in prop_oneof![0u32..1_000_000_000, 1_000_000_000u32..2_000_000_000],
                offset in -86_399i32..86_400,
                minutes in prop_oneof![
                    -3000i64..3000,
                    -MAX_MINUTES..=MAX_MINUTES,
                    Just(i64::MAX / 60 + 1),
                    Just(i64::MIN / 60 - 1),
                ],
            ) {
                let Some(o) = FixedOffset::east_opt(offset) else { return Ok(()) };
                // Leap seconds only where chrono takes them (at :59 of a minute).
                let Some(t) = o.timestamp_opt(secs, nanos).single() else { return Ok(()) };
                let chrono = TimeDelta::try_minutes(minutes).and_then(|d| t.checked_add_signed(d));
                if let Some(quick) = shifted(t, minutes) {
                    prop_assert_eq!(Some(quick), chrono);
                    prop_assert_eq!(Some(quick.offset()), chrono.as_ref().map(|c| c.offset()));
                    prop_assert_eq!(quick.naive_local(), chrono.map(|c| c.naive_local()).unwrap_or_default());
                } else {
                    prop_assert!(
                        nanos >= 1_000_000_000 || chrono.is_none(),
                        "{} {}: {:?}", t, minutes, chrono
                    );
                }
            }

            #[test]
            fn instants_order_as_timestamps(a in timestamp(), b in timestamp()) {
                prop_assert_eq!(instant(&a).cmp(&instant(&b)), a.cmp(&b));
            }

            /// The timestamp writer writes what chrono's RFC 3339 writer writes: fractions of
            /// every length, leap seconds, offsets with seconds, and years outside 0000–9999.
            #[test]
            fn timestamps_are_written_as_chrono_writes_them(
                secs in seconds(2_000_000_000),
                minute_end in any::<bool>(),
                nanos in prop_oneof![
                    Just(0u32),
                    (1u32..1_000).prop_map(|n| n * 1_000_000),
                    (1u32..1_000_000).prop_map(|n| n * 1_000),
                    0u32..1_000_000_000,
                    1_000_000_000u32..2_000_000_000,
                ],
                offset in prop_oneof![
                    (-15i32..=15).prop_map(|h| h * 3600),
                    (-1439i32..1440).prop_map(|m| m * 60),
                    -86_399i32..86_400,
                ],
            ) {
                // Leap seconds can only be the last second of a minute.
                let secs = if minute_end { secs - secs.rem_euclid(60) + 59 } else { secs };
                let t = FixedOffset::east_opt(offset).and_then(|o| o.timestamp_opt(secs, nanos).single());
                prop_assume!(t.is_some());
                let t = t.expect("assumed");
                let mut written = String::from("before ");
                write_timestamp(&mut written, &t);
                prop_assert_eq!(
                    written,
                    format!("before {}", t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
                );
                prop_assert_eq!(format_timestamp(&t), t.to_rfc3339_opts(SecondsFormat::AutoSi, false));
            }
        }
    }

    #[test]
    fn durations_in_words_are_appended() {
        let mut out = String::from("within ");
        Duration::parse("1d").unwrap().write_words(&mut out);
        out.push_str(", gap ");
        write_words(&mut out, TimeDelta::minutes(1441));
        assert_eq!(out, "within 1 day, gap 1 day");
        assert_eq!(words(TimeDelta::minutes(121)), "2 hours 1 minute");
        assert_eq!(words(TimeDelta::minutes(-5)), "0 minutes");
        assert_eq!(Duration::parse("90m").unwrap().words(), "90 minutes");
    }
}
