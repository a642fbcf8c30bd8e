//! The picture's time axis: instants to x coordinates, and readable date ticks.

use crate::time::Timestamp;
use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike};

/// Maps the instants from `start` to `end` onto `x0..x1`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    start: i64,
    end: i64,
    pub(super) x0: f64,
    pub(super) x1: f64,
    /// Ticks are placed and labelled in this offset (the report's `as_of`).
    offset: FixedOffset,
}

/// One tick on the axis.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tick {
    pub(super) x: f64,
    pub(super) label: String,
}

/// How far apart ticks are.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Hours(u32),
    Days(u32),
    Weeks,
    Months(u32),
    Years(i32),
}

impl Step {
    /// Roughly how long a step is, in seconds, to choose one.
    fn seconds(self) -> i64 {
        match self {
            Step::Hours(n) => i64::from(n) * 3_600,
            Step::Days(n) => i64::from(n) * 86_400,
            Step::Weeks => 7 * 86_400,
            Step::Months(n) => i64::from(n) * 2_629_746,
            Step::Years(n) => i64::from(n) * 31_556_952,
        }
    }
}

const STEPS: [Step; 20] = [
    Step::Hours(1),
    Step::Hours(3),
    Step::Hours(6),
    Step::Hours(12),
    Step::Days(1),
    Step::Days(2),
    Step::Weeks,
    Step::Months(1),
    Step::Months(3),
    Step::Months(6),
    Step::Years(1),
    Step::Years(2),
    Step::Years(5),
    Step::Years(10),
    Step::Years(20),
    Step::Years(50),
    Step::Years(100),
    Step::Years(250),
    Step::Years(500),
    Step::Years(1000),
];

impl Scale {
    /// A scale over `start..end` (widened to at least an hour), ticks in `offset`.
    pub(super) fn new(
        start: Timestamp,
        end: Timestamp,
        x0: f64,
        x1: f64,
        offset: FixedOffset,
    ) -> Self {
        let start = start.timestamp();
        let end = end.timestamp().max(start.saturating_add(3_600));
        Scale {
            start,
            end,
            x0,
            x1,
            offset,
        }
    }

    /// The x of `t`, held inside the axis.
    pub(super) fn x(&self, t: &Timestamp) -> f64 {
        self.x_of(t.timestamp())
    }

    fn x_of(&self, seconds: i64) -> f64 {
        let span = (self.end - self.start) as f64;
        let f = ((seconds.clamp(self.start, self.end) - self.start) as f64 / span).clamp(0.0, 1.0);
        self.x0 + f * (self.x1 - self.x0)
    }

    /// Whether `t` is after the end of the axis.
    pub(super) fn beyond(&self, t: &Timestamp) -> bool {
        t.timestamp() > self.end
    }

    /// Ticks at round local times (hours, midnights, Mondays, first days of months or years),
    /// about eight across the axis, labelled for people.
    pub(super) fn ticks(&self) -> Vec<Tick> {
        self.ticks_of(self.step(9))
    }

    /// Finer unlabelled ticks for grid lines (at most about 40), none when they would be the
    /// labelled ones.
    pub(super) fn minor_ticks(&self) -> Vec<f64> {
        let (major, minor) = (self.step(9), self.step(40));
        if minor == major {
            return Vec::new();
        }
        self.ticks_of(minor).into_iter().map(|t| t.x).collect()
    }

    /// The smallest step that gives at most `n` ticks.
    fn step(&self, n: i64) -> Step {
        let span = self.end - self.start;
        STEPS
            .iter()
            .copied()
            .find(|s| span / s.seconds() <= n)
            .unwrap_or(Step::Years(2000))
    }

    fn ticks_of(&self, step: Step) -> Vec<Tick> {
        let Some(first) = chrono::DateTime::from_timestamp(self.start, 0) else {
            return Vec::new();
        };
        let local = first.with_timezone(&self.offset).naive_local();
        let mut at = match self.first_tick(step, local) {
            Some(t) => t,
            None => return Vec::new(),
        };
        let mut ticks = Vec::new();
        let mut last_year = None;
        // Bounded: a few more than the most ticks a step is chosen for.
        for _ in 0..64 {
            let Some(t) = self.offset.from_local_datetime(&at).single() else {
                break;
            };
            let seconds = t.timestamp();
            if seconds > self.end {
                break;
            }
            if seconds >= self.start {
                // The year is written on the first date label and where it changes.
                let dated = !matches!(step, Step::Hours(_)) || at.hour() == 0;
                let with_year = dated && last_year != Some(at.year());
                if dated {
                    last_year = Some(at.year());
                }
                ticks.push(Tick {
                    x: self.x_of(seconds),
                    label: label(step, at, with_year),
                });
            }
            match next(step, at) {
                Some(n) if n > at => at = n,
                _ => break,
            }
        }
        ticks
    }

    /// The last round local time of `step` at or before `local`; `ticks` skips it when it is
    /// before the axis.
    fn first_tick(&self, step: Step, local: NaiveDateTime) -> Option<NaiveDateTime> {
        let day = local.date();
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0);
        match step {
            Step::Hours(n) => {
                let h = local.hour() - local.hour() % n.max(1);
                day.and_hms_opt(h, 0, 0)
            }
            Step::Days(_) => midnight(day),
            Step::Weeks => {
                let back = i64::from(day.weekday().num_days_from_monday());
                midnight(day.checked_sub_days(chrono::Days::new(back.unsigned_abs()))?)
            }
            Step::Months(n) => {
                let m0 = day.month0() - day.month0() % n.max(1);
                midnight(NaiveDate::from_ymd_opt(day.year(), m0 + 1, 1)?)
            }
            Step::Years(n) => {
                let y = day.year() - day.year().rem_euclid(n.max(1));
                midnight(NaiveDate::from_ymd_opt(y, 1, 1)?)
            }
        }
    }
}

fn next(step: Step, at: NaiveDateTime) -> Option<NaiveDateTime> {
    match step {
        Step::Hours(n) => at.checked_add_signed(chrono::TimeDelta::hours(i64::from(n))),
        Step::Days(n) => at.checked_add_days(chrono::Days::new(u64::from(n))),
        Step::Weeks => at.checked_add_days(chrono::Days::new(7)),
        Step::Months(n) => at.checked_add_months(chrono::Months::new(n)),
        Step::Years(n) => {
            at.checked_add_months(chrono::Months::new(n.unsigned_abs().checked_mul(12)?))
        }
    }
}

fn label(step: Step, at: NaiveDateTime, with_year: bool) -> String {
    match step {
        Step::Hours(_) if at.hour() != 0 => at.format("%H:%M").to_string(),
        Step::Hours(_) | Step::Days(_) | Step::Weeks if with_year => {
            at.format("%a %-d %b %Y").to_string()
        }
        Step::Hours(_) | Step::Days(_) | Step::Weeks => at.format("%a %-d %b").to_string(),
        Step::Months(_) => at.format("%b %Y").to_string(),
        Step::Years(_) => at.format("%Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn scale(a: &str, b: &str) -> Scale {
        let a = ts(a);
        Scale::new(a, ts(b), 100.0, 1100.0, *a.offset())
    }

    #[test]
    fn two_weeks_get_day_ticks_at_local_midnight_with_the_year_once() {
        let s = scale("2026-11-02T20:40:00+01:00", "2026-11-20T00:00:00+01:00");
        let t = s.ticks();
        let labels: Vec<&str> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Wed 4 Nov 2026",
                "Fri 6 Nov",
                "Sun 8 Nov",
                "Tue 10 Nov",
                "Thu 12 Nov",
                "Sat 14 Nov",
                "Mon 16 Nov",
                "Wed 18 Nov",
                "Fri 20 Nov"
            ]
        );
        assert!(t.windows(2).all(|w| w[0].x < w[1].x));
        assert!(t.iter().all(|t| (100.0..=1100.0).contains(&t.x)));
        assert_eq!(s.minor_ticks().len(), 35, "a grid line every 12 hours");
    }

    #[test]
    fn short_and_long_spans_get_hours_months_and_years() {
        let hours = scale("2026-11-02T20:40:00+01:00", "2026-11-03T06:00:00+01:00").ticks();
        assert_eq!(hours.first().unwrap().label, "21:00");
        assert!(hours.iter().any(|t| t.label == "Tue 3 Nov 2026"));
        let months = scale("2026-01-15T00:00:00Z", "2026-12-01T00:00:00Z").ticks();
        assert!(months.iter().any(|t| t.label == "Apr 2026"), "{months:?}");
        let years = scale("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z").ticks();
        assert!(!years.is_empty() && years.len() <= 12, "{years:?}");
    }

    #[test]
    fn x_is_held_inside_the_axis_and_an_empty_span_is_widened() {
        let s = scale("2026-11-02T00:00:00Z", "2026-11-02T00:00:00Z");
        assert_eq!(s.x(&ts("2000-01-01T00:00:00Z")), 100.0);
        assert_eq!(s.x(&ts("2100-01-01T00:00:00Z")), 1100.0);
        assert!(s.beyond(&ts("2100-01-01T00:00:00Z")));
        assert!(!s.ticks().is_empty());
    }
}
