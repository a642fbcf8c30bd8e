//! The vocabulary: declared kinds, channels, sources, facts and protected names (design §2).

use crate::hash::FastMap;
use crate::name::{Name, Names};
use crate::timeline::{Observation, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Names no rule may use, whatever the vocabulary says (design §8).
pub const BUILTIN_PROTECTED: &[&str] = &[
    "ethnicity",
    "nationality",
    "country_of_birth",
    "religion",
    "name",
    "postcode",
    "neighbourhood",
];

/// The declared type of an attribute or a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// Any string (the default).
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// One of these strings.
    Values(Vec<String>),
}

impl ValueType {
    /// Checks a value against the type, saying what was expected when it does not fit.
    pub(crate) fn check(&self, value: &Value) -> Result<(), String> {
        match (self, value) {
            (ValueType::String, Value::String(_))
            | (ValueType::Number, Value::Number(_))
            | (ValueType::Bool, Value::Bool(_)) => Ok(()),
            (ValueType::Values(vs), Value::String(s)) => {
                if vs.iter().any(|v| v == s) {
                    Ok(())
                } else {
                    Err(format!(
                        "`{s}` is not one of the declared values {}{}",
                        list(vs),
                        did_you_mean(s, vs.iter().map(String::as_str))
                    ))
                }
            }
            (ty, v) => Err(format!(
                "expected {}, found {} `{v}`",
                ty.describe(),
                v.type_name()
            )),
        }
    }

    /// "a number", "a string", "one of [a, b]".
    pub(crate) fn describe(&self) -> String {
        match self {
            ValueType::String => "a string".into(),
            ValueType::Number => "a number".into(),
            ValueType::Bool => "a boolean (true or false)".into(),
            ValueType::Values(vs) => format!("one of {}", list(vs)),
        }
    }
}

/// A declared observation kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KindDecl {
    /// One line saying what the kind records.
    pub description: String,
    /// Its attributes and their types.
    pub attributes: BTreeMap<String, ValueType>,
}

/// The names a rule set may use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vocabulary {
    pub(crate) kinds: BTreeMap<String, KindDecl>,
    pub(crate) channels: BTreeSet<String>,
    pub(crate) sources: BTreeSet<String>,
    pub(crate) facts: BTreeMap<String, ValueType>,
    pub(crate) protected: BTreeSet<String>,
    /// Every attribute name with its type across kinds.
    pub(crate) attributes: BTreeMap<String, ValueType>,
    /// One stored copy of each declared kind, channel, source, attribute name and value, for
    /// records to share.
    pub(crate) names: Names,
    /// The declarations again, found by the address of those stored copies.
    by_copy: ByCopy,
}

/// The declarations by the address of the vocabulary's stored copy of each name, so that a
/// record whose names the reader shared is checked without looking its names up by text (the
/// ordered maps compare strings along their path). A name that is not a stored copy is checked
/// by text, as before; whatever this accepts, the check by text accepts.
#[derive(Debug, Clone, Default)]
struct ByCopy {
    /// Kind → its attributes' types, by the address of the attribute name's copy.
    kinds: FastMap<usize, FastMap<usize, ValueType>>,
    channels: FastMap<usize, ()>,
    sources: FastMap<usize, ()>,
    /// Every declared attribute name (of any kind).
    attribute_names: FastMap<usize, ()>,
}

impl PartialEq for ByCopy {
    // Follows from the declarations, which the vocabulary compares.
    fn eq(&self, _: &ByCopy) -> bool {
        true
    }
}

impl Eq for ByCopy {}

impl Vocabulary {
    /// Stores one copy of each declared kind, channel, source and attribute name, and of each
    /// declared value (the `values` of an attribute or a fact).
    pub(crate) fn share_names(&mut self) {
        let mut names = Names::default();
        let declared = self.kinds.keys().chain(&self.channels).chain(&self.sources);
        for n in declared.chain(self.attributes.keys()) {
            names.declare(n);
        }
        let types = self.kinds.values().flat_map(|d| d.attributes.values());
        for ty in types
            .chain(self.attributes.values())
            .chain(self.facts.values())
        {
            if let ValueType::Values(vs) = ty {
                vs.iter().for_each(|v| names.declare(v));
            }
        }
        let addr = |n: &str| names.get(n).addr();
        let types = |decl: &KindDecl| {
            let types = decl.attributes.iter();
            types.map(|(a, ty)| (addr(a), ty.clone())).collect()
        };
        self.by_copy = ByCopy {
            kinds: self
                .kinds
                .iter()
                .map(|(k, d)| (addr(k), types(d)))
                .collect(),
            channels: self.channels.iter().map(|c| (addr(c), ())).collect(),
            sources: self.sources.iter().map(|s| (addr(s), ())).collect(),
            attribute_names: self.attributes.keys().map(|a| (addr(a), ())).collect(),
        };
        self.names = names;
    }

    /// Makes `o`'s names the vocabulary's stored copies where declared.
    pub(crate) fn share(&self, o: &mut Observation) {
        self.names.share(&mut o.kind);
        if let Some(c) = &mut o.channel {
            self.names.share(c);
        }
        if let Some(s) = &mut o.source {
            self.names.share(s);
        }
        o.attributes.share(&self.names);
    }

    /// Makes a string value the stored copy when it is declared (a subject's facts are read
    /// apart from observations).
    pub(crate) fn share_value(&self, value: &mut Value) {
        value.share(&self.names);
    }

    /// The stored copy of a declared name, or a new one.
    pub(crate) fn name(&self, s: &str) -> Name {
        self.names.get(s)
    }

    /// Declared observation kinds.
    pub fn kinds(&self) -> &BTreeMap<String, KindDecl> {
        &self.kinds
    }
    /// Declared channels.
    pub fn channels(&self) -> &BTreeSet<String> {
        &self.channels
    }
    /// Declared sources.
    pub fn sources(&self) -> &BTreeSet<String> {
        &self.sources
    }
    /// Declared subject facts.
    pub fn facts(&self) -> &BTreeMap<String, ValueType> {
        &self.facts
    }
    /// Protected names: the built-in list, then the vocabulary's own that are not already listed.
    ///
    /// Each name is given once, compared without regard to case or separators (`Religion` and
    /// `country-of-birth` repeat built-in names): a vocabulary that repeats the built-in names, as
    /// the default pack's does, does not list them twice.
    pub fn protected(&self) -> impl Iterator<Item = &str> {
        let mut seen = BTreeSet::new();
        BUILTIN_PROTECTED
            .iter()
            .copied()
            .chain(self.protected.iter().map(String::as_str))
            .filter(move |p| seen.insert(fold(p)))
    }

    /// Whether `name` is protected.
    ///
    /// Names compare without regard to case or separators, and a name is protected when it, or one
    /// of its `_`/`-`/`.`-separated parts, is: `Religion`, `country-of-birth` and `first_name` are
    /// all protected.
    pub fn is_protected(&self, name: &str) -> bool {
        // A declared attribute or fact cannot be protected: the loader refuses such a vocabulary.
        // This keeps the check off the hot path of reading records.
        if self.attributes.contains_key(name) || self.facts.contains_key(name) {
            return false;
        }
        let name = Folded::new(name);
        BUILTIN_PROTECTED
            .iter()
            .copied()
            .chain(self.protected.iter().map(String::as_str))
            .any(|p| name.matches(p))
    }

    /// Whether `name` is the vocabulary's stored copy of a declared attribute name (so not
    /// protected: see [`is_protected`](Self::is_protected)), judged by its address alone.
    pub(crate) fn declares_attribute_copy(&self, name: &Name) -> bool {
        self.by_copy.attribute_names.contains_key(&name.addr())
    }

    /// The type of attribute `name` for rules: the same in every kind that declares it (the
    /// loader refuses conflicting types; differing enumerations are merged). `None` when undeclared.
    pub(crate) fn attribute_type(&self, name: &str) -> Option<&ValueType> {
        self.attributes.get(name)
    }

    /// All attribute names declared anywhere.
    pub(crate) fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.attributes.keys().map(String::as_str)
    }

    /// Checks an observation: declared kind, channel, source and attributes, values of the right type.
    pub(crate) fn check_observation(&self, o: &Observation) -> Result<(), String> {
        if self.declared_by_copy(o) {
            return Ok(());
        }
        let Some(kind) = self.kinds.get(o.kind.as_str()) else {
            return Err(format!(
                "undeclared kind `{}`; {}{}",
                o.kind,
                declare_hint("kinds"),
                did_you_mean(&o.kind, self.kinds.keys().map(String::as_str))
            ));
        };
        if let Some(c) = &o.channel
            && !self.channels.contains(c.as_str())
        {
            return Err(format!(
                "undeclared channel `{c}`; {}{}",
                declare_hint("channels"),
                did_you_mean(c, self.channels.iter().map(String::as_str))
            ));
        }
        if let Some(s) = &o.source
            && !self.sources.contains(s.as_str())
        {
            return Err(format!(
                "undeclared source `{s}`; {}{}",
                declare_hint("sources"),
                did_you_mean(s, self.sources.iter().map(String::as_str))
            ));
        }
        for (name, value) in &o.attributes {
            let Some(ty) = kind.attributes.get(name.as_str()) else {
                return Err(format!(
                    "attribute `{name}` is not declared for kind `{}`{}",
                    o.kind,
                    did_you_mean(name, kind.attributes.keys().map(String::as_str))
                ));
            };
            ty.check(value)
                .map_err(|e| format!("attribute `{name}`: {e}"))?;
        }
        Ok(())
    }

    /// Whether `o` is declared, judged by the addresses of its names alone: false when any of
    /// them is not a stored copy or a value does not fit (the check by text then says why).
    fn declared_by_copy(&self, o: &Observation) -> bool {
        let by = &self.by_copy;
        let Some(types) = by.kinds.get(&o.kind.addr()) else {
            return false;
        };
        o.channel
            .as_ref()
            .is_none_or(|c| by.channels.contains_key(&c.addr()))
            && o.source
                .as_ref()
                .is_none_or(|s| by.sources.contains_key(&s.addr()))
            && o.attributes.iter().all(|(name, value)| {
                types
                    .get(&name.addr())
                    .is_some_and(|ty| ty.check(value).is_ok())
            })
    }

    /// Checks a subject fact: declared name, value of the right type.
    pub(crate) fn check_fact(&self, name: &str, value: &Value) -> Result<(), String> {
        let Some(ty) = self.facts.get(name) else {
            return Err(format!(
                "undeclared fact `{name}`{}",
                did_you_mean(name, self.facts.keys().map(String::as_str))
            ));
        };
        ty.check(value).map_err(|e| format!("fact `{name}`: {e}"))
    }
}

/// Whether `name` is one of the built-in protected names (see [`Vocabulary::is_protected`]).
pub(crate) fn is_builtin_protected(name: &str) -> bool {
    let name = Folded::new(name);
    BUILTIN_PROTECTED.iter().any(|p| name.matches(p))
}

/// The protected names in force, each once, for messages.
pub(crate) fn protected_names(vocab: Option<&Vocabulary>) -> String {
    let names: Vec<&str> = match vocab {
        Some(v) => v.protected().collect(),
        None => BUILTIN_PROTECTED.to_vec(),
    };
    names
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A name folded once, whole and by its parts, to compare with protected names: case and
/// separators do not matter, and a part counts (`mother_nationality` uses `nationality`).
struct Folded {
    whole: String,
    parts: Vec<String>,
}

impl Folded {
    fn new(name: &str) -> Self {
        Folded {
            whole: fold(name),
            parts: name.split(['_', '-', '.']).map(fold).collect(),
        }
    }

    fn matches(&self, protected: &str) -> bool {
        let p = fold(protected);
        !p.is_empty() && (self.whole == p || self.parts.contains(&p))
    }
}

/// How to fix an undeclared name listed under `section:` of the vocabulary, for messages.
pub(crate) fn declare_hint(section: &str) -> String {
    format!("correct it, or declare it under `{section}:` in vocabulary.yaml")
}

/// `[a, b, c]` with backticks, for messages.
pub(crate) fn list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// `; did you mean `x`?` when a candidate is close enough, else empty.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    let hint = suggest(word, candidates)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    format!("{hint}{}", unusual_characters(word))
}

/// Names in the vocabulary are plain ASCII; a look-alike letter (Cyrillic `а` for Latin `a`) or
/// an invisible character is named, since the two spellings look the same on screen.
pub(crate) fn unusual_characters(word: &str) -> String {
    let odd: Vec<String> = word
        .chars()
        .enumerate()
        .filter(|(_, c)| !c.is_ascii_graphic() && *c != ' ')
        .take(3)
        .map(|(i, c)| format!("U+{:04X} at character {}", u32::from(c), i + 1))
        .collect();
    if odd.is_empty() {
        String::new()
    } else {
        format!(
            " (it contains {}, which may look like an ordinary letter or nothing at all; retype the name)",
            odd.join(", ")
        )
    }
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = word.chars().count();
    // Short words get a little slack (`cnt` → `count`), but never a completely different word.
    let limit = (len / 3).clamp(2, 4).min(len.saturating_sub(1));
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters (two rows). Names longer than [`MAX_SUGGEST_LEN`] are
/// not compared: no typo is that long, and the cost is the product of the lengths.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() > MAX_SUGGEST_LEN || b.len() > MAX_SUGGEST_LEN {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let diag = prev.get(j).copied().unwrap_or(usize::MAX);
            let up = prev.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.last().copied().unwrap_or(usize::MAX);
            let sub = diag.saturating_add(usize::from(ca != cb));
            row.push(sub.min(up.saturating_add(1)).min(left.saturating_add(1)));
        }
        cur = row;
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(usize::MAX)
}

/// Longest name `did_you_mean` compares.
const MAX_SUGGEST_LEN: usize = 128;

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule's attribute field holds the vocabulary's stored copy of the name, the copy readers
    /// give records, so that looking the attribute up stops at the address.
    #[test]
    fn rules_read_attributes_by_the_stored_copy_of_their_name() {
        use crate::rule::{Field, Pred};
        let rules = crate::RuleSet::builtin();
        let v = rules.vocabulary().expect("the pack has a vocabulary");
        let mut fields = Vec::new();
        for r in rules.rules() {
            r.for_each_pred(&mut |p: &Pred| {
                p.for_each_test(&mut |f, _| {
                    if let Field::Attribute(a) = f {
                        fields.push(a.clone());
                    }
                });
            });
        }
        assert!(!fields.is_empty(), "the pack tests attributes");
        for a in &fields {
            assert!(a.same(&v.name(a)), "`{a}` is not the vocabulary's copy");
        }
    }

    /// Every reader hands a declared attribute value (one of its `values`) the vocabulary's
    /// stored copy, as it does kinds, so that the evaluator compares values whose text is shared
    /// rather than one allocation per record; a value of a free-form string attribute keeps its
    /// own. The plain line takes the hand-written scanner, the escaped one serde, the YAML
    /// timeline its own reader.
    #[test]
    fn readers_hand_declared_values_the_stored_copy() {
        let rules = crate::RuleSet::builtin();
        let v = rules.vocabulary().expect("the pack has a vocabulary");
        let stored = v.name("peer");
        let plain = r#"{"subject": "y-1", "id": "a", "at": "2026-03-02T21:00:00+01:00", "kind": "contact.new", "counterpart": "c-1", "attributes": {"relation": "peer", "age_gap_years": 1}}"#;
        let escaped = plain.replace(r#""c-1""#, r#""c\u002d1""#);
        let yaml = "subject: y-1\nobservations:\n  - { id: a, at: 2026-03-02T21:00:00+01:00, kind: contact.new, attributes: { relation: peer } }\n";
        let mut timelines = Vec::new();
        for line in [plain, escaped.as_str()] {
            let mut tl = rules.new_timeline();
            tl.read_jsonl("in.jsonl", line);
            timelines.push(tl);
        }
        let mut tl = rules.new_timeline();
        tl.read_yaml("in.yaml", yaml).expect("reads");
        timelines.push(tl);
        for tl in &timelines {
            assert!(tl.rejected().is_empty(), "{:?}", tl.rejected());
            let o = tl.subject("y-1").and_then(|s| s.observations().first());
            let value = o.and_then(|o| o.attributes.get("relation"));
            assert!(
                matches!(value, Some(Value::String(s)) if s.same(&stored)),
                "{value:?}"
            );
        }
        // A subject's declared fact value too (the monitor's profiles: its own test).
        let record =
            r#"{"subject": "y-1", "facts": [{"name": "residence", "value": "foster_care"}]}"#;
        let stored = v.name("foster_care");
        let mut tl = rules.new_timeline();
        tl.read_subjects_jsonl("subjects.jsonl", record);
        assert!(tl.rejected().is_empty(), "{:?}", tl.rejected());
        let subject = tl
            .subject("y-1")
            .map(|s| s.subject().clone())
            .expect("read");
        let fact = subject.facts.first().map(|f| &f.value);
        assert!(
            matches!(fact, Some(Value::String(s)) if s.same(&stored)),
            "{fact:?}"
        );
    }

    /// The check by the address of stored copies agrees with the check by text: it accepts only
    /// what that accepts, and leaves every refusal (and its message) to it.
    #[test]
    fn the_check_by_copy_agrees_with_the_check_by_text() {
        let rules = crate::RuleSet::builtin();
        let v = rules.vocabulary().expect("the pack has a vocabulary");
        let at = "2026-03-02T21:00:00+01:00".parse().expect("timestamp");
        let shared = |kind: &str, attrs: &[(&str, Value)]| {
            let mut o = Observation::new("o-1", at, v.name(kind));
            o.channel = Some(v.name("online.social_media"));
            for (k, val) in attrs {
                o.attributes.insert(v.name(k), val.clone());
            }
            o
        };
        let peer = Value::String("peer".into());
        let good = shared("contact.new", &[("relation", peer.clone())]);
        assert!(v.declared_by_copy(&good));
        assert!(v.check_observation(&good).is_ok());
        // The same names as fresh strings: checked by text, with the same answer.
        let mut fresh = good.clone();
        fresh.kind = Name::from("contact.new");
        fresh.attributes = [("relation", peer.clone())].into_iter().collect();
        assert!(!v.declared_by_copy(&fresh));
        assert!(v.check_observation(&fresh).is_ok());
        for bad in [
            // An attribute declared for another kind.
            shared("meeting.in_person", &[("relation", peer.clone())]),
            // A value outside the declared ones, and one of the wrong type.
            shared("contact.new", &[("relation", Value::String("pear".into()))]),
            shared("contact.new", &[("age_gap_years", peer.clone())]),
        ] {
            assert!(!v.declared_by_copy(&bad));
            assert!(v.check_observation(&bad).is_err());
        }
        let mut source = good.clone();
        source.source = Some(v.name("online.social_media"));
        assert!(!v.declared_by_copy(&source), "a channel is not a source");
        let err = v.check_observation(&source).unwrap_err();
        assert!(err.contains("undeclared source"), "{err}");
        assert!(v.declares_attribute_copy(&v.name("relation")));
        assert!(!v.declares_attribute_copy(&Name::from("relation")));
        assert!(!v.declares_attribute_copy(&v.name("contact.new")));
    }

    /// One string declared in several roles has one stored copy; the check by copy still keeps
    /// the roles apart (a kind's name as an attribute of another kind, a channel as a source).
    #[test]
    fn names_in_several_roles_keep_their_roles() {
        let vocabulary = r#"
vocabulary:
  kinds:
    visit: { description: a visit, attributes: { note: { values: [visit] } } }
    note: { description: a note }
  channels: [visit, phone]
  sources: [phone_line]
"#;
        let rules = crate::RuleSet::from_sources([
            ("vocabulary.yaml", vocabulary),
            ("r.yaml", "rules: []"),
        ])
        .expect("the vocabulary loads");
        let v = rules.vocabulary().expect("a vocabulary");
        let at = "2026-03-02T21:00:00+01:00".parse().expect("timestamp");
        let with = |kind: &str, channel: Option<&str>, source: Option<&str>, attr: Option<&str>| {
            let mut o = Observation::new("o-1", at, v.name(kind));
            o.channel = channel.map(|c| v.name(c));
            o.source = source.map(|s| v.name(s));
            if let Some(a) = attr {
                o.attributes
                    .insert(v.name(a), Value::String("visit".into()));
            }
            o
        };
        let good = with("visit", Some("visit"), Some("phone_line"), Some("note"));
        assert!(v.declared_by_copy(&good) && v.check_observation(&good).is_ok());
        for bad in [
            // `note` is an attribute of `visit` only, though a kind of its own.
            with("note", None, None, Some("note")),
            // `visit` is a kind and a channel, not a source; `phone` a channel, not a source.
            with("visit", None, Some("visit"), None),
            with("visit", None, Some("phone"), None),
            // `visit` is a kind and a channel, not an attribute.
            with("visit", None, None, Some("visit")),
            // `phone_line` is a source, not a channel or a kind.
            with("visit", Some("phone_line"), None, None),
            with("phone_line", None, None, None),
        ] {
            assert!(!v.declared_by_copy(&bad), "{bad:?}");
            assert!(v.check_observation(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn protected_names_ignore_case_and_separators() {
        let v = Vocabulary::default();
        for name in [
            "religion",
            "Religion",
            "COUNTRY_OF_BIRTH",
            "country-of-birth",
            "countryOfBirth",
            "first_name",
            "child.postcode",
        ] {
            assert!(v.is_protected(name), "{name}");
        }
        for name in ["relation", "names_count", "hours", "nam", "username"] {
            assert!(!v.is_protected(name), "{name}");
        }
    }

    #[test]
    fn protected_names_are_listed_once_built_ins_first() {
        let v = Vocabulary {
            protected: [
                "religion",
                "Name",
                "country-of-birth",
                "custody_status",
                "Custody-Status",
            ]
            .map(String::from)
            .into(),
            ..Vocabulary::default()
        };
        let names: Vec<&str> = v.protected().collect();
        let mut expected = BUILTIN_PROTECTED.to_vec();
        expected.push("Custody-Status");
        assert_eq!(names, expected);
        assert_eq!(
            protected_names(Some(&v)),
            "`ethnicity`, `nationality`, `country_of_birth`, `religion`, `name`, `postcode`, `neighbourhood`, `Custody-Status`"
        );
        assert_eq!(
            protected_names(Some(&Vocabulary::default())),
            protected_names(None)
        );
    }

    #[test]
    fn suggestions_catch_typos() {
        let kinds = ["contact.new", "missing.episode", "meeting.in_person"];
        assert_eq!(suggest("contact.nwe", kinds), Some("contact.new"));
        assert_eq!(suggest("missing.episod", kinds), Some("missing.episode"));
        assert_eq!(suggest("zzz", kinds), None);
        assert_eq!(suggest("cnt", ["count", "gap", "rule"]), Some("count"));
        assert_eq!(suggest("ab", ["xy"]), None);
    }
}
