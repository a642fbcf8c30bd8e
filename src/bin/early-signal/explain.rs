//! `early-signal explain`: why a rule did or did not fire for one subject.

use crate::{Input, Unusable, finish};
use clap::ValueEnum;
use early_signal::Engine;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

/// Output format of `explain`.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// Plain language.
    Text,
    /// One JSON document.
    Json,
}

pub(crate) struct Args<'a> {
    pub rule: &'a str,
    pub subject: &'a str,
    pub input: &'a Input,
    pub format: Format,
}

pub(crate) fn run(args: &Args<'_>) -> Result<ExitCode, Unusable> {
    let (as_of, rules, timeline) = args.input.read()?;
    let engine = Engine::new(rules);
    let why = engine
        .explain(&timeline, args.rule, args.subject, as_of)
        .map_err(|e| Unusable(e.to_string()))?;
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match args.format {
        Format::Text => write!(out, "{why}"),
        Format::Json => serde_json::to_writer_pretty(&mut out, &why.to_json())
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
    };
    finish(ExitCode::SUCCESS, written.and_then(|()| out.flush()))?;
    drop(out);
    // Records the readers refused are said on stderr, as `eval` does.
    let mut err = io::stderr().lock();
    let noted = timeline
        .rejected()
        .iter()
        .try_for_each(|r| writeln!(err, "{r}"));
    finish(ExitCode::SUCCESS, noted)
}
