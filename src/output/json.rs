//! The report for machines: one JSON document, shape fixed by the command-line contract.
//!
//! ```json
//! {"version":1,"files_scanned":N,
//!  "findings":[{"rule","severity","path","line","column","end_line","end_column","message",
//!               "tier":"syntax"|"semantic","help":null|"…","url":"…",
//!               "labels":[{"line","column","end_line","end_column","message"}],
//!               "fix":null|{"applicability":"safe"|"unsafe","title","diff",
//!                           "edits":[{"path","start","end","line","column","end_line",
//!                                     "end_column","replacement"}],"caveats":["…"]}}],
//!  "applied_fixes":[{"path","rule","title","applicability"}],
//!  "rolled_back_fixes":[{"path","rule","title","applicability","reason"}],
//!  "verify":[{"workspace","command","passed","kept","reverted","errors_before","line"}],
//!  "errors":[{"path","message","fatal"}],
//!  "notes":[{"path","message","remembered"}]}
//! ```
//!
//! Lines and columns are 1-based, columns count characters; `end_line`/`end_column` is the
//! position just past the finding's range. `diff` is the unified diff of applying that one fix to
//! the file as it is now (after `--apply`, the written file); `edits` are the same change as byte
//! ranges (`start`..`end`, 0-based, in the file's UTF-8 text after a byte order mark) and their
//! replacement text, non-overlapping and sorted; a crate-wide fix (the std→tokio swap) spans
//! several files and has only its `diff`, and `caveats` say what its user must know (synchronous
//! uses left calling `blocking_*()`, the Cargo.toml change; empty for other fixes).
//! `applied_fixes` lists the fixes written (empty in a dry run); with `--verify`,
//! `rolled_back_fixes` lists those written and then reverted because their file no longer
//! compiled (they are not in `applied_fixes`), and `verify` has one outcome per workspace checked.
//! `notes` lists the workspaces the semantic tier skipped because cargo cannot resolve them
//! offline (their files keep the syntax tier's answers; `remembered` when an earlier run found
//! so and cargo was not asked again) — before `notes` existed these were entries of `errors`.
//! The fields after `tier` were added later; none was ever renamed or removed.

use std::io::{self, Write};

use lockfix_transforms::analysis::Tier;
use lockfix_transforms::{Applicability, RuleId, Severity};
use serde::Serialize;

use crate::input::line_index::LineIndex;
use crate::output::diff;
use crate::report::{ErrorEntry, Report};

/// Bumped on any incompatible change of the document's shape.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub version: u32,
    pub files_scanned: usize,
    pub findings: Vec<JsonFinding<'a>>,
    pub applied_fixes: Vec<JsonAppliedFix<'a>>,
    pub rolled_back_fixes: Vec<JsonRolledBack<'a>>,
    pub verify: Vec<JsonVerify<'a>>,
    pub errors: Vec<JsonError<'a>>,
    pub notes: Vec<JsonNote<'a>>,
}

#[derive(Debug, Serialize)]
pub struct JsonNote<'a> {
    pub path: &'a str,
    pub message: &'a str,
    pub remembered: bool,
}

#[derive(Debug, Serialize)]
pub struct JsonRolledBack<'a> {
    pub path: &'a str,
    pub rule: RuleId,
    pub title: &'a str,
    pub applicability: Applicability,
    pub reason: &'a str,
}

#[derive(Debug, Serialize)]
pub struct JsonVerify<'a> {
    pub workspace: &'a str,
    pub command: &'a str,
    pub passed: bool,
    pub kept: usize,
    pub reverted: usize,
    pub errors_before: usize,
    /// The outcome line the human output prints.
    pub line: String,
}

#[derive(Debug, Serialize)]
pub struct JsonAppliedFix<'a> {
    pub path: &'a str,
    pub rule: RuleId,
    pub title: &'a str,
    pub applicability: Applicability,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel<'a> {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: &'a str,
}

#[derive(Debug, Serialize)]
pub struct JsonEdit<'a> {
    pub path: &'a str,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub replacement: &'a str,
}

#[derive(Debug, Serialize)]
pub struct JsonFinding<'a> {
    pub rule: RuleId,
    pub severity: Severity,
    pub path: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: &'a str,
    /// Which layer decided the lock facts: `"semantic"` when rust-analyzer resolved them.
    pub tier: Tier,
    pub fix: Option<JsonFix<'a>>,
    pub help: Option<&'a str>,
    /// Where the rule is documented.
    pub url: String,
    /// Secondary locations: the `.await`, the second lock, the blocking call…
    pub labels: Vec<JsonLabel<'a>>,
}

#[derive(Debug, Serialize)]
pub struct JsonFix<'a> {
    pub applicability: Applicability,
    pub title: &'a str,
    pub diff: String,
    pub edits: Vec<JsonEdit<'a>>,
    /// What the user must know before applying it; empty for most fixes.
    pub caveats: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct JsonError<'a> {
    pub path: &'a str,
    pub message: &'a str,
    /// The problem failed the run (exit 2).
    pub fatal: bool,
}

pub fn to_json(report: &Report) -> JsonReport<'_> {
    let mut findings = Vec::new();
    for file in &report.files {
        let index = LineIndex::new(&file.text);
        let span = |range: &std::ops::Range<usize>| {
            (
                index.line_col(&file.text, range.start),
                index.line_col(&file.text, range.end.max(range.start)),
            )
        };
        for finding in &file.findings {
            let (start, end) = span(&finding.range);
            findings.push(JsonFinding {
                rule: finding.rule,
                severity: finding.severity,
                path: &file.path,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                message: &finding.message,
                tier: finding.tier,
                help: finding.help.as_deref(),
                url: crate::input::rules::doc_url(finding.rule),
                labels: finding
                    .labels
                    .iter()
                    .map(|label| {
                        let (start, end) = span(&label.range);
                        JsonLabel {
                            line: start.line,
                            column: start.column,
                            end_line: end.line,
                            end_column: end.column,
                            message: &label.message,
                        }
                    })
                    .collect(),
                fix: finding.fix.as_ref().map(|fix| JsonFix {
                    caveats: report
                        .crate_fix_caveats
                        .get(&(file.path.clone(), finding.range.start))
                        .map(|c| c.iter().map(String::as_str).collect())
                        .unwrap_or_default(),
                    applicability: fix.applicability,
                    title: &fix.title,
                    edits: {
                        let mut edits: Vec<JsonEdit<'_>> = fix
                            .edits
                            .iter()
                            .filter(|edit| {
                                edit.range.start <= edit.range.end
                                    && edit.range.end <= file.text.len()
                            })
                            .map(|edit| {
                                let (start, end) = span(&edit.range);
                                JsonEdit {
                                    path: &file.path,
                                    start: edit.range.start,
                                    end: edit.range.end,
                                    line: start.line,
                                    column: start.column,
                                    end_line: end.line,
                                    end_column: end.column,
                                    replacement: &edit.replacement,
                                }
                            })
                            .collect();
                        edits.sort_by_key(|edit| (edit.start, edit.end));
                        edits
                    },
                    // A crate-wide fix has its multi-file diff; a fix with invalid edits is never
                    // applied, and an empty diff says so.
                    diff: match report
                        .crate_fix_diffs
                        .get(&(file.path.clone(), finding.range.start))
                    {
                        Some(diff) => diff.clone(),
                        None => {
                            diff::fix_diff(&file.path, &file.text, &index, fix).unwrap_or_default()
                        }
                    },
                }),
            });
        }
    }
    let applied_fixes = if report.mode.writes() {
        report
            .files
            .iter()
            .flat_map(|file| {
                file.applied.iter().map(|fix| JsonAppliedFix {
                    path: &file.path,
                    rule: fix.rule,
                    title: &fix.title,
                    applicability: fix.applicability,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    JsonReport {
        version: FORMAT_VERSION,
        files_scanned: report.files_scanned,
        findings,
        applied_fixes,
        rolled_back_fixes: report
            .rolled_back
            .iter()
            .map(|r| JsonRolledBack {
                path: &r.path,
                rule: r.fix.rule,
                title: &r.fix.title,
                applicability: r.fix.applicability,
                reason: &r.reason,
            })
            .collect(),
        verify: report
            .verify
            .iter()
            .map(|v| JsonVerify {
                workspace: &v.workspace,
                command: &v.command,
                passed: v.passed,
                kept: v.kept,
                reverted: v.reverted,
                errors_before: v.errors_before,
                line: v.line(),
            })
            .collect(),
        errors: json_errors(&report.errors),
        notes: report
            .notes
            .iter()
            .map(|note| JsonNote {
                path: &note.path,
                message: &note.message,
                remembered: note.remembered,
            })
            .collect(),
    }
}

fn json_errors(errors: &[ErrorEntry]) -> Vec<JsonError<'_>> {
    errors
        .iter()
        .map(|error| JsonError {
            path: &error.path,
            message: &error.message,
            fatal: error.fatal,
        })
        .collect()
}

pub fn write_report(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_json(report))?;
    writeln!(out)
}

/// `--statistics --format json`: the counts per rule (most frequent first), what the semantic
/// tier loaded and how long each phase took.
pub fn write_statistics(
    out: &mut dyn Write,
    report: &Report,
    total: std::time::Duration,
) -> io::Result<()> {
    #[derive(Serialize)]
    struct RuleStatistics {
        rule: RuleId,
        findings: usize,
        fixable: usize,
    }
    #[derive(Serialize)]
    struct Timing {
        phase: String,
        seconds: f64,
    }
    #[derive(Serialize)]
    struct Load<'a> {
        workspace: &'a str,
        seconds: f64,
    }
    #[derive(Serialize)]
    struct Statistics<'a> {
        version: u32,
        files_scanned: usize,
        statistics: Vec<RuleStatistics>,
        semantic_loads: Vec<Load<'a>>,
        timings: Vec<Timing>,
        errors: Vec<JsonError<'a>>,
    }
    let document = Statistics {
        version: FORMAT_VERSION,
        files_scanned: report.files_scanned,
        statistics: crate::output::statistics::counts(report)
            .into_iter()
            .map(|(rule, count)| RuleStatistics {
                rule,
                findings: count.findings,
                fixable: count.fixable,
            })
            .collect(),
        semantic_loads: report
            .semantic_loads
            .iter()
            .map(|(workspace, duration)| Load {
                workspace,
                seconds: duration.as_secs_f64(),
            })
            .collect(),
        timings: crate::output::statistics::timing_lines(report, total)
            .into_iter()
            .map(|(phase, duration)| Timing {
                phase,
                seconds: duration.as_secs_f64(),
            })
            .collect(),
        errors: json_errors(&report.errors),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use lockfix_transforms::{Finding, Fix, TextEdit};

    use super::*;
    use crate::report::{ErrorEntry, FileReport, Mode};

    #[test]
    fn shape() {
        let text = "fn f() {\n    let é = m.lock();\n}\n";
        let start = text.find("m.lock()").unwrap();
        let finding = Finding {
            tier: Default::default(),
            rule: RuleId::GuardAcrossAwait,
            severity: Severity::Warning,
            range: start..start + "m.lock()".len(),
            message: "held".to_owned(),
            labels: Vec::new(),
            help: None,
            fix: Some(Fix {
                title: "Drop it".to_owned(),
                applicability: Applicability::Unsafe,
                edits: vec![TextEdit {
                    range: start..start + 1,
                    replacement: "n".to_owned(),
                }],
            }),
        };
        let report = Report {
            mode: Mode::DryRun,
            unsafe_fixes: false,
            files_scanned: 3,
            files: vec![FileReport {
                path: "src/a.rs".to_owned(),
                text: text.to_owned(),
                findings: vec![
                    finding.clone(),
                    Finding {
                        tier: Tier::Semantic,
                        fix: None,
                        ..finding
                    },
                ],
                diff: String::new(),
                fixes: 0,
                applied: Vec::new(),
                unsafe_fixes: false,
                fixes_withheld: false,
            }],
            errors: vec![ErrorEntry {
                fatal: false,
                path: "b.rs".to_owned(),
                message: "not UTF-8".to_owned(),
            }],
            failed: false,
            crate_fix_diffs: Default::default(),
            crate_fix_caveats: Default::default(),
            verify: Vec::new(),
            rolled_back: Vec::new(),
            crate_fixes: 0,
            semantic_loads: Vec::new(),
            semantic_remembered: Vec::new(),
            notes: vec![crate::report::Note {
                path: "v/Cargo.toml".to_owned(),
                message: "semantic tier skipped".to_owned(),
                remembered: true,
            }],
            failing_suppressions: 0,
            timings: Vec::new(),
            stdin_fixed: None,
        };
        let value = serde_json::to_value(to_json(&report)).unwrap();
        let expected = serde_json::json!({
            "version": 1,
            "files_scanned": 3,
            "findings": [
                {
                    "rule": "guard-across-await", "severity": "warning", "path": "src/a.rs",
                    "line": 2, "column": 13, "end_line": 2, "end_column": 21, "message": "held",
                    "tier": "syntax",
                    "fix": {
                        "applicability": "unsafe",
                        "title": "Drop it",
                        "diff": "--- a/src/a.rs\n+++ b/src/a.rs\n@@ -1,3 +1,3 @@\n fn f() {\n-    let é = m.lock();\n+    let é = n.lock();\n }\n",
                        "edits": [{
                            "path": "src/a.rs", "start": start, "end": start + 1, "line": 2,
                            "column": 13, "end_line": 2, "end_column": 14, "replacement": "n",
                        }],
                        "caveats": [],
                    },
                    "help": null,
                    "url": "https://github.com/lockfix/lockfix/blob/main/transforms/src/rules/guard_across_await/mod.rs",
                    "labels": [],
                },
                {
                    "rule": "guard-across-await", "severity": "warning", "path": "src/a.rs",
                    "line": 2, "column": 13, "end_line": 2, "end_column": 21, "message": "held",
                    "tier": "semantic",
                    "fix": null,
                    "help": null,
                    "url": "https://github.com/lockfix/lockfix/blob/main/transforms/src/rules/guard_across_await/mod.rs",
                    "labels": [],
                },
            ],
            "applied_fixes": [],
            "rolled_back_fixes": [],
            "verify": [],
            "errors": [{ "path": "b.rs", "message": "not UTF-8", "fatal": false }],
            "notes": [{ "path": "v/Cargo.toml", "message": "semantic tier skipped", "remembered": true }],
        });
        assert_eq!(value, expected);
    }
}
