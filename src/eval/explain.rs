//! Plain-language explanations and `message` templates.

use super::patterns::{Firing, Item, View};
use crate::name::Name;
use crate::rule::{Pattern, Placeholder, Rule, Segment};
use crate::time::{format_timestamp, words};
use std::collections::BTreeSet;

pub(super) fn explain(
    rule: &Rule,
    view: &View<'_>,
    f: &Firing,
    items: &[Item],
    counterparts: &BTreeSet<&str>,
    indicator_names: &[&Name],
) -> String {
    let first = items
        .iter()
        .filter_map(|i| view.get(i.idx).map(|o| o.at))
        .min()
        .unwrap_or(f.raised_at);
    let last = items
        .iter()
        .filter_map(|i| view.get(i.idx).map(|o| o.at))
        .max()
        .unwrap_or(f.raised_at);
    let counterpart = match counterparts.len() {
        0 => "an unrecorded person".to_owned(),
        1 => counterparts
            .iter()
            .next()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        _ => "several counterparts".to_owned(),
    };
    let within = rule.pattern.within().map(|d| d.words()).unwrap_or_default();
    let indicators: Vec<&str> = f
        .indicators
        .iter()
        .filter_map(|&n| indicator_names.get(n).map(|s| s.as_str()))
        .collect();
    // Written into one string: a flag's message is built for every flag raised.
    let put = |out: &mut String, p: Placeholder| match p {
        Placeholder::Rule => out.push_str(&rule.id),
        Placeholder::Title => out.push_str(&rule.title),
        Placeholder::Subject => out.push_str(&view.subject.id),
        Placeholder::Counterpart => out.push_str(&counterpart),
        Placeholder::Count => out.push_str(&f.count.to_string()),
        Placeholder::Within => out.push_str(&within),
        Placeholder::Gap => out.push_str(&words(last - first)),
        Placeholder::FirstAt => out.push_str(&format_timestamp(&first)),
        Placeholder::LastAt => out.push_str(&format_timestamp(&last)),
        Placeholder::Indicators => {
            for (n, name) in indicators.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
            }
        }
    };
    let mut body = String::with_capacity(160);
    match &rule.message {
        Some(t) => {
            for s in &t.0 {
                match s {
                    Segment::Text(t) => body.push_str(t),
                    Segment::Placeholder(p) => put(&mut body, *p),
                }
            }
        }
        None => {
            let title = &rule.title;
            body = match &rule.pattern {
                Pattern::Match(_) => {
                    let o = items.first().and_then(|i| view.get(i.idx));
                    match o {
                        Some(o) => format!(
                            "{title}: `{}` recorded at {}",
                            o.kind,
                            format_timestamp(&o.at)
                        ),
                        None => title.clone(),
                    }
                }
                Pattern::Count {
                    at_least, distinct, ..
                } => {
                    let what = match distinct {
                        Some(d) => format!("different `{d}` values"),
                        None => "matching observations".into(),
                    };
                    format!(
                        "{title}: {} {what} within {within} (threshold {at_least}), from {} to {}",
                        f.count,
                        format_timestamp(&first),
                        format_timestamp(&last)
                    )
                }
                Pattern::Sequence { steps, .. } => format!(
                    "{title}: all {} steps happened within {} (limit {within}), involving {counterpart}",
                    steps.len(),
                    words(last - first)
                ),
                Pattern::Absence { .. } => {
                    let o = items.first().and_then(|i| view.get(i.idx));
                    match o {
                        Some(o) => format!(
                            "{title}: nothing expected was recorded within {within} after `{}` at {}",
                            o.kind,
                            format_timestamp(&o.at)
                        ),
                        None => title.clone(),
                    }
                }
                Pattern::Signals { at_least, of, .. } => format!(
                    "{title}: {} of {} kinds of sign within {within} (threshold {at_least}): {}",
                    f.count,
                    of.len(),
                    indicators.join(", ")
                ),
            };
        }
    }
    body.push_str(" (rule ");
    body.push_str(&rule.id);
    body.push_str(" v");
    body.push_str(&rule.version.to_string());
    body.push(')');
    body
}
