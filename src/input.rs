//! Timeline records: YAML subject documents and JSON Lines, turned into subjects and observations.
//! Each bad record is rejected on its own with its file, line and reason.

use crate::attributes::{Attributes, Pairs};
use crate::name::Name;
use crate::node::{Node, NodeKind, Pos};
use crate::report::Rejection;
use crate::time::{Timestamp, parse_date, parse_timestamp};
use crate::timeline::{
    Bound, Copies, Fact, LineObservation, Observation, Origin, Subject, Timeline, parse_bound,
    pos_origin, scalar_value,
};
use crate::vocabulary::{Vocabulary, did_you_mean};
use serde::Deserialize;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::sync::Arc;

/// What a JSON Lines file holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Record {
    Observation,
    Subject,
}

pub(crate) const OBSERVATION_FIELDS: &[&str] = &[
    "id",
    "at",
    "recorded_at",
    "kind",
    "channel",
    "counterpart",
    "source",
    "attributes",
    "subject",
];
pub(crate) const SUBJECT_FIELDS: &[&str] = &["subject", "born", "facts", "observations"];
pub(crate) const FACT_FIELDS: &[&str] = &["name", "value", "from", "until"];

fn text_field(node: &Node, name: &str) -> Result<String, String> {
    match node.as_text() {
        Some(s) => Ok(s.to_owned()),
        None => Err(format!(
            "`{name}` must be a string, found {}",
            node.describe()
        )),
    }
}

fn opt_text(node: Option<&Node>, name: &str) -> Result<Option<String>, String> {
    match node {
        None => Ok(None),
        Some(n) if n.kind == NodeKind::Null => Ok(None),
        Some(n) => text_field(n, name).map(Some),
    }
}

fn check_fields(
    entries: &[(Node, Node)],
    allowed: &[&str],
    what: &str,
) -> Result<(), (Pos, String)> {
    for (k, _) in entries {
        let key = k.as_text().unwrap_or("");
        if !allowed.contains(&key) {
            return Err((
                k.pos,
                format!(
                    "unknown field `{key}` in {what}{}; fields are {}",
                    did_you_mean(key, allowed.iter().copied()),
                    crate::vocabulary::list(allowed)
                ),
            ));
        }
    }
    Ok(())
}

fn get<'n>(entries: &'n [(Node, Node)], name: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
}

/// Converts one observation record. Returns the `subject` field when present.
pub(crate) fn observation_from_node(
    node: &Node,
    default_id: Option<String>,
) -> Result<(Option<String>, Observation), (Pos, String)> {
    let Some(entries) = node.as_map() else {
        return Err((
            node.pos,
            format!(
                "an observation must be {}, found {}",
                node.mapping(),
                node.describe()
            ),
        ));
    };
    check_fields(entries, OBSERVATION_FIELDS, "an observation")?;
    let at_pos = |name: &str| get(entries, name).map(|n| n.pos).unwrap_or(node.pos);
    let e = |name: &str, msg: String| (at_pos(name), msg);
    let subject = opt_text(get(entries, "subject"), "subject").map_err(|m| e("subject", m))?;
    let id = match opt_text(get(entries, "id"), "id").map_err(|m| e("id", m))? {
        Some(id) => id,
        None => default_id.ok_or_else(|| {
            e(
                "id",
                "observation has no `id`; bulk input needs a unique id per observation".into(),
            )
        })?,
    };
    let at = match get(entries, "at") {
        None => {
            return Err((
                node.pos,
                format!(
                    "observation has no `at`; give when it happened, e.g. `{}`",
                    node.field("at", "2026-03-02T21:14:00+01:00")
                ),
            ));
        }
        Some(n) => parse_timestamp(&text_field(n, "at").map_err(|m| (n.pos, m))?)
            .map_err(|m| (n.pos, format!("`at`: {m}")))?,
    };
    let recorded_at = match opt_text(get(entries, "recorded_at"), "recorded_at")
        .map_err(|m| e("recorded_at", m))?
    {
        Some(t) => {
            Some(parse_timestamp(&t).map_err(|m| e("recorded_at", format!("`recorded_at`: {m}")))?)
        }
        None => None,
    };
    let kind = match opt_text(get(entries, "kind"), "kind").map_err(|m| e("kind", m))? {
        Some(k) if !k.is_empty() => k,
        _ => {
            return Err((
                node.pos,
                format!(
                    "observation has no `kind`; give a kind from the vocabulary, e.g. `{}`",
                    node.field("kind", "contact.new")
                ),
            ));
        }
    };
    let mut attributes = Attributes::new();
    if let Some(a) = get(entries, "attributes") {
        match &a.kind {
            NodeKind::Null => {}
            NodeKind::Map(items) => {
                if items.len() > Attributes::MAX {
                    return Err((
                        a.pos,
                        format!(
                            "{} attributes, more than the {} one observation may carry",
                            items.len(),
                            Attributes::MAX
                        ),
                    ));
                }
                let mut pairs = Pairs::with_capacity(items.len());
                for (k, v) in items {
                    let name = k
                        .as_text()
                        .ok_or((k.pos, "attribute names must be strings".to_string()))?;
                    // An attribute given as null is absent (design §8).
                    if let Some(value) =
                        scalar_value(v).map_err(|m| (v.pos, format!("attribute `{name}`: {m}")))?
                    {
                        pairs.push((Name::from(name), value));
                    }
                }
                attributes = Attributes::from_pairs(pairs).map_err(|n| {
                    (
                        a.pos,
                        format!("attribute `{n}` is given twice; give each attribute once"),
                    )
                })?;
            }
            _ => {
                return Err((
                    a.pos,
                    format!(
                        "`attributes` must be {} of scalars, found {}",
                        a.mapping(),
                        a.describe()
                    ),
                ));
            }
        }
    }
    let o = Observation {
        id: id.into(),
        at,
        recorded_at,
        kind: kind.into(),
        channel: opt_text(get(entries, "channel"), "channel")
            .map_err(|m| e("channel", m))?
            .map(Name::from),
        counterpart: opt_text(get(entries, "counterpart"), "counterpart")
            .map_err(|m| e("counterpart", m))?
            .map(Name::from),
        source: opt_text(get(entries, "source"), "source")
            .map_err(|m| e("source", m))?
            .map(Name::from),
        attributes,
    };
    Ok((subject, o))
}

fn fact_from_node(node: &Node) -> Result<Fact, (Pos, String)> {
    let Some(entries) = node.as_map() else {
        return Err((
            node.pos,
            format!(
                "a fact must be {} like `{{ {}, {}, {} }}`, found {}",
                node.mapping(),
                node.field("name", "residence"),
                node.field("value", "home"),
                node.field("from", "2026-01-10"),
                node.describe()
            ),
        ));
    };
    check_fields(entries, FACT_FIELDS, "a fact")?;
    let name = match get(entries, "name") {
        Some(n) => text_field(n, "name").map_err(|m| (n.pos, m))?,
        None => return Err((node.pos, "fact has no `name`".into())),
    };
    let value = match get(entries, "value") {
        Some(v) => scalar_value(v)
            .map_err(|m| (v.pos, format!("fact `{name}`: {m}")))?
            .ok_or((v.pos, format!("fact `{name}` has a null value")))?,
        None => return Err((node.pos, format!("fact `{name}` has no `value`"))),
    };
    let bound = |field: &str| -> Result<_, (Pos, String)> {
        match get(entries, field) {
            None => Ok(None),
            Some(n) if n.kind == NodeKind::Null => Ok(None),
            Some(n) => {
                let t = text_field(n, field).map_err(|m| (n.pos, m))?;
                parse_bound(&t)
                    .map(Some)
                    .map_err(|m| (n.pos, format!("fact `{name}` `{field}`: {m}")))
            }
        }
    };
    let from = bound("from")?;
    let until = bound("until")?;
    let show = |b: &Option<Bound>| match b {
        Some(Bound::Date(d)) => d.to_string(),
        Some(Bound::Instant(t)) => crate::time::format_timestamp(t),
        None => String::new(),
    };
    if never_valid(from, until) {
        let pos = get(entries, "until").map_or(node.pos, |n| n.pos);
        return Err((
            pos,
            format!(
                "fact `{name}` has `until` {} on or before its `from` {}, so it is never valid (`until` is exclusive); check the two dates",
                show(&until),
                show(&from)
            ),
        ));
    }
    Ok(Fact {
        name,
        value,
        from,
        until,
    })
}

/// Whether a fact valid `from` `until` is never valid: `until` (exclusive) on or before `from`,
/// both dates or both instants.
fn never_valid(from: Option<Bound>, until: Option<Bound>) -> bool {
    match (from, until) {
        (Some(Bound::Date(f)), Some(Bound::Date(u))) => u <= f,
        (Some(Bound::Instant(f)), Some(Bound::Instant(u))) => u <= f,
        _ => false,
    }
}

/// Converts a subject record's profile (not its observations).
fn subject_from_entries(
    node: &Node,
    entries: &[(Node, Node)],
    file: &Arc<str>,
    tl: &mut Timeline,
) -> Option<Subject> {
    let reject = |tl: &mut Timeline, pos: Pos, subject: Option<&str>, reason: String| {
        tl.reject(Rejection::at(
            reason,
            Some(&pos_origin(file, pos)),
            subject,
            None,
        ));
    };
    let id = match get(entries, "subject").map(|n| text_field(n, "subject").map_err(|m| (n.pos, m)))
    {
        Some(Ok(id)) if !id.is_empty() => id,
        Some(Err((p, m))) => {
            reject(tl, p, None, m);
            return None;
        }
        _ => {
            reject(
                tl,
                node.pos,
                None,
                format!(
                    "record has no `subject`; give the youth's pseudonymous id, e.g. `{}`",
                    node.field("subject", "y-1042")
                ),
            );
            return None;
        }
    };
    let born = match get(entries, "born") {
        None => None,
        Some(n) if n.kind == NodeKind::Null => None,
        Some(n) => match n
            .as_text()
            .ok_or_else(|| format!("`born` must be a date, found {}", n.describe()))
            .and_then(|t| parse_date(t).map_err(|m| format!("`born`: {m}")))
        {
            Ok(d) => Some(d),
            Err(m) => {
                reject(
                    tl,
                    n.pos,
                    Some(&id),
                    format!("{m}; the subject is kept without `born`"),
                );
                None
            }
        },
    };
    let mut facts = Vec::new();
    match get(entries, "facts").map(|n| (n, &n.kind)) {
        None | Some((_, NodeKind::Null)) => {}
        Some((_, NodeKind::Seq(items))) => {
            for f in items {
                // Checked here, where the fact's position is known; protected facts pass on, to
                // be removed with a warning when the profile is added.
                let checked = fact_from_node(f).and_then(|fact| {
                    match tl.vocabulary().filter(|v| !v.is_protected(&fact.name)) {
                        Some(v) => v
                            .check_fact(&fact.name, &fact.value)
                            .map(|()| fact)
                            .map_err(|m| (f.pos, m)),
                        None => Ok(fact),
                    }
                });
                match checked {
                    Ok(f) => facts.push(f),
                    Err((p, m)) => reject(tl, p, Some(&id), m),
                }
            }
        }
        Some((n, _)) => reject(
            tl,
            n.pos,
            Some(&id),
            format!("`facts` must be {}, found {}", n.list(), n.describe()),
        ),
    }
    Some(Subject {
        id: id.into(),
        born,
        facts,
    })
}

/// Reads one YAML subject document into the timeline.
pub(crate) fn read_subject_document(tl: &mut Timeline, file: &Arc<str>, doc: &Node) {
    let Some(entries) = doc.as_map() else {
        tl.reject(Rejection::at(
            format!(
                "a timeline document must be a mapping with `subject` and `observations`, found {}",
                doc.describe()
            ),
            Some(&pos_origin(file, doc.pos)),
            None,
            None,
        ));
        return;
    };
    if let Err((p, m)) = check_fields(entries, SUBJECT_FIELDS, "a subject document") {
        tl.reject(Rejection::at(m, Some(&pos_origin(file, p)), None, None));
    }
    let Some(subject) = subject_from_entries(doc, entries, file, tl) else {
        if let Some(NodeKind::Seq(obs)) = get(entries, "observations").map(|n| &n.kind) {
            tl.reject(Rejection::at(
                format!("{} observations of this document were not read because its subject is not valid", obs.len()),
                Some(&pos_origin(file, doc.pos)),
                None,
                None,
            ));
        }
        return;
    };
    let id = subject.id.clone();
    let origin = pos_origin(file, doc.pos);
    if let Err(e) = tl.add_subject_from(subject, Some(origin.clone())) {
        tl.reject(Rejection::at(e.reason, Some(&origin), Some(&id), None));
        // The profile does not fit the subject already known: its observations may belong to
        // someone else, so none of them is merged. Each is reported.
        if let Some(NodeKind::Seq(items)) = get(entries, "observations").map(|n| &n.kind) {
            for item in items {
                tl.reject(Rejection::at(
                    format!("not read: the profile of subject `{id}` in this document was refused (see above)"),
                    Some(&pos_origin(file, item.pos)),
                    Some(&id),
                    record_id(item),
                ));
            }
        }
        return;
    }
    match get(entries, "observations").map(|n| (n, &n.kind)) {
        None | Some((_, NodeKind::Null)) => {}
        Some((_, NodeKind::Seq(items))) => {
            for (i, item) in items.iter().enumerate() {
                add_observation_node(tl, file, item, &id, Some(format!("#{}", i + 1)));
            }
        }
        Some((n, _)) => tl.reject(Rejection::at(
            format!("`observations` must be a list, found {}", n.describe()),
            Some(&pos_origin(file, n.pos)),
            Some(&id),
            None,
        )),
    }
}

fn add_observation_node(
    tl: &mut Timeline,
    file: &Arc<str>,
    item: &Node,
    subject: &str,
    default_id: Option<String>,
) {
    let origin = pos_origin(file, item.pos);
    match observation_from_node(item, default_id) {
        Ok((inner, o)) => {
            if let Some(s) = inner.filter(|s| s != subject) {
                tl.reject(Rejection::at(
                    format!("observation names subject `{s}` inside the document of subject `{subject}`; move it or correct the `subject` field"),
                    Some(&origin),
                    Some(subject),
                    Some(&o.id),
                ));
                return;
            }
            if let Err((e, id)) =
                tl.add_observation_from(subject, o, Some(origin.clone()), Copies::AsGiven)
            {
                tl.reject(Rejection::at(
                    e.reason,
                    Some(&origin),
                    Some(subject),
                    Some(&id),
                ));
            }
        }
        Err((p, m)) => tl.reject(Rejection::at(
            m,
            Some(&pos_origin(file, p)),
            Some(subject),
            record_id(item),
        )),
    }
}

/// The id of a record that could not be converted, when it has a readable one.
fn record_id(node: &Node) -> Option<&str> {
    node.as_map()
        .and_then(|e| get(e, "id"))
        .and_then(Node::as_text)
}

/// A JSON error in plain words, with the column (the line is the record's own).
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json counts lines within the one line it was given: drop its position, keep the column.
    let what = text
        .rfind(" at line ")
        .and_then(|i| text.get(..i))
        .unwrap_or(&text);
    if what.contains("recursion limit") {
        return format!(
            "not valid JSON at column {}: nested more than 128 levels deep; a record is a flat object with one `attributes` object",
            e.column()
        );
    }
    let hint = if what.contains("expected value") {
        " (`NaN`, `Infinity`, single quotes and trailing commas are not JSON)"
    } else if what.contains("EOF while parsing") {
        " (the line ends before the record does: is it cut off?)"
    } else {
        ""
    };
    format!("not valid JSON at column {}: {what}{hint}", e.column())
}

/// Deserialises any JSON and refuses an object that gives one key twice.
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeysVisitor)
    }
}

struct NoDuplicateKeysVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeysVisitor {
    type Value = NoDuplicateKeys;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_unit<E>(self) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_none<E>(self) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<NoDuplicateKeys, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<NoDuplicateKeys, A::Error> {
        // Keyed hashing: the keys come from input.
        let mut seen: std::collections::HashSet<Cow<'de, str>> = std::collections::HashSet::new();
        while let Some(k) = map.next_key::<Cow<'de, str>>()? {
            if seen.contains(&k) {
                return Err(serde::de::Error::custom(format!(
                    "key `{k}` appears twice in one object; give each key once"
                )));
            }
            map.next_value::<NoDuplicateKeys>()?;
            seen.insert(k);
        }
        Ok(NoDuplicateKeys)
    }
}

fn json_to_node(v: &serde_json::Value, line: u32) -> Node {
    use serde_json::Value as J;
    let pos = Pos { line, column: 0 };
    let kind = match v {
        J::Null => NodeKind::Null,
        J::Bool(b) => NodeKind::Bool(*b),
        J::Number(n) => NodeKind::Number(n.as_f64().unwrap_or(f64::NAN), n.to_string()),
        J::String(s) => NodeKind::Str(s.clone()),
        J::Array(items) => NodeKind::Seq(items.iter().map(|i| json_to_node(i, line)).collect()),
        J::Object(m) => NodeKind::Map(
            m.iter()
                .map(|(k, v)| {
                    let key = Node {
                        json: true,
                        ..Node::new(NodeKind::Str(k.clone()), pos)
                    };
                    (key, json_to_node(v, line))
                })
                .collect(),
        ),
    };
    Node {
        json: true,
        ..Node::new(kind, pos)
    }
}

/// Reads JSON Lines of observations or of subjects.
/// Each line is decoded on its own, so a line with bytes that are not UTF-8 is rejected alone.
pub(crate) fn read_jsonl(tl: &mut Timeline, file: &str, bytes: &[u8], record: Record) {
    let file: Arc<str> = Arc::from(file);
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        read_jsonl_line(tl, &file, n, raw, record);
    }
}

/// Reads JSON Lines from `reader` line by line, so that the input is never held whole.
pub(crate) fn read_jsonl_from(
    tl: &mut Timeline,
    file: &str,
    mut reader: impl std::io::BufRead,
    record: Record,
) -> std::io::Result<()> {
    use std::io::{BufRead, Read};
    let file: Arc<str> = Arc::from(file);
    let max = tl.limits().max_line_bytes;
    let mut line = Vec::new();
    let mut n: u32 = 0;
    loop {
        line.clear();
        // At most one byte more than allowed is kept: a line without end is not read into memory.
        // Room for the line, a `\r\n` ending, and one byte more to tell that it is too long.
        let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(2);
        if (&mut reader).take(cap).read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        n = n.saturating_add(1);
        if line.len() > max.saturating_add(1) && !line.ends_with(b"\n") {
            let rest = skip_line(&mut reader)?;
            let bytes = line.len().saturating_add(rest);
            tl.reject(too_long(&file, n, bytes, max));
            continue;
        }
        let raw = line.strip_suffix(b"\n").unwrap_or(&line);
        read_jsonl_line(tl, &file, n, raw, record);
    }
}

/// Consumes the rest of a line (through its newline); returns the bytes skipped before it.
pub(crate) fn skip_line(reader: &mut impl std::io::BufRead) -> std::io::Result<usize> {
    let mut skipped = 0usize;
    loop {
        // As `read_until` does: an interrupted read is tried again.
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(skipped);
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(skipped.saturating_add(i));
            }
            None => {
                let len = buf.len();
                reader.consume(len);
                skipped = skipped.saturating_add(len);
            }
        }
    }
}

/// The rejection of a line longer than [`Limits::max_line_bytes`](crate::Limits::max_line_bytes).
pub(crate) fn too_long(file: &Arc<str>, line: u32, bytes: usize, max: usize) -> Rejection {
    let origin = Origin {
        file: file.clone(),
        line,
        column: 0,
    };
    Rejection::at(
        format!(
            "line is {bytes} bytes, more than the {max} allowed (`max_line_bytes`); an observation takes a few hundred bytes: check that the file is JSON Lines with one record per line"
        ),
        Some(&origin),
        None,
        None,
    )
}

/// One line read as an observation into the empty timeline `tl`, which keeps nothing of it (see
/// [`Timeline::read_observation_line`]).
pub(crate) fn read_observation_line(
    tl: &mut Timeline,
    file: &str,
    n: u32,
    line: &str,
) -> Result<LineObservation, Rejection> {
    let file: Arc<str> = Arc::from(file);
    let origin = Origin {
        file: file.clone(),
        line: n,
        column: 0,
    };
    let plain = line.trim_start_matches('\u{feff}').trim();
    if plain.contains('\n') {
        return Err(Rejection::at(
            "the text holds more than one line; JSON Lines has one record per line".into(),
            Some(&origin),
            None,
            None,
        ));
    }
    // The common case straight through the checks; anything else (and every refusal of the
    // reader's own) takes the reader's path, which words it exactly as `read_jsonl` does. The
    // checks against what is held cannot refuse a first record unless a limit is zero.
    let limits = tl.limits();
    if line.len() <= limits.max_line_bytes
        && limits.max_subjects > 0
        && limits.max_observations_per_subject > 0
        && let Some((subject, o)) = fast_observation(plain, tl.vocabulary().map(|v| &**v))
    {
        return match tl.check_observation_from(&subject, o, Some(&origin), Copies::Shared) {
            Ok(observation) => Ok(LineObservation {
                subject: subject.into_owned(),
                observation,
                warnings: std::mem::take(&mut tl.warnings),
            }),
            Err((e, id)) => Err(Rejection::at(
                e.reason,
                Some(&origin),
                Some(&subject),
                Some(&id),
            )),
        };
    }
    read_jsonl_line(tl, &file, n, line.as_bytes(), Record::Observation);
    if let Some(r) = tl.rejected().first() {
        return Err(r.clone());
    }
    let warnings = std::mem::take(&mut tl.warnings);
    let read = tl.subjects().next().and_then(|st| {
        let o = st.observations().first()?;
        Some((st.subject().id.to_string(), o.clone()))
    });
    match read {
        Some((subject, observation)) => Ok(LineObservation {
            subject,
            observation,
            warnings,
        }),
        None => Err(Rejection::at(
            "the line holds no observation".into(),
            Some(&origin),
            None,
            None,
        )),
    }
}

/// One line of JSON Lines (line number `n`, without its newline).
pub(crate) fn read_jsonl_line(
    tl: &mut Timeline,
    file: &Arc<str>,
    n: u32,
    raw: &[u8],
    record: Record,
) {
    let max = tl.limits().max_line_bytes;
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.len() > max {
        tl.reject(too_long(file, n, raw.len(), max));
        return;
    }
    let origin = Origin {
        file: file.clone(),
        line: n,
        column: 0,
    };
    let line = match std::str::from_utf8(raw) {
        Ok(line) => line,
        Err(e) => {
            tl.reject(Rejection::at(
                format!(
                    "line is not valid UTF-8 (bad byte at column {}); input must be UTF-8 text",
                    e.valid_up_to() + 1
                ),
                Some(&origin),
                None,
                None,
            ));
            return;
        }
    };
    let line = line.trim_start_matches('\u{feff}').trim();
    if line.is_empty() {
        return;
    }
    // The common case, a well-formed observation, is read straight into its fields; anything
    // unusual takes the general path below, which gives the precise message.
    if let Record::Observation = record
        && let Some(p) = fast_plain(line)
    {
        add_plain(tl, origin, p);
        return;
    }
    // The same for a subject record whose fields are all as expected.
    if let Record::Subject = record
        && let Some(s) = fast_subject(line, tl.vocabulary().map(|v| &**v))
    {
        add_subject_line(tl, s, &origin);
        return;
    }
    // A key given twice would otherwise keep its last value silently (design §8: an error).
    let value: serde_json::Value = match serde_json::from_str::<NoDuplicateKeys>(line)
        .and_then(|_| serde_json::from_str(line))
    {
        Ok(v) => v,
        Err(e) => {
            tl.reject(Rejection::at(json_error(&e), Some(&origin), None, None));
            return;
        }
    };
    let node = json_to_node(&value, n);
    match record {
        Record::Observation => match observation_from_node(&node, None) {
            Ok((Some(subject), o)) if !subject.is_empty() => {
                if let Err((e, id)) = tl.add_observation_from(&subject, o, Some(origin.clone()), Copies::AsGiven) {
                    tl.reject(Rejection::at(e.reason, Some(&origin), Some(&subject), Some(&id)));
                }
            }
            Ok((_, o)) => tl.reject(Rejection::at(
                "observation has no `subject`; JSON Lines observations need the youth's pseudonymous id in `subject`".into(),
                Some(&origin),
                None,
                Some(&o.id),
            )),
            Err((_, m)) => {
                let subject = node.as_map().and_then(|e| get(e, "subject")).and_then(Node::as_text);
                tl.reject(Rejection::at(m, Some(&origin), subject, record_id(&node)));
            }
        },
        Record::Subject => {
            let Some(entries) = node.as_map() else {
                tl.reject(Rejection::at(format!("a subject record must be an object, found {}", node.describe()), Some(&origin), None, None));
                return;
            };
            if let Err((_, m)) = check_fields(entries, SUBJECT_FIELDS.get(..3).unwrap_or_default(), "a subject record") {
                tl.reject(Rejection::at(m, Some(&origin), None, None));
                return;
            }
            if let Some(s) = subject_from_entries(&node, entries, file, tl) {
                add_subject_line(tl, s, &origin);
            }
        }
    }
}

/// Adds the subject of a JSON Lines line, or reports why its profile is refused.
fn add_subject_line(tl: &mut Timeline, s: Subject, origin: &Origin) {
    let id = s.id.clone();
    if let Err(e) = tl.add_subject_from(s, Some(origin.clone())) {
        tl.reject(Rejection::at(e.reason, Some(origin), Some(&id), None));
    }
}

/// A JSON Lines subject record as it usually comes: a subject, a date of birth and facts with
/// text values. Anything else (a fact with a number or a boolean for its value, a field that is
/// not known, a key given twice, a wrong type) is left to the general path.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastSubject<'a> {
    #[serde(borrow)]
    subject: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    born: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    facts: Option<Vec<FastFact<'a>>>,
}

/// A fact of a [`FastSubject`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastFact<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    value: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    from: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    until: Option<std::borrow::Cow<'a, str>>,
}

/// The subject of `line` when it is a plain subject record and passes every check the general
/// path makes ([`subject_from_entries`]: an id, a valid `born`, facts with valid bounds that
/// are not empty and that the vocabulary accepts); `None` otherwise, and the general path then
/// reads the line and reports exactly what is wrong, where. Typed deserialisation refuses a key
/// given twice, as the general path does.
fn fast_subject(line: &str, vocabulary: Option<&Vocabulary>) -> Option<Subject> {
    let f: FastSubject<'_> = serde_json::from_str(line).ok()?;
    if f.subject.is_empty() {
        return None;
    }
    let born = match f.born {
        Some(t) => Some(parse_date(&t).ok()?),
        None => None,
    };
    let mut facts = Vec::with_capacity(f.facts.as_ref().map_or(0, Vec::len));
    for fact in f.facts.unwrap_or_default() {
        let bound = |b: Option<std::borrow::Cow<'_, str>>| match b {
            Some(t) => parse_bound(&t).ok().map(Some),
            None => Some(None),
        };
        let (from, until) = (bound(fact.from)?, bound(fact.until)?);
        if never_valid(from, until) {
            return None;
        }
        let fact = Fact {
            name: fact.name.into_owned(),
            value: crate::timeline::Value::from(&*fact.value),
            from,
            until,
        };
        if let Some(v) = vocabulary.filter(|v| !v.is_protected(&fact.name)) {
            v.check_fact(&fact.name, &fact.value).ok()?;
        }
        facts.push(fact);
    }
    Some(Subject {
        id: f.subject.as_ref().into(),
        born,
        facts,
    })
}

/// A JSON Lines observation as it usually comes: strings where strings belong, scalar attributes.
/// Read by [`crate::scan::observation`] when the line is plain, by serde otherwise.
#[derive(serde::Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
pub(crate) struct FastObservation<'a> {
    /// The youth's pseudonymous id.
    #[serde(borrow)]
    pub(crate) subject: std::borrow::Cow<'a, str>,
    /// The observation's id.
    #[serde(borrow)]
    pub(crate) id: std::borrow::Cow<'a, str>,
    /// When it happened, as written.
    #[serde(borrow)]
    pub(crate) at: std::borrow::Cow<'a, str>,
    /// When it was recorded, as written.
    #[serde(borrow, default)]
    pub(crate) recorded_at: Option<std::borrow::Cow<'a, str>>,
    /// The kind.
    #[serde(borrow)]
    pub(crate) kind: std::borrow::Cow<'a, str>,
    /// The channel.
    #[serde(borrow, default)]
    pub(crate) channel: Option<std::borrow::Cow<'a, str>>,
    /// The counterpart's pseudonymous id.
    #[serde(borrow, default)]
    pub(crate) counterpart: Option<std::borrow::Cow<'a, str>>,
    /// Who reported it.
    #[serde(borrow, default)]
    pub(crate) source: Option<std::borrow::Cow<'a, str>>,
    /// The attributes, in the order written, names possibly repeated.
    #[serde(borrow, default)]
    pub(crate) attributes: Option<RawAttributes<'a>>,
}

/// A JSON object of attributes as written, names and strings borrowed from the line where
/// possible; up to two without an allocation (most records carry none, one or two).
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(crate) struct RawAttributes<'a>(pub(crate) SmallVec<[(Cow<'a, str>, RawValue<'a>); 2]>);

/// An attribute value as written: a string (borrowed from the line by the hand-written scanner,
/// so that a declared value is handed the vocabulary's copy without a copy of its own first;
/// serde's fallback owns it), or any other JSON value.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(crate) enum RawValue<'a> {
    Str(Cow<'a, str>),
    Other(serde_json::Value),
}

impl From<serde_json::Value> for RawValue<'_> {
    fn from(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::String(s) => RawValue::Str(Cow::Owned(s)),
            v => RawValue::Other(v),
        }
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawAttributes<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = RawAttributes<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of attributes")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut out = SmallVec::new();
                while let Some((k, v)) = m.next_entry::<Cow<'de, str>, serde_json::Value>()? {
                    out.push((k, RawValue::from(v)));
                }
                Ok(RawAttributes(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// Reads a well-formed observation line directly; `None` sends it down the general path, which
/// accepts the same records and words every refusal.
fn fast_observation<'a>(
    line: &'a str,
    vocabulary: Option<&Vocabulary>,
) -> Option<(Cow<'a, str>, Observation)> {
    Some(fast_plain(line)?.build(vocabulary))
}

/// [`fast_observation`] before the vocabulary shares its names.
fn fast_plain(line: &str) -> Option<PlainObservation<'_>> {
    // The hand-written scanner takes the plain case; serde reads what it leaves (escapes, say).
    match crate::scan::observation(line) {
        Some(f) => PlainObservation::check(f),
        // Only an object: a derived struct would also take the array form `["y-1", …]`.
        None if line.starts_with('{') => PlainObservation::check(serde_json::from_str(line).ok()?),
        None => None,
    }
}

/// The line (as [`read_jsonl_line`] trims it) when the hand-written scanner reads it and it is
/// plain: what [`fast_plain`] gives without serde.
pub(crate) fn scan_plain(line: &str) -> Option<PlainObservation<'_>> {
    crate::scan::observation(line).and_then(PlainObservation::check)
}

/// Adds the observation of a plain line read at `origin` to `tl`, or the reason it is refused.
pub(crate) fn add_plain(tl: &mut Timeline, origin: Origin, p: PlainObservation<'_>) {
    let (subject, o) = p.build(tl.vocabulary().map(|v| &**v));
    if let Err((e, id)) = tl.add_observation_from(&subject, o, Some(origin.clone()), Copies::Shared)
    {
        tl.reject(Rejection::at(
            e.reason,
            Some(&origin),
            Some(&subject),
            Some(&id),
        ));
    }
}

/// A well-formed observation line, read and checked as far as it can be without the
/// vocabulary: timestamps parsed, attributes scalar, each named once and sorted. Whenever
/// [`PlainObservation::check`] gives one, [`PlainObservation::build`] makes the observation the
/// line holds, and cannot fail; the bulk reader keeps it packed between the two
/// ([`crate::eval`]'s `packed` module).
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(crate) struct PlainObservation<'a> {
    /// The youth's pseudonymous id (not empty).
    pub(crate) subject: Cow<'a, str>,
    /// The observation's id (not empty).
    pub(crate) id: Cow<'a, str>,
    pub(crate) at: Timestamp,
    pub(crate) recorded_at: Option<Timestamp>,
    /// The kind (not empty).
    pub(crate) kind: Word<'a>,
    pub(crate) channel: Option<Word<'a>>,
    pub(crate) counterpart: Option<Cow<'a, str>>,
    pub(crate) source: Option<Word<'a>>,
    /// Sorted by name, each name once, `null` values left out.
    pub(crate) attributes: SmallVec<[(Word<'a>, PlainValue<'a>); 2]>,
}

/// A name in a [`PlainObservation`] that the vocabulary may declare (its kind, channel, source,
/// an attribute's name or string value): the text as read, or already the vocabulary's stored
/// copy (the bulk reader keeps a declared name packed as its number: [`crate::eval`]'s `packed`
/// module).
pub(crate) enum Word<'a> {
    Text(Cow<'a, str>),
    Shared(Name),
}

impl Word<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Word::Text(s) => s,
            Word::Shared(n) => n,
        }
    }

    /// The name: the stored copy itself, else the vocabulary's copy of the text, or a new name
    /// when the vocabulary does not declare it (or there is none).
    fn into_name(self, vocabulary: Option<&Vocabulary>) -> Name {
        match self {
            Word::Shared(n) => n,
            Word::Text(s) => vocabulary.map_or_else(|| Name::from(s.as_ref()), |v| v.name(&s)),
        }
    }
}

// As text: a name read and the same name packed and read back are equal.
#[cfg(test)]
impl std::fmt::Debug for Word<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

#[cfg(test)]
impl PartialEq for Word<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// A scalar attribute value of a [`PlainObservation`].
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(crate) enum PlainValue<'a> {
    Str(Word<'a>),
    Bool(bool),
    Number(f64),
}

impl<'a> PlainObservation<'a> {
    /// What `f` holds, unless anything is unusual (an empty subject, id or kind, a timestamp
    /// that does not parse, too many attributes, a name given twice even with a null value, a
    /// value that is not a scalar): the general path words the verdict.
    pub(crate) fn check(f: FastObservation<'a>) -> Option<Self> {
        if f.subject.is_empty() || f.id.is_empty() || f.kind.is_empty() {
            return None;
        }
        let at = parse_timestamp(&f.at).ok()?;
        let recorded_at = match f.recorded_at {
            Some(t) => Some(parse_timestamp(&t).ok()?),
            None => None,
        };
        let raw = f.attributes.map(|a| a.0).unwrap_or_default();
        if raw.len() > Attributes::MAX {
            return None;
        }
        let mut given: SmallVec<[(Cow<'a, str>, Option<PlainValue<'a>>); 2]> =
            SmallVec::with_capacity(raw.len());
        for (key, v) in raw {
            let value = match v {
                RawValue::Str(s) => Some(PlainValue::Str(Word::Text(s))),
                RawValue::Other(serde_json::Value::Null) => None,
                RawValue::Other(serde_json::Value::Bool(b)) => Some(PlainValue::Bool(b)),
                RawValue::Other(serde_json::Value::Number(n)) => {
                    Some(PlainValue::Number(n.as_f64()?))
                }
                RawValue::Other(_) => return None,
            };
            given.push((key, value));
        }
        given.sort_by(|a, b| a.0.cmp(&b.0));
        if given.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
            return None;
        }
        let attributes = given
            .into_iter()
            .filter_map(|(k, v)| Some((Word::Text(k), v?)))
            .collect();
        Some(PlainObservation {
            subject: f.subject,
            id: f.id,
            at,
            recorded_at,
            kind: Word::Text(f.kind),
            channel: f.channel.map(Word::Text),
            counterpart: f.counterpart,
            source: f.source.map(Word::Text),
            attributes,
        })
    }

    /// The subject and the observation, its names shared with `vocabulary` where it has them.
    pub(crate) fn build(self, vocabulary: Option<&Vocabulary>) -> (Cow<'a, str>, Observation) {
        let name = |w: Word<'_>| w.into_name(vocabulary);
        let pairs: Pairs = self
            .attributes
            .into_iter()
            .map(|(key, v)| {
                let value = match v {
                    PlainValue::Str(s) => crate::timeline::Value::String(name(s)),
                    PlainValue::Bool(b) => crate::timeline::Value::Bool(b),
                    PlainValue::Number(n) => crate::timeline::Value::Number(n),
                };
                (name(key), value)
            })
            .collect();
        let o = Observation {
            id: Name::from(self.id.as_ref()),
            at: self.at,
            recorded_at: self.recorded_at,
            kind: name(self.kind),
            channel: self.channel.map(name),
            counterpart: self.counterpart.map(|c| Name::from(c.as_ref())),
            source: self.source.map(name),
            attributes: Attributes::from_sorted(pairs),
        };
        (self.subject, o)
    }
}

impl Observation {
    /// This observation of `subject` as a JSON Lines record, the form
    /// [`Timeline::read_jsonl`] reads.
    pub fn to_json(&self, subject: &str) -> serde_json::Value {
        use crate::time::format_timestamp;
        let mut m = serde_json::Map::new();
        m.insert("subject".into(), subject.into());
        m.insert("id".into(), self.id.as_str().into());
        m.insert("at".into(), format_timestamp(&self.at).into());
        if let Some(t) = &self.recorded_at {
            m.insert("recorded_at".into(), format_timestamp(t).into());
        }
        m.insert("kind".into(), self.kind.as_str().into());
        for (name, v) in [
            ("channel", self.channel.as_deref()),
            ("counterpart", self.counterpart.as_deref()),
            ("source", self.source.as_deref()),
        ] {
            if let Some(v) = v {
                m.insert(name.into(), v.into());
            }
        }
        if !self.attributes.is_empty() {
            let attrs: serde_json::Map<String, serde_json::Value> = self
                .attributes
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::to_value(v).unwrap_or_default()))
                .collect();
            m.insert("attributes".into(), attrs.into());
        }
        serde_json::Value::Object(m)
    }
}

impl Subject {
    /// This subject's profile as a JSON Lines subject record, the form
    /// [`Timeline::read_subjects_jsonl`] reads.
    pub fn to_json(&self) -> serde_json::Value {
        use crate::time::format_timestamp;
        use crate::timeline::Bound;
        let bound = |b: &Option<Bound>| match b {
            None => serde_json::Value::Null,
            Some(Bound::Date(d)) => d.format("%Y-%m-%d").to_string().into(),
            Some(Bound::Instant(t)) => format_timestamp(t).into(),
        };
        let facts: Vec<serde_json::Value> = self
            .facts
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name,
                    "value": serde_json::to_value(&f.value).unwrap_or_default(),
                    "from": bound(&f.from),
                    "until": bound(&f.until),
                })
            })
            .collect();
        serde_json::json!({
            "subject": self.id,
            "born": self.born.map(|d| d.format("%Y-%m-%d").to_string()),
            "facts": facts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subject line the fast path takes gives the very subject the general path gives, with
    /// nothing to reject; every line it leaves (a number for a value, a field it does not know,
    /// a key given twice, a bad date or bound, an empty fact, a value the vocabulary does not
    /// declare) goes to the general path, which reports it.
    #[test]
    fn a_plain_subject_line_reads_as_the_general_path_reads_it() {
        let rules = crate::RuleSet::builtin();
        let general = |line: &str| {
            let mut tl = rules.new_timeline();
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
            let node = json_to_node(&value, 1);
            let entries = node.as_map().expect("an object");
            let s = subject_from_entries(&node, entries, &Arc::from("s.jsonl"), &mut tl);
            let reasons: Vec<String> = tl.rejected().iter().map(|r| r.reason.clone()).collect();
            (s, reasons)
        };
        let fast = |line: &str| fast_subject(line, rules.vocabulary());
        for line in [
            r#"{"subject":"y-1"}"#,
            r#"{"subject":"y-1","born":null,"facts":null}"#,
            r#"{"born":"2009-02-25","subject":"y-\u0031","facts":[]}"#,
            r#"{"subject":"y-1","born":"2008-05-16","facts":[{"from":null,"name":"residence","until":null,"value":"home"}]}"#,
            r#"{"subject":"y-1","facts":[{"name":"leave","value":"day","from":"2026-03-02T10:00:00+01:00","until":"2026-03-02T18:00:00+01:00"},{"name":"residence","value":"institution.open","from":"2026-01-10"}]}"#,
            // A protected fact passes on, to be removed with a warning when the profile is added.
            r#"{"subject":"y-1","facts":[{"name":"religion","value":"x"}]}"#,
        ] {
            let (s, reasons) = general(line);
            assert_eq!(reasons, Vec::<String>::new(), "{line}");
            assert!(s.is_some(), "{line}");
            assert_eq!(fast(line), s, "{line}");
        }
        for (line, general_rejects) in [
            (r#"{"subject":""}"#, true),
            (r#"{"subject":"y-1","born":"2008-02-30"}"#, true),
            (r#"{"subject":"y-1","born":20080516}"#, true),
            (
                r#"{"subject":"y-1","facts":[{"name":"residence","value":"mansion"}]}"#,
                true,
            ),
            (
                r#"{"subject":"y-1","facts":[{"name":"residence","value":"home","from":"2026-02-01","until":"2026-01-01"}]}"#,
                true,
            ),
            (
                r#"{"subject":"y-1","facts":[{"name":"residence","value":"home","from":"yesterday"}]}"#,
                true,
            ),
            (
                r#"{"subject":"y-1","facts":[{"name":"residence","value":"home","since":"2026-01-01"}]}"#,
                true,
            ),
            (
                r#"{"subject":"y-1","facts":[{"name":"x","value":3}]}"#,
                true,
            ),
            (r#"{"subject":"y-1","facts":{"name":"residence"}}"#, true),
        ] {
            assert_eq!(fast(line), None, "{line}");
            let (_, reasons) = general(line);
            assert_eq!(!reasons.is_empty(), general_rejects, "{line}: {reasons:?}");
        }
        // The general path refuses a key given twice before it builds a node; so does this one.
        assert_eq!(
            fast(r#"{"subject":"y-1","born":"2008-05-16","born":null}"#),
            None
        );
        assert_eq!(fast(r#"{"subject":"y-1","subject":"y-2"}"#), None);
    }

    /// A plain observation's names become the vocabulary's stored copies where it declares
    /// them, whether they come as text or (packed and read back) as the copy itself.
    #[test]
    fn built_names_are_the_vocabularys_copies() {
        let rules = crate::RuleSet::builtin();
        let v = rules
            .vocabulary()
            .expect("the default pack has a vocabulary");
        let line = r#"{"subject":"y","id":"o","at":"2026-03-02T10:00:00Z","kind":"contact.new","channel":"online.gaming","source":"mentor","attributes":{"relation":"peer","not_declared":"x"}}"#;
        let plain = || {
            let f = crate::scan::observation(line).expect("scanned");
            PlainObservation::check(f).expect("plain")
        };
        let stored = |s: &str| v.names.get(s);
        let check = |o: &Observation| {
            assert!(o.kind.same(&stored("contact.new")));
            assert!(
                o.channel
                    .as_ref()
                    .is_some_and(|c| c.same(&stored("online.gaming")))
            );
            assert!(o.source.as_ref().is_some_and(|c| c.same(&stored("mentor"))));
            let relation = o.attributes.iter().find(|(k, _)| k.as_str() == "relation");
            assert!(relation.is_some_and(|(k, v)| k.same(&stored("relation"))
                && matches!(v, crate::timeline::Value::String(s) if s.same(&stored("peer")))));
            // Not declared: a name of its own.
            let other = o
                .attributes
                .iter()
                .find(|(k, _)| k.as_str() == "not_declared");
            assert!(other.is_some_and(|(k, _)| !k.same(&stored("not_declared"))));
        };
        // As read: looked up by text.
        let (_, o) = plain().build(Some(v));
        check(&o);
        // As the packed form hands them back: the copies themselves.
        let mut p = plain();
        p.kind = Word::Shared(stored("contact.new"));
        p.channel = Some(Word::Shared(stored("online.gaming")));
        p.source = Some(Word::Shared(stored("mentor")));
        for (k, value) in &mut p.attributes {
            if k.as_str() == "relation" {
                *k = Word::Shared(stored("relation"));
                *value = PlainValue::Str(Word::Shared(stored("peer")));
            }
        }
        let (_, o) = p.build(Some(v));
        check(&o);
        // Without a vocabulary every name is its own.
        let (_, o) = plain().build(None);
        assert!(!o.kind.same(&stored("contact.new")));
        assert_eq!(o.kind, "contact.new");
    }
}
