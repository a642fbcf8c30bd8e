//! `early-signal backtest`: replay a history and see what rules (and a change to them) flag.

use crate::{Unusable, finish, load_rules, read_timeline};
use clap::ValueEnum;
use early_signal::backtest::{Backtest, Comparison, Options, backtest, compare};
use early_signal::time::parse_timestamp;
use early_signal::{Engine, Timestamp};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output format of `backtest`.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// A readable table.
    Table,
    /// One JSON document.
    Json,
}

pub(crate) struct Args<'a> {
    pub inputs: &'a [PathBuf],
    pub rules: Option<&'a Path>,
    pub baseline: Option<&'a Path>,
    pub subjects: Option<&'a Path>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub format: Format,
}

fn time(flag: &str, t: Option<&str>) -> Result<Option<Timestamp>, Unusable> {
    t.map(|t| parse_timestamp(t).map_err(|e| Unusable(format!("{flag}: {e}"))))
        .transpose()
}

pub(crate) fn run(args: &Args<'_>) -> Result<ExitCode, Unusable> {
    let options = Options {
        from: time("--from", args.from)?,
        to: time("--to", args.to)?,
    };
    if let (Some(from), Some(to)) = (options.from, options.to)
        && from > to
    {
        return Err(Unusable(format!(
            "--from {} is after --to {}; give the period's start first",
            args.from.unwrap_or_default(),
            args.to.unwrap_or_default()
        )));
    }
    let rules = load_rules(args.rules)?;
    let timeline = read_timeline(&rules, args.inputs, args.subjects)?;
    let new_engine = Engine::new(rules);
    let baseline_engine = match args.baseline {
        Some(p) => Some(Engine::new(load_rules(Some(p))?)),
        None => None,
    };
    // Each rule set reads the input with its own vocabulary, as its own `eval` would: records
    // one of them refuses are not replayed through the other.
    let baseline_timeline = match &baseline_engine {
        Some(b) if b.rules().vocabulary() != new_engine.rules().vocabulary() => {
            Some(read_timeline(b.rules(), args.inputs, args.subjects)?)
        }
        _ => None,
    };
    let (new, old) = replay(
        &new_engine,
        baseline_engine.as_ref(),
        &timeline,
        baseline_timeline.as_ref().unwrap_or(&timeline),
        &options,
    );
    let comparison = old.as_ref().map(|old| compare(&new, old));
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "backtest": new.to_json(),
                "baseline": old.as_ref().map(Backtest::to_json),
                "changes": comparison.as_ref().map(Comparison::to_json),
            });
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
        Format::Table => table(&mut out, &new, old.as_ref(), comparison.as_ref()),
    };
    finish(ExitCode::SUCCESS, written.and_then(|()| out.flush()))?;
    drop(out);
    let mut err = io::stderr().lock();
    let noted = timeline
        .rejected()
        .iter()
        .try_for_each(|r| writeln!(err, "{r}"))
        .and_then(|()| {
            baseline_timeline.iter().try_for_each(|t| {
                t.rejected()
                    .iter()
                    .try_for_each(|r| writeln!(err, "baseline: {r}"))
            })
        })
        .and_then(|()| {
            new.refused
                .iter()
                .try_for_each(|r| writeln!(err, "refused in the replay: {r}"))
        });
    finish(ExitCode::SUCCESS, noted)
}

/// Both replays, side by side on two cores.
fn replay(
    new: &Engine,
    baseline: Option<&Engine>,
    timeline: &early_signal::Timeline,
    baseline_timeline: &early_signal::Timeline,
    options: &Options,
) -> (Backtest, Option<Backtest>) {
    rayon::join(
        || backtest(new, timeline, options),
        || baseline.map(|b| backtest(b, baseline_timeline, options)),
    )
}

fn hours(h: f64) -> String {
    if h < 48.0 {
        format!("{h:.0}h")
    } else {
        format!("{:.1}d", h / 24.0)
    }
}

fn table(
    out: &mut impl Write,
    new: &Backtest,
    old: Option<&Backtest>,
    changes: Option<&Comparison>,
) -> io::Result<()> {
    if new.records == 0 {
        return writeln!(out, "no records to replay in the period");
    }
    writeln!(
        out,
        "replayed {} records of {} subject(s) in the order they were recorded; flags known {} to {} ({:.1} subject-months)",
        new.records,
        new.subjects,
        early_signal::time::format_timestamp(&new.from),
        early_signal::time::format_timestamp(&new.to),
        new.subject_months
    )?;
    writeln!(
        out,
        "`standing`: flags raised in the period and not withdrawn by a later record; the rate, the times and the stages count these"
    )?;
    writeln!(
        out,
        "{:<34} {:>14} {:>9} {:>8}  {:>22}  {:>24}",
        "rule",
        "standing",
        "withdrawn",
        "/100 mo",
        "window open → known",
        "known while urg/open/closed"
    )?;
    writeln!(
        out,
        "{:<34} {:>14} {:>9} {:>8}  {:>22}  {:>24}",
        "", "", "", "", "median / p90 / max", ""
    )?;
    for r in &new.rules {
        let base = old.and_then(|o| o.rules.iter().find(|x| x.rule == r.rule));
        let flags = match base {
            Some(b) if b.standing != r.standing => format!("{} (was {})", r.standing, b.standing),
            _ => r.standing.to_string(),
        };
        let timing = r
            .hours_to_known
            .map(|(m, p, x)| format!("{} / {} / {}", hours(m), hours(p), hours(x)))
            .unwrap_or_else(|| "-".to_owned());
        let total = r.standing.max(1) as f64;
        let stages = if r.standing == 0 {
            "-".to_owned()
        } else {
            format!(
                "{:.0}% / {:.0}% / {:.0}%",
                100.0 * r.stages.0 as f64 / total,
                100.0 * r.stages.1 as f64 / total,
                100.0 * r.stages.2 as f64 / total
            )
        };
        writeln!(
            out,
            "{:<34} {:>14} {:>9} {:>8.2}  {:>22}  {:>24}",
            r.rule.as_str(),
            flags,
            r.withdrawn,
            r.per_100_subject_months,
            timing,
            stages
        )?;
    }
    if let Some(old) = old {
        for r in old
            .rules
            .iter()
            .filter(|r| !new.rules.iter().any(|n| n.rule == r.rule))
        {
            writeln!(
                out,
                "{:<34} {:>14} (only in the baseline)",
                r.rule.as_str(),
                format!("was {}", r.standing)
            )?;
        }
    }
    let Some(c) = changes else { return Ok(()) };
    writeln!(
        out,
        "\ncompared with the baseline: {} flag(s) appear, {} disappear, {} are known at another time, {} unchanged",
        c.appeared.len(),
        c.disappeared.len(),
        c.moved.len(),
        c.unchanged
    )?;
    if !c.per_rule().is_empty() {
        writeln!(out, "per rule (appear / disappear / move):")?;
        for (rule, (a, d, m)) in c.per_rule() {
            writeln!(out, "  {rule:<34} +{a} -{d} ~{m}")?;
        }
        // The subjects with the most changes first.
        let mut subjects: Vec<(&str, (usize, usize, usize))> =
            c.per_subject().into_iter().collect();
        subjects.sort_by(|x, y| {
            (y.1.0 + y.1.1 + y.1.2)
                .cmp(&(x.1.0 + x.1.1 + x.1.2))
                .then(x.0.cmp(y.0))
        });
        writeln!(
            out,
            "per subject (appear / disappear / move), {} subject(s){}:",
            subjects.len(),
            if subjects.len() > SHOWN {
                ", most changed first"
            } else {
                ""
            }
        )?;
        for (subject, (a, d, m)) in subjects.iter().take(SHOWN) {
            writeln!(out, "  {subject:<34} +{a} -{d} ~{m}")?;
        }
        more(out, subjects.len())?;
    }
    for f in c.appeared.iter().take(SHOWN) {
        writeln!(out, "  + {} known {}", described(f), f.known)?;
    }
    more(out, c.appeared.len())?;
    for f in c.disappeared.iter().take(SHOWN) {
        writeln!(out, "  - {} was known {}", described(f), f.known)?;
    }
    more(out, c.disappeared.len())?;
    for (f, was) in c.moved.iter().take(SHOWN) {
        writeln!(
            out,
            "  ~ {} {} (first evidence {}) known {} instead of {}",
            f.rule, f.subject, f.first, f.known, was
        )?;
    }
    more(out, c.moved.len())
}

/// "rule subject (first evidence o-1, key)".
fn described(f: &early_signal::backtest::FlagRef) -> String {
    let key = if f.key.is_empty() {
        String::new()
    } else {
        format!(", {}", f.key)
    };
    format!("{} {} (first evidence {}{key})", f.rule, f.subject, f.first)
}

/// Lines listed per part of the comparison; `--format json` has them all.
const SHOWN: usize = 20;

fn more(out: &mut impl Write, total: usize) -> io::Result<()> {
    if total > SHOWN {
        writeln!(
            out,
            "  … and {} more (`--format json` lists all)",
            total - SHOWN
        )?;
    }
    Ok(())
}
