//! The `early-signal` command-line tool: a thin shell over the library.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod schema;

use clap::{Parser, Subcommand, ValueEnum};
use early_signal::{
    Engine, Flag, Level, LoadError, Report, RuleSet, TestOutcome, Timestamp, time::format_timestamp,
};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod backtest;
mod explain;
mod report;

/// Evaluate risk-signal rules against youth-care observation timelines.
#[derive(Parser)]
#[command(name = "early-signal", version, about, long_about = None)]
struct Cli {
    /// Worker threads for `eval`, `report` and `backtest`, 1 to 1024 (default: one per core,
    /// or `RAYON_NUM_THREADS`; the output is the same for any number). Other commands use one.
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    #[command(subcommand)]
    command: Command,
}

/// What `eval`, `explain` and `report` read.
#[derive(clap::Args)]
struct Input {
    /// Timeline files: `.yaml`/`.yml` (one subject per document) or `.jsonl` (observations).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// A rule file or directory; the built-in default pack when absent.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// A JSON Lines file of subject records (`subject`, `born`, `facts`).
    #[arg(long)]
    subjects: Option<PathBuf>,
    /// Evaluation time, RFC 3339 with offset; default: now.
    #[arg(long)]
    as_of: Option<String>,
}

impl Input {
    /// The evaluation time, the rules and the timeline they read.
    fn read(&self) -> Result<(Timestamp, RuleSet, early_signal::Timeline), Unusable> {
        let as_of = parse_as_of(self.as_of.as_deref())?;
        let rules = load_rules(self.rules.as_deref())?;
        let timeline = read_timeline(&rules, &self.inputs, self.subjects.as_deref())?;
        Ok((as_of, rules, timeline))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate rules against timelines and print the flags.
    Eval {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
        format: EvalFormat,
    },
    /// Explain one rule for one subject: each firing with its evidence and window, and where the
    /// rule did not fire, the closest it came and what would have made it fire.
    Explain {
        /// The rule's id.
        #[arg(long)]
        rule: String,
        /// The subject's id.
        #[arg(long)]
        subject: String,
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = explain::Format::Text)]
        format: explain::Format,
    },
    /// Replay a history in the order it was recorded and report, per rule, what would have been
    /// flagged and when; with `--baseline`, which flags a changed rule set adds, removes or moves.
    Backtest {
        /// Timeline files: `.yaml`/`.yml` or `.jsonl`.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The rule file or directory to test; the built-in default pack when absent.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The rule file or directory to compare with (e.g. the rules in use today).
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// A JSON Lines file of subject records.
        #[arg(long)]
        subjects: Option<PathBuf>,
        /// Count flags first known from this time (RFC 3339); default: the first record (without
        /// records: `--to`, else the Unix epoch).
        #[arg(long)]
        from: Option<String>,
        /// Replay records written up to this time (RFC 3339); default: the last record (without
        /// records: the start of the period).
        #[arg(long)]
        to: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = backtest::Format::Table)]
        format: backtest::Format,
    },
    /// Write one subject's case as a self-contained HTML page: a timeline picture with the
    /// flags, their evidence and recruitment windows, and a card per flag.
    Report {
        #[command(flatten)]
        input: Input,
        /// The subject's (pseudonymous) id.
        #[arg(long)]
        subject: String,
        /// The HTML file to write (`-` for standard output).
        #[arg(long)]
        html: PathBuf,
        /// Add why this rule did or did not fire for the subject (as `explain` says it) below
        /// the flags; may be given several times.
        #[arg(long = "explain", value_name = "RULE")]
        explain: Vec<String>,
    },
    /// Load and validate rules; print every problem.
    Check {
        /// Rule files or directories; the built-in pack when none is given.
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Fail (exit 1) on warnings too, e.g. in CI.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Run the tests embedded in rules; exit 1 when any fails.
    Test {
        /// Rule files or directories; the built-in pack when none is given.
        paths: Vec<PathBuf>,
    },
    /// Write a deterministic synthetic workload: subjects, observations and scenarios as JSON Lines.
    ///
    /// Ordinary youths with a background mix of observations, and recruitment scenarios timed as
    /// the domain brief says (half under a week, three quarters under a month, 80% online, half
    /// coercion). The same options give the same files.
    Generate {
        /// Directory to write `subjects.jsonl`, `observations.jsonl` and `scenarios.jsonl` to.
        #[arg(long)]
        out: PathBuf,
        /// Number of youths.
        #[arg(long, default_value_t = 1000)]
        subjects: usize,
        /// Observations per youth.
        #[arg(long, default_value_t = 100)]
        per_subject: usize,
        /// Length of the period in days.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// Start of the period (RFC 3339).
        #[arg(long, default_value = "2026-01-01T00:00:00+01:00")]
        start: String,
        /// Share of youths with a recruitment scenario (0 to 1).
        #[arg(long, default_value_t = 0.02)]
        recruitment_share: f64,
        /// The seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Read observations as JSON Lines on stdin; write flag events as JSON Lines as they happen.
    ///
    /// Each stdin line is an observation (as in `eval`'s `.jsonl` input, with `subject`), a
    /// subject record (`subject` with `born`/`facts`, no `kind`), or `{"advance_to": "<time>"}`
    /// to move the clock without an observation. Each event is one line on stdout, flushed at
    /// once: `{"event":"raised","flag":{…}}` or `{"event":"withdrawn","id":…,"reason":…}`. A
    /// refused line is reported on stderr with its line number, and processing continues.
    Watch {
        /// A rule file or directory; the built-in default pack when absent.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Restore the monitor from this file at start (when it exists) and save it on exit: at
        /// the end of input and on SIGINT/SIGTERM.
        #[arg(long)]
        state: Option<PathBuf>,
        /// How late an observation may arrive, e.g. `30d` (default) or `72h`.
        #[arg(long)]
        max_lateness: Option<String>,
        /// A JSON Lines file of subject records to load first.
        #[arg(long)]
        subjects: Option<PathBuf>,
        /// At the end of input, advance the clock to this time (RFC 3339) before saving, so that
        /// absence deadlines up to it fire: the net flags are then those of `eval --as-of`.
        #[arg(long, conflicts_with = "realtime")]
        as_of: Option<String>,
        /// Let the clock follow the wall clock as well as the data: every `--tick` seconds, and
        /// at the end of input, absence deadlines that have passed fire even when no line comes.
        /// For live use; leave it off to replay history.
        #[arg(long)]
        realtime: bool,
        /// Seconds between wall-clock ticks with `--realtime`.
        #[arg(long, default_value_t = 60, requires = "realtime")]
        tick: u64,
        /// The most subjects tracked at once (default 1,000,000); also after a restore.
        #[arg(long)]
        max_subjects: Option<usize>,
        /// The most observations (and counterparts) kept per subject (default 10,000).
        #[arg(long)]
        max_observations_per_subject: Option<usize>,
    },
    /// Print the JSON Schema (draft 2020-12) of a file format, for editors.
    ///
    /// A YAML language server (e.g. VS Code's YAML extension) given the `rules` schema completes
    /// and checks rule files as they are typed; see "Editor support" in docs/writing-rules.md.
    /// The schema checks the shape of a file; `check` also checks its meaning.
    Schema {
        /// The format.
        #[arg(value_enum, default_value_t = schema::SchemaFormat::Rules)]
        format: schema::SchemaFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum EvalFormat {
    /// One flag a line, most urgent first.
    Table,
    /// One JSON document: as_of, ruleset, flags, pending, rejected, warnings, stats.
    Json,
    /// One flag per line as JSON.
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    /// Messages with the source line and a caret.
    Human,
    /// A JSON document with every diagnostic.
    Json,
}

/// Exit status 2: unusable input or arguments, or output that cannot be written.
struct Unusable(String);

/// The command's exit status once its output is written. A reader that stops early (`| head`)
/// closes the pipe: that is no error, and the status stays what the command found. Any other
/// write failure is.
fn finish(code: ExitCode, written: io::Result<()>) -> Result<ExitCode, Unusable> {
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Unusable(format!("cannot write output: {e}")))
        }
        _ => Ok(code),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if let Some(n) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
    {
        eprintln!("error: could not start {n} worker threads: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Eval { input, format } => eval(&input, format),
        Command::Report {
            input,
            subject,
            html,
            explain,
        } => report::report(&report::ReportArgs {
            input: &input,
            subject: &subject,
            html: &html,
            explain: &explain,
        }),
        Command::Check {
            paths,
            format,
            deny_warnings,
        } => check(&paths, format, deny_warnings),
        Command::Test { paths } => test(&paths),
        Command::Backtest {
            inputs,
            rules,
            baseline,
            subjects,
            from,
            to,
            format,
        } => backtest::run(&backtest::Args {
            inputs: &inputs,
            rules: rules.as_deref(),
            baseline: baseline.as_deref(),
            subjects: subjects.as_deref(),
            from: from.as_deref(),
            to: to.as_deref(),
            format,
        }),
        Command::Explain {
            rule,
            subject,
            input,
            format,
        } => explain::run(&explain::Args {
            rule: &rule,
            subject: &subject,
            input: &input,
            format,
        }),
        Command::Generate {
            out,
            subjects,
            per_subject,
            days,
            start,
            recruitment_share,
            seed,
        } => generate(
            &out,
            subjects,
            per_subject,
            days,
            &start,
            recruitment_share,
            seed,
        ),
        Command::Watch {
            rules,
            state,
            max_lateness,
            subjects,
            as_of,
            realtime,
            tick,
            max_subjects,
            max_observations_per_subject,
        } => watch(&WatchArgs {
            rules: rules.as_deref(),
            state: state.as_deref(),
            max_lateness: max_lateness.as_deref(),
            subjects: subjects.as_deref(),
            as_of: as_of.as_deref(),
            tick: realtime.then(|| std::time::Duration::from_secs(tick.max(1))),
            limits: (max_subjects, max_observations_per_subject),
        }),
        Command::Schema { format } => schema::schema(format),
    };
    match result {
        Ok(code) => code,
        Err(Unusable(msg)) => {
            // When stderr cannot be written either, the exit status is all that is left.
            let _ = writeln!(io::stderr().lock(), "error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn load_rules(path: Option<&Path>) -> Result<RuleSet, Unusable> {
    match path {
        None => Ok(RuleSet::builtin()),
        Some(p) => {
            if !p.exists() {
                return Err(Unusable(format!(
                    "rules path `{}` does not exist",
                    p.display()
                )));
            }
            RuleSet::load(p).map_err(|e| Unusable(render_load_error(&e)))
        }
    }
}

fn render_load_error(e: &LoadError) -> String {
    let n = e.errors().count();
    let mut out = format!("the rules cannot be used: {n} error(s)\n");
    for d in e.errors() {
        out.push_str(&d.render());
    }
    out.trim_end().to_owned()
}

fn read(path: &Path) -> Result<String, Unusable> {
    let bytes = std::fs::read(path)
        .map_err(|e| Unusable(format!("cannot read `{}`: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = e.as_bytes().get(..e.utf8_error().valid_up_to()).unwrap_or_default();
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(good.get(start..).unwrap_or_default()).chars().count() + 1;
        Unusable(format!(
            "{}:{line}:{column}: byte 0x{:02X} is not UTF-8 text, so the file is not read; save it as UTF-8 (JSON Lines input is read line by line instead, and a bad line is rejected alone)",
            path.display(),
            e.as_bytes().get(e.utf8_error().valid_up_to()).copied().unwrap_or(0)
        ))
    })
}

/// A file to read line by line (JSON Lines are never held whole; a line that is not UTF-8 is
/// rejected on its own).
fn open_buffered(path: &Path) -> Result<io::BufReader<std::fs::File>, Unusable> {
    std::fs::File::open(path)
        .map(|f| io::BufReader::with_capacity(1 << 16, f))
        .map_err(|e| Unusable(format!("cannot read `{}`: {e}", path.display())))
}

/// `--as-of`, or now.
fn parse_as_of(as_of: Option<&str>) -> Result<Timestamp, Unusable> {
    match as_of {
        Some(t) => {
            early_signal::time::parse_timestamp(t).map_err(|e| Unusable(format!("--as-of: {e}")))
        }
        // Whole seconds: times derived from it are written in flags and suggestions.
        None => {
            let now = chrono::Local::now().fixed_offset();
            Ok(now - chrono::TimeDelta::nanoseconds(i64::from(now.timestamp_subsec_nanos())))
        }
    }
}

/// Reads timeline files (`.yaml`/`.yml` or `.jsonl`) and an optional subjects file, checked
/// against the vocabulary of `rules`.
fn read_timeline(
    rules: &RuleSet,
    inputs: &[PathBuf],
    subjects: Option<&Path>,
) -> Result<early_signal::Timeline, Unusable> {
    let mut timeline = rules.new_timeline();
    if let Some(s) = subjects {
        timeline
            .read_subjects_jsonl_reader(&s.display().to_string(), open_buffered(s)?)
            .map_err(|e| Unusable(format!("cannot read `{}`: {e}", s.display())))?;
    }
    for input in inputs {
        let name = input.display().to_string();
        match input.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => timeline
                .read_yaml(&name, &read(input)?)
                .map_err(|e| Unusable(e.reason))?,
            Some("jsonl") => timeline
                .read_jsonl_reader(&name, open_buffered(input)?)
                .map_err(|e| Unusable(format!("cannot read `{name}`: {e}")))?,
            _ => {
                return Err(Unusable(format!(
                    "cannot tell the type of `{name}`: use `.yaml`/`.yml` for timeline documents or `.jsonl` for JSON Lines observations"
                )));
            }
        }
    }
    Ok(timeline)
}

/// Whether `path` names a JSON Lines file.
fn is_jsonl(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("jsonl")
}

fn eval(input: &Input, format: EvalFormat) -> Result<ExitCode, Unusable> {
    let report = if input.inputs.iter().all(|p| is_jsonl(p)) {
        // JSON Lines only: kept as text and evaluated one youth at a time (the same report as
        // reading them into a timeline first, in less time and memory).
        let as_of = parse_as_of(input.as_of.as_deref())?;
        let rules = load_rules(input.rules.as_deref())?;
        let timeline = read_timeline(&rules, &[], input.subjects.as_deref())?;
        let engine = Engine::new(rules);
        let mut batch = engine.jsonl_batch(timeline);
        for path in &input.inputs {
            let name = path.display().to_string();
            batch
                .read(&name, open_buffered(path)?)
                .map_err(|e| Unusable(format!("cannot read `{name}`: {e}")))?;
        }
        batch.evaluate(as_of)
    } else {
        let (as_of, rules, timeline) = input.read()?;
        let report = Engine::new(rules).evaluate(&timeline, as_of);
        // The process ends after the report is written: handing a million records back to the
        // allocator one by one would cost more than a tenth of the run, for nothing.
        std::mem::forget(timeline);
        report
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match format {
        EvalFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        EvalFormat::Jsonl => report.flags.iter().try_for_each(|f| {
            serde_json::to_writer(&mut out, f).map_err(io::Error::from)?;
            writeln!(out)
        }),
        EvalFormat::Table => write_table(&mut out, &report),
    };
    finish(ExitCode::SUCCESS, written.and_then(|()| out.flush()))?;
    drop(out);
    // The JSON document holds the rejections and warnings; the other formats leave stdout to
    // the flags and say them on stderr.
    if matches!(format, EvalFormat::Json) {
        return Ok(ExitCode::SUCCESS);
    }
    let mut err = io::stderr().lock();
    let noted = report
        .rejected
        .iter()
        .try_for_each(|r| writeln!(err, "{r}"))
        .and_then(|()| {
            report
                .warnings
                .iter()
                .try_for_each(|w| writeln!(err, "warning: {w}"))
        });
    finish(ExitCode::SUCCESS, noted)
}

fn write_table(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "as of {}  rules {}",
        format_timestamp(&report.as_of),
        report.ruleset
    )?;
    if report.flags.is_empty() {
        writeln!(out, "no flags")?;
    } else {
        writeln!(
            out,
            "{:<7} {:<8} {:<5} {:<12} {:<34} {:<25} {:<10} explanation",
            "stage", "severity", "class", "subject", "rule", "raised_at", "left"
        )?;
        for f in &report.flags {
            writeln!(
                out,
                "{:<7} {:<8} {:<5} {:<12} {:<34} {:<25} {:<10} {}",
                f.window.stage.to_string(),
                f.severity.to_string(),
                f.class.to_string(),
                f.subject,
                f.rule,
                format_timestamp(&f.raised_at),
                left(f, report.as_of),
                f.explanation
            )?;
        }
    }
    for p in &report.pending {
        writeln!(
            out,
            "pending {} {} after `{}`: deadline {}",
            p.subject,
            p.rule,
            p.after,
            format_timestamp(&p.deadline)
        )?;
    }
    writeln!(
        out,
        "{} flag(s), {} pending, {} rejected record(s), {} warning(s); {} subject(s), {} observation(s)",
        report.flags.len(),
        report.pending.len(),
        report.rejected.len(),
        report.warnings.len(),
        report.stats.subjects,
        report.stats.observations
    )
}

/// Time left in the urgent period or the window, in days.
fn left(f: &Flag, as_of: Timestamp) -> String {
    let until = match f.window.stage {
        early_signal::Stage::Urgent => f.window.urgent_until,
        early_signal::Stage::Open => f.window.closes_at,
        early_signal::Stage::Closed => return "-".into(),
    };
    let hours = (until - as_of).num_hours();
    if hours >= 48 {
        format!("{}d", hours / 24)
    } else {
        format!("{hours}h")
    }
}

fn check(
    paths: &[PathBuf],
    format: CheckFormat,
    deny_warnings: bool,
) -> Result<ExitCode, Unusable> {
    for p in paths {
        if !p.exists() {
            return Err(Unusable(format!("`{}` does not exist", p.display())));
        }
    }
    let (diagnostics, summary) = if paths.is_empty() {
        let set = RuleSet::builtin();
        let s = summary(&set, "built-in rule pack");
        (set.warnings().to_vec(), Some(s))
    } else {
        match RuleSet::load_paths(paths) {
            Ok(set) => {
                let s = summary(
                    &set,
                    &paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                (set.warnings().to_vec(), Some(s))
            }
            Err(e) => (e.diagnostics, None),
        }
    };
    let errors = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    let code = if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match format {
        CheckFormat::Json => {
            let doc = serde_json::json!({ "ok": !failed, "errors": errors, "warnings": warnings, "diagnostics": diagnostics });
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
        CheckFormat::Human => {
            let verdict = match summary {
                Some(s) if !failed => format!("{s}; {warnings} warning(s)"),
                _ if errors == 0 => format!("{warnings} warning(s), refused by --deny-warnings"),
                _ => format!("{errors} error(s), {warnings} warning(s)"),
            };
            diagnostics
                .iter()
                .try_for_each(|d| writeln!(out, "{}", d.render()))
                .and_then(|()| writeln!(out, "{verdict}"))
        }
    };
    finish(code, written.and_then(|()| out.flush()))
}

fn summary(set: &RuleSet, what: &str) -> String {
    let vocab = match set.vocabulary() {
        Some(v) => format!("a vocabulary of {} kinds", v.kinds().len()),
        None => "no vocabulary".into(),
    };
    format!(
        "ok: {what}: {} rule(s), {vocab}, {}",
        set.rules().len(),
        set.digest()
    )
}

fn test(paths: &[PathBuf]) -> Result<ExitCode, Unusable> {
    let set = if paths.is_empty() {
        RuleSet::builtin()
    } else {
        if let Some(p) = paths.iter().find(|p| !p.exists()) {
            return Err(Unusable(format!("`{}` does not exist", p.display())));
        }
        RuleSet::load_paths(paths).map_err(|e| Unusable(render_load_error(&e)))?
    };
    let outcomes = set.run_tests();
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    let untested = set.rules().iter().filter(|r| r.test_count() == 0).count();
    let code = if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = write_outcomes(&mut out, &outcomes, untested).and_then(|()| out.flush());
    finish(code, written)
}

/// One line a passed test; the differences and problems under a failed one; then the totals.
fn write_outcomes(
    out: &mut impl Write,
    outcomes: &[TestOutcome],
    untested: usize,
) -> io::Result<()> {
    let mut failed = 0;
    for o in outcomes {
        if o.passed {
            writeln!(out, "ok     {} :: {}", o.rule, o.name)?;
            continue;
        }
        failed += 1;
        writeln!(out, "FAILED {} :: {} ({})", o.rule, o.name, o.location)?;
        let show = |flags: &[Vec<String>]| match flags {
            [] => "no flag".to_owned(),
            _ => flags
                .iter()
                .map(|ids| evidence(ids))
                .collect::<Vec<_>>()
                .join(" "),
        };
        writeln!(out, "       expected: {}", show(&o.expected))?;
        writeln!(out, "       actual:   {}", show(&o.actual))?;
        for ids in o.expected.iter().filter(|e| !o.actual.contains(e)) {
            writeln!(out, "       - {}  expected, not raised", evidence(ids))?;
        }
        for ids in o.actual.iter().filter(|a| !o.expected.contains(a)) {
            writeln!(out, "       + {}  raised, not expected", evidence(ids))?;
        }
        for p in o
            .problems
            .iter()
            .filter(|p| !p.starts_with("the flags differ"))
        {
            writeln!(out, "       {p}")?;
        }
    }
    writeln!(out, "{} passed, {failed} failed", outcomes.len() - failed)?;
    if untested > 0 {
        writeln!(out, "note: {untested} rule(s) have no tests")?;
    }
    Ok(())
}

/// A flag's evidence ids: `[a, b]`.
fn evidence(ids: &[String]) -> String {
    format!("[{}]", ids.join(", "))
}

/// Reads the next line (without its newline) into `line`, keeping at most `max` bytes of it in
/// memory: `None` at the end of input, `Some(Some(bytes))` for a longer line (then skipped whole).
fn next_line(
    input: &mut impl io::BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<Option<usize>>> {
    use std::io::{BufRead, Read};
    line.clear();
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    if (&mut *input).take(cap).read_until(b'\n', line)? == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        return Ok(Some(None));
    }
    if line.len() <= max {
        return Ok(Some(None));
    }
    let mut bytes = line.len();
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                bytes += i;
                break;
            }
            None => {
                let len = buf.len();
                input.consume(len);
                bytes += len;
            }
        }
    }
    line.clear();
    Ok(Some(Some(bytes)))
}

/// What one stdin line of `watch` holds.
enum WatchLine {
    Observation(String, early_signal::Observation),
    Subject(early_signal::Subject),
    AdvanceTo(Timestamp),
}

/// Reads one `watch` input line (number `n`) with the ordinary JSON Lines readers (so it gets
/// exactly the checks `eval` applies). Warnings (a protected attribute removed) are returned
/// beside it. `reader` is an empty timeline with the rules' vocabulary.
fn watch_line(
    rules: &RuleSet,
    reader: &early_signal::Timeline,
    n: usize,
    line: &str,
) -> Result<(WatchLine, Vec<String>), String> {
    // The common line, an observation, is read without building a JSON tree first; anything
    // else (a subject record, `advance_to`, a refused line) is sorted out below. Lines without
    // a `kind` (subject records, `advance_to`) go there at once; both ways read alike.
    let number = u32::try_from(n).unwrap_or(u32::MAX);
    let as_observation = || {
        reader
            .read_observation_line("stdin", number, line)
            .map(|read| {
                let warnings = read.warnings.into_iter().map(|w| w.message).collect();
                (
                    WatchLine::Observation(read.subject, read.observation),
                    warnings,
                )
            })
            .map_err(|r| r.reason)
    };
    let first = line.contains("\"kind\"").then(as_observation);
    if let Some(Ok(read)) = first {
        return Ok(read);
    }
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Some(object) = value.as_object() else {
        return Err("a line must be a JSON object: an observation, a subject record or `{\"advance_to\": …}`".into());
    };
    if let Some(t) = object.get("advance_to") {
        if object.len() != 1 {
            return Err("`advance_to` must be the only field of its line".into());
        }
        let t = t
            .as_str()
            .ok_or("`advance_to` must be an RFC 3339 timestamp string")?;
        let t = early_signal::time::parse_timestamp(t).map_err(|e| format!("`advance_to`: {e}"))?;
        return Ok((WatchLine::AdvanceTo(t), Vec::new()));
    }
    // A subject record has only `subject`, `born` and `facts`; anything else is read as an
    // observation, so that a broken one gets the observation reader's message.
    let is_observation = object
        .keys()
        .any(|k| !matches!(k.as_str(), "subject" | "born" | "facts"));
    if is_observation {
        // Refused above already, or without a literal `kind` key (escaped, say): read it now.
        return first.unwrap_or_else(as_observation);
    }
    let mut tl = rules.new_timeline();
    tl.read_subjects_jsonl("stdin", line);
    if let Some(r) = tl.rejected().first() {
        return Err(r.reason.clone());
    }
    let warnings = tl.warnings().iter().map(|w| w.message.clone()).collect();
    match tl.subjects().next() {
        Some(st) => Ok((WatchLine::Subject(st.subject().clone()), warnings)),
        None => Err("the line holds no record".into()),
    }
}

/// Saves the monitor's state atomically: written and synced to `<path>.tmp-<pid>` beside it, then
/// renamed over `path`.
fn save_state(monitor: &early_signal::Monitor, path: &Path) -> Result<(), Unusable> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(monitor.snapshot().as_bytes())?;
        f.sync_all()
    });
    written
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Unusable(format!(
                "cannot save the monitor state to `{}`: {e}",
                path.display()
            ))
        })
}

/// Writes `events`, or, when that fails, ends the process at once with status 2 and without
/// saving the state — while the caller still holds the monitor, so that no signal handler can
/// save a state whose events were not delivered. Re-sending the last lines then produces them
/// again.
fn deliver(out: &mut impl Write, events: &[early_signal::Event]) {
    if let Err(e) = write_events(out, events) {
        let Unusable(msg) = lost_events(&e);
        let _ = writeln!(io::stderr().lock(), "error: {msg}");
        std::process::exit(2);
    }
}

/// The options of `watch`.
struct WatchArgs<'a> {
    rules: Option<&'a Path>,
    state: Option<&'a Path>,
    max_lateness: Option<&'a str>,
    subjects: Option<&'a Path>,
    as_of: Option<&'a str>,
    /// With `--realtime`: how often the clock follows the wall clock.
    tick: Option<std::time::Duration>,
    /// `--max-subjects`, `--max-observations-per-subject`.
    limits: (Option<usize>, Option<usize>),
}

/// Writes events as JSON Lines, flushing after each.
fn write_events(out: &mut impl Write, events: &[early_signal::Event]) -> io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut *out, e).map_err(io::Error::from)?;
        writeln!(out)?;
        out.flush()?;
    }
    Ok(())
}

/// The message when events cannot be written; the state is then not saved.
fn lost_events(e: &io::Error) -> Unusable {
    Unusable(format!(
        "cannot write events ({e}); the state is not saved, so that the events of the last lines come again when they are sent again"
    ))
}

fn watch(args: &WatchArgs<'_>) -> Result<ExitCode, Unusable> {
    use early_signal::{Monitor, MonitorConfig};
    use std::sync::{Arc, Mutex, PoisonError};
    let WatchArgs {
        rules,
        state,
        max_lateness,
        subjects,
        as_of,
        tick,
        limits,
    } = *args;
    let as_of = as_of
        .map(|t| {
            early_signal::time::parse_timestamp(t).map_err(|e| Unusable(format!("--as-of: {e}")))
        })
        .transpose()?;
    let rules = load_rules(rules)?;
    let lateness = max_lateness
        .map(|d| {
            early_signal::Duration::parse(d).map_err(|e| Unusable(format!("--max-lateness: {e}")))
        })
        .transpose()?;
    let engine = Engine::new(rules.clone());
    let monitor = match state.filter(|p| p.exists()) {
        Some(p) => {
            let m = Monitor::restore(engine, &read(p)?)
                .map_err(|e| Unusable(format!("`{}`: {e}", p.display())))?;
            if let Some(l) = lateness
                && l != m.config().max_lateness
            {
                return Err(Unusable(format!(
                    "--max-lateness {l} differs from the {} the state in `{}` was kept with; observations already pruned cannot come back, so start without the state file to change it",
                    m.config().max_lateness,
                    p.display()
                )));
            }
            m
        }
        None => Monitor::new(
            engine,
            MonitorConfig {
                max_lateness: lateness.unwrap_or(MonitorConfig::default().max_lateness),
                ..MonitorConfig::default()
            },
        ),
    };
    let mut monitor = monitor;
    if limits.0.is_some() || limits.1.is_some() {
        let c = monitor.config().clone();
        monitor.set_limits(
            limits.0.unwrap_or(c.max_subjects),
            limits.1.unwrap_or(c.max_observations_per_subject),
        );
    }
    // Shared with the signal handler, which saves the state between two lines.
    let monitor = Arc::new(Mutex::new(monitor));
    if let Some(path) = state {
        let m = Arc::clone(&monitor);
        let path = path.to_path_buf();
        ctrlc::set_handler(move || {
            // Waits for the line being processed, so that the saved state matches the events
            // written; a line blocked writing to a reader that does not read is not waited for
            // long: then the state is not saved, and the lines since the last save come again.
            let mut stderr = io::stderr().lock();
            for _ in 0..50 {
                if let Ok(guard) = m.try_lock() {
                    let code = match save_state(&guard, &path) {
                        Ok(()) => 0,
                        Err(Unusable(msg)) => {
                            let _ = writeln!(stderr, "error: {msg}");
                            2
                        }
                    };
                    std::process::exit(code);
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = writeln!(
                stderr,
                "error: stopped while writing events that nobody reads; the state is not saved"
            );
            std::process::exit(2);
        })
        .map_err(|e| Unusable(format!("cannot install the signal handler: {e}")))?;
    }
    let mut err = io::stderr();
    if let Some(s) = subjects {
        let mut tl = rules.new_timeline();
        tl.read_subjects_jsonl_reader(&s.display().to_string(), open_buffered(s)?)
            .map_err(|e| Unusable(format!("cannot read `{}`: {e}", s.display())))?;
        for r in tl.rejected() {
            let _ = writeln!(err, "{r}");
        }
        let mut guard = monitor.lock().unwrap_or_else(PoisonError::into_inner);
        for st in tl.subjects() {
            match guard.merge_subject(st.subject().clone()) {
                // A restored monitor evaluates again with the profile: its events count too.
                Ok(events) => deliver(&mut io::stdout(), &events),
                Err(e) => {
                    let _ = writeln!(err, "{}: {e}", s.display());
                }
            }
        }
    }
    if let Some(every) = tick {
        // The wall clock moves the monitor's clock too, so deadlines fire without new lines.
        let m = Arc::clone(&monitor);
        std::thread::spawn(move || {
            loop {
                // At once (deadlines that passed while it was stopped), then every tick.
                let mut guard = m.lock().unwrap_or_else(PoisonError::into_inner);
                let events = guard.advance_to(chrono::Local::now().fixed_offset());
                deliver(&mut io::stdout(), &events);
                drop(guard);
                std::thread::sleep(every);
            }
        });
    }
    let stdin = io::stdin();
    let mut out = io::stdout();
    let max = early_signal::Limits::default().max_line_bytes;
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let mut n = 0usize;
    let reader = monitor
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .engine()
        .rules()
        .new_timeline();
    while let Some(too_long) = next_line(&mut input, &mut line, max)
        .map_err(|e| Unusable(format!("cannot read stdin: {e}")))?
    {
        n += 1;
        if let Some(bytes) = too_long {
            let _ = writeln!(
                err,
                "stdin:{n}: line is {bytes} bytes, more than the {max} allowed; an observation takes a few hundred bytes: check that the input is JSON Lines with one record per line"
            );
            continue;
        }
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t.trim_start_matches('\u{feff}').trim(),
            Err(e) => {
                let _ = writeln!(
                    err,
                    "stdin:{n}: line is not valid UTF-8 (bad byte at column {}); input must be UTF-8 text",
                    e.valid_up_to() + 1
                );
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let mut guard = monitor.lock().unwrap_or_else(PoisonError::into_inner);
        let result =
            watch_line(guard.engine().rules(), &reader, n, text).and_then(|(record, warnings)| {
                for w in warnings {
                    let _ = writeln!(err, "stdin:{n}: warning: {w}");
                }
                match record {
                    WatchLine::Observation(subject, o) => {
                        guard.observe(&subject, o).map_err(|e| e.to_string())
                    }
                    WatchLine::Subject(s) => guard.merge_subject(s).map_err(|e| e.to_string()),
                    WatchLine::AdvanceTo(t) => Ok(guard.advance_to(t)),
                }
            });
        match result {
            Ok(events) => {
                // One line per event, flushed at once, while the monitor is held.
                deliver(&mut out, &events);
            }
            Err(msg) => {
                let _ = writeln!(err, "stdin:{n}: {msg}");
            }
        }
    }
    let mut guard = monitor.lock().unwrap_or_else(PoisonError::into_inner);
    let end = as_of.or_else(|| tick.map(|_| chrono::Local::now().fixed_offset()));
    if let Some(t) = end {
        if let (Some(clock), Some(a)) = (guard.clock(), as_of)
            && a < clock
        {
            let _ = writeln!(
                err,
                "warning: --as-of {} is before the monitor's clock {}: the clock does not go back, so the flags are those at {}",
                format_timestamp(&a),
                format_timestamp(&clock),
                format_timestamp(&clock)
            );
        }
        let events = guard.advance_to(t);
        deliver(&mut out, &events);
    }
    if let Some(path) = state {
        save_state(&guard, path)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn generate(
    out: &Path,
    subjects: usize,
    per_subject: usize,
    days: u32,
    start: &str,
    recruitment_share: f64,
    seed: u64,
) -> Result<ExitCode, Unusable> {
    use early_signal::generate::{WorkloadConfig, generate};
    if !(0.0..=1.0).contains(&recruitment_share) {
        return Err(Unusable(format!(
            "--recruitment-share {recruitment_share} is not a share; give a number from 0 to 1, e.g. 0.02"
        )));
    }
    let start = early_signal::time::parse_timestamp(start)
        .map_err(|e| Unusable(format!("--start: {e}")))?;
    let config = WorkloadConfig {
        seed,
        subjects,
        observations_per_subject: per_subject,
        start,
        days,
        recruitment_share,
    };
    let w = generate(&config);
    std::fs::create_dir_all(out)
        .map_err(|e| Unusable(format!("cannot create `{}`: {e}", out.display())))?;
    let create = |name: &str| {
        let path = out.join(name);
        std::fs::File::create(&path)
            .map_err(|e| Unusable(format!("cannot create `{}`: {e}", path.display())))
    };
    let written = w
        .write_jsonl(create("subjects.jsonl")?, create("observations.jsonl")?)
        .and_then(|()| {
            create("scenarios.jsonl")
                .map_err(|Unusable(m)| io::Error::other(m))
                .and_then(|f| w.write_scenarios(f))
        });
    written.map_err(|e| Unusable(format!("cannot write to `{}`: {e}", out.display())))?;
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "wrote {} subjects, {} observations and {} scenarios to {}",
        w.subjects.len(),
        w.observations.len(),
        w.scenarios.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
