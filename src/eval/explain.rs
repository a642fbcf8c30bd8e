//! Plain-language explanations and `message` templates.

use super::patterns::{Firing, Item, View};
use crate::flag::decimal;
use crate::name::Name;
use crate::rule::{Pattern, Placeholder, Pred, Rule, Segment};
use crate::time::{Timestamp, write_timestamp, write_words};
use std::fmt::Write;

/// The explanation of firing `f` of `rule` (with its evidence, in order): its `message` filled
/// in, or a sentence made for the pattern, then the rule and its version. `span` is the first and last `at` of the evidence,
/// `counterpart` how the evidence's counterparts are named, `indicators` the rule's `signals`.
///
/// Appended to `out` (the explanations of the flags being raised, one after the other), with no
/// allocation of its own: a flag's explanation is built for every flag raised.
pub(super) fn explain(
    rule: &Rule,
    view: &View<'_>,
    (f, evidence): (&Firing, &[Item]),
    (first, last): (Timestamp, Timestamp),
    counterpart: &str,
    indicators: &[(Name, Pred)],
    out: &mut String,
) {
    let within = rule.pattern.within();
    let write_within = |out: &mut String| {
        if let Some(d) = within {
            d.write_words(out);
        }
    };
    let write_indicators = |out: &mut String| {
        let present = f.indicators.iter().filter_map(|&n| indicators.get(n));
        for (n, (name, _)) in present.enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            out.push_str(name);
        }
    };
    // Writing to a `String` cannot fail: the results of `write!` below are ignored.
    let put = |out: &mut String, p: Placeholder| match p {
        Placeholder::Rule => out.push_str(&rule.id),
        Placeholder::Title => out.push_str(&rule.title),
        Placeholder::Subject => out.push_str(&view.subject.id),
        Placeholder::Counterpart => out.push_str(counterpart),
        Placeholder::Count => {
            push_count(out, f.count);
        }
        Placeholder::Within => write_within(out),
        Placeholder::Gap => write_words(out, last - first),
        Placeholder::FirstAt => write_timestamp(out, &first),
        Placeholder::LastAt => write_timestamp(out, &last),
        Placeholder::Indicators => write_indicators(out),
    };
    match &rule.message {
        Some(t) => {
            for s in &t.0 {
                match s {
                    Segment::Text(t) => out.push_str(t),
                    Segment::Placeholder(p) => put(out, *p),
                }
            }
        }
        None => {
            out.push_str(&rule.title);
            // The first evidence observation (the evidence is in index order).
            let first_seen = || evidence.first().and_then(|i| view.get(i.idx));
            match &rule.pattern {
                Pattern::Match(_) => {
                    if let Some(o) = first_seen() {
                        out.push_str(": `");
                        out.push_str(&o.kind);
                        out.push_str("` recorded at ");
                        write_timestamp(out, &o.at);
                    }
                }
                Pattern::Count {
                    at_least, distinct, ..
                } => {
                    out.push_str(": ");
                    push_count(out, f.count);
                    out.push(' ');
                    match distinct {
                        Some(d) => {
                            let _ = write!(out, "different `{d}` values");
                        }
                        None => out.push_str("matching observations"),
                    }
                    out.push_str(" within ");
                    write_within(out);
                    out.push_str(" (threshold ");
                    push_count(out, *at_least);
                    out.push_str("), from ");
                    write_timestamp(out, &first);
                    out.push_str(" to ");
                    write_timestamp(out, &last);
                }
                Pattern::Sequence { steps, .. } => {
                    let _ = write!(out, ": all {} steps happened within ", steps.len());
                    write_words(out, last - first);
                    out.push_str(" (limit ");
                    write_within(out);
                    out.push_str("), involving ");
                    out.push_str(counterpart);
                }
                Pattern::Absence { .. } => {
                    if let Some(o) = first_seen() {
                        out.push_str(": nothing expected was recorded within ");
                        write_within(out);
                        out.push_str(" after `");
                        out.push_str(&o.kind);
                        out.push_str("` at ");
                        write_timestamp(out, &o.at);
                    }
                }
                Pattern::Signals { at_least, of, .. } => {
                    let _ = write!(out, ": {} of {} kinds of sign within ", f.count, of.len());
                    write_within(out);
                    let _ = write!(out, " (threshold {at_least}): ");
                    write_indicators(out);
                }
            }
        }
    }
    out.push_str(" (rule ");
    out.push_str(&rule.id);
    out.push_str(" v");
    push_count(out, rule.version);
    out.push(')');
}

/// Appends `n` in decimal.
fn push_count(out: &mut String, n: impl TryInto<u64>) {
    // Counts and versions fit in 64 bits on every target the crate builds for.
    out.push_str(decimal(n.try_into().unwrap_or(u64::MAX), &mut [0; 20]));
}
