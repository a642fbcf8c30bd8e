//! Predicates and matchers (docs/rule-language.md §6).
//!
//! The loader reads a predicate from a located value tree (`node::Node`), by hand, because one
//! predicate mixes fixed names (`kind`, `any`, …) with open ones (`attributes.<name>`,
//! `subject.<fact>`) that serde's derive cannot express. So these types exist for the schema only;
//! a test below keeps their keys equal to `load::predicate`'s `FIXED_KEYS` and `OPERATORS`.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// One observation test: a mapping whose entries must all hold.
pub(crate) enum Predicate {}

impl JsonSchema for Predicate {
    fn schema_name() -> Cow<'static, str> {
        "Predicate".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let matcher = |generator: &mut SchemaGenerator, description: &str| {
            let mut s = generator.subschema_for::<Matcher>();
            // `$ref` beside other keywords is fine in 2020-12; the description is the hover text.
            s.insert("description".into(), description.into());
            s
        };
        let kind = matcher(
            generator,
            "The observation's kind, e.g. `contact.new`, a glob (`missing.*`) or a list of either.",
        );
        let channel = matcher(generator, "How the contact happened, e.g. `online.*`.");
        let counterpart = matcher(
            generator,
            "The pseudonymous id of the other person; usually `{ exists: true }`.",
        );
        let source = matcher(
            generator,
            "The role that recorded the observation, e.g. `mentor`.",
        );
        let age = matcher(
            generator,
            "The subject's age in whole years on the observation's local date; absent without `born`. E.g. `{ lt: 18 }`.",
        );
        let attribute = matcher(
            generator,
            "An attribute of the observation, declared for some kind in the vocabulary.",
        );
        let fact = matcher(
            generator,
            "The subject's fact (declared under `facts`) valid at the observation's `at`.",
        );
        let this = generator.subschema_for::<Predicate>();
        let mut not = this.clone();
        not.insert(
            "description".into(),
            "Holds when this predicate does not.".into(),
        );
        json_schema!({
            "type": "object",
            "description": "A predicate: a mapping of fields to matchers, all of which must hold. Fields are `kind`, `channel`, `counterpart`, `source`, `attributes.<name>`, `subject.age`, `subject.<fact>`, and the combinators `any`, `all`, `not`.",
            "minProperties": 1,
            "properties": {
                "kind": kind,
                "channel": channel,
                "counterpart": counterpart,
                "source": source,
                "subject.age": age,
                "any": {
                    "type": "array",
                    "items": this.clone(),
                    "minItems": 1,
                    "description": "Holds when at least one of the predicates holds."
                },
                "all": {
                    "type": "array",
                    "items": this,
                    "minItems": 1,
                    "description": "Holds when every one of the predicates holds."
                },
                "not": not
            },
            "patternProperties": {
                r"^attributes\..+$": attribute,
                r"^subject\..+$": fact
            },
            "additionalProperties": false
        })
    }
}

/// What a field is compared with: a scalar, a list of scalars, or a map of operators.
pub(crate) enum Matcher {}

impl JsonSchema for Matcher {
    fn schema_name() -> Cow<'static, str> {
        "Matcher".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let this = generator.subschema_for::<Matcher>();
        json_schema!({
            "description": "A scalar (a string is exact, or a glob when it contains `*`; a number; `true`/`false`), a list of scalars (any of), or a map of operators that must all hold. `null` is refused: write `{ exists: false }`.",
            "anyOf": [
                { "type": ["string", "number", "boolean"] },
                {
                    "type": "array",
                    "items": { "type": ["string", "number", "boolean"] },
                    "minItems": 1
                },
                {
                    "type": "object",
                    "minProperties": 1,
                    "properties": {
                        "eq": { "type": ["string", "number", "boolean"], "description": "Equals this value exactly (no globs)." },
                        "in": {
                            "type": "array",
                            "items": { "type": ["string", "number", "boolean"] },
                            "minItems": 1,
                            "description": "Equals one of these values exactly (no globs)."
                        },
                        "glob": { "type": "string", "description": "Matches this glob: `*` is any run of characters, dots included." },
                        "gt": { "type": "number", "description": "A number greater than this." },
                        "gte": { "type": "number", "description": "A number greater than or equal to this." },
                        "lt": { "type": "number", "description": "A number less than this." },
                        "lte": { "type": "number", "description": "A number less than or equal to this." },
                        "exists": { "type": "boolean", "description": "`true`: the field is present; `false`: it is absent." },
                        "not": this
                    },
                    "additionalProperties": false
                }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::load::predicate::{FIXED_KEYS, OPERATORS};
    use serde_json::Value;

    fn keys(object: &Value) -> Vec<String> {
        let mut keys: Vec<String> = object["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_keys_are_the_ones_the_loader_accepts() {
        let schema = crate::schema::rules();
        let predicate = &schema["$defs"]["Predicate"];
        assert_eq!(keys(predicate), sorted(&FIXED_KEYS));
        let open: Vec<&String> = predicate["patternProperties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(open, [r"^attributes\..+$", r"^subject\..+$"]);
        let operators = &schema["$defs"]["Matcher"]["anyOf"][2];
        assert_eq!(keys(operators), sorted(&OPERATORS));
    }
}
