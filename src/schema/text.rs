//! Strings with a shape: durations, timestamps, dates, ids, field names, message templates.
//!
//! The serde types read these as plain strings and check them when the rules compile, where an
//! error can say what is wrong. The schema states the same shapes as `pattern`s, so an editor
//! marks the mistake while it is being typed; `patternErrorMessage` (a keyword of the VS Code and
//! yaml-language-server schema services, ignored by validators) words the mark.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// A string type known only to the schema: its name in `$defs`, and the schema.
macro_rules! text {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $schema:expr) => {
        $(#[$doc])*
        pub(crate) enum $ty {}

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

text!(
    /// `<n><unit>`, as `crate::time::Duration::parse` reads it.
    DurationText,
    "Duration",
    json_schema!({
        "type": "string",
        // Whitespace around it is trimmed; leading zeros are allowed; zero is not.
        "pattern": r"^\s*0*[1-9][0-9]*[mhdw]\s*$",
        "patternErrorMessage": "not a duration: write a positive whole number and a unit, `m` minutes, `h` hours, `d` days or `w` weeks, e.g. `7d` or `72h`",
        "description": "A positive whole number directly followed by a unit: `m` minutes, `h` hours, `d` days (24 hours) or `w` weeks, e.g. `90m`, `72h`, `7d`, `2w`. Exact, not calendar-aware; at most 100 years.",
        "examples": ["7d", "72h", "30d"]
    })
);

text!(
    /// An RFC 3339 timestamp with its offset, as `crate::time::parse_timestamp` reads it.
    TimestampText,
    "Timestamp",
    json_schema!({
        "type": "string",
        "pattern": r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\s*$",
        "patternErrorMessage": "not an RFC 3339 timestamp with offset; write e.g. `2026-03-02T21:14:00+01:00`",
        "description": "An RFC 3339 timestamp WITH its UTC offset, e.g. `2026-03-02T21:14:00+01:00` or `2026-03-02T20:14:00Z`. Without an offset it is refused.",
        "examples": ["2026-03-02T21:14:00+01:00"]
    })
);

text!(
    /// A calendar date, as `crate::time::parse_date` reads it.
    DateText,
    "Date",
    json_schema!({
        "type": "string",
        "pattern": r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$",
        "patternErrorMessage": "not a date; write `YYYY-MM-DD`, e.g. `2011-04-01`",
        "description": "A calendar date `YYYY-MM-DD`, e.g. `2011-04-01`."
    })
);

text!(
    /// A fact's `from` or `until`: a date or a timestamp (`crate::timeline::parse_bound`).
    BoundText,
    "DateOrTimestamp",
    json_schema!({
        "type": "string",
        "pattern": r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?\s*$",
        "patternErrorMessage": "neither a date (`2026-01-10`) nor a timestamp with offset (`2026-01-10T08:00:00+01:00`)",
        "description": "A date `YYYY-MM-DD` (the start of that day in the offset of the observation being evaluated) or an RFC 3339 timestamp with offset."
    })
);

text!(
    /// A rule id (checked in `load::compile`).
    RuleIdText,
    "RuleId",
    json_schema!({
        "description": "A rule id: lower-case letters, digits and `-` only, e.g. `online-contact-then-meeting`. Unique in the rule set.",
        // A YAML integer is read as written, and its digits are a valid id.
        "anyOf": [
            {
                "type": "string",
                "pattern": "^[a-z0-9-]+$",
                "patternErrorMessage": "not a rule id: use lower-case letters, digits and `-` only"
            },
            { "type": "integer" }
        ]
    })
);

text!(
    /// The field a `by` or `distinct` names (`load::predicate`'s `key_field`).
    KeyFieldText,
    "KeyField",
    json_schema!({
        "type": "string",
        "pattern": r"^(kind|channel|counterpart|source|attributes\..+)$",
        "patternErrorMessage": "use `kind`, `channel`, `counterpart`, `source` or `attributes.<name>`",
        "description": "A field of the observation: `kind`, `channel`, `counterpart`, `source` or `attributes.<name>` (not `subject.…`).",
        "examples": ["counterpart", "attributes.vehicle"]
    })
);

text!(
    /// Text that must say something (`rationale`, an `unless` `reason`).
    NonBlankText,
    "NonBlankText",
    json_schema!({
        "type": "string",
        "pattern": r"\S",
        "patternErrorMessage": "empty: say why",
        "description": "Text for people; it must not be empty."
    })
);

/// A `message` template: literal text, `{{`/`}}` for braces, and the placeholders of
/// `rule::Placeholder::ALL` (the pattern is built from that list, so it cannot fall behind).
pub(crate) enum MessageText {}

impl JsonSchema for MessageText {
    fn schema_name() -> Cow<'static, str> {
        "Message".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = crate::rule::Placeholder::ALL
            .iter()
            .map(|(n, _)| *n)
            .collect();
        let listed = names
            .iter()
            .map(|n| format!("`{{{n}}}`"))
            .collect::<Vec<_>>()
            .join(", ");
        json_schema!({
            "type": "string",
            "pattern": format!(r"^([^{{]|\{{\{{|\{{({})\}})*$", names.join("|")),
            "patternErrorMessage": format!("an unknown or unclosed placeholder; placeholders are {listed}, and `{{{{` writes a literal brace"),
            "description": format!("The explanation template. Placeholders: {listed}; `{{{{` and `}}}}` write a literal brace. The engine appends ` (rule <id> v<version>)`."),
        })
    }
}
