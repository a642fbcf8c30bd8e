//! JSON Schemas (draft 2020-12) of the files `early-signal` reads, for editors.
//!
//! With a schema, an editor with a YAML language server (VS Code's YAML extension, Helix, Neovim,
//! …) completes field names, shows the documentation on hover and marks mistakes while a rule file
//! is typed: an unknown or misspelt field, a missing one, a duration such as `7 days`, a rule id
//! with upper case, a `severity` outside `low`…`critical`, a pattern other than `match`, `count`,
//! `sequence`, `absence` or `signals`, an unknown message placeholder.
//!
//! The rule-file schema is generated (with `schemars`) from the serde types rule files are
//! deserialised into, so it changes with them; the parts the loader reads by hand (predicates,
//! timeline records) come from types that mirror the readers, kept in step by tests. A schema
//! checks the shape of a file, not its meaning: a kind the vocabulary does not declare, a
//! duplicate rule id, `at_least` above the number of indicators or `urgent` longer than `closes`
//! pass it, and `early-signal check` finds them.
//!
//! The module is there with the `schema` feature, which the default `cli` feature turns on.
//! `early-signal schema [rules|vocabulary|timeline|observation|subject]` prints these schemas, and
//! `docs/schema/` holds them as files.
//!
//! ```
//! let schema = early_signal::schema::rules();
//! assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
//! assert!(schema["$defs"]["Rule"]["properties"]["severity"].is_object());
//! ```

mod predicate;
mod text;
mod timeline;

pub(crate) use predicate::Predicate;
pub(crate) use text::{
    DurationText, KeyFieldText, MessageText, NonBlankText, RuleIdText, TimestampText,
};
pub(crate) use timeline::{Document, IdText};

use schemars::generate::SchemaSettings;
use schemars::transform::Transform;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

/// The formats there is a schema for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// A rule file: `rules:` and/or `vocabulary:` (see [`rules`]).
    Rules,
    /// `vocabulary.yaml` (see [`vocabulary`]).
    Vocabulary,
    /// A YAML timeline document (see [`timeline`]).
    Timeline,
    /// One line of a JSON Lines observations file (see [`observation`]).
    Observation,
    /// One line of a JSON Lines subjects file (see [`subject`]).
    Subject,
}

impl Format {
    /// Every format, in the order above.
    pub const ALL: [Format; 5] = [
        Format::Rules,
        Format::Vocabulary,
        Format::Timeline,
        Format::Observation,
        Format::Subject,
    ];

    /// Its name on the command line and in file names: `rules`, `vocabulary`, …
    pub fn name(self) -> &'static str {
        match self {
            Format::Rules => "rules",
            Format::Vocabulary => "vocabulary",
            Format::Timeline => "timeline",
            Format::Observation => "observation",
            Format::Subject => "subject",
        }
    }

    /// Its schema.
    pub fn schema(self) -> Value {
        match self {
            Format::Rules => rules(),
            Format::Vocabulary => vocabulary(),
            Format::Timeline => timeline(),
            Format::Observation => observation(),
            Format::Subject => subject(),
        }
    }
}

/// The schema of a rule file: a mapping with `rules:` (a list of rules) and/or `vocabulary:`.
///
/// This is the schema to give an editor for every `*.yaml` file of a rule set, `vocabulary.yaml`
/// included (see `docs/writing-rules.md`, "Editor support").
pub fn rules() -> Value {
    root::<crate::load::raw::RawFile>("early-signal rule file")
}

/// The schema of `vocabulary.yaml`: a rule file whose `vocabulary:` is required.
pub fn vocabulary() -> Value {
    let mut schema = root::<crate::load::raw::RawFile>("early-signal vocabulary");
    if let Some(m) = schema.as_object_mut() {
        m.insert(
            "description".into(),
            "An early-signal vocabulary file: `vocabulary:`, the names rules and data may use."
                .into(),
        );
        m.insert("required".into(), serde_json::json!(["vocabulary"]));
    }
    schema
}

/// The schema of a YAML timeline document: a subject and its observations (one per `---`
/// document of a file).
pub fn timeline() -> Value {
    root::<timeline::Document>("early-signal timeline document")
}

/// The schema of one line of a JSON Lines observations file: an observation with `subject` and
/// `id`.
pub fn observation() -> Value {
    let mut schema = root::<timeline::Observation>("early-signal observation");
    if let Some(m) = schema.as_object_mut() {
        m.insert(
            "description".into(),
            "One line of a JSON Lines observations file: an observation with its `subject`.".into(),
        );
        m.insert(
            "required".into(),
            serde_json::json!(["subject", "id", "at", "kind"]),
        );
    }
    schema
}

/// The schema of one line of a JSON Lines subjects file: `subject`, `born`, `facts`.
pub fn subject() -> Value {
    root::<timeline::SubjectRecord>("early-signal subject record")
}

/// Makes a property the serde type reads as optional a required one in the schema.
///
/// Some fields the language requires (`rationale`, an `unless` entry's `reason`) are optional to
/// serde, so that their absence is reported by the compiler, with the rule's position and a help
/// line, rather than as a bare "missing field".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Require(pub(crate) &'static str);

impl Transform for Require {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(p) = schema
            .get_mut("properties")
            .and_then(|p| p.get_mut(self.0))
            .and_then(Value::as_object_mut)
        {
            p.remove("default");
        }
        let required = schema
            .ensure_object()
            .entry("required")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(names) = required
            && !names.iter().any(|n| n == self.0)
        {
            names.push(self.0.into());
        }
    }
}

/// Turns the schema of a unit-only enum, a `oneOf` of documented `const`s, into a plain `enum`.
///
/// Editors complete an `enum` best, and on hover they would show a variant's Rust doc ("Low.")
/// instead of the field's description, which already says what the values mean.
pub(crate) fn plain_enum(schema: &mut Schema) {
    let Some(Value::Array(variants)) = schema.get("oneOf") else {
        return;
    };
    let values: Option<Vec<Value>> = variants.iter().map(|v| v.get("const").cloned()).collect();
    if let Some(values) = values {
        schema.remove("oneOf");
        schema.insert("type".into(), "string".into());
        schema.insert("enum".into(), Value::Array(values));
    }
}

/// The schema of `T` as a root schema, with a title (editors show it as the heading of hovers).
fn root<T: JsonSchema>(title: &str) -> Value {
    let mut schema: Schema = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.to_value()
}
