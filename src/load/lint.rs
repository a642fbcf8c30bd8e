//! Governance lints: warnings for rules that load but deserve a second look before they are used
//! (`early-signal check` prints them; `--deny-warnings` makes them fail).

use crate::error::Diagnostic;
use crate::node::Pos;
use crate::rule::{Field, Rule, glob};
use std::collections::BTreeSet;

/// A vocabulary entry and where it was declared.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub what: Category,
    pub name: String,
    pub file: String,
    pub pos: Pos,
}

/// The kinds of vocabulary entry a rule can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Category {
    Kind,
    Attribute,
    Channel,
    Source,
    Fact,
}

impl Category {
    fn noun(self) -> &'static str {
        match self {
            Category::Kind => "kind",
            Category::Attribute => "attribute",
            Category::Channel => "channel",
            Category::Source => "source",
            Category::Fact => "fact",
        }
    }
}

/// Longer windows than this are almost always mistakes: the recruitment window is days, and the
/// national reference index lets signals expire after at most two years.
pub(super) const LONGEST_SENSIBLE_WINDOW_MINUTES: i64 = 365 * 24 * 60;

/// A rule without tests, or without both a test that fires and a near miss.
pub(super) fn rule_tests(rule: &Rule, diags: &mut Vec<Diagnostic>) {
    let firing = rule.tests.iter().filter(|t| !t.expect.is_empty()).count();
    let near = rule.tests.len() - firing;
    let missing = match (firing, near) {
        (0, 0) => Some(format!("rule `{}` has no tests", rule.id)),
        (0, _) => Some(format!("rule `{}` has no test that fires", rule.id)),
        (_, 0) => Some(format!(
            "rule `{}` has no near-miss test (one that expects no flag)",
            rule.id
        )),
        _ => None,
    };
    if let Some(message) = missing {
        diags.push(Diagnostic::warning(&rule.file, rule.pos, message).with_help(
            "add `tests:` with at least one case that fires and one near miss just outside the rule (a minute past the window, the wrong order, another counterpart, an exception), so a changed threshold is caught",
        ));
    }
}

/// Vocabulary entries no rule uses: dead weight, or a sign that a rule misses a signal.
pub(super) fn unused_vocabulary(rules: &[Rule], entries: &[Entry], diags: &mut Vec<Diagnostic>) {
    let mut names: Vec<(Category, String, bool)> = Vec::new();
    let mut all: BTreeSet<&'static str> = BTreeSet::new();
    let mut fields: BTreeSet<(Category, String)> = BTreeSet::new();
    for rule in rules {
        rule.for_each_pred(&mut |p| {
            p.for_each_test(&mut |field, m| {
                let Some(cat) = category(field) else { return };
                if let Some(name) = field_name(field) {
                    fields.insert((cat, name.to_owned()));
                }
                let mut out = Vec::new();
                m.names(&mut out);
                names.extend(out.into_iter().map(|(n, g)| (cat, n.to_owned(), g)));
            });
        });
        for f in rule.key_fields() {
            match category(f) {
                // `by: source` or `distinct: channel` can use every declared value.
                Some(c @ (Category::Kind | Category::Channel | Category::Source)) => {
                    all.insert(c.noun());
                }
                Some(c) => {
                    if let Some(name) = field_name(f) {
                        fields.insert((c, name.to_owned()));
                    }
                }
                None => {}
            }
        }
    }
    let used = |e: &Entry| match e.what {
        Category::Attribute | Category::Fact => fields.contains(&(e.what, e.name.clone())),
        c => {
            all.contains(c.noun())
                || names.iter().any(|(nc, n, is_glob)| {
                    *nc == c
                        && if *is_glob {
                            glob(n, &e.name)
                        } else {
                            *n == e.name
                        }
                })
        }
    };
    for e in entries.iter().filter(|e| !used(e)) {
        diags.push(
            Diagnostic::warning(&e.file, e.pos, format!("{} `{}` is declared but no rule uses it", e.what.noun(), e.name))
                .with_help("remove it, or write the rule that should use it: records that carry it are accepted but never looked at"),
        );
    }
}

fn category(f: &Field) -> Option<Category> {
    Some(match f {
        Field::Kind => Category::Kind,
        Field::Channel => Category::Channel,
        Field::Source => Category::Source,
        Field::Attribute(_) => Category::Attribute,
        Field::Fact(_) => Category::Fact,
        Field::Counterpart | Field::Age => return None,
    })
}

fn field_name(f: &Field) -> Option<&str> {
    match f {
        Field::Attribute(n) => Some(n),
        Field::Fact(n) => Some(n),
        _ => None,
    }
}
