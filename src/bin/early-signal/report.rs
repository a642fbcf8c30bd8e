//! `early-signal report`: one subject's case as a self-contained HTML page.

use super::{Input, Unusable};
use early_signal::{Engine, ReportOptions, Timeline, case_report};
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

/// The options of `report`.
pub(crate) struct ReportArgs<'a> {
    pub(crate) input: &'a Input,
    pub(crate) subject: &'a str,
    /// The page's file; `-` is standard output.
    pub(crate) html: &'a Path,
    /// Rules whose explanation for the subject goes below the flags.
    pub(crate) explain: &'a [String],
}

/// How many subject ids an error about an unknown subject lists.
const LISTED: usize = 10;

pub(crate) fn report(args: &ReportArgs<'_>) -> Result<ExitCode, Unusable> {
    let (as_of, rules, timeline) = args.input.read()?;
    let Some(subject) = timeline.subject(args.subject) else {
        return Err(unknown_subject(args.subject, &timeline));
    };
    let engine = Engine::new(rules);
    let report = engine.evaluate(&timeline, as_of);
    let mut options = ReportOptions::default();
    for rule in args.explain {
        let why = engine
            .explain(&timeline, rule, args.subject, as_of)
            .map_err(|e| Unusable(format!("--explain: {e}")))?;
        let verdict = if why.flags.is_empty() {
            "did not fire"
        } else {
            "fired"
        };
        options = options.note(format!("Why rule {rule} {verdict}"), why.to_string());
    }
    let page = case_report(engine.rules(), subject, &report, &options);
    if args.html == Path::new("-") {
        let mut out = io::stdout().lock();
        super::finish(
            ExitCode::SUCCESS,
            out.write_all(page.as_bytes()).and_then(|()| out.flush()),
        )?;
    } else {
        std::fs::write(args.html, page.as_bytes())
            .map_err(|e| Unusable(format!("cannot write `{}`: {e}", args.html.display())))?;
    }
    // What was refused about this subject, or about no subject in particular, as `eval` says it.
    let mine = |s: Option<&str>| s.is_none_or(|s| s == args.subject);
    let mut err = io::stderr().lock();
    for r in report
        .rejected
        .iter()
        .filter(|r| mine(r.subject.as_deref()))
    {
        let _ = writeln!(err, "{r}");
    }
    for w in report
        .warnings
        .iter()
        .filter(|w| mine(w.subject.as_deref()))
    {
        let _ = writeln!(err, "warning: {w}");
    }
    let flags = report
        .flags
        .iter()
        .filter(|f| f.subject.as_str() == args.subject)
        .count();
    if args.html != Path::new("-") {
        let _ = writeln!(
            err,
            "wrote {}: subject `{}`, {flags} flag(s)",
            args.html.display(),
            args.subject
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The error for a subject id not in the input, listing the ids that are.
fn unknown_subject(subject: &str, timeline: &Timeline) -> Unusable {
    let ids: Vec<String> = timeline
        .subjects()
        .take(LISTED)
        .map(|s| format!("`{}`", s.subject().id))
        .collect();
    let total = timeline.subjects().count();
    let read = match total {
        0 => "no subjects were read".to_owned(),
        n if n > LISTED => format!(
            "{n} subjects were read: {}, and {} more",
            ids.join(", "),
            n - LISTED
        ),
        n => format!("{n} subject(s) were read: {}", ids.join(", ")),
    };
    Unusable(format!(
        "no subject `{subject}` in the input ({read})\nhelp: the id is the `subject` field of a timeline document or JSON Lines record; `early-signal eval INPUT... --format jsonl` lists the flagged subjects"
    ))
}
