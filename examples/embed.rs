//! Embedding early-signal: load the built-in rules, read a timeline, evaluate, use the flags.
//!
//! Run with `cargo run --example embed`.

use std::io::Write;

use early_signal::time::format_timestamp;
use early_signal::{Engine, Observation, RuleSet, Stage, Timestamp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Written with `writeln!` so that a reader that stops early (`| head`) ends the program with
    // an error instead of a panic.
    let mut out = std::io::stdout().lock();
    // The default pack is compiled into the crate; `RuleSet::load("rules/")` reads your own.
    let rules = RuleSet::builtin();
    writeln!(
        out,
        "rule set {} with {} rules",
        rules.digest(),
        rules.rules().len()
    )?;

    // A timeline that checks every record against the rule set's vocabulary as it is added.
    let mut timeline = rules.new_timeline();
    timeline.read_yaml(
        "inline.yaml",
        "
subject: y-0042
born: 2011-05-20
facts:
  - { name: residence, value: institution.open, from: 2026-01-10 }
observations:
  - { id: o-1, at: 2026-11-02T21:14:00+01:00, kind: contact.new, channel: online.social_media, counterpart: c-77 }
",
    )?;

    // Records can also be added one by one, e.g. as a professional saves them.
    let at: Timestamp = "2026-11-04T18:00:00+01:00".parse()?;
    let mut meeting = Observation::new("o-2", at, "meeting.in_person");
    meeting.counterpart = Some("c-77".into());
    meeting.source = Some("mentor".into());
    timeline.add_observation("y-0042", meeting)?;

    // Nothing is dropped silently: refused records are listed with file, line and reason.
    for r in timeline.rejected() {
        eprintln!("{r}");
    }

    let engine = Engine::new(rules);
    let as_of: Timestamp = "2026-11-05T09:00:00+01:00".parse()?;
    let report = engine.evaluate(&timeline, as_of);
    for flag in &report.flags {
        let urgent = if flag.window.stage == Stage::Urgent {
            " (urgent)"
        } else {
            ""
        };
        writeln!(
            out,
            "{} {} {}{urgent}: {}",
            flag.id, flag.subject, flag.rule, flag.explanation
        )?;
        for e in &flag.evidence {
            writeln!(
                out,
                "    evidence {} {} at {}",
                e.observation,
                e.kind,
                format_timestamp(&e.at)
            )?;
        }
    }
    for p in &report.pending {
        writeln!(
            out,
            "pending: {} for {} unless followed up by {}",
            p.rule, p.subject, p.deadline
        )?;
    }
    Ok(())
}
