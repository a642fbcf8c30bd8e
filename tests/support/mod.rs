//! Helpers shared by the rule-pack tests.

use early_signal::RuleSet;

/// Moves every `at_least` and `within` of the files `mutate` selects one step up and one step
/// down (a unit of what was written: `7d` → `6d`, `8d`), loads each mutant with the other files
/// unchanged, and runs the embedded tests. Returns the number of mutants and a line for each
/// mutant that passes every test — a threshold or window no test pins on that side.
///
/// `files` are `(name, text)` in load order, the vocabulary first.
pub fn unpinned_thresholds(
    files: &[(String, String)],
    mutate: impl Fn(&str) -> bool,
) -> (usize, Vec<String>) {
    let mut mutants = 0;
    let mut unpinned = Vec::new();
    for (i, (name, text)) in files.iter().enumerate() {
        if name == "vocabulary.yaml" || !mutate(name) {
            continue;
        }
        for (ln, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let (key, value) = match trimmed.split_once(": ") {
                Some((k @ ("at_least" | "within"), v)) => (k, v.trim()),
                _ => continue,
            };
            let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
            let unit = &value[digits.len()..];
            let n: u32 = digits.parse().unwrap();
            for m in [n - 1, n + 1].into_iter().filter(|m| *m > 0) {
                let indent = &line[..line.len() - trimmed.len()];
                let mutated: String = text
                    .lines()
                    .enumerate()
                    .map(|(j, l)| {
                        if j == ln {
                            format!("{indent}{key}: {m}{unit}\n")
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect();
                let mut sources: Vec<(&str, &str)> = files
                    .iter()
                    .map(|(n, t)| (n.as_str(), t.as_str()))
                    .collect();
                sources[i].1 = &mutated;
                let set = RuleSet::from_sources(sources)
                    .unwrap_or_else(|e| panic!("{name}:{}: mutant does not load: {e}", ln + 1));
                if set.run_tests().iter().all(|o| o.passed) {
                    unpinned.push(format!(
                        "{name}:{}: `{key}: {m}{unit}` instead of `{value}` passes every test",
                        ln + 1
                    ));
                }
                mutants += 1;
            }
        }
    }
    (mutants, unpinned)
}
