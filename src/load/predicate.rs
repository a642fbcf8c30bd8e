//! Predicates and matchers: field names, literals, globs and operators, checked against the
//! vocabulary's types (design §4 and §8).

use super::compile::Cx;
use super::pos_of;
use super::raw::S;
use crate::name::Name;
use crate::node::{Node, NodeKind, Pos};
use crate::rule::{CmpOp, Field, Lit, Matcher, Pred, glob};
use crate::vocabulary::{ValueType, declare_hint, did_you_mean, list, suggest};

/// The keys of a predicate besides `attributes.<name>` and `subject.<fact>` (the editor schema's
/// `Predicate` lists the same).
pub(crate) const FIXED_KEYS: [&str; 8] = [
    "kind",
    "channel",
    "counterpart",
    "source",
    "subject.age",
    "any",
    "all",
    "not",
];

/// The operators of a matcher map (the editor schema's `Matcher` lists the same).
pub(crate) const OPERATORS: [&str; 9] = [
    "eq", "in", "glob", "gt", "gte", "lt", "lte", "exists", "not",
];

/// The type a matcher is checked against.
#[derive(Debug, Clone)]
pub(super) enum Ty<'a> {
    /// A string; with `Some`, one of these names or values.
    Str(Option<Vec<&'a str>>, &'static str),
    Num,
    Bool,
    Unknown,
}

impl<'a> Cx<'a> {
    pub(super) fn key_field(&mut self, f: &S<String>, what: &str) -> Option<Field> {
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
                    Field::Attribute(self.vocab.map_or_else(|| Name::from(a), |v| v.name(a)))
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
                    let mut help = format!(
                        "fields are `kind`, `channel`, `counterpart`, `source`, `attributes.<name>`, `subject.age`, `subject.<fact>`, or `any`/`all`/`not`{}",
                        did_you_mean(name, FIXED_KEYS)
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

    pub(super) fn pred(&mut self, node: &Node) -> Option<Pred> {
        // `depth` counts the `all`, `any` and `not` around this predicate.
        if self.depth > self.limits.max_predicate_depth {
            let max = self.limits.max_predicate_depth;
            self.err(
                node.pos,
                format!("predicate nested more than {max} levels deep (`max_predicate_depth`)"),
            )
            .help("`all`, `any` and `not` this deep are unreadable; flatten the predicate, or split it over rules");
            return None;
        }
        self.depth += 1;
        let p = self.pred_inner(node);
        self.depth -= 1;
        p
    }

    fn pred_inner(&mut self, node: &Node) -> Option<Pred> {
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
                    let odd = crate::vocabulary::unusual_characters(s);
                    let msg = if *what == "value" {
                        format!("`{s}` is not a declared value of `{field}`{odd}")
                    } else {
                        format!("unknown {what} `{s}`{odd}")
                    };
                    let close = suggest(s, names.iter().copied());
                    let help = match (*what, close) {
                        // An unknown kind, channel or source is as often a new one as a typo: say
                        // where it is declared, and still offer the likely correction.
                        ("kind" | "channel" | "source", _) => {
                            let section = match *what {
                                "kind" => "kinds",
                                "channel" => "channels",
                                _ => "sources",
                            };
                            let tail = match close {
                                Some(close) => format!("; did you mean `{close}`?"),
                                None if !names.is_empty() && names.len() <= 20 => {
                                    format!("; the vocabulary declares {}", list(names))
                                }
                                None => String::new(),
                            };
                            format!("{}{tail}", declare_hint(section))
                        }
                        (_, Some(close)) => format!("did you mean `{close}`?"),
                        (_, None) if names.len() <= 20 => {
                            format!("the vocabulary declares {}", list(names))
                        }
                        (_, None) => {
                            "it is not declared in the vocabulary; correct it or declare it"
                                .to_owned()
                        }
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
            (NodeKind::Bool(b), Ty::Str(..)) => {
                self.err(
                    node.pos,
                    format!("`{field}` is a string, but `{b}` is a boolean"),
                )
                .help(format!("quote it if you mean the text: `'{b}'`"));
                None
            }
            (NodeKind::Bool(b), _) if matches!(ty, Ty::Num) => {
                self.err(
                    node.pos,
                    format!("`{field}` is a number, but `{b}` is a boolean"),
                )
                .help("compare it with a number, e.g. `{ gte: 3 }`");
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
                            self.err(k.pos, format!("unknown operator `{other}`"))
                                .help(format!(
                                    "operators are {}{}",
                                    list(&OPERATORS),
                                    did_you_mean(other, OPERATORS)
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
}

/// All parts, combined (a single part stands alone), or `None` when any part failed. The parts
/// are all checked before this is called, so every problem has been reported.
pub(super) fn all_or_none<T>(parts: Vec<Option<T>>, all: impl FnOnce(Vec<T>) -> T) -> Option<T> {
    let mut parts: Vec<T> = parts.into_iter().collect::<Option<Vec<_>>>()?;
    Some(if parts.len() == 1 {
        parts.remove(0)
    } else {
        all(parts)
    })
}
