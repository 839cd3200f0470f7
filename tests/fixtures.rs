//! Every fixture under `transforms/fixtures/<rule>/`: the findings match the `//~` annotations in
//! the file, every fix re-parses, the fixed text converges and a second run offers nothing, and
//! the findings plus the diff are snapshotted (reviewed by hand in `tests/snapshots/`).
//!
//! Annotation: `//~ <rule-id> <safe|unsafe|nofix|info>` at the end of the line where a finding
//! starts (several on one line when several rules report there). Lines without one must have no
//! finding. `LOCKFIX_FIXTURES=read_then_write,double_lock` limits the run to those folders while
//! working on a transform; CI runs them all.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use lockfix_transforms::{Applicability, Finding, Severity, syntax_error_count};

fn kind_of(finding: &Finding) -> &'static str {
    match (&finding.fix, finding.severity) {
        (_, Severity::Info) => "info",
        (None, _) => "nofix",
        (Some(fix), _) if fix.applicability == Applicability::Safe => "safe",
        (Some(_), _) => "unsafe",
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

fn expected(text: &str) -> BTreeSet<(usize, String, String)> {
    let mut wanted = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        // `//~ rule kind`, possibly several on one line: `//~ a safe //~ b nofix`.
        for annotation in line.split("//~").skip(1) {
            let mut words = annotation.split_whitespace();
            if let Some(rule) = words.next() {
                wanted.insert((
                    i + 1,
                    rule.to_string(),
                    words.next().unwrap_or("").to_string(),
                ));
            }
        }
    }
    wanted
}

fn render(text: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let line = line_of(text, f.range.start);
        let _ = writeln!(
            out,
            "{line}: {} [{}] {}",
            f.severity.as_str(),
            f.rule,
            f.message
        );
        for label in &f.labels {
            let _ = writeln!(
                out,
                "    {}: {}",
                line_of(text, label.range.start),
                label.message
            );
        }
        if let Some(help) = &f.help {
            let _ = writeln!(out, "    help: {help}");
        }
        if let Some(fix) = &f.fix {
            let _ = writeln!(
                out,
                "    fix ({}): {}",
                fix.applicability.as_str(),
                fix.title
            );
        }
    }
    out
}

#[test]
fn fixtures_match_annotations_fix_cleanly_and_snapshot() {
    let fixtures = common::fixtures();
    assert!(!fixtures.is_empty(), "no fixtures found");
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let outcome = common::fix_all(&fixture.text, fixture.edition);
        let text = &fixture.text;

        let found: BTreeSet<(usize, String, String)> = outcome
            .initial
            .findings
            .iter()
            .map(|f| {
                (
                    line_of(text, f.range.start),
                    f.rule.to_string(),
                    kind_of(f).to_string(),
                )
            })
            .collect();
        let wanted = expected(text);
        if found != wanted {
            failures.push(format!(
                "{}: findings differ from annotations\n  missing: {:?}\n  unexpected: {:?}",
                fixture.path.display(),
                wanted.difference(&found).collect::<Vec<_>>(),
                found.difference(&wanted).collect::<Vec<_>>()
            ));
        }
        if !outcome.dropped.is_empty() {
            failures.push(format!(
                "{}: fixes dropped: {:?}",
                fixture.path.display(),
                outcome.dropped
            ));
        }
        if !outcome.converged {
            failures.push(format!(
                "{}: fixes did not converge",
                fixture.path.display()
            ));
        }
        let errors_before = syntax_error_count(text, fixture.edition);
        if syntax_error_count(&outcome.text, fixture.edition) > errors_before {
            failures.push(format!(
                "{}: fixed text does not parse",
                fixture.path.display()
            ));
        }
        let second = common::fix_all(&outcome.text, fixture.edition);
        if second.changed() {
            failures.push(format!(
                "{}: not idempotent, a second run applied {:?}",
                fixture.path.display(),
                second.applied
            ));
        }

        // Form: a line the fixes wrote never ends in whitespace (lines kept from the input are
        // the user's business).
        let before_lines: BTreeSet<&str> = text.lines().collect();
        for (i, line) in outcome.text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line != line.trim_end() && !before_lines.contains(line) {
                failures.push(format!(
                    "{}: line {} of the fixed text ends in whitespace: {line:?}",
                    fixture.path.display(),
                    i + 1
                ));
            }
        }

        let diff = similar::TextDiff::from_lines(text.as_str(), outcome.text.as_str())
            .unified_diff()
            .context_radius(3)
            .header("before", "after")
            .to_string();
        let remaining = render(&outcome.text, &outcome.remaining.findings);
        let snapshot = format!(
            "{}\n--- fixed with --unsafe-fixes ---\n{}\n--- remaining after fixing ---\n{}",
            render(text, &outcome.initial.findings),
            if diff.is_empty() {
                "(no change)\n".to_string()
            } else {
                diff
            },
            if remaining.is_empty() {
                "(none)\n".to_string()
            } else {
                remaining
            }
        );
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(fixture.name.clone(), snapshot);
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_prefilter_loses_no_findings() {
    for fixture in common::fixtures() {
        let options = lockfix_transforms::Options::all_rules(fixture.edition);
        let filtered = lockfix_transforms::analyze(&fixture.text, &options).findings;
        let unfiltered = lockfix_transforms::analyze_unfiltered(&fixture.text, &options).findings;
        assert_eq!(filtered, unfiltered, "{}", fixture.path.display());
    }
}
