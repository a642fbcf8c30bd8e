//! The default rule pack, compiled in from `rules/`.

/// `(file name, contents)` in load order: the vocabulary first, then the rule files by name.
pub(crate) const FILES: &[(&str, &str)] = &[
    ("vocabulary.yaml", include_str!("../rules/vocabulary.yaml")),
    ("coercion.yaml", include_str!("../rules/coercion.yaml")),
    (
        "combination.yaml",
        include_str!("../rules/combination.yaml"),
    ),
    ("contact.yaml", include_str!("../rules/contact.yaml")),
    ("harm.yaml", include_str!("../rules/harm.yaml")),
    ("missing.yaml", include_str!("../rules/missing.yaml")),
    ("money.yaml", include_str!("../rules/money.yaml")),
    (
        "whereabouts.yaml",
        include_str!("../rules/whereabouts.yaml"),
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_lists_every_rule_file_in_name_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") && n != "vocabulary.yaml")
            .collect();
        names.sort();
        let listed: Vec<&str> = super::FILES.iter().skip(1).map(|(n, _)| *n).collect();
        assert_eq!(listed, names);
        let set = crate::RuleSet::builtin();
        assert!(
            set.warnings()
                .iter()
                .all(|d| d.level != crate::Level::Error),
            "{:?}",
            set.warnings()
        );
        assert!(!set.rules().is_empty());
    }
}
