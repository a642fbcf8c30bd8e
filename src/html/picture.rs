//! The SVG picture: flags with their recruitment windows above, observations on lanes below,
//! one time axis.

use super::axis::Scale;
use super::{Case, esc, w, wl};
use crate::flag::Flag;
use crate::time::{Timestamp, format_timestamp};
use std::fmt::Write as _;

/// Width of the picture (viewBox units; it scales to the page).
pub(super) const WIDTH: f64 = 1200.0;
/// Left edge of the time axis; the labels live to its left.
const PLOT_X0: f64 = 300.0;
const PLOT_X1: f64 = WIDTH - 24.0;
const AXIS_Y: f64 = 34.0;
const HEADING_H: f64 = 20.0;
const FLAG_ROW_H: f64 = 24.0;
const LANE_H: f64 = 30.0;
/// Marks closer than this in one lane are moved up or down so that both stay visible.
const CROWDED: f64 = 10.0;

/// Colours for counterparts (Okabe–Ito and two more, distinguishable with colour-blindness).
pub(super) const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C510A", "#6A3D9A",
];
/// Fill of observations without a counterpart.
pub(super) const NEUTRAL: &str = "#BDBDBD";
/// Window fills: urgent, open, closed (opaque, so the browser test can find them).
pub(super) const URGENT: &str = "#EF8A62";
pub(super) const OPEN: &str = "#FDDBC7";
pub(super) const CLOSED: &str = "#E0E0E0";

/// A mark's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// The symbol of the counterpart numbered `i` (first seen first): 32 distinct colour and shape
/// pairs before they repeat; `None` (no counterpart) is a small grey circle.
pub(super) fn symbol(i: Option<usize>) -> (&'static str, Shape) {
    const SHAPES: [Shape; 4] = [
        Shape::Circle,
        Shape::Square,
        Shape::Triangle,
        Shape::Diamond,
    ];
    match i {
        None => (NEUTRAL, Shape::Circle),
        Some(i) => (
            PALETTE.get(i % PALETTE.len()).copied().unwrap_or(NEUTRAL),
            SHAPES
                .get((i + i / PALETTE.len()) % SHAPES.len())
                .copied()
                .unwrap_or(Shape::Circle),
        ),
    }
}

/// Writes a symbol centred on (`x`, `y`) with radius about `r`.
pub(super) fn shape(out: &mut String, shape: Shape, x: f64, y: f64, r: f64, fill: &str) {
    match shape {
        Shape::Circle => w!(
            out,
            r#"<circle class="sym" cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{fill}"/>"#
        ),
        Shape::Square => {
            let s = r * 0.9;
            w!(
                out,
                r#"<rect class="sym" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"/>"#,
                x - s,
                y - s,
                2.0 * s,
                2.0 * s
            )
        }
        Shape::Triangle => {
            let r = r * 1.2;
            w!(
                out,
                r#"<path class="sym" d="M{x:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z" fill="{fill}"/>"#,
                y - r,
                x + r * 0.87,
                y + r * 0.5,
                x - r * 0.87,
                y + r * 0.5
            )
        }
        Shape::Diamond => {
            let r = r * 1.2;
            w!(
                out,
                r#"<path class="sym" d="M{x:.1},{:.1}L{:.1},{y:.1}L{x:.1},{:.1}L{:.1},{y:.1}Z" fill="{fill}"/>"#,
                y - r,
                x + r,
                y + r,
                x - r
            )
        }
    }
}

/// Shortens `s` to `max` characters with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut c: String = s.chars().take(max.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

/// The axis range: from a little before the first observation or window to a little after
/// `as_of`, far enough to show the urgent periods still running (at most 40% more).
fn range(case: &Case<'_>) -> (Timestamp, Timestamp) {
    let as_of = case.as_of;
    let first = case
        .observations
        .iter()
        .map(|o| o.at)
        .chain(case.flags.iter().map(|f| f.window.opened_at))
        .min()
        .unwrap_or(as_of)
        .min(as_of);
    let span = (as_of - first).max(chrono::TimeDelta::days(7));
    let first = if first == as_of {
        first.checked_sub_signed(span).unwrap_or(first)
    } else {
        first
    };
    let urgent_left = case
        .flags
        .iter()
        .map(|f| f.window.urgent_until)
        .filter(|u| *u > as_of)
        .map(|u| u - as_of)
        .max()
        .unwrap_or_default();
    let after = urgent_left
        .clamp(span / 10, span * 2 / 5)
        .max(chrono::TimeDelta::days(1));
    let pad = span / 33;
    let start = first.checked_sub_signed(pad).unwrap_or(first);
    let end = as_of.checked_add_signed(after + pad).unwrap_or(as_of);
    (start, end)
}

/// Where each observation's mark is drawn.
struct Layout {
    /// (x, y) per observation of the case, in the case's order.
    marks: Vec<(f64, f64)>,
    /// Top of the first lane.
    lanes_top: f64,
    /// y of the bottom axis.
    bottom: f64,
}

fn layout(case: &Case<'_>, scale: &Scale) -> Layout {
    let flags_top = AXIS_Y + 6.0;
    let lanes_top = flags_top + HEADING_H + FLAG_ROW_H * case.flags.len() as f64 + 8.0;
    let mut last: Vec<[f64; 3]> = vec![[f64::NEG_INFINITY; 3]; case.lanes.len()];
    let mut marks = Vec::with_capacity(case.observations.len());
    for (o, lane) in case.observations.iter().zip(&case.lane_of) {
        let x = scale.x(&o.at);
        let centre = lanes_top + HEADING_H + LANE_H * (*lane as f64) + LANE_H / 2.0;
        // Up to three tracks per lane (middle, above, below); a crowded mark takes the track
        // whose last mark is farthest to the left.
        let dy = match last.get_mut(*lane) {
            Some(tracks) => {
                let mut best = 0;
                for (i, lx) in tracks.iter().enumerate() {
                    if x - lx >= CROWDED {
                        best = i;
                        break;
                    }
                    if tracks.get(best).is_some_and(|b| lx < b) {
                        best = i;
                    }
                }
                if let Some(slot) = tracks.get_mut(best) {
                    *slot = x;
                }
                [0.0, -8.0, 8.0].get(best).copied().unwrap_or(0.0)
            }
            None => 0.0,
        };
        marks.push((x, centre + dy));
    }
    let bottom = lanes_top + HEADING_H + LANE_H * case.lanes.len().max(1) as f64 + 4.0;
    Layout {
        marks,
        lanes_top,
        bottom,
    }
}

/// Writes the picture.
pub(super) fn svg(case: &Case<'_>, out: &mut String) {
    let (start, end) = range(case);
    let scale = Scale::new(start, end, PLOT_X0, PLOT_X1, *case.as_of.offset());
    let lay = layout(case, &scale);
    let height = lay.bottom + 30.0;
    let flags_top = AXIS_Y + 6.0;
    wl!(
        out,
        r#"<svg class="picture" viewBox="0 0 {WIDTH:.0} {height:.0}" role="img" aria-labelledby="es-pic-title" font-family="system-ui, 'DejaVu Sans', sans-serif" font-size="11">"#
    );
    wl!(
        out,
        r#"<title id="es-pic-title">Timeline of subject {}: {} observation(s) by kind, {} flag(s) with their recruitment windows, as of {}</title>"#,
        esc(case.subject),
        case.observations.len(),
        case.flags.len(),
        esc(&format_timestamp(&case.as_of))
    );
    out.push_str(concat!(
        r#"<defs><pattern id="es-future" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">"#,
        r##"<rect width="8" height="8" fill="#FAFAFA"/><line x1="0" y1="0" x2="0" y2="8" stroke="#EBEBEB" stroke-width="3"/></pattern></defs>"##,
        "\n"
    ));

    // Backgrounds: lane stripes, the time after as_of, grid lines and axes.
    for (i, _) in case.lanes.iter().enumerate() {
        let y = lay.lanes_top + HEADING_H + LANE_H * i as f64;
        let fill = if i % 2 == 0 { "#F6F7F9" } else { "#FFFFFF" };
        wl!(
            out,
            r#"<rect x="0" y="{y:.1}" width="{WIDTH:.0}" height="{LANE_H:.0}" fill="{fill}"/>"#
        );
    }
    let now = scale.x(&case.as_of);
    wl!(
        out,
        r#"<rect class="future" x="{now:.1}" y="{AXIS_Y:.1}" width="{:.1}" height="{:.1}" fill="url(#es-future)"><title>after as_of: not known yet</title></rect>"#,
        (PLOT_X1 - now).max(0.0),
        lay.bottom - AXIS_Y
    );
    for x in scale.minor_ticks() {
        wl!(
            out,
            r##"<line class="grid minor" x1="{x:.1}" y1="{AXIS_Y:.1}" x2="{x:.1}" y2="{:.1}" stroke="#ECEEF1" stroke-width="1"/>"##,
            lay.bottom
        );
    }
    let ticks = scale.ticks();
    for t in &ticks {
        wl!(
            out,
            r##"<line class="grid" x1="{x:.1}" y1="{AXIS_Y:.1}" x2="{x:.1}" y2="{:.1}" stroke="#D5D8DD" stroke-width="1"/>"##,
            lay.bottom,
            x = t.x
        );
        for (y, anchor) in [(AXIS_Y - 6.0, "middle"), (lay.bottom + 16.0, "middle")] {
            wl!(
                out,
                r##"<text class="tick" x="{:.1}" y="{y:.1}" text-anchor="{anchor}" fill="#333">{}</text>"##,
                t.x,
                esc(&t.label)
            );
        }
    }
    for y in [AXIS_Y, lay.bottom] {
        wl!(
            out,
            r##"<line x1="{PLOT_X0:.1}" y1="{y:.1}" x2="{PLOT_X1:.1}" y2="{y:.1}" stroke="#555" stroke-width="1"/>"##
        );
    }

    // Section headings.
    wl!(
        out,
        r##"<text x="8" y="{:.1}" font-weight="bold" fill="#222">Flags · stage at as_of</text>"##,
        flags_top + 14.0
    );
    wl!(
        out,
        r##"<text x="8" y="{:.1}" font-weight="bold" fill="#222">Observations by kind</text>"##,
        lay.lanes_top + 14.0
    );
    if case.flags.is_empty() {
        wl!(
            out,
            r##"<text x="{PLOT_X0:.1}" y="{:.1}" fill="#555">no flags at as_of</text>"##,
            flags_top + 14.0
        );
    }
    if case.observations.is_empty() {
        wl!(
            out,
            r##"<text x="{PLOT_X0:.1}" y="{:.1}" fill="#555">no observations recorded by as_of</text>"##,
            lay.lanes_top + HEADING_H + LANE_H / 2.0 + 4.0
        );
    }

    for (i, f) in case.flags.iter().enumerate() {
        let y = flags_top + HEADING_H + FLAG_ROW_H * i as f64 + FLAG_ROW_H / 2.0;
        flag_row(case, &scale, &lay, i + 1, f, y, out);
    }

    // Lanes: label and marks.
    for (i, lane) in case.lanes.iter().enumerate() {
        let y = lay.lanes_top + HEADING_H + LANE_H * i as f64 + LANE_H / 2.0;
        wl!(
            out,
            r##"<text class="lane" x="8" y="{:.1}" fill="#222"><title>{}</title>{}</text>"##,
            y + 4.0,
            esc(&lane.kinds.join(", ")),
            esc(&clip(&format!("{} ({})", lane.group, lane.count), 40))
        );
    }
    for (k, (o, (x, y))) in case.observations.iter().zip(&lay.marks).enumerate() {
        let n = k + 1;
        let mut classes = String::from("mark");
        if let Some(fs) = case.flags_of.get(k) {
            if !fs.is_empty() {
                classes.push_str(" ev");
            }
            for f in fs {
                w!(classes, " f{f}");
            }
        }
        let cp = o
            .counterpart
            .as_deref()
            .and_then(|c| case.counterpart_index(c));
        let (fill, sh) = symbol(cp);
        let r = if cp.is_some() { 6.0 } else { 5.0 };
        w!(
            out,
            r##"<a href="#es-row-{n}"><g class="{classes}" id="es-obs-{n}"><title>{}</title>"##,
            esc(&super::tooltip(o))
        );
        shape(out, sh, *x, *y, r, fill);
        out.push_str("</g></a>\n");
    }

    // as_of on top of everything.
    wl!(
        out,
        r##"<line class="asof" x1="{now:.1}" y1="{:.1}" x2="{now:.1}" y2="{:.1}" stroke="#111" stroke-width="1.5"/>"##,
        AXIS_Y - 2.0,
        lay.bottom
    );
    wl!(
        out,
        r##"<text x="{now:.1}" y="12" text-anchor="middle" font-weight="bold" fill="#111">as of {}</text>"##,
        esc(&case.as_of.format("%a %-d %b %H:%M").to_string())
    );
    out.push_str("</svg>");
}

/// One flag's row: its label and stage, its window shaded, a line joining its evidence with
/// lines down to the marks, and its marker at `raised_at`.
fn flag_row(
    case: &Case<'_>,
    scale: &Scale,
    lay: &Layout,
    n: usize,
    f: &Flag,
    y: f64,
    out: &mut String,
) {
    let win = &f.window;
    wl!(out, r#"<g class="flagrow f{n}" id="es-fg-{n}">"#);
    wl!(
        out,
        r##"<a href="#es-flag-{n}"><text x="8" y="{:.1}" fill="#0B3D91"><title>{}</title>{n}. {}</text></a>"##,
        y + 4.0,
        esc(&f.rule),
        esc(&clip(&f.rule, 34))
    );
    wl!(
        out,
        r##"<text class="stage stage-{s}" x="{:.1}" y="{:.1}" text-anchor="end" font-weight="bold">{s}</text>"##,
        PLOT_X0 - 8.0,
        y + 4.0,
        s = win.stage
    );
    // Shown across the lanes while the flag is picked (see the page's style).
    let (xo, xu, xc) = (
        scale.x(&win.opened_at),
        scale.x(&win.urgent_until),
        scale.x(&win.closes_at),
    );
    for (cls, a, b, fill) in [("urgent", xo, xu, URGENT), ("open", xu, xc, OPEN)] {
        if b > a {
            wl!(
                out,
                r#"<rect class="wbg {cls}" x="{a:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" fill-opacity="0.35"/>"#,
                lay.lanes_top + HEADING_H,
                b - a,
                lay.bottom - lay.lanes_top - HEADING_H - 4.0
            );
        }
    }
    let stages = [
        ("urgent", xo, xu, URGENT, &win.opened_at, &win.urgent_until),
        ("open", xu, xc, OPEN, &win.urgent_until, &win.closes_at),
        (
            "closed",
            xc,
            PLOT_X1,
            CLOSED,
            &win.closes_at,
            &win.closes_at,
        ),
    ];
    for (cls, a, b, fill, from, until) in stages {
        if b <= a {
            continue;
        }
        let what = if cls == "closed" {
            format!("closed from {}", format_timestamp(from))
        } else {
            format!(
                "{cls} from {} until {}",
                format_timestamp(from),
                format_timestamp(until)
            )
        };
        wl!(
            out,
            r#"<rect class="win {cls}" x="{a:.1}" y="{:.1}" width="{:.1}" height="12" fill="{fill}"><title>flag {n}: {}</title></rect>"#,
            y - 6.0,
            b - a,
            esc(&what)
        );
    }
    if scale.beyond(&win.closes_at) || scale.beyond(&win.urgent_until) {
        wl!(
            out,
            r##"<text x="{:.1}" y="{:.1}" fill="#333"><title>{}</title>›</text>"##,
            PLOT_X1 + 3.0,
            y + 4.0,
            esc(&format!(
                "the window runs on after the picture: urgent until {}, closes at {}",
                format_timestamp(&win.urgent_until),
                format_timestamp(&win.closes_at)
            ))
        );
    }
    // Evidence: beads on the row joined by a line, and a line down to each mark.
    let mut xs: Vec<f64> = Vec::new();
    for e in &f.evidence {
        let bead = scale.x(&e.at);
        xs.push(bead);
        if let Some((mx, my)) = case.index_of(&e.observation).and_then(|k| lay.marks.get(k)) {
            wl!(
                out,
                r##"<line class="drop" x1="{bead:.1}" y1="{:.1}" x2="{mx:.1}" y2="{my:.1}" stroke="#333" stroke-width="1" stroke-dasharray="3 3"/>"##,
                y + 6.0
            );
        }
    }
    let raised = scale.x(&f.raised_at);
    let lo = xs.iter().copied().fold(raised, f64::min);
    let hi = xs.iter().copied().fold(raised, f64::max);
    if hi > lo {
        wl!(
            out,
            r##"<line class="link" x1="{lo:.1}" y1="{y:.1}" x2="{hi:.1}" y2="{y:.1}" stroke="#222" stroke-width="2"/>"##
        );
    }
    for x in &xs {
        wl!(
            out,
            r##"<circle class="bead" cx="{x:.1}" cy="{y:.1}" r="3" fill="#222"/>"##
        );
    }
    wl!(
        out,
        r##"<a href="#es-flag-{n}"><path class="marker" d="M{raised:.1},{:.1}V{:.1}M{raised:.1},{:.1}L{:.1},{:.1}L{raised:.1},{:.1}Z" stroke="#111" stroke-width="1.5" fill="#111"><title>flag {n} ({}) raised at {}</title></path></a>"##,
        y + 8.0,
        y - 10.0,
        y - 10.0,
        raised + 9.0,
        y - 6.0,
        y - 2.0,
        esc(&f.rule),
        esc(&format_timestamp(&f.raised_at))
    );
    out.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_32_counterparts_get_distinct_symbols() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..32 {
            let (c, s) = symbol(Some(i));
            assert!(seen.insert((c, s as u8)), "counterpart {i} repeats");
        }
        assert_eq!(symbol(None).0, NEUTRAL);
    }

    #[test]
    fn clip_keeps_short_text_and_ellipsises_long_text() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("abcdefgh", 5), "abcd…");
    }
}
