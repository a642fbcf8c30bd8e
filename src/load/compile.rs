//! From the typed mirror of rule files to checked [`Rule`]s and a [`Vocabulary`], collecting every
//! problem with its position rather than stopping at the first.

use super::lint;
use super::raw::{self, S};
use super::vocab::compile_vocabulary;
use super::{parse_rule_file, pos_of};
use crate::error::{Diagnostic, Level};
use crate::flag::{Class, Severity, Stage};
use crate::limits::Limits;
use crate::node::Pos;
use crate::rule::{
    Expect, Pattern, Placeholder, Pred, Rule, RuleTest, Segment, Template, Unless, WindowOpens,
};
use crate::time::{Duration, parse_timestamp};
use crate::vocabulary::{Vocabulary, did_you_mean, list, suggest};
use std::collections::HashMap;
use std::sync::Arc;

/// A named YAML text, in load order.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub name: String,
    pub text: String,
}

/// What compiling a set of sources produced.
pub(crate) struct Compiled {
    pub vocabulary: Option<Vocabulary>,
    pub rules: Vec<Rule>,
    pub diagnostics: Vec<Diagnostic>,
}

const DEFAULT_URGENT_MIN: i64 = 7 * 24 * 60;
const DEFAULT_CLOSES_MIN: i64 = 30 * 24 * 60;

/// The error for a rule file larger than the limit.
pub(crate) fn too_large(name: &str, bytes: u64, limits: &Limits) -> Diagnostic {
    Diagnostic::error(
        name,
        Pos::default(),
        if bytes > limits.max_rule_file_bytes as u64 + 1 {
            format!(
                "the file is {bytes} bytes, more than the {} allowed for a rule file (`max_rule_file_bytes`)",
                limits.max_rule_file_bytes
            )
        } else {
            // Reading stopped one byte past the limit: the size is not known.
            format!(
                "the file is larger than the {} bytes allowed for a rule file (`max_rule_file_bytes`)",
                limits.max_rule_file_bytes
            )
        },
    )
    .with_help("split the rules over several files, or check that this is the file you meant")
}

pub(crate) fn compile(sources: &[Source], limits: &Limits) -> Compiled {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for src in sources {
        if src.text.len() > limits.max_rule_file_bytes {
            diags.push(too_large(&src.name, src.text.len() as u64, limits));
            continue;
        }
        match parse_rule_file(&src.text, limits) {
            Ok(f) => {
                if f.vocabulary.is_none() && f.rules.as_ref().is_none_or(|r| r.is_empty()) {
                    diags.push(
                        Diagnostic::warning(&src.name, Pos::default(), "the file holds no rules")
                            .with_help("a rule file has a `rules:` list with at least one rule (`- id: ...`); remove the file if it is not needed"),
                    );
                }
                files.push((src.name.as_str(), f))
            }
            Err(e) => {
                let help = yaml_help(&e.message);
                diags.push(Diagnostic::error(&src.name, e.pos, e.message).with_help(help));
            }
        }
    }
    let mut vocabulary = None;
    let mut vocab_entries = Vec::new();
    let mut vocab_at: Option<(String, Pos)> = None;
    for (name, f) in &files {
        if let Some(v) = &f.vocabulary {
            if let Some((first, p)) = &vocab_at {
                diags.push(
                    Diagnostic::error(name, pos_of(v), "a second vocabulary in one rule set")
                        .with_help(format!("the vocabulary was already given in {first}:{p}; keep one `vocabulary:` (in `vocabulary.yaml`)")),
                );
                continue;
            }
            vocab_at = Some((name.to_string(), pos_of(v)));
            let (compiled, entries) = compile_vocabulary(name, &v.value, &mut diags);
            vocabulary = Some(compiled);
            vocab_entries = entries;
        }
    }
    if vocabulary.is_none() && files.iter().any(|(_, f)| f.rules.is_some()) {
        let first = sources
            .first()
            .map(|s| s.name.as_str())
            .unwrap_or("<rules>");
        diags.push(Diagnostic::warning(first, Pos::default(), "no vocabulary: kinds, channels, sources, attributes and facts are not checked").with_help(
            "add a `vocabulary.yaml` beside the rule files so that typos are caught when the rules load",
        ));
    }
    let vocab_arc = vocabulary.clone().map(Arc::new);
    let mut rules: Vec<Rule> = Vec::new();
    let mut seen: HashMap<String, (String, Pos)> = HashMap::new();
    for (name, f) in &files {
        for r in f.rules.iter().flatten() {
            let mut cx = Cx {
                file: name,
                vocab: vocabulary.as_ref(),
                vocab_arc: vocab_arc.as_ref(),
                diags: &mut diags,
                limits,
                depth: 0,
            };
            let id = r.value.id.value.clone();
            let pos = pos_of(&r.value.id);
            let duplicate = seen.get(&id).cloned();
            if let Some((ofile, opos)) = &duplicate {
                cx.err(pos, format!("duplicate rule id `{id}`"))
                    .help(format!("`{id}` is already defined at {ofile}:{opos}; rule ids must be unique in a rule set"));
            } else {
                seen.insert(id, (name.to_string(), pos));
            }
            // A duplicate is still checked, so that its other problems are reported too.
            if let Some(rule) = cx.rule(&r.value).filter(|_| duplicate.is_none()) {
                rules.push(rule);
            }
        }
    }
    if rules.len() > limits.max_rules {
        let first = sources
            .first()
            .map(|s| s.name.as_str())
            .unwrap_or("<rules>");
        diags.push(
            Diagnostic::error(
                first,
                Pos::default(),
                format!(
                    "the rule set has {} rules, more than the {} allowed (`max_rules`)",
                    rules.len(),
                    limits.max_rules
                ),
            )
            .with_help("load fewer rules at once, or raise the limit where the rule set is loaded"),
        );
    }
    for rule in &rules {
        lint::rule_tests(rule, &mut diags);
    }
    // A rule refused with errors is missing from `rules`: the entries only it uses would be
    // reported as unused, which is misleading. The set cannot be used anyway until it is fixed.
    let refused = diags.iter().any(|d| d.level == Level::Error);
    if vocabulary.is_some() && !rules.is_empty() && !refused {
        lint::unused_vocabulary(&rules, &vocab_entries, &mut diags);
    }
    for d in &mut diags {
        if d.line > 0
            && let Some(src) = sources.iter().find(|s| s.name == d.file)
        {
            d.source_line = src.text.lines().nth(d.line as usize - 1).map(str::to_owned);
        }
    }
    Compiled {
        vocabulary,
        rules,
        diagnostics: diags,
    }
}

/// A help line for errors reported by the YAML layer, where one adds something.
fn yaml_help(message: &str) -> &'static str {
    if message.contains("enum variant") || message.contains("exactly one pattern, but more") {
        "`when:` holds exactly one pattern, with that pattern's fields indented inside it; check the indentation (e.g. `count:` and then `match:`, `within:` indented below it)"
    } else if message.starts_with("unknown variant") {
        "`when` holds exactly one pattern: `match`, `count`, `sequence`, `absence` or `signals`"
    } else if message.starts_with("unknown field") {
        "check the spelling; docs/rule-language.md lists every field"
    } else if message.starts_with("missing field") {
        "add the field; docs/rule-language.md says which fields are required"
    } else if message.contains("alias bomb") || message.contains("aliases (`*name`)") {
        "write the values out instead of repeating them through anchors and aliases"
    } else if message.contains("`max_yaml_depth`") {
        "check for unclosed brackets `[` or `{`; rule files are a few levels deep"
    } else if message.starts_with("invalid type") {
        "the value has the wrong shape here (e.g. a list where a mapping is expected)"
    } else {
        ""
    }
}

/// The diagnostic [`Cx::err`] just added, to give it a help line.
pub(super) struct Added<'d>(Option<&'d mut Diagnostic>);

impl Added<'_> {
    pub(super) fn help(mut self, help: impl Into<String>) -> Self {
        if let Some(d) = self.0.as_deref_mut() {
            d.help(help);
        }
        self
    }
}

pub(super) struct Cx<'a> {
    pub(super) file: &'a str,
    pub(super) vocab: Option<&'a Vocabulary>,
    /// The same vocabulary, shared, for reading rule-test timelines.
    pub(super) vocab_arc: Option<&'a Arc<Vocabulary>>,
    pub(super) diags: &'a mut Vec<Diagnostic>,
    pub(super) limits: &'a Limits,
    /// Nesting of `all`, `any` and `not` in the predicate being compiled.
    pub(super) depth: usize,
}

impl<'a> Cx<'a> {
    pub(super) fn err(&mut self, pos: Pos, message: impl Into<String>) -> Added<'_> {
        self.diags.push(Diagnostic::error(self.file, pos, message));
        Added(self.diags.last_mut())
    }

    fn errors(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
    }

    /// A window length: a duration, with a warning when it is longer than a year.
    fn window(&mut self, s: &S<String>, what: &str) -> Option<Duration> {
        let d = self.bounded(s, what)?;
        if d.minutes() > lint::LONGEST_SENSIBLE_WINDOW_MINUTES {
            self.diags.push(
                Diagnostic::warning(self.file, pos_of(s), format!("`{what}` is {d}, longer than a year"))
                    .with_help("recruitment takes days to weeks, and the national reference index lets signals expire after two years at most; a window this long flags on stale signs"),
            );
        }
        Some(d)
    }

    /// A duration within [`Limits::max_window`].
    fn bounded(&mut self, s: &S<String>, what: &str) -> Option<Duration> {
        let d = self.duration(s, what)?;
        if d.minutes() > self.limits.max_window.minutes() {
            let max = self.limits.max_window;
            self.err(
                pos_of(s),
                format!("`{what}` is {d}, longer than the {max} allowed (`max_window`)"),
            )
            .help("recruitment takes days to weeks; use a window of days or weeks");
            return None;
        }
        Some(d)
    }

    pub(super) fn duration(&mut self, s: &S<String>, what: &str) -> Option<Duration> {
        match Duration::parse(&s.value) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(pos_of(s), format!("`{what}`: {e}"));
                None
            }
        }
    }

    fn rule(&mut self, r: &raw::RawRule) -> Option<Rule> {
        let before = self.errors();
        let id = &r.id.value;
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            let odd = crate::vocabulary::unusual_characters(id);
            self.err(pos_of(&r.id), format!("rule id `{id}` is not valid{odd}"))
                .help("use lower-case letters, digits and `-` only, e.g. `online-contact-then-meeting`");
        }
        if r.version.value == 0 {
            self.err(pos_of(&r.version), "`version` must be 1 or more")
                .help("start at 1 and bump it on any change of meaning");
        }
        let class = match r.class.value.as_str() {
            "risk" => Some(Class::Risk),
            "harm" => Some(Class::Harm),
            other => {
                let help = format!(
                    "use `risk` or `harm`{}",
                    did_you_mean(other, ["risk", "harm"])
                );
                self.err(pos_of(&r.class), format!("unknown class `{other}`"))
                    .help(help);
                None
            }
        };
        let severity = parse_severity(&r.severity.value).or_else(|| {
            let other = &r.severity.value;
            let help = format!(
                "use `low`, `medium`, `high` or `critical`{}",
                did_you_mean(other, ["low", "medium", "high", "critical"])
            );
            self.err(pos_of(&r.severity), format!("unknown severity `{other}`"))
                .help(help);
            None
        });
        let rationale = match &r.rationale {
            Some(s) if !s.value.trim().is_empty() => s.value.trim().to_owned(),
            Some(s) => {
                self.err(pos_of(s), "`rationale` is empty")
                    .help("say why this pattern matters, citing the finding it rests on");
                String::new()
            }
            None => {
                self.err(pos_of(&r.id), format!("rule `{id}` has no `rationale`"))
                    .help("every rule must say why it exists: add `rationale:` citing the finding it rests on");
                String::new()
            }
        };
        let pattern = self.pattern(&r.when);
        let mut unless = Vec::new();
        for u in &r.unless {
            let reason = match &u.value.reason {
                Some(s) if !s.value.trim().is_empty() => s.value.clone(),
                _ => {
                    self.err(pos_of(u), "an `unless` entry without a `reason`")
                        .help("say why these observations are exempt, e.g. `reason: contacts registered as family`");
                    String::new()
                }
            };
            if let Some(pred) = self.pred(&u.value.pred) {
                unless.push(Unless { reason, pred });
            }
        }
        let cooldown = r
            .cooldown
            .as_ref()
            .and_then(|c| self.duration(c, "cooldown"));
        let message = r.message.as_ref().and_then(|m| self.template(m));
        let mut opens = match class {
            Some(Class::Harm) => Some(WindowOpens::Evidence),
            _ => Some(WindowOpens::FirstContact),
        };
        let mut urgent = Duration::from_minutes(DEFAULT_URGENT_MIN);
        let mut closes = Duration::from_minutes(DEFAULT_CLOSES_MIN);
        if let Some(w) = &r.window {
            if let Some(u) = &w.value.urgent {
                urgent = self.window(u, "window.urgent");
            }
            if let Some(c) = &w.value.closes {
                closes = self.window(c, "window.closes");
            }
            if let Some(o) = &w.value.opens {
                opens = match o.value.as_str() {
                    "first_contact" => Some(WindowOpens::FirstContact),
                    "evidence" => Some(WindowOpens::Evidence),
                    other => {
                        self.err(pos_of(o), format!("`window.opens` is `{other}`"))
                            .help("write `first_contact` (the window opens at the first contact with the counterpart) or `evidence` (at the earliest evidence)");
                        None
                    }
                };
            }
            if let (Some(u), Some(c)) = (urgent, closes)
                && u > c
            {
                self.err(pos_of(w), format!("`window.urgent` ({u}) is longer than `window.closes` ({c})"))
                        .help("the urgent period is the first part of the window: make `urgent` at most `closes`");
            }
        }
        let tests = r.tests.iter().filter_map(|t| self.test(id, t)).collect();
        if self.errors() > before {
            return None;
        }
        Some(Rule {
            id: id.as_str().into(),
            version: r.version.value,
            title: r.title.value.clone(),
            class: class?,
            severity: severity?,
            rationale,
            references: r.references.iter().map(|s| s.value.clone()).collect(),
            cooldown,
            urgent: urgent?,
            closes: closes?,
            opens: opens?,
            file: self.file.to_owned(),
            pos: pos_of(&r.id),
            pattern: pattern?,
            unless,
            message,
            tests,
        })
    }

    fn at_least(&mut self, n: &S<i64>, max: Option<usize>) -> Option<usize> {
        if n.value < 1 {
            self.err(
                pos_of(n),
                format!("`at_least` is {}; it must be 1 or more", n.value),
            );
            return None;
        }
        let v = usize::try_from(n.value).ok()?;
        if let Some(max) = max
            && v > max
        {
            self.err(
                pos_of(n),
                format!("`at_least` is {v} but there are only {max} indicators"),
            )
            .help("it can be at most the number of indicators under `of`");
            return None;
        }
        Some(v)
    }

    fn pattern(&mut self, when: &S<raw::RawPattern>) -> Option<Pattern> {
        use raw::RawPattern as R;
        Some(match &when.value {
            R::Match(p) => Pattern::Match(self.pred(p)?),
            R::Count(c) => {
                let pred = self.pred(&c.pred);
                let within = self.window(&c.within, "within");
                let at_least = self.at_least(&c.at_least, None);
                if at_least == Some(1) {
                    self.diags.push(
                        Diagnostic::warning(
                            self.file,
                            pos_of(&c.at_least),
                            "`count` with `at_least: 1` flags every matching observation",
                        )
                        .with_help(
                            "write `when: { match: ... }` instead; it says the same more plainly",
                        ),
                    );
                }
                let distinct = c.distinct.as_ref().map(|f| self.key_field(f, "distinct"));
                let by = c.by.as_ref().map(|f| self.key_field(f, "by"));
                Pattern::Count {
                    pred: pred?,
                    within: within?,
                    at_least: at_least?,
                    distinct: distinct.flatten(),
                    by: by.flatten(),
                }
            }
            R::Sequence(s) => {
                if s.steps.value.len() < 2 {
                    self.err(
                        pos_of(&s.steps),
                        format!(
                            "a sequence needs at least two steps; this one has {}",
                            s.steps.value.len()
                        ),
                    )
                    .help("for a single kind of observation use `match` or `count`");
                }
                if s.steps.value.len() > self.limits.max_sequence_steps {
                    let max = self.limits.max_sequence_steps;
                    self.err(
                        pos_of(&s.steps),
                        format!(
                            "a sequence may have at most {max} steps (`max_sequence_steps`); this one has {}",
                            s.steps.value.len()
                        ),
                    )
                    .help("recruitment patterns are a few steps long; split a long chain into several rules");
                    return None;
                }
                let steps: Vec<Option<Pred>> = s.steps.value.iter().map(|p| self.pred(p)).collect();
                let until = s.until.as_ref().map(|u| self.pred(u));
                let within = self.window(&s.within, "within");
                let by = s.by.as_ref().map(|f| self.key_field(f, "by"));
                if s.steps.value.len() < 2 {
                    return None;
                }
                Pattern::Sequence {
                    within: within?,
                    by: by.flatten(),
                    steps: steps.into_iter().collect::<Option<Vec<_>>>()?,
                    until: match until {
                        Some(u) => Some(u?),
                        None => None,
                    },
                }
            }
            R::Absence(a) => {
                let after = self.pred(&a.after);
                let expect = self.pred(&a.expect);
                let within = self.window(&a.within, "within");
                let by = a.by.as_ref().map(|f| self.key_field(f, "by"));
                Pattern::Absence {
                    after: after?,
                    expect: expect?,
                    within: within?,
                    by: by.flatten(),
                }
            }
            R::Signals(s) => {
                let within = self.window(&s.within, "within");
                if s.of.value.0.is_empty() {
                    self.err(pos_of(&s.of), "`of` lists no indicators").help(
                        "name at least one indicator, e.g. `missing: { kind: missing.episode }`",
                    );
                    return None;
                }
                if s.of.value.0.len() > self.limits.max_indicators {
                    let max = self.limits.max_indicators;
                    self.err(
                        pos_of(&s.of),
                        format!(
                            "`signals` may have at most {max} indicators (`max_indicators`); this one has {}",
                            s.of.value.0.len()
                        ),
                    )
                    .help("group related kinds into one indicator with `any:` or a glob such as `kind: money.*`");
                    return None;
                }
                let at_least = self.at_least(&s.at_least, Some(s.of.value.0.len()));
                let mut of = Vec::new();
                let mut ok = true;
                for (name, p) in &s.of.value.0 {
                    if name.value.is_empty()
                        || !name.value.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                        })
                    {
                        self.err(
                            pos_of(name),
                            format!("indicator name `{}` is not valid", name.value),
                        )
                        .help("use lower-case letters, digits, `_` and `-`");
                        ok = false;
                    }
                    match self.pred(p) {
                        Some(p) => of.push((name.value.as_str().into(), p)),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Pattern::Signals {
                    within: within?,
                    at_least: at_least?,
                    of,
                }
            }
        })
    }

    /// A field for `by` or `distinct`.
    fn template(&mut self, m: &S<String>) -> Option<Template> {
        let pos = pos_of(m);
        let mut segs = Vec::new();
        let mut text = String::new();
        let mut chars = m.value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        if c == '{' {
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        self.err(pos, format!("unclosed `{{{name}` in `message`"))
                            .help(
                                "close the placeholder with `}`, or write `{{` for a literal brace",
                            );
                        return None;
                    }
                    match Placeholder::ALL.iter().find(|(n, _)| *n == name) {
                        Some((_, p)) => {
                            if !text.is_empty() {
                                segs.push(Segment::Text(std::mem::take(&mut text)));
                            }
                            segs.push(Segment::Placeholder(*p));
                        }
                        None => {
                            let names: Vec<&str> =
                                Placeholder::ALL.iter().map(|(n, _)| *n).collect();
                            let help = match suggest(&name, names.iter().copied()) {
                                Some(s) => format!(
                                    "did you mean `{{{s}}}`? placeholders are {}",
                                    list(&names)
                                ),
                                None => format!(
                                    "placeholders are {}; write `{{{{` for a literal brace",
                                    list(&names)
                                ),
                            };
                            self.err(
                                pos,
                                format!("unknown placeholder `{{{name}}}` in `message`"),
                            )
                            .help(help);
                            return None;
                        }
                    }
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            segs.push(Segment::Text(text));
        }
        Some(Template(segs))
    }

    fn test(&mut self, rule_id: &str, t: &S<raw::RawTest>) -> Option<RuleTest> {
        let mut ok = true;
        let as_of = match &t.value.as_of {
            Some(s) => match parse_timestamp(&s.value) {
                Ok(ts) => Some(ts),
                Err(e) => {
                    self.err(pos_of(s), format!("`as_of`: {e}"));
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let mut expect = Vec::new();
        for e in &t.value.expect {
            let e = &e.value;
            if e.rule.value != rule_id {
                self.err(
                    pos_of(&e.rule),
                    format!(
                        "a test of rule `{rule_id}` expects a flag of `{}`",
                        e.rule.value
                    ),
                )
                .help("a rule's tests list only the flags of that rule");
                ok = false;
            }
            let raised_at = match &e.raised_at {
                Some(s) => match parse_timestamp(&s.value) {
                    Ok(ts) => Some(ts),
                    Err(err) => {
                        self.err(pos_of(s), format!("`raised_at`: {err}"));
                        ok = false;
                        None
                    }
                },
                None => None,
            };
            let severity = e.severity.as_ref().and_then(|s| {
                let v = parse_severity(&s.value);
                if v.is_none() {
                    self.err(pos_of(s), format!("unknown severity `{}`", s.value));
                    ok = false;
                }
                v
            });
            let stage = e.stage.as_ref().and_then(|s| {
                let v = match s.value.as_str() {
                    "urgent" => Some(Stage::Urgent),
                    "open" => Some(Stage::Open),
                    "closed" => Some(Stage::Closed),
                    _ => None,
                };
                if v.is_none() {
                    self.err(pos_of(s), format!("unknown stage `{}`", s.value))
                        .help("use `urgent`, `open` or `closed`");
                    ok = false;
                }
                v
            });
            expect.push(Expect {
                evidence: e.evidence.iter().map(|s| s.value.clone()).collect(),
                raised_at,
                severity,
                stage,
            });
        }
        // A protected name has no place in a rule file, test data included (it would be stripped
        // from real data before evaluation anyway).
        for (pos, name) in protected_in_timeline(&t.value.timeline, self.vocab) {
            self.err(pos, format!("test `{}` of rule `{rule_id}` records the protected name `{name}`", t.value.name.value))
                .help("rules and their tests may never use protected attributes or facts; remove it from the test timeline");
            ok = false;
        }
        // Read the timeline now, so that a record the vocabulary refuses is a load error at its
        // line rather than a surprise when the tests run.
        let mut tl = match self.vocab_arc {
            Some(v) => crate::Timeline::with_vocabulary(v.clone()),
            None => crate::Timeline::new(),
        };
        let file: Arc<str> = Arc::from(self.file);
        crate::input::read_subject_document(&mut tl, &file, &t.value.timeline);
        for r in tl.rejected() {
            let pos = Pos {
                line: r.line.unwrap_or(0),
                column: r.column.unwrap_or(0),
            };
            let name = &t.value.name.value;
            self.err(
                pos,
                format!(
                    "test `{name}` of rule `{rule_id}`: timeline record refused: {}",
                    r.reason
                ),
            )
            .help("rule tests use the same vocabulary as real timelines; correct the record");
            ok = false;
        }
        ok.then(|| RuleTest {
            name: t.value.name.value.clone(),
            as_of,
            timeline: t.value.timeline.clone(),
            expect,
            pos: pos_of(&t.value.name),
        })
    }
}

fn parse_severity(s: &str) -> Option<Severity> {
    match s {
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

/// Attribute and fact names in a test timeline that are protected, with their positions.
fn protected_in_timeline(
    doc: &crate::node::Node,
    vocab: Option<&Vocabulary>,
) -> Vec<(Pos, String)> {
    let protected = |n: &str| crate::timeline::is_protected(vocab, n);
    let get = |node: &crate::node::Node, key: &str| {
        node.as_map()
            .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some(key)))
            .map(|(_, v)| v.clone())
    };
    let items = |node: Option<crate::node::Node>| match node.map(|n| n.kind) {
        Some(crate::node::NodeKind::Seq(items)) => items,
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for o in items(get(doc, "observations")) {
        if let Some(attrs) = get(&o, "attributes") {
            for (k, _) in attrs.as_map().unwrap_or(&[]) {
                if let Some(name) = k.as_text().filter(|n| protected(n)) {
                    out.push((k.pos, name.to_owned()));
                }
            }
        }
    }
    for f in items(get(doc, "facts")) {
        if let Some(name) = get(&f, "name").filter(|n| n.as_text().is_some_and(protected)) {
            out.push((name.pos, name.as_text().unwrap_or_default().to_owned()));
        }
    }
    out
}
