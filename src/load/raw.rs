//! The typed mirror of rule files and vocabularies, as written, with positions.

use crate::node::Node;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

pub(crate) type S<T> = Spanned<T>;

/// A mapping whose keys keep their positions and order.
#[derive(Debug)]
pub(crate) struct OrderedMap<V>(pub Vec<(S<String>, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

/// A mapping of names to `V`, in the schema (an empty entry, `kinds:`, reads as no entries).
#[cfg(feature = "schema")]
impl<V: schemars::JsonSchema> schemars::JsonSchema for OrderedMap<V> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["object", "null"],
            "additionalProperties": generator.subschema_for::<V>()
        })
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<S<String>>()? {
                    out.push((k, map.next_value()?));
                }
                Ok(OrderedMap(out))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
        }
        d.deserialize_map(V2(std::marker::PhantomData))
    }
}

// With the `schema` feature these types also derive `schemars::JsonSchema`: `crate::schema`
// generates the editor schema of rule files from them, and their doc comments are its hover
// texts, written for rule authors. A field read as `S<T>` (for its position) has the schema of
// `T`; a `Node` (a predicate or a timeline, read by hand) has the schema of the matching type in
// `crate::schema`; strings with a shape (durations, ids, …) get a `pattern`.

/// An early-signal rule file: `rules:` (a list of rules) and/or `vocabulary:` (the names rules
/// and data may use; one per rule set, usually in `vocabulary.yaml`).
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "RuleFile"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    /// The kinds, channels, sources, facts and protected names rules and data may use.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<RawVocabulary>"))]
    pub vocabulary: Option<S<RawVocabulary>>,
    /// The rules of this file, in order.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Vec<RawRule>>"))]
    pub rules: Option<Vec<S<RawRule>>>,
}

/// The vocabulary: every name rules and data may use. Undeclared names in a rule are load errors;
/// observations with undeclared names are rejected.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Vocabulary"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVocabulary {
    /// Observation kinds by dotted name (e.g. `contact.new`), each with a description and its
    /// attributes.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "OrderedMap<RawKind>"))]
    pub kinds: OrderedMap<S<RawKind>>,
    /// How a contact happened, e.g. `in_person`, `online.social_media`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub channels: Vec<S<String>>,
    /// The roles that record observations, e.g. `mentor`, `institution`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub sources: Vec<S<String>>,
    /// Time-varying facts about a subject (`subject.<fact>` in rules), by name, with their type.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "OrderedMap<RawType>"))]
    pub facts: OrderedMap<S<RawType>>,
    /// Names no rule may use and no record may carry, added to the built-in list (`ethnicity`,
    /// `nationality`, `country_of_birth`, `religion`, `name`, `postcode`, `neighbourhood`).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub protected: Vec<S<String>>,
}

/// An observation kind.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Kind"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKind {
    /// One line a professional understands.
    #[serde(default)]
    pub description: Option<String>,
    /// Its attributes by name, with their type. One attribute name has one type across all kinds.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "OrderedMap<RawType>"))]
    pub attributes: OrderedMap<S<RawType>>,
}

/// The type of an attribute or fact: `type: string` (the default), `number` or `bool`, or
/// `values: [...]`, an enumeration of strings. Give one of `type` and `values`, not both.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(rename = "Type", extend("not" = { "required": ["type", "values"] }))
)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawType {
    /// `string` (the default), `number` or `bool`.
    #[serde(default, rename = "type")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<String>", extend("enum" = ["string", "number", "bool"]))
    )]
    pub ty: Option<S<String>>,
    /// The allowed values (strings), e.g. `[peer, unknown_adult, family]`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<Vec<String>>", length(min = 1))
    )]
    pub values: Option<Vec<S<String>>>,
    /// Documentation for people; not used by the engine.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
}

/// A rule: a pattern in one youth's observations that raises a flag, a task for a professional.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
// `rationale` is optional to serde so that its absence is reported with the rule's position.
#[cfg_attr(
    feature = "schema",
    schemars(rename = "Rule", transform = crate::schema::Require("rationale"))
)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    /// Unique in the rule set: lower-case letters, digits and `-`.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::RuleIdText"))]
    pub id: S<String>,
    /// 1 or more; bump it on any change of meaning (it is part of every flag id).
    #[cfg_attr(feature = "schema", schemars(with = "u32", range(min = 1)))]
    pub version: S<u32>,
    /// One line for people.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub title: S<String>,
    /// `risk` (recruitment may be under way) or `harm` (harm may be happening).
    #[cfg_attr(feature = "schema", schemars(with = "crate::flag::Class"))]
    pub class: S<String>,
    /// `low`, `medium`, `high` or `critical`.
    #[cfg_attr(feature = "schema", schemars(with = "crate::flag::Severity"))]
    pub severity: S<String>,
    /// Why this pattern matters, citing the finding it rests on. Required.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::NonBlankText"))]
    pub rationale: Option<S<String>>,
    /// Source keys, e.g. `[ckm-2021-daders]`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub references: Vec<S<String>>,
    /// Exactly one pattern: `match`, `count`, `sequence`, `absence` or `signals`.
    #[cfg_attr(feature = "schema", schemars(with = "RawPattern"))]
    pub when: S<RawPattern>,
    /// Exceptions: an observation matching any of them is invisible to this rule. Each needs a
    /// `reason`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<RawUnless>"))]
    pub unless: Vec<S<RawUnless>>,
    /// A flag is dropped when a kept flag of this rule, subject and key was raised less than this
    /// before it, e.g. `30d`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DurationText>")
    )]
    pub cooldown: Option<S<String>>,
    /// The explanation template, e.g. `"{counterpart} met in person {gap} after first online
    /// contact"`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::MessageText>")
    )]
    pub message: Option<S<String>>,
    /// The recruitment window: `urgent` (default 7d) and `closes` (default 30d), and where it
    /// `opens`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<RawWindow>"))]
    pub window: Option<S<RawWindow>>,
    /// Embedded tests, run by `early-signal test`: at least one that fires and one near miss.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<RawTest>"))]
    pub tests: Vec<S<RawTest>>,
}

// Externally tagged, so positions survive.
/// `when:` holds exactly one pattern: `match`, `count`, `sequence`, `absence` or `signals`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Pattern"))]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum RawPattern {
    /// A flag at every observation that matches the predicate.
    Match(#[cfg_attr(feature = "schema", schemars(with = "crate::schema::Predicate"))] Node),
    /// Enough matching observations within a window.
    Count(RawCount),
    /// Steps in order within a span.
    Sequence(RawSequence),
    /// Something expected did not follow within a span.
    Absence(RawAbsence),
    /// Several different kinds of sign (named indicators) within a window.
    Signals(RawSignals),
}

/// `count`: fires when the number of matching observations within `within` reaches `at_least`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Count"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCount {
    /// The predicate the counted observations match.
    #[serde(rename = "match")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Predicate"))]
    pub pred: Node,
    /// The window, both ends inclusive, e.g. `7d`.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DurationText"))]
    pub within: S<String>,
    /// The threshold, 1 or more (`1` is what `match` does).
    #[cfg_attr(feature = "schema", schemars(with = "i64", range(min = 1)))]
    pub at_least: S<i64>,
    /// Count distinct values of this field instead of observations, e.g. `counterpart`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::KeyFieldText>")
    )]
    pub distinct: Option<S<String>>,
    /// Count separately per value of this field (the flag's key), e.g. `attributes.vehicle`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::KeyFieldText>")
    )]
    pub by: Option<S<String>>,
}

/// `sequence`: observations matching the steps, in order, the last at most `within` after the
/// first.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Sequence"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSequence {
    /// The longest time from the first step to the last, inclusive, e.g. `7d`.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DurationText"))]
    pub within: S<String>,
    /// Every step carries this field, all with one value, e.g. `counterpart`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::KeyFieldText>")
    )]
    pub by: Option<S<String>>,
    /// The steps in order: at least two predicates.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Vec<crate::schema::Predicate>", length(min = 2))
    )]
    pub steps: S<Vec<Node>>,
    /// An observation matching this strictly between the first and the last step cancels.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::Predicate>")
    )]
    pub until: Option<Node>,
}

/// `absence`: after an `after` observation, no `expect` observation within `within`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Absence"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAbsence {
    /// The observation that starts the wait.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Predicate"))]
    pub after: Node,
    /// The observation that should follow.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Predicate"))]
    pub expect: Node,
    /// How long to wait, e.g. `72h`; the flag is raised at the deadline.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DurationText"))]
    pub within: S<String>,
    /// `after` must carry this field and `expect` must have the same value, e.g. `counterpart`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::KeyFieldText>")
    )]
    pub by: Option<S<String>>,
}

/// `signals`: at least `at_least` of the named indicators within `within`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Signals"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSignals {
    /// The window, both ends inclusive, e.g. `30d`.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DurationText"))]
    pub within: S<String>,
    /// How many different indicators must be present: 1 or more, at most the number in `of`.
    #[cfg_attr(feature = "schema", schemars(with = "i64", range(min = 1)))]
    pub at_least: S<i64>,
    /// The indicators: names (`[a-z0-9_-]+`) and their predicates.
    #[cfg_attr(
        feature = "schema",
        schemars(
            with = "OrderedMap<crate::schema::Predicate>",
            extend(
                "type" = "object",
                "propertyNames" = { "pattern": "^[a-z0-9_-]+$" },
                "minProperties" = 1
            )
        )
    )]
    pub of: S<OrderedMap<Node>>,
}

/// An exception: observations matching `match` are invisible to the rule.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(rename = "Unless", transform = crate::schema::Require("reason"))
)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUnless {
    /// Why these observations are exempt. Required.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::NonBlankText"))]
    pub reason: Option<S<String>>,
    /// The observations to hide from the rule.
    #[serde(rename = "match")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Predicate"))]
    pub pred: Node,
}

/// The recruitment window of the rule's flags.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Window"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWindow {
    /// How long the flag stays `urgent` after the window opens (default 7d).
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DurationText>")
    )]
    pub urgent: Option<S<String>>,
    /// When the window closes after it opens (default 30d); at least `urgent`.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DurationText>")
    )]
    pub closes: Option<S<String>>,
    /// `first_contact` (the default for class `risk`) or `evidence` (the default for `harm`).
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::rule::WindowOpens>")
    )]
    pub opens: Option<S<String>>,
}

/// A test of the rule: a timeline and exactly the flags of this rule it should raise.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "RuleTest"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTest {
    /// What the test shows, e.g. `near miss - a meeting 7 days and 1 minute later`.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub name: S<String>,
    /// The evaluation time; defaults to the latest time in the timeline.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::TimestampText>")
    )]
    pub as_of: Option<S<String>>,
    /// One subject document: `subject`, `born`, `facts`, `observations`.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Document"))]
    pub timeline: Node,
    /// Exactly the flags of this rule; `[]` means no flag.
    #[cfg_attr(feature = "schema", schemars(with = "Vec<RawExpect>"))]
    pub expect: Vec<S<RawExpect>>,
}

/// An expected flag.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "ExpectedFlag"))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    /// The id of the rule under test.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::RuleIdText"))]
    pub rule: S<String>,
    /// The set of evidence observation ids (order does not matter).
    #[cfg_attr(feature = "schema", schemars(with = "Vec<crate::schema::IdText>"))]
    pub evidence: Vec<S<String>>,
    /// When the flag is raised, checked when given.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::TimestampText>")
    )]
    pub raised_at: Option<S<String>>,
    /// The flag's severity, checked when given.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::flag::Severity>"))]
    pub severity: Option<S<String>>,
    /// The window's stage at `as_of` (`urgent`, `open`, `closed`), checked when given.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::flag::Stage>"))]
    pub stage: Option<S<String>>,
}
