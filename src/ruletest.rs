//! Running the tests embedded in rules (design §7).

use crate::eval::Engine;
use crate::ruleset::RuleSet;
use crate::time::format_timestamp;
use std::sync::Arc;

/// The outcome of one embedded rule test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// The rule under test.
    pub rule: String,
    /// The test's name.
    pub name: String,
    /// File and line of the test.
    pub location: String,
    /// Whether the rule produced exactly the expected flags.
    pub passed: bool,
    /// Expected flags, as sorted evidence id lists.
    pub expected: Vec<Vec<String>>,
    /// Actual flags of the rule, as sorted evidence id lists.
    pub actual: Vec<Vec<String>>,
    /// What else went wrong (rejected records, a mismatched field).
    pub problems: Vec<String>,
}

impl RuleSet {
    /// Runs every rule's embedded tests against this rule set.
    ///
    /// A test passes when the flags of its rule are exactly the expected ones, compared by the
    /// set of evidence ids (and `raised_at`, `severity`, `stage` where the test gives them), and
    /// every record of its timeline was accepted.
    pub fn run_tests(&self) -> Vec<TestOutcome> {
        let engine = Engine::new(self.clone());
        let mut out = Vec::new();
        for rule in self.rules() {
            for t in &rule.tests {
                let mut problems = Vec::new();
                let mut tl = self.new_timeline();
                let file: Arc<str> = Arc::from(rule.file.as_str());
                crate::input::read_subject_document(&mut tl, &file, &t.timeline);
                for r in tl.rejected() {
                    problems.push(format!("timeline record rejected: {r}"));
                }
                let as_of = t.as_of.or_else(|| {
                    tl.subjects()
                        .flat_map(|s| s.observations().iter())
                        .flat_map(|o| [o.at, o.recorded()])
                        .max()
                });
                let Some(as_of) = as_of else {
                    problems.push(
                        "the timeline has no observations and the test gives no `as_of`".into(),
                    );
                    out.push(outcome(rule, t, Vec::new(), Vec::new(), problems));
                    continue;
                };
                let report = engine.evaluate(&tl, as_of);
                let flags: Vec<_> = report.flags.iter().filter(|f| f.rule == rule.id).collect();
                let mut expected: Vec<Vec<String>> = t
                    .expect
                    .iter()
                    .map(|e| sorted(e.evidence.iter().cloned()))
                    .collect();
                expected.sort();
                for e in &t.expect {
                    let ids = sorted(e.evidence.iter().cloned());
                    let Some(f) = flags.iter().find(|f| {
                        sorted(f.evidence.iter().map(|x| x.observation.to_string())) == ids
                    }) else {
                        continue;
                    };
                    if let Some(r) = e.raised_at
                        && r != f.raised_at
                    {
                        problems.push(format!(
                            "flag {}: expected raised_at {}, got {}",
                            evidence(&ids),
                            format_timestamp(&r),
                            format_timestamp(&f.raised_at)
                        ));
                    }
                    if let Some(s) = e.severity
                        && s != f.severity
                    {
                        problems.push(format!(
                            "flag {}: expected severity {s}, got {}",
                            evidence(&ids),
                            f.severity
                        ));
                    }
                    if let Some(s) = e.stage
                        && s != f.window.stage
                    {
                        problems.push(format!(
                            "flag {}: expected stage {s}, got {}",
                            evidence(&ids),
                            f.window.stage
                        ));
                    }
                }
                let mut flat_actual: Vec<Vec<String>> = flags
                    .iter()
                    .map(|f| sorted(f.evidence.iter().map(|e| e.observation.to_string())))
                    .collect();
                flat_actual.sort();
                if flat_actual != expected {
                    problems.push("the flags differ from `expect`".into());
                }
                out.push(outcome(rule, t, expected, flat_actual, problems));
            }
        }
        out
    }
}

/// A flag's evidence ids as the `test` command prints them: `[a, b]`.
fn evidence(ids: &[String]) -> String {
    format!("[{}]", ids.join(", "))
}

fn sorted(ids: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = ids.collect();
    v.sort();
    v.dedup();
    v
}

fn outcome(
    rule: &crate::Rule,
    t: &crate::rule::RuleTest,
    expected: Vec<Vec<String>>,
    actual: Vec<Vec<String>>,
    problems: Vec<String>,
) -> TestOutcome {
    TestOutcome {
        rule: rule.id.to_string(),
        name: t.name.clone(),
        location: format!("{}:{}", rule.file, t.pos.line),
        passed: problems.is_empty(),
        expected,
        actual,
        problems,
    }
}
