//! Embedding a custom rule set: load `examples/custom-rules/` from disk, run its embedded tests,
//! evaluate the example timeline and print the flags. See docs/writing-rules.md.
//!
//! Run from the crate root with `cargo run --example custom-rules`.

use std::io::Write;

use early_signal::{Engine, RuleSet, Timestamp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Written with `writeln!` so that a reader that stops early (`| head`) ends the program with
    // an error instead of a panic.
    let mut out = std::io::stdout().lock();
    // Every `*.yaml` in the directory, with `vocabulary.yaml` as the vocabulary. A load error
    // lists every problem with file, line and column; refuse to start rather than run without it.
    let rules = RuleSet::load("examples/custom-rules/")?;
    writeln!(
        out,
        "rule set {} with {} rules",
        rules.digest(),
        rules.rules().len()
    )?;

    // The same tests `early-signal test` runs; useful as a start-up self-check.
    let failed: Vec<_> = rules
        .run_tests()
        .into_iter()
        .filter(|t| !t.passed)
        .collect();
    if !failed.is_empty() {
        for t in &failed {
            eprintln!(
                "rule test failed: {} :: {} ({})",
                t.rule, t.name, t.location
            );
        }
        return Err("the custom rule set's own tests fail".into());
    }

    // A timeline that checks records against the custom vocabulary (with the local kind).
    let path = "examples/custom-rules/timelines/example.yaml";
    let mut timeline = rules.new_timeline();
    timeline.read_yaml(path, &std::fs::read_to_string(path)?)?;
    for r in timeline.rejected() {
        eprintln!("{r}");
    }

    let as_of: Timestamp = "2026-11-20T00:00:00+01:00".parse()?;
    let report = Engine::new(rules).evaluate(&timeline, as_of);
    for flag in &report.flags {
        writeln!(
            out,
            "{} {} {} v{} [{:?}]: {}",
            flag.id,
            flag.subject,
            flag.rule,
            flag.rule_version,
            flag.window.stage,
            flag.explanation
        )?;
    }
    Ok(())
}
