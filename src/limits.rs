//! [`Limits`]: the resource limits on rule files and input, each refused with a clear error.

use crate::time::Duration;

/// Resource limits: how large and how complex rule files and input may be.
///
/// Rule files come from many municipalities and observation feeds from many systems; these
/// limits keep a hostile or broken file from exhausting memory or time. Each one, when exceeded,
/// produces an error that names the limit and what to do; nothing is skipped silently. The
/// defaults are far above what real rule sets and feeds need, and every field can be changed:
///
/// ```
/// use early_signal::{Limits, RuleSet};
/// let rule = |id: &str| format!("  - {{ id: {id}, version: 1, title: t, class: risk, severity: low, rationale: r, when: {{ match: {{ kind: x }} }} }}\n");
/// let two = format!("rules:\n{}{}", rule("a"), rule("b"));
/// let limits = Limits { max_rules: 1, ..Limits::default() };
/// let err = RuleSet::from_sources_with_limits([("r.yaml", two.as_str())], &limits).unwrap_err();
/// assert!(err.to_string().contains("max_rules"));
/// ```
///
/// Rule sets take them in [`RuleSet::from_sources_with_limits`](crate::RuleSet::from_sources_with_limits)
/// and [`RuleSet::load_with_limits`](crate::RuleSet::load_with_limits); timelines in
/// [`Timeline::set_limits`](crate::Timeline::set_limits) (a timeline from
/// [`RuleSet::new_timeline`](crate::RuleSet::new_timeline) starts with the defaults). The monitor
/// has its own caps in [`MonitorConfig`](crate::MonitorConfig); the CLI uses the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest rule or vocabulary file, in bytes (default 4 MiB; the whole default pack is 73 KB).
    pub max_rule_file_bytes: usize,
    /// Deepest nesting of YAML mappings and lists in a rule file or YAML timeline (default 32; the
    /// default pack needs 10). Parsing nests on the stack, so this also keeps a load within the
    /// 2 MiB stack of an ordinary thread.
    pub max_yaml_depth: usize,
    /// Most aliases (`*name`) in one rule file (default 1,000).
    pub max_yaml_aliases: usize,
    /// Most YAML events (scalars, starts and ends of mappings and lists) one rule file may expand
    /// to, aliases included (default 1,000,000). A text may in any case expand to at most about
    /// twice its own size in bytes: this stops "billion laughs" alias bombs at once.
    pub max_yaml_events: usize,
    /// Most rules in one rule set (default 10,000).
    pub max_rules: usize,
    /// Most steps in one `sequence` (default 16).
    pub max_sequence_steps: usize,
    /// Most indicators in one `signals` (default 64).
    pub max_indicators: usize,
    /// Deepest nesting of `all`, `any` and `not` in one predicate (default 8).
    pub max_predicate_depth: usize,
    /// Longest window (`within`, `window.urgent`, `window.closes`) a rule may have (default 5
    /// years); windows over a year already draw a warning. A window bounds what the monitor must
    /// keep; `cooldown` does not, and may be as long as a duration can be (100 years).
    pub max_window: Duration,
    /// Longest line of JSON Lines input, in bytes (default 1 MiB; an observation is ~200 bytes).
    pub max_line_bytes: usize,
    /// Largest YAML timeline text, in bytes (default 64 MiB; bulk input belongs in JSON Lines).
    pub max_yaml_timeline_bytes: usize,
    /// Most observations of one subject in a [`Timeline`](crate::Timeline) (default 1,000,000).
    pub max_observations_per_subject: usize,
    /// Most subjects in one [`Timeline`](crate::Timeline) (default 10,000,000).
    pub max_subjects: usize,
    /// Most refused records a [`Timeline`](crate::Timeline) lists with their reasons (default
    /// 100,000); further ones are counted, and the report says how many.
    pub max_rejections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rule_file_bytes: 4 * 1024 * 1024,
            max_yaml_depth: 32,
            max_yaml_aliases: 1_000,
            max_yaml_events: 1_000_000,
            max_rules: 10_000,
            max_sequence_steps: 16,
            max_indicators: 64,
            max_predicate_depth: 8,
            max_window: Duration::days(5 * 365 + 1),
            max_line_bytes: 1024 * 1024,
            max_yaml_timeline_bytes: 64 * 1024 * 1024,
            max_observations_per_subject: 1_000_000,
            max_subjects: 10_000_000,
            max_rejections: 100_000,
        }
    }
}
