//! The vocabulary section of a rule set: kinds, attributes, channels, sources, facts, protected names.

use super::compile::Cx;
use super::lint::{Category, Entry};
use super::pos_of;
use super::raw::{self, S};
use crate::error::Diagnostic;
use crate::vocabulary::{KindDecl, ValueType, Vocabulary, did_you_mean};

/// The vocabulary, and every entry with where it was declared (for the unused-entry lint).
pub(super) fn compile_vocabulary(
    file: &str,
    raw: &raw::RawVocabulary,
    diags: &mut Vec<Diagnostic>,
) -> (Vocabulary, Vec<Entry>) {
    let mut v = Vocabulary::default();
    let mut entries = Vec::new();
    let entry = |what: Category, name: &S<String>| Entry {
        what,
        name: name.value.clone(),
        file: file.to_owned(),
        pos: pos_of(name),
    };
    for p in &raw.protected {
        v.protected.insert(p.value.clone());
    }
    let limits = crate::limits::Limits::default();
    let mut cx = Cx {
        file,
        vocab: None,
        vocab_arc: None,
        diags,
        limits: &limits,
        depth: 0,
    };
    for (name, kind) in &raw.kinds.0 {
        entries.push(entry(Category::Kind, name));
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
                (None, _) => {
                    entries.push(entry(Category::Attribute, attr));
                    Some(t.clone())
                }
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
    entries.extend(raw.channels.iter().map(|c| entry(Category::Channel, c)));
    entries.extend(raw.sources.iter().map(|c| entry(Category::Source, c)));
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
            entries.push(entry(Category::Fact, name));
            v.facts.insert(name.value.clone(), t);
        }
    }
    v.share_names();
    (v, entries)
}

impl Cx<'_> {
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
}
