//! From the typed mirror of rule files to checked [`Rule`]s and a [`Vocabulary`], collecting every
//! problem with its position rather than stopping at the first.

use super::raw::{self, S};
use super::{parse_rule_file, pos_of};
use crate::error::{Diagnostic, Level};
use crate::flag::{Class, Severity, Stage};
use crate::node::{Node, NodeKind, Pos};
use crate::rule::{
    CmpOp, Expect, Field, Lit, Matcher, Pattern, Placeholder, Pred, Rule, RuleTest, Segment,
    Template, Unless, glob,
};
use crate::time::{Duration, parse_timestamp};
use crate::vocabulary::{KindDecl, ValueType, Vocabulary, did_you_mean, list, suggest};
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

pub(crate) fn compile(sources: &[Source]) -> Compiled {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for src in sources {
        match parse_rule_file(&src.text) {
            Ok(f) => files.push((src.name.as_str(), f)),
            Err(e) => {
                let help = yaml_help(&e.message);
                diags.push(Diagnostic::error(&src.name, e.pos, e.message).with_help(help));
            }
        }
    }
    let mut vocabulary = None;
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
            vocabulary = Some(compile_vocabulary(name, &v.value, &mut diags));
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
    if message.contains("enum variant") {
        "`when:` holds exactly one pattern, with that pattern's fields indented inside it; check the indentation (e.g. `count:` and then `match:`, `within:` indented below it)"
    } else if message.starts_with("unknown variant") {
        "`when` holds exactly one pattern: `match`, `count`, `sequence`, `absence` or `signals`"
    } else if message.starts_with("unknown field") {
        "check the spelling; docs/rule-language.md lists every field"
    } else if message.starts_with("missing field") {
        "add the field; docs/rule-language.md says which fields are required"
    } else if message.starts_with("invalid type") {
        "the value has the wrong shape here (e.g. a list where a mapping is expected)"
    } else {
        ""
    }
}

fn compile_vocabulary(
    file: &str,
    raw: &raw::RawVocabulary,
    diags: &mut Vec<Diagnostic>,
) -> Vocabulary {
    let mut v = Vocabulary::default();
    for p in &raw.protected {
        v.protected.insert(p.value.clone());
    }
    let mut cx = Cx {
        file,
        vocab: None,
        vocab_arc: None,
        diags,
    };
    for (name, kind) in &raw.kinds.0 {
        let mut decl = KindDecl {
            description: kind.value.description.clone().unwrap_or_default(),
            ..KindDecl::default()
        };
        for (attr, ty) in &kind.value.attributes.0 {
            if v.is_protected(&attr.value) {
                cx.err(
                    pos_of(attr),
                    format!("attribute `{}` is a protected name", attr.value),
                )
                .help("protected attributes may never be recorded for rules; remove it");
                continue;
            }
            let Some(t) = cx.value_type(ty) else { continue };
            let merged = match (v.attributes.get(&attr.value), &t) {
                (None, _) => Some(t.clone()),
                (Some(ValueType::Values(a)), ValueType::Values(b)) => {
                    let mut all = a.clone();
                    all.extend(b.iter().filter(|x| !a.contains(x)).cloned());
                    Some(ValueType::Values(all))
                }
                (Some(old), new) if old == new => None,
                (Some(old), new) => {
                    cx.err(pos_of(attr), format!("attribute `{}` is {} here but {} in another kind", attr.value, new.describe(), old.describe()))
                        .help("one attribute name has one type across all kinds, so rules can compare it; rename one of them");
                    None
                }
            };
            if let Some(m) = merged {
                v.attributes.insert(attr.value.clone(), m);
            }
            decl.attributes.insert(attr.value.clone(), t);
        }
        v.kinds.insert(name.value.clone(), decl);
    }
    v.channels = raw.channels.iter().map(|c| c.value.clone()).collect();
    v.sources = raw.sources.iter().map(|c| c.value.clone()).collect();
    for (name, ty) in &raw.facts.0 {
        if name.value == "age" {
            cx.err(pos_of(name), "a fact may not be named `age`")
                .help("`subject.age` is computed from `born`; give the fact another name");
            continue;
        }
        if v.is_protected(&name.value) {
            cx.err(
                pos_of(name),
                format!("fact `{}` is a protected name", name.value),
            )
            .help("protected facts may never be used by rules; remove it");
            continue;
        }
        if let Some(t) = cx.value_type(ty) {
            v.facts.insert(name.value.clone(), t);
        }
    }
    v
}

/// The type a matcher is checked against.
#[derive(Debug, Clone)]
enum Ty<'a> {
    /// A string; with `Some`, one of these names or values.
    Str(Option<Vec<&'a str>>, &'static str),
    Num,
    Bool,
    Unknown,
}

struct Cx<'a> {
    file: &'a str,
    vocab: Option<&'a Vocabulary>,
    /// The same vocabulary, shared, for reading rule-test timelines.
    vocab_arc: Option<&'a Arc<Vocabulary>>,
    diags: &'a mut Vec<Diagnostic>,
}

impl<'a> Cx<'a> {
    fn err(&mut self, pos: Pos, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(self.file, pos, message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn errors(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
    }

    fn value_type(&mut self, ty: &S<raw::RawType>) -> Option<ValueType> {
        match (&ty.value.ty, &ty.value.values) {
            (Some(_), Some(_)) => {
                self.err(pos_of(ty), "give either `type` or `values`, not both")
                    .help("`values: [...]` already means a string from that list");
                None
            }
            (None, Some(vs)) if vs.is_empty() => {
                self.err(pos_of(ty), "`values` is empty")
                    .help("list the allowed values, or use `type: string`");
                None
            }
            (None, Some(vs)) => Some(ValueType::Values(
                vs.iter().map(|s| s.value.clone()).collect(),
            )),
            (Some(t), None) => match t.value.as_str() {
                "string" => Some(ValueType::String),
                "number" => Some(ValueType::Number),
                "bool" => Some(ValueType::Bool),
                other => {
                    let help = format!(
                        "use `string`, `number`, `bool`, or `values: [...]`{}",
                        did_you_mean(other, ["string", "number", "bool"])
                    );
                    self.err(pos_of(t), format!("unknown type `{other}`"))
                        .help(help);
                    None
                }
            },
            (None, None) => Some(ValueType::String),
        }
    }

    fn duration(&mut self, s: &S<String>, what: &str) -> Option<Duration> {
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
            self.err(pos_of(&r.id), format!("rule id `{id}` is not valid"))
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
        let mut urgent = Duration::from_minutes(DEFAULT_URGENT_MIN);
        let mut closes = Duration::from_minutes(DEFAULT_CLOSES_MIN);
        if let Some(w) = &r.window {
            if let Some(u) = &w.value.urgent {
                urgent = self.duration(u, "window.urgent");
            }
            if let Some(c) = &w.value.closes {
                closes = self.duration(c, "window.closes");
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
            id: id.clone(),
            version: r.version.value,
            title: r.title.value.clone(),
            class: class?,
            severity: severity?,
            rationale,
            references: r.references.iter().map(|s| s.value.clone()).collect(),
            cooldown,
            urgent: urgent?,
            closes: closes?,
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
                let within = self.duration(&c.within, "within");
                let at_least = self.at_least(&c.at_least, None);
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
                let steps: Vec<Option<Pred>> = s.steps.value.iter().map(|p| self.pred(p)).collect();
                let until = s.until.as_ref().map(|u| self.pred(u));
                let within = self.duration(&s.within, "within");
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
                let within = self.duration(&a.within, "within");
                let by = a.by.as_ref().map(|f| self.key_field(f, "by"));
                Pattern::Absence {
                    after: after?,
                    expect: expect?,
                    within: within?,
                    by: by.flatten(),
                }
            }
            R::Signals(s) => {
                let within = self.duration(&s.within, "within");
                if s.of.value.0.is_empty() {
                    self.err(pos_of(&s.of), "`of` lists no indicators").help(
                        "name at least one indicator, e.g. `missing: { kind: missing.episode }`",
                    );
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
                        Some(p) => of.push((name.value.clone(), p)),
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
    fn key_field(&mut self, f: &S<String>, what: &str) -> Option<Field> {
        let pos = pos_of(f);
        let field = self.field(&f.value, pos)?;
        match field {
            Field::Age | Field::Fact(_) => {
                self.err(pos, format!("`{what}` cannot use `{}`", f.value))
                    .help(format!("`{what}` takes a field of the observation: `kind`, `channel`, `counterpart`, `source` or `attributes.<name>`"));
                None
            }
            other => Some(other),
        }
    }

    /// Parses a field name, checking protected and declared names.
    fn field(&mut self, name: &str, pos: Pos) -> Option<Field> {
        let protected_help = format!(
            "rules may never use a protected name ({}); this cannot be switched off",
            crate::vocabulary::protected_names(self.vocab)
        );
        let protected = |n: &str| match self.vocab {
            Some(v) => v.is_protected(n),
            None => crate::vocabulary::is_builtin_protected(n),
        };
        let field = match name {
            "kind" => Field::Kind,
            "channel" => Field::Channel,
            "counterpart" => Field::Counterpart,
            "source" => Field::Source,
            "subject.age" => Field::Age,
            _ => {
                if let Some(a) = name.strip_prefix("attributes.").filter(|a| !a.is_empty()) {
                    if protected(a) {
                        self.err(pos, format!("`{name}` uses the protected name `{a}`"))
                            .help(protected_help);
                        return None;
                    }
                    if let Some(v) = self.vocab
                        && v.attribute_type(a).is_none()
                    {
                        self.err(pos, format!("unknown attribute `{a}`"))
                            .help(format!(
                                "no kind in the vocabulary declares it{}",
                                did_you_mean(a, v.attribute_names())
                            ));
                        return None;
                    }
                    Field::Attribute(a.to_owned())
                } else if let Some(fact) = name.strip_prefix("subject.").filter(|a| !a.is_empty()) {
                    if protected(fact) {
                        self.err(pos, format!("`{name}` uses the protected name `{fact}`"))
                            .help(protected_help);
                        return None;
                    }
                    if let Some(v) = self.vocab
                        && !v.facts.contains_key(fact)
                    {
                        self.err(pos, format!("unknown subject fact `{fact}`"))
                            .help(format!(
                                "declare it under `facts:` in the vocabulary{}",
                                did_you_mean(
                                    fact,
                                    v.facts.keys().map(String::as_str).chain(["age"])
                                )
                            ));
                        return None;
                    }
                    Field::Fact(fact.to_owned())
                } else {
                    let known = [
                        "kind",
                        "channel",
                        "counterpart",
                        "source",
                        "subject.age",
                        "any",
                        "all",
                        "not",
                    ];
                    let mut help = format!(
                        "fields are `kind`, `channel`, `counterpart`, `source`, `attributes.<name>`, `subject.age`, `subject.<fact>`, or `any`/`all`/`not`{}",
                        did_you_mean(name, known)
                    );
                    if protected(name) {
                        help = "this is a protected name; rules may never use it".into();
                    }
                    self.err(pos, format!("unknown field `{name}`")).help(help);
                    return None;
                }
            }
        };
        Some(field)
    }

    fn field_type(&self, field: &Field) -> Ty<'a> {
        let Some(v) = self.vocab else {
            return match field {
                Field::Age => Ty::Num,
                Field::Kind | Field::Channel | Field::Source | Field::Counterpart => {
                    Ty::Str(None, "value")
                }
                _ => Ty::Unknown,
            };
        };
        let of = |t: Option<&'a ValueType>| match t {
            Some(ValueType::String) => Ty::Str(None, "value"),
            Some(ValueType::Number) => Ty::Num,
            Some(ValueType::Bool) => Ty::Bool,
            Some(ValueType::Values(vs)) => {
                Ty::Str(Some(vs.iter().map(String::as_str).collect()), "value")
            }
            None => Ty::Unknown,
        };
        match field {
            Field::Kind => Ty::Str(Some(v.kinds.keys().map(String::as_str).collect()), "kind"),
            Field::Channel => Ty::Str(
                Some(v.channels.iter().map(String::as_str).collect()),
                "channel",
            ),
            Field::Source => Ty::Str(
                Some(v.sources.iter().map(String::as_str).collect()),
                "source",
            ),
            Field::Counterpart => Ty::Str(None, "value"),
            Field::Age => Ty::Num,
            Field::Attribute(a) => of(v.attribute_type(a)),
            Field::Fact(f) => of(v.facts.get(f)),
        }
    }

    fn pred(&mut self, node: &Node) -> Option<Pred> {
        let Some(entries) = node.as_map() else {
            self.err(
                node.pos,
                format!("a predicate must be a mapping, found {}", node.describe()),
            )
            .help("write e.g. `{ kind: contact.new, channel: online.* }`");
            return None;
        };
        if entries.is_empty() {
            self.err(node.pos, "empty predicate `{}`").help("an empty predicate matches everything, which is always a mistake; name at least one field");
            return None;
        }
        let mut parts: Vec<Option<Pred>> = Vec::new();
        for (k, v) in entries {
            let Some(key) = k.as_text() else {
                self.err(
                    k.pos,
                    format!(
                        "a predicate key must be a field name, found {}",
                        k.describe()
                    ),
                );
                parts.push(None);
                continue;
            };
            let part = match key {
                "any" | "all" => {
                    match &v.kind {
                        NodeKind::Seq(items) if items.is_empty() => {
                            self.err(v.pos, format!("`{key}: []` is empty")).help(
                                if key == "any" {
                                    "`any: []` never matches; list at least one predicate"
                                } else {
                                    "`all: []` always matches; list at least one predicate"
                                },
                            );
                            None
                        }
                        NodeKind::Seq(items) => {
                            let ps: Vec<Option<Pred>> =
                                items.iter().map(|p| self.pred(p)).collect();
                            ps.into_iter().collect::<Option<Vec<_>>>().map(|ps| {
                                if key == "any" {
                                    Pred::Any(ps)
                                } else {
                                    Pred::All(ps)
                                }
                            })
                        }
                        _ => {
                            self.err(v.pos, format!("`{key}` takes a list of predicates, found {}", v.describe()))
                            .help(format!("write e.g. `{key}: [ {{kind: vehicle.pickup}}, {{kind: stay.hotel}} ]`"));
                            None
                        }
                    }
                }
                "not" => self.pred(v).map(|p| Pred::Not(Box::new(p))),
                _ => self.field(key, k.pos).and_then(|f| {
                    let ty = self.field_type(&f);
                    self.matcher(v, &f, &ty).map(|m| Pred::Test(f, m))
                }),
            };
            parts.push(part);
        }
        all_or_none(parts, Pred::All)
    }

    fn lit(
        &mut self,
        node: &Node,
        field: &Field,
        ty: &Ty<'_>,
        allow_glob: bool,
    ) -> Option<Matcher> {
        let mismatch =
            |found: &str, want: &str| format!("`{field}` is {want}, but `{found}` is not");
        match (&node.kind, ty) {
            (NodeKind::Str(s), _) if allow_glob && s.contains('*') => {
                self.glob_lit(node.pos, s, field, ty)
            }
            (NodeKind::Str(s), Ty::Num) => {
                self.err(node.pos, mismatch(s, "a number"))
                    .help("compare numbers with numbers, e.g. `{ gte: 12 }`");
                None
            }
            (NodeKind::Str(s), Ty::Bool) => {
                self.err(node.pos, mismatch(s, "a boolean"))
                    .help("write `true` or `false` (YAML 1.2: `yes`/`no` are strings)");
                None
            }
            (NodeKind::Str(s), Ty::Str(Some(names), what)) => {
                if names.iter().any(|n| n == s) {
                    Some(Matcher::Eq(Lit::Str(s.clone())))
                } else {
                    let msg = if *what == "value" {
                        format!("`{s}` is not a declared value of `{field}`")
                    } else {
                        format!("unknown {what} `{s}`")
                    };
                    let help = match suggest(s, names.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None if names.len() <= 20 => {
                            format!("the vocabulary declares {}", list(names))
                        }
                        None => "it is not declared in the vocabulary; correct it or declare it"
                            .to_owned(),
                    };
                    self.err(node.pos, msg).help(help);
                    None
                }
            }
            (NodeKind::Str(s), _) => Some(Matcher::Eq(Lit::Str(s.clone()))),
            (NodeKind::Number(n, text), Ty::Str(..)) => {
                self.err(
                    node.pos,
                    format!("`{field}` is a string, but `{text}` is a number"),
                )
                .help(format!(
                    "a number never equals a string; quote it if you mean the text: `'{text}'`"
                ));
                let _ = n;
                None
            }
            (NodeKind::Number(_, text), Ty::Bool) => {
                self.err(node.pos, mismatch(text, "a boolean"))
                    .help("write `true` or `false`");
                None
            }
            (NodeKind::Number(n, _), _) => Some(Matcher::Eq(Lit::Num(*n))),
            (NodeKind::Bool(b), Ty::Str(..) | Ty::Num) => {
                self.err(
                    node.pos,
                    format!("`{field}` is not a boolean, but `{b}` is"),
                )
                .help("quote it if you mean the text: `'true'`");
                None
            }
            (NodeKind::Bool(b), _) => Some(Matcher::Eq(Lit::Bool(*b))),
            (NodeKind::Null, _) => {
                self.err(node.pos, format!("`{field}` is compared with null"))
                    .help("to ask for a missing field write `{ exists: false }`");
                None
            }
            (_, _) => {
                self.err(
                    node.pos,
                    format!("expected a scalar for `{field}`, found {}", node.describe()),
                );
                None
            }
        }
    }

    fn glob_lit(&mut self, pos: Pos, pattern: &str, field: &Field, ty: &Ty<'_>) -> Option<Matcher> {
        match ty {
            Ty::Num | Ty::Bool => {
                self.err(
                    pos,
                    format!("glob `{pattern}` on `{field}`, which is not a string"),
                )
                .help("globs match strings only");
                None
            }
            Ty::Str(Some(names), what) if !names.iter().any(|n| glob(pattern, n)) => {
                let what = if *what == "value" {
                    "declared value"
                } else {
                    what
                };
                self.err(pos, format!("glob `{pattern}` matches no declared {what}"))
                    .help(format!(
                        "`*` matches any run of characters; check the spelling against {}",
                        list(names)
                    ));
                None
            }
            _ => Some(Matcher::Glob(pattern.to_owned())),
        }
    }

    fn matcher(&mut self, node: &Node, field: &Field, ty: &Ty<'_>) -> Option<Matcher> {
        match &node.kind {
            NodeKind::Seq(items) => {
                if items.is_empty() {
                    self.err(node.pos, format!("empty list for `{field}`"))
                        .help("an empty list never matches; list at least one value");
                    return None;
                }
                let ms: Vec<Option<Matcher>> = items
                    .iter()
                    .map(|i| {
                        if matches!(i.kind, NodeKind::Seq(_) | NodeKind::Map(_)) {
                            self.err(i.pos, "list elements must be scalars")
                                .help("to combine conditions use an operator map, or `any`/`all`");
                            None
                        } else {
                            self.lit(i, field, ty, true)
                        }
                    })
                    .collect();
                ms.into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Matcher::AnyOf)
            }
            NodeKind::Map(entries) => {
                if entries.is_empty() {
                    self.err(node.pos, format!("empty operator map for `{field}`"))
                        .help(
                            "use `eq`, `in`, `glob`, `gt`, `gte`, `lt`, `lte`, `exists` or `not`",
                        );
                    return None;
                }
                let mut ms: Vec<Option<Matcher>> = Vec::new();
                for (k, v) in entries {
                    let op = k.as_text().unwrap_or("");
                    let m = match op {
                        "eq" => {
                            if matches!(v.kind, NodeKind::Seq(_) | NodeKind::Map(_)) {
                                self.err(v.pos, "`eq` takes one scalar")
                                    .help("for several values use `in: [...]`");
                                None
                            } else {
                                self.lit(v, field, ty, false)
                            }
                        }
                        "in" => match &v.kind {
                            NodeKind::Seq(items) if !items.is_empty() => items
                                .iter()
                                .map(|i| self.lit(i, field, ty, false))
                                .collect::<Vec<_>>()
                                .into_iter()
                                .collect::<Option<Vec<_>>>()
                                .map(Matcher::AnyOf),
                            _ => {
                                self.err(v.pos, "`in` takes a non-empty list of values")
                                    .help("e.g. `in: [peer, unknown_adult]`");
                                None
                            }
                        },
                        "glob" => match &v.kind {
                            NodeKind::Str(p) => self.glob_lit(v.pos, p, field, ty),
                            _ => {
                                self.err(
                                    v.pos,
                                    format!(
                                        "`glob` takes a string pattern, found {}",
                                        v.describe()
                                    ),
                                );
                                None
                            }
                        },
                        "gt" | "gte" | "lt" | "lte" => {
                            let cmp = match op {
                                "gt" => CmpOp::Gt,
                                "gte" => CmpOp::Gte,
                                "lt" => CmpOp::Lt,
                                _ => CmpOp::Lte,
                            };
                            match (&v.kind, ty) {
                                (_, Ty::Str(..) | Ty::Bool) => {
                                    self.err(
                                        k.pos,
                                        format!("`{op}` on `{field}`, which is not a number"),
                                    )
                                    .help("`gt`, `gte`, `lt` and `lte` compare numbers only");
                                    None
                                }
                                (NodeKind::Number(n, _), _) => Some(Matcher::Cmp(cmp, *n)),
                                _ => {
                                    self.err(
                                        v.pos,
                                        format!("`{op}` takes a number, found {}", v.describe()),
                                    );
                                    None
                                }
                            }
                        }
                        "exists" => match v.kind {
                            NodeKind::Bool(b) => Some(Matcher::Exists(b)),
                            _ => {
                                self.err(
                                    v.pos,
                                    format!(
                                        "`exists` takes `true` or `false`, found {}",
                                        v.describe()
                                    ),
                                );
                                None
                            }
                        },
                        "not" => self
                            .matcher(v, field, ty)
                            .map(|m| Matcher::Not(Box::new(m))),
                        other => {
                            let ops = [
                                "eq", "in", "glob", "gt", "gte", "lt", "lte", "exists", "not",
                            ];
                            self.err(k.pos, format!("unknown operator `{other}`"))
                                .help(format!(
                                    "operators are {}{}",
                                    list(&ops),
                                    did_you_mean(other, ops)
                                ));
                            None
                        }
                    };
                    ms.push(m);
                }
                all_or_none(ms, Matcher::All)
            }
            _ => self.lit(node, field, ty, true),
        }
    }

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

/// All parts, combined (a single part stands alone), or `None` when any part failed. The parts
/// are all checked before this is called, so every problem has been reported.
fn all_or_none<T>(parts: Vec<Option<T>>, all: impl FnOnce(Vec<T>) -> T) -> Option<T> {
    let mut parts: Vec<T> = parts.into_iter().collect::<Option<Vec<_>>>()?;
    Some(if parts.len() == 1 {
        parts.remove(0)
    } else {
        all(parts)
    })
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
