//! The picture of a case (`case_report`): a snapshot of the example case, determinism, escaping,
//! and that the page loads nothing from anywhere.

use early_signal::{Engine, Report, ReportOptions, RuleSet, Timeline, case_report};

const AS_OF: &str = "2026-11-20T00:00:00+01:00";

fn example() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/timelines/recruitment-window.yaml"
    );
    std::fs::read_to_string(path).unwrap()
}

/// Evaluates `yaml` with the built-in rules and renders `subject`.
fn render(yaml: &str, subject: &str, options: &ReportOptions) -> (String, Report) {
    let rules = RuleSet::builtin();
    let mut timeline = rules.new_timeline();
    timeline.read_yaml("case.yaml", yaml).unwrap();
    let engine = Engine::new(rules);
    let report = engine.evaluate(&timeline, AS_OF.parse().unwrap());
    let st = timeline.subject(subject).unwrap();
    (case_report(engine.rules(), st, &report, options), report)
}

/// The page with the rule-set digest (which changes with every edit of the pack) replaced.
fn redacted(page: &str, report: &Report) -> String {
    page.replace(&report.ruleset, "sha256:[digest]")
}

#[test]
fn the_example_case() {
    let (page, report) = render(&example(), "y-0001", &ReportOptions::default());
    assert_eq!(report.flags.len(), 7);
    insta::assert_snapshot!(redacted(&page, &report));
}

#[test]
fn the_page_is_byte_identical_for_the_same_input_in_any_order() {
    let yaml = example();
    let (a, _) = render(&yaml, "y-0001", &ReportOptions::default());
    let (b, _) = render(&yaml, "y-0001", &ReportOptions::default());
    assert_eq!(a, b);
    // The same observations listed in reverse order.
    let (head, list) = yaml.split_once("observations:\n").unwrap();
    let mut items: Vec<String> = Vec::new();
    for line in list.lines() {
        if line.starts_with("  - ") || items.is_empty() {
            items.push(String::new());
        }
        let last = items.last_mut().unwrap();
        last.push_str(line);
        last.push('\n');
    }
    items.reverse();
    let reversed = format!("{head}observations:\n{}", items.concat());
    assert_ne!(reversed, yaml);
    let (c, _) = render(&reversed, "y-0001", &ReportOptions::default());
    assert_eq!(a, c);
}

#[test]
fn the_page_loads_nothing_and_runs_no_script() {
    let (page, _) = render(&example(), "y-0001", &ReportOptions::default());
    for banned in [
        "http://", "https://", "src=", "<script", "@import", "<link", "<img", "<iframe", "//cdn",
    ] {
        assert!(!page.contains(banned), "the page contains `{banned}`");
    }
    // `url(...)` only for the picture's own pattern.
    for (i, _) in page.match_indices("url(") {
        assert!(page[i..].starts_with("url(#"), "{}", &page[i..i + 40]);
    }
    assert!(page.contains("default-src 'none'"));
}

#[test]
fn the_page_says_what_a_flag_is_and_names_only_pseudonymous_ids() {
    let (page, report) = render(&example(), "y-0001", &ReportOptions::default());
    assert!(page.contains("A flag is a prompt for a professional to look, not a decision."));
    assert!(page.contains(&report.ruleset));
    assert!(page.contains("datetime=\"2026-11-20T00:00:00+01:00\""));
    for f in &report.flags {
        assert!(page.contains(&f.rule.to_string()));
        assert!(page.contains(f.id.as_str()));
    }
    // Subject facts (residence, leave) and observation attributes are not shown.
    for absent in [
        "institution.open",
        "unknown_adult",
        "age_gap_years",
        "vh-3f9a61",
    ] {
        assert!(!page.contains(absent), "the page shows `{absent}`");
    }
}

#[test]
fn everything_taken_from_the_input_is_escaped() {
    let rules = RuleSet::from_yaml_str(
        "r.yaml",
        r#"
rules:
  - id: any-sign
    version: 1
    title: Any sign <b>at all</b>
    class: risk
    severity: low
    rationale: a test rule
    when:
      match: { kind: "*" }
    message: "{counterpart} & <i>{subject}</i>"
"#,
    )
    .unwrap();
    let mut timeline = Timeline::new();
    timeline
        .read_yaml(
            "t.yaml",
            r#"
subject: "<script>alert(1)</script>"
observations:
  - { id: "<script>x</script>", at: 2026-11-02T20:40:00+01:00, kind: "contact.<svg>", counterpart: "\"><img src=x onerror=alert(1)>", channel: "a'b" }
"#,
        )
        .unwrap();
    let engine = Engine::new(rules);
    let report = engine.evaluate(&timeline, AS_OF.parse().unwrap());
    assert_eq!(report.flags.len(), 1, "{:?}", report.rejected);
    let st = timeline.subject("<script>alert(1)</script>").unwrap();
    let options = ReportOptions::default().note("Why <not>?", "because </section><script>");
    let page = case_report(engine.rules(), st, &report, &options);
    for raw in [
        "<script",
        "</script",
        "<img",
        "<svg>",
        "<b>",
        "<i>",
        "<not>",
        "</section><script>",
        "a'b",
    ] {
        assert!(!page.contains(raw), "`{raw}` is not escaped");
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("Any sign &lt;b&gt;at all&lt;/b&gt;"));
    assert!(page.contains("<h2>Why &lt;not&gt;?</h2>"));
    assert!(page.contains("a&#39;b"));
}

#[test]
fn notes_are_added_below_the_flags_in_order() {
    let options = ReportOptions::default()
        .note(
            "Why `several-sources` did not fire",
            "only one sign came from a second role",
        )
        .note("Second note", "line one\nline two");
    let (page, _) = render(&example(), "y-0001", &options);
    let flags = page.find("id=\"es-flags\"").unwrap();
    let first = page.find("id=\"es-note-1\"").unwrap();
    let second = page.find("id=\"es-note-2\"").unwrap();
    assert!(flags < first && first < second);
    assert!(page.contains("<h2>Why `several-sources` did not fire</h2>"));
    assert!(page.contains("line one\nline two"));
}

#[test]
fn a_subject_without_flags_or_with_later_observations_still_renders() {
    let yaml = r#"
subject: y-0042
observations:
  - { id: o-1, at: 2026-11-10T12:00:00+01:00, kind: truancy, source: school }
  - { id: o-2, at: 2026-11-25T12:00:00+01:00, kind: truancy, source: school }
"#;
    let (page, report) = render(yaml, "y-0042", &ReportOptions::default());
    assert!(report.flags.is_empty());
    assert!(page.contains("<h2>Flags (0)</h2>"));
    assert!(page.contains(
        "1 known at as_of; 1 more happened or were recorded after as_of and are not shown"
    ));
    assert_eq!(page.matches("class=\"mark\"").count(), 1);
    assert!(page.ends_with("</html>\n"));

    let (page, _) = render(
        "subject: y-0043\nobservations: []\n",
        "y-0043",
        &ReportOptions::default(),
    );
    assert!(page.contains("no observations recorded by as_of"));
}

#[test]
fn extreme_times_and_many_counterparts_render_without_panicking() {
    let mut yaml = String::from(
        "subject: y-0050\nobservations:\n  - { id: o-a, at: 0001-01-01T00:00:00+14:00, kind: contact.new, channel: online.social_media, counterpart: c-a }\n",
    );
    for i in 0..40 {
        yaml.push_str(&format!(
            "  - {{ id: o-{i}, at: 2026-11-0{}T1{}:00:00+01:00, kind: contact.new, channel: online.social_media, counterpart: c-{i} }}\n",
            1 + i % 9,
            i % 10
        ));
    }
    yaml.push_str("  - { id: o-z, at: 9999-12-31T23:00:00-12:00, kind: truancy }\n");
    let rules = RuleSet::builtin();
    let mut timeline = rules.new_timeline();
    timeline.read_yaml("case.yaml", &yaml).unwrap();
    let engine = Engine::new(rules);
    for as_of in [
        "0001-01-02T00:00:00Z",
        "2026-11-20T00:00:00+01:00",
        "9999-12-31T23:59:59-12:00",
    ] {
        let report = engine.evaluate(&timeline, as_of.parse().unwrap());
        let st = timeline.subject("y-0050").unwrap();
        let page = case_report(engine.rules(), st, &report, &ReportOptions::default());
        assert!(page.ends_with("</html>\n"));
        assert!(!page.contains("NaN") && !page.contains("inf"), "{as_of}");
    }
    let report = engine.evaluate(&timeline, "9999-12-31T23:59:59-12:00".parse().unwrap());
    let page = case_report(
        engine.rules(),
        timeline.subject("y-0050").unwrap(),
        &report,
        &ReportOptions::default(),
    );
    assert!(page.contains("symbols repeat after 32 counterparts"));
    assert_eq!(page.matches("<g class=\"mark").count(), 42);
}
