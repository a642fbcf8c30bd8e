//! Timeline records (docs/rule-language.md §2): YAML subject documents, JSON Lines observations
//! and subject records.
//!
//! `input.rs` reads records by hand from a located value tree, so that one bad record is refused
//! on its own, with its line, while the rest of the file is read; there is no serde type to derive
//! from. These types mirror it for the schema only, and a test below keeps their field lists equal
//! to the ones `input.rs` accepts.

// Never built: they only describe the records `input.rs` reads.
#![allow(dead_code)]

use super::text::{BoundText, DateText, TimestampText};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// One subject (a youth) and the observations recorded about them: one YAML document.
#[derive(JsonSchema)]
#[schemars(rename = "TimelineDocument", deny_unknown_fields)]
pub(crate) struct Document {
    /// The youth's pseudonymous id, e.g. `y-1042`.
    subject: IdText,
    /// Date of birth `YYYY-MM-DD`; needed for `subject.age`.
    born: Option<DateText>,
    /// Time-varying facts, each valid over `[from, until)`.
    facts: Option<Vec<Fact>>,
    /// The observations, in any order: they are put in the order (`at`, `id`).
    observations: Option<Vec<Observation>>,
}

/// One recorded sign about the subject.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Observation {
    /// Unique within the subject. In a YAML document it may be left out and becomes `#<n>`, the
    /// 1-based position in the list; JSON Lines needs it.
    id: Option<IdText>,
    /// When it happened: an RFC 3339 timestamp with offset.
    at: TimestampText,
    /// When it was entered; defaults to `at`.
    recorded_at: Option<TimestampText>,
    /// A dotted kind declared in the vocabulary, e.g. `contact.new`.
    #[schemars(length(min = 1))]
    kind: String,
    /// How the contact happened, a channel declared in the vocabulary, e.g. `online.social_media`.
    channel: Option<String>,
    /// The pseudonymous id of the other person, e.g. `c-77`.
    counterpart: Option<IdText>,
    /// The role that recorded it, a source declared in the vocabulary, e.g. `mentor`.
    source: Option<String>,
    /// Attributes declared for the kind: strings, numbers or booleans only (`null` is absent).
    attributes: Option<AttributeValues>,
    /// The subject's id: required in JSON Lines; inside a YAML document it must name that
    /// document's subject.
    subject: Option<IdText>,
}

/// A subject's profile: one line of a subjects file (`--subjects`).
#[derive(JsonSchema)]
#[schemars(rename = "SubjectRecord", deny_unknown_fields)]
pub(crate) struct SubjectRecord {
    /// The youth's pseudonymous id, e.g. `y-1042`.
    subject: IdText,
    /// Date of birth `YYYY-MM-DD`; needed for `subject.age`.
    born: Option<DateText>,
    /// Time-varying facts, each valid over `[from, until)`.
    facts: Option<Vec<Fact>>,
}

/// A fact about the subject, valid over `[from, until)`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Fact {
    /// A fact declared under `facts` in the vocabulary, e.g. `residence`.
    name: IdText,
    /// Its value, e.g. `institution.open`.
    value: ScalarValue,
    /// Valid from (inclusive): a date or a timestamp; without it, from the beginning.
    from: Option<BoundText>,
    /// Valid until (exclusive): a date or a timestamp; without it, without end.
    until: Option<BoundText>,
}

/// An id: a string, or a number taken as written (`007` is the id `"007"`).
pub(crate) enum IdText {}

impl JsonSchema for IdText {
    fn schema_name() -> Cow<'static, str> {
        "Id".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number"],
            "description": "An id: a string, or a number taken as written."
        })
    }
}

/// A string, a number or a boolean.
pub(crate) enum ScalarValue {}

impl JsonSchema for ScalarValue {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

/// An observation's attributes.
pub(crate) enum AttributeValues {}

impl JsonSchema for AttributeValues {
    fn schema_name() -> Cow<'static, str> {
        "Attributes".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": { "type": ["string", "number", "boolean", "null"] }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::input::{FACT_FIELDS, OBSERVATION_FIELDS, SUBJECT_FIELDS};
    use serde_json::Value;

    fn names(object: &Value) -> Vec<String> {
        let mut names: Vec<String> = object["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    fn sorted(fields: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_fields_are_the_ones_the_readers_accept() {
        let document = crate::schema::timeline();
        assert_eq!(names(&document), sorted(SUBJECT_FIELDS));
        assert_eq!(names(&document["$defs"]["Fact"]), sorted(FACT_FIELDS));
        assert_eq!(
            names(&crate::schema::observation()),
            sorted(OBSERVATION_FIELDS)
        );
        assert_eq!(
            names(&crate::schema::subject()),
            sorted(&SUBJECT_FIELDS[..3])
        );
    }
}
