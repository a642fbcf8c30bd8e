//! The structured case of the `structured_eval` target: an `arbitrary` structure rendered to a
//! small, mostly valid rule file and a YAML timeline, after the generators of
//! `tests/reference_model.rs` (a coarse 6-hour grid, few kinds and counterparts, windows in whole
//! hours, so that patterns fire and window edges are hit).

use arbitrary::Arbitrary;
use std::fmt::Write;

const KINDS: [&str; 5] = ["k.a", "k.b", "k.c", "m.x", "m.x.deep.er"];
const KIND_PATTERNS: [&str; 11] = [
    "k.a", "k.b", "k.c", "m.x", "k.*", "*.b", "m.*", "*", "k*", "*.*", "**",
];
const CHANNELS: [&str; 3] = ["in_person", "online.chat", "online.dating"];
const CHANNEL_PATTERNS: [&str; 5] = ["in_person", "online.chat", "online.*", "*", "*_*"];
const SOURCES: [&str; 3] = ["mentor", "school", "police"];
const COUNTERPARTS: [&str; 3] = ["c-1", "c-2", "c-10"];
const DURATIONS: [&str; 14] = [
    "1m", "90m", "12h", "1d", "36h", "2d", "2880m", "3d", "7d", "1w", "2w", "30d", "5200w", "0d",
];
const OFFSETS: [&str; 6] = ["Z", "+01:00", "+02:00", "+05:30", "-12:00", "+14:00"];
const DATES: [&str; 6] = [
    "2026-03-01", "2026-03-04", "2000-02-29", "2012-03-05", "1900-01-01", "9999-12-31",
];
const BOUNDS: [&str; 6] = [
    "2026-03-01",
    "2026-03-05",
    "2026-03-03T12:00:00+01:00",
    "2026-03-08T00:00:00Z",
    "0001-01-01",
    "9999-12-31T23:59:59+14:00",
];
const RESIDENCES: [&str; 3] = ["home", "institution.open", "institution.closed"];
const MESSAGES: [&str; 5] = [
    "{count} at {first_at} .. {last_at} within {within} ({gap})",
    "{counterpart} and {subject}: {indicators}",
    "{rule} {title} {{literal}}",
    "{unknown}",
    "unbalanced {",
];
const NUMBERS: [&str; 8] = ["0", "1", "2", "-1", "0.5", "1e308", "-0.0", "4.9e-324"];
const W_VALUES: [&str; 8] = ["1", "2", "'1'", "x", "yes", "on", "true", "false"];
const W_LITERALS: [&str; 4] = ["'*'", "x*", "o*", "'1*'"];
/// 6 hours in seconds: the grid.
const GRID: i64 = 6 * 3600;
/// 2026-03-01T00:00:00Z.
const BASE: i64 = 1_772_323_200;

fn pick<T: Copy>(table: &[T], i: u8) -> T {
    table[usize::from(i) % table.len()]
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum StrField {
    Kind,
    Channel,
    Counterpart,
    Source,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ByField {
    Kind,
    Channel,
    Counterpart,
    Source,
    AttrV,
    AttrW,
    SubjectAge,
}

impl ByField {
    fn name(self) -> &'static str {
        match self {
            ByField::Kind => "kind",
            ByField::Channel => "channel",
            ByField::Counterpart => "counterpart",
            ByField::Source => "source",
            ByField::AttrV => "attributes.v",
            ByField::AttrW => "attributes.w",
            ByField::SubjectAge => "subject.age",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum StrM {
    Scalar(u8),
    List(Vec<u8>),
    Eq(u8),
    In(Vec<u8>),
    Glob(u8),
    Not(u8),
    Exists(bool),
}

#[derive(Arbitrary, Debug)]
enum NumM {
    Eq(u8),
    Gt(u8),
    Gte(u8),
    Lt(u8),
    Lte(u8),
    Range(u8, u8),
    Exists(bool),
    Not(u8),
}

#[derive(Arbitrary, Debug)]
enum WM {
    Scalar(u8),
    Literal(u8),
    List(Vec<u8>),
    In(Vec<u8>),
    Gte(u8),
    Exists(bool),
    Not(u8),
}

#[derive(Arbitrary, Debug)]
enum Leaf {
    Str(StrField, StrM),
    V(NumM),
    W(WM),
    Age(NumM),
    Residence(StrM),
    Protected,
}

/// A predicate of leaves, with combinators of leaf-only predicates (depth at most 2).
#[derive(Arbitrary, Debug)]
struct Pred {
    leaves: Vec<Leaf>,
    not: Option<Vec<Leaf>>,
    any: Option<Vec<Vec<Leaf>>>,
    all: Option<Vec<Vec<Leaf>>>,
}

#[derive(Arbitrary, Debug)]
enum Pattern {
    Match(Pred),
    Count {
        pred: Pred,
        within: u8,
        at_least: u8,
        distinct: Option<ByField>,
        by: Option<ByField>,
    },
    Sequence {
        within: u8,
        steps: Vec<Pred>,
        by: Option<ByField>,
        until: Option<Pred>,
    },
    Absence {
        after: Pred,
        expect: Pred,
        within: u8,
        by: Option<ByField>,
    },
    Signals {
        within: u8,
        at_least: u8,
        of: Vec<Pred>,
    },
}

#[derive(Arbitrary, Debug)]
pub struct Rule {
    harm: bool,
    severity: u8,
    pattern: Pattern,
    unless: Vec<Pred>,
    cooldown: Option<u8>,
    urgent: Option<u8>,
    closes: Option<u8>,
    opens: Option<bool>,
    message: Option<u8>,
}

/// One observation in five bytes (a compact encoding, so that even short inputs give timelines
/// with several observations): see `render_obs`.
#[derive(Arbitrary, Debug)]
pub struct Obs([u8; 5]);

#[derive(Arbitrary, Debug)]
struct Fact {
    residence: u8,
    from: Option<u8>,
    until: Option<u8>,
}

#[derive(Arbitrary, Debug)]
pub struct SubjectSpec {
    born: Option<u8>,
    facts: [Option<Fact>; 2],
    /// Split into two documents after this many observations.
    split: Option<u8>,
}

#[derive(Arbitrary, Debug)]
pub struct Case {
    pub vocabulary: bool,
    /// Wide monitor limits or the defaults.
    pub wide: bool,
    pub as_of_slot: u8,
    pub as_of_offset: u8,
    /// Profiles of the subjects `y-1`, `y-2` and `y-10`.
    pub subjects: [SubjectSpec; 3],
    /// How many of `observations` are used (mod 33). (An array and a count rather than a `Vec`:
    /// `arbitrary` ends a `Vec` on the first odd "more?" byte, so random bytes give one or two.)
    pub n_obs: u8,
    /// Observations, each with the subject it is about (byte mod 3).
    pub observations: [(u8, Obs); 32],
    /// Arrival order for the monitor: observation `i` arrives in the order of `order[i]`.
    pub order: [u8; 32],
    /// Last, so that it gets the rest of the input.
    pub rules: Vec<Rule>,
}

fn str_table(field: StrField) -> &'static [&'static str] {
    match field {
        StrField::Kind => &KIND_PATTERNS,
        StrField::Channel => &CHANNEL_PATTERNS,
        StrField::Counterpart => &["c-1", "c-*", "c-10", "'1'"],
        StrField::Source => &["mentor", "school", "*o*", "police"],
    }
}

fn field_name(field: StrField) -> &'static str {
    match field {
        StrField::Kind => "kind",
        StrField::Channel => "channel",
        StrField::Counterpart => "counterpart",
        StrField::Source => "source",
    }
}

fn list(items: &[u8], table: &[&str]) -> String {
    let items: Vec<&str> = items.iter().take(3).map(|&i| pick(table, i)).collect();
    format!("[{}]", items.join(", "))
}

fn render_str_m(m: &StrM, table: &[&str]) -> String {
    match m {
        StrM::Scalar(i) => pick(table, *i).to_owned(),
        StrM::List(v) => list(v, table),
        StrM::Eq(i) => format!("{{eq: {}}}", pick(table, *i)),
        StrM::In(v) => format!("{{in: {}}}", list(v, table)),
        StrM::Glob(i) => format!("{{glob: '{}'}}", pick(table, *i).trim_matches('\'')),
        StrM::Not(i) => format!("{{not: {}}}", pick(table, *i)),
        StrM::Exists(b) => format!("{{exists: {b}}}"),
    }
}

fn render_num_m(m: &NumM) -> String {
    match m {
        NumM::Eq(i) => pick(&NUMBERS, *i).to_owned(),
        NumM::Gt(i) => format!("{{gt: {}}}", pick(&NUMBERS, *i)),
        NumM::Gte(i) => format!("{{gte: {}}}", pick(&NUMBERS, *i)),
        NumM::Lt(i) => format!("{{lt: {}}}", pick(&NUMBERS, *i)),
        NumM::Lte(i) => format!("{{lte: {}}}", pick(&NUMBERS, *i)),
        NumM::Range(a, b) => format!("{{gte: {}, lt: {}}}", pick(&NUMBERS, *a), pick(&NUMBERS, *b)),
        NumM::Exists(b) => format!("{{exists: {b}}}"),
        NumM::Not(i) => format!("{{not: {{lt: {}}}}}", pick(&NUMBERS, *i)),
    }
}

fn render_w_m(m: &WM) -> String {
    match m {
        WM::Scalar(i) => pick(&W_VALUES, *i).to_owned(),
        WM::Literal(i) => pick(&W_LITERALS, *i).to_owned(),
        WM::List(v) => list(v, &W_VALUES),
        WM::In(v) => format!("{{in: {}}}", list(v, &W_VALUES)),
        WM::Gte(i) => format!("{{gte: {}}}", pick(&NUMBERS, *i)),
        WM::Exists(b) => format!("{{exists: {b}}}"),
        WM::Not(i) => format!("{{not: {}}}", pick(&W_VALUES, *i)),
    }
}

fn render_leaf(l: &Leaf) -> String {
    match l {
        Leaf::Str(f, m) => format!("{}: {}", field_name(*f), render_str_m(m, str_table(*f))),
        Leaf::V(m) => format!("attributes.v: {}", render_num_m(m)),
        Leaf::W(m) => format!("attributes.w: {}", render_w_m(m)),
        Leaf::Age(m) => format!("subject.age: {}", render_num_m(m)),
        Leaf::Residence(m) => format!(
            "subject.residence: {}",
            render_str_m(m, &["home", "institution.*", "*.open", "foster"])
        ),
        Leaf::Protected => "attributes.religion: x".to_owned(),
    }
}

/// The first leaf per field (a key repeated in one mapping is a YAML error), at most four.
fn leaf_parts(leaves: &[Leaf]) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for l in leaves {
        let text = render_leaf(l);
        let key = text.split(':').next().unwrap_or("").to_owned();
        if parts.len() < 4 && !parts.iter().any(|p| p.split(':').next() == Some(key.as_str())) {
            parts.push(text);
        }
    }
    parts
}

fn render_leaves(leaves: &[Leaf]) -> String {
    let mut parts = leaf_parts(leaves);
    if parts.is_empty() {
        parts.push("kind: k.b".to_owned());
    }
    format!("{{{}}}", parts.join(", "))
}

fn render_pred(p: &Pred) -> String {
    let mut parts = leaf_parts(&p.leaves);
    if let Some(n) = &p.not {
        parts.push(format!("not: {}", render_leaves(n)));
    }
    for (name, combo) in [("any", &p.any), ("all", &p.all)] {
        if let Some(c) = combo {
            let items: Vec<String> = c.iter().take(3).map(|l| render_leaves(l)).collect();
            parts.push(format!("{name}: [{}]", items.join(", ")));
        }
    }
    if parts.is_empty() {
        // `{}` is a load error; keep most predicates loadable.
        parts.push("kind: k.a".to_owned());
    }
    format!("{{{}}}", parts.join(", "))
}

pub fn render_rules(case: &Case) -> String {
    let mut y = String::new();
    if case.vocabulary {
        y.push_str(
            "vocabulary:\n  kinds:\n    k.a: { attributes: { v: { type: number }, w: { type: string } } }\n    k.b: { attributes: { v: { type: number } } }\n    k.c: {}\n    m.x: { attributes: { w: { type: string } } }\n    m.x.deep.er: {}\n  channels: [in_person, online.chat, online.dating]\n  sources: [mentor, school, police]\n  facts:\n    residence: { values: [home, institution.open, institution.closed] }\n  protected: [secret]\n",
        );
    }
    y.push_str("rules:\n");
    for (n, r) in case.rules.iter().take(4).enumerate() {
        let _ = writeln!(y, "  - id: r-{}", n + 1);
        let _ = writeln!(y, "    version: {}", n + 1);
        let _ = writeln!(y, "    title: fuzz rule {}", n + 1);
        let _ = writeln!(y, "    class: {}", if r.harm { "harm" } else { "risk" });
        let _ = writeln!(
            y,
            "    severity: {}",
            pick(&["low", "medium", "high", "critical"], r.severity)
        );
        y.push_str("    rationale: generated by the structured fuzz target\n    when:\n");
        let dur = |i: &u8| pick(&DURATIONS, *i);
        match &r.pattern {
            Pattern::Match(p) => {
                let _ = writeln!(y, "      match: {}", render_pred(p));
            }
            Pattern::Count { pred, within, at_least, distinct, by } => {
                let _ = writeln!(y, "      count:\n        match: {}", render_pred(pred));
                let _ = writeln!(y, "        within: {}", dur(within));
                let _ = writeln!(y, "        at_least: {}", at_least % 4 + 1);
                if let Some(d) = distinct {
                    let _ = writeln!(y, "        distinct: {}", d.name());
                }
                if let Some(b) = by {
                    let _ = writeln!(y, "        by: {}", b.name());
                }
            }
            Pattern::Sequence { within, steps, by, until } => {
                let _ = writeln!(y, "      sequence:\n        within: {}", dur(within));
                if let Some(b) = by {
                    let _ = writeln!(y, "        by: {}", b.name());
                }
                y.push_str("        steps:\n");
                for s in steps.iter().take(4) {
                    let _ = writeln!(y, "          - {}", render_pred(s));
                }
                if let Some(u) = until {
                    let _ = writeln!(y, "        until: {}", render_pred(u));
                }
            }
            Pattern::Absence { after, expect, within, by } => {
                let _ = writeln!(y, "      absence:\n        after: {}", render_pred(after));
                let _ = writeln!(y, "        expect: {}", render_pred(expect));
                let _ = writeln!(y, "        within: {}", dur(within));
                if let Some(b) = by {
                    let _ = writeln!(y, "        by: {}", b.name());
                }
            }
            Pattern::Signals { within, at_least, of } => {
                let n = of.len().clamp(1, 4);
                let _ = writeln!(y, "      signals:\n        within: {}", dur(within));
                let _ = writeln!(y, "        at_least: {}", usize::from(*at_least) % n + 1);
                y.push_str("        of:\n");
                for (i, p) in of.iter().take(4).enumerate() {
                    let _ = writeln!(y, "          {}: {}", ["money", "missing_x", "pick-up", "on2"][i], render_pred(p));
                }
            }
        }
        if !r.unless.is_empty() {
            y.push_str("    unless:\n");
            for u in r.unless.iter().take(2) {
                let _ = writeln!(y, "      - {{ reason: fuzz, match: {} }}", render_pred(u));
            }
        }
        if let Some(c) = &r.cooldown {
            let _ = writeln!(y, "    cooldown: {}", dur(c));
        }
        if r.urgent.is_some() || r.closes.is_some() || r.opens.is_some() {
            let mut w = Vec::new();
            if let Some(u) = &r.urgent {
                w.push(format!("urgent: {}", dur(u)));
            }
            if let Some(c) = &r.closes {
                w.push(format!("closes: {}", dur(c)));
            }
            if let Some(o) = r.opens {
                w.push(format!("opens: {}", if o { "evidence" } else { "first_contact" }));
            }
            let _ = writeln!(y, "    window: {{ {} }}", w.join(", "));
        }
        if let Some(m) = &r.message {
            let _ = writeln!(y, "    message: \"{}\"", pick(&MESSAGES, *m));
        }
    }
    y
}

/// `BASE + slot·6h + jitter`, written in one of the offsets.
pub fn timestamp(slot: i64, jitter: u8, offset: u8) -> String {
    let jitter_ns: i64 = [0, 1, -1, 1_000_000_000, -1_000_000_000, 60_000_000_000][usize::from(jitter) % 6];
    let ns = (BASE + slot * GRID) as i128 * 1_000_000_000 + i128::from(jitter_ns);
    let secs = ns.div_euclid(1_000_000_000) as i64;
    let sub = ns.rem_euclid(1_000_000_000) as u32;
    let off = pick(&OFFSETS, offset);
    let off_secs = match off {
        "Z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let h: i32 = o[1..3].parse().unwrap();
            let m: i32 = o[4..6].parse().unwrap();
            sign * (h * 3600 + m * 60)
        }
    };
    let fixed = chrono::DateTime::from_timestamp(secs, sub)
        .map(|t| t.with_timezone(&chrono::FixedOffset::east_opt(off_secs).unwrap()));
    fixed.map_or_else(|| "2026-03-01T00:00:00Z".to_owned(), |t| t.to_rfc3339())
}

pub fn render_timeline(case: &Case) -> String {
    let mut docs = Vec::new();
    for (n, s) in case.subjects.iter().enumerate() {
        let id = ["y-1", "y-2", "y-10"][n];
        let mut head = format!("subject: {id}\n");
        if let Some(b) = s.born {
            let _ = writeln!(head, "born: {}", pick(&DATES, b));
        }
        if s.facts.iter().any(Option::is_some) {
            head.push_str("facts:\n");
            for f in s.facts.iter().flatten() {
                let _ = write!(head, "  - {{ name: residence, value: {}", pick(&RESIDENCES, f.residence));
                if let Some(b) = f.from {
                    let _ = write!(head, ", from: '{}'", pick(&BOUNDS, b));
                }
                if let Some(b) = f.until {
                    let _ = write!(head, ", until: '{}'", pick(&BOUNDS, b));
                }
                head.push_str(" }\n");
            }
        }
        let obs: Vec<String> = case
            .observations
            .iter()
            .take(usize::from(case.n_obs % 33))
            .filter(|(to, _)| usize::from(*to % 3) == n)
            .map(|(_, o)| render_obs(o))
            .collect();
        let cut = s.split.map_or(obs.len(), |c| usize::from(c).min(obs.len()));
        if obs.is_empty() {
            docs.push(format!("{head}observations: []\n"));
        } else {
            docs.push(format!("{head}observations:\n{}", obs[..cut].concat()));
            if cut < obs.len() {
                docs.push(format!("subject: {id}\nobservations:\n{}", obs[cut..].concat()));
            }
        }
    }
    docs.join("---\n")
}

fn render_obs(o: &Obs) -> String {
    let [a, b, c, d, e] = o.0;
    let slot = i64::from(a & 63);
    let mut parts = Vec::new();
    if d & 32 == 0 {
        parts.push(format!("id: o-{}", d & 31));
    }
    parts.push(format!("at: {}", timestamp(slot, b & 7, (b >> 3) & 7)));
    if a & 128 != 0 {
        let delta = i64::from(b >> 6) * 2 - 1; // -1, 1, 3 or 5 slots
        parts.push(format!("recorded_at: {}", timestamp(slot + delta, 0, e >> 5)));
    }
    parts.push(format!("kind: {}", pick(&KINDS, c & 7)));
    if (c >> 3) & 3 != 0 {
        parts.push(format!("channel: {}", pick(&CHANNELS, ((c >> 3) & 3) - 1)));
    }
    if (c >> 5) & 3 != 0 {
        parts.push(format!("counterpart: {}", pick(&COUNTERPARTS, ((c >> 5) & 3) - 1)));
    }
    if d >> 6 != 0 {
        parts.push(format!("source: {}", pick(&SOURCES, (d >> 6) - 1)));
    }
    let mut attrs = Vec::new();
    if e & 8 != 0 {
        attrs.push(format!("v: {}", pick(&NUMBERS, e & 7)));
    }
    if e & 16 != 0 {
        attrs.push(format!("w: {}", pick(&W_VALUES, (e >> 5) ^ (c >> 7))));
    }
    if a & 64 != 0 && c & 128 != 0 {
        attrs.push("religion: x".to_owned());
    }
    if !attrs.is_empty() {
        parts.push(format!("attributes: {{ {} }}", attrs.join(", ")));
    }
    format!("  - {{ {} }}\n", parts.join(", "))
}

