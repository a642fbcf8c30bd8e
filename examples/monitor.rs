//! Embedding the incremental monitor: observations arrive one at a time, some days late; each
//! call returns the flag events it causes. Then a snapshot, a restore, and erasure of a subject.
//!
//! Run with `cargo run --example monitor`. All data is synthetic.

use early_signal::{Engine, Event, Monitor, MonitorConfig, Observation, RuleSet, Subject};
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = std::io::stdout().lock();
    let engine = Engine::new(RuleSet::builtin());
    let mut monitor = Monitor::new(engine.clone(), MonitorConfig::default());

    // The profile first, so that age and residence apply from the first observation.
    monitor.set_subject(Subject {
        id: "y-0042".into(),
        born: Some("2011-04-01".parse()?),
        facts: vec![],
    })?;

    // (id, at, kind, counterpart) in the order the care system records them.
    let stream = [
        (
            "o-1",
            "2026-11-02T20:40:00+01:00",
            "contact.new",
            Some("c-77"),
        ),
        ("o-3", "2026-11-05T17:30:00+01:00", "item.unexplained", None),
        (
            "o-4",
            "2026-11-06T18:10:00+01:00",
            "vehicle.pickup",
            Some("c-78"),
        ),
        // Happened on the 4th, recorded only on the 6th: it completes a sequence late.
        (
            "o-2",
            "2026-11-04T21:00:00+01:00",
            "meeting.in_person",
            Some("c-77"),
        ),
        (
            "o-5",
            "2026-11-14T22:00:00+01:00",
            "missing.episode.end",
            None,
        ),
    ];
    for (id, at, kind, counterpart) in stream {
        let mut o = Observation::new(id, at.parse()?, kind);
        o.counterpart = counterpart.map(Into::into);
        if kind == "contact.new" {
            o.channel = Some("online.social_media".into());
        }
        let events = monitor.observe("y-0042", o)?;
        writeln!(out, "observe {id}: {} event(s)", events.len())?;
        print_events(&mut out, &events)?;
    }

    // No return interview after the episode that ended on the 14th: the deadline passes.
    let events = monitor.advance_to("2026-11-18T00:00:00+01:00".parse()?);
    writeln!(out, "advance to 18 Nov: {} event(s)", events.len())?;
    print_events(&mut out, &events)?;

    // A record that happened more than `max_lateness` (30 days) before the clock is refused.
    let too_late = Observation::new("o-0", "2026-10-01T12:00:00+01:00".parse()?, "truancy");
    if let Err(e) = monitor.observe("y-0042", too_late) {
        writeln!(out, "refused: {e}")?;
    }

    // Save and restore: the restored monitor continues exactly like the original.
    let saved = monitor.snapshot();
    let mut restored = Monitor::restore(engine, &saved)?;
    writeln!(
        out,
        "snapshot: {} bytes, {} observations held",
        saved.len(),
        restored.observation_count()
    )?;

    // Erasure: everything about the youth goes.
    restored.forget("y-0042");
    writeln!(out, "after forget: {} subjects", restored.subject_count())?;
    Ok(())
}

fn print_events(out: &mut impl Write, events: &[Event]) -> std::io::Result<()> {
    for e in events {
        match e {
            Event::Raised(f) => writeln!(
                out,
                "  raised    {} {} [{:?}]: {}",
                f.id, f.rule, f.window.stage, f.explanation
            )?,
            Event::Withdrawn {
                id, rule, reason, ..
            } => writeln!(out, "  withdrawn {id} {rule}: {reason}")?,
        }
    }
    Ok(())
}
