//! `early-signal schema`: print the JSON Schema of a file format, for editors.

use crate::{Unusable, finish};
use clap::ValueEnum;
use early_signal::schema::Format;
use std::io::{self, Write};
use std::process::ExitCode;

/// The format whose schema to print.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SchemaFormat {
    /// Rule files and `vocabulary.yaml` (`rules:` and/or `vocabulary:`).
    Rules,
    /// `vocabulary.yaml` alone (`vocabulary:` required).
    Vocabulary,
    /// A YAML timeline document: a subject and its observations.
    Timeline,
    /// One line of a JSON Lines observations file.
    Observation,
    /// One line of a JSON Lines subjects file (`--subjects`).
    Subject,
}

impl From<SchemaFormat> for Format {
    fn from(f: SchemaFormat) -> Format {
        match f {
            SchemaFormat::Rules => Format::Rules,
            SchemaFormat::Vocabulary => Format::Vocabulary,
            SchemaFormat::Timeline => Format::Timeline,
            SchemaFormat::Observation => Format::Observation,
            SchemaFormat::Subject => Format::Subject,
        }
    }
}

/// Writes the schema, pretty-printed, to stdout.
pub(crate) fn schema(format: SchemaFormat) -> Result<ExitCode, Unusable> {
    let schema = Format::from(format).schema();
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Unusable(format!("cannot write the schema: {e}")))?;
    let mut out = io::stdout().lock();
    finish(
        ExitCode::SUCCESS,
        writeln!(out, "{text}").and_then(|()| out.flush()),
    )
}
