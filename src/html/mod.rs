//! A picture of a case: one subject's observations, flags and recruitment windows as one
//! self-contained HTML page (inline CSS and SVG; no scripts, fonts, images or network).

mod axis;
mod picture;

use crate::flag::{Flag, Stage};
use crate::report::Report;
use crate::ruleset::RuleSet;
use crate::time::{Timestamp, format_timestamp, words};
use crate::timeline::{Observation, SubjectTimeline};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// `write!` into a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}
pub(crate) use w;

/// [`w!`] and a line break, so that the picture diffs line by line.
macro_rules! wl {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
        $out.push('\n');
    }};
}
pub(crate) use wl;

/// A section of text shown below the flags, e.g. why a rule did *not* fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The section's heading.
    pub title: String,
    /// Plain text; line breaks are kept. It is escaped, never read as HTML.
    pub text: String,
}

/// What to add to a [`case_report`] besides the case itself.
///
/// ```
/// use early_signal::ReportOptions;
/// let options = ReportOptions::default()
///     .note("Why `online-contact-then-meeting` did not fire", "the meeting was 8 days later");
/// assert_eq!(options.notes.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportOptions {
    /// Extra sections, in this order, below the flags.
    pub notes: Vec<Note>,
}

impl ReportOptions {
    /// These options with one more note.
    #[must_use]
    pub fn note(mut self, title: impl Into<String>, text: impl Into<String>) -> Self {
        self.notes.push(Note {
            title: title.into(),
            text: text.into(),
        });
        self
    }
}

/// Renders one subject of an evaluation as a self-contained HTML page: a header (pseudonymous
/// subject id, `as_of`, rule-set digest, and that a flag is a prompt to look, not a decision), an
/// SVG timeline (observations as marks on lanes by kind group, a symbol per counterpart, each
/// flag's recruitment window shaded with its evidence linked), a card per flag with its
/// explanation and evidence, the pending deadlines, the `options`' notes, and a table of the
/// observations.
///
/// `report` is what [`Engine::evaluate`](crate::Engine::evaluate) returned for a timeline holding
/// `subject`; only its flags, pending deadlines, refused records and warnings about this subject
/// are shown, and only the observations known at its `as_of` (the ones the flags could use).
/// `rules` gives the rule titles. Everything taken from the input is escaped, the page loads
/// nothing, and the same arguments give the same bytes.
///
/// ```
/// use early_signal::{Engine, ReportOptions, RuleSet, case_report};
/// let rules = RuleSet::builtin();
/// let mut timeline = rules.new_timeline();
/// timeline.read_yaml("y-1.yaml", "
/// subject: y-1
/// observations:
///   - { id: o-1, at: 2026-03-02T21:14:00+01:00, kind: contact.new, channel: online.social_media, counterpart: c-77 }
///   - { id: o-2, at: 2026-03-04T18:00:00+01:00, kind: meeting.in_person, counterpart: c-77 }
/// ")?;
/// let engine = Engine::new(rules);
/// let report = engine.evaluate(&timeline, "2026-03-05T09:00:00+01:00".parse()?);
/// let subject = timeline.subject("y-1").ok_or("no subject `y-1`")?;
/// let page = case_report(engine.rules(), subject, &report, &ReportOptions::default());
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// assert!(page.contains("online-contact-then-meeting"));
/// std::fs::write(std::env::temp_dir().join("y-1.html"), page)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn case_report(
    rules: &RuleSet,
    subject: &SubjectTimeline,
    report: &Report,
    options: &ReportOptions,
) -> String {
    let case = Case::new(subject, report);
    let mut out = String::with_capacity(32 * 1024 + 600 * case.observations.len());
    head(&case, report, &mut out);
    out.push_str("<main>\n<section id=\"es-picture\">\n<h2>Timeline</h2>\n");
    picture::svg(&case, &mut out);
    out.push('\n');
    legend(&case, &mut out);
    out.push_str("</section>\n");
    flags(&case, rules, report, &mut out);
    pending(&case, report, &mut out);
    for (i, n) in options.notes.iter().enumerate() {
        w!(
            out,
            "<section class=\"note\" id=\"es-note-{}\">\n<h2>{}</h2>\n<p class=\"text\">{}</p>\n</section>\n",
            i + 1,
            esc(&n.title),
            esc(&n.text)
        );
    }
    observations(&case, &mut out);
    not_read(&case, report, &mut out);
    out.push_str("</main>\n");
    w!(
        out,
        "<footer><p>Made by early-signal {} from rule set <code>{}</code> at as_of <code>{}</code>. The same rules and observations give the same page. Ids are pseudonymous; the page holds no names and no protected attributes.</p></footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&report.ruleset),
        esc(&format_timestamp(&report.as_of))
    );
    out
}

/// Escapes text for HTML and SVG (content and quoted attributes). Control characters other
/// than tab and line feed, which HTML cannot show, become U+FFFD.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A lane: the observations whose kind starts with `group` (the part before the first `.`).
struct Lane {
    group: String,
    kinds: Vec<String>,
    count: usize,
}

/// One subject's part of a report, in the order the page draws it.
pub(crate) struct Case<'a> {
    subject: &'a str,
    as_of: Timestamp,
    /// The observations known at `as_of`, in time order.
    observations: Vec<&'a Observation>,
    /// All the subject's observations, also those after `as_of`.
    total: usize,
    /// The subject's flags, most urgent first (numbered from 1 in this order).
    flags: Vec<&'a Flag>,
    lanes: Vec<Lane>,
    /// The lane of each observation.
    lane_of: Vec<usize>,
    /// The numbers of the flags each observation is evidence for.
    flags_of: Vec<Vec<usize>>,
    /// Counterparts, first seen first.
    counterparts: Vec<&'a str>,
    counterpart_index: BTreeMap<&'a str, usize>,
    observation_index: BTreeMap<&'a str, usize>,
}

impl<'a> Case<'a> {
    fn new(st: &'a SubjectTimeline, report: &'a Report) -> Self {
        let as_of = report.as_of;
        let subject = st.subject().id.as_str();
        let mut observations: Vec<&Observation> = st
            .observations()
            .iter()
            .filter(|o| o.at <= as_of && o.recorded() <= as_of)
            .collect();
        observations.sort_by(|a, b| a.order_cmp(b));
        let flags: Vec<&Flag> = report
            .flags
            .iter()
            .filter(|f| f.subject.as_str() == subject)
            .collect();
        let mut lanes: Vec<Lane> = Vec::new();
        let mut lane_of = Vec::with_capacity(observations.len());
        let mut counterparts = Vec::new();
        let mut counterpart_index = BTreeMap::new();
        let mut observation_index = BTreeMap::new();
        for (k, o) in observations.iter().enumerate() {
            let group = o.kind.split('.').next().unwrap_or_default();
            let lane = match lanes.iter().position(|l| l.group == group) {
                Some(i) => i,
                None => {
                    lanes.push(Lane {
                        group: group.to_owned(),
                        kinds: Vec::new(),
                        count: 0,
                    });
                    lanes.len() - 1
                }
            };
            if let Some(l) = lanes.get_mut(lane) {
                l.count += 1;
                if !l.kinds.iter().any(|k| k == o.kind.as_str()) {
                    l.kinds.push(o.kind.to_string());
                }
            }
            lane_of.push(lane);
            if let Some(c) = o.counterpart.as_deref()
                && !counterpart_index.contains_key(c)
            {
                counterpart_index.insert(c, counterparts.len());
                counterparts.push(c);
            }
            observation_index.entry(o.id.as_str()).or_insert(k);
        }
        let mut flags_of = vec![Vec::new(); observations.len()];
        for (i, f) in flags.iter().enumerate() {
            for e in &f.evidence {
                if let Some(list) = observation_index
                    .get(e.observation.as_str())
                    .and_then(|&k| flags_of.get_mut(k))
                    && !list.contains(&(i + 1))
                {
                    list.push(i + 1);
                }
            }
        }
        Case {
            subject,
            as_of,
            observations,
            total: st.observations().len(),
            flags,
            lanes,
            lane_of,
            flags_of,
            counterparts,
            counterpart_index,
            observation_index,
        }
    }

    fn counterpart_index(&self, c: &str) -> Option<usize> {
        self.counterpart_index.get(c).copied()
    }

    fn index_of(&self, observation: &str) -> Option<usize> {
        self.observation_index.get(observation).copied()
    }
}

/// An observation's tooltip: id, kind, time, channel, counterpart, source.
fn tooltip(o: &Observation) -> String {
    let mut t = format!("{} · {}\n{}", o.id, o.kind, format_timestamp(&o.at));
    if let Some(r) = o.recorded_at.filter(|r| *r != o.at) {
        w!(t, " (recorded {})", format_timestamp(&r));
    }
    if let Some(c) = &o.channel {
        w!(t, "\nchannel {c}");
    }
    if let Some(c) = &o.counterpart {
        w!(t, "\ncounterpart {c}");
    }
    if let Some(s) = &o.source {
        w!(t, "\nsource {s}");
    }
    t
}

/// A timestamp for people, in its own offset, with the exact value in `datetime`.
fn time(t: &Timestamp) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        esc(&format_timestamp(t)),
        t.format("%a %-d %b %Y %H:%M")
    )
}

const STYLE: &str = include_str!("style.css");

fn head(case: &Case<'_>, report: &Report, out: &mut String) {
    let subject = esc(case.subject);
    let as_of = esc(&format_timestamp(&report.as_of));
    w!(
        out,
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            // Nothing may be loaded: no scripts, fonts, images or requests of any kind.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
            "<meta name=\"referrer\" content=\"no-referrer\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"generator\" content=\"early-signal {version}\">\n",
            "<title>Case picture: {subject} as of {as_of}</title>\n<style>\n{style}",
        ),
        version = env!("CARGO_PKG_VERSION"),
        subject = subject,
        as_of = as_of,
        style = STYLE
    );
    // Picking a flag (its card is the URL's target) highlights its lines, window and marks.
    for n in 1..=case.flags.len() {
        w!(
            out,
            "body:has(#es-flag-{n}:target) #es-fg-{n} .drop {{ stroke: #000; stroke-width: 2; opacity: 1; }}\n\
             body:has(#es-flag-{n}:target) #es-fg-{n} .wbg {{ display: inline; }}\n\
             body:has(#es-flag-{n}:target) .mark.f{n} .sym {{ stroke: #000; stroke-width: 3; }}\n"
        );
    }
    w!(
        out,
        "</style>\n</head>\n<body>\n<header>\n<h1>A picture of the case of <code>{subject}</code></h1>\n\
         <p class=\"prompt\"><strong>A flag is a prompt for a professional to look, not a decision.</strong> \
         Each flag names its rule, the observations behind it and its recruitment window. Weigh it with \
         what you know, with colleagues and the youth (for example in the steps of the Meldcode); a \
         single sign can have many innocent explanations, and the absence of a flag proves nothing.</p>\n\
         <dl class=\"meta\">\n<dt>Subject (pseudonymous id)</dt><dd><code>{subject}</code></dd>\n\
         <dt>As of</dt><dd>{}</dd>\n",
        time(&report.as_of),
    );
    let mut stages = [0usize; 3];
    for f in &case.flags {
        if let Some(s) = stages.get_mut(f.window.stage as usize) {
            *s += 1;
        }
    }
    let [urgent, open, closed] = stages;
    w!(
        out,
        "<dt>Flags</dt><dd>{} ({urgent} urgent, {open} open, {closed} closed)</dd>\n\
         <dt>Observations</dt><dd>{} known at as_of",
        case.flags.len(),
        case.observations.len()
    );
    let later = case.total.saturating_sub(case.observations.len());
    if later > 0 {
        w!(
            out,
            "; {later} more happened or were recorded after as_of and are not shown"
        );
    }
    w!(
        out,
        "</dd>\n<dt>Rule set</dt><dd class=\"wide\"><code>{}</code></dd>\n</dl>\n</header>\n",
        esc(&report.ruleset)
    );
}

fn legend(case: &Case<'_>, out: &mut String) {
    let swatch = |out: &mut String, fill: &str| {
        w!(
            out,
            "<svg class=\"sw\" viewBox=\"0 0 24 12\" width=\"24\" height=\"12\" aria-hidden=\"true\"><rect width=\"24\" height=\"12\" fill=\"{fill}\"/></svg>"
        );
    };
    out.push_str("<div class=\"legend\">\n<p><strong>Counterparts</strong> (pseudonymous ids):\n");
    for (i, c) in case.counterparts.iter().enumerate() {
        let (fill, shape) = picture::symbol(Some(i));
        out.push_str("<span class=\"key\"><svg class=\"sw\" viewBox=\"0 0 16 16\" width=\"16\" height=\"16\" aria-hidden=\"true\">");
        picture::shape(out, shape, 8.0, 8.0, 5.5, fill);
        w!(out, "</svg> <code>{}</code></span>\n", esc(c));
    }
    out.push_str("<span class=\"key\"><svg class=\"sw\" viewBox=\"0 0 16 16\" width=\"16\" height=\"16\" aria-hidden=\"true\">");
    picture::shape(out, picture::Shape::Circle, 8.0, 8.0, 5.0, picture::NEUTRAL);
    out.push_str("</svg> no counterpart</span>\n");
    if case.counterparts.len() > 32 {
        out.push_str("<span class=\"key\">(symbols repeat after 32 counterparts: the tooltip names each)</span>\n");
    }
    out.push_str("</p>\n<p><strong>Recruitment window</strong> (from the first contact with the counterpart the evidence shares, else the earliest evidence):\n");
    for (name, fill, what) in [
        ("urgent", picture::URGENT, "first 7 days by default"),
        ("open", picture::OPEN, "until day 30 by default"),
        ("closed", picture::CLOSED, "after"),
    ] {
        out.push_str("<span class=\"key\">");
        swatch(out, fill);
        w!(out, " {name} ({what})</span>\n");
    }
    out.push_str(
        "<span class=\"key\"><svg class=\"sw\" viewBox=\"0 0 24 20\" width=\"24\" height=\"20\" aria-hidden=\"true\"><line x1=\"2\" y1=\"10\" x2=\"22\" y2=\"10\" stroke=\"#222\" stroke-width=\"2\"/><circle cx=\"4\" cy=\"10\" r=\"3\" fill=\"#222\"/><path d=\"M16,18V2L25,6L16,10Z\" fill=\"#111\"/></svg> \
         evidence joined on the flag's row, the flag raised at the pennant; dashed lines lead to the marks</span>\n\
         <span class=\"key\">hatched: after as_of, not known yet</span>\n",
    );
    out.push_str("</p>\n<p>A dark outline marks evidence of a flag. Point at a mark for its id, kind, time, channel and counterpart; pick a flag to highlight its evidence.</p>\n</div>\n");
}

fn flags(case: &Case<'_>, rules: &RuleSet, report: &Report, out: &mut String) {
    w!(
        out,
        "<section id=\"es-flags\">\n<h2>Flags ({})</h2>\n",
        case.flags.len()
    );
    if case.flags.is_empty() {
        out.push_str("<p>No rule raised a flag for this subject at as_of. That is no finding that all is well: the rules see only what was recorded.</p>\n");
    }
    for (i, f) in case.flags.iter().enumerate() {
        let n = i + 1;
        let title = rules
            .rule(&f.rule)
            .filter(|r| r.version == f.rule_version && rules.digest() == f.ruleset.as_str())
            .map(|r| r.title.as_str());
        w!(
            out,
            "<article class=\"flag stage-{stage}\" id=\"es-flag-{n}\">\n<h3><a href=\"#es-flag-{n}\">{n}.</a> <code>{}</code> v{}{}</h3>\n\
             <p class=\"badges\"><span class=\"badge sev-{sev}\">severity {sev}</span> <span class=\"badge\">class {class}</span> \
             <span class=\"badge stage-{stage}\">{stage} at as_of</span></p>\n\
             <p class=\"explanation\">{}</p>\n<dl>\n",
            esc(&f.rule),
            f.rule_version,
            title.map(|t| format!(" — {}", esc(t))).unwrap_or_default(),
            esc(&f.explanation),
            stage = f.window.stage,
            sev = f.severity,
            class = f.class,
        );
        w!(
            out,
            "<dt>Raised at</dt><dd>{}</dd>\n<dt>Known at</dt><dd>{}</dd>\n\
             <dt>Window</dt><dd>opened {}, urgent until {}, closes {}; {}</dd>\n",
            time(&f.raised_at),
            time(&f.known_at),
            time(&f.window.opened_at),
            time(&f.window.urgent_until),
            time(&f.window.closes_at),
            left(f, report.as_of)
        );
        if !f.key.is_empty() {
            let key: Vec<String> = f
                .key
                .iter()
                .map(|(k, v)| format!("{} = <code>{}</code>", esc(k), esc(&v.to_string())))
                .collect();
            w!(out, "<dt>About</dt><dd>{}</dd>\n", key.join(", "));
        }
        w!(
            out,
            "<dt>Flag id</dt><dd><code>{}</code></dd>\n</dl>\n<h4>Evidence</h4>\n<ol class=\"evidence\">\n",
            esc(&f.id)
        );
        for e in &f.evidence {
            let anchor = case.index_of(&e.observation).map(|k| k + 1);
            match anchor {
                Some(k) => w!(
                    out,
                    "<li><a href=\"#es-obs-{k}\"><code>{}</code></a>",
                    esc(&e.observation)
                ),
                None => w!(out, "<li><code>{}</code>", esc(&e.observation)),
            }
            w!(out, " {} · <code>{}</code>", time(&e.at), esc(&e.kind));
            if let Some(c) = &e.counterpart {
                w!(out, " · counterpart <code>{}</code>", esc(c));
            }
            if let Some(s) = e.step {
                w!(out, " · step {s}");
            }
            if let Some(ind) = &e.indicator {
                w!(out, " · indicator <code>{}</code>", esc(ind));
            }
            if let Some(r) = &e.role {
                w!(out, " · {}", esc(r));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ol>\n<p class=\"back\"><a href=\"#es-picture\">back to the timeline</a></p>\n</article>\n");
    }
    out.push_str("</section>\n");
}

/// Where the window stands at `as_of`, in words.
fn left(f: &Flag, as_of: Timestamp) -> String {
    match f.window.stage {
        Stage::Urgent => format!(
            "urgent at as_of, for {} more",
            words(f.window.urgent_until - as_of)
        ),
        Stage::Open => format!(
            "open at as_of, for {} more",
            words(f.window.closes_at - as_of)
        ),
        Stage::Closed => format!("closed at as_of, {} ago", words(as_of - f.window.closes_at)),
    }
}

fn pending(case: &Case<'_>, report: &Report, out: &mut String) {
    let mine: Vec<_> = report
        .pending
        .iter()
        .filter(|p| p.subject == case.subject)
        .collect();
    if mine.is_empty() {
        return;
    }
    out.push_str("<section id=\"es-pending\">\n<h2>Pending deadlines</h2>\n<p>If nothing expected is recorded by the deadline, the rule will flag then.</p>\n<ul>\n");
    for p in mine {
        let after = match case.index_of(&p.after) {
            Some(k) => format!(
                "<a href=\"#es-obs-{}\"><code>{}</code></a>",
                k + 1,
                esc(&p.after)
            ),
            None => format!("<code>{}</code>", esc(&p.after)),
        };
        w!(
            out,
            "<li><code>{}</code> after {after}: deadline {}</li>\n",
            esc(&p.rule),
            time(&p.deadline)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn observations(case: &Case<'_>, out: &mut String) {
    out.push_str("<section id=\"es-observations\">\n<h2>Observations known at as_of</h2>\n");
    if case.observations.is_empty() {
        out.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    out.push_str("<table>\n<thead><tr><th>id</th><th>at</th><th>recorded</th><th>kind</th><th>channel</th><th>counterpart</th><th>source</th><th>flags</th></tr></thead>\n<tbody>\n");
    let opt = |v: Option<&str>| {
        v.map(|s| format!("<code>{}</code>", esc(s)))
            .unwrap_or_default()
    };
    for (k, o) in case.observations.iter().enumerate() {
        let n = k + 1;
        let flags = case
            .flags_of
            .get(k)
            .map(|fs| {
                fs.iter()
                    .map(|f| format!("<a href=\"#es-flag-{f}\">{f}</a>"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let recorded = o
            .recorded_at
            .filter(|r| *r != o.at)
            .map(|r| time(&r))
            .unwrap_or_default();
        w!(
            out,
            "<tr id=\"es-row-{n}\"><td><a href=\"#es-obs-{n}\"><code>{}</code></a></td><td>{}</td><td>{recorded}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{flags}</td></tr>\n",
            esc(&o.id),
            time(&o.at),
            esc(&o.kind),
            opt(o.channel.as_deref()),
            opt(o.counterpart.as_deref()),
            opt(o.source.as_deref()),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn not_read(case: &Case<'_>, report: &Report, out: &mut String) {
    let rejected: Vec<_> = report
        .rejected
        .iter()
        .filter(|r| r.subject.as_deref() == Some(case.subject))
        .collect();
    let warnings: Vec<_> = report
        .warnings
        .iter()
        .filter(|w| w.subject.as_deref() == Some(case.subject))
        .collect();
    if rejected.is_empty() && warnings.is_empty() {
        return;
    }
    out.push_str("<section id=\"es-not-read\">\n<h2>Records refused and warnings</h2>\n<p>These records about this subject were not evaluated; the picture may be missing signs.</p>\n<ul>\n");
    for r in rejected {
        w!(out, "<li>{}</li>\n", esc(&r.to_string()));
    }
    for wa in warnings {
        w!(out, "<li>warning: {}</li>\n", esc(&wa.to_string()));
    }
    out.push_str("</ul>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esc_escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(esc("a\u{0}b\u{1b}c\nd"), "a\u{FFFD}b\u{FFFD}c\nd");
        assert_eq!(esc("c-0101"), "c-0101");
    }
}
