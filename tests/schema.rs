//! The editor schemas (`early_signal::schema`, `early-signal schema`) against the files they
//! describe: every rule file, vocabulary and example timeline of the crate validates; a set of
//! broken rule files does not, and the loader refuses each of them too; no file the loader
//! accepts is refused by the schema; and the committed `docs/schema/*.schema.json` are current.
#![cfg(feature = "schema")]

use early_signal::RuleSet;
use early_signal::schema::{self, Format};
use serde_json::Value;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A compiled schema, to validate values against.
struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    fn new(format: Format) -> Self {
        let url = format!("urn:early-signal:{}", format.name());
        let mut compiler = boon::Compiler::new();
        compiler.add_resource(&url, format.schema()).unwrap();
        let mut schemas = boon::Schemas::new();
        let index = compiler
            .compile(&url, &mut schemas)
            .unwrap_or_else(|e| panic!("the {} schema does not compile: {e:#}", format.name()));
        Validator { schemas, index }
    }

    /// `None` when `value` is valid, else the validator's explanation.
    fn errors(&self, value: &Value) -> Option<String> {
        self.schemas
            .validate(value, self.index)
            .err()
            .map(|e| format!("{e:#}"))
    }

    fn assert_valid(&self, what: &str, value: &Value) {
        if let Some(e) = self.errors(value) {
            panic!("{what} does not validate against its schema:\n{e}");
        }
    }
}

/// The files with extension `ext` directly in `dir` (relative to the crate root), sorted.
fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no *.{ext} files in {dir}");
    out
}

/// A YAML text as the JSON value an editor's language server sees, through the crate's YAML
/// library.
fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn every_rule_file_of_the_crate_validates() {
    let rules = Validator::new(Format::Rules);
    let vocabulary = Validator::new(Format::Vocabulary);
    for dir in ["rules", "examples/custom-rules"] {
        for path in files(dir, "yaml") {
            let value = yaml(&read(&path));
            rules.assert_valid(&path.display().to_string(), &value);
            if path.file_name().is_some_and(|n| n == "vocabulary.yaml") {
                vocabulary.assert_valid(&path.display().to_string(), &value);
            }
        }
    }
}

#[test]
fn the_vocabulary_schema_requires_a_vocabulary() {
    let vocabulary = Validator::new(Format::Vocabulary);
    let rules_only = yaml(&read(&Path::new(ROOT).join("rules/contact.yaml")));
    assert!(vocabulary.errors(&rules_only).is_some());
}

#[test]
fn every_example_timeline_validates() {
    let timeline = Validator::new(Format::Timeline);
    for dir in ["examples/timelines", "examples/custom-rules/timelines"] {
        for path in files(dir, "yaml") {
            let docs: Vec<Value> = serde_saphyr::from_multiple(&read(&path)).unwrap();
            assert!(!docs.is_empty());
            for (i, doc) in docs.iter().enumerate() {
                timeline.assert_valid(&format!("{} document {}", path.display(), i + 1), doc);
            }
        }
    }
    let lines = |name: &str, format: Format| {
        let v = Validator::new(format);
        let path = Path::new(ROOT).join("examples/timelines").join(name);
        let text = read(&path);
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let value: Value = serde_json::from_str(line).unwrap();
            v.assert_valid(&format!("{}:{}", path.display(), i + 1), &value);
        }
    };
    lines("observations.jsonl", Format::Observation);
    lines("subjects.jsonl", Format::Subject);
}

/// A rule file that is valid, and that each broken case below changes in one place.
const BASE: &str = "\
rules:
  - id: r-one
    version: 1
    title: three new contacts in a week
    class: risk
    severity: high
    rationale: a made-up reason
    when:
      count:
        match: { kind: contact.new }
        within: 7d
        at_least: 3
";

/// `BASE` with `from` replaced by `to` (which must occur).
fn broken(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "`{from}` is not in the base rule");
    BASE.replacen(from, to, 1)
}

#[test]
fn broken_rule_files_do_not_validate_and_do_not_load() {
    let rules = Validator::new(Format::Rules);
    assert_eq!(rules.errors(&yaml(BASE)), None, "the base rule is valid");
    RuleSet::from_yaml_str("base.yaml", BASE).unwrap();
    let add = |line: &str| format!("{BASE}    {line}\n");
    let cases = [
        ("unknown field", broken("within: 7d", "withn: 7d")),
        (
            "duration with a space",
            broken("within: 7d", "within: 7 days"),
        ),
        ("duration without unit", broken("within: 7d", "within: 7")),
        ("zero duration", broken("within: 7d", "within: 0d")),
        (
            "upper-case duration unit",
            broken("within: 7d", "within: 7D"),
        ),
        ("misspelt pattern", broken("count:", "cuont:")),
        (
            "two patterns",
            broken("    when:\n", "    when:\n      match: { kind: x }\n"),
        ),
        ("rule id with upper case", broken("id: r-one", "id: R_One")),
        (
            "unknown severity",
            broken("severity: high", "severity: hgh"),
        ),
        ("unknown class", broken("class: risk", "class: danger")),
        ("version 0", broken("version: 1", "version: 0")),
        (
            "no rationale",
            broken("    rationale: a made-up reason\n", ""),
        ),
        (
            "empty rationale",
            broken("rationale: a made-up reason", "rationale: ''"),
        ),
        (
            "no title",
            broken("    title: three new contacts in a week\n", ""),
        ),
        ("at_least 0", broken("at_least: 3", "at_least: 0")),
        (
            "unknown operator",
            broken("{ kind: contact.new }", "{ kind: { ge: 1 } }"),
        ),
        (
            "field without prefix",
            broken("{ kind: contact.new }", "{ residence: home }"),
        ),
        ("empty predicate", broken("{ kind: contact.new }", "{}")),
        (
            "compared with null",
            broken("{ kind: contact.new }", "{ kind: null }"),
        ),
        (
            "empty list",
            broken("{ kind: contact.new }", "{ kind: [] }"),
        ),
        ("empty any", broken("{ kind: contact.new }", "{ any: [] }")),
        (
            "by on a subject field",
            broken("at_least: 3", "at_least: 3\n        by: subject.age"),
        ),
        (
            "unknown placeholder",
            add("message: \"{cnt} new contacts\""),
        ),
        (
            "unless without reason",
            add("unless: [ { match: { kind: x } } ]"),
        ),
        ("unknown window field", add("window: { urgnt: 3d }")),
        ("window opens elsewhere", add("window: { opens: start }")),
        ("cooldown in words", add("cooldown: a month")),
        (
            "sequence of one step",
            broken(
                "count:\n        match: { kind: contact.new }\n        within: 7d\n        at_least: 3",
                "sequence:\n        within: 7d\n        steps: [ { kind: contact.new } ]",
            ),
        ),
        (
            "indicator name with upper case",
            broken(
                "count:\n        match: { kind: contact.new }",
                "signals:\n        of: { Money: { kind: debt.sudden } }",
            ),
        ),
        (
            "test timestamp without offset",
            add(
                "tests: [ { name: t, as_of: 2026-03-10T00:00:00, timeline: { subject: t-1 }, expect: [] } ]",
            ),
        ),
        (
            "test timeline with an unknown field",
            add("tests: [ { name: t, timeline: { subject: t-1, observatons: [] }, expect: [] } ]"),
        ),
        (
            "test observation without kind",
            add(
                "tests: [ { name: t, timeline: { subject: t-1, observations: [ { id: a, at: '2026-03-10T00:00:00Z' } ] }, expect: [] } ]",
            ),
        ),
        ("unknown top-level key", format!("{BASE}vocabulry: {{}}\n")),
        (
            "unknown attribute type",
            format!("{BASE}vocabulary:\n  facts: {{ residence: {{ type: text }} }}\n"),
        ),
        (
            "type and values together",
            format!(
                "{BASE}vocabulary:\n  facts: {{ residence: {{ type: string, values: [home] }} }}\n"
            ),
        ),
    ];
    for (what, text) in &cases {
        let value = yaml(text);
        assert!(
            rules.errors(&value).is_some(),
            "{what}: the schema accepts\n{text}"
        );
        assert!(
            RuleSet::from_yaml_str("broken.yaml", text).is_err(),
            "{what}: the loader accepts\n{text}"
        );
    }
}

/// The schema must not refuse what the loader accepts: every file of the rule corpus that loads
/// on its own (most are deliberately broken) validates.
#[test]
fn no_rule_file_the_loader_accepts_is_refused() {
    let rules = Validator::new(Format::Rules);
    let mut loaded = 0;
    for path in files("tests/corpus/rules", "yaml") {
        // Some corpus files are deliberately not UTF-8.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if RuleSet::from_yaml_str("corpus.yaml", &text).is_err() {
            continue;
        }
        // Empty files and comments are no YAML value; the loader reads them as no rules.
        let Ok(value) = serde_saphyr::from_str::<Value>(&text) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        rules.assert_valid(&path.display().to_string(), &value);
        loaded += 1;
    }
    assert!(loaded > 0, "no corpus file loads");
}

/// `docs/schema/<format>.schema.json` is what `early-signal schema <format>` prints. Regenerate
/// them all with `UPDATE_SCHEMAS=1 cargo test --test schema`, or one with
/// `cargo run -q -- schema rules > docs/schema/rules.schema.json`.
#[test]
fn committed_schema_files_are_current() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for format in Format::ALL {
        let path = Path::new(ROOT)
            .join("docs/schema")
            .join(format!("{}.schema.json", format.name()));
        let fresh = format!(
            "{}\n",
            serde_json::to_string_pretty(&format.schema()).unwrap()
        );
        if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, fresh).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; regenerate with `UPDATE_SCHEMAS=1 cargo test --test schema` and review the diff"
    );
}

#[test]
fn the_rules_schema_is_draft_2020_12_with_descriptions() {
    let s = schema::rules();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let rule = &s["$defs"]["Rule"]["properties"];
    for field in [
        "id",
        "version",
        "class",
        "severity",
        "rationale",
        "when",
        "window",
        "tests",
    ] {
        assert!(
            rule[field]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "`{field}` has no description"
        );
    }
}
