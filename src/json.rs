//! The report for machines: one JSON document, shape fixed by the command-line contract.
//!
//! ```json
//! {"version":1,"files_scanned":N,
//!  "findings":[{"rule","severity","path","line","column","end_line","end_column","message",
//!               "tier":"syntax"|"semantic",
//!               "fix":null|{"applicability":"safe"|"unsafe","title","diff"}}],
//!  "errors":[{"path","message"}]}
//! ```
//!
//! Lines and columns are 1-based, columns count characters; `end_line`/`end_column` is the
//! position just past the finding's range. `diff` is the unified diff of applying that one fix to
//! the file as it is now (after `--apply`, the written file).

use std::io::{self, Write};

use lockfix_transforms::analysis::Tier;
use lockfix_transforms::{Applicability, RuleId, Severity};
use serde::Serialize;

use crate::diff;
use crate::line_index::LineIndex;
use crate::report::Report;

/// Bumped on any incompatible change of the document's shape.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub version: u32,
    pub files_scanned: usize,
    pub findings: Vec<JsonFinding<'a>>,
    pub errors: Vec<JsonError<'a>>,
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
}

#[derive(Debug, Serialize)]
pub struct JsonFix<'a> {
    pub applicability: Applicability,
    pub title: &'a str,
    pub diff: String,
}

#[derive(Debug, Serialize)]
pub struct JsonError<'a> {
    pub path: &'a str,
    pub message: &'a str,
}

pub fn to_json(report: &Report) -> JsonReport<'_> {
    let mut findings = Vec::new();
    for file in &report.files {
        let index = LineIndex::new(&file.text);
        for finding in &file.findings {
            let start = index.line_col(&file.text, finding.range.start);
            let end = index.line_col(&file.text, finding.range.end.max(finding.range.start));
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
                fix: finding.fix.as_ref().map(|fix| JsonFix {
                    applicability: fix.applicability,
                    title: &fix.title,
                    // A crate-wide fix has its multi-file diff; a fix with invalid edits is never
                    // applied, and an empty diff says so.
                    diff: match report
                        .crate_fix_diffs
                        .get(&(file.path.clone(), finding.range.start))
                    {
                        Some(diff) => diff.clone(),
                        None => diff::fix_diff(&file.path, &file.text, fix).unwrap_or_default(),
                    },
                }),
            });
        }
    }
    let errors = report
        .errors
        .iter()
        .map(|error| JsonError {
            path: &error.path,
            message: &error.message,
        })
        .collect();
    JsonReport {
        version: FORMAT_VERSION,
        files_scanned: report.files_scanned,
        findings,
        errors,
    }
}

pub fn write_report(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_json(report))?;
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
            }],
            errors: vec![ErrorEntry {
                path: "b.rs".to_owned(),
                message: "not UTF-8".to_owned(),
            }],
            failed: false,
            crate_fix_diffs: Default::default(),
            semantic_loads: Vec::new(),
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
                    },
                },
                {
                    "rule": "guard-across-await", "severity": "warning", "path": "src/a.rs",
                    "line": 2, "column": 13, "end_line": 2, "end_column": 21, "message": "held",
                    "tier": "semantic",
                    "fix": null,
                },
            ],
            "errors": [{ "path": "b.rs", "message": "not UTF-8" }],
        });
        assert_eq!(value, expected);
    }
}
